"""Typed reads and writes on the shared mailbox, over a borrowed connection.

Every function takes a logged-in IMAPClient from the pool and returns the
app's own value types: no bytes-keyed dicts leave this module.
"""

from __future__ import annotations

import imaplib
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.response_types import Address, Envelope

from teaminbox.domain import (
    BodyPart,
    Folder,
    FolderCounts,
    FolderPage,
    MessageContent,
    MessageHeader,
    MessageRef,
    Person,
)
from teaminbox.imap.bodystructure import parse_bodystructure
from teaminbox.imap.errors import FolderNotFound, MessageNotFound
from teaminbox.imap.wire import fetch_sequence_range, flag_names
from teaminbox.mail.content import decode_text, decode_transfer
from teaminbox.mail.headers import decode_header_value

log = logging.getLogger(__name__)

HEADER_ITEMS = ["ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822.SIZE"]
SPECIAL_USE = (b"\\Sent", b"\\Trash", b"\\Drafts", b"\\Junk", b"\\Archive", b"\\All", b"\\Flagged")
# Text parts bigger than this are shown cut; nobody reads 2 MB of text.
MAX_TEXT_BYTES = 2 * 1024 * 1024


def list_folders(client: IMAPClient) -> list[Folder]:
    """Every folder of the mailbox, names decoded from modified UTF-7."""
    folders = []
    for flags, delimiter, name in client.list_folders():
        special = next((f.decode() for f in flags if f in SPECIAL_USE), None)
        folders.append(
            Folder(
                name=name,
                delimiter=delimiter.decode() if delimiter else "",
                selectable=b"\\Noselect" not in flags and b"\\NonExistent" not in flags,
                special_use=special,
            )
        )
    return folders


def count_messages(client: IMAPClient, folders: Sequence[str]) -> dict[str, FolderCounts]:
    """Total and unread messages per folder, with one STATUS each.

    Dovecot answers STATUS on the selected folder from this session's own,
    possibly old, view: the folder is left first, or a change another
    session just made would be missed.
    """
    leave_folder(client)
    counts = {}
    for name in folders:
        status = client.folder_status(name, [b"MESSAGES", b"UNSEEN"])
        counts[name] = FolderCounts(messages=status[b"MESSAGES"], unseen=status[b"UNSEEN"])
    return counts


def fetch_page(client: IMAPClient, folder: str, number: int, size: int) -> FolderPage:
    """One page of headers, the latest arrival in the folder first.

    Message sequence numbers run in UID order, which is the order messages
    arrived in the folder: a page is one FETCH of a sequence range, whatever
    the size of the folder (a SORT would cost the server the whole folder,
    about 100 ms at 100k messages, on every page).
    """
    status = select_folder(client, folder, readonly=True)
    total = int(status.get(b"EXISTS", 0))
    last = total - (number - 1) * size
    fetched = fetch_sequence_range(client, max(1, last - size + 1), last, HEADER_ITEMS)
    headers = tuple(
        header_from_fetch(uid, data)
        for uid, data in sorted(fetched.items(), reverse=True)
        if b"ENVELOPE" in data
    )
    return FolderPage(folder=folder, number=number, size=size, total=total, headers=headers)


def fetch_header(client: IMAPClient, ref: MessageRef) -> MessageHeader | None:
    """One message's header, None when the UID is gone from the folder."""
    select_folder(client, ref.folder, readonly=True)
    data = client.fetch([ref.uid], HEADER_ITEMS).get(ref.uid)
    if data is None or b"ENVELOPE" not in data:
        return None
    return header_from_fetch(ref.uid, data)


def fetch_message(client: IMAPClient, ref: MessageRef) -> MessageContent:
    """Headers, structure and readable text of one message, without \\Seen.

    Bodies are fetched with BODY.PEEK and only for the text parts shown;
    attachments stay on the server until someone downloads them.
    """
    select_folder(client, ref.folder, readonly=True)
    data = client.fetch([ref.uid], [*HEADER_ITEMS, "BODYSTRUCTURE"]).get(ref.uid)
    if data is None or b"BODYSTRUCTURE" not in data:
        raise MessageNotFound(f"no message {ref.uid} in {ref.folder}")
    parts = parse_bodystructure(data[b"BODYSTRUCTURE"])
    envelope: Envelope = data[b"ENVELOPE"]
    return MessageContent(
        header=header_from_fetch(ref.uid, data),
        cc=people(envelope.cc),
        reply_to=people(envelope.reply_to),
        text=_fetch_text(client, ref, _body_part(parts, "text/plain")),
        html=_fetch_text(client, ref, _body_part(parts, "text/html")),
        parts=parts,
    )


def fetch_structure(client: IMAPClient, ref: MessageRef) -> tuple[BodyPart, ...]:
    """The MIME leaves of one message, from its BODYSTRUCTURE alone."""
    select_folder(client, ref.folder, readonly=True)
    data = client.fetch([ref.uid], ["BODYSTRUCTURE"]).get(ref.uid)
    if data is None or b"BODYSTRUCTURE" not in data:
        raise MessageNotFound(f"no message {ref.uid} in {ref.folder}")
    return parse_bodystructure(data[b"BODYSTRUCTURE"])


def iter_part(
    client: IMAPClient, ref: MessageRef, part: BodyPart, chunk_size: int = 1024 * 1024
) -> Iterator[bytes]:
    """The encoded bytes of one part, a partial FETCH at a time.

    Memory stays at one chunk whatever the size of the attachment.
    """
    select_folder(client, ref.folder, readonly=True)
    offset = 0
    while True:
        chunk = _fetch_section(client, ref, part.section, offset, chunk_size)
        if chunk:
            yield chunk
        if len(chunk) < chunk_size:
            return
        offset += len(chunk)


def select_folder(client: IMAPClient, folder: str, readonly: bool) -> dict[bytes, Any]:
    """SELECT (or EXAMINE) `folder`; its status, or FolderNotFound."""
    try:
        status: dict[bytes, Any] = client.select_folder(folder, readonly=readonly)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise FolderNotFound(f"cannot open folder {folder!r}: {exc}") from exc
    return status


def leave_folder(client: IMAPClient) -> None:
    """Leave the selected folder without expunging anything: UNSELECT (RFC
    3691) where offered, else EXAMINE INBOX. Never CLOSE, which expunges."""
    try:
        if client.has_capability("UNSELECT"):
            client.unselect_folder()
        else:
            client.select_folder("INBOX", readonly=True)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error:
        pass  # nothing was selected


def _body_part(parts: Sequence[BodyPart], mime_type: str) -> BodyPart | None:
    return next((p for p in parts if p.mime_type == mime_type and not p.is_attachment), None)


def _fetch_text(client: IMAPClient, ref: MessageRef, part: BodyPart | None) -> str | None:
    if part is None:
        return None
    raw = _fetch_section(client, ref, part.section, 0, MAX_TEXT_BYTES)
    return decode_text(decode_transfer(raw, part.encoding), part.charset)


def _fetch_section(
    client: IMAPClient, ref: MessageRef, section: str, offset: int, length: int
) -> bytes:
    data = client.fetch([ref.uid], [f"BODY.PEEK[{section}]<{offset}.{length}>"]).get(ref.uid)
    if data is None:
        raise MessageNotFound(f"no message {ref.uid} in {ref.folder}")
    value = next((v for k, v in data.items() if k.startswith(b"BODY[")), None)
    return value or b""


def header_from_fetch(uid: int, data: dict[bytes, Any]) -> MessageHeader:
    """A header from the HEADER_ITEMS of one FETCH response."""
    envelope: Envelope = data[b"ENVELOPE"]
    senders = people(envelope.from_)
    return make_header(
        uid=uid,
        flags=flag_names(data.get(b"FLAGS", ())),
        date=envelope.date or data.get(b"INTERNALDATE"),
        size=int(data.get(b"RFC822.SIZE", 0)),
        subject=envelope.subject,
        sender=senders[0] if senders else None,
        recipients=people(envelope.to),
        message_id=envelope.message_id,
        in_reply_to=envelope.in_reply_to,
    )


def make_header(
    *,
    uid: int,
    flags: tuple[str, ...],
    date: datetime | None,
    size: int,
    subject: bytes | None,
    sender: Person | None,
    recipients: tuple[Person, ...],
    message_id: bytes | None,
    in_reply_to: bytes | None,
) -> MessageHeader:
    """A header from FETCH values as imapclient reads them (the ENVELOPE's
    strings undecoded), the people in it and its flags (`flag_names`). Also
    folder_stream's, which reads only these fields of a bulk fetch."""
    return MessageHeader(
        uid=uid,
        flags=flags,
        subject=decode_header_value(subject),
        sender=sender,
        recipients=recipients,
        date=date,
        size=size,
        message_id=decode_header_value(message_id),
        in_reply_to=decode_header_value(in_reply_to),
    )


def people(
    addresses: Sequence[Address] | None,
    decode: Callable[[bytes | None], str] = decode_header_value,
) -> tuple[Person, ...]:
    """The mailboxes of an ENVELOPE address list, decoded (by `decode`, which
    must give what decode_header_value gives); group markers left out."""
    found = (person(a.name, a.mailbox, a.host, decode) for a in addresses or ())
    return tuple(p for p in found if p is not None)


def person(
    name: bytes | None,
    mailbox: bytes | None,
    host: bytes | None,
    decode: Callable[[bytes | None], str] = decode_header_value,
) -> Person | None:
    """One ENVELOPE address, decoded; None for the start or end of an RFC
    5322 group (no mailbox or no host)."""
    if mailbox is None or host is None:
        return None
    return Person(decode(name), f"{decode(mailbox)}@{decode(host)}")
