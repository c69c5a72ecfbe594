"""Writing the activity log: who did what, in the same transaction as the change."""

from __future__ import annotations

from sqlalchemy.orm import Session

from teaminbox.store.models import AuditRow, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    detail: str = "",
    *,
    folder: str | None = None,
    uid: int | None = None,
) -> AuditRow:
    """Add one line to the log; `actor` None means another mail client."""
    row = AuditRow(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "",
        action=action,
        folder=folder,
        uid=uid,
        detail=detail,
    )
    session.add(row)
    return row
