"""The header cache follows the mailbox, whoever changes it, against the real
Dovecot: flags, arrivals, expunges, moves, and a UIDVALIDITY change."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import event

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.domain import FLAGGED, MessageRef
from teaminbox.events import Event, Kind
from teaminbox.imap import changes
from teaminbox.imap.append import append_messages, ensure_folders
from teaminbox.imap.connection import ImapSettings, open_connection
from teaminbox.imap.pool import ConnectionPool
from teaminbox.imap.sync import FolderDelta
from teaminbox.services import feed
from teaminbox.services import sync as sync_module
from teaminbox.services.sync import correlate_moves, forget_unlisted, sync_folders
from teaminbox.store import cache
from teaminbox.store.db import Database
from tests.imap_helpers import cached_flags, server_flags


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DovecotServer]:
    server = start_dovecot(tmp_path / "dovecot")
    yield server
    stop_dovecot(server, purge=True)


@pytest.fixture
def other(server: DovecotServer) -> Iterator[IMAPClient]:
    """Thunderbird on the same account."""
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.login(server.user, server.password)
    ensure_folders(client, ["Factures"])
    yield client
    client.logout()


def pool_for(settings: ImapSettings) -> ConnectionPool:
    return ConnectionPool(lambda: open_connection(settings), size=1)


def append(client: IMAPClient, folder: str, count: int) -> list[str]:
    ids = [f"<{uuid.uuid4().hex}@test>" for _ in range(count)]
    append_messages(
        client,
        folder,
        [
            (
                f"From: a@example.com\r\nSubject: s{i}\r\nMessage-ID: {mid}\r\n\r\nhi\r\n".encode(),
                [],
                datetime.now(UTC),
            )
            for i, mid in enumerate(ids)
        ],
    )
    return ids


def sync(pool: ConnectionPool, database: Database, *folders: str) -> list[Event]:
    with database.session() as session:
        events = sync_folders(pool, session, folders)
        session.commit()
    return events


@pytest.mark.parametrize("extensions", ["qresync", "condstore", "compare"])
def test_cache_follows_another_client(
    server: DovecotServer,
    other: IMAPClient,
    database: Database,
    extensions: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if extensions == "condstore":
        monkeypatch.setattr("teaminbox.imap.connection.enable_qresync", _condstore_alone)
    elif extensions == "compare":
        monkeypatch.setattr("teaminbox.imap.connection.enable_qresync", lambda client: False)
    pool = pool_for(server.imap_settings)
    append(other, "INBOX", 5)
    assert sync(pool, database, "INBOX") == []  # the first sync fills the cache silently
    assert cached_flags(database, "INBOX") == server_flags(other, "INBOX")

    other.select_folder("INBOX")
    other.add_flags([1, 2], ["\\Answered"])
    other.delete_messages([3])
    other.expunge()
    append(other, "INBOX", 1)
    events = sync(pool, database, "INBOX")
    kinds = sorted((e.kind.value, e.uid) for e in events)
    assert kinds == [("expunged", 3), ("flags", 1), ("flags", 2), ("new", 6)]
    assert next(e for e in events if e.uid == 1).flags == ("\\Answered",)
    assert cached_flags(database, "INBOX") == server_flags(other, "INBOX")
    assert sync(pool, database, "INBOX") == []  # nothing changed since

    other.select_folder("INBOX")
    other.add_flags([4], ["\\Flagged"])  # a change that moves no UID
    assert [(e.kind, e.uid) for e in sync(pool, database, "INBOX")] == [(Kind.FLAGS, 4)]
    pool.close()


def test_a_move_by_another_client_is_one_moved_event(
    server: DovecotServer, other: IMAPClient, database: Database
) -> None:
    pool = pool_for(server.imap_settings)
    (message_id,) = append(other, "INBOX", 1)
    sync(pool, database, "INBOX", "Factures")
    other.select_folder("INBOX")
    other.move([1], "Factures")
    events = sync(pool, database, "INBOX", "Factures")
    assert len(events) == 1
    moved = events[0]
    assert (moved.kind, moved.folder, moved.uid) == (Kind.MOVED, "INBOX", 1)
    assert moved.detail["to_folder"] == "Factures"
    assert moved.detail["message_id"] == message_id
    assert cached_flags(database, "Factures") == server_flags(other, "Factures")
    assert cached_flags(database, "INBOX") == {}
    pool.close()


def test_a_deleted_folder_is_dropped_from_the_cache(
    server: DovecotServer, other: IMAPClient, database: Database
) -> None:
    pool = pool_for(server.imap_settings)
    ensure_folders(other, ["Devis", "Archives"])
    append(other, "Devis", 2)
    append(other, "Archives", 1)
    sync(pool, database, "Devis", "Archives", "Factures")
    other.delete_folder("Devis")
    other.delete_folder("Archives")
    sync(pool, database, "Devis")  # asked by name: the server says it is gone
    with database.session() as session:
        assert "Devis" not in cache.cached_folders(session)
        forget_unlisted(session, ["INBOX", "Factures"])  # a listing without it
        session.commit()
        assert cache.cached_folders(session) == ["Factures"]
        assert cache.page_of(session, "Archives", 1, 50) is None
    pool.close()


def test_uidvalidity_change_rebuilds_the_folder(
    server: DovecotServer, other: IMAPClient, database: Database
) -> None:
    pool = pool_for(server.imap_settings)
    append(other, "Factures", 3)
    sync(pool, database, "Factures")
    other.delete_folder("Factures")  # recreated: a new UIDVALIDITY
    other.create_folder("Factures")
    append(other, "Factures", 2)
    assert sync(pool, database, "Factures") == []
    assert cached_flags(database, "Factures") == server_flags(other, "Factures")
    assert sorted(cached_flags(database, "Factures")) == [1, 2]
    pool.close()


def test_an_app_change_recorded_during_a_sync_is_not_reported_again(
    server: DovecotServer, other: IMAPClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race behind duplicate events: the sync reads the cache, the app
    stores a flag and records it, then the sync's fetch sees that flag."""
    pool = pool_for(server.imap_settings)
    append(other, "INBOX", 2)
    sync(pool, database, "INBOX", "Factures")
    original = sync_module.fetch_delta

    def fetch_while_the_app_acts(*args: object, **kwargs: object) -> object:
        stored = changes.set_flag(other, MessageRef("INBOX", 1), FLAGGED, True)  # the app's STORE
        other.move([2], "Factures")  # ...and the app's MOVE
        with database.session() as session:  # ...recorded by its request
            feed.record_own_flags(session, MessageRef("INBOX", 1), stored, "claire")
            feed.record_own(
                session,
                [Event(Kind.MOVED, "INBOX", uid=2, detail={"to_folder": "Factures", "to_uid": 1})],
            )
            session.commit()
        return original(*args, **kwargs)

    monkeypatch.setattr(sync_module, "fetch_delta", fetch_while_the_app_acts)
    assert sync(pool, database, "INBOX") == []
    monkeypatch.setattr(sync_module, "fetch_delta", original)
    assert sync(pool, database, "Factures") == []
    assert cached_flags(database, "INBOX") == server_flags(other, "INBOX")
    assert cached_flags(database, "Factures") == server_flags(other, "Factures")
    pool.close()


def test_a_catch_up_reads_only_the_rows_that_changed(
    server: DovecotServer, other: IMAPClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With QRESYNC the cache is asked about the changed UIDs alone: no
    statement reads or writes the folder's rows without naming their UIDs,
    and none names more than the changed ones."""
    pool = pool_for(server.imap_settings)
    append(other, "INBOX", 40)
    sync(pool, database, "INBOX")
    other.select_folder("INBOX")
    other.add_flags([7, 30], ["\\Answered"])
    other.delete_messages([12])
    other.expunge()
    append(other, "INBOX", 1)
    monkeypatch.setattr(cache, "flags_by_uid", _not_called)
    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "message_cache" in statement:
            statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", remember)
    try:
        events = sync(pool, database, "INBOX")
    finally:
        event.remove(database.engine, "before_cursor_execute", remember)
    assert sorted((e.kind.value, e.uid) for e in events) == [
        ("expunged", 12),
        ("flags", 7),
        ("flags", 30),
        ("new", 41),
    ]
    assert statements
    for statement, parameters in statements:
        verb = statement.split()[0]
        if verb == "SELECT":  # by UID, naming the folder and 3 UIDs at most
            assert "message_cache.uid IN (" in statement, statement
            assert len(parameters) <= 4, (statement, parameters)
        elif verb in ("UPDATE", "DELETE"):  # by row, 2 rows at most
            rows = parameters if isinstance(parameters, list) else [parameters]
            assert "WHERE message_cache.id = " in statement and len(rows) <= 2, statement
    assert cached_flags_of(database, "INBOX") == server_flags(other, "INBOX")
    pool.close()


def _not_called(*args: object) -> None:
    raise AssertionError("the whole folder's flags were read")


def cached_flags_of(database: Database, folder: str) -> dict[int, tuple[str, ...]]:
    """cached_flags, whatever the test did to cache.flags_by_uid."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(cache, "flags_by_uid", ORIGINAL_FLAGS_BY_UID)
    try:
        return cached_flags(database, folder)
    finally:
        monkeypatch.undo()


ORIGINAL_FLAGS_BY_UID = cache.flags_by_uid


@pytest.mark.parametrize("qresync", [True, False], ids=["qresync", "condstore"])
def test_flags_fetched_before_the_apps_own_change_are_not_written_back(
    server: DovecotServer,
    other: IMAPClient,
    database: Database,
    qresync: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The race: the sync fetches another client's change, then the app
    changes the same message and records it at its STORE's OK, then the
    sync writes. The sync's flags are older (a lower MODSEQ): the cache
    keeps the app's, and nothing is reported, now or at the echo."""
    if not qresync:  # a server with CONDSTORE alone: VANISHED is not an answer
        monkeypatch.setattr("teaminbox.imap.connection.enable_qresync", _condstore_alone)
    pool, app_pool = pool_for(server.imap_settings), pool_for(server.imap_settings)
    append(other, "INBOX", 3)
    sync(pool, database, "INBOX")
    other.select_folder("INBOX")
    other.add_flags([2], ["\\Answered"])
    original = sync_module.fetch_delta
    fetched: list[FolderDelta] = []

    def fetch_then_the_app_acts(*args: Any, **kwargs: Any) -> FolderDelta:
        delta = original(*args, **kwargs)
        fetched.append(delta)
        ref = MessageRef("INBOX", 2)
        with app_pool.borrow() as client:
            stored = changes.set_flag(client, ref, FLAGGED, True)
        with database.session() as session:
            feed.record_own_flags(session, ref, stored, "claire")
            session.commit()
        return delta

    monkeypatch.setattr(sync_module, "fetch_delta", fetch_then_the_app_acts)
    assert sync(pool, database, "INBOX") == []
    (delta,) = fetched
    assert delta.flags[2].flags == ("\\Answered",)
    monkeypatch.setattr(sync_module, "fetch_delta", original)
    assert cached_flags(database, "INBOX")[2] == ("\\Answered", "\\Flagged")
    assert sync(pool, database, "INBOX") == []  # the echo of the app's STORE
    assert cached_flags(database, "INBOX") == server_flags(other, "INBOX")
    pool.close()
    app_pool.close()


def _condstore_alone(client: IMAPClient) -> bool:
    client.enable("CONDSTORE")
    return False


def test_another_clients_change_after_the_apps_own_is_applied(
    server: DovecotServer, other: IMAPClient, database: Database
) -> None:
    pool, app_pool = pool_for(server.imap_settings), pool_for(server.imap_settings)
    append(other, "INBOX", 2)
    sync(pool, database, "INBOX")
    ref = MessageRef("INBOX", 1)
    with app_pool.borrow() as client:
        stored = changes.set_flag(client, ref, FLAGGED, True)
    with database.session() as session:
        feed.record_own_flags(session, ref, stored, "claire")
        session.commit()
    other.select_folder("INBOX")
    other.remove_flags([1], [FLAGGED])
    other.add_flags([1], ["\\Seen"])
    (changed,) = sync(pool, database, "INBOX")
    assert (changed.kind, changed.uid, changed.actor) == (Kind.FLAGS, 1, None)
    assert changed.flags == ("\\Seen",)
    assert changed.detail["was"] == [FLAGGED]
    assert cached_flags(database, "INBOX") == server_flags(other, "INBOX")
    assert sync(pool, database, "INBOX") == []
    pool.close()
    app_pool.close()


def test_correlate_moves_pairs_only_across_folders() -> None:
    gone = Event(Kind.EXPUNGED, "INBOX", uid=4, detail={"message_id": "<a@x>", "subject": "s"})
    same_folder = Event(Kind.NEW, "INBOX", uid=9, detail={"message_id": "<a@x>", "subject": "s"})
    elsewhere = Event(Kind.NEW, "Archive", uid=2, detail={"message_id": "<a@x>", "subject": "s"})
    unrelated = Event(Kind.NEW, "Archive", uid=3, detail={"message_id": "<b@x>", "subject": "t"})
    result = correlate_moves([gone, same_folder, elsewhere, unrelated])
    assert same_folder in result and unrelated in result
    assert gone not in result and elsewhere not in result
    moved = [e for e in result if e.kind is Kind.MOVED]
    assert [(m.folder, m.uid, m.detail["to_folder"], m.detail["to_uid"]) for m in moved] == [
        ("INBOX", 4, "Archive", 2)
    ]
