"""A fast reader of FETCH responses, giving exactly what imapclient's gives.

imapclient's lexer walks a response one byte at a time through Python
iterators: a bulk `UID FETCH 1:* (ENVELOPE …)` of 100k messages spends about
15x the wire time in it (see IMAP-FACTS). Here the usual line of a header
fetch (Dovecot's item order, no literal) is read with one match, and any
other response by one regular expression that cuts the tokens and a stack
that builds the tuples; the values are then converted by imapclient's own
functions (dates, ENVELOPE, BODYSTRUCTURE), so the result
is the same dict, value for value, as `imapclient.response_parser.
parse_fetch_response` (tests/imap/test_fetch_parser.py compares them on
real and hostile mail).

Tokens follow imapclient's lexer: whitespace is space, tab, CR and LF; an
atom runs until a space, a control character or one of `()%"[`, and takes
a `[...]` section whole; in a quoted string a backslash escapes only `\\`
and `"` (before anything else it is kept); `NIL` is None; digits without a
leading zero are an int; `{n}` stands for the literal imaplib put beside it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from imapclient.exceptions import ProtocolError
from imapclient.response_parser import _convert_ENVELOPE, _convert_INTERNALDATE
from imapclient.response_types import BodyData

# Groups: 1 "(", 2 ")", 3 quoted string (inside), 4 atom, 5 any other byte.
_TOKEN = re.compile(
    rb"[ \t\r\n]*(?:(\()|(\))"
    rb'|"([^"\\]*(?:\\.[^"\\]*)*)"'
    rb'|((?:[^\x00-\x20()%"\[]|\[[^\]]*\])+)'
    rb"|([^ \t\r\n]))",
    re.DOTALL,
)
_ESCAPED = re.compile(rb'\\([\\"])')

# imaplib's untagged FETCH data: a line, or (text ending in {n}, literal).
Record = bytes | tuple[bytes, bytes]


def parse_fetch_response(
    data: list[Record], normalise_times: bool = True
) -> defaultdict[int, dict[bytes, Any]]:
    """imaplib's FETCH data into {UID (or sequence number): {item: value}}."""
    result: defaultdict[int, dict[bytes, Any]] = defaultdict(dict)
    if data == [None]:
        return result
    for response in _responses(data):
        line = response[0]
        match = _HEADERS_LINE.fullmatch(line) if isinstance(line, bytes) else None
        if match is not None and len(response) == 1:
            key, message = _headers_line(match, normalise_times)
            result[key].update(message)
            continue
        for key, message in _generic(_parse_atoms(response), normalise_times):
            result[key].update(message)
    return result


def _responses(data: list[Record]) -> Iterator[list[Record]]:
    """The records of one response at a time: imaplib cuts a line at each
    literal, into (text, literal) records, and its end is a plain record."""
    pending: list[Record] = []
    for record in data:
        pending.append(record)
        if not isinstance(record, tuple):
            yield pending
            pending = []
    if pending:
        yield pending


def _generic(top: list[Any], normalise_times: bool) -> Iterator[tuple[int, dict[bytes, Any]]]:
    if len(top) % 2:
        raise ProtocolError("unexpected EOF")
    for index in range(0, len(top), 2):
        seq, items = top[index], top[index + 1]
        if not isinstance(seq, int):
            raise ProtocolError(f"invalid message ID: {seq!r}")
        if not isinstance(items, tuple) or len(items) % 2:
            raise ProtocolError(f"bad response: {items!r}")
        key = seq
        message: dict[bytes, Any] = {b"SEQ": seq}
        for position in range(0, len(items), 2):
            word = items[position].upper()
            value = items[position + 1]
            if word == b"UID":
                if not isinstance(value, int):
                    raise ProtocolError(f"invalid UID: {value!r}")
                key = value
            elif word == b"INTERNALDATE":
                message[word] = _convert_INTERNALDATE(value, normalise_times)
            elif word == b"ENVELOPE":
                message[word] = _convert_ENVELOPE(value, normalise_times)
            elif word in (b"BODY", b"BODYSTRUCTURE"):
                message[word] = BodyData.create(value)
            else:
                message[word] = value
        yield key, message


# The answer to a header fetch, in Dovecot's order, without literals: most
# of a bulk sync's lines, read with one match instead of ~60 tokens.
_Q = rb'(?:NIL|"[^"\\]*(?:\\.[^"\\]*)*")'
_ADDRESS = rb"\((<Q>) (<Q>) (<Q>) (<Q>)\)".replace(b"<Q>", _Q)
_LIST = rb"(NIL|\((?: ?\(<Q> <Q> <Q> <Q>\))+\))".replace(b"<Q>", _Q)
_HEADERS_LINE = re.compile(
    (
        rb"([1-9]\d*) \(UID ([1-9]\d*) FLAGS \(([^\x00-\x1f()%\"\[]*)\)"
        rb' INTERNALDATE ("[^"\\]*") RFC822\.SIZE ([1-9]\d*|0)'
        rb" ENVELOPE \((<Q>) (<Q>) <L> <L> <L> <L> <L> <L> (<Q>) (<Q>)\)\)"
    )
    .replace(b"<L>", _LIST)
    .replace(b"<Q>", _Q),
    re.DOTALL,
)
_ADDRESS_ITEM = re.compile(_ADDRESS, re.DOTALL)


def _headers_line(match: re.Match[bytes], normalise_times: bool) -> tuple[int, dict[bytes, Any]]:
    seq, uid, flags, internaldate, size, date, subject, *lists, in_reply_to, message_id = (
        match.groups()
    )
    envelope = (
        _string(date),
        _string(subject),
        *(_addresses(text) for text in lists),
        _string(in_reply_to),
        _string(message_id),
    )
    return int(uid), {
        b"SEQ": int(seq),
        b"FLAGS": tuple(_atom(flag) for flag in flags.split()),
        b"INTERNALDATE": _convert_INTERNALDATE(_string(internaldate), normalise_times),
        b"RFC822.SIZE": int(size),
        b"ENVELOPE": _convert_ENVELOPE(envelope, normalise_times),
    }


def _string(text: bytes) -> bytes | None:
    if text == b"NIL":
        return None
    inner = text[1:-1]
    return _ESCAPED.sub(rb"\1", inner) if b"\\" in inner else inner


def _addresses(text: bytes) -> tuple[tuple[bytes | None, ...], ...] | None:
    if text == b"NIL":
        return None
    return tuple(tuple(map(_string, m.groups())) for m in _ADDRESS_ITEM.finditer(text))


def _atom(atom: bytes) -> Any:
    if atom == b"NIL":
        return None
    if atom.isdigit() and (atom[:1] != b"0" or len(atom) == 1):
        return int(atom)
    return atom


def _parse_atoms(data: list[Record]) -> list[Any]:
    """Every record's tokens, nested into tuples; the top-level values."""
    top: list[Any] = []
    current = top
    stack: list[list[Any]] = []
    token = _TOKEN
    for record in data:
        if isinstance(record, tuple):
            text, literal = record
        else:
            text, literal = record, None
        for match in token.finditer(text):
            kind = match.lastindex
            if kind == 4:
                atom = match[4]
                if atom[:1] == b"{":
                    if literal is None:
                        raise ProtocolError(f"No literal corresponds to {atom!r}")
                    current.append(literal)
                else:
                    current.append(_atom(atom))
            elif kind == 3:
                quoted = match[3]
                current.append(_ESCAPED.sub(rb"\1", quoted) if b"\\" in quoted else quoted)
            elif kind == 1:
                stack.append(current)
                current = []
            elif kind == 2:
                if not stack:
                    raise ProtocolError("unbalanced ')'")
                finished = tuple(current)
                current = stack.pop()
                current.append(finished)
            else:
                current.append(match[5])
    if stack:
        raise ProtocolError("tuple incomplete")
    return top
