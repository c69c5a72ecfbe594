"""Noticing a mail client that downloads and deletes the INBOX over POP3.

Such a client, at each check, removes what it fetched: several messages at
once, the oldest ones (all of them, or those older than "leave on server
for N days"). The sync hears this as expunges with no actor: the app's own
deletes and moves update the header cache at the server's OK, so the sync
never reports them, and a move by another IMAP client comes as `moved`,
not `expunged`. So: at least MIN_BURST expunges from INBOX in one sync
round, none of them newer than a message still there, open a warning;
further expunges within BURST_WINDOW join it. The warning names what went
(Message-ID and subject, from the cache) so that it can be found again in
that client, and stays until a manager dismisses it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from teaminbox.domain import INBOX
from teaminbox.events import Event, Kind
from teaminbox.store.models import CachedMessage, FolderState, PopWarning, User, as_utc, utcnow

# Fewer expunges than this at once are someone tidying up, not a POP3 client.
MIN_BURST = 3
# Expunges this soon after the last ones belong to the same warning.
BURST_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class RemovedMessage:
    uid: int
    message_id: str
    subject: str


@dataclass(frozen=True)
class RemovalWarning:
    """A warning as the page shows it."""

    id: int
    at: datetime
    last_at: datetime
    folder: str
    removed: tuple[RemovedMessage, ...]


def watch_expunges(
    session: Session, events: Iterable[Event], now: datetime | None = None
) -> PopWarning | None:
    """Open or grow a warning from one sync round's events; the warning
    touched, if any. The caller commits."""
    now = now or utcnow()
    gone = [
        RemovedMessage(e.uid, str(e.detail.get("message_id", "")), str(e.detail.get("subject", "")))
        for e in events
        if e.kind is Kind.EXPUNGED and e.actor is None and e.uid is not None and e.folder == INBOX
    ]
    if not gone:
        return None
    warning = _open_burst(session, now)
    if warning is None:
        if len(gone) < MIN_BURST or not _oldest_first(session, gone):
            return None
        warning = PopWarning(at=now, last_at=now, folder=INBOX, removed="[]")
        session.add(warning)
    known = _removed(warning)
    seen = {m.uid for m in known}
    added = [m for m in sorted(gone, key=lambda m: m.uid) if m.uid not in seen]
    warning.removed = json.dumps(
        [asdict(m) for m in (*known, *added)], ensure_ascii=False, separators=(",", ":")
    )
    warning.last_at = now
    session.flush()
    return warning


def open_warnings(session: Session) -> list[RemovalWarning]:
    """The warnings no manager has dismissed yet, newest first."""
    rows = session.scalars(
        select(PopWarning).where(PopWarning.dismissed_at.is_(None)).order_by(PopWarning.id.desc())
    )
    return [
        RemovalWarning(row.id, as_utc(row.at), as_utc(row.last_at), row.folder, _removed(row))
        for row in rows
    ]


def dismiss(session: Session, warning_id: int, actor: User) -> bool:
    """Mark a warning as read by `actor`; False if there is no such open
    warning. The caller commits."""
    row = session.get(PopWarning, warning_id)
    if row is None or row.dismissed_at is not None:
        return False
    row.dismissed_at, row.dismissed_by = utcnow(), actor.username
    return True


def _open_burst(session: Session, now: datetime) -> PopWarning | None:
    row = session.scalar(
        select(PopWarning)
        .where(PopWarning.dismissed_at.is_(None), PopWarning.folder == INBOX)
        .order_by(PopWarning.id.desc())
        .limit(1)
    )
    return row if row is not None and as_utc(row.last_at) >= now - BURST_WINDOW else None


def _oldest_first(session: Session, gone: list[RemovedMessage]) -> bool:
    """Whether no message left in INBOX is older (a lower UID) than one removed."""
    oldest_left = session.scalar(
        select(func.min(CachedMessage.uid))
        .join(FolderState, CachedMessage.folder_id == FolderState.id)
        .where(FolderState.name == INBOX)
    )
    return oldest_left is None or oldest_left > max(m.uid for m in gone)


def _removed(row: PopWarning) -> tuple[RemovedMessage, ...]:
    return tuple(RemovedMessage(**item) for item in json.loads(row.removed or "[]"))
