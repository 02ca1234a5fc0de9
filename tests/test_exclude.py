"""Which files a catalogue leaves out (exclude globs, --exclude, .gitignore, --no-ignore),
and a catalogue's own [fields]: both read from newscat.toml again at every command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newscat.ignore import BadPattern, Selection, _any, compile_pattern, left_out, rules
from newscat.store.index import Index
from tests.conftest import run, write_article

# --- git's pattern rules ------------------------------------------------------------------

#: (patterns, path, is_folder, left out?) — each as gitignore(5) describes it.
CASES = [
    # A name without a slash matches at any depth, files and folders alike.
    (["README.md"], "README.md", False, True),
    (["README.md"], "docs/README.md", False, True),
    (["README.md"], "READMEXmd", False, False),
    (["drafts"], "a/drafts", True, True),
    # A trailing slash: folders only.
    (["drafts/"], "drafts", True, True),
    (["drafts/"], "drafts", False, False),
    (["drafts/"], "x/drafts", True, True),
    # A slash at the start or in the middle anchors to the file's folder.
    (["/README.md"], "README.md", False, True),
    (["/README.md"], "docs/README.md", False, False),
    (["docs/*.md"], "docs/a.md", False, True),
    (["docs/*.md"], "x/docs/a.md", False, False),
    (["docs/*.md"], "docs/sub/a.md", False, False),  # * never crosses a slash
    # **: any number of folders.
    (["**/tmp.md"], "tmp.md", False, True),
    (["**/tmp.md"], "a/b/tmp.md", False, True),
    (["a/**/b.md"], "a/b.md", False, True),
    (["a/**/b.md"], "a/x/y/b.md", False, True),
    (["a/**"], "a/x/y.md", False, True),
    (["a/**"], "ab/y.md", False, False),
    (["**"], "anything/at/all.md", False, True),
    # ? and bracket expressions match one character, never a slash.
    (["post-?.md"], "post-1.md", False, True),
    (["post-?.md"], "post-10.md", False, False),
    (["post-[0-9].md"], "post-7.md", False, True),
    (["post-[!0-9].md"], "post-x.md", False, True),
    (["post-[!0-9].md"], "post-7.md", False, False),
    (["a[/]b"], "a/b", False, False),
    # Negation: the last matching pattern decides.
    (["*.md", "!keep.md"], "keep.md", False, False),
    (["*.md", "!keep.md"], "drop.md", False, True),
    (["!keep.md", "*.md"], "keep.md", False, True),
    # Comments, blank lines, escapes and trailing spaces.
    (["# a comment", "", "   "], "# a comment", False, False),
    (["\\#hash.md"], "#hash.md", False, True),
    (["\\!bang.md"], "!bang.md", False, True),
    (["trail.md   "], "trail.md", False, True),
    (["space\\ "], "space ", False, True),
    (["*.MD"], "a.md", False, False),  # case matters, as in git on Linux
]


@pytest.mark.parametrize(("patterns", "path", "is_folder", "expected"), CASES)
def test_gitignore_pattern_rules(
    patterns: list[str], path: str, is_folder: bool, expected: bool
) -> None:
    assert left_out([rules(patterns)], path, is_folder) is expected


def test_many_patterns_in_one_file_decide_as_each_alone_would() -> None:
    """A file of many patterns is first tried as one expression; the answer must be the
    one that trying its patterns one by one, last first, gives."""
    every = [line for patterns, _, _, _ in CASES for line in patterns]
    for order in (every, every[::-1]):
        one_file = rules(order)
        for _, path, is_folder, _ in CASES:
            expected = None
            for pattern in reversed(one_file.patterns):
                if pattern.folders_only and not is_folder:
                    continue
                if pattern.regex.fullmatch(path):
                    expected = not pattern.negate
                    break
            assert one_file.decide(path, is_folder) is expected, (path, is_folder)


_SEGMENT = st.sampled_from(["a", "b", "sub", "x.md", "keep.md", "draft"])
_LINE = st.sampled_from(
    [
        "*.md", "!keep.md", "/x.md", "sub/", "sub/*.md", "**/draft/*", "a/**", "x.*",
        "!sub/x.md", "b", "[ab].md", "?.md", "draft", "/sub/**/keep.md", "#c", "",
    ]
)  # fmt: skip


@settings(max_examples=400)
@example([(["/x.md"], ["sub"])], [], ["sub"], "x.md")  # anchored in a deeper folder
@example([(["sub/*.md"], [])], [], ["sub"], "a.md")  # a path pattern from the root
@given(
    st.lists(st.tuples(st.lists(_LINE, max_size=4), st.lists(_SEGMENT, max_size=2)), max_size=3),
    st.lists(_LINE, max_size=3),
    st.lists(_SEGMENT, max_size=3),
    st.sampled_from(["x.md", "keep.md", "a.md", "draft.md", "b"]),
)
def test_a_folders_file_tests_let_through_no_file_the_rules_leave_out(
    files: list[tuple[list[str], list[str]]], globs: list[str], folder: list[str], name: str
) -> None:
    """The walk asks the rules about a file only when one of its folder's tests matches:
    whatever the rules leave out, some test must match."""
    relative = "/".join(folder)
    chain = tuple(
        rules(lines, "/".join(base))
        for lines, base in files
        if relative == "/".join(base) or relative.startswith("/".join(base) + "/") or not base
    )
    selection = Selection(rules(globs))
    path = f"{relative}/{name}" if relative else name
    tests = selection.file_tests(chain, relative)
    if selection.leaves_out(chain, path, False):
        assert any(pattern.fullmatch(prefix + name) for prefix, pattern in tests)
    if not any(r.patterns for r in (selection.exclude, *chain)):
        assert tests == ()


@settings(max_examples=300)
@given(st.lists(_LINE, max_size=6), st.lists(_SEGMENT, min_size=1, max_size=4))
def test_one_expression_of_many_patterns_matches_where_one_of_them_does(
    lines: list[str], segments: list[str]
) -> None:
    """The walk tries a file's patterns as one expression first (those matching at any
    depth share that start): it matches a path exactly when one of the patterns does."""
    patterns = rules(lines).patterns
    path = "/".join(segments)
    for chosen in (patterns, tuple(p for p in patterns if not p.folders_only)):
        expected = any(pattern.regex.fullmatch(path) for pattern in chosen)
        assert bool(_any(chosen).fullmatch(path)) is expected


def test_a_deeper_file_overrides_the_one_above() -> None:
    chain = [rules(["*.md"]), rules(["!keep.md"], base="sub")]
    assert left_out(chain, "sub/keep.md", False) is False
    assert left_out(chain, "keep.md", False) is True
    assert left_out(chain, "other/keep.md", False) is True
    # A deeper file's anchored pattern is anchored to its own folder.
    assert left_out([rules(["/x.md"], base="sub")], "sub/x.md", False) is True
    assert left_out([rules(["/x.md"], base="sub")], "sub/deeper/x.md", False) is False


def test_a_bad_glob_is_skipped_in_a_gitignore_and_refused_when_given() -> None:
    assert rules(["[z-a].md", "ok.md"]).patterns[0].text == "ok.md"
    with pytest.raises(BadPattern, match=r"invalid glob '\[z-a\]\.md'"):
        compile_pattern("[z-a].md")


# --- the walk -------------------------------------------------------------------------------


def _post(folder: Path, name: str, title: str | None = None) -> None:
    write_article(
        folder,
        name,
        "body\n",
        title=title or name,
        date="2024-01-02",
        url=f"https://example.org/{name}",
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small Jekyll-like site: posts, drafts, a README, a vendored folder, .gitignore files."""
    root = tmp_path / "site"
    for name in ("_posts/2024-01-02-a.md", "_posts/2024-01-03-b.md", "docs/guide.md"):
        _post(root, name)
    _post(root, "_drafts/wip.md")
    _post(root, "vendor/bundle/gem/README.md")
    _post(root, "notes.tmp.md")
    _post(root, "keep.tmp.md")
    _post(root, "docs/old/x.md")
    (root / "README.md").write_text("# The site\n", encoding="utf-8")
    (root / ".gitignore").write_text(
        "# built and vendored\n/vendor/\n*.tmp.md\n!keep.tmp.md\n_drafts/\n", encoding="utf-8"
    )
    (root / "docs" / ".gitignore").write_text("old/\n", encoding="utf-8")
    return root


def _ids(*args: str) -> list[str]:
    result = run("list", "-f", "ids", "--sort", "id", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_gitignored_files_are_skipped_and_no_ignore_reads_them(site: Path) -> None:
    # README.md is read (nothing ignores it) but has no front matter: not an article.
    assert _ids("-C", str(site), "-q") == [
        "_posts/2024-01-02-a",
        "_posts/2024-01-03-b",
        "docs/guide",
        "keep.tmp",
    ]
    assert _ids("-C", str(site), "--no-ignore", "-q") == [
        "_drafts/wip",
        "_posts/2024-01-02-a",
        "_posts/2024-01-03-b",
        "docs/guide",
        "docs/old/x",
        "keep.tmp",
        "notes.tmp",
        "vendor/bundle/gem/README",
    ]


def test_exclude_globs_from_newscat_toml_and_the_command_line(site: Path) -> None:
    (site / "newscat.toml").write_text('exclude = ["README.md", "docs/"]\n', encoding="utf-8")
    result = run("list", "-C", str(site), "-f", "ids", "--sort", "id")
    assert (result.stdout, result.stderr, result.exit_code) == (
        "_posts/2024-01-02-a\n_posts/2024-01-03-b\nkeep.tmp\n",
        "",  # the README, a file with no front matter, is no longer a problem
        0,
    )
    assert _ids("-C", str(site), "--exclude", "keep.*", "--exclude", "**/*-b.md", "-q") == [
        "_posts/2024-01-02-a"
    ]
    # --no-ignore drops the .gitignore files, never the catalogue's own exclude.
    assert _ids("-C", str(site), "--no-ignore", "-q") == [
        "_drafts/wip",
        "_posts/2024-01-02-a",
        "_posts/2024-01-03-b",
        "keep.tmp",
        "notes.tmp",
    ]


def test_a_file_in_a_left_out_folder_cannot_be_brought_back(site: Path) -> None:
    (site / ".gitignore").write_text("_posts/\n!_posts/2024-01-02-a.md\n", encoding="utf-8")
    assert "_posts/2024-01-02-a" not in _ids("-C", str(site))


def test_an_edited_newscat_toml_shows_on_the_next_command(site: Path) -> None:
    """Through the cached index: the walk and the fields are read again each time."""
    assert _ids("-C", str(site), "-q") == [
        "_posts/2024-01-02-a", "_posts/2024-01-03-b", "docs/guide", "keep.tmp",
    ]  # fmt: skip
    (site / "newscat.toml").write_text('exclude = "_posts/"\n', encoding="utf-8")
    assert _ids("-C", str(site), "-q") == ["docs/guide", "keep.tmp"]
    (site / "newscat.toml").unlink()
    assert _ids("-C", str(site), "-q") == [
        "_posts/2024-01-02-a", "_posts/2024-01-03-b", "docs/guide", "keep.tmp",
    ]  # fmt: skip


def test_exclusions_given_on_the_command_line_keep_their_own_index(
    site: Path, isolated_env: Path
) -> None:
    assert len(_ids("-C", str(site), "-q")) == 4
    assert len(_ids("-C", str(site), "-q", "--exclude", "_posts")) == 2
    assert len(_ids("-C", str(site), "-q")) == 4
    assert len(list(isolated_env.glob("catalog-*.sqlite3"))) == 2


def test_a_root_given_as_a_file_is_read_even_when_ignored(site: Path) -> None:
    assert _ids("-C", str(site / "notes.tmp.md")) == ["notes.tmp"]


def test_a_bad_exclude_glob_is_a_usage_error(site: Path) -> None:
    result = run("list", "-C", str(site), "--exclude", "[z-a]")
    assert result.exit_code == 2
    assert "invalid glob '[z-a]'" in result.stderr


def test_a_bad_newscat_toml_is_one_warning_and_the_catalogue_still_reads(site: Path) -> None:
    (site / "newscat.toml").write_text('\n[fields]\nwhen = "created"\n', encoding="utf-8")
    result = run("list", "-C", str(site), "-f", "ids", "--sort", "id")
    assert result.exit_code == 0
    assert result.stdout == "_posts/2024-01-02-a\n_posts/2024-01-03-b\ndocs/guide\nkeep.tmp\n"
    assert result.stderr.splitlines() == [
        f"newscat: warning: {site / 'newscat.toml'}:3: 'when' is not read from front matter; "
        "[fields] may set date, title, excerpt, url, provider, topics, category, type, "
        "quality, heat, published; reading the catalogue without it",
        f"1 file skipped; run `newscat check -C {site}`",
    ]


def test_check_and_stats_follow_the_exclusions(site: Path) -> None:
    assert run("check", "-C", str(site)).exit_code == 1  # README.md has no front matter
    (site / "newscat.toml").write_text('exclude = "README.md"\n', encoding="utf-8")
    result = run("check", "-C", str(site))
    assert (result.stdout, result.stderr, result.exit_code) == ("", "no problems in 4 files\n", 0)
    stats = run("stats", "-C", str(site), "-f", "json")
    assert '"articles": 4' in stats.stdout


# --- a catalogue's own [fields] ---------------------------------------------------------------


def test_fields_chooses_the_keys_and_a_change_rereads_every_file(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    write_article(root, "one.md", title="One", created="2023-05-06", labels=["x"], tags=["t"])
    write_article(root, "two.md", title="Two", date="2020-01-01", tags=["t"])
    common = ("-C", str(root), "-F", "id,date,topics", "--sort", "id", "-q")
    assert run("list", *common).stdout == (
        "id\tdate\ttopics\none\t\tt\ntwo\t2020-01-01T00:00:00Z\tt\n"
    )
    (root / "newscat.toml").write_text(
        '[fields]\ndate = "created"\ntopics = ["labels", "tags"]\n', encoding="utf-8"
    )
    report = run("index", "-C", str(root), "-q").stdout
    assert report.startswith("0 added, 2 changed, 0 removed, 0 unchanged"), report
    assert run("list", *common).stdout == (
        "id\tdate\ttopics\none\t2023-05-06T00:00:00Z\tx\ntwo\t\tt\n"
    )
    result = run("list", "-C", str(root), "--since", "2000-01-01", "-f", "ids", "-q")
    assert result.stdout == "one\n"


def test_fields_reads_dotted_keys_and_dated_paths(tmp_path: Path) -> None:
    """Zola's posts: the date only in a permalink path, the team under [extra]."""
    root = tmp_path / "blog"
    root.mkdir()
    (root / "release.md").write_text(
        '+++\npath = "2025/06/26/Rust-1.88.0"\ntitle = "Announcing"\n\n'
        '[extra]\nteam = "The Release Team"\n+++\nbody\n',
        encoding="utf-8",
    )
    (root / "newscat.toml").write_text(
        '[fields]\ndate = ["date", "path"]\nprovider = "extra.team"\n', encoding="utf-8"
    )
    result = run("list", "-C", str(root), "-F", "date,provider", "--no-header")
    assert result.stdout == "2025-06-26T00:00:00Z\tThe Release Team\n"
    assert run("list", "-C", str(root), "-p", "the release team", "--count").stdout == "1\n"


def test_the_missing_field_hint_names_the_catalogues_own_keys(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    write_article(root, "one.md", title="One")
    (root / "newscat.toml").write_text('[fields]\ntopics = "labels"\n', encoding="utf-8")
    result = run("list", "-C", str(root), "-t", "x")
    assert result.stderr == "no article has topics; newscat reads labels — see newscat.toml\n"


# --- the watcher and completion use the same exclusions ---------------------------------------


def test_the_watcher_leaves_out_what_the_walk_does(site: Path, isolated_env: Path) -> None:
    pytest.importorskip("watchdog")
    import threading

    from newscat import watch
    from newscat.ignore import Exclusions

    exclusions = Exclusions(("docs/",))
    index = Index.open([str(site)], isolated_env, exclusions=exclusions)
    ready = threading.Event()
    watcher = watch.Watcher(index)
    thread = threading.Thread(target=watcher.run, args=(ready.set,), daemon=True)
    thread.start()
    try:
        assert ready.wait(30)
        _post(site, "docs/new.md")
        _post(site, "_drafts/new.md")
        _post(site, "_posts/2024-02-02-c.md")
        assert watch.synced(index.location, [str(site)])
        ids = sorted(a.id for a in index.select("1", []))
        assert ids == [
            "_posts/2024-01-02-a", "_posts/2024-01-03-b", "_posts/2024-02-02-c", "keep.tmp",
        ]  # fmt: skip
        (site / ".gitignore").write_text("", encoding="utf-8")
        assert watch.synced(index.location, [str(site)])
        assert "_drafts/new" in {a.id for a in index.select("1", [])}
        # An edited [fields] reaches the watcher too: every file is read again.
        (site / "newscat.toml").write_text('[fields]\ntitle = "heading"\n', encoding="utf-8")
        assert watch.synced(index.location, [str(site)])
        assert {a.title for a in index.select("1", [])} == {None}
    finally:
        watcher.stop()
        thread.join(30)
        index.close()


def test_completion_reads_the_index_of_the_same_exclusions(site: Path) -> None:
    from click.testing import CliRunner

    from newscat.cli import cli

    def complete(words: str) -> list[str]:
        result = CliRunner().invoke(
            cli,
            [],
            prog_name="newscat",
            env={
                "_NEWSCAT_COMPLETE": "bash_complete",
                "COMP_WORDS": words,
                "COMP_CWORD": str(len(words.split())),
            },
        )
        return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]

    assert run("list", "-C", str(site), "-q", "--exclude", "_posts/").exit_code == 0
    assert run("list", "-C", str(site), "-q").exit_code == 0
    with_all = complete(f"newscat show -C {site} ")
    excluded = complete(f"newscat show -C {site} --exclude _posts/ ")
    assert any(value.startswith("_posts/") for value in with_all)
    assert excluded and not any(value.startswith("_posts/") for value in excluded)
    assert os.path.isdir(site)


def test_a_blog_authors_name_is_its_provider_unless_it_has_one(tmp_path: Path) -> None:
    root = tmp_path / "blog"
    write_article(root, "2024-05-01-a.md", "body\n", title="A", author="Ann")
    write_article(root, "2024-05-02-b.md", "body\n", title="B", provider="Site", author="Bob")
    result = run("list", "-C", str(root), "-F", "id,provider", "--sort", "id", "-q")
    assert result.stdout == "id\tprovider\n2024-05-01-a\tAnn\n2024-05-02-b\tSite\n"
    assert run("list", "-C", str(root), "-p", "ann", "-f", "ids", "-q").stdout == "2024-05-01-a\n"
    # show lists a key under "Other front matter" unless a field was read from it.
    shown = run("show", "2024-05-02-b", "-C", str(root), "-q").stdout
    assert "Other front matter" in shown and "author" in shown
    assert "Other front matter" not in run("show", "2024-05-01-a", "-C", str(root), "-q").stdout


def test_several_authors_are_the_provider_joined(tmp_path: Path) -> None:
    """A byline written as a list (``author:`` or Hugo's ``authors:``) is the provider,
    its names joined; an empty list counts as no value, so the next key is read."""
    root = tmp_path / "blog"
    files = {
        "a.md": "author:\n  - Robert Smith\n  - Jane Doe\n",
        "b.md": "author: [Ann, Bob]\n",
        "c.md": "authors:\n  - name: Cy\n    domain: CY.example\n  - 42\n  - name: Di\n",
        "d.md": "author: []\nauthors: [Ed]\n",
        "e.md": "author: []\n",
        "f.md": "author: [1, true, '']\n",
    }
    for name, front in files.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(f"---\ntitle: T\nurl: https://blog.example/{name}\n{front}---\n")
    result = run("list", "-C", str(root), "-F", "id,provider,domain", "--sort", "id", "-q")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "id\tprovider\tdomain\n"
        "a\tRobert Smith, Jane Doe\tblog.example\n"
        "b\tAnn, Bob\tblog.example\n"
        "c\tCy, Di\tcy.example\n"
        "d\tEd\tblog.example\n"
        "e\t\tblog.example\n"
        "f\t\tblog.example\n"
    )
    nobody = run("list", "-C", str(root), "-w", "not provider", "-f", "ids", "-q")
    assert nobody.stdout == "e\nf\n"
    # -p matches one of the names too, a mapping's included (tests/test_provider_names.py).
    assert run("list", "-C", str(root), "-p", "di", "-f", "ids", "-q").stdout == "c\n"
    # show lists the empty author among the other keys, not the authors it read.
    shown = run("show", "d", "-C", str(root), "-q").stdout
    assert shown.splitlines()[-2].startswith("Other front matter")
    assert shown.splitlines()[-1] == "author  []"
    # Each article is one provider, whatever its byline: coverage counts bylines.
    stories = run("stories", "-C", str(root), "-f", "tsv", "--no-header", "-q")
    assert [line.split("\t")[7] for line in stories.stdout.splitlines()] == [
        "Robert Smith, Jane Doe", "Ann, Bob", "Cy, Di", "Ed", "blog.example", "blog.example",
    ]  # fmt: skip


def test_a_catalogues_fields_still_choose_the_providers_keys(tmp_path: Path) -> None:
    root = tmp_path / "blog"
    write_article(root, "a.md", title="A", author=["Ann", "Bob"], writers=["Cy", "Di"])
    (root / "newscat.toml").write_text('[fields]\nprovider = ["writers"]\n')
    result = run("list", "-C", str(root), "-F", "id,provider", "-q")
    assert result.stdout == "id\tprovider\na\tCy, Di\n"
    (root / "newscat.toml").write_text('[fields]\nprovider = ["publisher"]\n')
    assert run("list", "-C", str(root), "-F", "provider", "-q").stdout == "provider\n\n"


def test_repeated_any_folders_mean_one_and_match_in_linear_time() -> None:
    """``**/**/…/x`` is ``**/x``: the same matches, without the backtracking that a
    dozen of them on a deep path took minutes over (a hostile .gitignore in a clone)."""
    many = compile_pattern("/".join(["**"] * 12) + "/x")
    one = compile_pattern("**/x")
    assert many is not None and one is not None
    assert many.regex.pattern == one.regex.pattern
    deep = "/".join(["a"] * 24)
    assert many.regex.fullmatch(deep + "/x") and not many.regex.fullmatch(deep + "/y")
