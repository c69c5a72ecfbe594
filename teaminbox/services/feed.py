"""Changes as events: kept for replay, and in step with the header cache.

A change made in the app is known at the server's OK: `record_own` applies it
to the cache at once (so that the sync after the watcher's echo finds
nothing to report: no event twice) and stores its events; a flag change
goes through `record_own_flags`, which keeps the change's MODSEQ too.
Changes found by a sync are already in the cache: `record` only stores
them. Either way the caller commits, then publishes the returned events
(never before the commit, or a browser could fetch a row the database does
not have yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from teaminbox.bus import Bus
from teaminbox.domain import MessageHeader, MessageRef, StoredFlags
from teaminbox.events import STORED_KINDS, Event, Kind
from teaminbox.services import assignment_changes
from teaminbox.store import cache, notes
from teaminbox.store import events as stored_events

# One prune for this many stored events keeps the table small without a timer.
PRUNE_EVERY = 500


def record(session: Session, events: Iterable[Event], keep: timedelta | None = None) -> list[Event]:
    """Store the kinds worth replaying; every event back, stored ones with ids,
    followed by the `assigned` events they make (a move carries the
    assignment along; another client's assignee keyword changes it)."""
    events = list(events)
    events.extend(assignment_changes.follow(session, events))
    notes.follow_moves(session, events)  # notes say where their message is now
    result = []
    for event in events:
        if event.kind in STORED_KINDS:
            (event,) = stored_events.add(session, [event])
            if keep is not None and event.id % PRUNE_EVERY == 0:
                stored_events.prune(session, keep)
        result.append(event)
    return result


def record_own(session: Session, events: Iterable[Event]) -> list[Event]:
    """Apply the app's own changes to the header cache, then `record` them
    (flag changes: `record_own_flags`)."""
    events = list(events)
    for event in events:
        _apply_to_cache(session, event)
    return record(session, events)


def record_own_flags(
    session: Session, ref: MessageRef, stored: StoredFlags, actor: str
) -> list[Event]:
    """The app's own flag change: into the cache with the MODSEQ the server
    gave it, so that a sync whose fetch came before the change (its flags
    have a lower MODSEQ) does not write them back and report them; then
    `record`ed."""
    cache_own_flags(session, ref, stored)
    return record(session, [Event(Kind.FLAGS, ref.folder, ref.uid, stored.flags, actor)])


def cache_own_flags(session: Session, ref: MessageRef, stored: StoredFlags) -> None:
    """Flags the app itself gave a message, into the header cache with their
    MODSEQ: the watcher's echo is then no news, nor a sync's fetch from
    before the change (its MODSEQ is lower). A folder not cached yet is left
    to its first sync."""
    state = cache.folder_state(session, ref.folder)
    if state is not None:
        cache.set_flags(session, state, {ref.uid: stored})


def record_own_arrival(
    session: Session, folder: str, header: MessageHeader, actor: str
) -> list[Event]:
    """A message the app itself put in `folder` (the copy of a sent reply):
    into the cache at once, so that the sync does not take it for another
    mail client's, then `record`ed as new."""
    state = cache.folder_state(session, folder)
    if state is not None:  # else the folder's first sync takes it in
        cache.add_headers(session, state, [header])
    detail = {"message_id": header.message_id, "subject": header.subject}
    return record(session, [Event(Kind.NEW, folder, header.uid, header.flags, actor, detail)])


def publish(bus: Bus, events: Sequence[Event]) -> None:
    for event in events:
        bus.publish(event)


def _apply_to_cache(session: Session, event: Event) -> None:
    if event.uid is None:
        return
    state = cache.folder_state(session, event.folder)
    if event.kind is Kind.EXPUNGED and state is not None:
        cache.remove_uids(session, state, [event.uid])
    elif event.kind is Kind.MOVED:
        to_folder, to_uid = event.detail.get("to_folder"), event.detail.get("to_uid")
        if to_folder and to_uid:
            cache.move_row(session, event.folder, event.uid, to_folder, int(to_uid))
        elif state is not None:
            cache.remove_uids(session, state, [event.uid])
