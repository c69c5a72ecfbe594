"""Reading the lines the mailbox listener (imap/notify.py) gets: STATUS and
LIST responses, pushed by NOTIFY or answering its own commands.

Why a parser of our own: imapclient's knows nothing of NOTIFY's responses,
and Dovecot 2.3.19 sends NOTIFY's folder names as raw UTF-8 (as literals
when they hold 8-bit characters, as atoms with a bare `&` otherwise), not in
modified UTF-7 as it does in its answers to LIST and STATUS. A response
comes here whole, its literals inline as `{n}\r\n` and n bytes.
"""

from __future__ import annotations

import re
from typing import TypeAlias

from imapclient import imap_utf7

from teaminbox.imap.errors import ImapError

_LITERAL_START = re.compile(rb"\{(\d+)\+?\}\r\n")

# An IMAP value: an atom, a string or a literal as bytes; a list as a list.
Token: TypeAlias = bytes | list["Token"]


def parse_tokens(response: bytes) -> list[Token]:
    """Split one response (its literals inline, as `{n}\\r\\n` and n bytes)
    into atoms, strings and parenthesised lists. Strings come unquoted and
    unescaped. Raises ValueError if quotes or parentheses do not close.

    Meant for STATUS and LIST responses: free text after OK or BYE may hold
    unbalanced quotes.
    """
    stack: list[list[Token]] = [[]]
    position = 0
    while position < len(response):
        char = response[position : position + 1]
        if char == b" ":
            position += 1
        elif char == b"(":
            stack.append([])
            position += 1
        elif char == b")":
            if len(stack) == 1:
                raise ValueError(f"unbalanced ')' in {response!r}")
            closed = stack.pop()
            stack[-1].append(closed)
            position += 1
        else:
            value, position = _read_value(response, position)
            stack[-1].append(value)
    if len(stack) != 1:
        raise ValueError(f"unclosed '(' in {response!r}")
    return stack[0]


def notified_folder_name(token: Token) -> str:
    """A folder name from a NOTIFY STATUS or LIST line.

    Dovecot 2.3.19 sends these as raw UTF-8, not modified UTF-7 ("Réclamations
    & litiges" arrives as those very bytes), unlike its answers to LIST and
    STATUS commands. Raises ValueError for a list or bytes that are not UTF-8.
    """
    return _text(token, "utf-8")


def notified_status(response: bytes) -> tuple[str, dict[str, str]]:
    """The folder name and the items of a STATUS line NOTIFY sent. Raises
    ValueError if it is unreadable."""
    _star, _status, name, values = parse_tokens(response)
    items = _as_list(values)
    pairs = zip(items[::2], items[1::2], strict=True)
    return notified_folder_name(name), {_text(k).upper(): _text(v) for k, v in pairs}


def _read_value(data: bytes, position: int) -> tuple[bytes, int]:
    """The atom, quoted string or literal at `position`, and where it ends."""
    if data.startswith(b'"', position):
        return _read_quoted(data, position + 1)
    literal = _LITERAL_START.match(data, position)
    if literal is not None:
        start = literal.end()
        end = start + int(literal.group(1))
        if end > len(data):
            raise ValueError(f"literal longer than the response: {data!r}")
        return data[start:end], end
    end = position
    while end < len(data) and data[end : end + 1] not in (b" ", b"(", b")"):
        end += 1
    return data[position:end], end


def _read_quoted(data: bytes, position: int) -> tuple[bytes, int]:
    value = bytearray()
    while position < len(data):
        char = data[position : position + 1]
        if char == b'"':
            return bytes(value), position + 1
        if char == b"\\":
            position += 1
            char = data[position : position + 1]
        value += char
        position += 1
    raise ValueError(f"unclosed quoted string in {data!r}")


def quoted(value: bytes) -> bytes:
    return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def listed_folder(response: bytes) -> tuple[str, bool]:
    """The decoded name in an answer to LIST, and whether it can be selected."""
    try:
        _star, _list, flags, _delimiter, name, *_extended = parse_tokens(response)
        attributes = {_text(flag).upper() for flag in _as_list(flags)}
        return _mailbox_name(name), not attributes & {"\\NOSELECT", "\\NONEXISTENT"}
    except ValueError as exc:
        raise ImapError(f"unreadable LIST answer: {response!r}") from exc


def folder_status(response: bytes) -> tuple[str, dict[str, str]]:
    """The decoded name and the items of an answer to STATUS."""
    try:
        _star, _status, name, values = parse_tokens(response)
        items = _as_list(values)
        pairs = zip(items[::2], items[1::2], strict=True)
        return _mailbox_name(name), {_text(k).upper(): _text(v) for k, v in pairs}
    except ValueError as exc:
        raise ImapError(f"unreadable STATUS answer: {response!r}") from exc


def _as_list(token: Token) -> list[Token]:
    if not isinstance(token, list):
        raise ValueError(f"expected a list, got {token!r}")
    return token


def _as_bytes(token: Token) -> bytes:
    if isinstance(token, list):
        raise ValueError(f"expected a string, got a list: {token!r}")
    return token


def _text(token: Token, encoding: str = "ascii") -> str:
    return _as_bytes(token).decode(encoding)


def _mailbox_name(token: Token) -> str:
    """A folder name as answers to LIST and STATUS carry it: modified UTF-7."""
    return str(imap_utf7.decode(_as_bytes(token)))


def response_kind(response: bytes) -> bytes:
    """`* 3 EXISTS` → EXISTS, `* STATUS …` → STATUS, `TI4 OK …` → OK."""
    words = response.split(b" ", 3)
    if len(words) > 2 and words[1].isdigit():
        return words[2].upper()
    return words[1].upper() if len(words) > 1 else b""
