"""``--debug`` works wherever the user puts it, and nothing else shows a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from newscat.app import App
from newscat.cli import cli


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command that opens the catalogue fails with an unexpected error."""

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(App, "open", fail)


@pytest.mark.usefixtures("broken")
def test_without_debug_an_unexpected_error_is_one_line() -> None:
    result = CliRunner().invoke(cli, ["list"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: internal error: RuntimeError: boom (run again with --debug for details)\n"
    )


@pytest.mark.usefixtures("broken")
@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--debug", "list"], {}),
        (["list", "--debug"], {}),
        (["list"], {"NEWSCAT_DEBUG": "1"}),
        (["--debug", "topics", "-f", "json"], {}),
    ],
    ids=["before the command", "after the command", "environment", "another command"],
)
def test_debug_lets_the_traceback_through(args: list[str], env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, args, env=env)
    assert isinstance(result.exception, RuntimeError)
    assert str(result.exception) == "boom"
    assert "run again with --debug" not in result.stderr


@pytest.mark.usefixtures("broken")
def test_newscat_debug_0_is_off() -> None:
    result = CliRunner().invoke(cli, ["list"], env={"NEWSCAT_DEBUG": "0"})
    assert result.exit_code == 1
    assert "run again with --debug" in result.stderr


def test_debug_before_the_command_is_not_an_unknown_option() -> None:
    result = CliRunner().invoke(cli, ["--debug", "list", "--no-cache", "-f", "ids"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert sorted(result.stdout.splitlines()) == ["000_50e039b255de019a", "002_6ef551387f7f8ea7"]
