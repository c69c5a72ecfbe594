"""Writing CSS component values back as text that reads back as exactly the same tokens.

One unambiguous form: identifiers and names escaped with hex escapes, strings
double-quoted, url tokens as `url("…")`, `/**/` between tokens that would
otherwise merge. Never writes `<` or a bare backslash, so the output can sit
inside a `<style>` element or a `style` attribute.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from teaminbox.mail.css import (
    CLOSERS,
    NON_PRINTABLE,
    Block,
    Function,
    Node,
    Token,
    is_digit,
    is_name_char,
    tokenize,
)

MAX_DEPTH = 16
"""Deeper nesting of blocks and functions is refused by `serialize`."""


class UnsafeCss(ValueError):
    """Raised by `serialize` for values it cannot write back unambiguously."""


_SAFE_DELIMS = frozenset("!#$%&*+-./=>?@^|~`")
# Delims after which no following token can change how they are read.
_CLOSED_RIGHT_DELIMS = frozenset("!$%&*=>?^|~`")
# Delims that no preceding token can absorb.
_CLOSED_LEFT_DELIMS = frozenset("!#$&=?@^|~`.>*")
_NUMERIC = frozenset({"number", "percentage", "dimension"})


def _hex_escape(char: str) -> str:
    return f"\\{ord(char):x} "


_PLAIN_IDENT = re.compile(r"(?:--|-?[A-Za-z_])[A-Za-z0-9_\-]*")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_\-]*")
_PLAIN_STRING = re.compile(r"[^\x00-\x1f\x7f\"\\<>&]*")


def escape_ident(name: str) -> str:
    """Serialize an identifier (CSSOM) using only `[A-Za-z0-9_-]`, non-ASCII and hex escapes."""
    if _PLAIN_IDENT.fullmatch(name):
        return name
    out: list[str] = []
    for index, char in enumerate(name):
        if char == "\x00":
            out.append("\ufffd")
        elif (index == 0 and is_digit(char)) or (index == 1 and is_digit(char) and name[0] == "-"):
            out.append(_hex_escape(char))
        elif index == 0 and char == "-" and len(name) == 1:
            out.append("\\2d ")
        elif is_name_char(char):
            out.append(char)
        else:
            out.append(_hex_escape(char))
    return "".join(out)


def _escape_name(name: str) -> str:
    if _PLAIN_NAME.fullmatch(name):
        return name
    return "".join(c if is_name_char(c) else _hex_escape(c) for c in name)


def _escape_string(value: str) -> str:
    if _PLAIN_STRING.fullmatch(value):
        return f'"{value}"'
    out = ['"']
    for char in value:
        if char in '"\\<>&' or char in NON_PRINTABLE or char in "\n\t":
            out.append(_hex_escape(char))
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _escape_unit(unit: str) -> str:
    # A unit such as "e3" or "e-3" would be read back as an exponent.
    escaped = escape_ident(unit)
    exponent_like = is_digit(unit[1:2]) or (unit[1:2] in ("+", "-") and is_digit(unit[2:3]))
    if unit[:1] in ("e", "E") and exponent_like:
        return _hex_escape(unit[0]) + escaped[1:]
    return escaped


def _write_token(token: Token) -> str:
    kind = token.kind
    if kind == "ident":
        return escape_ident(token.value)
    if kind == "at-keyword":
        return "@" + escape_ident(token.value)
    if kind == "hash":
        return "#" + _escape_name(token.value)
    if kind == "string":
        return _escape_string(token.value)
    if kind == "url":
        return "url(" + _escape_string(token.value) + ")"
    if kind == "number":
        return token.value
    if kind == "percentage":
        return token.value + "%"
    if kind == "dimension":
        return token.value + _escape_unit(token.unit)
    if kind == "whitespace":
        return " "
    if kind in (":", ";", ","):
        return kind
    if kind == "delim" and token.value in _SAFE_DELIMS:
        return token.value
    raise UnsafeCss(f"cannot serialize {kind} token {token.value!r}")


def _closed_right(node: Node) -> bool:
    if isinstance(node, Block | Function):
        return True
    if node.kind == "delim":
        return node.value in _CLOSED_RIGHT_DELIMS
    return node.kind not in ("ident", "at-keyword", "hash", "number", "dimension")


def _closed_left(node: Node) -> bool:
    if isinstance(node, Function):
        return False
    if isinstance(node, Block):
        return node.opener != "("
    if node.kind == "delim":
        return node.value in _CLOSED_LEFT_DELIMS
    return node.kind in ("whitespace", ":", ";", ",", "string", "hash", "at-keyword")


def _needs_comment(previous: Node, following: Node) -> bool:
    """Whether `/**/` must separate two nodes for them to read back as two."""
    if isinstance(previous, Token) and isinstance(following, Token):
        if previous.kind == following.kind == "whitespace":
            return True
        if previous.kind == "delim" and previous.value == "/":
            return following.value == "*" or not _closed_left(following)
        if previous.kind == "delim" and previous.value == ".":
            return following.kind in _NUMERIC
        if following.kind in _NUMERIC and following.value.startswith("+"):
            # `2n+1`: a name never takes in a "+"; `1e` then `+1` would be `1e+1`.
            if previous.kind in ("ident", "hash", "at-keyword"):
                return False
            if previous.kind == "dimension":
                return previous.unit.lower() == "e"
        if following.kind == "delim" and following.value == ">":
            # `--` followed by `>` would read as `-->`.
            return previous.kind in ("ident", "delim") and previous.value.endswith("-")
    return not _closed_right(previous) and not _closed_left(following)


def _write(nodes: Sequence[Node], out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise UnsafeCss("nested too deeply")
    previous: Node | None = None
    for node in nodes:
        if previous is not None and _needs_comment(previous, node):
            out.append("/**/")
        if isinstance(node, Function):
            out.append(escape_ident(node.name) + "(")
            _write(node.content, out, depth + 1)
            out.append(")")
        elif isinstance(node, Block):
            out.append(node.opener)
            _write(node.content, out, depth + 1)
            out.append(CLOSERS[node.opener])
        else:
            out.append(_write_token(node))
        previous = node


def serialize(nodes: Sequence[Node]) -> str:
    """Write component values back as CSS that tokenizes to exactly the same tokens.

    Raises `UnsafeCss` for bad strings, bad URLs, CDO/CDC, stray closers, `<`
    and `\\` delims, nesting deeper than `MAX_DEPTH`, or (as a final check) if
    the text written does not read back as the tokens it was written from.
    A url token is written as `url("…")`, which browsers read as the same URL.
    """
    out: list[str] = []
    _write(nodes, out, 0)
    text = "".join(out)
    if tokenize(text) != list(_flatten(nodes)):
        raise UnsafeCss("serialisation does not read back as written")
    return text


def _flatten(nodes: Iterable[Node]) -> Iterator[Token]:
    for node in nodes:
        if isinstance(node, Function):
            yield Token("function", node.name)
            yield from _flatten(node.content)
            yield Token(")")
        elif isinstance(node, Block):
            yield Token(node.opener)
            yield from _flatten(node.content)
            yield Token(CLOSERS[node.opener])  # type: ignore[arg-type]
        elif node.kind == "url":
            yield Token("function", "url")
            yield Token("string", node.value)
            yield Token(")")
        else:
            yield node
