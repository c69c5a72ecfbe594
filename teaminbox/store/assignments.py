"""Queries on assignments, and on the header cache joined with them.

They take the caller's session and never commit. A message is found by its
Message-ID where it has one (wherever it went since), else by its folder and
UID.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from teaminbox.store.models import Assignment, CachedMessage, FolderState, User


def assignment_key(message_id: str, folder: str, uid: int) -> str:
    """What identifies a message across moves: its Message-ID, else where it is."""
    return f"mid:{message_id}" if message_id else f"loc:{uid}:{folder}"


def find(session: Session, message_id: str, folder: str, uid: int) -> Assignment | None:
    key = assignment_key(message_id, folder, uid)
    return session.scalar(select(Assignment).where(Assignment.key == key))


def find_each(
    session: Session, folder: str, messages: Sequence[tuple[str, int]]
) -> dict[str, Assignment]:
    """`find` for many (Message-ID, UID) of `folder` in one query, by key."""
    keys = {assignment_key(message_id, folder, uid) for message_id, uid in messages}
    if not keys:
        return {}
    rows = session.scalars(select(Assignment).where(Assignment.key.in_(sorted(keys))))
    return {row.key: row for row in rows}


def at(session: Session, folder: str, uid: int) -> Assignment | None:
    """The assignment last seen at this folder and UID."""
    return session.scalar(
        select(Assignment).where(Assignment.folder == folder, Assignment.uid == uid)
    )


def written_at(session: Session, folders: set[str]) -> set[tuple[str, int]]:
    """Where in `folders` a message carries its assignee's keyword."""
    if not folders:
        return set()
    rows = session.execute(
        select(Assignment.folder, Assignment.uid).where(
            Assignment.folder.in_(sorted(folders)), Assignment.on_server.is_(True)
        )
    )
    return {(folder, uid) for folder, uid in rows}


def relocate(session: Session, folder: str, uid: int, to_folder: str, to_uid: int) -> None:
    """The message at `folder`/`uid` is now at `to_folder`/`to_uid`."""
    row = at(session, folder, uid)
    if row is None:
        return
    row.folder, row.uid = to_folder, to_uid
    row.key = assignment_key(row.message_id, to_folder, to_uid)


def cached_message_id(session: Session, folder: str, uid: int) -> str | None:
    """The Message-ID the header cache holds for a message, None if it holds
    no such message ("" for a message without one)."""
    found: str | None = session.scalar(
        select(CachedMessage.message_id)
        .join(FolderState, CachedMessage.folder_id == FolderState.id)
        .where(FolderState.name == folder, CachedMessage.uid == uid)
    )
    return found


@dataclass(frozen=True)
class Listed:
    """One cached message of a view, with its assignment if any."""

    folder: str
    message: CachedMessage
    assignment: Assignment | None
    assignee: User | None


def listed(
    session: Session,
    folders: Sequence[str],
    *,
    assigned: bool,
    assignee_id: int | None = None,
    limit: int = 200,
) -> list[Listed]:
    """The newest cached messages of `folders`: the assigned ones (to
    `assignee_id` only, when given) or, with `assigned` False, the others."""
    if not folders:
        return []
    assignee = aliased(User)
    # The Message-ID when the message has one: its assignment followed it.
    same_message = or_(
        and_(
            CachedMessage.message_id != "",
            Assignment.message_id == CachedMessage.message_id,
        ),
        and_(
            CachedMessage.message_id == "",
            Assignment.message_id == "",
            Assignment.folder == FolderState.name,
            Assignment.uid == CachedMessage.uid,
        ),
    )
    query = (
        select(FolderState.name, CachedMessage, Assignment, assignee)
        .join(FolderState, CachedMessage.folder_id == FolderState.id)
        .outerjoin(Assignment, same_message)
        .outerjoin(assignee, Assignment.assignee_id == assignee.id)
        .where(FolderState.name.in_(list(folders)))
    )
    if not assigned:
        query = query.where(Assignment.id.is_(None))
    elif assignee_id is not None:
        query = query.where(Assignment.assignee_id == assignee_id)
    else:
        query = query.where(Assignment.id.is_not(None))
    newest = (CachedMessage.date.desc().nulls_last(), CachedMessage.id.desc())
    query = query.order_by(*newest).limit(limit)
    return [Listed(name, message, row, user) for name, message, row, user in session.execute(query)]
