"""Whether pages may trust the header cache: said in the database (store/
watch.py) by the process that watches the mailbox, for every process.

Trusted only after a sync of every folder that succeeded, began after the
last loss, and ran while the watcher heard every change; lost at once when
the connection drops or a sync fails. Transitions are serialised (the
watcher's thread loses, the sync thread catches up), and a database error
is logged, never raised: syncing goes on either way, and a trust nobody
renews expires by itself (watch.STALE_AFTER).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from teaminbox.store import watch
from teaminbox.store.db import Database

log = logging.getLogger(__name__)


class CacheTrust:
    def __init__(self, database: Database, mailbox: str) -> None:
        self._database = database
        self._mailbox = mailbox
        self._lock = threading.Lock()
        self._epoch = 0  # moves with every loss: a sync begun before it proves nothing
        self._trusted = False
        self._beaten_at = 0.0

    @property
    def epoch(self) -> int:
        with self._lock:
            return self._epoch

    def lose(self) -> None:
        """Pages stop trusting the cache now."""
        with self._lock:
            self._forget()
            self._write(watch.mark_lost)

    def forget(self) -> None:
        """Stop vouching without a word: this process no longer watches, and
        the one that does now may already have caught up."""
        with self._lock:
            self._forget()

    def caught_up(self, epoch: int) -> None:
        """A sync of every folder, begun at `epoch` while every change was
        heard, succeeded."""
        with self._lock:
            if epoch != self._epoch or self._trusted:
                return
            if self._write(watch.mark_caught_up):
                self._trusted, self._beaten_at = True, time.monotonic()

    def beat_if_due(self) -> None:
        with self._lock:
            if not self._trusted or time.monotonic() - self._beaten_at < watch.BEAT_SECONDS:
                return
            if self._write(watch.beat):
                self._beaten_at = time.monotonic()

    def _forget(self) -> None:
        self._epoch += 1
        self._trusted = False

    def _write(self, change: Callable[[Session, str], None]) -> bool:
        try:
            with self._database.session() as session:
                change(session, self._mailbox)
                session.commit()
        except SQLAlchemyError:
            log.exception("could not record whether the header cache is live")
            return False
        return True
