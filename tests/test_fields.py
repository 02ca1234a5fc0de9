"""The ``fields`` command: built-in fields, then every path the catalogue holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newscat.cli import cli
from newscat.where import REGISTRY
from tests.query_support import write_catalogue


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_catalogue(tmp_path_factory.mktemp("catalogue"))


def fields(root: Path, fmt: str) -> str:
    result = CliRunner().invoke(cli, ["fields", "--no-cache", "-C", str(root), "-f", fmt])
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


def test_json_lists_builtins_then_catalogue_paths(root: Path) -> None:
    rows = json.loads(fields(root, "json"))
    names = [row["name"] for row in rows]
    assert names[: len(REGISTRY)] == list(REGISTRY)
    assert names[len(REGISTRY) :] == [
        "`it's`", "meta", "meta.editor", "meta.editor.name", "meta.score", "region", "score",
        "select", "tags",
    ]  # fmt: skip
    by_name = {row["name"]: (row["type"], row["example"]) for row in rows}
    assert by_name["quality"] == ("number", 58)
    assert by_name["date"] == ("date", "2022-05-19T09:13:00Z")
    assert by_name["published"] == ("bool", False)
    assert by_name["provider.domain"] == ("text", "hee.nhs.uk")
    assert by_name["topics"] == ("list of text", ["AI Ethics", "AI"])
    assert by_name["images.width"] == ("number", 454)
    assert by_name["related.provider.name"] == ("text", "Computer Weekly")
    assert by_name["secured"] == ("text", None)
    assert by_name["tags"] == ("list of text", ["eins", "zwei"])
    assert by_name["meta.editor.name"] == ("text", "Ann O'Neil")
    assert by_name["`it's`"] == ("number", 1)
    assert by_name["age"][0] == "duration"


def test_tsv(root: Path) -> None:
    out = fields(root, "tsv").splitlines()
    assert out[0] == "name\ttype\texample"
    assert "quality\tnumber\t58" in out
    assert "topics\tlist of text\tAI Ethics; AI" in out
    assert "meta.score\tnumber\t7" in out


def test_table(root: Path) -> None:
    out = fields(root, "table")
    assert out.splitlines()[0].split() == ["name", "type", "example"]
    assert "meta.editor.name" in out


def test_every_listed_name_is_queryable(root: Path) -> None:
    runner = CliRunner()
    for row in json.loads(fields(root, "json")):
        result = runner.invoke(
            cli, ["list", "--no-cache", "-C", str(root), "-w", f"{row['name']} is not empty",
                  "--count"],
        )  # fmt: skip
        assert (result.exit_code, result.stderr) == (0, ""), row["name"]


def test_help_has_examples() -> None:
    result = CliRunner().invoke(cli, ["fields", "--help"])
    assert result.exit_code == 0
    assert "List the queryable fields, with their types and examples." in result.stdout
    assert "newscat fields -f json" in result.stdout
