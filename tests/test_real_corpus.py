"""Real public catalogues and the YAML test suite, read from $NEWSCAT_REAL_CORPUS.

The files are fetched from public repositories (tests/real_corpus.md lists them)
and never committed; without them these tests skip and say why.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from newscat.model import Article, Problem
from newscat.parse import parse_article
from tests.conftest import YAML_LOADERS, index_warnings_are_the_parsers, run
from tests.real_support import same

CORPUS = Path(os.environ.get("NEWSCAT_REAL_CORPUS", "/work/corpus"))
#: The catalogues of Markdown with YAML front matter that the tests read whole.
SITES = ("jekyll", "hugo-docs", "opensearch-docs", "mastodon-docs", "homebrew-site",
         "www.ruby-lang.org", "nodejs.org")  # fmt: skip
SUITE = CORPUS / "yaml-test-suite" / "src"
ALL_LOADERS = tuple(YAML_LOADERS.values())
_FRONT = re.compile(r"\A(?:\ufeff)?---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$", re.S | re.M)


def _site(name: str) -> Path:
    path = CORPUS / name
    if not path.is_dir():
        pytest.skip(f"{path} is absent: fetch it as tests/real_corpus.md says")
    return path


def _files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.suffix.lower() in (".md", ".markdown") and p.is_file()
    )


@pytest.mark.parametrize("name", SITES)
def test_every_front_matter_value_is_pyyamls_as_written(name: str, yaml_loader: str) -> None:
    """Each file's front_matter equals PyYAML's safe reading through the same parser
    (timestamps as text) after exactly the documented conversions; every file PyYAML
    reads is an article, every file it refuses a problem."""
    import newscat.parse as parse_module

    reference = _reference(parse_module.Loader)
    root = _site(name)
    compared = collisions = 0
    for path in _files(root):
        data = path.read_bytes()
        text = data.decode("utf-8", "replace").replace("\r\n", "\n")
        found = _FRONT.match(text)
        if found is None:
            continue
        expected = _pyyaml_with(reference, found.group(1))
        if expected is _REJECTED:
            result = parse_article(data, str(path), path.stem)
            assert isinstance(result, Problem), path
            continue
        if not isinstance(expected, dict):
            continue
        result = parse_article(data, str(path), path.stem)
        assert isinstance(result, Article), (path, result)
        if any(w.code == "key-collision" for w in result.warnings):
            collisions += 1  # two keys became one: the warning says so
            continue
        assert same(result.front_matter, expected), path
        assert list(result.front_matter)[: len(expected)] == [
            k for k in expected if isinstance(k, str)
        ][: len(expected)] or any(not isinstance(k, str) for k in expected), path
        compared += 1
    assert compared > 0


def test_real_sites_get_dates_and_topics_without_configuration() -> None:
    """A Jekyll news archive: the date key, a dated file name, and tags as topics."""
    root = _site("www.ruby-lang.org")
    posts = [p for p in _files(root) if "/_posts/" in str(p)]
    articles = [parse_article(p.read_bytes(), str(p), p.stem) for p in posts]
    read = [a for a in articles if isinstance(a, Article)]
    assert len(read) == len(posts)
    assert all(a.date is not None for a in read)
    assert sum(1 for a in read if a.topics) > 600  # from tags


def test_toml_front_matter_of_a_real_blog() -> None:
    root = _site("rust-blog")
    posts = [p for p in _files(root / "content") if p.read_bytes().startswith(b"+++")]
    assert posts
    for path in posts:
        result = parse_article(path.read_bytes(), str(path), path.stem)
        assert isinstance(result, Article), (path, result)
    titled = [p for p in posts if "title =" in p.read_text(encoding="utf-8").split("+++")[1]]
    for path in titled:  # a post's date is in `path = "2014/12/12/..."`: no key says so
        result = parse_article(path.read_bytes(), str(path), path.stem)
        assert isinstance(result, Article) and result.title, path


# --- through the command line ------------------------------------------------------------

_TOML_FRONT = re.compile(r"\A(?:\ufeff)?\+\+\+[ \t]*\n(.*?)^\+\+\+[ \t]*$", re.S | re.M)


def _export(*args: str) -> list[dict[str, Any]]:
    result = run("export", "-f", "jsonl", "-q", *args)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _as_written(text: str) -> Any:
    """The front matter of a file's text, read by PyYAML (libyaml's parser, which newscat
    uses, timestamps as text) or tomllib (dates as text)."""
    found = _FRONT.match(text)
    if found is not None:
        return _pyyaml_with(_reference(YAML_LOADERS[next(iter(YAML_LOADERS))]), found.group(1))
    toml = _TOML_FRONT.match(text)
    assert toml is not None
    return _toml_as_text(tomllib.loads(toml.group(1)), toml.group(1))


def _toml_as_text(value: Any, source: str) -> Any:
    if isinstance(value, dict):
        return {key: _toml_as_text(item, source) for key, item in value.items()}
    if isinstance(value, list):
        return [_toml_as_text(item, source) for item in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return _SAME_TEXT  # a date keeps the text it was written as
    return value


class _Text:
    """Stands for a TOML date: any text equals it."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str)


_SAME_TEXT = _Text()


def _equal(ours: Any, theirs: Any) -> bool:
    if theirs is _SAME_TEXT:
        return isinstance(ours, str)
    if isinstance(theirs, dict):
        return (
            isinstance(ours, dict)
            and list(ours) == list(theirs)
            and all(_equal(ours[key], theirs[key]) for key in theirs)
        )
    if isinstance(theirs, list) and any(item is _SAME_TEXT for item in theirs):
        return isinstance(ours, list) and all(map(_equal, ours, theirs))
    return same(ours, theirs)


@pytest.mark.parametrize("name", ("jekyll", "hugo-docs", "mastodon-docs", "rust-blog"))
def test_export_jsonl_gives_back_every_front_matter_value(name: str) -> None:
    """Every file is either an exported record whose front_matter is the file's as
    written, or a problem that check names; none is dropped."""
    root = _site(name)
    records = _export("--no-cache", "--no-ignore", "-C", str(root))
    problems = run("check", "--no-cache", "--no-ignore", "-C", str(root), "-f", "tsv").stdout
    failed = {line.split("\t")[0] for line in problems.splitlines()[1:] if "\terror\t" in line}
    visible = [p for p in _files(root) if not any(part.startswith(".") for part in p.parts)]
    assert len(records) + len(failed) == len(visible)
    for record in records:
        text = Path(record["path"]).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        expected = _as_written(text)
        if expected is None:
            assert record["front_matter"] == {}, record["path"]  # nothing but comments
        else:
            assert _equal(record["front_matter"], expected), record["path"]


def test_a_jekyll_site_answers_filters_sorting_and_summaries_without_configuration(
    tmp_path: Path,
) -> None:
    """A Jekyll news archive: dates from date keys and _posts names, topics from tags,
    providers from authors."""
    root = _site("www.ruby-lang.org")
    base = ("-q", "--cache-dir", str(tmp_path / "cache"), "-C", str(root))
    assert int(run("list", *base, "--since", "2020-01-01", "--count").stdout) > 500
    assert int(run("list", *base, "-t", "security", "--count").stdout) > 600
    assert int(run("list", *base, "-p", "naruse", "--count").stdout) > 100
    newest = run("list", *base, "-F", "date", "--no-header", "-n", "20").stdout.splitlines()
    assert newest == sorted(newest, reverse=True) and all(newest)
    topics = run("topics", *base, "-f", "tsv").stdout.splitlines()
    assert topics[1].split("\t")[0] == "security"
    stats = json.loads(run("stats", *base, "-f", "json").stdout)
    assert stats["articles"] == 5331 and stats["providers"] > 50


def test_the_rust_blog_dates_its_posts_through_newscat_toml(tmp_path: Path) -> None:
    """Zola posts hold their date only in ``path``; ``[fields]`` says so."""
    root = tmp_path / "rust-blog"
    shutil.copytree(_site("rust-blog"), root)
    base = ("-q", "--cache-dir", str(tmp_path / "cache"), "-C", str(root))
    assert run("list", *base, "--since", "2024-01-01", "--count").stdout == "0\n"
    (root / "newscat.toml").write_text(
        'exclude = ["README.md", "CODE_OF_CONDUCT.md", "_index.md", "content/releases/latest.md"]\n'
        '[fields]\ndate = ["date", "path"]\nprovider = "extra.team"\n',
        encoding="utf-8",
    )
    assert run("list", *base, "-w", "date is empty", "--count").stdout == "0\n"
    assert int(run("list", *base, "--since", "2024-01-01", "--count").stdout) > 100
    assert run("check", *base).exit_code == 0  # no file without front matter is left


# --- the YAML test suite -----------------------------------------------------------------


def _unescape(text: str) -> str:
    """The suite's visible markers back into the characters they stand for."""
    text = text.replace("␣", " ").replace("←", "\r").replace("⇔", "\ufeff").replace("↵", "")
    text = re.sub(r"—*»", "\t", text)
    return re.sub(r"∎\n\Z", "", text)


def _cases() -> list[tuple[str, dict[str, Any]]]:
    if not SUITE.is_dir():
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(SUITE.glob("*.yaml")):
        previous: dict[str, Any] = {}
        for i, entry in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))):
            case = {**previous, **entry}
            previous = case
            out.append((f"{path.stem}-{i}", case))
    return out


CASES = _cases()


def _front_matter_text(case: dict[str, Any]) -> str | None:
    """The case's YAML, when it can stand between two --- lines as front matter."""
    text = _unescape(case["yaml"])
    if "\r" in text or "\ufeff" in text or not text.endswith("\n"):
        return None
    if re.search(r"^(?:---|\.\.\.)(?:\s|$)|^%", text, re.M):
        return None  # markers and directives of its own
    return text


def _reference(loader: Any) -> type[yaml.SafeLoader]:
    """PyYAML's own safe loader built on the same parser as ``loader``, timestamps as text."""
    libyaml = getattr(yaml, "CSafeLoader", None)
    base = libyaml if libyaml is not None and issubclass(loader, libyaml) else yaml.SafeLoader

    class Reference(base):  # type: ignore[misc, valid-type]
        pass

    Reference.add_constructor(
        "tag:yaml.org,2002:timestamp",
        lambda loader, node: loader.construct_scalar(node),
    )
    return Reference  # type: ignore[no-any-return]


def _pyyaml_with(reference: type[yaml.SafeLoader], text: str) -> Any:
    try:
        return yaml.load(text, reference)
    except yaml.YAMLError:
        return _REJECTED


@pytest.mark.skipif(not CASES, reason=f"{SUITE} is absent: see tests/real_corpus.md")
@pytest.mark.parametrize("name,case", CASES, ids=[name for name, _ in CASES] or None)
def test_yaml_test_suite(name: str, case: dict[str, Any], yaml_loader: str) -> None:
    """With each loader: a single mapping gives PyYAML's value through the same parser
    (after the documented conversions); a document PyYAML rejects is a problem."""
    import newscat.parse as parse_module

    text = _front_matter_text(case)
    if text is None:
        pytest.skip("the case has its own document markers, directives, CR or BOM")
    try:
        expected = _pyyaml_with(_reference(parse_module.Loader), text)
    except RecursionError:
        pytest.skip("PyYAML recursion")
    result = parse_article(f"---\n{text}---\n".encode(), "case.md", "case")
    if expected is _REJECTED:
        assert isinstance(result, Problem), (name, result)
        return
    if not isinstance(expected, dict):
        assert isinstance(result, Problem) or expected is None, (name, result)
        return
    assert isinstance(result, Article), (name, result)
    if any(w.code == "key-collision" for w in result.warnings):
        return
    assert same(result.front_matter, expected), (name, result.front_matter, expected)


@pytest.mark.skipif(not CASES, reason=f"{SUITE} is absent: see tests/real_corpus.md")
@pytest.mark.parametrize("name,case", CASES, ids=[name for name, _ in CASES] or None)
def test_yaml_test_suite_same_answer_with_both_loaders(name: str, case: dict[str, Any]) -> None:
    """Both loaders give the same problem code (or both an article), wherever libyaml and
    PyYAML's pure-Python parser themselves agree on the document."""
    import newscat.parse as parse_module

    text = _front_matter_text(case)
    if text is None:
        pytest.skip("the case has its own document markers, directives, CR or BOM")
    outcomes = [_outcome(_reference(loader), text) for loader in ALL_LOADERS]
    if any(outcome != outcomes[0] for outcome in outcomes):
        pytest.skip("libyaml and PyYAML's pure-Python parser disagree on this document")
    codes = set()
    saved = parse_module.Loader
    try:
        for loader in ALL_LOADERS:
            parse_module.Loader = loader
            result = parse_article(f"---\n{text}---\n".encode(), "case.md", "case")
            codes.add(result.code if isinstance(result, Problem) else "article")
    finally:
        parse_module.Loader = saved
    assert len(codes) == 1, (name, codes)


_REJECTED = object()


def _outcome(reference: type[yaml.SafeLoader], text: str) -> tuple[str, Any]:
    """What one PyYAML parser makes of a document: its value, or the kind of error."""
    try:
        return "value", yaml.load(text, reference)
    except yaml.YAMLError as exc:
        kind = "constructor" if isinstance(exc, yaml.constructor.ConstructorError) else "syntax"
        return "rejected", kind


@pytest.mark.parametrize("name", ["rust-blog", "jekyll", "www.ruby-lang.org", "hugo-docs"])
def test_every_handle_of_a_real_catalogue_names_its_article(name: str) -> None:
    """Ids without hashes (index.md in many folders, dated file names): the ref column
    of a whole real site, each resolved again as a REF."""
    from newscat.handles import MIN_LENGTH, Handles
    from newscat.refs import resolve
    from newscat.store.index import Index

    index = Index.open([str(_site(name))], None)
    index.refresh()
    articles = list(index.select())
    assert len(articles) > 100
    handles = Handles(index.ref_matches)
    in_memory = Handles.of_ids(a.id for a in articles)
    for article in articles:
        handle = handles(article.id)
        assert handle == in_memory(article.id)
        assert len(handle) >= MIN_LENGTH or handle == article.id
        assert resolve(index, handle).path == article.path, (article.id, handle)
    index.close()


@pytest.mark.parametrize("name", SITES)
def test_the_index_gives_every_warning_the_parser_gives_on_a_real_site(
    name: str, tmp_path: Path
) -> None:
    """Real sites lack url and date in nearly every file: the index derives those
    warnings from the stored rows, and must give exactly the parser's."""
    counts = index_warnings_are_the_parsers(_site(name), tmp_path / "cache")
    assert sum(counts.values()) > 0, counts
