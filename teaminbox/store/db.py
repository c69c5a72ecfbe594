"""The database engine and where sessions come from.

The caller owns the session: query and service functions take it as an
argument and never commit by themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# SQLite copies its write-ahead log into the database file (a checkpoint)
# when a commit takes the log past this many pages. SQLite's own 1,000 made
# whichever commit crossed it pay the copy: a catch-up of 1,000 changes
# spread over 100k cached messages paid it nearly every time (13 ms of its
# commit's 17). The watcher's sync thread checkpoints after it has
# published (`checkpoint`); this is the backstop (about 40 MB of log).
WAL_BACKSTOP_PAGES = 10_000


class Database:
    """One engine and its session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        """A new session; close it when done (a `with` block does)."""
        return self._sessions()

    def checkpoint(self) -> None:
        """Copy what SQLite's write-ahead log holds into the database file,
        as far as no reader still needs it (PASSIVE: it waits for nobody).
        Best effort: what fails is copied by the next one (or the backstop).
        Nothing for another database."""
        if self.engine.dialect.name != "sqlite":
            return
        try:
            with self.engine.connect() as connection:
                connection.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
        except SQLAlchemyError as exc:
            log.warning("checkpointing the database failed (%s)", exc)

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets readers go on while a request writes; foreign keys are off
    # by default in SQLite.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
