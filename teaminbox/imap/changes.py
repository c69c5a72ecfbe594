"""Changes to the shared mailbox: flags, moves, expunges, folders.

Every function takes a borrowed, logged-in IMAPClient and makes one real
change on the server, so that Thunderbird on the same account sees it.
Messages are named by UID; a UID that is gone (someone moved or deleted the
message meanwhile) raises MessageNotFound, never a silent success.
"""

from __future__ import annotations

import functools
import imaplib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from imapclient import IMAPClient

from teaminbox.domain import DELETED, MessageRef, StoredFlags
from teaminbox.imap.errors import FolderExists, FolderNotFound, MessageNotFound, ServerRefused
from teaminbox.imap.mailstore import leave_folder, select_folder
from teaminbox.imap.qresync import fetch_stored_flags, store_flags
from teaminbox.imap.wire import parse_uid_set, uid_ranges
from teaminbox.mail.headers import decode_header_value

log = logging.getLogger(__name__)


@functools.cache
def _log_once(message: str) -> None:
    """Say a fallback once per process, not once per request."""
    log.warning(message)


def set_flag(client: IMAPClient, ref: MessageRef, flag: str, present: bool) -> StoredFlags:
    """Add or remove one system flag (`\\Flagged`, `\\Answered`, `\\Seen`,
    `\\Deleted`) and return the message's flags afterwards, with their
    MODSEQ under CONDSTORE (the cache keeps it, so that a sync that fetched
    the flags before this change does not write them back).

    Dovecot sends no FETCH when the flag was already as asked, so the flags
    are then fetched to tell "nothing to do" from "no such message".
    """
    select_folder(client, ref.folder, readonly=False)
    with _answers_about(ref):
        result = store_flags(client, [ref.uid], "+FLAGS" if present else "-FLAGS", [flag])
    if ref.uid in result:
        return result[ref.uid]
    current = fetch_stored_flags(client, [ref.uid]).get(ref.uid)
    if current is None:
        raise MessageNotFound(f"no message {ref.uid} in {ref.folder}")
    return current


def move_message(client: IMAPClient, ref: MessageRef, destination: str) -> int | None:
    """Move one message to `destination` and return its UID there.

    Uses `UID MOVE` (RFC 6851) when offered; else `UID COPY`, `\\Deleted` and
    `UID EXPUNGE` of that UID alone (UIDPLUS, RFC 4315), so that messages
    other clients marked deleted stay. A server with neither MOVE nor UIDPLUS
    gets the copy and the source left marked `\\Deleted` until someone
    expunges. The new UID comes from COPYUID (UIDPLUS); without it, from a
    search by Message-ID in `destination` (None if that finds nothing).

    Raises MessageNotFound when someone else moved or deleted the message
    first, including at the same moment: Dovecot does not serialise two
    sessions' MOVEs of one message, so both may copy it before either
    expunges; the mover whose copy came second removes it again (see
    `_lost_race`). Raises FolderNotFound when `destination` does not exist.
    """
    select_folder(client, ref.folder, readonly=False)
    has_move = client.has_capability("MOVE")
    uidplus = client.has_capability("UIDPLUS")
    original = _fingerprint(client, ref)
    _take_copyuid(client)  # leftovers of earlier commands are not ours
    with _answers_about(ref, destination):
        if has_move:
            client.move([ref.uid], destination)
        else:
            _log_once("the IMAP server offers no MOVE: moving with COPY, \\Deleted and EXPUNGE")
            client.copy([ref.uid], destination)
    copied = _take_copyuid(client)
    if uidplus and ref.uid not in copied:
        raise MessageNotFound(f"no message {ref.uid} in {ref.folder}: already moved or deleted")
    new_uid = copied.get(ref.uid)
    if new_uid is not None and _lost_race(client, destination, new_uid, original):
        raise MessageNotFound(f"message {ref.uid} of {ref.folder} was moved by someone else too")
    if not has_move:
        select_folder(client, ref.folder, readonly=False)
        _remove_copied_original(client, ref, uidplus)
    if new_uid is not None:
        return new_uid
    return _find_by_message_id(client, destination, original.message_id)


def expunge_deleted(client: IMAPClient, folder: str) -> tuple[int, ...]:
    """Remove for good the messages of `folder` marked `\\Deleted`; return their UIDs.

    With UIDPLUS only the UIDs found are expunged; without it a plain
    EXPUNGE also takes any message marked deleted a moment later.
    """
    select_folder(client, folder, readonly=False)
    uids = tuple(sorted(client.search(["DELETED"])))
    _expunge(client, uids)
    return uids


def expunge_all(client: IMAPClient, folder: str) -> tuple[int, ...]:
    """Remove for good every message of `folder` (emptying the Trash); return their UIDs.

    Only the messages present when it starts: one arriving meanwhile stays.
    """
    select_folder(client, folder, readonly=False)
    uids = tuple(sorted(client.search(["ALL"])))
    if uids:
        client.add_flags(uid_ranges(uids), [DELETED], silent=True)
        _expunge(client, uids)
    return uids


def create_folder(client: IMAPClient, name: str) -> None:
    """Create the folder `name` (full name, decoded) and subscribe to it, so
    that Thunderbird shows it too. Raises FolderExists if it exists."""
    try:
        client.create_folder(name)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        if "ALREADYEXISTS" in str(exc).upper():
            raise FolderExists(f"folder {name!r} already exists") from exc
        raise ServerRefused(f"the server refused to create {name!r}: {exc}") from exc
    client.subscribe_folder(name)


def delete_folder(client: IMAPClient, name: str) -> None:
    """Delete the folder `name` and drop its subscription.

    Dovecot disconnects every session that has the folder selected, at that
    session's next command ("Selected mailbox was deleted, have to
    disconnect"), this one included: so this one leaves it first, and the
    caller should check its other idle connections afterwards.
    """
    leave_folder(client)
    try:
        client.delete_folder(name)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        if "NONEXISTENT" in str(exc).upper():
            raise FolderNotFound(f"no folder {name!r}") from exc
        raise ServerRefused(f"the server refused to delete {name!r}: {exc}") from exc
    try:
        client.unsubscribe_folder(name)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error:
        log.info("folder %r was deleted but was not subscribed", name)


@contextmanager
def _answers_about(ref: MessageRef, destination: str | None = None) -> Iterator[None]:
    """Turn the server's NO about a message into the app's words.

    A session that has not yet heard of an expunge gets `NO [EXPUNGEISSUED]`
    (RFC 5530) for that message: Dovecot answers so to the loser of two
    simultaneous MOVEs. A missing destination gets `NO [TRYCREATE]`.
    """
    try:
        yield
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        text = str(exc).upper()
        if "EXPUNGEISSUED" in text:
            raise MessageNotFound(
                f"message {ref.uid} of {ref.folder} was expunged meanwhile"
            ) from exc
        if destination is not None and "TRYCREATE" in text:
            raise FolderNotFound(f"no folder {destination!r}") from exc
        raise ServerRefused(f"the server refused a change to {ref}: {exc}") from exc


def _remove_copied_original(client: IMAPClient, ref: MessageRef, uidplus: bool) -> None:
    client.add_flags([ref.uid], [DELETED], silent=True)
    if uidplus:
        client.uid_expunge([ref.uid])
    else:
        _log_once(
            "the IMAP server offers neither MOVE nor UIDPLUS: a moved message stays "
            "in its folder marked \\Deleted until someone expunges"
        )


def _expunge(client: IMAPClient, uids: Sequence[int]) -> None:
    if not uids:
        return
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uid_ranges(uids))
    else:
        _log_once("the IMAP server offers no UIDPLUS: expunging every \\Deleted message")
        client.expunge()


def _take_copyuid(client: IMAPClient) -> dict[int, int]:
    """Source UID → destination UID, from the COPYUID response codes
    (RFC 4315) received since the last call, consumed. imapclient returns
    no response text for UID COPY/MOVE, so they are read from imaplib's
    store of response codes."""
    mapping: dict[int, int] = {}
    for raw in client._imap.untagged_responses.pop("COPYUID", []):
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        parts = text.split()
        if len(parts) == 3:
            mapping.update(zip(parse_uid_set(parts[1]), parse_uid_set(parts[2]), strict=False))
    return mapping


@dataclass(frozen=True)
class _Fingerprint:
    """What every copy of one message shares: Message-ID, internal date, size."""

    message_id: str | None
    internaldate: object
    size: int


def _fingerprint(client: IMAPClient, ref: MessageRef) -> _Fingerprint:
    data = client.fetch([ref.uid], ["ENVELOPE", "INTERNALDATE", "RFC822.SIZE"]).get(ref.uid)
    if data is None:
        raise MessageNotFound(f"no message {ref.uid} in {ref.folder}")
    return _Fingerprint(
        message_id=decode_header_value(data[b"ENVELOPE"].message_id) or None,
        internaldate=data.get(b"INTERNALDATE"),
        size=int(data.get(b"RFC822.SIZE", -1)),
    )


def _lost_race(client: IMAPClient, destination: str, uid: int, original: _Fingerprint) -> bool:
    """Whether `destination` already holds, below our copy `uid`, a copy of
    the same message; if so, take ours out again.

    Two simultaneous moves of one message both copy it (Dovecot 2.3: 9 of
    40 simultaneous pairs). The copy saved later gets the higher UID, and
    its mover, checking after saving, sees the earlier one: exactly one
    copy stays. A copy that was there before counts too, so the message
    ends up once in `destination` either way. Needs UIDPLUS (for `uid`) and
    a Message-ID; without them a race can leave two copies.
    """
    if not original.message_id or uid <= 1:
        return False
    client.select_folder(destination, readonly=False)
    below = client.search(["UID", f"1:{uid - 1}", "HEADER", "Message-ID", original.message_id])
    if not below:
        return False
    fetched = client.fetch(below, ["INTERNALDATE", "RFC822.SIZE"])
    if not any(
        data.get(b"INTERNALDATE") == original.internaldate
        and int(data.get(b"RFC822.SIZE", -1)) == original.size
        for data in fetched.values()
    ):
        return False
    client.add_flags([uid], [DELETED], silent=True)
    client.uid_expunge([uid])
    return True


def _find_by_message_id(client: IMAPClient, folder: str, message_id: str | None) -> int | None:
    if not message_id:
        return None
    client.select_folder(folder, readonly=True)
    found = client.search(["HEADER", "Message-ID", message_id])
    return max(found) if found else None
