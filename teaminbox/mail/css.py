"""Reading CSS as browsers do: tokens, then component values (blocks and functions).

The tokenizer follows CSS Syntax Level 3, section 4 (escapes, comments, the
`url(` quirks, bad strings and bad URLs) so that what the sanitiser inspects is
what a browser would see. Writing CSS back is `teaminbox.mail.css_writer`;
deciding what is safe is `teaminbox.mail.styles`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


CLOSERS = {"(": ")", "[": "]", "{": "}"}
"""The token closing each kind of simple block."""

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
NON_PRINTABLE = frozenset(chr(c) for c in [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
"""Characters CSS calls non-printable: a bare one in `url(…)` makes it a bad URL."""
_REPLACEMENT = "\ufffd"


def _preprocess(text: str) -> str:
    text = _NEWLINES.sub("\n", text).replace("\x00", _REPLACEMENT)
    return _SURROGATES.sub(_REPLACEMENT, text)


# Character tests take "" for the end of input and answer False for it.
def _is_name_start(char: str) -> bool:
    if char == "":
        return False
    return "a" <= char <= "z" or "A" <= char <= "Z" or char == "_" or char >= "\x80"


def is_name_char(char: str) -> bool:
    """Whether `char` may appear unescaped in an identifier (CSS "name code point")."""
    return _is_name_start(char) or char in _DIGIT_CHARS or char == "-"


def is_digit(char: str) -> bool:
    """Whether `char` is an ASCII digit ("" is not)."""
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
        return is_digit(second) or (second == "." and is_digit(third))
    if first == ".":
        return is_digit(second)
    return is_digit(first)


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
            if is_name_char(self.peek(1)) or _is_valid_escape(self.peek(1), self.peek(2)):
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
        if is_digit(char):
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
        if self.peek() == "." and is_digit(self.peek(1)):
            self.pos = _skip_digits(self.text, self.pos + 1)
        if self.peek() in ("e", "E"):
            if is_digit(self.peek(1)):
                self.pos = _skip_digits(self.text, self.pos + 1)
            elif self.peek(1) in _SIGNS and is_digit(self.peek(2)):
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
            if char in _QUOTES or char == "(" or char in NON_PRINTABLE:
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
    return ")" if opener.kind == "function" else CLOSERS[opener.kind]


def _close(stack: list[tuple[Token, list[Node]]], content: list[Node]) -> list[Node]:
    opener, parent = stack.pop()
    if opener.kind == "function":
        parent.append(Function(opener.value, tuple(content)))
    else:
        parent.append(Block(opener.kind, tuple(content)))  # type: ignore[arg-type]
    return parent
