"""Undoing a delete: a message moved to the Trash goes back where it came
from, for as long as it stays in the Trash (until someone empties it).

Who may restore: the person who deleted it (even without rights on the
Trash: deleting needed none), or anyone with `t` on the Trash; either way
with `i` on the folder it goes back to. The message that goes back is the
one that was deleted: its Message-ID is checked first, and a restore is a
real MOVE, so flags, dates and the message itself are exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from teaminbox.domain import MessageRef
from teaminbox.imap import changes, mailstore
from teaminbox.imap.errors import MessageNotFound
from teaminbox.imap.pool import ConnectionPool
from teaminbox.rights import Right
from teaminbox.services import audit, feed
from teaminbox.services.actions import (
    ActionRefused,
    Moved,
    Refusal,
    moved_event,
    moved_to,
)
from teaminbox.services.rights import RightsView
from teaminbox.store import deletions
from teaminbox.store.models import Deletion, User


@dataclass(frozen=True)
class Origin:
    """Where a message in the Trash came from, as the person may know it."""

    source: str | None  # None: a folder hidden from this person
    by: str
    at: datetime
    restorable: bool


def origin(session: Session, actor: User, rights: RightsView, ref: MessageRef) -> Origin | None:
    """Where the Trash message `ref` came from; None if the app did not
    move it there (another mail client did, or it was never deleted)."""
    deletion = deletions.find(session, ref.folder, ref.uid)
    if deletion is None:
        return None
    seen = rights.sees(deletion.source)
    return Origin(
        source=deletion.source if seen else None,
        by=deletion.actor_name,
        at=deletion.at,
        restorable=seen and _may_restore(actor, rights, deletion, ref),
    )


def restore(
    pool: ConnectionPool, session: Session, actor: User, rights: RightsView, ref: MessageRef
) -> Moved:
    """Move the Trash message `ref` back to the folder it was deleted from."""
    deletion = deletions.find(session, ref.folder, ref.uid)
    if deletion is None:
        rights.require(ref.folder, Right.DELETE)  # hidden or forbidden Trash: say so first
        raise ActionRefused(Refusal.NOT_RESTORABLE, f"{ref.folder} {ref.uid}")
    for folder, right in _rights_to_restore(actor, deletion, ref):
        rights.require(folder, right)
    with pool.borrow() as client:
        header = mailstore.fetch_header(client, ref)
        if header is None:
            raise MessageNotFound(f"no message {ref.uid} in {ref.folder}: already restored?")
        if header.message_id != deletion.message_id:
            raise ActionRefused(Refusal.NOT_RESTORABLE, "another message under that UID")
        uid = changes.move_message(client, ref, deletion.source)
    deletions.forget(session, ref.folder, [ref.uid])
    audit.record(
        session,
        actor,
        "message.restore",
        moved_to(deletion.source, uid),
        folder=ref.folder,
        uid=ref.uid,
        message_id=header.message_id,
        to_folder=deletion.source,
    )
    events = feed.record_own(session, [moved_event(actor, ref, deletion.source, uid)])
    return Moved(ref, deletion.source, uid, events=tuple(events))


def _may_restore(actor: User, rights: RightsView, deletion: Deletion, ref: MessageRef) -> bool:
    return all(rights.can(f, r) for f, r in _rights_to_restore(actor, deletion, ref))


def _rights_to_restore(actor: User, deletion: Deletion, ref: MessageRef) -> list[tuple[str, Right]]:
    """The rule, for the button and for the restore: `t` on the Trash
    unless the person deleted the message themselves, and `i` on the folder
    it goes back to; in the order a refusal names them."""
    on_trash = [] if deletion.actor_id == actor.id else [(ref.folder, Right.DELETE)]
    return [*on_trash, (deletion.source, Right.INSERT)]
