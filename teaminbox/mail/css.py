"""CSS syntax through tinycss2: typed component values, rules, declarations, safe writing.

This is the only module that touches tinycss2 (which has no type hints). It
reads CSS the way CSS Syntax Level 3 says browsers do (escapes, comments, the
`url(` quirks, bad strings and URLs) into the frozen `Token`/`Block`/`Function`
values below, and writes checked values back with `serialize`.

What tinycss2 does not do, and this module adds:

- `serialize` output can sit inside a `<style>` element or a `style`
  attribute: strings and URLs are written with hex escapes for `<`, `>`, `&`,
  quotes and controls, and any text holding `<`, a control character or a
  lone surrogate is refused rather than written;
- `serialize` reads its own output back with tinycss2 and refuses it unless it
  gives exactly the tokens it was written from (tinycss2 would write `1\\65 3`,
  a dimension with unit `e3`, as the number `1e3`, and two `-` delims as `--`);
- nesting deeper than `MAX_DEPTH` is not converted (an `error` token stands for
  it), so nothing here recurses without bound.

Deciding what is safe is `teaminbox.mail.styles`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import tinycss2
from tinycss2 import ast

from teaminbox.mail.content import without_surrogates

MAX_DEPTH = 16
"""Blocks and functions nested deeper than this are read as an `error` token."""

TokenKind = Literal[
    "ident", "at-keyword", "hash", "string", "url", "delim", "number", "percentage",
    "dimension", "unicode-range", "whitespace", ":", ";", ",", "CDO", "CDC", "error",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Token:
    """One CSS token.

    `value` is the decoded name (ident, at-keyword, hash), the decoded text
    (string, url), the characters (delim: one, or two for `~=`, `|=`, `^=`,
    `$=`, `*=`, `||`), the number as written (number, percentage, dimension;
    only `+-.0-9eE`), the first code point in hex (unicode-range) or, for an
    `error`, what was wrong (`bad-string`, `bad-url`, a stray `)`, `]` or `}`,
    `too-deep`). `unit` is a dimension's decoded unit, a unicode-range's last
    code point in hex, or `id` for a hash that is a valid identifier (`#a`, not
    `#1`: only those can be ID selectors).
    """

    kind: TokenKind
    value: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    """A simple block: `opener` is `(`, `[` or `{`; the closer is implied."""

    opener: Literal["(", "[", "{"]
    content: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Function:
    """A function call such as `rgb(0, 0, 0)`; `name` is decoded. A quoted
    `url("…")` is a function too; an unquoted `url(…)` is a `url` token."""

    name: str
    content: tuple[Node, ...]


Node = Token | Block | Function


class Body:
    """The content of a rule's `{}` block, to read with `parse_rules` or `parse_declarations`."""

    __slots__ = ("_content",)

    def __init__(self, content: list[Any]) -> None:
        self._content = content


@dataclass(frozen=True, slots=True)
class Rule:
    """An at-rule (`at_keyword` is its decoded name) or, with None, a qualified rule.

    `prelude` is what comes before the `{}` block or `;`, stripped of outer
    whitespace; `body` is None for an at-rule ended by `;`.
    """

    at_keyword: str | None
    prelude: tuple[Node, ...]
    body: Body | None


@dataclass(frozen=True, slots=True)
class Declaration:
    """`name: value`, `value` stripped of outer whitespace and of `!important`."""

    name: str
    value: tuple[Node, ...]
    important: bool


class UnsafeCss(ValueError):
    """Raised by `serialize` for values it cannot write back safely and unambiguously."""


def parse_rules(source: str | Body) -> list[Rule]:
    """The rules of a stylesheet or of a grouping rule's body (`@media x { … }`).

    Rules that do not parse (a qualified rule with no `{}` block) are left out;
    `<!--` and `-->` between rules are ignored, as in a `<style>` element.
    """
    rules: list[Rule] = []
    for item in tinycss2.parse_stylesheet(_source(source), skip_whitespace=True):
        if item.type == "qualified-rule":
            rules.append(Rule(None, _strip(_nodes(item.prelude, 0)), Body(item.content)))
        elif item.type == "at-rule":
            body = None if item.content is None else Body(item.content)
            rules.append(Rule(item.at_keyword, _strip(_nodes(item.prelude, 0)), body))
    return rules


def parse_declarations(source: str | Body) -> list[Declaration]:
    """The declarations of a `style` attribute or of a rule's body.

    Nested rules, at-rules and whatever does not parse as `name: value` are left out.
    """
    declarations: list[Declaration] = []
    for item in tinycss2.parse_blocks_contents(_source(source), skip_whitespace=True):
        if item.type == "declaration":
            value = _strip(_nodes(item.value, 0))
            declarations.append(Declaration(item.name, value, bool(item.important)))
    return declarations


def _read_values(text: str) -> tuple[Node, ...]:
    return _nodes(_tokens(text), 0)


def _source(source: str | Body) -> Any:
    if isinstance(source, Body):
        return source._content
    return _tokens(source)


def _tokens(text: str) -> list[Any]:
    """tinycss2's reading of `text`; nothing when it cannot read it (it makes
    an int of a number's digits, and Python refuses more than 4,300)."""
    try:
        tokens: list[Any] = tinycss2.parse_component_value_list(
            without_surrogates(text), skip_comments=True
        )
    except ValueError:
        return []
    return tokens


# Reading tinycss2's nodes --------------------------------------------------------

_SPACE = Token("whitespace", " ")
_OPENERS: dict[str, Literal["(", "[", "{"]] = {"() block": "(", "[] block": "[", "{} block": "{"}
_LITERALS: dict[str, TokenKind] = {":": ":", ";": ";", ",": ",", "<!--": "CDO", "-->": "CDC"}
_NAMED: dict[str, TokenKind] = {
    "ident": "ident", "at-keyword": "at-keyword", "string": "string", "url": "url",
}  # fmt: skip
_NUMERIC: dict[str, TokenKind] = {"number": "number", "percentage": "percentage"}
_HARMLESS_ERRORS = frozenset({"eof-in-string", "eof-in-url"})  # the token before is whole


def _nodes(items: Iterable[Any], depth: int) -> tuple[Node, ...]:
    nodes: list[Node] = []
    for item in items:
        node = _node(item, depth)
        if node is None or (node is _SPACE and nodes and nodes[-1] is _SPACE):
            continue
        nodes.append(node)
    return tuple(nodes)


def _node(item: Any, depth: int) -> Node | None:
    kind: str = item.type
    if kind in _OPENERS or kind == "function":
        if depth >= MAX_DEPTH:
            return Token("error", "too-deep")
        if kind == "function":
            return Function(str(item.name), _nodes(item.arguments, depth + 1))
        return Block(_OPENERS[kind], _nodes(item.content, depth + 1))
    if kind == "whitespace":
        return _SPACE
    if kind == "literal":
        literal = _LITERALS.get(item.value)
        return Token(literal) if literal else Token("delim", str(item.value))
    if kind == "hash":
        return Token("hash", str(item.value), "id" if item.is_identifier else "")
    if kind in _NAMED:
        return Token(_NAMED[kind], str(item.value))
    if kind in _NUMERIC:
        return Token(_NUMERIC[kind], str(item.representation))
    if kind == "dimension":
        return Token("dimension", str(item.representation), str(item.unit))
    if kind == "unicode-range":
        return Token("unicode-range", f"{item.start:X}", f"{item.end:X}")
    if kind == "error" and item.kind in _HARMLESS_ERRORS:
        return None
    return Token("error", str(getattr(item, "kind", kind)))


def _strip(nodes: tuple[Node, ...]) -> tuple[Node, ...]:
    start, end = 0, len(nodes)
    while start < end and nodes[start] == _SPACE:
        start += 1
    while end > start and nodes[end - 1] == _SPACE:
        end -= 1
    return nodes[start:end]


# Writing -------------------------------------------------------------------------

_SAFE_DELIMS = frozenset(["!", "#", "$", "%", "&", "*", "+", "-", ".", "/", "=", ">", "?", "@",
                          "^", "|", "~", "`", "~=", "|=", "^=", "$=", "*=", "||"])  # fmt: skip
# Lone surrogates are left raw, for `serialize` to refuse.
_STRING_ESCAPES = re.compile(r"[\x00-\x1f\x7f\"\\<>&]")
_UNSAFE_OUTPUT = re.compile(r"[\x00-\x1f\x7f<\ud800-\udfff]")


def _quote(value: str) -> str:
    return '"' + _STRING_ESCAPES.sub(lambda match: f"\\{ord(match.group()):x} ", value) + '"'


def _raw(node: Node, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise UnsafeCss("nested too deeply")
    if isinstance(node, Function):
        return ast.FunctionBlock(1, 1, node.name, _raw_list(node.content, depth + 1))
    if isinstance(node, Block):
        content = _raw_list(node.content, depth + 1)
        if node.opener == "(":
            return ast.ParenthesesBlock(1, 1, content)
        if node.opener == "[":
            return ast.SquareBracketsBlock(1, 1, content)
        return ast.CurlyBracketsBlock(1, 1, content)
    kind, value = node.kind, node.value
    if kind == "ident":
        return ast.IdentToken(1, 1, value)
    if kind == "at-keyword":
        return ast.AtKeywordToken(1, 1, value)
    if kind == "hash":
        return ast.HashToken(1, 1, value, node.unit == "id")
    if kind == "string":
        return ast.StringToken(1, 1, value, _quote(value))
    if kind == "url":  # as `url("…")`, which browsers read as the same URL
        return ast.FunctionBlock(1, 1, "url", [ast.StringToken(1, 1, value, _quote(value))])
    if kind == "number":
        return ast.NumberToken(1, 1, float(value), None, value)
    if kind == "percentage":
        return ast.PercentageToken(1, 1, float(value), None, value)
    if kind == "dimension":
        return ast.DimensionToken(1, 1, float(value), None, value, node.unit)
    if kind == "unicode-range":
        return ast.UnicodeRangeToken(1, 1, int(value, 16), int(node.unit, 16))
    if kind == "whitespace":
        return ast.WhitespaceToken(1, 1, " ")
    if kind in (":", ";", ",") or (kind == "delim" and value in _SAFE_DELIMS):
        return ast.LiteralToken(1, 1, value or kind)
    raise UnsafeCss(f"cannot write {kind} token {value!r}")


def _raw_list(nodes: Sequence[Node], depth: int) -> list[Any]:
    return [_raw(node, depth) for node in nodes]


def serialize(nodes: Sequence[Node]) -> str:
    """Write component values as CSS that reads back as exactly the same tokens.

    A url token is written `url("…")`. The text holds no `<`, no control
    character (whitespace tokens are written as one space) and no lone
    surrogate. Raises `UnsafeCss` for `error`, CDO and CDC tokens, delims
    other than `_SAFE_DELIMS` (`<`, `\\`, controls), two whitespace tokens in a
    row, nesting deeper than `MAX_DEPTH`, names holding what cannot be
    written, or text that tinycss2 does not read back as the same tokens.
    """
    key = tuple(nodes)
    text = _written.get(key)
    if text is None:
        text = _serialize(key)
        if len(text) <= _CACHED_LENGTH:
            if len(_written) >= _CACHE_SIZE:
                _written.clear()
            _written[key] = text
    return text


# Newsletters repeat the same declarations hundreds of times; short ones are
# remembered (so the cache stays small whatever the mail), refusals never are.
_CACHE_SIZE = 4096
_CACHED_LENGTH = 256
_written: dict[tuple[Node, ...], str] = {}


def _serialize(nodes: tuple[Node, ...]) -> str:
    try:
        text: str = tinycss2.serialize(_raw_list(nodes, 0))
    except ValueError as error:  # a number or range that is not one
        raise UnsafeCss(str(error)) from error
    if _UNSAFE_OUTPUT.search(text):
        raise UnsafeCss("the text would hold <, a control character or a surrogate")
    if list(_flatten(_read_values(text))) != list(_flatten(nodes)):
        raise UnsafeCss("the text does not read back as written")
    return text


def _flatten(nodes: Iterable[Node]) -> Iterator[tuple[str, str, str]]:
    for node in nodes:
        if isinstance(node, Function):
            yield ("function", node.name, "")
            yield from _flatten(node.content)
            yield (")", "", "")
        elif isinstance(node, Block):
            yield (node.opener, "", "")
            yield from _flatten(node.content)
            yield ("end", node.opener, "")
        elif node.kind == "url":
            yield from (("function", "url", ""), ("string", node.value, ""), (")", "", ""))
        else:
            yield (node.kind, node.value, node.unit)
