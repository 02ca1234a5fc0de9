"""Tab completion in real shells (bash, zsh, fish) inside tmux.

Each test types a command line, presses Tab, and checks what the shell put on
the line; most then press Enter and check that the completed command works.
A shell or tmux that is not installed skips its tests with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS, write_article

SHELLS = ("bash", "zsh", "fish")
A = "000_50e039b255de019a"


class Shell:
    """One interactive shell in a tmux session of its own, with newscat's completion loaded."""

    def __init__(self, name: str, home: Path, env: dict[str, str]) -> None:
        self.name = name
        self.socket = str(home / "tmux.sock")
        script = home / f"completion.{name}"
        script.write_text(
            subprocess.run(
                ["newscat"], env={**os.environ, **env, "_NEWSCAT_COMPLETE": f"{name}_source"},
                capture_output=True, text=True, check=True,
            ).stdout,
            encoding="utf-8",
        )  # fmt: skip
        start = {
            "bash": "bash --norc --noprofile",
            "zsh": "zsh -f",
            "fish": "fish --no-config",
        }[name]
        environment = " ".join(f"{key}={value}" for key, value in env.items())
        self.tmux("new-session", "-d", "-x", "120", "-y", "30", f"env {environment} {start}")
        setup = {
            "bash": f"PS1='$ '; source {script}",
            "zsh": f"PS1='$ '; autoload -Uz compinit; compinit -u; source {script}",
            "fish": f"function fish_prompt; echo '$ '; end; source {script}",
        }[name]
        self.tmux("send-keys", f"{setup}; clear", "Enter")
        self.wait(lambda screen: screen.strip() == "$")

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True)
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def wait(self, done: Callable[[str], bool], seconds: float = 20) -> str:
        deadline = time.monotonic() + seconds
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if done(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: the screen never showed what was expected:\n{screen}")

    def clear(self) -> None:
        """An empty screen with a prompt ready for keys. The shell must have echoed
        `clear` before Enter: a screen showing only the prompt can be the one before
        it, and keys typed while `clear` still runs are echoed twice by the terminal."""
        self.tmux("send-keys", "C-u")  # an empty line first
        self.tmux("send-keys", "-l", "clear")
        self.wait(lambda screen: _last(screen) == "$ clear")
        self.tmux("send-keys", "Enter")
        self.wait(lambda screen: screen.strip() == "$")

    def complete(self, typed: str) -> str:
        """Type ``typed``, press Tab; the command line once completion has changed it."""
        self.clear()
        self.tmux("send-keys", "-l", typed)
        before = f"$ {typed}".rstrip()
        self.wait(lambda screen: _first(screen) == before)
        self.tmux("send-keys", "Tab")
        seen: list[str] = []

        def settled(screen: str) -> bool:  # changed, and the same on two looks in a row
            line = _first(screen)
            seen.append(line)
            return line.startswith("$ ") and line != before and seen[-2:] == [line, line]

        self.wait(settled)
        return seen[-1]

    def run(self) -> list[str]:
        """Press Enter; the screen once the command has finished."""
        self.tmux("send-keys", "Enter")
        screen = self.wait(lambda s: len(s.strip().splitlines()) > 1 and s.rstrip().endswith("$"))
        return [line.rstrip() for line in screen.strip().splitlines()]

    def close(self) -> None:
        self.tmux("kill-server")


def _last(screen: str) -> str:
    lines = screen.strip().splitlines()
    return lines[-1].rstrip() if lines else ""


def _first(screen: str) -> str:
    lines = screen.strip().splitlines()
    return lines[0].rstrip() if lines else ""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home, a cache holding the seeds' index, and a catalogue of awkward topics."""
    home = tmp_path_factory.mktemp("home")
    awkward = home / "awkward"
    write_article(awkward, "001_aaaa0000bbbb1111.md", title="Awkward one",
                  topics=["Tom's $AI & (co)", "semi;colon *star*"])  # fmt: skip
    hashes = home / "hashes"
    write_article(hashes, "001_1485ef0817e09c04.md", title="First hash")
    write_article(hashes, "002_1485c98cee2d250d.md", title="Second hash")
    env = _env(home)
    for catalog in (SEEDS, awkward, hashes):
        subprocess.run(["newscat", "index", "-C", str(catalog)], env={**os.environ, **env},
                       check=True, capture_output=True)  # fmt: skip
    return home


def _env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "NEWSCAT_CACHE_DIR": str(home / "cache"),
        "NEWSCAT_CATALOG": str(SEEDS),
        "NEWSCAT_CONFIG": str(home / "none.toml"),
        "PATH": os.path.dirname(shutil.which("newscat") or sys.executable)
        + os.pathsep
        + os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
        "TERM": "xterm-256color",
    }


@pytest.fixture(scope="module", params=SHELLS)
def shell(request: pytest.FixtureRequest, home: Path) -> Iterator[Shell]:
    name = request.param
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed")
    if shutil.which("newscat") is None:
        pytest.skip("the newscat command is not on PATH (pip install -e .)")
    folder = home / name
    folder.mkdir(exist_ok=True)
    session = Shell(name, folder, _env(home))
    yield session
    session.close()


def test_a_two_word_topic_completes_into_a_working_command(shell: Shell) -> None:
    line = shell.complete("newscat list -F id -t Fa")
    assert line == "$ newscat list -F id -t Facebook\\ AI"
    assert shell.run()[1:] == ["id", A, "$"]


def test_shell_metacharacters_stay_one_word(shell: Shell, home: Path) -> None:
    line = shell.complete(f"newscat list -C {home / 'awkward'} -F title -t To")
    assert line.endswith("-t Tom\\'s\\ \\$AI\\ \\&\\ \\(co\\)")
    assert shell.run()[1:] == ["title", "Awkward one", "$"]


def test_a_descending_sort_key_completes(shell: Shell) -> None:
    assert shell.complete("newscat list --sort=-qu") == "$ newscat list --sort=-quality"
    assert shell.complete("newscat list -s date,-he") == "$ newscat list -s date,-heat"


def test_fields_and_formats_complete(shell: Shell) -> None:
    assert shell.complete("newscat list -F id,ti") == "$ newscat list -F id,title"
    assert shell.complete("newscat list -f jsonl -F ur") == "$ newscat list -f jsonl -F url"
    assert shell.complete("newscat export -f cs") == "$ newscat export -f csv"


def test_a_ref_completes_to_its_id(shell: Shell) -> None:
    assert shell.complete("newscat show 50e") == f"$ newscat show {A}"


def test_a_prefix_several_hashes_share_is_kept_and_extended(shell: Shell, home: Path) -> None:
    folder = home / "hashes"
    assert shell.complete(f"newscat show -C {folder} 148") == f"$ newscat show -C {folder} 1485"
    line = shell.complete(f"newscat show -C {folder} 1485e")
    assert line == f"$ newscat show -C {folder} 001_1485ef0817e09c04"
    shell.tmux("send-keys", "-l", " -f json | grep -m1 title")
    assert shell.run()[1:] == ['  "title": "First hash",', "$"]


def test_bash_after_an_opening_quote(shell: Shell) -> None:
    if shell.name != "bash":
        pytest.skip("bash only: zsh and fish quote by themselves")
    assert shell.complete('newscat list -F id -t "AI E') == '$ newscat list -F id -t "AI Ethics"'
    assert shell.run()[1:] == ["id", "002_6ef551387f7f8ea7", A, "$"]
