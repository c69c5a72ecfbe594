"""Turning the HTML of a message into a fragment that is safe to show.

The HTML is shown in a sandboxed iframe (no scripts, no same origin) served
with `MAIL_FRAME_CSP_*`, but `sanitize_html` is meant to be safe on its own:

- nh3 (ammonia, html5ever) parses the HTML the way browsers do and keeps only
  the tags and attributes listed here; scripts, event handlers, frames,
  objects, forms, `<meta>`, `<base>`, `<link>`, `srcset`, SVG and MathML go;
- every URL attribute goes through `teaminbox.mail.urls`: links keep only
  http(s), mailto: and tel: and open in a new tab without referrer; images
  and backgrounds keep cid: (rewritten by the caller's `cid_url`),
  PNG/GIF/JPEG/WebP data: URLs and, only when allowed, remote URLs;
- `style` attributes and `<style>` blocks are rebuilt by
  `teaminbox.mail.styles` with the same URL rules; a `<style>` element that
  cannot be found again in nh3's output makes the whole message lose its
  `<style>` elements rather than keep one unsanitised.

Relies on nh3 behaviour that the tests check (written against nh3 0.3.8):
nh3 checks URL schemes before calling `attribute_filter` and does not check
its result again; the filter is also called for attributes of elements nh3
then removes; a `<style>` element's text is serialised raw, never holding
`</style>`, and attribute values and text have `<` escaped.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import nh3

from teaminbox.mail.content import without_surrogates
from teaminbox.mail.nesting import as_text, too_deep
from teaminbox.mail.styles import clean_style_attribute, clean_stylesheet
from teaminbox.mail.urls import ResourceGate, link_target

MAIL_FRAME_CSP_BLOCKED = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; font-src 'none'; "
    "form-action 'none'; frame-ancestors 'self'; base-uri 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
"""CSP for a message body without remote content.

`img-src 'self'` lets cid: images through the app's own URLs (CSP 3 resolves
'self' against the response URL even in an opaque-origin sandboxed frame).
The `sandbox` directive keeps the body sandboxed when opened directly rather
than in its iframe; it allows popups so that links (`target="_blank"`) open,
which also needs `allow-popups allow-popups-to-escape-sandbox` on the iframe.
"""

MAIL_FRAME_CSP_REMOTE = (
    "default-src 'none'; style-src 'unsafe-inline' https: http:; "
    "img-src 'self' data: https: http:; font-src https: http:; "
    "form-action 'none'; frame-ancestors 'self'; base-uri 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
"""CSP for a message body once the user chose to load its remote content."""

_TAGS = frozenset(nh3.ALLOWED_TAGS) | {
    "address", "big", "font", "main", "section", "tfoot", "style",
}  # fmt: skip
# Removed with everything inside them (nh3 keeps the text of other unknown tags).
_CLEAN_CONTENT_TAGS = frozenset(
    {
        "script", "title", "svg", "math", "iframe", "frame", "frameset", "noframes",
        "noembed", "noscript", "object", "applet", "embed", "textarea", "select",
        "xmp", "plaintext", "template",
    }
)  # fmt: skip
_COMMON_ATTRIBUTES = frozenset(
    {
        "style", "class", "id", "dir", "lang", "title", "align", "valign", "width",
        "height", "bgcolor", "background", "color",
    }
)  # fmt: skip
_EXTRA_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"name"},
    "font": {"face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "frame", "rules"},
    "td": {"nowrap", "abbr", "axis"},
    "th": {"nowrap", "abbr", "axis"},
    "img": {"border", "hspace", "vspace"},
    "ol": {"type", "reversed"},
    "ul": {"type"},
    "li": {"type", "value"},
    "hr": {"noshade"},
    "col": {"span"},
}
_RESOURCE_ATTRIBUTES = frozenset({"src", "background", "poster"})
_LINK_ATTRIBUTES = frozenset({"href", "cite"})
_LINK_REL = "noopener noreferrer nofollow"
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
_STYLE_MARKER = "data-teaminbox-style"
_SET_BY_NH3 = frozenset({"target", "rel", _STYLE_MARKER})


def _allowed_attributes() -> dict[str, set[str]]:
    attributes = copy.deepcopy(nh3.ALLOWED_ATTRIBUTES)
    attributes["*"] = set(_COMMON_ATTRIBUTES)
    for tag, names in _EXTRA_ATTRIBUTES.items():
        attributes.setdefault(tag, set()).update(names)
    return attributes


_ATTRIBUTES = _allowed_attributes()


@dataclass(frozen=True)
class SanitizedHtml:
    """A sanitised body fragment and how many remote resources were taken out of it."""

    html: str
    blocked_remote: int


def sanitize_html(
    html: str, *, allow_remote: bool, cid_url: Callable[[str], str | None]
) -> SanitizedHtml:
    """Return `html` as a safe body fragment (no `<html>`/`<head>`).

    `cid_url(content_id)` gives the URL serving the message part with that
    Content-ID (no `cid:`, no angle brackets, URL-unquoted), or None to drop the
    reference. Remote images, backgrounds, fonts and stylesheets are removed and
    counted in `blocked_remote` unless `allow_remote` (then the count is 0).
    `cid_url` should not raise: inside an HTML attribute nh3 would swallow the
    error (dropping the attribute, reporting it to `sys.unraisablehook`).
    """
    html = without_surrogates(html)  # nh3 and the page take only encodable text
    if too_deep(html):
        return SanitizedHtml(html=as_text(html), blocked_remote=0)
    gate = ResourceGate(allow_remote=allow_remote, cid_url=cid_url)
    # A per-call secret marks the <style> elements nh3 kept, so that no text
    # of the message can pose as one.
    secret = secrets.token_hex(16)
    cleaned = _run_nh3(html, gate, style_marker=secret)
    body = _clean_style_elements(cleaned, f'<style {_STYLE_MARKER}="{secret}">', gate)
    if secret in body:
        # A style element did not look as expected and was left as it was:
        # never show its CSS unsanitised; start again without style elements.
        gate = ResourceGate(allow_remote=allow_remote, cid_url=cid_url)
        body = _run_nh3(html, gate, style_marker=None)
    return SanitizedHtml(html=body, blocked_remote=gate.blocked)


def _run_nh3(html: str, gate: ResourceGate, *, style_marker: str | None) -> str:
    """nh3 with this module's lists.

    `<style>` elements are kept, marked with `style_marker`, for
    `_clean_style_elements` to clean; with None they go with their content.
    """
    tags, clean_content = _TAGS, _CLEAN_CONTENT_TAGS
    set_attributes = {"a": {"target": "_blank"}}
    if style_marker is None:
        tags, clean_content = tags - {"style"}, clean_content | {"style"}
    else:
        set_attributes["style"] = {_STYLE_MARKER: style_marker}
    return nh3.clean(
        html,
        tags=set(tags),
        clean_content_tags=set(clean_content),
        attributes=_ATTRIBUTES,
        attribute_filter=_AttributeFilter(gate),
        link_rel=_LINK_REL,
        set_tag_attribute_values=set_attributes,
        url_schemes=set(_URL_SCHEMES),
    )


class _AttributeFilter:
    """nh3's attribute callback: URL and style rules for the attributes nh3 keeps.

    nh3 also calls it for attributes of elements it then removes; those are
    answered with None and never counted as blocked.
    """

    def __init__(self, gate: ResourceGate) -> None:
        self.gate = gate
        # Newsletters repeat the same style attribute hundreds of times.
        self.styles: dict[str, tuple[str | None, int]] = {}

    def __call__(self, tag: str, attribute: str, value: str) -> str | None:
        if tag not in _TAGS:
            return None
        if tag == "style":  # only the marker, so that the element is found again
            return value if attribute == _STYLE_MARKER else None
        if attribute not in _ATTRIBUTES["*"] and attribute not in _ATTRIBUTES.get(tag, ()):
            return value if attribute in _SET_BY_NH3 else None
        if attribute in _RESOURCE_ATTRIBUTES:
            return self.gate.resolve(value)
        if attribute in _LINK_ATTRIBUTES:
            return link_target(value)
        if attribute == "style":
            return self._clean_style(value)
        return value

    def _clean_style(self, value: str) -> str | None:
        """The cleaned style attribute, counting its blocked URLs each time it appears."""
        if value in self.styles:
            cleaned, blocked = self.styles[value]
            self.gate.blocked += blocked
            return cleaned
        before = self.gate.blocked
        cleaned = clean_style_attribute(value, self.gate) or None
        self.styles[value] = (cleaned, self.gate.blocked - before)
        return cleaned


def _clean_style_elements(html: str, opening: str, gate: ResourceGate) -> str:
    """Replace the text of each marked `<style>` element with its cleaned CSS.

    html5ever ends a style element at the first `</style` followed by `>`, `/`
    or whitespace, whatever the case, so its serialised text holds no
    `</style>` and the first one after the marker closes it.
    """
    parts: list[str] = []
    position = 0
    while (start := html.find(opening, position)) != -1:
        parts.append(html[position:start])
        text_start = start + len(opening)
        end = html.find("</style>", text_start)
        if end == -1:  # cannot happen with nh3's output; refuse the rest
            return "".join(parts)
        stylesheet = clean_stylesheet(html[text_start:end], gate)
        if stylesheet:
            parts.append("<style>" + stylesheet + "</style>")
        position = end + len("</style>")
    parts.append(html[position:])
    return "".join(parts)
