"""Data is inert on a terminal: markup, ANSI, OSC and control characters in
titles, messages and file names print as visible text, never as effects."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newscat.cli import cli

ESC_SGR = "\x1b[5;35m"  # blink magenta
OSC_LINK = "\x1b]8;;https://evil.example\x07"
OSC_TITLE = "\x1b]0;pwned\x1b\\"
HOSTILE_NAME = "[bold]x\x1b[5;35m.md"
HOSTILE_TITLE = "[bold red]loud[/] [link=https://evil.example]click[/link] :smile:"


def run(args: list[str], width: int = 200) -> Result:
    return CliRunner().invoke(cli, args, env={"COLUMNS": str(width)})


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    root.mkdir()
    title = HOSTILE_TITLE + ESC_SGR + OSC_LINK + "x" + OSC_TITLE + "\x07\x08\x9b31m\u202eevil"
    yaml_title = title.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    text = (
        f'---\ntitle: "{yaml_title}"\npublishedDateTime: 2022-05-19T09:13:00Z\n'
        f'webUrl: https://e.com/1\nquality: "\\e[31m"\n---\n'
    )
    (root / HOSTILE_NAME).write_text(text, encoding="utf-8")
    (root / "[red]broken\x1b]0;t\x07.md").write_text("no front matter\n", encoding="utf-8")
    return root


def assert_inert(output: str, bidi: bool = True) -> None:
    """None of the data's sequences reach the output (Rich's own styles and links may)."""
    sequences = [ESC_SGR, OSC_LINK, OSC_TITLE, "\x1b]0;", "\x1b]8;;https://evil", "\x07", "\x08"]
    sequences += ["\x9b"] + (["\u202e"] if bidi else [])
    for sequence in sequences:
        assert sequence not in output, repr(sequence)


@pytest.mark.parametrize("color", ["never", "always"])
def test_list_table_is_inert(hostile: Path, color: str) -> None:
    result = run(["list", "--no-cache", "-C", str(hostile), "-f", "table", "--color", color,
                  "-F", "id,title,quality"])  # fmt: skip
    assert result.exit_code == 0
    assert_inert(result.stdout)
    assert "[bold red]loud[/]" in result.stdout
    assert ":smile:" in result.stdout
    assert "\\x1b[5;35m" in result.stdout
    assert "[bold]x\\x1b[5;35m" in result.stdout  # the id, from the file name


def test_list_tsv_is_inert(hostile: Path) -> None:
    result = run(["list", "--no-cache", "-C", str(hostile), "-f", "tsv", "-F", "id,title"])
    assert result.exit_code == 0
    assert_inert(result.stdout)
    assert "[bold]x\\x1b[5;35m\t[bold red]loud[/]" in result.stdout
    assert "\\x07\\x08\\x9b31m\\u202eevil" in result.stdout


@pytest.mark.parametrize("command", ["list", "export"])
def test_csv_is_inert(hostile: Path, command: str) -> None:
    result = run([command, "--no-cache", "-C", str(hostile), "-f", "csv", "-F", "id,title"])
    assert result.exit_code == 0
    assert_inert(result.stdout)
    assert "\\x07\\x08\\x9b31m\\u202eevil" in result.stdout


@pytest.mark.parametrize("fmt", ["table", "tsv", "json"])
def test_check_output_is_inert(hostile: Path, fmt: str) -> None:
    result = run(["check", "--no-cache", "-C", str(hostile), "-f", fmt, "--color", "always"])
    assert result.exit_code == 1
    assert_inert(result.stdout)
    assert_inert(result.stderr)
    assert "[red]broken" in result.stdout
    assert "bad-score" in result.stdout


def test_check_json_stays_valid_json(hostile: Path) -> None:
    import json

    result = run(["check", "--no-cache", "-C", str(hostile), "-f", "json"])
    files = {Path(r["file"]).name for r in json.loads(result.stdout)}
    assert files == {HOSTILE_NAME, "[red]broken\x1b]0;t\x07.md"}


def test_open_prints_urls_and_ids_inert(tmp_path: Path) -> None:
    """A URL from a file is printed percent-encoded (the same address, nothing a terminal
    acts on), and an id in an error as ``-f ids`` prints it."""
    root = tmp_path / "cat"
    root.mkdir()
    url = "https://ok.example/a b\x1b]0;HACKED\x07\x1b[2J\u202e\x9b"
    yaml_url = url.encode("unicode_escape").decode("ascii")
    (root / "d.md").write_text(f'---\ntitle: D\nwebUrl: "{yaml_url}"\n---\n', encoding="utf-8")
    (root / "n\x1b]0;T\x07.md").write_text("---\ntitle: N\n---\n", encoding="utf-8")
    result = run(["open", "--no-cache", "-C", str(root), "--print", "d"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "https://ok.example/a%20b%1B]0;HACKED%07%1B[2J%E2%80%AE%C2%9B\n"
    result = run(["open", "--no-cache", "-C", str(root), "n"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: no webUrl: n\\x1b]0;T\\x07\n"
