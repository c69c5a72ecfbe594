"""Where messages in the Trash came from (for undo), kept until they leave it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from teaminbox.store.models import Deletion, User


def remember(
    session: Session, actor: User, trash: str, trash_uid: int, source: str, message_id: str
) -> None:
    """Note that `actor` moved a message from `source` to `trash_uid` in the Trash."""
    forget(session, trash, [trash_uid])  # a UID left over from an older Trash
    session.add(
        Deletion(
            actor_id=actor.id,
            actor_name=actor.username,
            trash=trash,
            trash_uid=trash_uid,
            source=source,
            message_id=message_id,
        )
    )


def find(session: Session, trash: str, trash_uid: int) -> Deletion | None:
    return session.scalar(
        select(Deletion).where(Deletion.trash == trash, Deletion.trash_uid == trash_uid)
    )


def forget(session: Session, trash: str, trash_uids: Iterable[int]) -> None:
    """The messages left the Trash (restored, moved, expunged)."""
    uids = list(trash_uids)
    if uids:
        session.execute(
            delete(Deletion).where(Deletion.trash == trash, Deletion.trash_uid.in_(uids))
        )
