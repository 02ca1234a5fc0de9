"""Front-matter shapes from real catalogues that the story index must take in its stride."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run, write_article


@pytest.mark.parametrize("related", ["see also", 3, True, None, {"title": "x"}])
def test_a_related_key_of_any_shape_never_breaks_a_command(tmp_path: Path, related: object) -> None:
    # Jekyll and Hugo sites use `related` for their own purposes: a string, a flag, ...
    for i in range(3):
        write_article(tmp_path, f"p{i}.md", title=f"Post {i}", related=related)

    result = run("list", "-C", str(tmp_path), "--count")

    assert (result.exit_code, result.stdout, result.stderr) == (0, "3\n", "")


def _nodejs_release(root: Path, version: str, date: str, author: str) -> None:
    # As nodejs.org's blog has them: one post per release, the version in the title.
    write_article(root, f"nodejs.org/blog/release/v{version}.md", "### Notable Changes\n",
                  date=date, category="release", title=f"Node.js {version} (Current)",
                  layout="blog-post", author=author)  # fmt: skip


def _ruby_release(root: Path, lang: str, version: str, title: str, author: str) -> None:
    # As www.ruby-lang.org has them: several releases on one day, each in many languages.
    slug = version.replace(".", "-")
    write_article(root, f"ruby-lang/{lang}/2019-10-01-ruby-{slug}-released.md",
                  f"Ruby {version} has been released.\n", layout="news_post", title=title,
                  author=author, translator=None, date="2019-10-01 11:00:00 +0000", lang=lang)  # fmt: skip


def test_release_notes_of_different_versions_are_different_stories(tmp_path: Path) -> None:
    # Look-alike titles a day apart ("Node.js 17.0.0 (Current)", "Node.js 17.0.1 (Current)";
    # "Ruby 2.4.8 Telah Dirilis", "Ruby 2.5.7 Telah Dirilis"): one story per version.
    _nodejs_release(tmp_path, "17.0.0", "2021-10-19T15:42:09.146Z", "Bethany Nicolle Griggs")
    _nodejs_release(tmp_path, "16.12.0", "2021-10-20T14:44:30.011Z", "Richard Lau")
    _nodejs_release(tmp_path, "17.0.1", "2021-10-20T20:26:21.675Z", "Michaël Zasso")
    for version, author in (("2.4.8", "usa"), ("2.5.7", "usa"), ("2.6.5", "nagachika")):
        _ruby_release(tmp_path, "en", version, f"Ruby {version} Released", author)
        _ruby_release(tmp_path, "id", version, f"Ruby {version} Telah Dirilis", author)

    result = run("list", "-C", str(tmp_path), "-F", "title,story,coverage", "--sort", "title")

    story = "ruby-lang/en/2019-10-01-ruby-{}-released"
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "title\tstory\tcoverage\n"
        "Node.js 16.12.0 (Current)\tnodejs.org/blog/release/v16.12.0\t1\n"
        "Node.js 17.0.0 (Current)\tnodejs.org/blog/release/v17.0.0\t1\n"
        "Node.js 17.0.1 (Current)\tnodejs.org/blog/release/v17.0.1\t1\n"
        f"Ruby 2.4.8 Released\t{story.format('2-4-8')}\t1\n"
        f"Ruby 2.4.8 Telah Dirilis\t{story.format('2-4-8')}\t1\n"
        f"Ruby 2.5.7 Released\t{story.format('2-5-7')}\t1\n"
        f"Ruby 2.5.7 Telah Dirilis\t{story.format('2-5-7')}\t1\n"
        f"Ruby 2.6.5 Released\t{story.format('2-6-5')}\t1\n"
        f"Ruby 2.6.5 Telah Dirilis\t{story.format('2-6-5')}\t1\n"
    )


def test_one_release_covered_by_two_providers_is_one_story(tmp_path: Path) -> None:
    _nodejs_release(tmp_path, "17.0.0", "2021-10-19T15:42:09.146Z", "Bethany Nicolle Griggs")
    _nodejs_release(tmp_path, "17.0.1", "2021-10-20T20:26:21.675Z", "Michaël Zasso")
    write_article(tmp_path, "infoworld/node-17.md", title="Node.js v17.0.0 released | InfoWorld",
                  publishedDateTime="2021-10-20T09:00:00Z", provider="InfoWorld",
                  webUrl="https://www.infoworld.com/article/node-17.html")  # fmt: skip

    result = run("stories", "-C", str(tmp_path), "-f", "tsv", "--no-header")

    assert (result.exit_code, result.stderr) == (0, "")
    assert [line.split("\t")[:5] for line in result.stdout.splitlines()] == [
        ["nodejs.org/blog/release/v17.0.0", "2021-10-19T15:42:09Z", "2021-10-20T09:00:00Z", "2", "2"],
        ["nodejs.org/blog/release/v17.0.1", "2021-10-20T20:26:21Z", "2021-10-20T20:26:21Z", "1", "1"],
    ]  # fmt: skip
