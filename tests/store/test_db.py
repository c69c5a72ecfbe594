"""The database engine: SQLite's write-ahead log is copied into the database
file when the watcher asks (after it has published), not at whichever
commit happens to cross SQLite's own threshold."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from teaminbox.store import cache
from teaminbox.store.db import WAL_BACKSTOP_PAGES, Database
from tests.store.test_cache_headers import header

ROWS = 30_000  # about 1,400 pages of log: past SQLite's own 1,000, under the backstop


def fill(database: Database) -> None:
    with database.session() as session:
        state = cache.save_version(session, "Archive", 1, ROWS + 1, 1)
        cache.fill_folder(session, state, (header(uid) for uid in range(1, ROWS + 1)))
        session.commit()


def test_commits_leave_the_log_to_the_checkpoint(database: Database) -> None:
    if database.engine.dialect.name != "sqlite":
        database.checkpoint()  # nothing to do elsewhere, and no error
        return
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == WAL_BACKSTOP_PAGES
    file = Path(str(database.engine.url.database))
    before = file.stat().st_size
    fill(database)
    assert file.stat().st_size == before  # committed, still in the log only
    database.checkpoint()
    assert file.stat().st_size > before
    with database.session() as session:
        state = cache.folder_state(session, "Archive")
        assert state is not None and len(cache.all_uids(session, state)) == ROWS


def test_a_failed_checkpoint_is_only_logged(
    database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The sync thread checkpoints after publishing: a failure there must
    not undo what it did (the next checkpoint copies the log)."""

    def refuse() -> None:
        raise OperationalError("PRAGMA wal_checkpoint", {}, Exception("disk I/O error"))

    monkeypatch.setattr(database.engine, "connect", refuse)
    database.checkpoint()
    if database.engine.dialect.name == "sqlite":
        assert "checkpointing the database failed" in caplog.text
