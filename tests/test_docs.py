"""The README and the help text stay true to the program.

Every ``$ newscat …`` line in a fenced ``console`` block of the README runs,
exactly as a reader would copy it, against the bundled seeds, in a folder that
looks like a fresh clone (files it writes land there); it must succeed (or exit
with the code written after it as ``# exit N``), and where output follows the
line, that output must match. A line that cannot run in a test (it opens a
browser, or runs forever) says so visibly with ``# not tested: REASON``; the
test for it is skipped with that reason, so the run lists what it left out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from newscat.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The user config file the README's examples run with; the README shows it whole.
README_CONFIG = ROOT / "tests" / "readme_config.toml"
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    line: int
    command: str
    output: str | None  # None: not shown
    exit_code: int
    untested: str | None  # the reason, for a line marked "# not tested: REASON"


def _examples() -> list[Example]:
    examples: list[Example] = []
    for block in _BLOCK.finditer(README):
        first_line = README.count("\n", 0, block.start(1)) + 1
        lines = block.group(1).splitlines()
        i = 0
        while i < len(lines):
            if not lines[i].startswith("$ "):
                i += 1
                continue
            command, start = lines[i][2:], i
            i += 1
            output: list[str] = []
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            wanted = re.search(r"\s# exit (\d+)$", command)
            untested = re.search(r"\s# not tested: (.+)$", command)
            # Lines of other programs are collected only when marked, so that the run
            # lists them among what it skipped.
            if command.startswith(("newscat ", "_NEWSCAT_")) or untested:
                shown = "\n".join(output) if output else None
                code = int(wanted.group(1)) if wanted else 0
                reason = untested.group(1) if untested else None
                examples.append(Example(first_line + start, command, shown, code, reason))
    return examples


EXAMPLES = _examples()


def _bin_dir() -> str:
    """Where the newscat under test is: beside this Python, else the first on PATH."""
    here = os.path.dirname(sys.executable)
    if os.path.exists(os.path.join(here, "newscat")):
        return here
    found = shutil.which("newscat")
    return os.path.dirname(found) if found else here


def _tools(command: str) -> list[str]:
    """The programs a command line pipes into or runs after ``&&``: the words after a
    ``|`` or ``&&`` outside quotes (a ``|`` in ``grep -E '^(a|b)'`` names no program)."""
    unquoted = re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", "''", command)
    return re.findall(r"(?:\||&&)\s*(\w+)", unquoted)


def test_only_programs_decide_what_is_skipped() -> None:
    assert _tools("newscat index -q && newscat x | grep -E '^(stories|full text)'") == [
        "newscat",
        "grep",
    ]
    assert _tools('newscat list | python3 -c "import a; print(1 | 2)"') == ["python3"]


def _reader(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The environment and the folder, laid out like a fresh clone, that examples run in."""
    env = dict(
        os.environ,
        NEWSCAT_CACHE_DIR=str(tmp_path / "cache"),
        NEWSCAT_CONFIG=str(README_CONFIG),
        NEWSCAT_STATE_DIR=str(tmp_path / "state"),
        COLUMNS="100",
        PATH=_bin_dir() + os.pathsep + os.environ["PATH"],
        PYTHONPATH=str(ROOT),
    )
    env.pop("NEWSCAT_CATALOG", None)
    clone = tmp_path / "clone"
    clone.mkdir()
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (clone / entry.name).symlink_to(entry)
    return env, clone


def _missing_tool(example: Example, env: dict[str, str]) -> str | None:
    return next((t for t in _tools(example.command) if not shutil.which(t, path=env["PATH"])), None)


def _check(example: Example, env: dict[str, str], clone: Path) -> None:
    """Run the example as written, comments and all; its exit code and output as shown."""
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", example.command],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == example.exit_code, f"README:{example.line}: {done.stderr}"
    assert "Traceback" not in done.stderr
    if example.output is not None:
        got = "\n".join(line.rstrip() for line in (done.stdout + done.stderr).splitlines())
        want = "\n".join(line.rstrip() for line in example.output.splitlines())
        assert got == want, f"README:{example.line}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"README:{e.line}" for e in EXAMPLES])
def test_readme_example(example: Example, tmp_path: Path) -> None:
    if example.untested is not None:
        pytest.skip(f"README:{example.line} is marked not tested: {example.untested}")
    env, clone = _reader(tmp_path)
    missing = _missing_tool(example, env)
    if missing is not None:
        pytest.skip(f"{missing} is not installed")
    _check(example, env, clone)


def _sections() -> dict[str, list[Example]]:
    """The tested examples of each README section (by its heading) that has several."""
    headings = [(m.start(), m.group(1)) for m in re.finditer(r"^#{2,3} (.+)$", README, re.M)]
    found: dict[str, list[Example]] = {}
    for example in EXAMPLES:
        offset = len("\n".join(README.splitlines()[: example.line - 1]))
        heading = ["(the top)", *(text for start, text in headings if start <= offset)][-1]
        if example.untested is None:
            found.setdefault(heading, []).append(example)
    return {heading: examples for heading, examples in found.items() if len(examples) > 1}


SECTIONS = _sections()


@pytest.mark.parametrize("heading", list(SECTIONS))
def test_a_reader_who_runs_a_section_in_order_sees_what_it_shows(
    heading: str, tmp_path: Path
) -> None:
    """A reader copies a section's examples one after another, into one cache and one
    state dir: what each shows must hold after the ones above it ran too."""
    env, clone = _reader(tmp_path)
    for example in SECTIONS[heading]:
        if _missing_tool(example, env) is None:
            _check(example, env, clone)


def test_readme_shows_the_config_its_examples_use() -> None:
    shown = re.findall(r"^```toml\n(.*?)^```", README, re.MULTILINE | re.DOTALL)
    assert README_CONFIG.read_text(encoding="utf-8") in shown


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 20


def test_readme_examples_need_no_guessing() -> None:
    # What a reader copies must run as written: no placeholders to fill in.
    for example in EXAMPLES:
        assert not re.search(r"\{\w+\}", example.command), f"README:{example.line}"


def test_readme_opens_with_the_two_setup_commands() -> None:
    first_block = _BLOCK.search(README)
    assert first_block is not None
    assert first_block.group(1).splitlines() == [
        "$ pip install . && newscat list",
        '$ pip install -e ".[test]" && pytest',
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r'^pip install -e "\.\[test\]" && pytest\b', ci, re.MULTILINE)


COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_examples_and_a_readme_section(name: str) -> None:
    command = cli.commands[name]
    with click.Context(command, info_name=name) as ctx:
        help_text = command.get_help(ctx)
    summary = command.get_short_help_str(limit=200)
    assert summary and not summary.endswith("..."), name
    assert "Examples:" in help_text and f"newscat {name}" in help_text.split("Examples:")[1]
    assert re.search(rf"^### `newscat {name}\b", README, re.MULTILINE), f"no README section: {name}"
    for option in command.params:
        if isinstance(option, click.Option) and not option.hidden:
            assert option.help, f"{name} {option.opts} has no help"


def test_the_fast_top_level_help_is_clicks_own() -> None:
    from newscat._help import TOP_LEVEL_HELP
    from newscat.entry import render_top_level_help

    assert render_top_level_help() == TOP_LEVEL_HELP, (
        "regenerate it: python -m newscat.entry --write-help"
    )


@pytest.mark.parametrize("columns", ["80", "200", "60"])
def test_entry_point_answers_help_and_version_like_click(columns: str) -> None:
    env = dict(os.environ, COLUMNS=columns, PYTHONPATH=str(ROOT))

    def newscat(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "newscat", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    slow = subprocess.run(
        [sys.executable, "-c", "from newscat.cli import cli; cli(['--help'], prog_name='newscat')"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    assert newscat("--help") == newscat("-h") == slow
    from newscat import __version__

    assert newscat("--version") == newscat("-V") == f"newscat, version {__version__}\n"
