"""Which URLs in mail HTML and CSS may stay: links, inline images, remote resources.

URLs are read the way browsers read them (WHATWG URL: surrounding controls and
spaces ignored, tabs and newlines removed anywhere, a backslash counting as a
slash for http and https), so that `java\\tscript:` or `\\\\host/x` are seen for
what they are. Anything not positively recognised is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from urllib.parse import unquote

_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HTTP_WITH_HOST = re.compile(r"https?:[/\\]{2}", re.IGNORECASE)
_PROTOCOL_RELATIVE = re.compile(r"[/\\]{2}")
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpeg|jpg|webp)[;,]", re.IGNORECASE)


class UrlKind(Enum):
    """What a URL found in a message would make the browser do."""

    REMOTE = "remote"  # http(s) with a host, or protocol-relative `//host`
    CID = "cid"  # a part of the same message
    DATA_IMAGE = "data-image"  # an inline PNG, GIF, JPEG or WebP
    MAILTO = "mailto"
    TEL = "tel"
    OTHER = "other"  # javascript:, other data:, relative, #anchors, unknown schemes


def normalize_url(value: str) -> str:
    """Strip what browsers ignore: outer controls and spaces, inner tabs and newlines."""
    return _TAB_OR_NEWLINE.sub("", value.strip(_C0_AND_SPACE))


def classify_url(value: str) -> UrlKind:
    """Say what kind of URL `value` (an attribute or CSS url() value) is."""
    url = normalize_url(value)
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        if _PROTOCOL_RELATIVE.match(url):
            return UrlKind.REMOTE
        return UrlKind.OTHER
    scheme = scheme_match.group(1).lower()
    if scheme in ("http", "https"):
        # `https:x.png` without slashes is relative to the page: refused.
        return UrlKind.REMOTE if _HTTP_WITH_HOST.match(url) else UrlKind.OTHER
    if scheme == "data":
        return UrlKind.DATA_IMAGE if _DATA_IMAGE.match(url) else UrlKind.OTHER
    known = {"cid": UrlKind.CID, "mailto": UrlKind.MAILTO, "tel": UrlKind.TEL}
    return known.get(scheme, UrlKind.OTHER)


def content_id(value: str) -> str:
    """The Content-ID a `cid:` URL names: no scheme, no angle brackets, unquoted."""
    url = normalize_url(value)
    return unquote(url[4:]).strip().removeprefix("<").removesuffix(">").strip()


def link_target(value: str) -> str | None:
    """The href to keep for a link, or None: only http(s), mailto: and tel:.

    Relative links and #anchors would point into the app, not the message.
    """
    kind = classify_url(value)
    if kind in (UrlKind.REMOTE, UrlKind.MAILTO, UrlKind.TEL):
        return normalize_url(value)
    return None


class ResourceGate:
    """Decides, for one sanitising pass, what each resource URL (image, background, font) becomes.

    `cid:` URLs become `cid_url(content_id)` (refused when that is None), inline
    data images stay, remote URLs stay only with `allow_remote` and are counted
    in `blocked` otherwise, and everything else is refused. One gate per
    message: it is not shared between threads.
    """

    def __init__(self, *, allow_remote: bool, cid_url: Callable[[str], str | None]) -> None:
        self.allow_remote = allow_remote
        self.cid_url = cid_url
        self.blocked = 0

    def resolve(self, value: str) -> str | None:
        """The URL to write instead of `value`, or None to drop what carries it."""
        kind = classify_url(value)
        if kind is UrlKind.CID:
            return self.cid_url(content_id(value))
        if kind is UrlKind.DATA_IMAGE:
            return normalize_url(value)
        if kind is UrlKind.REMOTE:
            return self._remote(value)
        return None

    def note_blocked(self) -> None:
        """Count a remote resource refused by the caller itself (a CSS `@import`)."""
        self.blocked += 1

    def _remote(self, value: str) -> str | None:
        if not self.allow_remote:
            self.note_blocked()
            return None
        url = normalize_url(value)
        if _PROTOCOL_RELATIVE.match(url):
            return "https://" + url[2:]
        return url
