"""Acting on the shared mailbox: flags, moves, deletes, expunges and folders.

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
| create a subfolder | `k` on the parent |
| create a top-level folder | `k` on the root, which only a `*` grant gives |
| delete a folder | `x` on it |

A folder the person may not look up (`l`) raises FolderNotFound, the same
as a folder that does not exist.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.orm import Session

from teaminbox.domain import (
    ANSWERED,
    DELETED,
    FLAGGED,
    Folder,
    MessageRef,
    same_folder,
    trash_folder,
)
from teaminbox.events import Event, Kind
from teaminbox.imap import changes, mailstore
from teaminbox.imap.errors import FolderNotFound, ServerRefused
from teaminbox.imap.pool import ConnectionPool
from teaminbox.rights import Right
from teaminbox.services import audit, feed, reading
from teaminbox.services.rights import Forbidden, RightsView
from teaminbox.store import cache, deletions
from teaminbox.store.models import User

# Rights for top-level folders are asked of the mailbox's root, the empty
# name, which only the pattern `*` matches.
ROOT = ""
# Longer names are refused: nobody needs them, and some servers cap the
# whole hierarchical name at a few hundred bytes.
MAX_FOLDER_NAME = 100


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


@dataclass(frozen=True)
class FolderChanged:
    """A folder created or deleted (its full name)."""

    name: str


@dataclass(frozen=True)
class FolderOptions:
    """What the pages offer in a folder: where its messages may move to (the
    person's folders with `i`), whether it is the Trash, whether it may be
    deleted at all (never INBOX, a special-use folder or the Trash)."""

    destinations: tuple[Folder, ...]
    is_trash: bool
    deletable: bool


def folder_options(pool: ConnectionPool, rights: RightsView, folder: str) -> FolderOptions:
    folders = _folders(pool)
    destinations = tuple(
        sorted(
            (
                f
                for f in folders
                if f.selectable
                and not same_folder(f.name, folder)
                and rights.sees(f.name)
                and rights.can(f.name, Right.INSERT)
            ),
            key=lambda f: (f.name.upper() != "INBOX", f.name.casefold()),
        )
    )
    trash = trash_folder(folders)
    current = _find(folders, folder)
    return FolderOptions(
        destinations=destinations,
        is_trash=trash is not None and same_folder(trash.name, folder),
        deletable=current is not None and not _protected(current, trash),
    )


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
    trash = trash_folder(_folders(pool))
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
    trash = trash_folder(_folders(pool))
    if trash is None or not same_folder(trash.name, folder):
        raise ActionRefused(Refusal.NOT_TRASH, folder)
    with pool.borrow() as client:
        uids = changes.expunge_all(client, folder)
    return _expunged(session, actor, "folder.empty", folder, uids)


def create_folder(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    parent: str | None,
    name: str,
) -> FolderChanged:
    """Create the folder `name` inside `parent` (None: at the top level) and
    subscribe to it. Needs `k` on the parent, or on the root for a top-level
    folder. `name` is one level: the hierarchy separator is refused in it."""
    if parent is None:
        if Right.CREATE not in rights.on(ROOT):
            raise Forbidden(ROOT, Right.CREATE)
    else:
        rights.require(parent, Right.CREATE)
    name = unicodedata.normalize("NFC", name.strip())
    folders = _folders(pool)
    delimiter = next((f.delimiter for f in folders if f.delimiter), "/")
    _check_name(name, delimiter)
    if parent is None:
        full = name
    else:
        container = _find(folders, parent)
        if container is None:
            raise FolderNotFound(f"no folder {parent!r}")
        full = f"{container.name}{container.delimiter or delimiter}{name}"
    if _find(folders, full) is not None and not rights.sees(full):
        # Saying "it exists" would reveal a folder this person may not know of.
        raise ServerRefused(f"{full!r} exists, hidden from {actor.username}")
    with pool.borrow() as client:
        changes.create_folder(client, full)
    audit.record(session, actor, "folder.create", full, folder=full)
    return FolderChanged(full)


def delete_folder(
    pool: ConnectionPool, session: Session, actor: User, rights: RightsView, folder: str
) -> FolderChanged:
    """Delete an empty folder that has no subfolders. Needs `x` on it. INBOX,
    special-use folders and the Trash are never deleted."""
    rights.require(folder, Right.DELETE_FOLDER)
    folders = _folders(pool)
    target = _find(folders, folder)
    if target is None:
        raise FolderNotFound(f"no folder {folder!r}")
    if _protected(target, trash_folder(folders)):
        raise ActionRefused(Refusal.PROTECTED_FOLDER, folder)
    prefix = target.name + target.delimiter
    if target.delimiter and any(f.name.startswith(prefix) for f in folders):
        raise ActionRefused(Refusal.HAS_SUBFOLDERS, folder)
    with pool.borrow() as client:
        held = mailstore.count_messages(client, [target.name]) if target.selectable else {}
        empty = target.name not in held or held[target.name].messages == 0
        if empty:
            changes.delete_folder(client, target.name)
    if not empty:
        raise ActionRefused(Refusal.FOLDER_NOT_EMPTY, folder)
    # Dovecot drops the other sessions that had it selected; weed them out now.
    pool.check_idle()
    cache.forget_folders(session, [target.name])  # pages no longer read it there
    audit.record(session, actor, "folder.delete", target.name, folder=target.name)
    return FolderChanged(target.name)


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


def _protected(folder: Folder, trash: Folder | None) -> bool:
    return (
        folder.name.upper() == "INBOX"
        or folder.special_use is not None
        or (trash is not None and same_folder(trash.name, folder.name))
    )


def _check_name(name: str, delimiter: str) -> None:
    """A folder name the server will take and that lists cleanly: not empty,
    not too long, no hierarchy separator, no LIST wildcard, no control
    character."""
    if (
        not name
        or len(name) > MAX_FOLDER_NAME
        or (delimiter and delimiter in name)
        or any(c in name for c in "*%")
        or any(unicodedata.category(c).startswith("C") for c in name)
    ):
        raise ActionRefused(Refusal.BAD_FOLDER_NAME, name)


def _find(folders: list[Folder], name: str | None) -> Folder | None:
    if name is None:
        return None
    return next((f for f in folders if same_folder(f.name, name)), None)


def _folders(pool: ConnectionPool) -> list[Folder]:
    with pool.borrow() as client:
        return mailstore.list_folders(client)


def moved_to(destination: str, uid: int | None) -> str:
    return f"→ {destination}" + (f" (UID {uid})" if uid is not None else "")
