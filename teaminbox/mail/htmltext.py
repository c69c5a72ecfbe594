"""The text of an HTML mail body, for quoting it in a plain-text reply.

Reading only: scripts, styles and the head are dropped, blocks become
paragraphs, `<br>` a line break, list items lines starting with `- `, and a
link keeps its text followed by its address when they differ. Never raises.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "div", "dl", "dt", "dd", "fieldset",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_SKIPPED = frozenset({"head", "script", "style", "template", "title", "noscript"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skipping = 0
        self._pre = 0
        self._links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag == "br":
            self._break()
        elif tag == "li":
            if self._line:
                self._break()
            self._line.append("- ")
        elif tag in _BLOCKS:
            self._paragraph()
            if tag == "pre":
                self._pre += 1
        if tag in ("td", "th") and self._line:
            self._line.append(" ")
        if tag == "a":
            self._links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "li" and self._line:
            self._break()
        elif tag in _BLOCKS:
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
            self._paragraph()
        elif tag == "a" and self._links:
            href = self._links.pop()
            shown = "".join(self._line)
            if href and href.startswith(("http://", "https://")) and href not in shown:
                self._line.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._pre:
            first, *rest = data.split("\n")
            self._line.append(first)
            for line in rest:
                self._break()
                self._line.append(line)
            return
        text = _SPACES.sub(" ", data)
        if not self._line or "".join(self._line).endswith((" ", "- ")):
            text = text.lstrip()
        self._line.append(text)

    def _break(self) -> None:
        self.lines.append("".join(self._line).rstrip())
        self._line = []

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
    collector.feed(html)
    collector.close()
    return re.sub(r"\n{3,}", "\n\n", collector.text())
