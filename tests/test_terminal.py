"""newscat at a real terminal: the pager, the default limit and its footer, empty answers.

The pty tests run ``python -m newscat`` with a pseudo-terminal as stdin, stdout
and stderr, sized 80x24, and a recording pager (a small script that copies
what it is given to a file). The tmux test runs the real ``less``.
"""

from __future__ import annotations

import fcntl
import os
import pty
import random
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from newscat.render import MARKDOWN_LIMIT
from tests.conftest import ROOT, SEEDS, run, write_article

RECORDER = """\
import sys
data = sys.stdin.read()
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write(data)
"""


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 articles, one a day, so that the newest first is predictable."""
    folder = tmp_path_factory.mktemp("big")
    for i in range(120):
        day = f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}T12:00:00Z"
        write_article(
            folder, f"{i:03d}_{i:04x}{'ab' * 6}.md", title=f"Article number {i}",
            publishedDateTime=day, quality=50, heat=40, topics=["AI Ethics"],
            provider={"name": "Example", "domain": "example.org"},
        )  # fmt: skip
    return folder


def in_pty(
    args: list[str],
    env: dict[str, str],
    columns: int = 80,
    lines: int = 24,
    unset: tuple[str, ...] = (),
    cwd: Path = ROOT,
) -> str:
    """Run newscat with a terminal of ``columns`` x ``lines``; everything it showed there.
    ``unset`` names variables to remove from the environment unless ``env`` sets them."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    inherited = {k: v for k, v in os.environ.items() if k not in unset}
    full_env = dict(inherited, **env, PYTHONPATH=str(ROOT), TERM="xterm-256color")
    full_env.pop("COLUMNS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "newscat", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        cwd=str(cwd),
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the process ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    process.wait(timeout=30)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def plain(text: str) -> str:
    """Terminal text without its styles (NO_COLOR keeps dim and bold, as it should)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[dict[str, str], Path]:
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER, encoding="utf-8")
    seen = tmp_path / "paged.txt"
    env = {
        "NEWSCAT_PAGER": f"{sys.executable} {script} {seen}",
        "NEWSCAT_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "1",
    }
    return env, seen


def test_a_long_table_goes_through_the_pager_then_the_footer(
    big: Path, recorder: tuple[dict[str, str], Path]
) -> None:
    env, seen = recorder
    shown = in_pty(["list", "-C", str(big)], env)
    paged = plain(seen.read_text(encoding="utf-8")).splitlines()
    assert paged[0].split() == ["ref", "date", "title", "provider", "quality", "heat", "topics"]
    assert len(paged) == 51  # the header and the first 50, newest first
    assert paged[1].split()[1:4] == ["2024-05-08", "Article", "number"]
    assert all(len(line) <= 80 for line in paged)
    assert shown.strip() == "\x1b[2m50 of 120 · -n N or --all for more\x1b[0m"  # dim


def test_a_short_table_is_written_directly_without_a_footer(
    big: Path, recorder: tuple[dict[str, str], Path]
) -> None:
    env, seen = recorder
    shown = in_pty(["list", "-C", str(big), "-n", "5"], env)
    assert not seen.exists()
    assert len(shown.strip().splitlines()) == 6
    assert "of 120" not in shown


def test_no_pager_writes_directly(big: Path, recorder: tuple[dict[str, str], Path]) -> None:
    env, seen = recorder
    shown = plain(in_pty(["list", "-C", str(big), "--no-pager"], env)).strip().splitlines()
    assert not seen.exists()
    assert len(shown) == 52
    assert shown[-1] == "50 of 120 · -n N or --all for more"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--no-pager", "list"], {}),  # before the command, as git takes it
        (["list"], {"NEWSCAT_PAGER": "cat"}),
        (["list"], {"NEWSCAT_PAGER": ""}),
        (["list"], {"PAGER": "cat"}),
        (["list"], {"PAGER": ""}),
    ],
    ids=["--no-pager first", "NEWSCAT_PAGER=cat", "NEWSCAT_PAGER=", "PAGER=cat", "PAGER="],
)
def test_the_environment_or_a_leading_flag_turns_the_pager_off(
    big: Path, tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    base = {"NEWSCAT_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1", "PAGER": "false"}
    if "NEWSCAT_PAGER" not in env and args[0] != "list":
        env = {**env, "NEWSCAT_PAGER": "false"}  # a pager that shows nothing
    shown = plain(in_pty([*args, "-C", str(big)], {**base, **env}, unset=("NEWSCAT_PAGER",)))
    lines = shown.strip().splitlines()
    assert len(lines) == 52
    assert lines[1].split()[1:4] == ["2024-05-08", "Article", "number"]
    assert lines[-1] == "50 of 120 · -n N or --all for more"


def test_template_lines_on_a_terminal_are_limited_and_paged_like_a_table(
    big: Path, recorder: tuple[dict[str, str], Path]
) -> None:
    env, seen = recorder
    shown = in_pty(["list", "-C", str(big), "--template", "{ref} {title}"], env)
    paged = seen.read_text(encoding="utf-8").splitlines()
    assert len(paged) == 50
    assert paged[0].split()[1:] == ["Article", "number", "119"]
    assert plain(shown).strip() == "50 of 120 · -n N or --all for more"


def test_all_shows_every_row_and_no_footer(
    big: Path, recorder: tuple[dict[str, str], Path]
) -> None:
    env, seen = recorder
    shown = in_pty(["list", "-C", str(big), "--all"], env)
    assert len(seen.read_text(encoding="utf-8").splitlines()) == 121
    assert shown.strip() == ""


def test_the_config_file_limit_and_pager(
    big: Path, recorder: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, seen = recorder
    config = tmp_path / "config.toml"
    pager = env.pop("NEWSCAT_PAGER").replace("\\", "\\\\")
    config.write_text(f'[defaults]\nlimit = 30\npager = "{pager}"\n', encoding="utf-8")
    shown = plain(in_pty(["list", "-C", str(big)], {**env, "NEWSCAT_CONFIG": str(config)}))
    assert len(seen.read_text(encoding="utf-8").splitlines()) == 31
    assert shown.strip() == "30 of 120 · -n N or --all for more"


def test_a_missing_pager_falls_back_to_writing_directly(big: Path, tmp_path: Path) -> None:
    env = {"NEWSCAT_PAGER": "no-such-pager-here -R", "NEWSCAT_CACHE_DIR": str(tmp_path / "c")}
    shown = plain(in_pty(["list", "-C", str(big), "-n", "40"], {**env, "NO_COLOR": "1"}))
    lines = shown.strip().splitlines()
    assert lines[0] == (
        "newscat: warning: pager 'no-such-pager-here -R' not found; writing directly"
    )
    assert len(lines) == 42


def test_an_empty_table_on_a_terminal_says_so(tmp_path: Path) -> None:
    env = {"NEWSCAT_CACHE_DIR": str(tmp_path / "c"), "NO_COLOR": "1"}
    shown = plain(in_pty(["list", "-C", str(SEEDS), "-t", "AI Ethic"], env))
    assert shown.strip().splitlines() == [
        "no topic 'AI Ethic'; did you mean 'AI Ethics'?",
        "No articles match.",
    ]
    shown = plain(in_pty(["topics", "-C", str(SEEDS), "--min-quality", "99"], env))
    assert shown.strip() == "No topics match."


def test_the_samples_shown_by_default_in_a_folder_of_articles_say_how_to_read_those(
    tmp_path: Path,
) -> None:
    """Changed into a catalogue and forgot ``-C``: the bundled samples are listed, and a
    line on the terminal's stderr says so; not where nothing here is an article, nor
    when a catalogue was named, nor in a pipe."""
    env = {"NEWSCAT_CACHE_DIR": str(tmp_path / "c"), "NO_COLOR": "1"}
    unset = ("NEWSCAT_CATALOG", "NEWSCAT_CONFIG")
    env["NEWSCAT_CONFIG"] = str(tmp_path / "none.toml")
    note = "newscat: warning: showing the bundled samples; -C . reads the articles here"
    site = tmp_path / "site"
    write_article(site, "post.md", title="Mine", publishedDateTime="2024-01-01T00:00:00Z")
    shown = plain(in_pty(["list", "-F", "id"], env, unset=unset, cwd=site))
    samples = ["id", "002_6ef551387f7f8ea7", "000_50e039b255de019a"]
    assert [line.rstrip() for line in shown.splitlines()] == [note, *samples]
    shown = plain(in_pty(["list", "-C", ".", "-F", "id"], env, unset=unset, cwd=site))
    assert [line.rstrip() for line in shown.splitlines()] == ["id", "post"]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "README.md").write_text("# Only a readme\n")
    shown = plain(in_pty(["list", "-F", "id", "-n", "1"], env, unset=unset, cwd=docs))
    assert not shown.startswith("newscat:"), shown
    full_env = {k: v for k, v in os.environ.items() if k not in unset}
    toml = tmp_path / "zola"  # TOML front matter, as a Zola or Hugo site writes it
    toml.mkdir()
    (toml / "post.md").write_text('+++\ntitle = "Mine"\ndate = 2024-01-01\n+++\nBody\n')
    shown = plain(in_pty(["list", "-F", "id"], env, unset=unset, cwd=toml))
    assert shown.splitlines()[0] == note
    piped = subprocess.run(
        [sys.executable, "-m", "newscat", "list", "-F", "id", "-n", "1"],
        env=dict(full_env, **env, PYTHONPATH=str(ROOT)), cwd=site, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert (piped.returncode, piped.stderr) == (0, "")


def test_show_pages_a_long_article(tmp_path: Path, recorder: tuple[dict[str, str], Path]) -> None:
    env, seen = recorder
    folder = tmp_path / "long"
    body = "\n\n".join(f"Paragraph {i} of a long body." for i in range(40))
    write_article(folder, "001_0123456789abcdef.md", body=body, title="Long")
    shown = in_pty(["show", "-C", str(folder), "0123"], env)
    assert "Paragraph 39 of a long body." in seen.read_text(encoding="utf-8")
    assert shown.strip() == ""


def test_show_pages_a_huge_article_whole_as_plain_text(
    tmp_path: Path, recorder: tuple[dict[str, str], Path]
) -> None:
    env, seen = recorder
    folder = tmp_path / "huge"
    body = "# Heading\n\n" + "\n".join(f"Line {i} of a huge body." for i in range(9000))
    write_article(folder, "001_0123456789abcdef.md", body=body, title="Huge")
    assert len(body) > MARKDOWN_LIMIT
    shown = in_pty(["show", "-C", str(folder), "0123"], env)
    assert shown.strip() == ""
    paged = plain(seen.read_text(encoding="utf-8")).splitlines()
    said = paged.index(f"{len(body):,} characters: shown as plain text, not rendered as Markdown")
    assert [line.rstrip() for line in paged[said + 2 :]] == body.splitlines()


def test_in_a_pipe_everything_and_no_footer(big: Path) -> None:
    result = run("list", "-C", str(big), "--no-header")
    assert (len(result.stdout.splitlines()), result.stderr) == (120, "")


def test_limit_and_all_cannot_be_combined() -> None:
    result = run("list", "-n", "3", "--all")
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: -n/--limit and -a/--all cannot be used together\n",
    )


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")
def test_the_real_less_in_tmux(big: Path, tmp_path: Path) -> None:
    """At 80x24 the table opens in less; q leaves it, and the footer follows."""
    socket = str(tmp_path / "tmux.sock")
    env = {
        "PYTHONPATH": str(ROOT),
        "NEWSCAT_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "1",
        "PS1": "$ ",
    }
    exports = " ".join(f"{key}={value!r}" for key, value in env.items())
    command = f"{sys.executable} -m newscat list -C {big}"

    def tmux(*args: str) -> str:
        done = subprocess.run(["tmux", "-S", socket, *args], capture_output=True, text=True)
        return done.stdout

    tmux("new-session", "-d", "-x", "80", "-y", "24", "env -u PAGER -u NEWSCAT_PAGER bash --norc")
    try:
        tmux("send-keys", f"export {exports}; clear; {command}", "Enter")
        screen = _wait_for(lambda: tmux("capture-pane", "-p"), lambda s: s.rstrip().endswith(":"))
        assert screen.splitlines()[0].split()[0] == "ref"
        tmux("send-keys", "q")
        screen = _wait_for(lambda: tmux("capture-pane", "-p"), lambda s: "50 of 120" in s)
        assert "50 of 120 · -n N or --all for more" in screen
    finally:
        tmux("kill-server")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("columns", [80, 120])
def test_every_handle_on_the_screen_typed_into_show_names_its_row(
    tmp_path: Path, columns: int
) -> None:
    """Read the table off a real terminal, then type each ref seen there into show."""
    folder = tmp_path / "mixed"
    rng = random.Random(columns)
    names = [f"{2020 + i % 3}/{i:03d}_1485{rng.getrandbits(48):012x}.md" for i in range(8)]
    names += ["blog/2024-release-3.md", "news/2024-release-3.md", "blog/launch-day.md"]
    for day, name in enumerate(names, start=1):
        write_article(folder, name, title=f"Title of {name}",
                      publishedDateTime=f"2024-01-{day:02d}T12:00:00Z")  # fmt: skip
    socket = str(tmp_path / "tmux.sock")
    env = {
        "PYTHONPATH": str(ROOT),
        "NEWSCAT_CACHE_DIR": str(tmp_path / "cache"),
        "NEWSCAT_CATALOG": str(folder),
        "NO_COLOR": "1",
        "PS1": "$ ",
    }
    exports = " ".join(f"{key}={value!r}" for key, value in env.items())
    newscat = f"{sys.executable} -m newscat"

    def tmux(*args: str) -> str:
        done = subprocess.run(["tmux", "-S", socket, *args], capture_output=True, text=True)
        return done.stdout

    def screen() -> str:
        return tmux("capture-pane", "-p")

    tmux("new-session", "-d", "-x", str(columns), "-y", "40", "bash --norc")
    try:
        tmux(
            "send-keys",
            f"export {exports}; clear; {newscat} list -F ref,title; echo done-$((6 * 7))",
            "Enter",
        )
        # The typed line may wrap anywhere; only the output says "done-42".
        shown = _wait_for(screen, lambda s: "done-42" in s).splitlines()
        top = next(i for i, line in enumerate(shown) if line.split()[:2] == ["ref", "title"])
        rows = [line.split(None, 1) for line in shown[top + 1 : top + 1 + len(names)]]
        assert len(rows) == len(names)
        for n, (ref, title) in enumerate(rows):
            command = f"{newscat} show {ref} -f json | grep -m1 title; echo end-$((40 + {n}))"
            tmux("send-keys", f"clear; {command}", "Enter")
            seen = _wait_for(screen, lambda s, n=n: f"\nend-{40 + n}" in s)
            assert f'"title": "{title.strip()}",' in seen, (ref, seen)
    finally:
        tmux("kill-server")


def _wait_for(read: object, done: object, seconds: float = 30) -> str:
    assert callable(read) and callable(done)
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        text = str(read())
        if done(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"the terminal never showed what was expected:\n{text}")


def test_tables_show_local_days_and_machine_formats_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "AAA+10")  # ten hours behind UTC, in POSIX form
    time.tzset()
    try:
        table = run("list", "-f", "table", "-F", "ref,date").stdout.splitlines()
        assert [line.rstrip() for line in table] == [
            "ref   date",
            "6ef5  2022-11-01",
            "50e0  2022-05-18",
        ]
        assert run("list", "-F", "date", "--no-header").stdout == (
            "2022-11-02T08:30:00Z\n2022-05-19T09:13:00Z\n"
        )
        page = run("show", "6ef5", "--now", "2023-11-02").stdout
        assert "date       2022-11-01 22:30 AAA · 12 months ago" in [
            x.rstrip() for x in page.splitlines()
        ]
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
