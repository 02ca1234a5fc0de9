"""Scripting hygiene: pipes, colour, stdout for data only, shell completion and open."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from newscat.cli import cli
from newscat.complete import complete_providers, complete_refs, complete_topics
from tests.conftest import write_article

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
A = "000_50e039b255de019a"
B = "002_6ef551387f7f8ea7"
URL_A = "https://www.hee.nhs.uk/news-blogs-events/news/new-report-finds-healthcare-staff-need-support-use-ai-safely"
URL_B = "https://www.digitalhealth.net/2022/11/nhs-report-calls-for-artificial-intelligence-training-for-all-staff/"


@pytest.fixture
def env(tmp_path: Path, catalog: Path) -> dict[str, str]:
    """An environment whose default catalogue and cache are this test's own."""
    return {
        "NEWSCAT_CATALOG": str(catalog),
        "NEWSCAT_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "",
        "FORCE_COLOR": "",
    }


def _shell(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        check=False,
    )


NEWSCAT = f"{sys.executable} -m newscat"


# --- pipes -----------------------------------------------------------------------------------


def test_list_into_head_ends_quietly(env: dict[str, str]) -> None:
    done = _shell(f"{NEWSCAT} list | head -1", env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "id\tdate\ttitle\tprovider\tquality\theat\ttopics\n"


def test_a_long_output_into_head_ends_quietly(env: dict[str, str], catalog: Path) -> None:
    """Far more than a pipe buffer, so the writer really meets a closed pipe."""
    text = (SEEDS / f"{A}.txt").read_text(encoding="utf-8")
    for i in range(300):
        (catalog / f"copy_{i:04d}.md").write_text(text, encoding="utf-8")
    for command in ("list -f jsonl", "export", "list -f csv", "list -0"):
        done = _shell(f"{NEWSCAT} {command} | head -c 100 >/dev/null", env)
        assert (done.returncode, done.stderr) == (0, ""), command


def test_ids_into_xargs_0(env: dict[str, str]) -> None:
    done = _shell(f"{NEWSCAT} list -0 | xargs -0 -n1 echo id:", env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"id: {B}\nid: {A}\n"


def test_stdout_carries_data_only(env: dict[str, str], catalog: Path) -> None:
    (catalog / "broken.md").write_text("no front matter\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["list", "-f", "ids"], env=env)
    assert result.stdout == f"{B}\n{A}\n"
    assert "1 file skipped" in result.stderr


# --- colour ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tsv", "csv", "json", "jsonl", "ids", "paths", "markdown"])
@pytest.mark.parametrize(
    "extra_env, args",
    [({"FORCE_COLOR": "1"}, []), ({}, ["--color", "always"]), ({"NO_COLOR": "1"}, [])],
)
def test_machine_formats_never_carry_ansi_or_box_drawing(
    env: dict[str, str], fmt: str, extra_env: dict[str, str], args: list[str]
) -> None:
    result = CliRunner().invoke(cli, ["list", "-f", fmt, *args], env={**env, **extra_env})
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    assert not any("\u2500" <= char <= "\u257f" for char in result.stdout)


def test_table_colour_follows_color_no_color_and_force_color(env: dict[str, str]) -> None:
    def table(*args: str, **extra: str) -> str:
        result = CliRunner().invoke(cli, ["list", "-f", "table", *args], env={**env, **extra})
        assert result.exit_code == 0
        return result.stdout

    colour = re.compile(r"\x1b\[[0-9;]*(?:3[0-7]|9[0-7]|38;)")
    assert colour.search(table("--color", "always"))
    assert colour.search(table(FORCE_COLOR="1"))
    assert not colour.search(table(NO_COLOR="1", FORCE_COLOR="1"))  # bold may stay
    assert "\x1b[" not in table("--color", "never", FORCE_COLOR="1")
    assert "\x1b[" not in table()  # not a terminal


# --- completion ------------------------------------------------------------------------------


def _complete(env: dict[str, str], words: str) -> list[str]:
    """Run click's bash completion protocol, as the shell script does."""
    parts = shlex.split(words) + ([""] if words.endswith(" ") else [])
    result = CliRunner().invoke(
        cli,
        [],
        prog_name="newscat",
        env={
            **env,
            "_NEWSCAT_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
        },
    )
    assert result.exit_code == 0
    assert result.stderr == ""
    return [line for line in result.stdout.splitlines() if line]


@pytest.fixture
def indexed(env: dict[str, str]) -> dict[str, str]:
    assert CliRunner().invoke(cli, ["index"], env=env).exit_code == 0
    return env


def test_completion_offers_seed_topics(indexed: dict[str, str]) -> None:
    assert _complete(indexed, "newscat list --topic ") == [
        "plain,AI",
        r"plain,AI\ Ethics",
        r"plain,AI\ in\ Healthcare",
        r"plain,Facebook\ AI",
    ]
    assert _complete(indexed, "newscat list -t fa") == [r"plain,Facebook\ AI"]
    assert _complete(indexed, "newscat export -t ai\\ i") == [r"plain,AI\ in\ Healthcare"]


def test_completion_offers_providers_and_refs(indexed: dict[str, str]) -> None:
    assert _complete(indexed, "newscat list -p d") == [
        r"plain,Digital\ Health",
        "plain,digitalhealth.net",
    ]
    assert _complete(indexed, "newscat open 00") == [f"plain,{A}", f"plain,{B}"]
    assert _complete(indexed, "newscat open 6ef") == [f"plain,{B}"]


def test_completion_of_commands_and_options(env: dict[str, str]) -> None:
    assert "plain,export" in _complete(env, "newscat ex")
    assert "plain,--fail-empty" in _complete(env, "newscat list --fa")


def test_completion_reads_the_catalogue_the_command_line_names(
    tmp_path: Path, indexed: dict[str, str]
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(SEEDS / f"{B}.txt", other)
    words = f"newscat list -C {other} --cache-dir {tmp_path / 'cache'} -t "
    assert _complete(indexed, words) == []  # not indexed yet: no refresh, no values
    CliRunner().invoke(cli, ["index", "-C", str(other)], env=indexed)
    assert _complete(indexed, words) == [
        "plain,AI",
        r"plain,AI\ Ethics",
        r"plain,AI\ in\ Healthcare",
    ]


def test_completion_without_an_index_is_silent_and_creates_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert _complete(env, "newscat list --topic ") == []
    assert not (tmp_path / "cache").exists()
    assert _complete({**env, "NEWSCAT_CATALOG": "/no/such/dir"}, "newscat list -t ") == []


def test_completion_callbacks_directly(indexed: dict[str, str], monkeypatch: Any) -> None:
    for key, value in indexed.items():
        monkeypatch.setenv(key, value)
    command = cli.commands["list"]
    ctx = click.Context(command, info_name="list")
    ctx.params = {"catalog": (), "cache_dir": None, "no_cache": False}
    param = next(p for p in command.params if p.name == "topic")
    assert [item.value for item in complete_topics(ctx, param, "ai e")] == ["AI Ethics"]
    assert complete_topics(ctx, param, "ai")[0].help == "2 articles"
    assert [item.value for item in complete_providers(ctx, param, "hee")] == ["hee.nhs.uk"]
    assert [item.value for item in complete_refs(ctx, param, "50e")] == [A]
    ctx.params["no_cache"] = True
    assert complete_topics(ctx, param, "") == []
    ctx.params = {"catalog": (object(),)}  # anything going wrong means no completions
    assert complete_topics(ctx, param, "") == []


def test_completion_offers_nothing_a_terminal_acts_on(tmp_path: Path, monkeypatch: Any) -> None:
    # The shell prints what completion offers: values and descriptions come from files.
    root = tmp_path / "cat"
    root.mkdir()
    (root / "evil\x1b[2J.md").write_text(
        '---\ntitle: "Clear\\e[2J screen"\nurl: https://x.example/a\n'
        'provider: "Evil\\e]0;owned\\a"\ntopics: ["AI\\e[31m red", AI Safety]\n---\n'
    )
    (root / "plain.md").write_text(
        "---\ntitle: Plain\nurl: https://y.example/b\nprovider: Evident\ntopics: [AI Ethics]\n---\n"
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["index", "-C", str(root), "-q"]).exit_code == 0
    monkeypatch.setenv("NEWSCAT_CATALOG", str(root))
    command = cli.commands["list"]
    ctx = click.Context(command, info_name="list")
    ctx.params = {"catalog": (), "cache_dir": None, "no_cache": False}
    param = next(p for p in command.params if p.name == "topic")
    assert [item.value for item in complete_topics(ctx, param, "ai")] == ["AI Ethics", "AI Safety"]
    assert [item.value for item in complete_providers(ctx, param, "ev")] == ["Evident"]
    refs = complete_refs(ctx, param, "evil")
    assert [(item.value, item.help) for item in refs] == [("evil\\x1b[2J", "Clear\\x1b[2J screen")]


def test_completion_reads_the_catalogue_your_config_file_names(
    tmp_path: Path, monkeypatch: Any
) -> None:
    folder = tmp_path / "configured"
    write_article(folder, "a.md", title="A", topics=["Configured Topic"])
    config = tmp_path / "user-config.toml"
    config.write_text(f'[defaults]\ncatalog = "{folder}"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSCAT_CONFIG", str(config))
    monkeypatch.setenv("NEWSCAT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NEWSCAT_CATALOG", raising=False)
    assert CliRunner().invoke(cli, ["index"]).exit_code == 0
    command = cli.commands["list"]
    ctx = click.Context(command, info_name="list")
    ctx.params = {"catalog": (), "cache_dir": None, "no_cache": False}
    param = next(p for p in command.params if p.name == "topic")
    assert [item.value for item in complete_topics(ctx, param, "conf")] == ["Configured Topic"]


def test_refs_complete_to_what_extends_the_typed_text(tmp_path: Path, monkeypatch: Any) -> None:
    folder = tmp_path / "site"
    for name, title in [("001_1485ef0817e09c04.md", "First hash"),
                        ("002_1485c98cee2d250d.md", "Second hash"),
                        ("blog/2024-release-3.md", "Blog release"),
                        ("news/2024-release-3.md", "News release"),
                        ("blog/launch-day.md", "Launch")]:  # fmt: skip
        write_article(folder, name, title=title)
    monkeypatch.setenv("NEWSCAT_CACHE_DIR", str(tmp_path / "cache"))
    assert CliRunner().invoke(cli, ["index", "-C", str(folder)]).exit_code == 0
    command = cli.commands["show"]
    ctx = click.Context(command, info_name="show")
    ctx.params = {"catalog": (str(folder),), "cache_dir": None, "no_cache": False}
    param = command.params[0]

    def offered(typed: str) -> list[tuple[str, str | None]]:
        return [(item.value, item.help) for item in complete_refs(ctx, param, typed)]

    # several hashes: the hashes, so that the shell keeps "148" and extends it to "1485"
    assert offered("148") == [
        ("1485c98cee2d250d", "Second hash"),
        ("1485ef0817e09c04", "First hash"),
    ]
    assert offered("1485e") == [("001_1485ef0817e09c04", "First hash")]  # one: its id
    assert offered("00") == [
        ("001_1485ef0817e09c04", "First hash"),
        ("002_1485c98cee2d250d", "Second hash"),
    ]
    assert offered("laun") == [("blog/launch-day", "Launch")]
    assert offered("2024-rel") == [
        ("2024-release-3", "2 articles: blog/2024-release-3, news/2024-release-3")
    ]
    assert offered("zz") == []


@pytest.mark.parametrize(
    "shell, marker",
    [
        ("bash", "complete -o nosort -F"),
        ("zsh", "#compdef newscat"),
        ("fish", "complete --no-files --command newscat"),
    ],
)
def test_completion_scripts(shell: str, marker: str) -> None:
    result = CliRunner().invoke(
        cli, [], prog_name="newscat", env={"_NEWSCAT_COMPLETE": f"{shell}_source"}
    )
    assert result.exit_code == 0
    assert marker in result.stdout


# --- open ------------------------------------------------------------------------------------


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The URLs handed to the system's launcher (``click.launch``), with an ``xdg-open``
    on the PATH, as a desktop has."""
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "xdg-open").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    (tools / "xdg-open").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ.get('PATH', '')}")
    calls: list[str] = []

    def launch(url: str, wait: bool = False, locate: bool = False) -> int:
        calls.append(url)
        return 0

    monkeypatch.setattr(click, "launch", launch)
    return calls


def _no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)


def test_open_launches_the_browser(
    env: dict[str, str], launched: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_browser(monkeypatch)
    result = CliRunner().invoke(cli, ["open", "50e039"], env={**env, "DISPLAY": ":0"})
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert launched == [URL_A]


def test_open_prints_the_url_without_a_browser(
    env: dict[str, str], launched: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_browser(monkeypatch)
    result = CliRunner().invoke(cli, ["open", A], env=env)
    assert (result.exit_code, result.stdout) == (0, URL_A + "\n")
    assert launched == []
    result = CliRunner().invoke(cli, ["open", "--print", A], env={**env, "DISPLAY": ":0"})
    assert (result.exit_code, result.stdout) == (0, URL_A + "\n")
    assert launched == []


def test_open_prints_the_url_when_the_launcher_fails(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_browser(monkeypatch)
    monkeypatch.setattr(click, "launch", lambda url, wait=False, locate=False: 3)
    browser = "newscat-test-no-such-browser"  # not found: the system's launcher is asked
    result = CliRunner().invoke(cli, ["open", "000"], env={**env, "BROWSER": browser})
    assert (result.exit_code, result.stdout) == (0, URL_A + "\n")


def test_open_prints_the_url_without_xdg_open(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With no ``xdg-open`` the system has no launcher: the URL is printed, not handed to
    a launcher that would say it was opened whatever happened."""
    _no_browser(monkeypatch)
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    asked: list[str] = []
    monkeypatch.setattr(click, "launch", lambda url, wait=False, locate=False: asked.append(url))
    browser = "newscat-test-no-such-browser"
    result = CliRunner().invoke(
        cli, ["open", "000"], env={**env, "BROWSER": browser, "DISPLAY": ":0"}
    )
    assert (result.exit_code, result.stdout, result.stderr, asked) == (0, URL_A + "\n", "", [])


def test_open_runs_the_browser_the_config_file_names(
    env: dict[str, str], launched: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_browser(monkeypatch)
    opened = tmp_path / "opened.txt"
    script = tmp_path / "my browser"
    script.write_text(f'#!/bin/sh\nprintf "%s|%s\\n" "$1" "$2" >> "{opened}"\n', encoding="utf-8")
    script.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(f"[defaults]\nbrowser = '\"{script}\" --new-tab %s'\n", encoding="utf-8")
    # The config file's browser wins over $BROWSER, as git's web.browser does.
    environ = {**env, "NEWSCAT_CONFIG": str(config), "BROWSER": "newscat-test-no-such-browser"}

    result = CliRunner().invoke(cli, ["open", A, "6ef5"], env=environ)

    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert opened.read_text(encoding="utf-8") == f"--new-tab|{URL_A}\n--new-tab|{URL_B}\n"
    assert launched == []


def test_open_refs_by_path_and_errors(
    env: dict[str, str], catalog: Path, launched: list[str]
) -> None:
    result = CliRunner().invoke(cli, ["open", "--print", str(catalog / f"{A}.txt")], env=env)
    assert result.stdout == URL_A + "\n"
    result = CliRunner().invoke(cli, ["open", "0"], env=env)
    assert result.exit_code == 1
    assert A in result.stderr and B in result.stderr
    result = CliRunner().invoke(cli, ["open", "zzz"], env=env)
    assert result.exit_code == 1
    assert "zzz" in result.stderr
    assert launched == []


def test_open_never_launches_a_non_http_url(
    env: dict[str, str], catalog: Path, launched: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_browser(monkeypatch)
    text = (catalog / f"{A}.txt").read_text(encoding="utf-8")
    text = text.replace('webUrl: "https://www.hee', 'webUrl: "file:///etc/passwd#https://www.hee')
    (catalog / f"{A}.txt").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["open", A], env={**env, "DISPLAY": ":0"})
    assert result.stdout.startswith("file:///etc/passwd")
    assert launched == []
