"""Recording who a message is assigned to, whoever changed it: a manager in
the app, or another mail client that set or removed an assignee keyword.

`follow` is called by the feed with every batch of events before they are
stored (services/feed.py): it keeps assignments on the messages they belong
to when the app or another client moves them, and turns the assignee
keywords other clients changed into `assigned` events with actor None.
Kept apart from services/assignments.py, which publishes through the feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.events import Event, Kind
from teaminbox.imap.keywords import assignee_keyword, assignee_keywords
from teaminbox.services import audit
from teaminbox.store import assignments as store
from teaminbox.store.models import Assignment, User


def record_change(
    session: Session,
    actor: User | None,
    *,
    folder: str,
    uid: int,
    message_id: str,
    flags: Sequence[str],
    assignee: User | None,
    note: str = "",
    on_server: bool,
) -> Event | None:
    """Make `assignee` (None: nobody) the message's assignee, with the audit
    row; the `assigned` event to publish, None when nothing changed."""
    row = store.find(session, message_id, folder, uid) or store.at(session, folder, uid)
    previous = _username(session, row)
    if row is not None:
        row.folder, row.uid = folder, uid
        row.on_server = on_server
    if assignee is None:
        if row is None:
            return None
        session.delete(row)
        audit.record(
            session,
            actor,
            "message.unassign",
            previous or "",
            folder=folder,
            uid=uid,
            message_id=message_id,
        )
    else:
        if row is not None and row.assignee_id == assignee.id and row.note == note:
            return None
        if row is None:
            row = Assignment(key=store.assignment_key(message_id, folder, uid))
            session.add(row)
        row.message_id, row.folder, row.uid = message_id, folder, uid
        row.key = store.assignment_key(message_id, folder, uid)
        row.assignee_id, row.assigned_by_id = assignee.id, actor.id if actor else None
        row.note, row.on_server = note, on_server
        detail = f"→ {assignee.username}" + (f": {note}" if note else "")
        audit.record(
            session, actor, "message.assign", detail, folder=folder, uid=uid, message_id=message_id
        )
    session.flush()
    return Event(
        Kind.ASSIGNED,
        folder,
        uid,
        tuple(flags),
        actor=actor.username if actor else None,
        detail={
            "assignee": assignee.username if assignee else None,
            "previous": previous,
            "note": note if assignee else "",
        },
    )


def follow(session: Session, events: Iterable[Event]) -> list[Event]:
    """Bring assignments in step with `events` (moves, and the keywords of
    what the server reported); the `assigned` events that makes."""
    events = list(events)
    made: list[Event] = []
    users: dict[str, User] | None = None
    # Only these messages can lose their keyword: one query for the batch,
    # not one per flag change (a sync may report thousands).
    written = store.written_at(session, {e.folder for e in events if e.kind is Kind.FLAGS})
    for event in events:
        heard: tuple[str, int, bool] | None = None  # folder, UID, new arrival
        if event.kind is Kind.MOVED:
            to_folder, to_uid = event.detail.get("to_folder"), event.detail.get("to_uid")
            if to_folder and to_uid:
                store.relocate(session, event.folder, event.uid or 0, str(to_folder), int(to_uid))
                if event.actor is None:
                    heard = (str(to_folder), int(to_uid), False)
        elif event.actor is None and event.uid is not None and event.kind in (Kind.FLAGS, Kind.NEW):
            arrival = event.kind is Kind.NEW
            if assignee_keywords(event.flags) or (
                not arrival and (event.folder, event.uid) in written
            ):
                heard = (event.folder, event.uid, arrival)
        if heard is None:
            continue
        users = users or _keyword_owners(session)
        folder, uid, arrival = heard
        found = _heard(
            session,
            users,
            folder,
            uid,
            event.flags,
            arrival=arrival,
            message_id=event.detail.get("message_id"),
        )
        if found is not None:
            made.append(found)
    return made


def _heard(
    session: Session,
    users: dict[str, User],
    folder: str,
    uid: int,
    flags: Sequence[str],
    *,
    arrival: bool,
    message_id: str | None = None,
) -> Event | None:
    """What another client's flags on one message say about its assignee.

    A keyword of a colleague assigns (keeping the current assignee when
    several are set); the absence of the current assignee's keyword
    unassigns, but only on the very message the keyword was written on
    (not on a copy in another folder, nor on a new arrival).
    """
    keywords = [k.casefold() for k in assignee_keywords(flags)]
    here = store.at(session, folder, uid)
    if not keywords and (here is None or not here.on_server or arrival):
        return None
    if message_id is None:
        message_id = store.cached_message_id(session, folder, uid) or ""
    row = here or store.find(session, message_id, folder, uid)
    current = session.get(User, row.assignee_id) if row else None
    named = [users[k] for k in keywords if k in users]
    if current is not None and current in named:
        wanted: User | None = current
    elif named:
        wanted = named[0]
    elif row is not None and row is here and row.on_server:
        wanted = None
    else:
        wanted = current
    if row is not None:
        row.folder, row.uid = folder, uid
        row.key = store.assignment_key(row.message_id, folder, uid)
    if wanted is current:
        if row is not None and wanted is not None:
            row.on_server = True
        return None
    return record_change(
        session,
        None,
        folder=folder,
        uid=uid,
        message_id=message_id,
        flags=flags,
        assignee=wanted,
        on_server=True,
    )


def _keyword_owners(session: Session) -> dict[str, User]:
    """Active users by their keyword, folded: the keywords compare without case."""
    active = session.scalars(select(User).where(User.active.is_(True)))
    return {assignee_keyword(u.username).casefold(): u for u in active}


def _username(session: Session, row: Assignment | None) -> str | None:
    if row is None:
        return None
    user = session.get(User, row.assignee_id)
    return user.username if user else None
