"""Whether the header cache follows the mailbox live, shared by every process.

The process that watches the mailbox (live/supervisor.py) marks the cache
caught up once its catch-up after (re)connecting is done, beats while it
stays connected, and marks it lost when the connection drops. Any process
may then serve a folder's pages from the cache instead of asking IMAP; a
watcher that died without a word stops beating, and after `stale` the
cache is no longer trusted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.store.models import WatchState, as_utc, utcnow

# The watcher beats this often; a cache whose last beat is older than
# STALE_AFTER is not trusted (the watching process may have died).
BEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=3 * BEAT_SECONDS)


def mark_caught_up(session: Session, mailbox: str) -> None:
    row = _row(session, mailbox)
    row.caught_up_at = row.heartbeat_at = utcnow()


def beat(session: Session, mailbox: str) -> None:
    _row(session, mailbox).heartbeat_at = utcnow()


def mark_lost(session: Session, mailbox: str) -> None:
    row = session.scalar(select(WatchState).where(WatchState.mailbox == mailbox))
    if row is not None:
        row.caught_up_at = None


def is_live(session: Session, mailbox: str) -> bool:
    """Caught up, and a beat newer than STALE_AFTER."""
    row = session.scalar(select(WatchState).where(WatchState.mailbox == mailbox))
    if row is None or row.caught_up_at is None or row.heartbeat_at is None:
        return False
    return utcnow() - as_utc(row.heartbeat_at) < STALE_AFTER


def _row(session: Session, mailbox: str) -> WatchState:
    row = session.scalar(select(WatchState).where(WatchState.mailbox == mailbox))
    if row is None:
        row = WatchState(mailbox=mailbox)
        session.add(row)
    return row
