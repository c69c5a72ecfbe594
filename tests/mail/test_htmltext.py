"""The text of HTML mail: ordinary bodies, and hostile ones in linear time.

Python 3.11's `html.parser` is quadratic on unterminated markup and the line
used to be joined again for every piece of text: at 300 KB these bodies took
minutes.
"""

from __future__ import annotations

import time

import pytest

from teaminbox.mail.htmltext import html_to_text

SIZE = 300_000


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            "<p>1 &lt; 2 &amp;&amp; caf&eacute; &#x4E2D;&#25991;\N{EM DASH}&nbsp;ok</p>",
            "1 < 2 && café 中文\N{EM DASH} ok",
        ),
        ('<a href="https://x.fr/?a=1&amp;b=2">ici</a>', "ici <https://x.fr/?a=1&b=2>"),
        ('<a href="https://x.fr/a">https://x.fr/<wbr>a</a>', "https://x.fr/a"),
        ('<a href="mailto:a@x.fr">écrire</a>', "écrire"),
        ("<ol><li>un<li>deux <b>gras</b></ol><p>fin", "- un\n- deux gras\n\nfin"),
        ("<p>a\ud800b</p>", "a\ufffdb"),
        ("<p>Bonjour&nbsp;<b>Jean</b>,</p><p>merci</p>", "Bonjour Jean,\n\nmerci"),
        ("a<br>b", "a\nb"),
        ("<ul><li>un</li><li>deux</li></ul>", "- un\n- deux"),
        ('<a href="https://x.fr/a">le lien</a>', "le lien <https://x.fr/a>"),
        ('<a href="https://x.fr/a">https://x.fr/a</a>', "https://x.fr/a"),
        ('<a href="javascript:alert(1)">ici</a>', "ici"),
        ("<head><title>t</title><style>p{}</style></head><script>x()</script><p>ok</p>", "ok"),
        ("<pre>  a\n  b</pre>", "  a\n  b"),
        ("<table><tr><td>x</td><td>y</td></tr></table>", "x y"),
        ("<p>unclosed <b>tags", "unclosed tags"),
    ],
)
def test_ordinary_mail(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    "unit",
    ['<a x="', "<a", "<?", "</", "<!--", "<!", "a<b>a</b>", "a<a>a</a>", "<a href=http://x>a</a>"],
)
def test_hostile_markup_takes_linear_time(unit: str) -> None:
    html = unit * (SIZE // len(unit))
    start = time.perf_counter()
    text = html_to_text(html)
    assert time.perf_counter() - start < 5
    assert isinstance(text, str)


def test_html_nested_too_deep_is_quoted_as_its_text_at_once() -> None:
    html = "<div>" * 128_000 + "<p>Bonjour &amp; merci</p>"
    started = time.monotonic()
    text = html_to_text(html)
    assert time.monotonic() - started < 5
    assert text.strip() == "Bonjour & merci"
