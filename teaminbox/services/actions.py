"""Acting on the shared mailbox's messages: flags, moves, deletes, expunges.

One function per use case. Each checks the person's rights first, makes the
change on the IMAP server (a real change: Thunderbird sees it), then adds the
audit row to the caller's session; the caller commits, then publishes the
returned events.

The right each action needs (DESIGN.md, "Rights"):

| action | right |
|---|---|
| mark read / unread | `s` on the folder |
| flag / unflag, mark answered / not answered | `w` on the folder |
| move | `t` on the source and `i` on the destination |
| delete (move to Trash; in Trash, mark `\\Deleted`) | `t` on the folder, nothing on Trash |
| expunge, empty the Trash | `e` on that folder |

Creating and deleting folders is folders.py.

A folder the person may not look up (`l`) raises FolderNotFound, the same
as a folder that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.orm import Session

from teaminbox.domain import (
    ANSWERED,
    DELETED,
    FLAGGED,
    MessageRef,
    same_folder,
    trash_folder,
)
from teaminbox.events import Event, Kind
from teaminbox.imap import changes, mailstore
from teaminbox.imap.pool import ConnectionPool
from teaminbox.rights import Right
from teaminbox.services import audit, feed, reading
from teaminbox.services.rights import RightsView
from teaminbox.store import deletions
from teaminbox.store.models import User


class Refusal(StrEnum):
    """Why an allowed person's action still cannot be done."""

    SAME_FOLDER = "same-folder"
    NO_TRASH = "no-trash"
    NOT_TRASH = "not-trash"
    PROTECTED_FOLDER = "protected-folder"
    FOLDER_NOT_EMPTY = "folder-not-empty"
    HAS_SUBFOLDERS = "has-subfolders"
    BAD_FOLDER_NAME = "bad-folder-name"
    NOT_CONFIRMED = "not-confirmed"
    NOT_RESTORABLE = "not-restorable"


class ActionRefused(Exception):
    """The action makes no sense here; nothing was changed."""

    def __init__(self, refusal: Refusal, detail: str = "") -> None:
        super().__init__(f"{refusal.value}: {detail}" if detail else refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class FlagsChanged:
    ref: MessageRef
    flags: tuple[str, ...]
    events: tuple[Event, ...] = field(default=())


@dataclass(frozen=True)
class Moved:
    """Where the message went; `uid` is its UID there, None if the server
    could not say (no UIDPLUS and no Message-ID)."""

    source: MessageRef
    destination: str
    uid: int | None
    events: tuple[Event, ...] = field(default=())


@dataclass(frozen=True)
class Deleted:
    """A message moved to `trash`, or, already in Trash, marked `\\Deleted`
    (`marked` True) until someone expunges it."""

    ref: MessageRef
    trash: str
    uid: int | None
    marked: bool
    events: tuple[Event, ...] = field(default=())


@dataclass(frozen=True)
class Expunged:
    folder: str
    uids: tuple[int, ...]
    events: tuple[Event, ...] = field(default=())


def set_flagged(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    ref: MessageRef,
    flagged: bool,
) -> FlagsChanged:
    """Add or remove `\\Flagged`. Needs `w`."""
    action = "message.flag" if flagged else "message.unflag"
    return _set_flag(pool, session, actor, rights, ref, FLAGGED, flagged, action)


def set_answered(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    ref: MessageRef,
    answered: bool,
) -> FlagsChanged:
    """Add or remove `\\Answered`. Needs `w`."""
    action = "message.answered" if answered else "message.unanswered"
    return _set_flag(pool, session, actor, rights, ref, ANSWERED, answered, action)


def set_seen(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    ref: MessageRef,
    seen: bool,
) -> FlagsChanged:
    """Mark read or unread. Needs `s`. No audit row: read state is each
    glance at the mailbox, not a decision anyone has to answer for."""
    rights.require(ref.folder, Right.SEEN)
    stored = reading.mark_seen(pool, ref, seen)
    events = feed.record_own_flags(session, ref, stored, actor.username)
    return FlagsChanged(ref, stored.flags, events=tuple(events))


def move(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    ref: MessageRef,
    destination: str,
) -> Moved:
    """Move one message to another folder. Needs `t` on the source and `i`
    on the destination; a destination hidden from the person is refused as
    one that does not exist."""
    rights.require(ref.folder, Right.DELETE)
    rights.require(destination, Right.INSERT)
    if same_folder(ref.folder, destination):
        raise ActionRefused(Refusal.SAME_FOLDER, destination)
    with pool.borrow() as client:
        uid = changes.move_message(client, ref, destination)
    audit.record(
        session,
        actor,
        "message.move",
        moved_to(destination, uid),
        folder=ref.folder,
        uid=ref.uid,
        to_folder=destination,
    )
    events = feed.record_own(session, [moved_event(actor, ref, destination, uid)])
    return Moved(ref, destination, uid, events=tuple(events))


def delete(
    pool: ConnectionPool, session: Session, actor: User, rights: RightsView, ref: MessageRef
) -> Deleted:
    """Move one message to the Trash (the folder marked `\\Trash`, else the
    one named Trash), which needs `t` on its folder and nothing on Trash. A
    message already in the Trash is marked `\\Deleted` instead: it goes only
    when someone with `e` expunges."""
    rights.require(ref.folder, Right.DELETE)
    trash = trash_folder(reading.folder_list(pool))
    if trash is None:
        raise ActionRefused(Refusal.NO_TRASH)
    if same_folder(trash.name, ref.folder):
        with pool.borrow() as client:
            stored = changes.set_flag(client, ref, DELETED, True)
        audit.record(
            session, actor, "message.delete", "marked \\Deleted", folder=ref.folder, uid=ref.uid
        )
        events = feed.record_own_flags(session, ref, stored, actor.username)
        return Deleted(ref, trash.name, None, marked=True, events=tuple(events))
    with pool.borrow() as client:
        header = mailstore.fetch_header(client, ref)  # for undo, and the history
        uid = changes.move_message(client, ref, trash.name)
    message_id = header.message_id if header else ""
    if uid is not None:
        deletions.remember(session, actor, trash.name, uid, ref.folder, message_id)
    audit.record(
        session,
        actor,
        "message.delete",
        moved_to(trash.name, uid),
        folder=ref.folder,
        uid=ref.uid,
        message_id=message_id or None,
        to_folder=trash.name,
    )
    events = feed.record_own(session, [moved_event(actor, ref, trash.name, uid)])
    return Deleted(ref, trash.name, uid, marked=False, events=tuple(events))


def expunge(
    pool: ConnectionPool, session: Session, actor: User, rights: RightsView, folder: str
) -> Expunged:
    """Remove for good the messages of `folder` marked `\\Deleted`. Needs `e`."""
    rights.require(folder, Right.EXPUNGE)
    with pool.borrow() as client:
        uids = changes.expunge_deleted(client, folder)
    return _expunged(session, actor, "folder.expunge", folder, uids)


def empty_trash(
    pool: ConnectionPool, session: Session, actor: User, rights: RightsView, folder: str
) -> Expunged:
    """Remove for good every message of the Trash. Needs `e` on it; any other
    folder is refused."""
    rights.require(folder, Right.EXPUNGE)
    trash = trash_folder(reading.folder_list(pool))
    if trash is None or not same_folder(trash.name, folder):
        raise ActionRefused(Refusal.NOT_TRASH, folder)
    with pool.borrow() as client:
        uids = changes.expunge_all(client, folder)
    return _expunged(session, actor, "folder.empty", folder, uids)


def _set_flag(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    ref: MessageRef,
    flag: str,
    present: bool,
    action: str,
) -> FlagsChanged:
    rights.require(ref.folder, Right.WRITE)
    with pool.borrow() as client:
        stored = changes.set_flag(client, ref, flag, present)
    audit.record(session, actor, action, flag, folder=ref.folder, uid=ref.uid)
    events = feed.record_own_flags(session, ref, stored, actor.username)
    return FlagsChanged(ref, stored.flags, events=tuple(events))


def _expunged(
    session: Session, actor: User, action: str, folder: str, uids: tuple[int, ...]
) -> Expunged:
    audit.record(session, actor, action, f"{len(uids)} messages", folder=folder)
    deletions.forget(session, folder, uids)
    gone = [Event(Kind.EXPUNGED, folder, uid, actor=actor.username) for uid in uids]
    return Expunged(folder, uids, events=tuple(feed.record_own(session, gone)))


def moved_event(actor: User, ref: MessageRef, destination: str, uid: int | None) -> Event:
    detail = {"to_folder": destination, "to_uid": uid}
    return Event(Kind.MOVED, ref.folder, ref.uid, actor=actor.username, detail=detail)


def moved_to(destination: str, uid: int | None) -> str:
    return f"→ {destination}" + (f" (UID {uid})" if uid is not None else "")
