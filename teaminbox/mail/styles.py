"""Sanitising the CSS of mail: `style` attributes and `<style>` blocks.

The CSS is read into rules and declarations by tinycss2 (through
`teaminbox.mail.css`) and written back from what was checked, never copied
from the input, so escapes (`u\\rl(`), comments inside words (`ur/**/l`), odd
quoting and unterminated constructs cannot smuggle anything past the checks.
The rules:

- a declaration is kept only if its property is a plain identifier and its
  value uses no function outside `_VALUE_FUNCTIONS`: `expression()`,
  `image-set()`, `image()`, `element()`, `paint()` and friends go, and so does
  any property or word naming `behavior`, `binding` (`-moz-binding`),
  `expression`, `javascript` or `vbscript`;
- every `url()` goes through a `ResourceGate` (cid: rewritten, data: images
  kept, remote kept or counted and refused); a refused URL drops its whole
  declaration;
- `@import` is refused (and counted) unless remote content is allowed, and
  even then only for an http(s) URL; `@media`, `@supports`, `@container`,
  `@layer`, `@font-face`, `@page` and `@keyframes` are kept with their contents
  cleaned the same way; every other at-rule is dropped;
- selectors may use only plain selector syntax and the functional
  pseudo-classes in `_SELECTOR_FUNCTIONS`; nested rules inside a style rule
  (CSS nesting) are dropped, as mail clients do;
- rules and declarations end where CSS Syntax Level 3 (and so browsers) end
  them: a stray `;` between rules becomes part of the next selector, which is
  then dropped; a declaration after a nested rule is still a declaration;
- anything that does not parse as expected is dropped, never repaired.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeGuard

from teaminbox.mail.css import (
    MAX_DEPTH,
    Block,
    Body,
    Declaration,
    Function,
    Node,
    Rule,
    Token,
    UnsafeCss,
    parse_declarations,
    parse_rules,
    serialize,
)
from teaminbox.mail.urls import ResourceGate, UrlKind, classify_url

_VALUE_FUNCTIONS = frozenset(
    {
        "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color",
        "color-mix", "light-dark", "calc", "-webkit-calc", "-moz-calc", "min", "max",
        "clamp", "var", "counter", "counters", "linear-gradient", "radial-gradient",
        "conic-gradient", "repeating-linear-gradient", "repeating-radial-gradient",
        "repeating-conic-gradient", "-webkit-linear-gradient", "-webkit-radial-gradient",
        "-moz-linear-gradient", "-moz-radial-gradient", "-o-linear-gradient",
        "-webkit-repeating-linear-gradient", "-webkit-gradient", "color-stop", "from", "to",
        "rotate", "rotatex", "rotatey", "rotatez", "rotate3d", "translate", "translatex",
        "translatey", "translatez", "translate3d", "scale", "scalex", "scaley", "scalez",
        "scale3d", "skew", "skewx", "skewy", "matrix", "matrix3d", "perspective",
        "cubic-bezier", "steps", "blur", "brightness", "contrast", "drop-shadow",
        "grayscale", "hue-rotate", "invert", "opacity", "saturate", "sepia", "local",
        "format", "tech", "rect", "inset", "circle", "ellipse", "polygon", "fit-content",
        "minmax", "repeat", "alpha",
    }
)  # fmt: skip
_SELECTOR_FUNCTIONS = frozenset(
    {
        "not", "is", "where", "has", "nth-child", "nth-last-child", "nth-of-type",
        "nth-last-of-type", "lang", "dir", "-webkit-any", "-moz-any",
    }
)  # fmt: skip
_FORBIDDEN_WORDS = ("behavior", "binding", "expression", "javascript", "vbscript")
_GROUPING_AT_RULES = frozenset({"media", "supports", "container", "layer"})
_DECLARATION_AT_RULES = frozenset({"font-face", "page"})
_KEYFRAMES_AT_RULES = frozenset(
    {"keyframes", "-webkit-keyframes", "-moz-keyframes", "-o-keyframes"}
)
_UNSAFE_TOKENS = frozenset({"error", "CDO", "CDC", "at-keyword", ";"})
_WHITESPACE = Token("whitespace", " ")
_IMPORTANT = (_WHITESPACE, Token("delim", "!"), Token("ident", "important"))


class _Refused(Exception):
    """The declaration or rule being cleaned must be dropped whole."""


def clean_style_attribute(text: str, gate: ResourceGate) -> str:
    """The safe declarations of a `style` attribute, joined by `;` ("" if none are)."""
    return ";".join(_clean_declarations(parse_declarations(text), gate))


def clean_stylesheet(text: str, gate: ResourceGate) -> str:
    """The safe rules of a `<style>` block, one per line ("" if none are).

    The result contains no `<`, so it cannot close the element it is put in.
    """
    return "\n".join(_clean_rules(parse_rules(text), gate, depth=0))


# Declarations -----------------------------------------------------------------


def _clean_declarations(declarations: Sequence[Declaration], gate: ResourceGate) -> list[str]:
    kept: list[str] = []
    for declaration in declarations:
        try:
            kept.append(_clean_declaration(declaration, gate))
        except (_Refused, UnsafeCss):
            continue
    return kept


def _clean_declaration(declaration: Declaration, gate: ResourceGate) -> str:
    if _is_forbidden(declaration.name) or not declaration.value:
        raise _Refused
    refusals: list[str] = []
    cleaned = _clean_value(declaration.value, gate, refusals, depth=0)
    if refusals:
        raise _Refused
    important = _IMPORTANT if declaration.important else ()
    return serialize([Token("ident", declaration.name), Token(":"), *cleaned, *important])


def _clean_value(
    nodes: Sequence[Node], gate: ResourceGate, refusals: list[str], depth: int
) -> list[Node]:
    """Check a declaration value; URLs refused by the gate are appended to `refusals`.

    Every URL is looked at (so each blocked remote one is counted) before the
    caller drops the declaration.
    """
    if depth > MAX_DEPTH:
        raise _Refused
    cleaned: list[Node] = []
    for node in nodes:
        if isinstance(node, Function):
            cleaned.append(_clean_function(node, gate, refusals, depth))
        elif isinstance(node, Block):
            if node.opener == "{":
                raise _Refused
            content = _clean_value(node.content, gate, refusals, depth + 1)
            cleaned.append(Block(node.opener, tuple(content)))
        elif node.kind == "url":
            cleaned.append(_resolve_url(node.value, gate, refusals))
        elif node.kind in _UNSAFE_TOKENS or (node.kind == "ident" and _is_forbidden(node.value)):
            raise _Refused
        else:
            cleaned.append(node)
    return cleaned


def _clean_function(node: Function, gate: ResourceGate, refusals: list[str], depth: int) -> Node:
    name = node.name.lower()
    if name == "url":
        argument = _strip(node.content)
        if len(argument) != 1 or not _is_token(argument[0], "string"):
            raise _Refused
        return _resolve_url(argument[0].value, gate, refusals)
    if name not in _VALUE_FUNCTIONS:
        raise _Refused
    return Function(node.name, tuple(_clean_value(node.content, gate, refusals, depth + 1)))


def _resolve_url(value: str, gate: ResourceGate, refusals: list[str]) -> Token:
    resolved = gate.resolve(value)
    if resolved is None:
        refusals.append(value)
        return Token("url", "")
    return Token("url", resolved)


# Rules ------------------------------------------------------------------------


def _clean_rules(rules: Sequence[Rule], gate: ResourceGate, depth: int) -> list[str]:
    if depth > MAX_DEPTH:
        return []
    kept: list[str] = []
    for rule in rules:
        try:
            if rule.at_keyword is None:
                cleaned = _clean_style_rule(rule.prelude, rule.body, gate)
            else:
                cleaned = _clean_at_rule(rule.at_keyword, rule.prelude, rule.body, gate, depth)
        except (_Refused, UnsafeCss):
            continue
        if cleaned:
            kept.append(cleaned)
    return kept


def _clean_style_rule(selector: Sequence[Node], body: Body | None, gate: ResourceGate) -> str:
    if not selector or body is None:
        raise _Refused
    _check_plain(selector, _SELECTOR_FUNCTIONS, depth=0)
    declarations = _clean_declarations(parse_declarations(body), gate)
    if not declarations:
        return ""
    return serialize(selector) + "{" + ";".join(declarations) + "}"


def _clean_at_rule(
    name: str, prelude: Sequence[Node], body: Body | None, gate: ResourceGate, depth: int
) -> str:
    lowered = name.lower()
    if lowered == "import":
        return _clean_import(prelude, gate)
    if body is None:
        raise _Refused
    _check_plain(prelude, frozenset(), depth=0)
    head = serialize([Token("at-keyword", name), *((_WHITESPACE, *prelude) if prelude else ())])
    if lowered in _DECLARATION_AT_RULES:
        declarations = _clean_declarations(parse_declarations(body), gate)
        return head + "{" + ";".join(declarations) + "}" if declarations else ""
    if lowered in _GROUPING_AT_RULES or lowered in _KEYFRAMES_AT_RULES:
        rules = _clean_rules(parse_rules(body), gate, depth + 1)
        return head + "{\n" + "\n".join(rules) + "\n}" if rules else ""
    raise _Refused


def _clean_import(prelude: Sequence[Node], gate: ResourceGate) -> str:
    """`@import` of an http(s) stylesheet, kept only when remote content is allowed.

    The imported sheet is not sanitised (it cannot be: the browser fetches it);
    the frame's CSP and sandbox bound what it can do, and the user asked for it.
    """
    if not gate.allow_remote:
        gate.note_blocked()
        raise _Refused
    if not prelude:
        raise _Refused
    target, rest = prelude[0], prelude[1:]
    if isinstance(target, Function) and target.name.lower() == "url":
        argument = _strip(target.content)
        url = argument[0].value if len(argument) == 1 and _is_token(argument[0], "string") else ""
    elif isinstance(target, Token) and target.kind in ("url", "string"):
        url = target.value
    else:
        raise _Refused
    resolved = gate.resolve(url) if classify_url(url) is UrlKind.REMOTE else None
    if resolved is None:
        raise _Refused
    _check_plain(rest, frozenset(), depth=0)
    return (
        serialize([Token("at-keyword", "import"), _WHITESPACE, Token("url", resolved), *rest]) + ";"
    )


def _check_plain(nodes: Sequence[Node], functions: frozenset[str], depth: int) -> None:
    """Refuse anything but plain tokens, `()`/`[]` blocks and the given functions.

    Used for selectors and at-rule preludes (media queries), which have no
    business holding URLs, strings of code or `{}` blocks.
    """
    if depth > MAX_DEPTH:
        raise _Refused
    for node in nodes:
        if isinstance(node, Function):
            if node.name.lower() not in functions:
                raise _Refused
            _check_plain(node.content, functions, depth + 1)
        elif isinstance(node, Block):
            if node.opener == "{":
                raise _Refused
            _check_plain(node.content, functions, depth + 1)
        elif node.kind in _UNSAFE_TOKENS or node.kind == "url":
            raise _Refused


# Small helpers ----------------------------------------------------------------


def _is_token(node: Node, kind: str) -> TypeGuard[Token]:
    return isinstance(node, Token) and node.kind == kind


def _is_forbidden(word: str) -> bool:
    lowered = word.lower()
    return any(forbidden in lowered for forbidden in _FORBIDDEN_WORDS)


def _strip(nodes: Sequence[Node]) -> list[Node]:
    start, end = 0, len(nodes)
    while start < end and _is_token(nodes[start], "whitespace"):
        start += 1
    while end > start and _is_token(nodes[end - 1], "whitespace"):
        end -= 1
    return list(nodes[start:end])
