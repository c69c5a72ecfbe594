"""HTML that nests too deep for html5ever, told in one pass without parsing it.

html5ever (under nh3) looks through its stack of open elements at each block
it opens, so HTML that leaves many thousands of elements open (a few hundred
KB of `<div>`, or of `<b>x</p>`) takes time quadratic in its size: half a
minute for 640 KB, minutes for the 2 MB a text part may hold. Real mail
nests a few dozen deep. Such HTML is shown as its text instead.
"""

from __future__ import annotations

import html as html_text
import re
from collections import Counter

# Open elements at once beyond which HTML is not parsed.
MAX_DEPTH = 1000
# Shorter HTML parses in well under a second however it nests.
CHECKED_FROM = 64 * 1024

# A tag, read up to its ">" but never past a "<" (so that each "<" is read
# once: a run of "<a" without ">" stays linear).
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*+(>?)")
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})  # fmt: skip
# Closed by the next of their kind or their parent's end: never deep.
_IMPLIED_END = frozenset({
    "p", "li", "dt", "dd", "tr", "td", "th", "tbody", "thead", "tfoot", "option", "optgroup",
    "rb", "rp", "rt", "rtc",
})  # fmt: skip
# Anything tag-like, for the text: comments and declarations too.
_ANY_TAG = re.compile(r"<[^<>]*+>?")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def too_deep(html: str) -> bool:
    """Whether `html` would hold more than MAX_DEPTH elements open at once.

    An end tag closes its element and those opened inside it, as a parser
    does; one with no such element open is ignored. `<div/>` opens a div:
    HTML ignores the slash but on void elements (an SVG's self-closed
    shapes count too, and close with their `</svg>`)."""
    if len(html) < CHECKED_FROM:
        return False
    stack: list[str] = []
    open_by_name: Counter[str] = Counter()
    for match in _TAG.finditer(html):
        closing, name, ended = match[1], match[2].lower(), match[3]
        if not ended or name in _VOID or name in _IMPLIED_END:
            continue
        if not closing:
            stack.append(name)
            open_by_name[name] += 1
            if len(stack) > MAX_DEPTH:
                return True
        elif open_by_name[name]:
            while (top := stack.pop()) != name:
                open_by_name[top] -= 1
            open_by_name[name] -= 1
    return False


def as_text(html: str) -> str:
    """The text of `html`, tags dropped, as escaped HTML with its line breaks."""
    text = html_text.unescape(_ANY_TAG.sub(" ", html))
    return "<br>\n".join(html_text.escape(line) for line in _LINE_BREAK.split(text))
