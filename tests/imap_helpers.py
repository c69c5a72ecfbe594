"""Looking at the test mailbox the way another mail client would."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from imapclient import IMAPClient

from teaminbox.imap.append import append_messages


def uid_of(client: IMAPClient, folder: str, message_id: str) -> int:
    """The UID of the message with that Message-ID in `folder`."""
    client.select_folder(folder, readonly=True)
    uids = client.search(["HEADER", "Message-ID", message_id])
    assert len(uids) == 1, f"{message_id} in {folder}: {uids}"
    return int(uids[0])


def flags_of(client: IMAPClient, folder: str, uid: int) -> set[str]:
    client.select_folder(folder, readonly=True)
    flags = client.get_flags([uid])[uid]
    return {f.decode() if isinstance(f, bytes) else f for f in flags}


def add_message(client: IMAPClient, folder: str, flags: Sequence[str] = ()) -> tuple[str, int]:
    """APPEND a new message with a unique Message-ID; its Message-ID and UID."""
    message_id = f"<{uuid.uuid4().hex}@actions.test>"
    raw = (
        "From: Test <test@example.com>\r\n"
        "To: contact@office.test\r\n"
        f"Subject: Test message {message_id}\r\n"
        "Date: Fri, 20 Nov 2026 09:30:00 +0000\r\n"
        f"Message-ID: {message_id}\r\n"
        "\r\n"
        "A message made for one test.\r\n"
    ).encode()
    append_messages(client, folder, [(raw, flags, datetime(2026, 11, 20, 9, 30, tzinfo=UTC))])
    return message_id, uid_of(client, folder, message_id)


def locate(
    client: IMAPClient, message_id: str, folders: Iterable[str]
) -> dict[str, list[set[str]]]:
    """Where the message with that Message-ID is: folder → the flags of each copy
    (without \\Recent, which differs from session to session)."""
    found: dict[str, list[set[str]]] = {}
    for folder in folders:
        client.select_folder(folder, readonly=True)
        uids = client.search(["HEADER", "Message-ID", message_id])
        if uids:
            flags = client.get_flags(uids)
            found[folder] = [
                {f.decode() for f in flags[uid] if f != b"\\Recent"} for uid in sorted(uids)
            ]
    return found
