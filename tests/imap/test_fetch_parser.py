"""The fast FETCH reader gives what imapclient's parser gives, value for
value: on the seeded mailbox, on hostile mail as the real Dovecot sends it,
and on hand-made responses that stress the lexer's corners."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import ProtocolError
from imapclient.response_parser import _convert_INTERNALDATE
from imapclient.response_parser import parse_fetch_response as imapclient_parse

from teaminbox.imap import mailstore
from teaminbox.imap.append import append_messages, ensure_folders
from teaminbox.imap.fetch_parser import (
    HEADERS_LINE,
    Record,
    convert_datetime,
    one_line,
    parse_fetch_response,
)
from teaminbox.imap.mailstore import HEADER_ITEMS

HOSTILE: list[bytes] = [
    # 8-bit UTF-8 in raw headers: Dovecot sends these strings as literals.
    'From: Zoé "Le Grand" Dupré <zoe@exemple.fr>\r\nTo: équipe@exemple.fr\r\n'
    "Subject: Réunion à 10h (salle « B »)\r\nDate: Mon, 30 Nov 2026 10:00:00 +0100\r\n"
    "Message-ID: <8bit@exemple.fr>\r\n\r\nCorps.\r\n".encode(),
    # Quotes, backslashes, parentheses, % and an encoded word that does not decode.
    b'From: "Back\\\\slash \\"Quote\\" (paren)" <bs@example.com>\r\n'
    b"To: a@example.com, (comment) b@example.com\r\n"
    b'Subject: 100% \\ sure (really) "quoted" =?utf-8?q?broken=ZZ?=\r\n'
    b'Date: not a date at all\r\nMessage-ID: <weird\\id"x@example.com>\r\n\r\nx\r\n',
    # Address groups, no Date, no Message-ID, an empty Subject.
    b"From: Sender <s@example.com>\r\nTo: undisclosed-recipients:;\r\n"
    b"Cc: Team: one@example.com, two@example.com;\r\nSubject: \r\n\r\nbody\r\n",
    # No From at all, a tab and a control character in the subject, a long one.
    b"To: c@example.com\r\nSubject: tab\there \x01 ctrl " + b"long " * 400 + b"\r\n"
    b"In-Reply-To: <parent@example.com>\r\n\r\nbody\r\n",
    # Folded headers, a NUL-free but malformed address, leading-zero digits.
    b"From: =?utf-8?b?SMOpbMOobmU=?=\r\n <h@example.com>\r\nTo: <>\r\n"
    b"Subject: 007\r\nDate: Tue, 01 Dec 2026 08:00:00 -0000\r\n\r\nbody\r\n",
]


def raw_fetch(client: IMAPClient, uid_set: str, items: str, modifiers: str = "") -> list[Record]:
    """imaplib's untagged FETCH data for one UID FETCH, unparsed."""
    imap = client._imap
    args = ["UID", "FETCH", uid_set, items] + ([modifiers] if modifiers else [])
    typ, data = imap._command_complete("FETCH", imap._command(*args))
    assert typ == "OK", data
    typ, data = imap._untagged_response(typ, data, "FETCH")
    return list(data)


def same_as_imapclient(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    expected = dict(imapclient_parse(data, True, True))
    got = dict(parse_fetch_response(data, True))
    assert got == expected
    return got


@pytest.fixture
def hostile_folder(imap: IMAPClient) -> Iterator[str]:
    name = f"Hostile-{uuid.uuid4().hex[:8]}"
    ensure_folders(imap, [name])
    when = datetime(2026, 11, 30, 9, tzinfo=UTC)
    flags = [("\\Seen", "$Label1"), (), ("\\Flagged", "\\Answered"), ("$Hostile",), ()]
    append_messages(imap, name, [(m, f, when) for m, f in zip(HOSTILE, flags, strict=True)])
    yield name
    mailstore.leave_folder(imap)
    imap.delete_folder(name)


def test_the_seeded_mailbox_reads_the_same(imap: IMAPClient) -> None:
    checked = 0
    for flags, _delimiter, name in imap.list_folders():
        if b"\\Noselect" in flags or not imap.select_folder(name, readonly=True)[b"EXISTS"]:
            continue
        items = f"({' '.join(HEADER_ITEMS)} BODYSTRUCTURE)"
        checked += len(same_as_imapclient(raw_fetch(imap, "1:*", items)))
    assert checked > 10


def test_hostile_mail_reads_the_same(imap: IMAPClient, hostile_folder: str) -> None:
    imap.select_folder(hostile_folder, readonly=True)
    data = raw_fetch(imap, "1:*", f"({' '.join(HEADER_ITEMS)} BODYSTRUCTURE)")
    # The 8-bit message really came with literals, the case worth checking.
    assert any(isinstance(record, tuple) for record in data)
    got = same_as_imapclient(data)
    assert len(got) == len(HOSTILE)
    subjects = [message[b"ENVELOPE"].subject for _uid, message in sorted(got.items())]
    assert "Réunion".encode() in subjects[0]
    assert subjects[1].startswith(b'100% \\ sure (really) "quoted"')


def test_changed_since_with_modseq_reads_the_same(imap: IMAPClient, hostile_folder: str) -> None:
    imap.select_folder(hostile_folder, readonly=True)
    got = same_as_imapclient(raw_fetch(imap, "1:*", "(FLAGS)", "(CHANGEDSINCE 1)"))
    assert all(b"MODSEQ" in message for message in got.values())


_HEADER_START = b'8 (UID 9 FLAGS (\\Seen) INTERNALDATE "30-Nov-2026 09:00:00 +0000" RFC822.SIZE 5'
_HEADER_END = b' NIL NIL NIL NIL NIL NIL NIL "<id@x>"))'
QUOTABLE = (b"a (b)\r\n c", b"NIL", b"", b"\xc3\xa9t\xc3\xa9")
UNQUOTABLE = (b'a "q"', b"a \\ b")


def header_with_subject(literal: bytes) -> list[Record]:
    """A header line as imaplib gives it when the subject came as a literal."""
    return [(_HEADER_START + b" ENVELOPE (NIL {%d}" % len(literal), literal), _HEADER_END]


@pytest.mark.parametrize(
    "data",
    [
        [b'1 (UID 7 FLAGS (\\Seen $Forwarded) RFC822.SIZE 0123 X-GUID "007")'],
        [b'2 (UID 8 ENVELOPE ("a\\\\b\\"c\\d" NIL NIL NIL NIL NIL NIL NIL NIL ""))'],
        [(b"3 (UID 9 ENVELOPE (NIL {5}", b"(x)\r\n"), b" NIL NIL NIL NIL NIL NIL NIL NIL NIL))"],
        [b"4 (UID 10 BODY[HEADER.FIELDS (SUBJECT)] NIL FLAGS ())", b"5 (UID 11 FLAGS (%))"],
        [b'6 (UID 12 FLAGS (a\x01b) INTERNALDATE "30-Nov-2026 09:00:00 +0000")  '],
        [b"7 (FLAGS (\\Seen))"],
        # Header lines with literals: quotable ones (parentheses, CRLF, NIL,
        # 8-bit, dates) are read as one line, those with a quote or a
        # backslash are not.
        *(header_with_subject(literal) for literal in QUOTABLE + UNQUOTABLE),
        [
            (b"8 (UID 9 FLAGS () INTERNALDATE {26}", b"30-Nov-2026 09:00:00 +0100"),
            (b" RFC822.SIZE 5 ENVELOPE ({31}", b"Tue, 01 Dec 2026 08:00:00 +0100"),
            b" NIL NIL NIL NIL NIL NIL NIL NIL NIL))",
        ],
    ],
)
def test_lexer_corners_read_the_same(data: list[Any]) -> None:
    same_as_imapclient(data)


def test_quotable_literals_make_one_header_line() -> None:
    for literal in QUOTABLE:
        line = one_line(header_with_subject(literal))
        assert line is not None and HEADERS_LINE.fullmatch(line) is not None
    for literal in UNQUOTABLE:
        assert one_line(header_with_subject(literal)) is None


@pytest.mark.parametrize(
    "data",
    [[b"1 (UID 7 FLAGS (\\Seen)"], [b"1 (UID 7))"], [b"1 (UID x)"], [b"1 (UID {3})"]],
)
def test_broken_responses_are_protocol_errors(data: list[Record]) -> None:
    with pytest.raises(ProtocolError):
        parse_fetch_response(data)


@pytest.fixture(params=["UTC", "Europe/Paris", "America/St_Johns", "Asia/Kathmandu"])
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process's local time zone, which naive dates are normalised to."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "text",
    [
        b"Tue, 01 Dec 2026 08:00:00 +0100",
        b"1 Dec 2026 08:00:00 -0530",
        b"Tue, 1 Dec 2026 8:05:09 +0000 (UTC)",
        b"Tue, 01 Dec 2026 08:00:00 -0000",
        b"Sun, 29 Mar 2026 02:30:00 +0160",
        b"Tue, 01 DEC 2026 08:00:00 +0100",
        b"Tue, 01 Dec 26 08:00:00 GMT",
        b"Tue, 01 Dec 2026 08:00 +0100",
        b"Tue, 01 Dec 2026 08.00.00 +0100",
        b"Sat, 31 Feb 2026 08:00:00 +0000",
        b"Tue, 01 Dec 2026 24:00:00 +0000",
        b"Tue, 01 Dec 0099 08:00:00 +0000",
        b"Xyz, 01 Dec 2026 08:00:00 +0000",
        b"30-Nov-2026 09:00:00 +0000",
        b" 1-Dec-2026 23:59:59 -1200",
        b"not a date at all",
        b"",
        None,
    ],
)
def test_dates_convert_as_imapclient_converts_them(text: bytes | None, local_zone: str) -> None:
    for normalise in (True, False):
        expected = _convert_INTERNALDATE(text, normalise)
        got = convert_datetime(text, normalise)
        assert got == expected
        assert (got is None) or (got.tzinfo is None) == (expected.tzinfo is None)
