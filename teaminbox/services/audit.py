"""The activity log: writing who did what, in the same transaction as the
change, and reading it back as one person may see it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from teaminbox.store import cache
from teaminbox.store.db import Database
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
    message_id: str | None = None,
    to_folder: str | None = None,
) -> AuditRow:
    """Add one line to the log; `actor` None means another mail client or an
    operator at the command line.

    A row about a message carries its Message-ID, so that the message's
    history follows it through moves: given, or else as the header cache
    knows it ("" when it does not). `to_folder` is where a move sent it.
    """
    if message_id is None and folder is not None and uid is not None:
        message_id = cache.message_id_at(session, folder, uid)
    row = AuditRow(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "",
        action=action,
        folder=folder,
        uid=uid,
        detail=detail,
        message_id=message_id or "",
        to_folder=to_folder,
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
    cheap, indexed question (see AccountStamp for how often it is asked)."""
    stamp = session.scalar(
        select(func.max(AuditRow.id)).where(AuditRow.action.in_(ACCOUNT_ACTIONS))
    )
    return int(stamp or 0)


class AccountStamp:
    """`account_stamp`, shared by all the event streams of a process.

    A stream must judge each event by rights at least as new as the event,
    so it needs a stamp read after the event was published. One read made
    after that moment serves every stream, whichever asks first: one
    query per event per process, not one per stream and event.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        # (stamp, time.monotonic_ns() just before the query that read it)
        self._latest: tuple[int, int] = (0, -1)

    def read_after(self, moment_ns: int) -> int:
        """The stamp as read by a query begun after `moment_ns`
        (a `time.monotonic_ns()` value): whatever was committed before that
        moment is in it.

        May wait for another caller's read: call it holding no database
        connection, or a full pool could keep that read waiting."""
        stamp, began = self._latest
        if began > moment_ns:
            return stamp
        with self._lock:
            stamp, began = self._latest
            if began > moment_ns:
                return stamp  # read by another stream while this one waited
            began = time.monotonic_ns()
            with self._database.session() as session:
                stamp = account_stamp(session)
            self._latest = (stamp, began)
            return stamp
