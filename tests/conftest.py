"""Shared fixtures: an isolated environment and helpers to write article files."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from newscat import forked, parse, refresh
from newscat.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_IDS = ("000_50e039b255de019a", "002_6ef551387f7f8ea7")

#: The YAML loaders newscat may run with: libyaml's where this PyYAML has it, and
#: always the pure-Python one that users without libyaml get.
YAML_LOADERS: dict[str, Any] = {"pure-python": parse.PurePythonLoader}
if parse.Loader is not parse.PurePythonLoader:
    YAML_LOADERS = {"libyaml": parse.Loader, **YAML_LOADERS}


@pytest.fixture(params=list(YAML_LOADERS))
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with libyaml's loader, then with the pure-Python one."""
    monkeypatch.setattr(parse, "Loader", YAML_LOADERS[request.param])
    return str(request.param)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test reads the user's catalogue, cache, config or state, or depends on the terminal."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("NEWSCAT_CACHE_DIR", str(cache))
    monkeypatch.setenv("NEWSCAT_CONFIG", str(tmp_path / "user-config.toml"))
    monkeypatch.setenv("NEWSCAT_STATE_DIR", str(tmp_path / "state"))
    for name in ("NEWSCAT_CATALOG", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TZ", "UTC")  # tables show local time; tests read them in UTC
    # A watcher's starter listens in the runtime folder: one of the test's own, with a
    # path short enough for a Unix socket.
    runtime = tempfile.mkdtemp(prefix="nc-run-", dir="/tmp")
    monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
    time.tzset()
    yield cache
    monkeypatch.undo()
    time.tzset()
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def shared_walks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Share every first look between this process and forked copies of it, however
    small the catalogue (the tests of the shared walk and of reading ahead)."""
    monkeypatch.setattr(refresh, "SHARED_WALK_FILES", 0)
    monkeypatch.setattr(forked, "workers", lambda: 2)


@contextlib.contextmanager
def serial_walks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Within it, the walk is never shared: the answer every shared walk must give."""
    with monkeypatch.context() as patched:
        patched.setattr(forked, "workers", lambda: 1)
        yield


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A copy of the seed articles that a test may change."""
    folder = tmp_path / "catalog"
    shutil.copytree(SEEDS, folder)
    return folder


def article_text(body: str = "", **front: Any) -> str:
    """An article file's text from front-matter keys (in order) and a body."""
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{dumped}---\n{body}"


def write_article(folder: Path, name: str, body: str = "", **front: Any) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article_text(body, **front), encoding="utf-8")
    return path


def run(*args: str, input: str | None = None) -> Result:
    """Run newscat in-process with stdout and stderr kept apart."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


# --- a real small disk (root only) ------------------------------------------------------


def _mount(target: Path, options: str) -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the RLIMIT_FSIZE tests cover this case")
    target = tmp_path / "disk"
    target.mkdir()
    try:
        _mount(target, "size=1m")
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)


def remount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(target)], check=True)


def index_warnings_are_the_parsers(root: Path, cache: Path) -> dict[str, int]:
    """Assert that the index reports, for each article under ``root``, exactly the
    warnings the parser gives it (the index stores some and derives the others); the
    number of each code."""
    from collections import Counter

    from newscat.catalog import read_article
    from newscat.model import Article
    from newscat.store.index import Index

    index = Index.open([str(root)], cache)
    try:
        index.refresh()
        reported: dict[str, list[tuple[Any, ...]]] = {}
        for p in index.problems(severity="warning"):
            reported.setdefault(p.path, []).append((p.code, p.message, p.line, p.column))
        counts: Counter[str] = Counter()
        for stored in index.select():
            _, parsed, *_ = read_article(stored.path, stored.id)
            assert isinstance(parsed, Article), stored.path
            expected = sorted((w.code, w.message, w.line, w.column) for w in parsed.warnings)
            assert sorted(reported.pop(stored.path, [])) == expected, stored.path
            counts.update(code for code, *_ in expected)
        assert [path for path, found in reported.items() if found] == []
    finally:
        index.close()
    return dict(counts)


def python_calls(call: Callable[..., Any], *args: Any) -> tuple[Any, list[str]]:
    """What ``call(*args)`` gives, and the name of every Python function it ran, in order
    (``call`` itself first when it is one): for tests that a fast path makes no call."""
    calls: list[str] = []
    sys.setprofile(
        lambda frame, event, _: calls.append(frame.f_code.co_name) if event == "call" else None
    )
    try:
        found = call(*args)
    finally:
        sys.setprofile(None)
    return found, calls
