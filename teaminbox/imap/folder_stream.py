"""Every header of the selected folder, read off the socket as it arrives.

A first sync (or a UIDVALIDITY change) caches a whole folder: 100k
envelopes, about 60 MB on the wire. imaplib reads an answer a line at a
time and keeps all of it until the tagged OK. Here the socket is read in
blocks and each message becomes a MessageHeader as soon as its line is
complete, so the cache is written while the server still sends, and memory
holds a block, not the folder. The usual line (Dovecot's item order, no
literal) is read by fetch_parser's single match; any other response is cut
as imaplib cuts it and read by fetch_parser's general reader.
"""

from __future__ import annotations

import functools
import imaplib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import ProtocolError

from teaminbox.domain import MessageHeader, Person, local_zone
from teaminbox.imap.fetch_parser import (
    HEADERS_LINE,
    HEADERS_RESPONSE,
    ONE_ADDRESS,
    Record,
    atom,
    convert_datetime,
    envelope_addresses,
    one_line,
    parse_fetch_response,
    unquote,
)
from teaminbox.imap.mailstore import header_from_fetch, make_header, people, person
from teaminbox.imap.wire import flag_names
from teaminbox.mail.headers import decode_header_value

# What a header needs, which HEADERS_RESPONSE reads in Dovecot's order.
ITEMS = "(ENVELOPE FLAGS INTERNALDATE RFC822.SIZE)"
# Bytes asked of the socket at a time.
BLOCK = 256 * 1024
# Longest text whose decoding is kept for the next message (an address
# list, a name, a FLAGS list).
CACHED_BYTES = 1024
K = TypeVar("K", bound=bytes | str | None)
T = TypeVar("T")

# imaplib's own patterns (its Untagged_response, _Untagged_status, Literal
# and Response_code), which its type stubs do not show.
_UNTAGGED = re.compile(rb"\* (?P<type>[A-Z-]+)( (?P<data>.*))?", re.ASCII)
_UNTAGGED_STATUS = re.compile(rb"\* (?P<data>\d+) (?P<type>[A-Z-]+)( (?P<data2>.*))?", re.ASCII)
_LITERAL = re.compile(rb".*\{(?P<size>\d+)\}$", re.ASCII)
_RESPONSE_CODE = re.compile(rb"\[(?P<type>[A-Z-]+)( (?P<data>.*))?\]")


def stream_folder_headers(client: IMAPClient, uids: str = "1:*") -> Iterator[MessageHeader]:
    """`UID FETCH <uids> (ENVELOPE FLAGS INTERNALDATE RFC822.SIZE)` in the
    selected folder: each message's header, in UID order, as it is read.

    Sent at the first `next()`. The answer must be read to its end before
    the connection does anything else: a caller that stops early must give
    the connection back with an exception, which makes the pool discard it
    (pool.borrow). Untagged responses other than FETCH are kept for imaplib
    as it keeps them (a VANISHED, an EXISTS); a FETCH without ENVELOPE (a
    flag change pushed meanwhile) is left to the next catch-up.
    """
    imap = client._imap
    tag = imap._command("UID", "FETCH", uids, ITEMS)
    try:
        yield from _answer(imap, tag, client.normalise_times)
    except ProtocolError as exc:
        # A response we cannot read, with the rest of the answer still on
        # the socket: the connection must not serve again. (ProtocolError is
        # an IMAP4.error, which the pool takes for a NO and keeps.)
        raise imap.abort(f"unreadable FETCH answer: {exc}") from exc


def uid_at(client: IMAPClient, position: int) -> int | None:
    """The UID of the message at sequence number `position` (from 1) of the
    selected folder (`UID SEARCH <position>`); None past its end."""
    found = client.search([str(position)])
    return int(found[0]) if found else None


def _answer(imap: Any, tag: bytes, normalise: bool) -> Iterator[MessageHeader]:
    """The untagged answer up to the tagged line of `tag`. (`imap` is
    imapclient's imaplib object, whose internals typeshed types for str.)"""
    blocks = _Blocks(imap.file)
    fast = HEADERS_RESPONSE.fullmatch
    dates = _Dates(normalise, local_zone())
    while True:
        end = blocks.line_end()
        match = fast(blocks.data, blocks.at, end + 2)
        if match is not None:
            blocks.at = end + 2
            yield _header(match, dates)
            continue
        line = blocks.line()
        if line.startswith(b"* "):
            yield from _untagged(imap, blocks, line, dates)
            continue
        tagged = imap.tagre.match(line)
        if tagged is None or tagged["tag"] != tag:
            raise imap.abort(f"unexpected response: {line[:200]!r}")
        del imap.tagged_commands[tag]
        if tagged["type"] != b"OK":
            raise imap.error(f"UID FETCH failed: {line[:200]!r}")
        return


@dataclass(frozen=True)
class _Dates:
    """How the dates of one answer convert (imapclient's normalise_times),
    with the local zone looked up once for the whole folder."""

    normalise: bool
    local: timezone

    def convert(self, text: bytes) -> datetime | None:
        return convert_datetime(unquote(text), self.normalise, self.local)


def _header(match: re.Match[bytes], dates: _Dates) -> MessageHeader:
    """The header of a response HEADERS_RESPONSE matched, as header_from_fetch would
    make it from imapclient's parse, without the fields it does not read."""
    # Groups 9, 10, 12 and 13 are Sender, Reply-To, Cc and Bcc.
    uid, flags, internaldate, size, date, subject, from_, to, in_reply_to, message_id = match.group(
        2, 3, 4, 5, 6, 7, 8, 11, 14, 15
    )
    senders = _people_in(from_)
    return make_header(
        uid=int(uid),
        flags=_flags(flags),
        date=dates.convert(date) or dates.convert(internaldate),
        size=int(size),
        subject=unquote(subject),
        sender=senders[0] if senders else None,
        recipients=_people_in(to),
        message_id=unquote(message_id),
        in_reply_to=unquote(in_reply_to),
    )


def _cached_when_small(maxsize: int) -> Callable[[Callable[[K], T]], Callable[[K], T]]:
    """An LRU cache of `maxsize` answers for inputs of up to CACHED_BYTES:
    the process keeps it for its life, and a crafted header of megabytes
    must not stay in it."""

    def decorate(function: Callable[[K], T]) -> Callable[[K], T]:
        cached = functools.lru_cache(maxsize)(function)

        def call(text: K) -> T:
            small = text is None or len(text) <= CACHED_BYTES
            return cached(text) if small else function(text)

        return call

    return decorate


@_cached_when_small(maxsize=256)
def _flags(text: bytes) -> tuple[str, ...]:
    """The flags of a FLAGS list's inside: a folder has few distinct sets."""
    return flag_names([atom(flag) for flag in text.split()])


# A few correspondents write most of a folder: their lists, names and
# domains are decoded once.
_decoded = _cached_when_small(maxsize=4096)(decode_header_value)


@_cached_when_small(maxsize=4096)
def _people_in(text: bytes) -> tuple[Person, ...]:
    """The people of an address list (or NIL) as it is on the wire; the
    usual list of one address read with one match."""
    one = ONE_ADDRESS.fullmatch(text)
    if one is None:
        return people(envelope_addresses(text), _decoded)
    name, _route, mailbox, host = one.groups()
    found = person(unquote(name), unquote(mailbox), unquote(host), _decoded)
    return () if found is None else (found,)


def _untagged(
    imap: imaplib.IMAP4, blocks: _Blocks, line: bytes, dates: _Dates
) -> Iterator[MessageHeader]:
    """Any other untagged response, read to its end as imaplib reads one
    (`_get_response`): a FETCH is parsed, the rest kept in
    `untagged_responses`."""
    match = _UNTAGGED.match(line)
    extra = None
    if match is None:
        match = _UNTAGGED_STATUS.match(line)
        if match is None:
            raise imap.abort(f"unexpected response: {line[:200]!r}")
        extra = match["data2"]
    kind = match["type"].decode("ascii")
    data = match["data"] or b""
    if extra:
        data += b" " + extra
    records: list[Record] = []
    while (literal := _LITERAL.match(data)) is not None:
        records.append((data, blocks.take(int(literal["size"]))))
        data = blocks.line()
    records.append(data)
    if kind == "FETCH":
        joined = one_line(records)
        match = HEADERS_LINE.fullmatch(joined) if joined is not None else None
        if match is not None:
            yield _header(match, dates)
            return
        for uid, fetched in parse_fetch_response(records, dates.normalise).items():
            if b"ENVELOPE" in fetched:
                yield header_from_fetch(uid, fetched)
        return
    for record in records:
        imap._append_untagged(kind, record)
    if kind in ("OK", "NO", "BAD") and (code := _RESPONSE_CODE.match(data)):
        imap._append_untagged(code["type"].decode("ascii"), code["data"])
    if kind == "BYE":
        raise imap.abort(f"the server said BYE: {data[:200]!r}")


class _Blocks:
    """The socket's bytes, read a block at a time: `data[at:]` is unread."""

    def __init__(self, file: io.BufferedReader) -> None:
        self._read = file.read1
        self.data = b""
        self.at = 0

    def line_end(self) -> int:
        """Where the CRLF ending the next line is, once it has arrived."""
        searched = self.at
        while (end := self.data.find(b"\r\n", searched)) < 0:
            # All but a last CR was searched; `_more` puts the unread first.
            searched = max(len(self.data) - self.at - 1, 0)
            self._more()
        return end

    def line(self) -> bytes:
        """The next line, without its CRLF."""
        end = self.line_end()
        line = self.data[self.at : end]
        self.at = end + 2
        return line

    def take(self, size: int) -> bytes:
        """The next `size` bytes (a literal)."""
        if len(self.data) - self.at < size:
            self._more(size)
        taken = self.data[self.at : self.at + size]
        self.at += size
        return taken

    def _more(self, size: int = 0) -> None:
        """Read blocks until the unread bytes number `size` or more, or (no
        size) until a CRLF came, and join them once: joining at each block
        copied a long line again for each of its blocks (128 MB: 33 s)."""
        pending = [self.data[self.at :]]
        have, tail = len(pending[0]), pending[0][-1:]
        while True:
            block = self._read(BLOCK)
            if not block:
                raise imaplib.IMAP4.abort("socket error: EOF")
            pending.append(block)
            have += len(block)
            complete = have >= size if size else b"\r\n" in tail + block
            if complete:
                break
            tail = block[-1:]
        self.data = b"".join(pending)
        self.at = 0
