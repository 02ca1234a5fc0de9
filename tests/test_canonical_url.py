"""Canonical URLs: the forms one page takes in real feeds map to one text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscat.stories.urls import canonical_url

HEE = "https://hee.nhs.uk/news-blogs-events/news/new-report-finds-healthcare-staff-need-support-use-ai-safely"
MX = "https://medicalxpress.com/news/2022-05-guidelines-ai-health"
CW = "https://computerweekly.com/news/252526876/All-NHS-staff-should-have-basic-AI-training-says-report"

SAME_PAGE = [
    # The seeds' own spellings: webUrl, ampWebUrl, cdnAmpWebUrl.
    (
        "https://www.hee.nhs.uk/news-blogs-events/news/new-report-finds-healthcare-staff-need-support-use-ai-safely",
        HEE,
    ),
    ("https://medicalxpress.com/news/2022-05-guidelines-ai-health.html", MX),
    ("https://medicalxpress.com/news/2022-05-guidelines-ai-health.amp", MX),
    (
        "https://medicalxpress-com.cdn.ampproject.org/c/s/medicalxpress.com/news/2022-05-guidelines-ai-health.amp",
        MX,
    ),
    (
        "https://www.computerweekly.com/news/252526876/All-NHS-staff-should-have-basic-AI-training-says-report",
        CW,
    ),
    (
        "https://www.computerweekly.com/news/252526876/All-NHS-staff-should-have-basic-AI-training-says-report?amp=1",
        CW,
    ),
    (
        "https://www-computerweekly-com.cdn.ampproject.org/c/s/www.computerweekly.com/news/252526876/All-NHS-staff-should-have-basic-AI-training-says-report?amp=1",
        CW,
    ),
    # Scheme and host case, www., default ports, trailing slash, fragments, user names.
    ("HTTP://WWW.Example.COM/a/b", "https://example.com/a/b"),
    ("http://example.com:80/a/b/", "https://example.com/a/b"),
    ("https://example.com:443/a/b#comments", "https://example.com/a/b"),
    ("https://user:secret@www.example.com/a/b", "https://example.com/a/b"),
    ("https://example.com./a//b/", "https://example.com/a/b"),
    ("https://m.example.com/a/b", "https://example.com/a/b"),
    ("  https://example.com/a/b\n", "https://example.com/a/b"),
    # Tracking parameters go; the rest stay, sorted.
    ("https://example.com/a?utm_source=tw&utm_medium=social&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?fbclid=IwAR0&gclid=x&b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
    # AMP forms.
    ("https://www.bbc.co.uk/news/amp/uk-politics-123", "https://bbc.co.uk/news/uk-politics-123"),
    ("https://example.com/2024/05/story/amp/", "https://example.com/2024/05/story"),
    ("https://example.com/story?outputType=amp", "https://example.com/story"),
    ("https://example.com/story.amp.html", "https://example.com/story"),
    ("https://amp.example.com/story", "https://example.com/story"),
    ("https://example-com.cdn.ampproject.org/c/example.com/story", "https://example.com/story"),
    (
        "https://example-com.cdn.ampproject.org/v/s/example.com/story?amp_js_v=0.1",
        "https://example.com/story",
    ),
    # Escapes: unreserved characters unescaped, the rest upper case, stray % escaped.
    ("https://example.com/%7euser/%2fa", "https://example.com/~user/%2Fa"),
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/café", "https://example.com/caf%C3%A9"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com:8080/a", "https://example.com:8080/a"),
]


@pytest.mark.parametrize(("url", "expected"), SAME_PAGE)
def test_canonical_forms(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "value",
    [None, 42, "", "   ", "not a url", "mailto:someone@example.com", "ftp://example.com/a",
     "example.com/a", "/relative/path", "https://", "https:///path", "https://exa mple.com/",
     "https://[::1/", "https://example.com:port/", "javascript:alert(1)"],
)  # fmt: skip
def test_not_a_web_address(value: object) -> None:
    assert canonical_url(value) is None


def test_different_pages_stay_different() -> None:
    pages = [
        "https://example.com/a",
        "https://example.com/a/b",
        "https://example.com/a?id=1",
        "https://example.com/a?id=2",
        "https://example.org/a",
        "https://news.example.com/a",
        "https://example.com/A",
        "https://example.com:8080/a",
    ]
    assert len({canonical_url(page) for page in pages}) == len(pages)


@settings(max_examples=500)
@given(st.text())
def test_any_text_never_raises_and_is_idempotent(text: str) -> None:
    once = canonical_url(text)
    if once is not None:
        assert canonical_url(once) == once


_segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="#?"), max_size=12
)
HOSTS = ["example.com", "WWW.Example.com", "news.example.co.uk:443", "x-y.cdn.ampproject.org",
         "[::1]", "127.0.0.1:8000", "bücher.de", "www.www.example.com"]  # fmt: skip
_urls = st.builds(
    lambda scheme, host, segments, query: f"{scheme}://{host}/" + "/".join(segments) + query,
    st.sampled_from(["http", "https", "HTTPS", "hTTp"]),
    st.sampled_from(HOSTS),
    st.lists(_segment, max_size=5),
    st.sampled_from(["", "?", "?a=1", "?amp=1&b=%41", "?utm_source=x;y=2", "?a=%FF", "#f"]),
)


@settings(max_examples=500)
@given(_urls)
def test_url_shaped_text_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    if once is not None:
        assert once.startswith("https://")
        assert canonical_url(once) == once


_words = st.lists(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), min_size=1, max_size=4)


@given(
    _words,
    st.sampled_from(["", "www.", "WWW."]),
    st.sampled_from(["", "/", "/amp", "/amp/", ".html", ".amp", "?amp=1"]),
    st.sampled_from(["", "?utm_source=x", "?fbclid=abc&utm_medium=y"]),
    st.sampled_from(["", "#top"]),
)
def test_variants_of_one_page_agree(
    words: list[str], www: str, amp: str, tracking: str, fragment: str
) -> None:
    path = "/news/" + "/".join(words)
    base = canonical_url(f"https://example.com{path}")
    if "?" in amp and tracking:
        tracking = "&" + tracking[1:]
    variant = f"http://{www}example.com{path}{amp}{tracking}{fragment}"
    assert canonical_url(variant) == base
    cached = f"https://example-com.cdn.ampproject.org/c/s/example.com{path}{amp}"
    assert canonical_url(cached) == base
