"""``newscat browse`` in a real terminal (tmux, 80x24): start, filter, read, open, quit,
and the terminal as it was afterwards, also after Ctrl-C and SIGTERM."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import SEEDS, write_article

pytest.importorskip("textual", reason="the optional extra newscat[browse] is not installed")
if shutil.which("tmux") is None:
    pytest.skip("tmux is not installed", allow_module_level=True)

HEE_URL = (
    "https://www.hee.nhs.uk/news-blogs-events/news/"
    "new-report-finds-healthcare-staff-need-support-use-ai-safely"
)


class Terminal:
    """A shell in a detached tmux session of its own (its own server socket)."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.socket = str(workdir / "tmux.sock")
        self.session = "browse"
        exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        rc = workdir / "bashrc"
        rc.write_text(f"export {exports}\nPS1='$ '\n", encoding="utf-8")
        self.tmux(
            "new-session", "-d", "-s", self.session, "-x", "80", "-y", "24",
            f"bash --noprofile --rcfile {shlex.quote(str(rc))} -i",
        )  # fmt: skip
        self.wait_for(lambda screen: screen.rstrip().endswith("$"))

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", self.session, *(["-l"] if literal else []), *keys)

    def run(self, command: str) -> None:
        self.keys(command, literal=True)
        self.keys("Enter")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def alternate_screen(self) -> bool:
        return self.tmux("display", "-p", "-t", self.session, "#{alternate_on}").strip() == "1"

    def wait_for(self, ready: Callable[[str], bool], timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if ready(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the screen:\n{screen}")
            time.sleep(0.05)

    def wait_text(self, text: str, timeout: float = 30.0) -> str:
        return self.wait_for(lambda screen: text in screen, timeout)

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    catalog = tmp_path / "catalog"
    shutil.copytree(SEEDS, catalog)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{opened}"\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
        "NEWSCAT_CACHE_DIR": str(tmp_path / "cache"),
        "NEWSCAT_CATALOG": str(catalog),
        "BROWSER": str(browser),
        "TERM": "xterm-256color",
        "HOME": str(tmp_path),
    }
    term = Terminal(tmp_path, env)
    try:
        yield term, tmp_path
    finally:
        term.close()


def _stty(term: Terminal, name: str, folder: Path) -> str:
    target = folder / name
    term.run(f"stty -g > {shlex.quote(str(target))}")
    term.wait_for(lambda _: target.exists() and target.read_text(encoding="utf-8").strip() != "")
    return target.read_text(encoding="utf-8")


def test_start_filter_read_open_and_quit(terminal: tuple[Terminal, Path]) -> None:
    term, folder = terminal
    before = _stty(term, "before", folder)
    term.run("echo left-as-it-was; newscat browse; echo exit=$?")
    term.wait_text("newscat · 2 articles")
    assert term.alternate_screen()

    # Each key waits for what it changes to show, as a user would.
    term.keys("/")
    term.wait_text("words, t:topic, p:provider")
    term.keys("bespo", literal=True)
    term.wait_text("newscat · 1 article in 1 story · sort -date · filter: words bespo")
    term.keys("Enter")
    term.wait_for(lambda screen: "bespo" not in screen.splitlines()[-2])

    term.keys("Enter")  # read the one article left
    term.wait_text("000_50e039b255de019a")
    term.keys("o")
    term.wait_for(lambda _: (folder / "opened.txt").exists())
    assert (folder / "opened.txt").read_text(encoding="utf-8") == HEE_URL + "\n"
    term.wait_text("000_50e039b255de019a")  # the reader is back after the browser

    term.keys("q")  # back to the list
    term.wait_for(lambda screen: "000_50e039b255de019a" not in screen)
    term.keys("q")  # quit
    screen = term.wait_text("exit=0")
    assert "left-as-it-was" in screen  # the screen from before is back
    assert not term.alternate_screen()
    assert _stty(term, "after", folder) == before


def test_a_saved_search_a_topic_five_articles_the_browser_and_back(
    terminal: tuple[Terminal, Path],
) -> None:
    """Start on a saved search, filter to a topic, read five articles, open one, quit."""
    term, folder = terminal
    catalog = folder / "ethics"
    for i in range(10):
        write_article(
            catalog, f"{i}.md", title=f"Ethics piece number {i}",
            publishedDateTime=f"2024-02-{i + 1:02d}T00:00:00Z",
            webUrl=f"https://example.org/ethics/{i}", provider=f"Outlet {i}",
            topics=["AI Ethics", "Regulation" if i % 2 else "Healthcare"],
        )  # fmt: skip
    write_article(catalog, "x.md", title="Sport results", topics=["Sport"])
    (catalog / "newscat.toml").write_text(
        '[searches.ethics]\ntopic = ["AI Ethics"]\n', encoding="utf-8"
    )
    before = _stty(term, "before", folder)
    term.run(f"newscat browse -C {shlex.quote(str(catalog))} @ethics; echo exit=$?")
    term.wait_text("newscat @ethics · 10 articles in 10 stories")
    term.keys("/")
    term.wait_text("words, t:topic, p:provider")
    term.keys("t:regulation", literal=True)
    term.wait_text("newscat @ethics · 5 articles in 5 stories")
    term.keys("Enter")
    term.wait_for(lambda screen: "t:regulation" not in screen.splitlines()[-2])
    term.keys("Enter")  # the first of five, then J for each next one
    term.wait_text("example.org/ethics/9")
    for number in (7, 5, 3, 1):
        term.keys("J")
        term.wait_text(f"example.org/ethics/{number}")
    term.keys("o")
    term.wait_for(lambda _: (folder / "opened.txt").exists())
    assert (folder / "opened.txt").read_text(encoding="utf-8") == "https://example.org/ethics/1\n"
    term.keys("q")
    term.wait_for(lambda screen: "example.org/ethics/1" not in screen)
    term.keys("q")
    term.wait_text("exit=0")
    assert not term.alternate_screen()
    assert _stty(term, "after", folder) == before


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_the_terminal_is_restored_after_ctrl_c_and_sigterm(
    terminal: tuple[Terminal, Path], stop: str
) -> None:
    term, folder = terminal
    before = _stty(term, "before", folder)
    pid_file = folder / "pid"
    term.run(f"echo left-as-it-was; newscat browse & echo $! > {pid_file}; fg; echo exit=$?")
    term.wait_text("newscat · 2 articles")
    if stop == "ctrl-c":
        term.keys("C-c")
    else:
        os.kill(int(pid_file.read_text(encoding="utf-8")), 15)
    screen = term.wait_text("exit=")
    assert "left-as-it-was" in screen
    assert "Traceback" not in screen
    assert not term.alternate_screen()
    assert _stty(term, "after", folder) == before
