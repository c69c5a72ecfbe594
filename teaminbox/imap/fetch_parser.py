"""A fast reader of FETCH responses, giving exactly what imapclient's gives.

imapclient's lexer walks a response one byte at a time through Python
iterators: a bulk `UID FETCH 1:* (ENVELOPE …)` of 100k messages spends about
15x the wire time in it (see IMAP-FACTS). Here the usual line of a header
fetch (Dovecot's item order; a literal, as an 8-bit name comes, read as
the quoted string it equals) is read with one match and its values built
as imapclient builds them, dates by a shortcut to the same values; any
other response is read by one regular expression that cuts the tokens and
a stack that builds the tuples, and converted by imapclient's own functions
(dates, ENVELOPE, BODYSTRUCTURE). So the result is the same dict, value for
value, as `imapclient.response_parser.parse_fetch_response`
(tests/imap/test_fetch_parser.py compares them on real and hostile mail).
folder_stream reads the same line straight off the socket.

Tokens follow imapclient's lexer: whitespace is space, tab, CR and LF; an
atom runs until a space, a control character or one of `()%"[`, and takes
a `[...]` section whole; in a quoted string a backslash escapes only `\\`
and `"` (before anything else it is kept); `NIL` is None; digits without a
leading zero are an int; `{n}` stands for the literal imaplib put beside it.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from imapclient.datetime_util import parse_to_datetime
from imapclient.exceptions import ProtocolError
from imapclient.response_parser import _convert_ENVELOPE, _convert_INTERNALDATE
from imapclient.response_types import Address, BodyData, Envelope

from teaminbox.domain import local_zone

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
        line = one_line(response)
        match = HEADERS_LINE.fullmatch(line) if line is not None else None
        if match is not None:
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


def one_line(response: list[Record]) -> bytes | None:
    """One response's records as one line, each literal made the quoted
    string that reads the same (when it holds no `"` or `\\`): a header line
    with an 8-bit name (a literal) is then read by HEADERS_LINE too. None
    when a literal cannot be quoted."""
    if len(response) == 1 and isinstance(response[0], bytes):
        return response[0]
    pieces: list[bytes] = []
    for record in response:
        if isinstance(record, bytes):
            pieces.append(record)
            continue
        text, literal = record
        if b'"' in literal or b"\\" in literal:
            return None
        pieces += [text[: text.rindex(b"{")], b'"', literal, b'"']
    return b"".join(pieces)


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


# The answer to a header fetch, in Dovecot's order: most of a bulk sync's
# lines, read with one match instead of ~60 tokens. Possessive quantifiers
# (`*+`, no backtracking into what cannot be given back anyway) make the
# match a quarter faster.
_Q = rb'(?:NIL|"[^"\\]*+(?:\\.[^"\\]*+)*+")'
_ADDRESS = rb"\((<Q>) (<Q>) (<Q>) (<Q>)\)".replace(b"<Q>", _Q)
_LIST = rb"(NIL|\((?: ?\(<Q> <Q> <Q> <Q>\))++\))".replace(b"<Q>", _Q)
_HEADERS_ITEMS = (
    (
        rb"\(UID ([1-9]\d*+) FLAGS \(([^\x00-\x1f()%\"\[]*+)\)"
        rb' INTERNALDATE ("[^"\\]*+") RFC822\.SIZE ([1-9]\d*+|0)'
        rb" ENVELOPE \((<Q>) (<Q>) <L> <L> <L> <L> <L> <L> (<Q>) (<Q>)\)\)"
    )
    .replace(b"<L>", _LIST)
    .replace(b"<Q>", _Q)
)
HEADERS_LINE = re.compile(rb"([1-9]\d*) " + _HEADERS_ITEMS, re.DOTALL)
# The same as it comes off the socket, CRLF included.
HEADERS_RESPONSE = re.compile(rb"\* ([1-9]\d*) FETCH " + _HEADERS_ITEMS + rb"\r\n", re.DOTALL)
_ADDRESS_ITEM = re.compile(_ADDRESS, re.DOTALL)
# An address list of one address, as most are.
ONE_ADDRESS = re.compile(rb"\(" + _ADDRESS + rb"\)", re.DOTALL)


def _headers_line(match: re.Match[bytes], normalise_times: bool) -> tuple[int, dict[bytes, Any]]:
    seq, uid, flags, internaldate, size, date, subject, *lists, in_reply_to, message_id = (
        match.groups()
    )
    # Envelope and Address as imapclient's _convert_ENVELOPE makes them, with
    # the dates converted by convert_datetime (the same values, ~10x faster).
    envelope = Envelope(
        convert_datetime(unquote(date), normalise_times),
        unquote(subject),
        *(envelope_addresses(text) for text in lists),
        unquote(in_reply_to),
        unquote(message_id),
    )
    return int(uid), {
        b"SEQ": int(seq),
        b"FLAGS": tuple(atom(flag) for flag in flags.split()),
        b"INTERNALDATE": convert_datetime(unquote(internaldate), normalise_times),
        b"RFC822.SIZE": int(size),
        b"ENVELOPE": envelope,
    }


def unquote(text: bytes) -> bytes | None:
    """A quoted string (or NIL) of a line HEADERS_LINE matched, as imapclient reads it."""
    if text == b"NIL":
        return None
    inner = text[1:-1]
    return _ESCAPED.sub(rb"\1", inner) if b"\\" in inner else inner


def envelope_addresses(text: bytes) -> tuple[Address, ...] | None:
    """An address list (or NIL) of a line HEADERS_LINE matched, as
    imapclient's _convert_ENVELOPE makes it."""
    if text == b"NIL":
        return None
    return tuple(Address(*map(unquote, m.groups())) for m in _ADDRESS_ITEM.finditer(text))


def atom(text: bytes) -> Any:
    """An atom as imapclient reads it: NIL is None, digits (no leading zero) an int."""
    if text == b"NIL":
        return None
    if text.isdigit() and (text[:1] != b"0" or len(text) == 1):
        return int(text)
    return text


# The dates nearly every mailer writes (RFC 5322, maybe with a trailing
# comment) and INTERNALDATE: the fields email.utils.parsedate_tz would find
# in them. Anything else goes to imapclient's own conversion.
_MONTHS = {
    name.encode(): number
    for number, name in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_RFC5322_DATE = re.compile(
    rb"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) ([A-Z][a-z][a-z]) ([1-9]\d{3})"
    rb" (\d{1,2}):(\d\d):(\d\d) ([+-]\d{4})(?: \([\x20-\x27\x2a-\x7e]*\))?"
)
_INTERNALDATE = re.compile(
    rb" ?(\d{1,2})-([A-Z][a-z][a-z])-([1-9]\d{3}) (\d\d):(\d\d):(\d\d) ([+-]\d{4})"
)


def convert_datetime(
    text: bytes | None, normalise_times: bool = True, local: timezone | None = None
) -> datetime | None:
    """An ENVELOPE date or INTERNALDATE as imapclient converts it (None when
    it cannot): naive local time when normalising (`local`, by default
    `local_zone()` now).

    imapclient's parse_to_datetime goes through parsedate_tz and a tzinfo
    object per date, ~15 us; a first sync converts 100k of them.
    """
    if not text:
        return None
    match = (
        (_RFC5322_DATE.fullmatch(text) or _INTERNALDATE.fullmatch(text))
        if normalise_times
        else None
    )
    month = _MONTHS.get(match[2]) if match is not None else None
    if match is None or month is None:
        try:
            converted: datetime = parse_to_datetime(text, normalise=normalise_times)
        except ValueError:
            return None
        return converted
    day, _month, year, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(int(year), month, int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    return moment + _to_local(zone, local or local_zone())


@functools.lru_cache(maxsize=64)
def _to_local(zone: bytes, local: timezone) -> timedelta:
    """What takes a time in `zone` ("+0100") to `local` time. A folder's mail
    comes from a few zones."""
    east = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    return local.utcoffset(None) - (-east if zone[:1] == b"-" else east)


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
                word = match[4]
                if word[:1] == b"{":
                    if literal is None:
                        raise ProtocolError(f"No literal corresponds to {word!r}")
                    current.append(literal)
                else:
                    current.append(atom(word))
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
