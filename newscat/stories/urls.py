"""Canonical URLs: one spelling for every address of the same page.

News links reach a catalogue in many forms: ``http`` and ``https``, with and
without ``www.``, with a trailing slash, with campaign parameters
(``utm_source``, ``fbclid``), and as AMP pages (``/amp``, ``.amp``,
``?amp=1``, or wrapped by Google's AMP cache as
``https://host-com.cdn.ampproject.org/c/s/host.com/...``). ``canonical_url``
maps them all to one text, which duplicates, ``related`` links and stories
compare.

The function is pure, never raises, and is idempotent: the canonical form of
a canonical URL is itself.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode

#: Query parameters that say how a reader arrived, never which page they read.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
        "ocid", "cmpid", "cmp", "icid", "ito", "ncid", "sr_share", "smid", "smtyp",
        "ref", "ref_src", "ref_url", "referrer", "share", "s_cid", "guccounter",
        "guce_referrer", "guce_referrer_sig", "soc_src", "soc_trk", "outputtype", "amp",
        "amp_js_v", "usqp", "__twitter_impression",
    }
)  # fmt: skip
#: Parameter prefixes of the same kind (``utm_source``, ``utm_medium``, ...).
TRACKING_PREFIXES = ("utm_", "hsa_", "pk_", "mtm_", "at_", "oly_")

_AMP_CACHE_HOST = ".cdn.ampproject.org"
#: ``/c/`` pages, ``/v/`` viewer pages and ``/i/`` images; a following ``s/`` means https.
_AMP_CACHE_KINDS = ("c", "v", "i", "r")
_AMP_SUFFIXES = (".amp.html", ".amp.htm", ".amp", ".html", ".htm")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: A path of unreserved and allowed characters only: nothing to escape or unescape.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~_-]*")
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]")
#: Characters that may stay as they are in a path (RFC 3986 pchar plus "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_LAYOUT = str.maketrans("", "", "\t\n\r")
_BAD_HOST = re.compile(r"[\s%<>\"{}|^`]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_PREFIXES = ("www.", "www1.", "www2.", "www3.", "amp.", "m.", "mobile.")
#: The AMP cache unwraps to another URL; a wrapped wrapper unwraps again, within reason.
_MAX_UNWRAP = 4


def canonical_url(text: object) -> str | None:
    """The canonical form of an http(s) URL, or None when ``text`` is not one.

    ``https://`` always (http and https name the same page), host in lower case
    without ``www.``/``m.``/``amp.`` and without a default port, path without
    AMP forms, ``.html`` suffix, empty segments or trailing slash, query without
    tracking parameters and sorted, no fragment and no user name.
    """
    if not isinstance(text, str):
        return None
    # Lone surrogates cannot be encoded; they become U+FFFD, as a decoder would make them.
    url = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").strip()
    for _ in range(_MAX_UNWRAP):
        parts = _split(url)
        if parts is None:
            return None
        authority, raw_path, query = parts
        segments = _segments(raw_path)
        inner = _amp_cache_target(authority, segments, query)
        if inner is None:
            break
        url = inner
    else:
        return None
    host = _host(authority)
    if not host:
        return None
    path = _path(segments)
    query = _query(query)
    return f"https://{host}{path}" + (f"?{query}" if query else "")


def _split(url: str) -> tuple[str, str, str] | None:
    """(host, path, query) of an absolute http(s) URL (fragment and user dropped)."""
    url = url.translate(_LAYOUT)
    scheme = _SCHEME.match(url)
    if scheme is None or scheme.group(1).lower() not in ("http", "https"):
        return None
    rest = url[scheme.end() :].replace("\\", "/")
    if not rest.startswith("//"):
        return None
    rest = rest[2:]
    rest = rest.split("#", 1)[0]
    authority_end = len(rest)
    for mark in "/?":
        at = rest.find(mark)
        if at != -1:
            authority_end = min(authority_end, at)
    authority, tail = rest[:authority_end], rest[authority_end:]
    path, _, query = tail.partition("?")
    return authority.rpartition("@")[2], path, query


def _amp_cache_target(authority: str, segments: list[str], query: str) -> str | None:
    """The page a Google AMP cache URL wraps, as a URL of its own, else None."""
    if not _bare_host(authority).endswith(_AMP_CACHE_HOST):
        return None
    if len(segments) < 2 or segments[0] not in _AMP_CACHE_KINDS:
        return None
    secure = segments[1] == "s"
    rest = segments[2:] if secure else segments[1:]
    if not rest:
        return None
    scheme = "https" if secure else "http"
    return f"{scheme}://{'/'.join(rest)}" + (f"?{query}" if query else "")


def _bare_host(authority: str) -> str:
    host = authority.lower()
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.split("]", 1)[0] + "]" if "]" in host else host
    return host.split(":", 1)[0].rstrip(".")


def _host(authority: str) -> str:
    """Lower case, no default port, no ``www.``-like prefix, no trailing dot."""
    host = authority.lower().strip()
    port = ""
    if host.startswith("["):
        if "]" not in host:
            return ""
        host, _, after = host.partition("]")
        host += "]"
        port = after[1:] if after.startswith(":") else ""
    elif ":" in host:
        host, _, port = host.partition(":")
    host = host.rstrip(".")
    if _BAD_HOST.search(host):
        return ""
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and "." in host[len(prefix) :]:
                host = host[len(prefix) :]
                changed = True
    if port:
        if not port.isdigit():
            return ""
        if int(port) not in (80, 443):
            host += f":{int(port)}"
    return host


def _segments(path: str) -> list[str]:
    """The path's non-empty segments, percent-escapes upper case, unreserved characters
    unescaped, everything else that a path cannot hold escaped; ``.`` and ``..`` go."""
    if not _PLAIN_PATH.fullmatch(path):  # else every step below leaves it as it is
        path = _LONE_PERCENT.sub("%25", path)
        path = _PERCENT.sub(_normal_escape, path)
        path = quote(path, safe=_PATH_SAFE)
    return [segment for segment in path.split("/") if segment and segment not in (".", "..")]


def _path(segments: list[str]) -> str:
    """Without ``amp`` segments, AMP and ``.html`` suffixes, or a trailing slash."""
    kept = [segment for segment in segments if segment.lower() != "amp"]
    while kept:
        last = kept[-1]
        lowered = last.lower()
        for suffix in _AMP_SUFFIXES:
            if lowered.endswith(suffix) and len(last) > len(suffix):
                last = last[: -len(suffix)]
                break
        if last == kept[-1]:
            break
        if last.lower() in ("amp", ".", ".."):
            kept.pop()
        else:
            kept[-1] = last
    return "".join(f"/{segment}" for segment in kept)


def _normal_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(0)[1:], 16))
    return char if _UNRESERVED.fullmatch(char) else match.group(0).upper()


def _query(query: str) -> str:
    """Tracking parameters dropped, the rest sorted (their order never names another page)."""
    if not query:
        return ""
    pairs = parse_qsl(query.replace(";", "&"), keep_blank_values=True)
    kept = sorted(
        (key, value)
        for key, value in pairs
        if key
        and key.lower() not in TRACKING_PARAMETERS
        and not key.lower().startswith(TRACKING_PREFIXES)
    )
    return urlencode(kept)
