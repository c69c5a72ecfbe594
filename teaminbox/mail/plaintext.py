"""Showing a text/plain body as HTML: escaped, with links and quoted lines marked."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from teaminbox.mail.content import without_surrogates

# Only http(s) and www. are linked: the scheme of a link is never taken from the text.
_URL = re.compile(r"(?<![\w.@/])(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'*"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_LINK = '<a href="{href}" rel="noopener noreferrer nofollow" target="_blank">{text}</a>'


def render_plain_text(text: str) -> Markup:
    """Escape `text` and link its http(s) and `www.` URLs.

    Newlines stay newlines (show the result with `white-space: pre-wrap`);
    lines starting with `>` are wrapped in `<span class="quote">`. Punctuation
    ending a sentence or closing a parenthesis stays outside the link. NUL
    characters are dropped and lone surrogates replaced by U+FFFD.
    """
    text = without_surrogates(text.replace("\x00", ""))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rendered: list[str] = []
    for line in lines:
        html = _link_urls(line)
        rendered.append(f'<span class="quote">{html}</span>' if line.startswith(">") else html)
    return Markup("\n".join(rendered))  # noqa: S704 - every piece is escaped above


def _link_urls(line: str) -> str:
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(line):
        url = _trim(match.group())
        if not _has_host(url):
            continue
        parts.append(str(escape(line[position : match.start()])))
        href = url if "://" in url[:8] else "https://" + url
        parts.append(_LINK.format(href=escape(href), text=escape(url)))
        position = match.start() + len(url)
    parts.append(str(escape(line[position:])))
    return "".join(parts)


def _trim(url: str) -> str:
    """Drop trailing punctuation and closers that have no opener inside the URL.
    (The brackets are counted once: counting them again for each character
    dropped took time quadratic in a hostile run of ")".)"""
    unmatched = {closer: url.count(closer) - url.count(opener) for closer, opener in _PAIRS.items()}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif unmatched.get(last, 0) > 0:
            unmatched[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def _has_host(url: str) -> bool:
    rest = url.split("://", 1)[1] if "://" in url[:8] else url[4:]
    return bool(rest) and rest[0].isalnum()
