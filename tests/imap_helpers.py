"""Looking at the test mailbox the way another mail client would, and
setting it beside what the app's cache holds."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from imapclient import IMAPClient

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.imap.append import append_messages
from teaminbox.store import cache
from teaminbox.store.db import Database


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


def stop_at_once(server: DovecotServer) -> None:
    """Stop Dovecot and every process serving a connection.

    stop_dovecot signals the master alone, and Dovecot 2.3.19 then keeps an
    IDLE session open about 10 s longer before it says BYE; signalling the
    whole process group ends the sessions at once, with BYE.
    """
    os.killpg(int(server.pid_file.read_text()), signal.SIGTERM)
    stop_dovecot(server)


def restart(server: DovecotServer) -> None:
    """Start a stopped test Dovecot again, on its ports, with its mail."""
    start_dovecot(server.root, imap_port=server.imap_port, pop3_port=server.pop3_port)


def server_flags(client: IMAPClient, folder: str) -> dict[int, tuple[str, ...]]:
    """Every UID of `folder` with its flags, sorted, as the cache keeps them."""
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    return {
        uid: tuple(sorted(f.decode() for f in flags if f != b"\\Recent"))
        for uid, flags in (client.get_flags(uids) if uids else {}).items()
    }


def cached_flags(database: Database, folder: str) -> dict[int, tuple[str, ...]]:
    """What the app's header cache holds for `folder`: UID → flags."""
    with database.session() as session:
        state = cache.folder_state(session, folder)
        return cache.flags_by_uid(session, state) if state else {}
