"""Stored events: what a browser that reconnects replays (SSE Last-Event-ID).

Queries take the caller's session and never commit. An event's id is its
row id, so ids grow in the order events were stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from teaminbox.events import Event, Kind
from teaminbox.store.models import StoredEvent

# Kinds that end a message's life in a folder: a row that is gone is
# explained by the last of these.
ENDINGS = (Kind.MOVED, Kind.EXPUNGED)


def add(session: Session, events: Iterable[Event]) -> list[Event]:
    """Store `events`; the same events with their ids."""
    stored = []
    for event in events:
        row = StoredEvent(
            payload=event.to_json(),
            kind=event.kind.value,
            folder=event.folder,
            uid=event.uid,
        )
        session.add(row)
        session.flush()
        stored.append(replace(event, id=row.id))
    return stored


def after(session: Session, last_id: int, limit: int = 1000) -> list[Event]:
    """Events stored after `last_id`, oldest first, at most `limit`."""
    rows = session.scalars(
        select(StoredEvent).where(StoredEvent.id > last_id).order_by(StoredEvent.id).limit(limit)
    )
    return [replace(Event.from_json(row.payload), id=row.id) for row in rows]


def oldest_id(session: Session) -> int | None:
    """The id of the oldest event still kept, None when none is."""
    return session.scalar(select(func.min(StoredEvent.id)))


def latest_id(session: Session) -> int:
    return session.scalar(select(func.max(StoredEvent.id))) or 0


def ending(session: Session, folder: str, uid: int) -> Event | None:
    """The last move or expunge of one message of `folder`, if kept."""
    row = session.scalar(
        select(StoredEvent)
        .where(
            StoredEvent.folder == folder,
            StoredEvent.uid == uid,
            StoredEvent.kind.in_([k.value for k in ENDINGS]),
        )
        .order_by(StoredEvent.id.desc())
        .limit(1)
    )
    return replace(Event.from_json(row.payload), id=row.id) if row else None


def prune(session: Session, keep: timedelta, now: datetime | None = None) -> int:
    """Drop events older than `keep`; how many went."""
    cutoff = (now or datetime.now(UTC)) - keep
    result = session.execute(delete(StoredEvent).where(StoredEvent.at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
