"""Looking at the test mailbox the way another mail client would."""

from __future__ import annotations

from imapclient import IMAPClient


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
