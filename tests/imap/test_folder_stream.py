"""The streamed reader of a whole folder (a first sync) gives, header for
header, what header_from_fetch makes of imapclient's own parse: on the
seeded mailbox and on hostile mail as the real Dovecot sends it; and it
leaves the connection as imaplib would."""

from __future__ import annotations

import imaplib
import io
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import ProtocolError
from imapclient.response_parser import parse_fetch_response as imapclient_parse

from teaminbox.demo.dovecot import DovecotServer
from teaminbox.domain import MessageHeader
from teaminbox.imap import folder_stream, mailstore
from teaminbox.imap.append import append_messages, ensure_folders
from teaminbox.imap.connection import open_connection
from teaminbox.imap.errors import ImapUnavailable
from teaminbox.imap.fetch_parser import Record, parse_fetch_response
from teaminbox.imap.folder_stream import ITEMS, stream_folder_headers
from teaminbox.imap.pool import ConnectionPool
from tests.imap.test_fetch_parser import HOSTILE, raw_fetch

# What the fast paths could get wrong: 8-bit names (literals, quotable or
# not), dates beside the common form, values that only look plain.
STREAM_HOSTILE: list[bytes] = [
    "From: Élodie Lefèvre <é.1@exemple.fr>\r\nTo: Zoé <zoe@exemple.fr>, b@example.com\r\n"
    "Subject: Déjà vu\r\nDate: Tue, 1 Dec 2026 08:00:00 +0100 (CET)\r\n\r\nx\r\n".encode(),
    'From: "Zoé \\"Z\\" Back\\\\slash" <z@exemple.fr>\r\n'
    "Subject: quote in a literal\r\nDate: 1 Dec 2026 08:00 +0530\r\n\r\nx\r\n".encode(),
    b"From: a@example.com\r\nSubject:  two  spaces and trailing \r\n"
    b"Date: Tue, 01 DEC 2026 08:00:00 -0000\r\n\r\nx\r\n",
    b"From: a@example.com\r\nSubject: a =? b ?= c\r\nDate: Tue, 01 Dec 26 08:00:00 GMT\r\n\r\nx\r\n",
    b"From: a@example.com\r\nSubject: x\r\nDate: Sat, 31 Feb 2026 08:00:00 +0000\r\n\r\nx\r\n",
    b"From: a@example.com\r\nSubject: y\r\nDate: Tue, 01 Dec 2026 24:00:00 +0000\r\n\r\nx\r\n",
    b"From: a@example.com\r\nSubject: z\r\nDate: Tue, 01 Dec 2026 08.00.00 +0000\r\n\r\nx\r\n",
    b"From: a@example.com\r\nSubject: w\r\nDate: Tue, 01 Dec 2026 23:59:59 -1159\r\n\r\nx\r\n",
]


def through_imapclient(client: IMAPClient, folder: str) -> list[MessageHeader]:
    """The folder's headers as the general path makes them from imapclient's parser."""
    client.select_folder(folder, readonly=True)
    parsed = imapclient_parse(raw_fetch(client, "1:*", ITEMS), True, True)
    return [mailstore.header_from_fetch(uid, parsed[uid]) for uid in sorted(parsed)]


def streamed(client: IMAPClient, folder: str) -> list[MessageHeader]:
    mailstore.select_folder(client, folder, readonly=True)
    return list(stream_folder_headers(client))


@pytest.fixture
def hostile_folder(imap: IMAPClient) -> Iterator[str]:
    name = f"Stream-{uuid.uuid4().hex[:8]}"
    ensure_folders(imap, [name])
    when = datetime(2026, 11, 30, 9, tzinfo=UTC)
    messages = [*HOSTILE, *STREAM_HOSTILE]
    append_messages(imap, name, [(m, ("$Hostile",), when) for m in messages])
    yield name
    mailstore.leave_folder(imap)
    imap.delete_folder(name)


def test_the_seeded_mailbox_streams_as_imapclient_reads_it(imap: IMAPClient) -> None:
    checked = 0
    for flags, _delimiter, name in imap.list_folders():
        if b"\\Noselect" in flags or not imap.select_folder(name, readonly=True)[b"EXISTS"]:
            continue
        expected = through_imapclient(imap, name)
        assert streamed(imap, name) == expected
        checked += len(expected)
    assert checked > 10


def test_hostile_mail_streams_as_imapclient_reads_it(
    imap: IMAPClient, hostile_folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = through_imapclient(imap, hostile_folder)
    assert len(expected) == len(HOSTILE) + len(STREAM_HOSTILE)
    general: list[object] = []

    def general_reader(records: list[Record], normalise: bool) -> object:
        general.append(records)
        return parse_fetch_response(records, normalise)

    monkeypatch.setattr(folder_stream, "parse_fetch_response", general_reader)
    assert streamed(imap, hostile_folder) == expected
    # Both paths were taken: a literal with a quote in it cannot be a quoted string.
    assert 0 < len(general) < len(expected)
    by_subject = {h.subject: h for h in expected}
    assert by_subject["Déjà vu"].sender is not None
    assert by_subject["Déjà vu"].sender.email == "é.1@exemple.fr"
    assert by_subject["Déjà vu"].date == datetime(2026, 12, 1, 7)  # the tests run in UTC
    assert by_subject["x"].date == datetime(2026, 11, 30, 9)  # no such day: INTERNALDATE


def test_a_huge_hostile_subject_streams_in_one_pass(imap: IMAPClient) -> None:
    """200 KB of encoded-word starts that never end, as Dovecot sends them
    in the ENVELOPE: a first sync decoded such a subject in time quadratic
    in its length (minutes), holding the watcher's thread meanwhile."""
    name = f"Huge-{uuid.uuid4().hex[:8]}"
    ensure_folders(imap, [name])
    subject = "=?a?q?xx" * 25_000
    raw = f"From: m@evil.test\r\nSubject: {subject}\r\n\r\nx\r\n".encode()
    append_messages(imap, name, [(raw, (), datetime(2026, 11, 30, 9, tzinfo=UTC))])
    try:
        started = time.monotonic()
        (header,) = streamed(imap, name)
        assert time.monotonic() - started < 10
        assert header.subject == subject
    finally:
        mailstore.leave_folder(imap)
        imap.delete_folder(name)


def test_the_connection_is_left_as_imaplib_leaves_it(
    imap: IMAPClient, dovecot: DovecotServer, hostile_folder: str
) -> None:
    """An EXPUNGE another session made meanwhile comes inside the UID FETCH
    answer: it is kept for imaplib, and the connection goes on."""
    mailstore.select_folder(imap, hostile_folder, readonly=True)
    other = IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=10)
    other.login(dovecot.user, dovecot.password)
    try:
        other.select_folder(hostile_folder)
        other.delete_messages([1])
        other.expunge()
    finally:
        other.logout()
    headers = list(stream_folder_headers(imap))
    # Dovecot answers from the session's view and tells of the expunge after
    # the FETCH lines, before the tagged OK.
    assert [h.uid for h in headers] == list(range(1, len(HOSTILE) + len(STREAM_HOSTILE) + 1))
    assert imap._imap.untagged_responses.get("EXPUNGE") == [b"1"]
    assert not imap._imap.tagged_commands
    assert imap.noop()[0].startswith(b"NOOP completed")
    assert len(imap.fetch([2], ["FLAGS"])) == 1


def test_a_refused_fetch_raises_and_the_connection_goes_on(imap: IMAPClient) -> None:
    mailstore.leave_folder(imap)
    imap._imap.state = "SELECTED"  # so that the server, not imaplib, refuses
    with pytest.raises(imaplib.IMAP4.error, match=r"UID FETCH failed.*No mailbox selected"):
        list(stream_folder_headers(imap))
    imap._imap.state = "AUTH"
    assert not imap._imap.tagged_commands
    assert imap.noop()[0].startswith(b"NOOP completed")


def test_an_unreadable_answer_drops_the_connection_from_the_pool(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = ConnectionPool(lambda: open_connection(dovecot.imap_settings), size=1)
    read = folder_stream._header
    count = 0

    def fails_on_the_second(*args: Any) -> MessageHeader:
        nonlocal count
        count += 1
        if count == 2:
            raise ProtocolError("tuple incomplete")
        return read(*args)

    monkeypatch.setattr(folder_stream, "_header", fails_on_the_second)
    with pytest.raises(ImapUnavailable), pool.borrow() as client:
        mailstore.select_folder(client, "INBOX", readonly=True)
        list(stream_folder_headers(client))
    monkeypatch.undo()
    with pool.borrow() as client:  # a fresh connection, not the half-read one
        page = mailstore.fetch_page(client, "INBOX", 1, 5)
    assert len(page.headers) == 5
    pool.close()


class _Chunks(io.RawIOBase):
    """A socket that hands out `size` bytes at a time."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size, self._at = data, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        piece = self._data[self._at : self._at + min(self._size, len(buffer))]
        buffer[: len(piece)] = piece
        self._at += len(piece)
        return len(piece)


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_lines_and_literals_survive_any_cut_of_the_socket(size: int) -> None:
    data = b"* 1 FETCH (a)\r\n\r\n{5}\r\nab\r\nc* 2 x\r\nend\r\n"
    blocks = folder_stream._Blocks(io.BufferedReader(_Chunks(data, size), buffer_size=size))
    assert blocks.line() == b"* 1 FETCH (a)"
    assert blocks.line() == b""
    assert blocks.line() == b"{5}"
    assert blocks.take(5) == b"ab\r\nc"
    assert (blocks.line(), blocks.line()) == (b"* 2 x", b"end")
    with pytest.raises(imaplib.IMAP4.abort):
        blocks.line()


def test_a_long_line_is_joined_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Joining at each 256 KB block copied the line again each time: 128 MB
    # took 33 s. All of its blocks are now read, then joined, in one call.
    data = b"* 1 FETCH " + b"y" * (16 << 20) + b"\r\nnext\r\n"
    blocks = folder_stream._Blocks(io.BufferedReader(io.BytesIO(data)))
    joins: list[int] = []
    more = folder_stream._Blocks._more

    def counted(self: folder_stream._Blocks, size: int = 0) -> None:
        joins.append(size)
        more(self, size)

    monkeypatch.setattr(folder_stream._Blocks, "_more", counted)
    assert len(blocks.line()) == len(data) - 8
    assert blocks.line() == b"next"
    assert len(joins) == 1  # 64 blocks, one join


def test_only_short_texts_are_kept_for_the_next_message() -> None:
    """The caches live as long as the process: a crafted header of
    megabytes is decoded each time, not kept."""
    calls: list[bytes] = []

    @folder_stream._cached_when_small(maxsize=8)
    def decode(text: bytes) -> int:
        calls.append(text)
        return len(text)

    short, long = b"x" * folder_stream.CACHED_BYTES, b"x" * (folder_stream.CACHED_BYTES + 1)
    assert [decode(short), decode(short), decode(long), decode(long)] == [
        len(short),
        len(short),
        len(long),
        len(long),
    ]
    assert calls == [short, long, long]
