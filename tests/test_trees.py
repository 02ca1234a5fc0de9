"""Large and deep trees: thousands of files in one folder, paths near and past PATH_MAX,
a folder that cannot be read, a root that is a symlink, and roots that overlap."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from newscat.cli import cli
from newscat.refresh import PLAN_LIMIT
from tests.conftest import run, write_article

ARTICLE = "---\ntitle: {title}\npublishedDateTime: 2024-01-01T00:00:00Z\n---\nBody.\n"


def fill(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"{n:06d}.md").write_text(ARTICLE.format(title=f"T{n}"))


def ids(*args: str) -> list[str]:
    result = run("list", "-f", "ids", "-s", "id", *args)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return result.stdout.splitlines()


def test_more_files_in_one_folder_than_a_refresh_plans_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "cat" / "flat"
    fill(folder, PLAN_LIMIT + 50)
    root = str(tmp_path / "cat")
    assert len(ids("-C", root)) == PLAN_LIMIT + 50
    for n in range(0, PLAN_LIMIT + 50, 7):  # every 7th goes away, and a few arrive
        (folder / f"{n:06d}.md").unlink()
    fill(tmp_path / "cat" / "late", 3)
    after = ids("-C", root)
    assert after == ids("-C", root, "--no-cache")
    assert len(after) == PLAN_LIMIT + 50 - len(range(0, PLAN_LIMIT + 50, 7)) + 3


@pytest.mark.soak
def test_soak_a_hundred_thousand_files_in_one_folder(tmp_path: Path) -> None:
    folder = tmp_path / "cat" / "flat"
    fill(folder, 100_000)
    root = str(tmp_path / "cat")
    count = run("list", "-C", root, "--count")
    assert (count.exit_code, count.stdout, count.stderr) == (0, "100000\n", "")
    (folder / "000000.md").unlink()
    fill(tmp_path / "cat" / "more", 1)
    again = run("list", "-C", root, "--count")
    assert (again.stdout, again.stderr) == ("100000\n", "")


def _deep_folder(base: Path, budget: int) -> Path:
    """A chain of folders with 200-character names whose path is about ``budget`` long."""
    path = base
    while len(os.fsencode(path)) + 201 + len("/x.md") < budget:
        path = path / ("d" * 200)
    path.mkdir(parents=True)
    return path


def test_a_path_just_under_path_max_is_an_article(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    deep = _deep_folder(root, os.pathconf("/", "PC_PATH_MAX") - 1)
    write_article(deep, "x.md", title="Deep")
    assert len(os.fsencode(deep / "x.md")) >= os.pathconf("/", "PC_PATH_MAX") - 210
    result = run("list", "-C", str(root), "-f", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    (record,) = json.loads(result.stdout)
    assert (record["title"], record["path"]) == ("Deep", str(deep / "x.md"))
    shown = run("show", "-C", str(root), "-f", "json", "--", record["id"])
    assert json.loads(shown.stdout)["title"] == "Deep"


def test_a_folder_past_path_max_is_a_problem_and_the_rest_is_listed(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    write_article(root, "near.md", title="Near")
    deep = _deep_folder(root / "far", os.pathconf("/", "PC_PATH_MAX") - 1)
    # Past PATH_MAX a path cannot be named whole: go on from an open folder.
    fd = os.open(deep, os.O_RDONLY)
    try:
        os.mkdir("e" * 250, dir_fd=fd)
        inner = os.open("e" * 250, os.O_RDONLY, dir_fd=fd)
        os.close(os.open("x.md", os.O_WRONLY | os.O_CREAT, dir_fd=inner))
        os.close(inner)
    finally:
        os.close(fd)
    result = run("list", "-C", str(root), "-f", "ids")
    assert (result.exit_code, result.stdout) == (0, "near\n")
    assert result.stderr == f"1 file skipped; run `newscat check -C {root}`\n"
    check = run("check", "-C", str(root), "-f", "json")
    (problem,) = [p for p in json.loads(check.stdout) if p["severity"] == "error"]
    assert problem["code"] == "unreadable"
    assert problem["file"].startswith(str(deep))
    shutil.rmtree(root / "far")  # rmtree copes with it; pytest's cleanup may not


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder that any user may read (pytest's own temporary dirs are root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="newscat-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for folder in path.rglob("*"):
            if folder.is_dir():
                folder.chmod(0o755)
        shutil.rmtree(path)


def _as_nobody(args: list[str]) -> tuple[int, str, str]:
    """Run newscat in a forked child that has dropped root for the user nobody."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            # Nothing of root's: no home, no config file, a state dir of its own.
            os.environ["HOME"] = os.environ["XDG_CONFIG_HOME"] = "/nonexistent"
            os.environ["NEWSCAT_CONFIG"] = "/nonexistent/config.toml"
            os.environ["NEWSCAT_STATE_DIR"] = tempfile.mkdtemp()
            result = CliRunner().invoke(cli, args)
            payload = json.dumps([result.exit_code, result.stdout, result.stderr])
            os.write(write, payload.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the unprivileged child failed"
    code, out, err = json.loads(data)
    return int(code), str(out), str(err)


def test_a_folder_that_cannot_be_read_is_a_problem_and_the_rest_is_listed(
    shared_dir: Path,
) -> None:
    root = shared_dir / "cat"
    write_article(root, "open/a.md", title="A", webUrl="https://example.com/a",
                  publishedDateTime="2024-01-01T00:00:00Z")  # fmt: skip
    write_article(root, "locked/b.md", title="B")
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    root.chmod(0o755)
    (root / "locked").chmod(0o000)
    cache = shared_dir / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    args = ["--cache-dir", str(cache), "-C", str(root)]
    if os.geteuid() == 0:  # root reads anything: ask as someone who cannot
        # Everything the child will import is imported here first, as root.
        assert CliRunner().invoke(cli, ["list", "--no-cache", "-C", str(root)]).exit_code == 0
        assert CliRunner().invoke(cli, ["check", "--no-cache", "-C", str(root)]).exit_code == 0
        listed = _as_nobody(["list", "-f", "ids", *args])
        checked = _as_nobody(["check", "-f", "tsv", *args])
    else:
        done = run("list", "-f", "ids", *args)
        listed = (done.exit_code, done.stdout, done.stderr)
        done = run("check", "-f", "tsv", *args)
        checked = (done.exit_code, done.stdout, done.stderr)
    hint = f"1 file skipped; run `newscat check -C {root} --cache-dir {cache}`\n"
    assert listed == (0, "open/a\n", hint), listed
    assert checked[0] == 1
    assert checked[1].splitlines()[1:] == [
        f"{root}/locked\t\t\terror\tunreadable\tcannot read directory: Permission denied"
    ]


def test_a_root_that_is_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    write_article(real, "x/a.md", title="A")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    result = run("list", "-C", str(link), "-f", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    (record,) = json.loads(result.stdout)
    assert (record["id"], record["path"]) == ("x/a", f"{link}/x/a.md")


def test_overlapping_roots_give_one_article_under_the_first_roots_id(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    write_article(outer, "inner/a.md", title="A")
    write_article(outer, "b.md", title="B")
    inner = outer / "inner"
    assert ids("-C", str(outer), "-C", str(inner)) == ["b", "inner/a"]
    assert ids("-C", str(inner), "-C", str(outer)) == ["a", "b"]
    # Reached through a symlink from another root: still one article.
    other = tmp_path / "other"
    other.mkdir()
    (other / "via").symlink_to(inner, target_is_directory=True)
    assert ids("-C", str(other), "-C", str(inner)) == ["via/a"]
    assert ids("-C", str(inner), "-C", str(other)) == ["a"]
