"""The live machinery of one process: hold the watcher lease, and while
holding it, watch the mailbox, sync what changed and publish the events.

Every process runs a supervisor; the lease (Redis, PostgreSQL, or in
process) lets exactly one of them watch a given mailbox, so the server's
connection cap holds and no change is published twice. The watcher only
signals which folders changed; a sync thread does the work on a pooled
connection, coalescing signals that arrive while it works.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from datetime import timedelta

from teaminbox.bus import Bus
from teaminbox.events import Event, Kind
from teaminbox.imap.connection import ImapSettings
from teaminbox.imap.errors import ImapError
from teaminbox.imap.pool import ConnectionPool
from teaminbox.live.cache_trust import CacheTrust
from teaminbox.live.foreground import Foreground, Pace
from teaminbox.live.leader import Lease
from teaminbox.live.watcher import Watcher
from teaminbox.services import feed, history, pop_detector, reading
from teaminbox.services.sync import forget_unlisted, sync_folders
from teaminbox.store.db import Database

log = logging.getLogger(__name__)

# Seconds before a failed sync is tried again (the watcher's own reconnect
# asks for a full sync anyway).
RETRY_SECONDS = 2.0
# Seconds between GIL hand-overs in a process that syncs (see start).
SWITCH_INTERVAL = 0.001
# Longest a first sync waits, at each of its paces (PACE_EVERY headers
# apart), for the pages being read to end (foreground.py): longer than a
# page takes.
GIVE_WAY_SECONDS = 0.05


@dataclass(frozen=True)
class Timings:
    idle_seconds: float
    poll_seconds: float
    backoff_max_seconds: float
    lease_seconds: float
    keep_events: timedelta


class Supervisor:
    """Start once per process; stop at shutdown."""

    def __init__(
        self,
        settings: ImapSettings,
        pool: ConnectionPool,
        database: Database,
        bus: Bus,
        lease: Lease,
        timings: Timings,
        foreground: Foreground,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._database = database
        self._bus = bus
        self._lease = lease
        self._timings = timings
        self._foreground = foreground
        self._stopped = threading.Event()
        self._pending = threading.Condition()
        self._folders: set[str] = set()
        self._everything = False
        self._announce = False
        self._trust = CacheTrust(database, settings.mailbox_key)
        self._watcher: Watcher | None = None
        self._threads: list[threading.Thread] = []

    @property
    def watching(self) -> bool:
        return self._watcher is not None

    def start(self) -> None:
        if self._stopped.is_set():
            return  # stopped before it started (the app closed during the warm-up)
        # The sync thread can hold the GIL for seconds (a first sync of a big
        # folder); a thread waiting for it gets it only after the switch
        # interval, and a request waits that long at each of its many IMAP
        # and SQL calls. 1 ms instead of 5 keeps pages quick meanwhile.
        sys.setswitchinterval(SWITCH_INTERVAL)
        for target, name in ((self._supervise, "live-lease"), (self._sync_loop, "live-sync")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        with self._pending:
            self._pending.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        if self._watcher is not None:
            self._trust.lose()
        self._stop_watching()
        self._lease.release()

    def _supervise(self) -> None:
        while not self._stopped.is_set():
            if self._lease.acquire():
                if self._watcher is None:
                    self._start_watching()
            elif self._watcher is not None:
                log.warning("lost the watcher lease: another process watches now")
                self._stop_watching()
            self._stopped.wait(self._timings.lease_seconds / 3)

    def _start_watching(self) -> None:
        log.info("this process watches the mailbox")
        self._trust.lose()  # whatever a watcher before this one said
        self._watcher = Watcher(
            self._settings,
            on_change=self._on_change,
            on_status=self._on_status,
            idle_seconds=self._timings.idle_seconds,
            poll_seconds=self._timings.poll_seconds,
            backoff_max_seconds=self._timings.backoff_max_seconds,
        )
        self._watcher.start()

    def _stop_watching(self) -> None:
        self._trust.forget()
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    def _on_change(self, folders: frozenset[str] | None) -> None:
        with self._pending:
            if folders is None:
                self._everything = True
            else:
                self._folders |= folders
            self._pending.notify()

    def _on_status(self, connected: bool) -> None:
        if connected:
            with self._pending:
                self._announce = True  # once the catch-up sync is done
                # A sync of everything begun now, connected, may earn the
                # cache its trust (the watcher's own may have begun before).
                self._everything = True
                self._pending.notify()
        else:
            self._trust.lose()
            self._bus.publish(_status(connected=False))

    def _sync_loop(self) -> None:
        while not self._stopped.is_set():
            self._trust.beat_if_due()
            with self._pending:
                if not (self._folders or self._everything or self._announce):
                    self._pending.wait(1.0)
                    continue
                folders, everything, announce = self._folders, self._everything, self._announce
                self._folders, self._everything, self._announce = set(), False, False
            epoch, heard = self._trust.epoch, self._hears_everything()
            try:
                self._sync(None if everything else folders)
            except Exception as exc:
                if isinstance(exc, (ImapError, OSError)):
                    log.warning("sync failed (%s); trying again", exc)
                else:
                    log.exception("sync failed; trying again")
                # Whatever it left undone: every folder again, trusted after.
                self._trust.lose()
                self._on_change(None)
                self._announce = self._announce or announce
                self._stopped.wait(RETRY_SECONDS)
                continue
            if everything and heard and self._hears_everything():
                self._trust.caught_up(epoch)
            if announce:
                self._bus.publish(_status(connected=True))

    def _hears_everything(self) -> bool:
        watcher = self._watcher
        return watcher is not None and watcher.hears_everything

    def _sync(self, folders: set[str] | None) -> None:
        with self._database.session() as session:
            if folders is None:  # every folder the server lists, and only those
                folders = {f.name for f in reading.folder_list(self._pool) if f.selectable}
                forget_unlisted(session, folders)
            pace = Pace(self._foreground, GIVE_WAY_SECONDS)
            events = sync_folders(
                self._pool, session, sorted(folders), pace=pace, helper=self._settings
            )
            history.record_outside(self._pool, session, events)
            pop_detector.watch_expunges(session, events)
            events = feed.record(session, events, keep=self._timings.keep_events)
            session.commit()
        feed.publish(self._bus, events)
        self._database.checkpoint()  # after the news is out, not before (db.py)


def _status(*, connected: bool) -> Event:
    return Event(Kind.STATUS, "", detail={"connected": connected})
