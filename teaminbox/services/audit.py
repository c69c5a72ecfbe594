"""The activity log: writing who did what, in the same transaction as the
change, and reading it back as one person may see it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from teaminbox.store.grants import audit_rows
from teaminbox.store.models import AuditRow, User

# Rows read from the database at a time while looking for visible ones.
_BATCH = 500

# The actions that change who may do what: an open event stream re-reads
# its person's rights when the last of these changes.
ACCOUNT_ACTIONS = (
    "user.create",
    "user.delete",
    "user.disable",
    "user.enable",
    "user.password",
    "user.role",
    "rights.set",
    "rights.remove",
)


def record(
    session: Session,
    actor: User | None,
    action: str,
    detail: str = "",
    *,
    folder: str | None = None,
    uid: int | None = None,
) -> AuditRow:
    """Add one line to the log; `actor` None means another mail client or an
    operator at the command line."""
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


@dataclass(frozen=True)
class ActivityPage:
    """Up to `limit` rows, newest first; `older` continues after the last."""

    rows: tuple[AuditRow, ...]
    older: int | None


def visible_activity(
    session: Session,
    may_see: Callable[[AuditRow], bool],
    *,
    action: str | None = None,
    actor_name: str | None = None,
    before_id: int | None = None,
    limit: int = 200,
) -> ActivityPage:
    """The newest rows `may_see` lets through, older than `before_id`.

    Rows are filtered here rather than in SQL because rights on folders
    follow patterns that SQL cannot evaluate; reading goes on in batches
    until the page is full or the log ends.
    """
    shown: list[AuditRow] = []
    cursor = before_id
    while True:
        batch = audit_rows(
            session, before_id=cursor, action=action, actor_name=actor_name, limit=_BATCH
        )
        for row in batch:
            if may_see(row):
                shown.append(row)
                if len(shown) == limit:
                    return ActivityPage(tuple(shown), older=row.id)
        if len(batch) < _BATCH:
            return ActivityPage(tuple(shown), older=None)
        cursor = batch[-1].id


def account_stamp(session: Session) -> int:
    """The id of the latest change to accounts or rights (0 if none): a
    cheap, indexed question asked before each event a stream sends."""
    stamp = session.scalar(
        select(func.max(AuditRow.id)).where(AuditRow.action.in_(ACCOUNT_ACTIONS))
    )
    return int(stamp or 0)
