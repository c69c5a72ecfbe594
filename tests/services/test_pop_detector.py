"""The POP3 detector: a burst of expunges from INBOX by another client,
oldest first, opens a warning naming what went; the app's own deletes,
moves by another client, a couple of expunges or expunges of recent mail
do not (private Dovecot per test, SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imapclient import IMAPClient

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.domain import MessageRef, Role
from teaminbox.imap.append import append_messages
from teaminbox.imap.connection import open_connection
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import accounts, actions, history, pop_detector
from teaminbox.services.rights import RightsView
from teaminbox.services.sync import sync_folders
from teaminbox.store.db import Database
from teaminbox.store.models import PopWarning

FOLDERS = ("INBOX", "Trash", "Archive")
COUNT = 6
SINCE = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def message_id(number: int) -> str:
    return f"<pop-{number}@detector.test>"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DovecotServer]:
    server = start_dovecot(tmp_path / "dovecot")
    client = connect(server)
    client.create_folder("Archive")
    append_messages(
        client,
        "INBOX",
        [
            (
                (
                    f"Subject: Order {n}\r\nMessage-ID: {message_id(n)}\r\n"
                    f"From: client@example.com\r\n\r\nOrder number {n}.\r\n"
                ).encode(),
                (),
                SINCE + timedelta(hours=n),
            )
            for n in range(1, COUNT + 1)
        ],
    )
    client.logout()
    yield server
    stop_dovecot(server, purge=True)


@pytest.fixture
def pool(server: DovecotServer) -> Iterator[ConnectionPool]:
    pool = ConnectionPool(lambda: open_connection(server.imap_settings), size=2)
    yield pool
    pool.close()


@pytest.fixture
def synced(pool: ConnectionPool, database: Database) -> Database:
    """The cache knows the mailbox, as it does before any change is heard."""
    with database.session() as session:
        sync_folders(pool, session, FOLDERS)
        session.commit()
    return database


def connect(server: DovecotServer) -> IMAPClient:
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=30)
    client.login(server.user, server.password)
    return client


def expunge_elsewhere(server: DovecotServer, numbers: list[int]) -> None:
    """What a POP3 client's DELE + QUIT does: gone, for good."""
    client = connect(server)
    client.select_folder("INBOX")
    uids = [u for n in numbers for u in client.search(["HEADER", "Message-ID", message_id(n)])]
    client.add_flags(uids, ["\\Deleted"], silent=True)
    client.uid_expunge(uids)
    client.logout()


def sync_round(pool: ConnectionPool, database: Database) -> PopWarning | None:
    """What the live supervisor does when the watcher signals a change."""
    with database.session() as session:
        events = sync_folders(pool, session, FOLDERS)
        history.record_outside(pool, session, events)
        warning = pop_detector.watch_expunges(session, events)
        session.commit()
        return warning


def open_warnings(database: Database) -> list[pop_detector.RemovalWarning]:
    with database.session() as session:
        return pop_detector.open_warnings(session)


def test_a_burst_of_oldest_first_expunges_warns_managers(
    server: DovecotServer, pool: ConnectionPool, synced: Database
) -> None:
    expunge_elsewhere(server, [1, 2, 3])
    assert sync_round(pool, synced) is not None
    (warning,) = open_warnings(synced)
    assert [(m.message_id, m.subject) for m in warning.removed] == [
        (message_id(n), f"Order {n}") for n in (1, 2, 3)
    ]
    # The same client's next check joins the same warning.
    expunge_elsewhere(server, [4])
    sync_round(pool, synced)
    (warning,) = open_warnings(synced)
    assert [m.message_id for m in warning.removed] == [message_id(n) for n in (1, 2, 3, 4)]
    with synced.session() as session:
        claire = accounts.create_user(session, "claire", "x" * 12, Role.MANAGER)
        assert pop_detector.dismiss(session, warning.id, claire)
        assert not pop_detector.dismiss(session, warning.id, claire)
        session.commit()
    assert open_warnings(synced) == []


def test_the_apps_own_deletes_do_not_warn(
    server: DovecotServer, pool: ConnectionPool, synced: Database
) -> None:
    with synced.session() as session:
        claire = accounts.create_user(session, "claire", "x" * 12, Role.MANAGER)
        view = RightsView.load(session, claire)
        client = connect(server)
        client.select_folder("INBOX", readonly=True)
        oldest = sorted(client.search(["ALL"]))[:3]
        client.logout()
        for uid in oldest:
            actions.delete(pool, session, claire, view, MessageRef("INBOX", uid))
        session.commit()
    assert sync_round(pool, synced) is None
    assert open_warnings(synced) == []


def test_moves_few_or_recent_expunges_do_not_warn(
    server: DovecotServer, pool: ConnectionPool, synced: Database
) -> None:
    client = connect(server)
    client.select_folder("INBOX")
    oldest = sorted(client.search(["ALL"]))[:3]
    client.move(oldest, "Archive")  # Thunderbird filing: `moved`, not `expunged`
    client.logout()
    assert sync_round(pool, synced) is None
    expunge_elsewhere(server, [4, 5])  # fewer than a burst
    assert sync_round(pool, synced) is None
    assert open_warnings(synced) == []


def test_expunging_newer_mail_while_older_stays_does_not_warn(
    server: DovecotServer, pool: ConnectionPool, synced: Database
) -> None:
    expunge_elsewhere(server, [3, 4, 5])  # 1 and 2 stay: not oldest first
    assert sync_round(pool, synced) is None
    assert open_warnings(synced) == []
