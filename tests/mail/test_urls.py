"""URLs are classified the way browsers would read them."""

from __future__ import annotations

import pytest

from teaminbox.mail.urls import ResourceGate, UrlKind, classify_url, content_id, link_target


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://example.com/x.png", UrlKind.REMOTE),
        ("HTTP://EXAMPLE.COM/", UrlKind.REMOTE),
        ("  \t https://example.com/ ", UrlKind.REMOTE),
        ("ht\ttp://example.com/", UrlKind.REMOTE),
        ("https:\\\\example.com/", UrlKind.REMOTE),
        ("//example.com/x.png", UrlKind.REMOTE),
        ("\\\\example.com/x.png", UrlKind.REMOTE),
        ("/\\example.com/x.png", UrlKind.REMOTE),
        ("https:x.png", UrlKind.OTHER),
        ("cid:logo@x", UrlKind.CID),
        ("CID:logo@x", UrlKind.CID),
        ("data:image/png;base64,AAAA", UrlKind.DATA_IMAGE),
        ("data:image/jpeg,xx", UrlKind.DATA_IMAGE),
        ("data:image/svg+xml,<svg/>", UrlKind.OTHER),
        ("data:text/html,<script>", UrlKind.OTHER),
        ("mailto:a@b.example", UrlKind.MAILTO),
        ("tel:+33123", UrlKind.TEL),
        ("javascript:alert(1)", UrlKind.OTHER),
        ("java\nscript:alert(1)", UrlKind.OTHER),
        ("\x01javascript:alert(1)", UrlKind.OTHER),
        ("vbscript:x", UrlKind.OTHER),
        ("#anchor", UrlKind.OTHER),
        ("/relative/path", UrlKind.OTHER),
        ("x.png", UrlKind.OTHER),
        ("", UrlKind.OTHER),
    ],
)
def test_classify_url(url: str, kind: UrlKind) -> None:
    assert classify_url(url) is kind


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("cid:logo@x", "logo@x"),
        ("cid:<logo@x>", "logo@x"),
        ("cid:%3Clogo@x%3E", "logo@x"),
        (" cid:part1.0609%40example ", "part1.0609@example"),
    ],
)
def test_content_id_is_bare_and_unquoted(url: str, expected: str) -> None:
    assert content_id(url) == expected


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://example.com/a", "https://example.com/a"),
        (" mailto:a@b.example ", "mailto:a@b.example"),
        ("tel:+33123", "tel:+33123"),
        ("javascript:alert(1)", None),
        ("#top", None),
        ("/app/logout", None),
        ("data:text/html,x", None),
    ],
)
def test_link_target(href: str, expected: str | None) -> None:
    assert link_target(href) == expected


def test_gate_counts_every_remote_url_it_refuses() -> None:
    gate = ResourceGate(allow_remote=False, cid_url=lambda content: f"/inline/{content}")
    results = [gate.resolve(url) for url in ("https://a/1", "//a/2", "cid:x", "javascript:x")]
    assert results == [None, None, "/inline/x", None]
    assert gate.blocked == 2


def test_gate_keeps_remote_urls_when_allowed_and_counts_nothing() -> None:
    gate = ResourceGate(allow_remote=True, cid_url=lambda content: None)
    assert gate.resolve("https://a/1") == "https://a/1"
    assert gate.resolve("//a/2") == "https://a/2"
    assert gate.resolve("cid:gone") is None
    assert gate.blocked == 0
