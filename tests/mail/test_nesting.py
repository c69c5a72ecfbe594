"""HTML nested deeper than any real mail is shown as text, found in one
pass: html5ever (under nh3) takes time quadratic in such HTML's size."""

from __future__ import annotations

import time

import pytest

from teaminbox.mail.nesting import CHECKED_FROM, as_text, too_deep
from teaminbox.mail.sanitize import sanitize_html

SIZE = 640_000  # html5ever: half a minute for the first three


@pytest.mark.parametrize(
    "unit",
    ["<div>", "<b>x</p>", "<blockquote>", "<div></x>", "<DIV class='a'>", "<div/>"],
    ids=["divs", "bold-in-paragraphs", "quotes", "stray-ends", "attributes", "slash-ends"],
)
def test_deep_html_is_shown_as_its_text_at_once(unit: str) -> None:
    html = unit * (SIZE // len(unit)) + "<p>Bonjour &amp; merci</p>"
    started = time.monotonic()
    body = sanitize_html(html, allow_remote=False, cid_url=lambda _cid: None).html
    assert time.monotonic() - started < 5
    assert "<" not in body.replace("<br>", "")
    assert "Bonjour &amp; merci" in body


@pytest.mark.parametrize(
    "unit",
    [
        "<table><tr><td><div><span>texte</span></div></td></tr></table>",
        "<div><span>jamais fermé</div>",  # the end of the div closes the span
        "<p>un<p>deux<li>trois<br><img src=x>",  # ends implied, void elements
    ],
    ids=["newsletter", "unclosed-inside", "implied-ends"],
)
def test_big_ordinary_html_is_not_too_deep(unit: str) -> None:
    html = unit * (SIZE // len(unit))
    assert not too_deep(html)


def test_short_html_is_never_counted() -> None:
    assert not too_deep("<div>" * (CHECKED_FROM // 5 - 1))


def test_the_text_keeps_its_lines_and_escapes_everything() -> None:
    assert as_text("<div>a &lt;b&gt;\r\n<script>x</script>c<!-- d --></div>") == (
        " a &lt;b&gt;<br>\n x c  "
    )
