"""A first sync streams the folder into the cache: every message once, each
batch written while the server still sends the rest, against the real Dovecot."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing.process
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.domain import MessageHeader
from teaminbox.imap import sync as imap_sync
from teaminbox.imap.append import append_messages, ensure_folders
from teaminbox.imap.connection import ImapSettings, open_connection
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import folder_fill, sync
from teaminbox.services.folder_fill import PACE_EVERY
from teaminbox.services.sync import sync_folder
from teaminbox.store import cache
from teaminbox.store.db import Database
from teaminbox.store.models import CachedMessage
from tests.folder_helpers import watch_helpers
from tests.smtp_server import free_port

COUNT = 230
BATCH = 50


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DovecotServer]:
    server = start_dovecot(tmp_path / "dovecot")
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.login(server.user, server.password)
    ensure_folders(client, ["Archive"])
    when = datetime(2026, 11, 30, 9, tzinfo=UTC)
    mail = [
        (
            f"From: a@example.com\r\nSubject: s{i}\r\nMessage-ID: <{i}@t>\r\n\r\nx\r\n".encode(),
            [],
            when,
        )
        for i in range(COUNT)
    ]
    append_messages(client, "Archive", mail)
    client.logout()
    yield server
    stop_dovecot(server, purge=True)


def test_a_first_sync_writes_each_batch_as_it_is_read(
    server: DovecotServer, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "FILL_BATCH", BATCH)
    pool = ConnectionPool(lambda: open_connection(server.imap_settings), size=1)
    stream = imap_sync.stream_folder_headers
    rows_seen: list[int] = []  # rows in the cache as each header is read
    with database.session() as session:

        def watched(client: IMAPClient) -> Iterator[MessageHeader]:
            for header in stream(client):
                rows_seen.append(session.scalar(select(func.count(CachedMessage.id))) or 0)
                yield header

        monkeypatch.setattr(imap_sync, "stream_folder_headers", watched)
        assert sync_folder(pool, session, "Archive") == []  # a first sync is no news
        session.commit()
        uids = session.scalars(select(CachedMessage.uid)).all()
    pool.close()
    assert sorted(uids) == list(range(1, COUNT + 1))  # every message, once
    # Batch after batch went in while the rest was still being read: the
    # folder was never held whole.
    assert len(rows_seen) == COUNT
    assert sorted(set(rows_seen)) == list(range(0, COUNT, BATCH))


def test_a_first_sync_paces_itself_and_a_catch_up_does_not(
    server: DovecotServer, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first sync calls `pace` every PACE_EVERY headers read (where the
    supervisor steps aside for the pages being served); a catch-up, which
    reads only what changed, never does."""
    pool = ConnectionPool(lambda: open_connection(server.imap_settings), size=1)
    stream = imap_sync.stream_folder_headers
    read = 0
    paced_at: list[int] = []  # headers read at each call of pace

    def counted(client: IMAPClient) -> Iterator[MessageHeader]:
        nonlocal read
        for header in stream(client):
            read += 1
            yield header

    monkeypatch.setattr(imap_sync, "stream_folder_headers", counted)
    with database.session() as session:
        sync_folder(pool, session, "Archive", pace=lambda: paced_at.append(read))
        session.commit()
        assert paced_at == list(range(PACE_EVERY, COUNT + 1, PACE_EVERY))
        with pool.borrow() as client:
            new = b"From: b@example.com\r\nSubject: new\r\n\r\nx\r\n"
            add = [(new, [], datetime(2026, 12, 1, 9, tzinfo=UTC))] * PACE_EVERY
            append_messages(client, "Archive", add)
        paced_at.clear()
        assert len(sync_folder(pool, session, "Archive", pace=lambda: paced_at.append(read))) == (
            PACE_EVERY
        )
        session.commit()
    pool.close()
    assert paced_at == []


def test_postgresql_knows_a_big_folder_at_once(
    server: DovecotServer, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner's row count after a first sync, without waiting for
    autovacuum (which would leave catch-ups reading the whole folder)."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's plan does not depend on statistics")
    monkeypatch.setattr(sync, "ANALYSE_AFTER", COUNT)  # this folder counts as big
    pool = ConnectionPool(lambda: open_connection(server.imap_settings), size=1)
    with database.session() as session:
        sync_folder(pool, session, "Archive")
        session.commit()
        estimate = session.scalar(
            text("SELECT reltuples FROM pg_class WHERE relname = 'message_cache'")
        )
    pool.close()
    assert estimate == COUNT


def cached_rows(session: Session) -> list[tuple[object, ...]]:
    """Every cached message of the folder, as the pages read it."""
    columns = [c for c in CachedMessage.__table__.columns if c.name not in {"id", "folder_id"}]
    return [tuple(r) for r in session.execute(select(*columns).order_by(CachedMessage.uid))]


def test_a_helper_process_reads_a_big_folders_second_half(
    server: DovecotServer, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both halves parsed at once, on two connections, into the very rows
    this thread alone makes."""
    helpers = watch_helpers(monkeypatch, from_size=COUNT)
    pool = ConnectionPool(lambda: open_connection(server.imap_settings), size=3)
    with database.session() as session:
        sync_folder(pool, session, "Archive")  # no helper asked: this thread alone
        alone = cached_rows(session)
        cache.forget_folders(session, ["Archive"])
        assert sync_folder(pool, session, "Archive", helper=server.imap_settings) == []
        session.commit()
        assert cached_rows(session) == alone
    pool.close()
    assert len(alone) == COUNT
    assert [h.received for h in helpers] == [COUNT - COUNT // 2]  # UIDs 116 to 230


def cached_uids_after_helping(
    server: DovecotServer, database: Database, helper: ImapSettings
) -> list[int]:
    """A first sync of Archive with a helper logging in with `helper`."""
    pool = ConnectionPool(lambda: open_connection(server.imap_settings), size=3)
    with database.session() as session:
        sync_folder(pool, session, "Archive", helper=helper)
        session.commit()
        uids = session.scalars(select(CachedMessage.uid).order_by(CachedMessage.uid)).all()
    with pool.borrow(), pool.borrow(), pool.borrow():
        pass  # the helper's connection is back in the budget
    pool.close()
    return list(uids)


def test_a_helper_that_cannot_reach_the_server_costs_time_never_rows(
    server: DovecotServer,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    helpers = watch_helpers(monkeypatch, from_size=COUNT)
    # Nothing listens there (a refused login would do too, after Dovecot's
    # two-second delay for failed logins).
    nowhere = dataclasses.replace(server.imap_settings, port=free_port())
    with caplog.at_level(logging.WARNING):
        uids = cached_uids_after_helping(server, database, nowhere)
    assert uids == list(range(1, COUNT + 1))  # every message, once
    assert "a folder reader failed, this process reads the rest" in caplog.text
    assert "cannot reach the IMAP server" in caplog.text
    assert [h.received for h in helpers] == [0]


def test_a_helper_killed_midway_costs_time_never_rows(
    server: DovecotServer,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Killed once its first rows are in: its half (~250 KB of rows) is more
    than a pipe holds (64 KB), so it cannot have sent the rest; what it sent is kept, this
    thread reads from the first UID it did not send."""
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.login(server.user, server.password)
    when = datetime(2026, 12, 1, 9, tzinfo=UTC)
    subject = b"more " + b"x" * 600  # ~0.6 KB a row: 300 rows outgrow the pipe
    more = [(b"From: b@example.com\r\nSubject: " + subject + b"\r\n\r\nx\r\n", [], when)] * 600
    append_messages(client, "Archive", more)
    client.logout()
    total = COUNT + len(more)
    helpers = watch_helpers(monkeypatch, from_size=total, kill=True)
    monkeypatch.setattr(folder_fill, "BATCH", 10)
    with caplog.at_level(logging.WARNING):
        uids = cached_uids_after_helping(server, database, server.imap_settings)
    assert uids == list(range(1, total + 1))  # every message, once
    assert "a folder reader failed, this process reads the rest" in caplog.text
    (seen,) = helpers
    assert 0 < seen.received < total - total // 2


def test_a_helper_that_cannot_start_leaves_the_folder_to_this_thread(
    server: DovecotServer,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(folder_fill, "HELPER_FROM", COUNT)

    def refused(_process: object) -> None:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    with caplog.at_level(logging.WARNING):
        uids = cached_uids_after_helping(server, database, server.imap_settings)
    assert uids == list(range(1, COUNT + 1))
    assert "cannot start a folder reader, this process reads alone" in caplog.text


class FailedHelper:
    """A helper that sent every row up to UID 9, then failed."""

    resume_at = 10

    def ready(self) -> Iterator[object]:
        return iter(())

    def rest(self) -> Iterator[object]:
        return iter(())


def test_a_reversed_range_read_after_a_failed_helper_adds_nothing_it_sent() -> None:
    """`10:9` is `9:10` to IMAP: UID 9, sent already, is not written twice."""
    own = iter([(1, 1), (1, 2)])
    read: list[int] = []

    def read_from(first: int) -> Iterator[cache.Row]:
        read.append(first)
        return iter([(1, 9)])  # what `10:9` would fetch

    helper: Any = FailedHelper()
    assert list(folder_fill._beside(own, helper, read_from)) == [(1, 1), (1, 2)]
    assert read == [10]


def test_no_helper_takes_the_budgets_last_free_connection(
    server: DovecotServer, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two connections, the sync holds one and the other stays for the
    pages: the folder is read here alone, and no fork server is started
    for a helper that cannot be."""
    helpers = watch_helpers(monkeypatch, from_size=COUNT)
    prepared: list[None] = []
    monkeypatch.setattr(folder_fill, "prepare", lambda: prepared.append(None))
    pool = ConnectionPool(lambda: open_connection(server.imap_settings), size=2)
    with database.session() as session:
        sync_folder(pool, session, "Archive", helper=server.imap_settings)
        session.commit()
        assert len(cached_rows(session)) == COUNT
    pool.close()
    assert helpers == []
    assert prepared == []
