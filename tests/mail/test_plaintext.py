"""Plain-text bodies: escaped, linked, quotes marked; nothing else becomes markup."""

from __future__ import annotations

import time

import pytest
from markupsafe import Markup

from teaminbox.mail.plaintext import render_plain_text


def link(href: str, text: str | None = None) -> str:
    return f'<a href="{href}" rel="noopener noreferrer nofollow" target="_blank">{text or href}</a>'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour", "Bonjour"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a & b \"c\" 'd'", "a &amp; b &#34;c&#34; &#39;d&#39;"),
        ("https://example.com", link("https://example.com")),
        ("Voir https://example.com/a.", f"Voir {link('https://example.com/a')}."),
        ("https://example.com/a, et https://example.com/b;", f"{link('https://example.com/a')}, et {link('https://example.com/b')};"),
        ("(voir https://example.com/a)", f"(voir {link('https://example.com/a')})"),
        ("https://fr.wikipedia.org/wiki/Paris_(France)", link("https://fr.wikipedia.org/wiki/Paris_(France)")),
        ("HTTP://EXAMPLE.COM/X", link("HTTP://EXAMPLE.COM/X")),
        ("http://example.com/?a=1&b=2", link("http://example.com/?a=1&amp;b=2")),
        ("www.example.fr/page", link("https://www.example.fr/page", "www.example.fr/page")),
        ("<https://example.com/x>", f"&lt;{link('https://example.com/x')}&gt;"),
        ('"https://example.com/q"', f"&#34;{link('https://example.com/q')}&#34;"),
        ("https://example.com/'onmouseover='x", link("https://example.com/&#39;onmouseover=&#39;x")),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("data:text/html,<b>", "data:text/html,&lt;b&gt;"),
        ("ftp://example.com/", "ftp://example.com/"),
        ("http:// nothing", "http:// nothing"),
        ("www. nothing", "www. nothing"),
        ("contact@www.example.fr", "contact@www.example.fr"),
        ("xwww.example.fr", "xwww.example.fr"),
        ("Fin.\n\nSalut", "Fin.\n\nSalut"),
        ("CRLF\r\nlines\rold mac", "CRLF\nlines\nold mac"),
        ("> cité\n>> re-cité\nréponse", '<span class="quote">&gt; cité</span>\n<span class="quote">&gt;&gt; re-cité</span>\nréponse'),
        ("> voir https://example.com", f'<span class="quote">&gt; voir {link("https://example.com")}</span>'),
        (" > not a quote", " &gt; not a quote"),
        ("nul\x00 and lone \ud800", "nul and lone \ufffd"),
    ],
)  # fmt: skip
def test_render_plain_text(text: str, expected: str) -> None:
    rendered = render_plain_text(text)
    assert isinstance(rendered, Markup)
    assert str(rendered) == expected


def test_a_url_ending_in_a_long_run_of_closers_is_trimmed_in_one_pass() -> None:
    # Each ")" dropped used to count the brackets again: quadratic in the run.
    started = time.monotonic()
    rendered = render_plain_text("see http://example.com/a" + ")" * 200_000)
    assert time.monotonic() - started < 5
    assert 'href="http://example.com/a"' in rendered
