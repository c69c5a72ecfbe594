"""Bringing the header cache in step with the mailbox, and saying what changed.

The events returned here describe changes the app did not make itself:
the app's own actions update the cache at the server's OK, so the sync that
follows their IDLE echo finds nothing to report (no event twice); a flag
change keeps its MODSEQ there, so that a sync whose fetch came before it
leaves the newer row alone (cache.set_flags). With CONDSTORE a catch-up
reads and writes only the rows of the UIDs that changed. A message
that left one folder and arrived in another in the same round, with the same
Message-ID, is reported as moved, not as a deletion plus a new mail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from teaminbox.events import Event, Kind
from teaminbox.imap.connection import ImapSettings
from teaminbox.imap.errors import FolderNotFound
from teaminbox.imap.pool import ConnectionPool
from teaminbox.imap.sync import FolderDelta, FolderVersion, fetch_delta
from teaminbox.services import folder_fill
from teaminbox.store import cache
from teaminbox.store.models import FolderState

# Rows a folder cached whole must bring for the database's statistics to be
# refreshed at once (cache.analyse); fewer do not change a plan that matters.
ANALYSE_AFTER = 10_000


def sync_folders(
    pool: ConnectionPool,
    session: Session,
    folders: Iterable[str],
    pace: Callable[[], None] = lambda: None,
    helper: ImapSettings | None = None,
) -> list[Event]:
    """Sync each folder, then pair expunges with arrivals into moves.
    A folder cached whole (a first sync) is read with a helper process
    logging in with `helper`, if given and worth it (folder_fill); `pace` is
    called every few rows meanwhile, and may wait: the caller's way to step
    aside.

    The caller commits, then publishes the events (never before the commit).
    """
    events: list[Event] = []
    for folder in folders:
        try:
            events.extend(sync_folder(pool, session, folder, pace, helper))
        except FolderNotFound:
            cache.forget_folders(session, [folder])  # deleted since it was listed
    return correlate_moves(events)


def forget_unlisted(session: Session, listed: Iterable[str]) -> None:
    """Drop the cached folders the server no longer lists (deleted or renamed
    by any client), given every folder it lists now."""
    cache.forget_folders(session, set(cache.cached_folders(session)) - set(listed))


def sync_folder(
    pool: ConnectionPool,
    session: Session,
    folder: str,
    pace: Callable[[], None] = lambda: None,
    helper: ImapSettings | None = None,
) -> list[Event]:
    """Apply one folder's changes to the cache; the events they make. A
    folder cached whole makes none: the cache learns it, nothing happened
    in it."""
    state = cache.folder_state(session, folder)
    known = FolderVersion(state.uidvalidity, state.uidnext, state.highestmodseq) if state else None
    with pool.borrow() as client:
        delta = fetch_delta(client, folder, known, _CacheOf(session, state))
        if delta.rebuilt:
            state = _save_version(session, folder, delta.version)
            cache.clear_folder(session, state)
            written = folder_fill.fill_folder(pool, client, session, state, delta, pace, helper)
            if written >= ANALYSE_AFTER:
                cache.analyse(session)
            return []
    if delta.empty and state is not None:
        return []
    return _apply(session, _save_version(session, folder, delta.version), folder, delta)


def _save_version(session: Session, folder: str, version: FolderVersion) -> FolderState:
    return cache.save_version(
        session, folder, version.uidvalidity, version.uidnext, version.highestmodseq
    )


@dataclass(frozen=True)
class _CacheOf:
    """The cache of one folder, as fetch_delta asks about it."""

    session: Session
    state: FolderState | None

    def all_flags(self) -> Mapping[int, tuple[str, ...]]:
        return cache.flags_by_uid(self.session, self.state) if self.state else {}

    def all_uids(self) -> set[int]:
        return cache.all_uids(self.session, self.state) if self.state else set()

    def cached(self, uids: Iterable[int]) -> set[int]:
        return cache.cached_uids(self.session, self.state, uids) if self.state else set()


def _apply(session: Session, state: FolderState, folder: str, delta: FolderDelta) -> list[Event]:
    # What the cache says changed, not what the delta says: the app may have
    # recorded its own change since the delta was computed (no echo twice).
    gone = cache.remove_uids(session, state, delta.vanished)
    # The flags before, so that the history can say what another client changed.
    former = cache.set_flags(session, state, delta.flags)
    new = cache.add_headers(session, state, delta.new)
    return [
        *(
            Event(
                Kind.EXPUNGED,
                folder,
                uid=g.uid,
                detail={"message_id": g.message_id, "subject": g.subject},
            )
            for g in gone
        ),
        *(
            Event(
                Kind.FLAGS, folder, uid=uid, flags=delta.flags[uid].flags, detail={"was": list(was)}
            )
            for uid, was in former.items()
        ),
        *(
            Event(
                Kind.NEW,
                folder,
                uid=h.uid,
                flags=h.flags,
                detail={"message_id": h.message_id, "subject": h.subject},
            )
            for h in new
        ),
    ]


def correlate_moves(events: list[Event]) -> list[Event]:
    """Replace an expunge and an arrival of the same Message-ID (in another
    folder) by one `moved` event on the source, naming the destination."""
    arrivals: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.kind is Kind.NEW and event.detail.get("message_id"):
            arrivals[event.detail["message_id"]].append(event)
    paired: set[int] = set()
    moves: list[Event] = []
    for event in events:
        message_id = event.detail.get("message_id")
        if event.kind is not Kind.EXPUNGED or not message_id:
            continue
        arrival = next(
            (
                a
                for a in arrivals.get(message_id, ())
                if a.folder != event.folder and id(a) not in paired
            ),
            None,
        )
        if arrival is None:
            continue
        paired.update({id(arrival), id(event)})
        moves.append(
            Event(
                Kind.MOVED,
                event.folder,
                uid=event.uid,
                flags=arrival.flags,
                detail={**event.detail, "to_folder": arrival.folder, "to_uid": arrival.uid},
            )
        )
    return [e for e in events if id(e) not in paired] + moves
