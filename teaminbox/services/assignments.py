"""Handing messages to colleagues: assign, reassign, unassign, and the views
"Mine", "Unassigned" and "Assigned to …".

Assigning needs the team right `assign` (and `r`) on the message's folder;
the assignee must be an active colleague who may read that folder. The
assignment is kept in the database and, where the folder takes keywords,
on the message itself as the assignee's keyword (imap/keywords.py), so
that it stays with the mailbox and other mail clients see and change it.

The views read the header cache joined with the assignments, limited to the
folders the viewer may see and read.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.domain import MessageHeader, MessageRef, StoredFlags
from teaminbox.events import Event
from teaminbox.imap import keywords, mailstore
from teaminbox.imap.errors import MessageNotFound
from teaminbox.imap.pool import ConnectionPool
from teaminbox.rights import Right
from teaminbox.services import feed
from teaminbox.services.assignment_changes import record_change
from teaminbox.services.rights import RightsView
from teaminbox.services.sync import sync_folders
from teaminbox.store import assignments as store
from teaminbox.store import cache
from teaminbox.store.models import Assignment, User
from teaminbox.store.users import find_user, get_user

MAX_NOTE = 200
# Rows a view shows at most: the newest.
VIEW_LIMIT = 200


class Refusal(StrEnum):
    """Why an assignment by someone who holds `assign` still cannot be made."""

    NOT_A_COLLEAGUE = "not-a-colleague"
    BAD_NOTE = "bad-note"


class AssignmentRefused(Exception):
    """Nothing was changed."""

    def __init__(self, refusal: Refusal, detail: str = "") -> None:
        super().__init__(f"{refusal.value}: {detail}" if detail else refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class Assigned:
    """The outcome: who has the message now (None: nobody), and whether the
    mailbox holds it too (the folder takes keywords)."""

    ref: MessageRef
    assignee: str | None
    on_server: bool
    events: tuple[Event, ...] = field(default=())


def assign(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    ref: MessageRef,
    assignee: str | None,
    note: str = "",
) -> Assigned:
    """Assign the message to `assignee` (a username; None or "" unassigns),
    with an optional short note. Needs `r` and `assign` on its folder."""
    rights.require(ref.folder, Right.READ)
    rights.require(ref.folder, Right.ASSIGN)
    note = _clean_note(note) if assignee else ""
    user = _colleague(session, ref.folder, assignee) if assignee else None
    with pool.borrow() as client:
        header = mailstore.fetch_header(client, ref)
        if header is None:
            raise MessageNotFound(f"no message {ref.uid} in {ref.folder}")
        on_server = keywords.keywords_allowed(client, ref.folder)
        stored = StoredFlags(header.flags)
        if on_server:
            keyword = keywords.assignee_keyword(user.username) if user else None
            stored = keywords.set_assignee_keyword(client, ref, keyword)
    feed.cache_own_flags(session, ref, stored)  # the keyword's echo is no news
    event = record_change(
        session,
        actor,
        folder=ref.folder,
        uid=ref.uid,
        message_id=header.message_id,
        flags=stored.flags,
        assignee=user,
        note=note,
        on_server=on_server,
    )
    events = feed.record_own(session, [event]) if event else []
    return Assigned(ref, user.username if user else None, on_server, tuple(events))


@dataclass(frozen=True)
class Shown:
    """An assignment as pages show it."""

    username: str
    name: str
    note: str
    by: str | None  # display name; None for another mail client


def shown(session: Session, folder: str, header: MessageHeader) -> Shown | None:
    """Who `header` (a message of `folder`) is assigned to, None for nobody."""
    return shown_on_page(session, folder, [header]).get(header.uid)


def shown_on_page(
    session: Session, folder: str, headers: Sequence[MessageHeader]
) -> dict[int, Shown]:
    """`shown` for every listed message of a page, in one query: UID → Shown."""
    rows = store.find_each(session, folder, [(h.message_id, h.uid) for h in headers])
    found = {}
    for header in headers:
        row = rows.get(store.assignment_key(header.message_id, folder, header.uid))
        shown_row = _shown(session, row) if row else None
        if shown_row is not None:
            found[header.uid] = shown_row
    return found


def colleagues(session: Session, folder: str | None) -> list[User]:
    """Who a message of `folder` may be assigned to: the active users who
    may read it (every active user when `folder` is None), by name."""
    users = session.scalars(select(User).where(User.active.is_(True)))
    return sorted(
        (u for u in users if folder is None or _reads(RightsView.load(session, u), folder)),
        key=lambda u: u.name.casefold(),
    )


class Who(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"


@dataclass(frozen=True)
class ViewRow:
    """One message of a view: where it is, its header, its assignment."""

    folder: str
    header: MessageHeader
    assignment: Shown | None


def view(
    session: Session,
    viewer: User,
    rights: RightsView,
    who: Who,
    *,
    folder: str | None = None,
    assignee: str | None = None,
) -> list[ViewRow]:
    """The newest messages of one view, in `folder` or across every folder
    the viewer may see and read (as far as the header cache knows them).
    With Who.ASSIGNED, `assignee` narrows it to one colleague's."""
    if folder is not None:
        rights.require(folder, Right.READ)
        folders = [folder]
    else:
        folders = [f for f in cache.cached_folders(session) if _reads(rights, f)]
    assignee_id: int | None = None
    if who is Who.MINE:
        assignee_id = viewer.id
    elif who is Who.ASSIGNED and assignee:
        named = find_user(session, assignee)
        if named is None:
            return []
        assignee_id = named.id
    rows = store.listed(
        session,
        folders,
        assigned=who is not Who.UNASSIGNED,
        assignee_id=assignee_id,
        limit=VIEW_LIMIT,
    )
    return [
        ViewRow(
            r.folder,
            cache.cached_header(r.message),
            _shown(session, r.assignment) if r.assignment else None,
        )
        for r in rows
    ]


def refresh_cache(pool: ConnectionPool, session: Session, folders: list[str]) -> list[Event]:
    """Sync `folders` into the header cache now, for a process without the
    watcher (LIVE_UPDATES off); the events to publish after the commit."""
    return feed.record(session, sync_folders(pool, session, folders))


def readable_folders(pool: ConnectionPool, rights: RightsView) -> list[str]:
    """The selectable folders the person may see and read."""
    with pool.borrow() as client:
        folders = mailstore.list_folders(client)
    return [f.name for f in folders if f.selectable and _reads(rights, f.name)]


def _colleague(session: Session, folder: str, username: str) -> User:
    user = find_user(session, username)
    if user is None or not user.active or not _reads(RightsView.load(session, user), folder):
        raise AssignmentRefused(Refusal.NOT_A_COLLEAGUE, username)
    return user


def _clean_note(note: str) -> str:
    """One line of at most MAX_NOTE characters; control characters refused."""
    note = unicodedata.normalize("NFC", note.strip())
    if len(note) > MAX_NOTE or any(unicodedata.category(c) == "Cc" for c in note):
        raise AssignmentRefused(Refusal.BAD_NOTE)
    return note


def _reads(rights: RightsView, folder: str) -> bool:
    return rights.sees(folder) and rights.can(folder, Right.READ)


def _shown(session: Session, row: Assignment) -> Shown | None:
    user = get_user(session, row.assignee_id)
    if user is None:
        return None
    by = get_user(session, row.assigned_by_id) if row.assigned_by_id else None
    return Shown(user.username, user.name, row.note, by.name if by else None)
