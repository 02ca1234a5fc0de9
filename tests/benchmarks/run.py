"""Benchmark newscat against its performance targets.

Usage::

    python tests/benchmarks/run.py --sizes 10000,100000 --runs 3 \\
        [--newscat "CMD PREFIX"] [--out tests/benchmarks/results.md]

For each size a catalogue is generated with generate.py (or reused) under
tests/benchmarks/out/ (git-ignored). Every measurement runs the command in a
fresh child process; wall time is the median of --runs, peak RSS is the
largest of (a) ``ru_maxrss`` from ``wait4`` (the biggest single process in the
child's tree) and (b) the summed RSS of the whole tree, sampled from /proc.

The command prefix may start with VAR=value assignments, as in a shell::

    --newscat "PYTHONPATH=/work/main /work/venv/bin/python -m newscat"
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

BASELINES = HERE / "baselines"
SUFFIXES = (".md", ".markdown", ".txt")
#: The second peer: frontmatter-utils' `fmu search` on the field the list filters.
FMU_SEARCH = ["--name", "topics", "--value", "AI Ethics", "--ignore-case"]
#: A warm list that writes every match as csv: 4,169 rows at 100,000 generated articles,
#: the ~4,000 the target names (with --min-quality 50 it was 14,285).
CSV_ARGS = ["-f", "csv", "-t", "AI Ethics", "--min-quality", "70"]
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# The filters used by the warm/touched `list` measurements and, in Python, by
# baselines/frontmatter_list.py.
LIST_FILTERS = ["-t", "AI Ethics", "--min-quality", "50", "-w", "heat > 60"]
LIST_ARGS = ["-n", "20", "-f", "tsv", *LIST_FILTERS]


# --------------------------------------------------------------------------
# How to call newscat. The catalogue options (-C, --cache-dir) are options of
# each subcommand in newscat/cli.py, so they go after it: `newscat list -C
# ROOT ...`. Set "before" (or pass --opts-position before) for a CLI that takes
# them as group options: `newscat -C ROOT list ...`.
# --------------------------------------------------------------------------

CATALOG_OPTS_POSITION = "after"


@dataclass
class Newscat:
    argv: list[str]
    env: dict[str, str]
    opts_position: str = CATALOG_OPTS_POSITION

    @classmethod
    def parse(cls, prefix: str, opts_position: str) -> Newscat:
        """Split "VAR=1 python -m newscat" into environment and argv."""
        words = shlex.split(prefix)
        env: dict[str, str] = {}
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        if not words:
            raise SystemExit("error: --newscat needs a command")
        return cls(words, env, opts_position)

    def cmd(self, root: Path, cache: Path, sub: str, *args: str) -> list[str]:
        catalog = ["-C", str(root), "--cache-dir", str(cache)]
        if self.opts_position == "before":
            return [*self.argv, *catalog, sub, *args]
        return [*self.argv, sub, *catalog, *args]

    def bare(self, *args: str) -> list[str]:
        return [*self.argv, *args]

    def full_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def interpreter(self) -> str:
        """The Python that runs newscat, for the `python -c pass` reference."""
        exe = self.argv[0]
        if Path(exe).name.startswith("python"):
            return exe
        found = shutil.which(exe, path=self.full_env().get("PATH"))
        if found:
            try:
                with open(found, "rb") as fh:
                    first = fh.readline().decode("utf-8", "replace").strip()
            except OSError:
                first = ""
            if first.startswith("#!"):
                parts = first[2:].split()
                if parts and Path(parts[0]).name == "env" and len(parts) > 1:
                    return shutil.which(parts[1]) or parts[1]
                if parts:
                    return parts[0]
        return sys.executable


# --------------------------------------------------------------------------
# Measuring one process tree
# --------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    rc: int
    maxrss_kb: int  # ru_maxrss of the wrapper's children: largest single process
    tree_kb: int  # sampled sum of RSS over the tree (0 when not sampled)
    stdout: str = ""
    stderr: str = ""
    cpu: float = 0.0  # user + system seconds of the whole tree (0 when not measured)

    @property
    def peak_kb(self) -> int:
        return max(self.maxrss_kb, self.tree_kb)


# A process's ru_maxrss includes the RSS of the process that forked it (the
# kernel carries the high-water mark across fork and exec), so a child of this
# harness never reports less than the harness itself. Each measured command
# is therefore started by a small wrapper that reports its own children's
# ru_maxrss: GNU time when available (about 2 MB, ~1 ms), else a Python one.
PY_WRAPPER = """
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as fh:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    fh.write(f"{use.ru_maxrss} {use.ru_utime} {use.ru_stime}")
sys.exit(rc if rc >= 0 else 128 - rc)
"""


#: What the wrapper reports: peak RSS (KiB), user and system CPU seconds of the tree
#: (a process's children count once it has waited for them, as newscat's pool does).
RUSAGE = "%M %U %S"


def _rusage(text: str) -> tuple[int, float]:
    """``(maxrss_kb, cpu_seconds)`` from the wrapper's report (its last three words)."""
    words = text.split()
    if len(words) < 3:
        raise ValueError(f"no resource usage in {text!r}")
    return int(words[-3]), float(words[-2]) + float(words[-1])


def _gnu_time() -> str | None:
    exe = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    if not exe:
        return None
    with tempfile.NamedTemporaryFile("r") as fh:
        try:
            subprocess.run([exe, "-f", RUSAGE, "-o", fh.name, "true"], check=True, timeout=10)
            _rusage(fh.read())
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            return None
    return exe


GNU_TIME = _gnu_time()


def rss_wrapper(report: str) -> list[str]:
    if GNU_TIME:
        return [GNU_TIME, "-f", RUSAGE, "-o", report, "--"]
    return [sys.executable, "-c", PY_WRAPPER, report]


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def _tree_rss_kb(wrapper: int) -> int:
    """Summed RSS of every descendant of the wrapper (not the wrapper)."""
    kids = _children_map()
    total, stack = 0, list(kids.get(wrapper, []))
    while stack:
        pid = stack.pop()
        stack += kids.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            pass
    return total


class TreeSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _tree_rss_kb(self.pid))
            self.done.wait(self.interval)


#: Working directory of every measured command. Not the repository root:
#: `python -m newscat` would import ./newscat from there instead of PYTHONPATH.
RUN_DIR = HERE / "out"
BYTECODE = "not compiled"


def measure(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    keep_stdout: bool = True,
    rss: bool = True,
    timeout: float = 3600.0,
) -> Sample:
    """Run cmd once and time it; stdout goes to a temp file (or /dev/null).

    With rss, the command runs under the RSS wrapper and the process tree is
    sampled from /proc every 50 ms. Without it (startup timings) the command
    is spawned directly and no memory figure is taken.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as report,
    ):
        argv = [*rss_wrapper(report.name), *cmd] if rss else list(cmd)
        stdout = out if keep_stdout else subprocess.DEVNULL
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=err,
            env=env,
            cwd=RUN_DIR,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid) if rss else None
        if sampler:
            sampler.start()
        # A blocking wait: Popen.wait(timeout) polls with sleeps of up to 50 ms,
        # which would round every wall time up to a multiple of its back-off.
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        try:
            rc = proc.wait()
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        if sampler:
            sampler.done.set()
            sampler.join()
        maxrss, cpu = 0, 0.0
        if rss:
            with contextlib.suppress(ValueError):
                maxrss, cpu = _rusage(report.read())
        out.seek(0)
        err.seek(0)
        return Sample(
            wall=wall,
            rc=rc,
            maxrss_kb=maxrss,
            cpu=cpu,
            tree_kb=sampler.peak if sampler else 0,
            stdout=out.read().decode("utf-8", "replace") if keep_stdout else "",
            stderr=err.read().decode("utf-8", "replace"),
        )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    size: int
    samples: list[Sample] = field(default_factory=list)
    error: str = ""
    note: str = ""
    size_ratio: float = 0.0  # the cold index: database bytes over catalogue bytes

    @property
    def ok(self) -> bool:
        return bool(self.samples) and not self.error

    @property
    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        """Median CPU seconds (user + system, whole tree); 0 when not measured."""
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return max(s.peak_kb for s in self.samples) / 1024

    def add(self, sample: Sample) -> bool:
        if sample.rc != 0:
            self.error = f"exit {sample.rc}: {one_line(sample.stderr)}"
            return False
        self.samples.append(sample)
        return True


def one_line(text: str, lines: int = 3, width: int = 300) -> str:
    """The tail of some stderr, fit for one Markdown table cell."""
    tail = " ".join(line.strip() for line in text.strip().splitlines()[-lines:])
    return tail[:width].replace("|", "\\|")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Job:
    """One measurement to repeat: what to run, and what to do before each run."""

    res: Result
    runs: int
    make: Callable[[int], Sequence[str]]
    env: dict[str, str] | None = None
    before: Callable[[int], None] | None = None
    keep_stdout: bool = True
    rss: bool = True


def interleave(jobs: Sequence[Job]) -> None:
    """Run the jobs in turn, one run of each per round, so that they see the same machine.

    On a shared or throttled machine, speed drifts over minutes; measurements that
    are compared with each other should take their runs side by side.
    """
    for i in range(max(job.runs for job in jobs)):
        for job in jobs:
            if i >= job.runs or job.res.error:
                continue
            if job.before:
                job.before(i)
            sample = measure(job.make(i), job.env, keep_stdout=job.keep_stdout, rss=job.rss)
            if not job.res.add(sample):
                log(f"  {job.res.name}: FAILED {job.res.error}")
                continue
            log(f"  {job.res.name} #{i + 1}: {sample.wall:.3f}s, {sample.peak_kb / 1024:.0f} MB")


def repeat(
    res: Result,
    runs: int,
    make: Callable[[int], Sequence[str]],
    env: dict[str, str] | None = None,
    before: Callable[[int], None] | None = None,
    keep_stdout: bool = True,
    rss: bool = True,
) -> Result:
    interleave([Job(res, runs, make, env, before, keep_stdout, rss)])
    return res


# --------------------------------------------------------------------------
# Catalogues
# --------------------------------------------------------------------------


def candidate_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += [
            Path(dirpath, f)
            for f in sorted(filenames)
            if not f.startswith(".") and f.lower().endswith(SUFFIXES)
        ]
    return out


def ensure_catalogue(workdir: Path, n: int, seed: int) -> Path:
    root = workdir / f"catalog-{n}-s{seed}"
    if generate.is_generated(root, n, seed):
        log(f"reusing {root}")
        return root
    if root.exists():
        shutil.rmtree(root)
    log(f"generating {n} articles in {root}")
    t0 = time.perf_counter()
    root.mkdir(parents=True)
    generate.generate(root, n, seed)
    (root / generate.MARKER).write_text(json.dumps(generate.marker_data(n, seed)))
    log(f"  generated in {time.perf_counter() - t0:.1f}s")
    return root


def prewarm(files: Sequence[Path]) -> None:
    """Read every file once so all measurements start from a warm page cache."""
    for path in files:
        with open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass


class Toucher:
    """Change the content of k files per run; restore them afterwards."""

    def __init__(self, root: Path, files: Sequence[Path], k: int, seed: int) -> None:
        self.root, self.files, self.k, self.seed = root, files, k, seed
        self.originals: dict[Path, bytes] = {}

    def touch(self, run: int) -> None:
        marker = self.root / generate.MARKER
        if self.seed >= 0:
            marker.unlink(missing_ok=True)  # a crash before restore() forces regeneration
        rng = random.Random(self.seed * 1000 + run)
        stamp = f"\nEdited by the benchmark (run {run}, {time.time_ns()}).\n"
        for path in rng.sample(list(self.files), min(self.k, len(self.files))):
            data = path.read_bytes()
            self.originals.setdefault(path, data)
            path.write_bytes(data + stamp.encode())

    def restore(self, n: int) -> None:
        for path, data in self.originals.items():
            path.write_bytes(data)
        self.originals.clear()
        if self.seed >= 0:
            marker = json.dumps(generate.marker_data(n, self.seed))
            (self.root / generate.MARKER).write_text(marker)


# --------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------


def tsv_ids(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0].split("\t")
    col = header.index("id") if "id" in header else 0
    start = 1 if "id" in header else 0
    return [line.split("\t")[col] for line in lines[start:]]


def bench_size(
    args: argparse.Namespace, nc: Newscat, n: int, real: Path | None = None
) -> dict[str, Result]:
    """Every measurement on one catalogue: generated with ``n`` articles, or ``real``."""
    workdir: Path = args.workdir
    py = sys.executable
    res: dict[str, Result] = {}
    root = real.resolve() if real else ensure_catalogue(workdir, n, args.seed)
    files = candidate_files(root)
    n = len(files) if real else n
    tag = f"real-{root.name}" if real else str(n)
    catalogue_bytes = sum(path.stat().st_size for path in files)
    log(f"{tag}: {len(files)} files, {catalogue_bytes / 1e6:.0f} MB; warming the page cache")
    prewarm(files)
    env = nc.full_env()

    def new(name: str) -> Result:
        res[name] = Result(name, n)
        return res[name]

    # Baselines, and the cold index side by side with the parsing baselines -----
    repeat(new("walk_stat"), args.runs, lambda i: [py, str(BASELINES / "walk_stat.py"), str(root)])
    cold = workdir / f"cache-cold-{tag}"

    def fresh_cache(i: int) -> None:
        shutil.rmtree(cold, ignore_errors=True)
        cold.mkdir(parents=True)
        # Flush the previous run's half-gigabyte of writes (and its deletion) now, so
        # that no run pays for another's disk writeback.
        os.sync()

    jobs = [
        Job(
            new("cold_index"),
            args.runs,
            lambda i: nc.cmd(root, cold, "index"),
            env,
            before=fresh_cache,
            keep_stdout=False,
        )
    ]
    if not args.skip_slow_baselines:
        brun = args.baseline_runs or args.runs
        jobs[:0] = [
            Job(
                new(name), brun, lambda i, name=name: [py, str(BASELINES / f"{name}.py"), str(root)]
            )
            for name in (
                ("frontmatter_list",) if args.script_only else ("yaml_parse", "frontmatter_list")
            )
        ]
        fmu = shutil.which("fmu") or shutil.which("fmu", path=str(Path(py).parent))
        if fmu and not args.script_only:
            patterns = [f"{root}/**/*{suffix}" for suffix in SUFFIXES]
            jobs.insert(2, Job(new("fmu"), brun, _const([fmu, "search", *patterns, *FMU_SEARCH]),
                               keep_stdout=False))  # fmt: skip
    interleave(jobs)
    index_bytes = sum(p.stat().st_size for p in cold.glob("catalog-*.sqlite3*"))
    res["cold_index"].note = (
        f"index {index_bytes / 1e6:.0f} MB for {catalogue_bytes / 1e6:.0f} MB of files "
        f"({index_bytes / max(catalogue_bytes, 1):.2f}x)"
    )
    res["cold_index"].size_ratio = index_bytes / max(catalogue_bytes, 1)
    shutil.rmtree(cold, ignore_errors=True)

    # Warm list: persistent cache, nothing changed ---------------------------
    warm_cache = workdir / f"cache-{tag}-s{args.seed}"
    shutil.rmtree(warm_cache, ignore_errors=True)  # built afresh: the next list is the first
    warm_cache.mkdir(parents=True, exist_ok=True)
    settle = measure(nc.cmd(root, warm_cache, "index"), env, rss=False)
    if settle.rc != 0:
        res["warm_list"] = Result(
            "warm_list", n, error=f"index failed: exit {settle.rc}: {one_line(settle.stderr)}"
        )
        return res
    first = new("first_warm_list")
    first.add(measure(nc.cmd(root, warm_cache, "list", *LIST_ARGS), env))
    first.note = "the first command right after a cold build"
    # The warm lists are held against the walk+stat floor, so the floor is measured
    # again here, run by run beside them: the floor measured at the start of the run,
    # minutes earlier, may have met another phase of a shared machine's speed.
    floor = [py, str(BASELINES / "walk_stat.py"), str(root)]
    warm, csv = new("warm_list"), new("warm_csv")
    interleave(
        [
            Job(new("walk_stat_warm"), args.runs, _const(floor), rss=False),
            Job(warm, args.runs, _const(nc.cmd(root, warm_cache, "list", *LIST_ARGS)), env),
            Job(csv, args.runs, _const(nc.cmd(root, warm_cache, "list", *CSV_ARGS)), env),
        ]
    )
    if warm.ok and "frontmatter_list" in res and res["frontmatter_list"].ok:
        ours = tsv_ids(warm.samples[0].stdout)
        theirs = tsv_ids(res["frontmatter_list"].samples[0].stdout)
        common = len(set(ours) & set(theirs))
        same = "identical" if ours == theirs else f"{common} of {len(theirs)} ids in common"
        warm.note = f"rows: {len(ours)}; vs frontmatter_list: {same}"
    if csv.ok:
        csv.note = f"rows: {max(len(csv.samples[0].stdout.splitlines()) - 1, 0):,}"
    bench_watched(args, nc, root, warm_cache, res, new)
    count = measure(nc.cmd(root, warm_cache, "list", "--count"), env, rss=False)
    if count.rc == 0 and real:  # some files of a real site are no articles (`check`)
        warm.note += f"; {int(count.stdout):,} articles in {n:,} files"
    elif count.rc == 0 and count.stdout.strip() != str(n):
        warm.note += f"; `list --count` says {count.stdout.strip()!r}, expected {n}"

    # 100 files touched, then list ------------------------------------------
    toucher = Toucher(root, files, args.touch, -1 if real else args.seed)
    try:
        repeat(
            new("touched_list"),
            args.runs,
            lambda i: nc.cmd(root, warm_cache, "list", *LIST_ARGS),
            env,
            before=toucher.touch,
        )
    finally:
        toucher.restore(n)
    res["touched_list"].note = f"{args.touch} files changed before each run"
    measure(nc.cmd(root, warm_cache, "index"), env, rss=False)

    # Export everything ------------------------------------------------------
    if args.script_only:
        return res
    repeat(
        new("export_jsonl"),
        args.runs,
        lambda i: nc.cmd(root, warm_cache, "export", "-f", "jsonl"),
        env,
        keep_stdout=False,
    )
    res["export_jsonl"].note = "stdout to /dev/null"
    return res


def _const(cmd: list[str]) -> Callable[[int], list[str]]:
    return lambda i: cmd


def bench_watched(
    args: argparse.Namespace,
    nc: Newscat,
    root: Path,
    cache: Path,
    res: dict[str, Result],
    new: Callable[[str], Result],
) -> None:
    """The warm lists again while `newscat index --watch` holds the catalogue."""
    proc = subprocess.Popen(
        nc.cmd(root, cache, "index", "--watch"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=nc.full_env(),
        cwd=RUN_DIR,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "watching ..." once it has caught up
        if not line.startswith("watching"):
            proc.wait(timeout=60)
            error = one_line(proc.stderr.read() if proc.stderr else "") or line
            for name in ("watched_list", "watched_csv"):
                res[name] = Result(name, 0, error=f"index --watch: {error}")
            return
        env = nc.full_env()
        repeat(new("watched_list"), args.runs, _const(nc.cmd(root, cache, "list", *LIST_ARGS)), env)
        repeat(new("watched_csv"), args.runs, _const(nc.cmd(root, cache, "list", *CSV_ARGS)), env)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=60)


def bench_startup(args: argparse.Namespace, nc: Newscat) -> dict[str, Result]:
    env = nc.full_env()
    runs = max(args.runs, args.startup_runs)
    res: dict[str, Result] = {}
    interp = args.python or nc.interpreter()
    for name, cmd in (
        ("python_pass", [interp, "-c", "pass"]),
        ("version", nc.bare("--version")),
        ("help", nc.bare("--help")),
    ):
        r = res[name] = Result(name, 0)
        measure(cmd, env, rss=False)  # warm-up (bytecode, page cache)
        repeat(r, runs, _const(cmd), env, rss=False)
    res["python_pass"].note = interp
    return res


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


LOAD_AT_START = loadavg()


def output(nc: Newscat, argv: Sequence[str], default: str = "") -> str:
    """What a command run in newscat's environment prints, stripped (``default`` if it cannot run)."""
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, env=nc.full_env(), check=False, cwd=RUN_DIR
        )
    except OSError:
        return default
    return done.stdout.strip()


def package_dir(nc: Newscat, interp: str) -> str:
    """The folder the newscat package is imported from ("" when unknown)."""
    return output(
        nc, [interp, "-c", "import newscat, os; print(os.path.dirname(newscat.__file__))"]
    )


def compile_bytecode(nc: Newscat) -> str:
    """Byte-compile the newscat package, as ``pip install`` does.

    An editable install under PYTHONDONTWRITEBYTECODE (common in containers)
    would otherwise compile every module from source on every run, which no
    installed copy does. Says what was done, for the report.
    """
    interp = nc.interpreter()
    where = package_dir(nc, interp)
    if not where:
        return "not compiled (package not found)"
    done = subprocess.run(
        [interp, "-m", "compileall", "-q", where], capture_output=True, check=False, cwd=RUN_DIR
    )
    if done.returncode != 0:
        return f"compileall failed (exit {done.returncode}); modules may compile on every run"
    return "compiled before the runs (`python -m compileall`), as `pip install` does"


def newscat_source(nc: Newscat, interp: str) -> str:
    """Where the newscat package was imported from, and its git commit if any."""
    where = package_dir(nc, interp)
    if not where:
        return "?"
    git = ["git", "-C", where]
    try:
        head = subprocess.run(
            [*git, "log", "-1", "--format=%h %s"], capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "."], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return where
    if not head:
        return where
    return f"{where} at {head}" + (" (with uncommitted changes)" if dirty else "")


def machine(nc: Newscat) -> list[tuple[str, str]]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    interp = nc.interpreter()
    nc_py = output(nc, [interp, "-c", "import sys; print(sys.version.split()[0])"], "?")
    version = output(nc, nc.bare("--version"), "?")
    return [
        ("CPU", f"{cpu} ({os.cpu_count()} logical cores, {usable} usable)"),
        ("RAM", mem),
        ("OS", platform.platform()),
        ("Python (harness, baselines)", f"{platform.python_version()} ({sys.executable})"),
        ("Python (newscat)", f"{nc_py} ({interp})"),
        ("PyYAML", f"{yaml.__version__}, libyaml: {getattr(yaml, '__with_libyaml__', False)}"),
        ("SQLite (harness Python)", sqlite3.sqlite_version),
        ("newscat", f"`{shlex.join([*(f'{k}={v}' for k, v in nc.env.items()), *nc.argv])}`"),
        ("newscat --version", version or "?"),
        ("newscat source", newscat_source(nc, interp)),
        ("newscat bytecode", BYTECODE),
        ("RSS wrapper", f"GNU time ({GNU_TIME})" if GNU_TIME else "Python (floor ~9 MB)"),
        ("load average (1, 5, 15 min)", f"at start {LOAD_AT_START}; at end {loadavg()}"),
    ]


def fmt_s(r: Result | None) -> str:
    return f"{r.median:.3f} s" if r and r.ok else "n/a"


def paired_ratios(num: Result, den: Result) -> list[float]:
    """Run-by-run ratios of two measurements whose runs took turns (see ``interleave``)."""
    return [a.wall / b.wall for a, b in zip(num.samples, den.samples, strict=False)]


def ratio_row(
    what: str,
    target: str,
    num: Result | None,
    den: Result | None,
    limit: float,
    higher_is_better: bool = False,
    paired: bool = False,
) -> str:
    """A target row. With ``paired``, the ratio is the median of the run-by-run ratios,
    which cancels the drift of a shared machine that the medians of each do not."""
    if not (num and num.ok and den and den.ok):
        return f"| {what} | {target} | {fmt_s(num)} vs {fmt_s(den)} | n/a | n/a |"
    if higher_is_better:
        value = den.median / num.median
        ok = value >= limit
        shown = f"{value:.1f}x faster"
    else:
        value = num.median / den.median
        if paired:
            value = statistics.median(paired_ratios(num, den))
        ok = value <= limit
        shown = f"{value:.2f}x" + (" (run by run)" if paired else "")
    return (
        f"| {what} | {target} | {num.median:.3f} s vs {den.median:.3f} s | {shown} "
        f"| {'PASS' if ok else 'FAIL'} |"
    )


def size_row(cold: Result | None) -> str:
    what, target = "index size, after a cold index", "≤ 0.5x the catalogue's bytes"
    if not (cold and cold.ok and cold.size_ratio):
        return f"| {what} | {target} | n/a | n/a | n/a |"
    status = "PASS" if cold.size_ratio <= 0.5 else "FAIL"
    return f"| {what} | {target} | {cold.note} | {cold.size_ratio:.2f}x | {status} |"


def limit_row(what: str, target: str, r: Result | None, limit: float, peak: bool = False) -> str:
    """A row for an absolute bound: seconds (median), or MB of peak RSS with ``peak``."""
    if not (r and r.ok):
        return f"| {what} | {target} | n/a | n/a | n/a |"
    value = r.peak_mb if peak else r.median
    shown = f"{value:.0f} MB" if peak else f"{value:.3f} s"
    return f"| {what} | {target} | {shown} | – | {'PASS' if value <= limit else 'FAIL'} |"


def plus_row(what: str, target: str, r: Result | None, base: Result | None, extra: float) -> str:
    """A row for "at most ``extra`` seconds more than ``base``"."""
    if not (r and r.ok and base and base.ok):
        return f"| {what} | {target} | {fmt_s(r)} vs {fmt_s(base)} | n/a | n/a |"
    more = r.median - base.median
    status = "PASS" if more <= extra else "FAIL"
    return (
        f"| {what} | {target} | {r.median:.3f} s vs {base.median:.3f} s | +{more:.3f} s "
        f"| {status} |"
    )


LABELS = {
    "walk_stat": "baseline: walk + stat (`baselines/walk_stat.py`)",
    "walk_stat_warm": "baseline: walk + stat again, run by run beside the warm lists",
    "yaml_parse": "baseline: read + CSafeLoader, 1 process (`baselines/yaml_parse.py`)",
    "frontmatter_list": "baseline: python-frontmatter list (`baselines/frontmatter_list.py`)",
    "cold_index": "`index`, empty cache dir",
    "fmu": "peer: `fmu search` (frontmatter-utils), field topics",
    "first_warm_list": "`list -n 20 -f tsv` + filters, first run after the cold build",
    "warm_csv": "`list -f csv` + filters, every match, nothing changed",
    "watched_list": "`list -n 20 -f tsv` + filters, `index --watch` running",
    "watched_csv": "`list -f csv` + filters, `index --watch` running",
    "warm_list": "`list -n 20 -f tsv` + filters, nothing changed",
    "touched_list": "`list` + filters after changing 100 files",
    "export_jsonl": "`export -f jsonl` of everything",
    "python_pass": "`python -c pass`",
    "version": "`newscat --version`",
    "help": "`newscat --help`",
}


def report(
    args: argparse.Namespace,
    nc: Newscat,
    sizes: dict[str, dict[str, Result]],
    startup: dict[str, Result],
) -> str:
    out = ["# newscat benchmark results", ""]
    out.append(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC} with `{' '.join(sys.argv)}`.")
    out += ["", "| machine | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in machine(nc)]
    filters = shlex.join(LIST_ARGS)
    out += [
        "",
        f"Runs per measurement: {args.runs} (median reported; startup: "
        f"{max(args.runs, args.startup_runs)}). Filters for `list`: `{filters}`. "
        "CPU is the median of user + system seconds over the whole process tree "
        "(pool workers included), which machine load inflates less than wall time. "
        "Peak RSS is the larger of the largest single process (ru_maxrss of the wrapper's "
        "children) and the RSS of the whole process tree summed, sampled every 50 ms. "
        "Startup rows are spawned directly, without a memory figure. "
        "All runs start from a warm page cache.",
        "",
        "## Measurements",
        "",
        "| catalogue | measurement | median | min | max | CPU | peak RSS | notes |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    rows = [(size, r) for size, rs in sizes.items() for r in rs.values()]
    rows += [("–", r) for r in startup.values()]
    for size, r in rows:
        label = LABELS.get(r.name, r.name)
        if not r.ok:
            out.append(f"| {size} | {label} | n/a | | | | | {r.error or 'not run'} |")
            continue
        walls = [s.wall for s in r.samples]
        peak = f"{r.peak_mb:.0f} MB" if r.peak_mb else "–"
        cpu = f"{r.cpu:.2f} s" if r.cpu else "–"
        out.append(
            f"| {size} | {label} | {r.median:.3f} s | {min(walls):.3f} s | {max(walls):.3f} s "
            f"| {cpu} | {peak} | {r.note} |"
        )
    generated = [rs for label, rs in sizes.items() if not label.startswith("real")]
    for label, rs in sizes.items():
        real = label.startswith("real")
        cold_limit = 0.6 if real else 0.5
        out += [
            "",
            f"## Targets: {label}",
            "",
            "| what | target | measured | ratio | status |",
            "|---|---|---|---|---|",
            ratio_row(
                "cold index (empty cache)",
                f"≤ {cold_limit}x the python-frontmatter script",
                rs.get("cold_index"),
                rs.get("frontmatter_list"),
                cold_limit,
                paired=True,
            ),
            ratio_row(
                "cold index (empty cache)",
                f"≤ {cold_limit}x `fmu search` (frontmatter-utils)",
                rs.get("cold_index"),
                rs.get("fmu"),
                cold_limit,
                paired=True,
            ),
            size_row(rs.get("cold_index")),
            limit_row(
                "cold index, peak RSS of its process tree",
                "< 250 MB",
                rs.get("cold_index"),
                250,
                peak=True,
            ),
            ratio_row(
                "warm `list` writing every match as csv",
                "≤ 1.5x the walk+stat floor",
                rs.get("warm_csv"),
                rs.get("walk_stat_warm") or rs.get("walk_stat"),
                1.5,
                paired="walk_stat_warm" in rs,
            ),
            limit_row("the same, `index --watch` running", "≤ 0.3 s", rs.get("watched_csv"), 0.3),
            ratio_row(
                "warm `list -n 20` with filters, nothing changed",
                "≤ 1.5x the walk+stat floor",
                rs.get("warm_list"),
                rs.get("walk_stat_warm") or rs.get("walk_stat"),
                1.5,
                paired="walk_stat_warm" in rs,
            ),
            plus_row(
                "the same, `index --watch` running",
                "≤ `python -c pass` + 0.1 s",
                rs.get("watched_list"),
                startup.get("python_pass"),
                0.1,
            ),
            ratio_row(
                "warm `list -n 20` with filters",
                "≥ 30x faster than the python-frontmatter script",
                rs.get("warm_list"),
                rs.get("frontmatter_list"),
                30.0,
                higher_is_better=True,
            ),
            ratio_row(
                "the first command right after a cold build",
                "≤ 2x the steady warm time",
                rs.get("first_warm_list"),
                rs.get("warm_list"),
                2.0,
            ),
            ratio_row(
                "100 files touched, then `list`",
                "≤ 1.3x the warm time",
                rs.get("touched_list"),
                rs.get("warm_list"),
                1.3,
            ),
        ]
        exp = rs.get("export_jsonl")
        out.append(
            limit_row("`export -f jsonl` of everything", "peak RSS < 150 MB", exp, 150, peak=True)
        )
        base = generated[0].get("export_jsonl") if generated else None
        if not real and exp and exp.ok and base and base.ok and base is not exp:
            growth = exp.peak_mb / base.peak_mb
            status = "PASS" if growth <= 1.10 else "FAIL"
            out.append(
                f"| `export -f jsonl` of everything | not growing with the catalogue "
                f"(≤ 1.10x, allowing 10% noise) | {base.peak_mb:.0f} MB → "
                f"{exp.peak_mb:.0f} MB | {growth:.2f}x | {status} |"
            )
        for key, what in (("version", "`newscat --version`"), ("help", "`newscat --help`")):
            out.append(
                ratio_row(
                    what, "≤ 3x `python -c pass`", startup.get(key), startup.get("python_pass"), 3.0
                )
            )
        for peer, name in (("frontmatter_list", "the python-frontmatter script"), ("fmu", "fmu")):
            cold, theirs = rs.get("cold_index"), rs.get(peer)
            if cold and cold.ok and theirs and theirs.ok:
                pairs = paired_ratios(cold, theirs)
                shown = ", ".join(f"{ratio:.2f}x" for ratio in pairs)
                out += [
                    "",
                    f"Run by run, the cold index took {shown} of the time of {name} (they take "
                    f"turns, so each pair sees the same machine); the target row gives their "
                    f"median ({statistics.median(pairs):.2f}x), the medians of each give "
                    f"{cold.median / theirs.median:.2f}x.",
                ]
    out += [""]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes", default="10000,100000", help="comma-separated article counts ('' for none)"
    )
    ap.add_argument(
        "--real",
        type=Path,
        action="append",
        default=[],
        help="a real catalogue folder to measure too (repeatable); measured before the sizes",
    )
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument(
        "--baseline-runs",
        type=int,
        default=0,
        help="runs for the slow parsing baselines (default: --runs)",
    )
    ap.add_argument(
        "--startup-runs",
        type=int,
        default=10,
        help="runs for --version/--help/python -c pass (at least --runs)",
    )
    ap.add_argument("--newscat", default="newscat", help="command prefix that runs newscat")
    ap.add_argument(
        "--opts-position",
        choices=("before", "after"),
        default=CATALOG_OPTS_POSITION,
        help="catalogue options (-C, --cache-dir) before or after the subcommand",
    )
    ap.add_argument("--python", help="interpreter for the `python -c pass` reference")
    ap.add_argument("--out", type=Path, help="also write the Markdown report here")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=HERE / "out",
        help="catalogues and caches (default: tests/benchmarks/out)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--touch", type=int, default=100, help="files changed before touched_list")
    ap.add_argument(
        "--script-only",
        action="store_true",
        help="of the peers, run only the python-frontmatter script (no yaml_parse, no fmu), "
        "and skip the export: for 1,000,000 articles, where each of those takes most of an hour",
    )
    ap.add_argument(
        "--skip-slow-baselines",
        action="store_true",
        help="skip yaml_parse and frontmatter_list (their ratios become n/a)",
    )
    args = ap.parse_args(argv)
    global RUN_DIR
    nc = Newscat.parse(args.newscat, args.opts_position)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    RUN_DIR = args.workdir

    global BYTECODE
    BYTECODE = compile_bytecode(nc)
    log(f"bytecode: {BYTECODE}")
    results: dict[str, dict[str, Result]] = {}
    for real in args.real:
        found = bench_size(args, nc, 0, real=real)
        files = next(iter(found.values())).size
        results[f"real: {real.name} ({files:,} files)"] = found
    for n in sizes:
        results[f"{n:,}"] = bench_size(args, nc, n)
    log("startup")
    startup = bench_startup(args, nc)
    text = report(args, nc, results, startup)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        log(f"wrote {args.out}")
    raw = {
        str(n): {
            k: [s.__dict__ | {"stdout": s.stdout[:2000]} for s in r.samples] for k, r in rs.items()
        }
        for n, rs in [*results.items(), (0, startup)]
    }
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (args.workdir / f"raw-{stamp}.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
