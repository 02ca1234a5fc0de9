"""Configuration files: what they may hold, and one clear error with file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from newscat.config import (
    CATALOG_FILE,
    CatalogConfig,
    ConfigError,
    Defaults,
    load_catalog_config,
    load_toml,
    load_user_config,
    state_dir,
    user_config_path,
)


def _write(folder: Path, text: str, name: str = CATALOG_FILE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- TOML errors carry the position --------------------------------------------------------

BAD_TOML = [
    # (text, line, column of the error; None where parsers may disagree on the column)
    ('exclude = ["a",\n  "b"\n  oops\n]\n', 3, 3),
    ("[fields]\ndate = \n", 2, 8),
    ("[searches.x]\ntopic = 'a'\ntopic = 'b'\n", 3, None),
    ('title = "unterminated\n', 1, None),
]


@pytest.mark.parametrize(("text", "line", "column"), BAD_TOML)
def test_bad_toml_names_file_line_and_column(
    tmp_path: Path, text: str, line: int, column: int | None
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_toml(path)
    error = caught.value
    assert (error.path, error.line) == (str(path), line)
    assert error.column is not None
    assert column is None or error.column == column
    assert str(error).startswith(f"{path}:{line}:{error.column}: invalid TOML: ")
    assert "(at line" not in str(error)  # the position is said once, up front


def test_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / CATALOG_FILE
    path.write_bytes(b'exclude = ["ok"]\nx = "\xff"\n')
    with pytest.raises(ConfigError) as caught:
        load_toml(path)
    assert str(caught.value) == f"{path}:2:6: not valid UTF-8 at byte 22"


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / CATALOG_FILE
    path.write_bytes(b'\xef\xbb\xbfexclude = "drafts/**"\n')
    assert load_catalog_config(tmp_path).exclude == ("drafts/**",)


# -- a catalogue's own file ----------------------------------------------------------------


def test_catalog_without_a_file_is_empty(tmp_path: Path) -> None:
    assert load_catalog_config(tmp_path) == CatalogConfig(root=str(tmp_path))


def test_a_single_file_root_has_no_catalog_file(tmp_path: Path) -> None:
    _write(tmp_path, 'exclude = "x"\n')
    article = tmp_path / "one.md"
    article.write_text("---\ntitle: x\n---\n", encoding="utf-8")
    assert load_catalog_config(article).path is None


def test_catalog_file_fields_exclude_and_searches(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
exclude = ["drafts/**", "*.tmp.md"]

[fields]
date = ["pubDate", "created"]
topics = "tags"

[searches.ethics]
topic = ["AI Ethics"]
min-quality = 50
where = "heat > 60"
sort = "-quality"

[searches.recent]
since = "7d"
published = true
limit = 20
""",
    )
    config = load_catalog_config(tmp_path)
    assert config.path == str(path)
    assert dict(config.fields) == {"date": ("pubDate", "created"), "topics": ("tags",)}
    assert config.exclude == ("drafts/**", "*.tmp.md")
    assert list(config.searches) == ["ethics", "recent"]
    ethics = config.searches["ethics"]
    assert dict(ethics.options) == {
        "topic": ("AI Ethics",),
        "min-quality": 50,
        "where": ("heat > 60",),
        "sort": "-quality",
    }
    assert (ethics.source, ethics.line) == (str(path), 8)
    assert (
        ethics.describe()
        == "--topic 'AI Ethics' --min-quality 50 --where 'heat > 60' --sort -quality"
    )
    assert dict(config.searches["recent"].options) == {
        "since": "7d",
        "published": True,
        "limit": 20,
    }


def test_the_catalog_config_is_frozen(tmp_path: Path) -> None:
    config = load_catalog_config(tmp_path)
    with pytest.raises(AttributeError):
        config.exclude = ("x",)  # type: ignore[misc]


BAD_CATALOG = [
    # A catalogue's file never names a program or a path outside the catalogue.
    (
        '[defaults]\npager = "rm -rf ~"\n',
        1,
        "'defaults' is not allowed in a catalogue's newscat.toml",
    ),
    (
        'exclude = []\nbrowser = "evil"\n',
        2,
        "'browser' is not allowed in a catalogue's newscat.toml",
    ),
    ('exclude = ["/etc/*"]\n', 1, "exclude glob '/etc/*' must be relative to the catalogue"),
    ('exclude = ["!/etc/*"]\n', 1, "exclude glob '!/etc/*' must be relative to the catalogue"),
    ('exclude = ["../other/**"]\n', 1, "exclude glob '../other/**' must be relative"),
    ('exclude = ["a/../../b"]\n', 1, "exclude glob 'a/../../b' must be relative"),
    ('exclude = "~/secret"\n', 1, "exclude glob '~/secret' must be relative"),
    ('\n\n[searches.out]\noutput = "/tmp/x"\n', 4, "unknown option 'output' in search 'out'"),
    ('[searches.s]\npager = "sh"\n', 2, "unknown option 'pager' in search 's'"),
    # Shapes.
    ("exclude = [1]\n", 1, "'exclude' must be a string or a list of non-empty strings"),
    ('fields = "date"\n', 1, "'fields' must be a table"),
    ("[fields]\ndate = 3\n", 2, "'fields.date' must be a string or a list of non-empty strings"),
    ('[fields]\n"two words" = "x"\n', 2, "'two words' is not a field name"),
    (
        '[fields]\ntitle = "t"\nage = "x"\n',
        3,
        "'age' is not read from front matter; [fields] may set",
    ),
    ('exclude = ["ok", "[z-a].md"]\n', 1, "exclude: invalid glob '[z-a].md'"),
    ("[searches]\nx = 1\n", 2, "'searches.x' must be a table"),
    ('[searches."bad name"]\n', 1, "search name 'bad name' must be"),
    ('[searches.x]\nmin-quality = "high"\n', 2, "'searches.x.min-quality' must be a number"),
    ('[searches.x]\npublished = "yes"\n', 2, "'searches.x.published' must be true or false"),
    ("[searches.x]\nlimit = -1\n", 2, "'searches.x.limit' must be a whole number"),
    ('[searches.x]\nsort = ""\n', 2, "'searches.x.sort' must be a non-empty string"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_CATALOG)
def test_bad_catalog_file_is_one_error_with_its_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_catalog_config(tmp_path)
    assert str(caught.value).startswith(f"{path}:{line}: {message}")


# -- the user's file -----------------------------------------------------------------------


def test_user_config_path_honours_the_environment(tmp_path: Path) -> None:
    assert user_config_path({"NEWSCAT_CONFIG": str(tmp_path / "c.toml")}) == tmp_path / "c.toml"
    default = user_config_path({})
    assert default.parts[-2:] == ("newscat", "config.toml")


def test_state_dir_honours_the_environment(tmp_path: Path) -> None:
    assert state_dir({"NEWSCAT_STATE_DIR": str(tmp_path)}) == tmp_path
    assert state_dir({}).name == "newscat"


def test_missing_user_file_is_empty(tmp_path: Path) -> None:
    config = load_user_config(tmp_path / "none.toml")
    assert (config.exists, config.defaults, dict(config.searches)) == (False, Defaults(), {})


def test_user_file_defaults_and_searches(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "conf",
        """
[defaults]
catalog = ["news", "/srv/archive", "~/more"]
format = "csv"
limit = 25
sort = "-quality"
color = "never"
pager = "less -R"
browser = "firefox"

[searches.mine]
provider = "BBC"
format = "atom"
""",
        name="config.toml",
    )
    config = load_user_config(path)
    assert config.exists
    assert config.defaults == Defaults(
        catalog=(str(tmp_path / "conf" / "news"), "/srv/archive", str(Path("~/more").expanduser())),
        format="csv",
        limit=25,
        sort="-quality",
        color="never",
        pager="less -R",
        browser="firefox",
    )
    assert dict(config.searches["mine"].options) == {"provider": ("BBC",), "format": "atom"}


def test_user_file_catalog_may_be_one_string(tmp_path: Path) -> None:
    path = _write(tmp_path, '[defaults]\ncatalog = "/srv/news"\n', name="config.toml")
    assert load_user_config(path).defaults.catalog == ("/srv/news",)


BAD_USER = [
    ('[fields]\ndate = "x"\n', 1, "'fields' is not allowed in the user's config file"),
    ('[defaults]\ncolour = "never"\n', 2, "'colour' is not allowed in [defaults]"),
    ('[defaults]\ncolor = "sometimes"\n', 2, "'defaults.color' must be one of auto, always, never"),
    ("[defaults]\nlimit = 2.5\n", 2, "'defaults.limit' must be a whole number, 0 or more"),
    ("[defaults]\npager = 1\n", 2, "'defaults.pager' must be a non-empty string"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_USER)
def test_bad_user_file_is_one_error_with_its_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text, name="config.toml")
    with pytest.raises(ConfigError) as caught:
        load_user_config(path)
    assert str(caught.value).startswith(f"{path}:{line}: {message}")
