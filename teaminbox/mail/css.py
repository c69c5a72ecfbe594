"""CSS syntax, as browsers read it: tokens, component values and their serialisation.

The tokenizer follows CSS Syntax Level 3, section 4 (escapes, comments, the
`url(` quirks, bad strings and bad URLs) so that what the sanitiser inspects is
what a browser would see. `serialize` writes component values back in one
unambiguous form (escaped identifiers, double-quoted strings, comments between
tokens that would otherwise merge) and never writes `<` or a bare backslash, so
its output can sit inside a `<style>` element or a `style` attribute.

This module knows nothing about safety policy; `teaminbox.mail.styles` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal[
    "ident",
    "function",
    "at-keyword",
    "hash",
    "string",
    "bad-string",
    "url",
    "bad-url",
    "delim",
    "number",
    "percentage",
    "dimension",
    "whitespace",
    "CDO",
    "CDC",
    ":",
    ";",
    ",",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
]


@dataclass(frozen=True)
class Token:
    """One CSS token.

    `value` is the decoded name (ident, function, at-keyword, hash), the decoded
    text (string, url), the character (delim) or the number as written (number,
    percentage, dimension; only `+-.0-9eE`). `unit` is a dimension's decoded unit.
    """

    kind: TokenKind
    value: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Block:
    """A simple block: `opener` is `(`, `[` or `{`; the closer is implied."""

    opener: Literal["(", "[", "{"]
    content: tuple[Node, ...]


@dataclass(frozen=True)
class Function:
    """A function call such as `rgb(0, 0, 0)`; `name` is decoded."""

    name: str
    content: tuple[Node, ...]


Node = Token | Block | Function


class UnsafeCss(ValueError):
    """Raised by `serialize` for values it cannot write back unambiguously."""


_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_WHITESPACE = frozenset(" \t\n")
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGIT_CHARS = frozenset("0123456789")
_QUOTES = frozenset("\"'")
_SIGNS = frozenset("+-")
_NEWLINES = re.compile(r"\r\n|[\r\f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_NAME_RUN = re.compile(r"[A-Za-z0-9_\-\u0080-\U0010ffff]+")
_WHITESPACE_RUN = re.compile(r"[ \t\n]+")
_DIGITS = re.compile(r"[0-9]*")
_NON_PRINTABLE = frozenset(chr(c) for c in [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_REPLACEMENT = "\ufffd"


def _preprocess(text: str) -> str:
    text = _NEWLINES.sub("\n", text).replace("\x00", _REPLACEMENT)
    return _SURROGATES.sub(_REPLACEMENT, text)


# Character tests take "" for the end of input and answer False for it.
def _is_name_start(char: str) -> bool:
    return char != "" and (("a" <= char.lower() <= "z") or char == "_" or ord(char) >= 0x80)


def _is_name_char(char: str) -> bool:
    return _is_name_start(char) or char in _DIGIT_CHARS or char == "-"


def _is_digit(char: str) -> bool:
    return char in _DIGIT_CHARS


def _is_valid_escape(first: str, second: str) -> bool:
    return first == "\\" and second != "\n"


def _starts_ident(first: str, second: str, third: str) -> bool:
    if first == "-":
        return _is_name_start(second) or second == "-" or _is_valid_escape(second, third)
    if first == "\\":
        return _is_valid_escape(first, second)
    return _is_name_start(first)


def _starts_number(first: str, second: str, third: str) -> bool:
    if first in _SIGNS:
        return _is_digit(second) or (second == "." and _is_digit(third))
    if first == ".":
        return _is_digit(second)
    return _is_digit(first)


class _Tokenizer:
    """A cursor over preprocessed CSS text; `tokens()` yields every token once."""

    def __init__(self, text: str) -> None:
        self.text = _preprocess(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def tokens(self) -> Iterator[Token]:
        while True:
            token = self._consume_token()
            if token is None:
                return
            yield token

    def _consume_token(self) -> Token | None:
        self._skip_comments()
        char = self.peek()
        if char == "":
            return None
        if char in _WHITESPACE:
            match = _WHITESPACE_RUN.match(self.text, self.pos)
            assert match is not None
            self.pos = match.end()
            return Token("whitespace", " ")
        if char in _QUOTES:
            self.pos += 1
            return self._consume_string(char)
        if char == "#":
            if _is_name_char(self.peek(1)) or _is_valid_escape(self.peek(1), self.peek(2)):
                self.pos += 1
                return Token("hash", self._consume_name())
            self.pos += 1
            return Token("delim", "#")
        if char in "()[]{},:;":
            self.pos += 1
            return Token(char)  # type: ignore[arg-type]
        if char in "+.":
            if _starts_number(char, self.peek(1), self.peek(2)):
                return self._consume_numeric()
            self.pos += 1
            return Token("delim", char)
        if char == "-":
            if _starts_number(char, self.peek(1), self.peek(2)):
                return self._consume_numeric()
            if self.peek(1) == "-" and self.peek(2) == ">":
                self.pos += 3
                return Token("CDC")
            if _starts_ident(char, self.peek(1), self.peek(2)):
                return self._consume_ident_like()
            self.pos += 1
            return Token("delim", "-")
        if char == "<":
            if self.text.startswith("!--", self.pos + 1):
                self.pos += 4
                return Token("CDO")
            self.pos += 1
            return Token("delim", "<")
        if char == "@":
            if _starts_ident(self.peek(1), self.peek(2), self.peek(3)):
                self.pos += 1
                return Token("at-keyword", self._consume_name())
            self.pos += 1
            return Token("delim", "@")
        if char == "\\":
            if _is_valid_escape(char, self.peek(1)):
                return self._consume_ident_like()
            self.pos += 1
            return Token("delim", "\\")
        if _is_digit(char):
            return self._consume_numeric()
        if _is_name_start(char):
            return self._consume_ident_like()
        self.pos += 1
        return Token("delim", char)

    def _skip_comments(self) -> None:
        while self.text.startswith("/*", self.pos):
            end = self.text.find("*/", self.pos + 2)
            self.pos = len(self.text) if end == -1 else end + 2

    def _consume_escape(self) -> str:
        """Consume what follows a backslash (the backslash is already consumed)."""
        char = self.peek()
        if char == "":
            return _REPLACEMENT
        if char in _HEX:
            end = self.pos
            while end < len(self.text) and end - self.pos < 6 and self.text[end] in _HEX:
                end += 1
            code = int(self.text[self.pos : end], 16)
            self.pos = end
            if self.peek() in _WHITESPACE:
                self.pos += 1
            if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                return _REPLACEMENT
            return chr(code)
        self.pos += 1
        return char

    def _consume_name(self) -> str:
        parts: list[str] = []
        while True:
            match = _NAME_RUN.match(self.text, self.pos)
            if match:
                parts.append(match.group())
                self.pos = match.end()
            if _is_valid_escape(self.peek(), self.peek(1)):
                self.pos += 1
                parts.append(self._consume_escape())
                continue
            return "".join(parts)

    def _consume_number(self) -> str:
        start = self.pos
        if self.peek() in _SIGNS:
            self.pos += 1
        self.pos = _skip_digits(self.text, self.pos)
        if self.peek() == "." and _is_digit(self.peek(1)):
            self.pos = _skip_digits(self.text, self.pos + 1)
        if self.peek() in ("e", "E"):
            if _is_digit(self.peek(1)):
                self.pos = _skip_digits(self.text, self.pos + 1)
            elif self.peek(1) in _SIGNS and _is_digit(self.peek(2)):
                self.pos = _skip_digits(self.text, self.pos + 2)
        return self.text[start : self.pos]

    def _consume_numeric(self) -> Token:
        number = self._consume_number()
        if _starts_ident(self.peek(), self.peek(1), self.peek(2)):
            return Token("dimension", number, self._consume_name())
        if self.peek() == "%":
            self.pos += 1
            return Token("percentage", number)
        return Token("number", number)

    def _consume_ident_like(self) -> Token:
        name = self._consume_name()
        if self.peek() != "(":
            return Token("ident", name)
        self.pos += 1
        if name.lower() != "url":
            return Token("function", name)
        while self.peek() in _WHITESPACE and self.peek(1) in _WHITESPACE:
            self.pos += 1
        after = self.peek(1) if self.peek() in _WHITESPACE else self.peek()
        if after in _QUOTES:
            return Token("function", name)
        return self._consume_url()

    def _consume_url(self) -> Token:
        parts: list[str] = []
        self._skip_whitespace()
        while True:
            char = self.peek()
            if char == "":
                return Token("url", "".join(parts))
            self.pos += 1
            if char == ")":
                return Token("url", "".join(parts))
            if char in _WHITESPACE:
                self._skip_whitespace()
                if self.peek() in (")", ""):
                    self.pos += 1 if self.peek() == ")" else 0
                    return Token("url", "".join(parts))
                self._consume_bad_url_remnants()
                return Token("bad-url")
            if char in _QUOTES or char == "(" or char in _NON_PRINTABLE:
                self._consume_bad_url_remnants()
                return Token("bad-url")
            if char == "\\":
                if _is_valid_escape(char, self.peek()):
                    parts.append(self._consume_escape())
                    continue
                self._consume_bad_url_remnants()
                return Token("bad-url")
            parts.append(char)

    def _consume_bad_url_remnants(self) -> None:
        while True:
            char = self.peek()
            if char == "":
                return
            self.pos += 1
            if char == ")":
                return
            if _is_valid_escape(char, self.peek()):
                self._consume_escape()

    def _consume_string(self, quote: str) -> Token:
        parts: list[str] = []
        while True:
            char = self.peek()
            if char == "":
                return Token("string", "".join(parts))
            if char == "\n":
                return Token("bad-string")
            self.pos += 1
            if char == quote:
                return Token("string", "".join(parts))
            if char == "\\":
                following = self.peek()
                if following == "":
                    continue
                if following == "\n":
                    self.pos += 1
                    continue
                parts.append(self._consume_escape())
                continue
            parts.append(char)

    def _skip_whitespace(self) -> None:
        match = _WHITESPACE_RUN.match(self.text, self.pos)
        if match:
            self.pos = match.end()


def _skip_digits(text: str, pos: int) -> int:
    match = _DIGITS.match(text, pos)
    return match.end() if match else pos


def tokenize(text: str) -> list[Token]:
    """Return the tokens of `text`, comments left out (CSS Syntax 3, 4.3.1)."""
    return list(_Tokenizer(text).tokens())


def parse_component_values(text: str) -> list[Node]:
    """Tokenize `text` and group blocks and functions into a tree.

    Blocks left open at the end are closed, as browsers do; a closer without
    its opener stays in the list as a `)`/`]`/`}` token. Never recursive, so
    deep nesting cannot exhaust the stack.
    """
    root: list[Node] = []
    stack: list[tuple[Token, list[Node]]] = []
    current = root
    for token in _Tokenizer(text).tokens():
        if token.kind in ("(", "[", "{", "function"):
            stack.append((token, current))
            current = []
            continue
        if stack and token.kind == _expected_closer(stack[-1][0]):
            current = _close(stack, current)
            continue
        current.append(token)
    while stack:
        current = _close(stack, current)
    return current


def _expected_closer(opener: Token) -> str:
    return ")" if opener.kind == "function" else _CLOSERS[opener.kind]


def _close(stack: list[tuple[Token, list[Node]]], content: list[Node]) -> list[Node]:
    opener, parent = stack.pop()
    if opener.kind == "function":
        parent.append(Function(opener.value, tuple(content)))
    else:
        parent.append(Block(opener.kind, tuple(content)))  # type: ignore[arg-type]
    return parent


# Serialisation ---------------------------------------------------------------

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
            out.append(_REPLACEMENT)
        elif (index == 0 and _is_digit(char)) or (
            index == 1 and _is_digit(char) and name[0] == "-"
        ):
            out.append(_hex_escape(char))
        elif index == 0 and char == "-" and len(name) == 1:
            out.append("\\2d ")
        elif _is_name_char(char):
            out.append(char)
        else:
            out.append(_hex_escape(char))
    return "".join(out)


def _escape_name(name: str) -> str:
    if _PLAIN_NAME.fullmatch(name):
        return name
    return "".join(c if _is_name_char(c) else _hex_escape(c) for c in name)


def _escape_string(value: str) -> str:
    if _PLAIN_STRING.fullmatch(value):
        return f'"{value}"'
    out = ['"']
    for char in value:
        if char in '"\\<>&' or char in _NON_PRINTABLE or char in "\n\t":
            out.append(_hex_escape(char))
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _escape_unit(unit: str) -> str:
    # A unit such as "e3" or "e-3" would be read back as an exponent.
    escaped = escape_ident(unit)
    exponent_like = _is_digit(unit[1:2]) or (unit[1:2] in _SIGNS and _is_digit(unit[2:3]))
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
            out.append(_CLOSERS[node.opener])
        else:
            out.append(_write_token(node))
        previous = node


MAX_DEPTH = 16
"""Deeper nesting of blocks and functions is refused by `serialize`."""


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
            yield Token(_CLOSERS[node.opener])  # type: ignore[arg-type]
        elif node.kind == "url":
            yield Token("function", "url")
            yield Token("string", node.value)
            yield Token(")")
        else:
            yield node
