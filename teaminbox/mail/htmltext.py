"""The text of an HTML mail body, for quoting it in a plain-text reply.

Reading only: scripts, styles and titles are dropped, blocks become
paragraphs, `<br>` a line break, list items lines starting with `- `, and a
link keeps its text followed by its address when they differ. Never raises.

The body is hostile and may be large: nh3 first reduces it to well-formed
markup holding only the tags read here, and each piece of text is added
without going over the line built so far.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

from teaminbox.mail.content import without_surrogates
from teaminbox.mail.nesting import as_text, too_deep

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "div", "dl", "dt", "dd", "fieldset",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_TAGS = _BLOCKS | _CELLS | {"a", "br", "li"}
# Removed with everything inside them (nh3 keeps the text of other tags).
_SKIPPED = frozenset({"script", "style", "template", "title", "noscript"})
_SHOWN_HREFS = ("http://", "https://")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._after_space = False
        self._pre = 0
        # The open link's href and the text shown for it (nh3 never nests links).
        self._link: tuple[str | None, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._break()
        elif tag == "li":
            if self._line:
                self._break()
            self._append("- ")
        elif tag in _BLOCKS:
            self._paragraph()
            if tag == "pre":
                self._pre += 1
        if tag in _CELLS and self._line:
            self._append(" ")
        if tag == "a":
            self._link = (dict(attrs).get("href"), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._line:
            self._break()
        elif tag in _BLOCKS:
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
            self._paragraph()
        elif tag == "a" and self._link is not None:
            href, shown = self._link
            self._link = None
            if href and href.startswith(_SHOWN_HREFS) and href not in "".join(shown):
                self._append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self._pre:
            first, *rest = data.split("\n")
            self._add(first)
            for line in rest:
                self._break()
                self._add(line)
            return
        text = _SPACES.sub(" ", data)
        if not self._line or self._after_space:
            text = text.lstrip()
        self._add(text)

    def _add(self, text: str) -> None:
        """Add text of the message: to the line and to the open link's text."""
        self._append(text)
        if self._link is not None:
            self._link[1].append(text)

    def _append(self, text: str) -> None:
        """Add to the line, noting whether it now ends with a space.

        Joining the line to look at its end for every piece of text would
        take time quadratic in the number of pieces on a line.
        """
        self._line.append(text)
        if text:
            self._after_space = text.endswith(" ")

    def _break(self) -> None:
        self.lines.append("".join(self._line).rstrip())
        self._line = []
        self._after_space = False

    def _paragraph(self) -> None:
        if self._line:
            self._break()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def text(self) -> str:
        if self._line:
            self._break()
        return "\n".join(self.lines).strip("\n")


def html_to_text(html: str) -> str:
    """The readable text of `html`, paragraphs separated by a blank line."""
    collector = _TextCollector()
    collector.feed(_well_formed(html))
    collector.close()
    return re.sub(r"\n{3,}", "\n\n", collector.text())


def _well_formed(html: str) -> str:
    """`html` as nh3 serialises it, keeping only the tags and hrefs read here.

    Python 3.11's `html.parser` takes time quadratic in the input on
    unterminated markup (`'<a x="' * n`, CVE-2025-6069); nh3 (html5ever)
    parses it in linear time, the way browsers do, and writes every tag and
    attribute terminated, comments removed. The text it escapes is decoded
    again by `convert_charrefs`. nh3 takes only encodable text, hence the
    surrogates replaced. HTML nested too deep for html5ever (`too_deep`)
    goes as its text.
    """
    if too_deep(html):
        html = as_text(html)
    return nh3.clean(
        without_surrogates(html),
        tags=set(_TAGS),
        clean_content_tags=set(_SKIPPED),
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel=None,
    )
