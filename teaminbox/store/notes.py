"""Queries on internal notes, their mentions, and a message's rows of the
activity log. They take the caller's session and never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from teaminbox.events import Event, Kind
from teaminbox.store.models import AuditRow, Note, NoteMention, User


def add(
    session: Session,
    author: User,
    *,
    message_id: str,
    folder: str,
    uid: int,
    body: str,
    mentioned: Iterable[User],
) -> Note:
    """Store a note and its mentions (flushed: the note has its id)."""
    note = Note(
        author_id=author.id,
        author_name=author.username,
        message_id=message_id,
        folder=folder,
        uid=uid,
        body=body,
    )
    session.add(note)
    session.flush()
    session.add_all(NoteMention(note_id=note.id, user_id=u.id, seen=False) for u in mentioned)
    return note


def of_message(session: Session, message_id: str, folder: str, uid: int) -> list[Note]:
    """The notes of one message, oldest first: by Message-ID, or by where it
    is for a message without one."""
    query = select(Note).order_by(Note.id)
    if message_id:
        query = query.where(Note.message_id == message_id)
    else:
        query = query.where(Note.message_id == "", Note.folder == folder, Note.uid == uid)
    return list(session.scalars(query))


def follow_moves(session: Session, events: Iterable[Event]) -> None:
    """The notes of messages that moved now say where they went."""
    for event in events:
        to_folder, to_uid = event.detail.get("to_folder"), event.detail.get("to_uid")
        if event.kind is Kind.MOVED and event.uid is not None and to_folder and to_uid:
            session.execute(
                update(Note)
                .where(Note.folder == event.folder, Note.uid == event.uid)
                .values(folder=str(to_folder), uid=int(to_uid))
            )


def mentions_of(session: Session, user_id: int, limit: int) -> list[tuple[Note, bool]]:
    """The notes that mention a person, newest first, each with whether
    they have seen it."""
    rows = session.execute(
        select(Note, NoteMention.seen)
        .join(NoteMention, NoteMention.note_id == Note.id)
        .where(NoteMention.user_id == user_id)
        .order_by(Note.id.desc())
        .limit(limit)
    )
    return [(note, bool(seen)) for note, seen in rows]


def unseen_mentions(session: Session, user_id: int) -> list[Note]:
    """The notes that mention a person who has not opened their message since."""
    return list(
        session.scalars(
            select(Note)
            .join(NoteMention, NoteMention.note_id == Note.id)
            .where(NoteMention.user_id == user_id, NoteMention.seen.is_(False))
            .order_by(Note.id.desc())
        )
    )


def unseen_among(session: Session, user_id: int, note_ids: Sequence[int]) -> set[int]:
    """Which of these notes mention the person unseen."""
    if not note_ids:
        return set()
    return set(
        session.scalars(
            select(NoteMention.note_id).where(
                NoteMention.user_id == user_id,
                NoteMention.note_id.in_(list(note_ids)),
                NoteMention.seen.is_(False),
            )
        )
    )


def mark_seen(session: Session, user_id: int, note_ids: Sequence[int]) -> int:
    """Mark a person's mentions in these notes seen; how many were not."""
    if not note_ids:
        return 0
    result = session.execute(
        update(NoteMention)
        .where(
            NoteMention.user_id == user_id,
            NoteMention.note_id.in_(list(note_ids)),
            NoteMention.seen.is_(False),
        )
        .values(seen=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def audit_of_message(session: Session, message_id: str, folder: str, uid: int) -> list[AuditRow]:
    """The log rows about one message, oldest first: those with its
    Message-ID, and those recorded where it is now without one (before the
    header cache knew it). Without a Message-ID (none, or the message is
    gone): the rows recorded where it is, or was."""
    here = (AuditRow.folder == folder) & (AuditRow.uid == uid)
    condition = (
        or_(AuditRow.message_id == message_id, here & (AuditRow.message_id == ""))
        if message_id
        else here
    )
    return list(session.scalars(select(AuditRow).where(condition).order_by(AuditRow.id)))


def mentioned_names(session: Session, note_ids: Sequence[int]) -> dict[int, set[str]]:
    """The usernames each of these notes mentions."""
    if not note_ids:
        return {}
    rows = session.execute(
        select(NoteMention.note_id, User.username)
        .join(User, User.id == NoteMention.user_id)
        .where(NoteMention.note_id.in_(list(note_ids)))
    )
    names: dict[int, set[str]] = {}
    for note_id, username in rows:
        names.setdefault(note_id, set()).add(username)
    return names


def display_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """username → the name to show, for the usernames that still exist."""
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    rows = session.execute(
        select(User.username, User.display_name).where(User.username.in_(wanted))
    )
    return {username: display or username for username, display in rows}


def active_users_named(session: Session, usernames: Iterable[str]) -> list[User]:
    wanted = sorted(set(usernames))
    if not wanted:
        return []
    return list(
        session.scalars(select(User).where(User.username.in_(wanted), User.active.is_(True)))
    )
