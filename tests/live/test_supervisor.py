"""The live path end to end, against a private Dovecot: another mail client's
changes reach the event stream of whoever may see them, the app's own
changes go out once, and a server outage is caught up without a loss.

The app runs with LIVE_UPDATES on: the supervisor starts with the first
request, takes the in-process lease and watches the mailbox.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask, Response, request, request_finished
from flask.testing import FlaskClient
from imapclient import IMAPClient

from teaminbox import close_app, create_app
from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.domain import FolderPage
from teaminbox.imap import mailstore
from teaminbox.imap.append import append_messages, ensure_folders
from teaminbox.imap.connection import open_connection
from teaminbox.imap.errors import ImapUnavailable
from teaminbox.imap.pool import ConnectionPool
from teaminbox.live import supervisor
from teaminbox.live.foreground import Foreground
from teaminbox.live.supervisor import Supervisor
from teaminbox.services.folder_fill import PACE_EVERY
from teaminbox.services.rights import set_grant
from teaminbox.store import cache, watch
from teaminbox.store.db import Database
from teaminbox.web.access import IMAP_POOL, MAILBOX_KEY
from teaminbox.web.extensions import csrf
from teaminbox.web.live import BUS, FOREGROUND, SUPERVISOR, message_key
from tests.conftest import app_config, build_app, csrf_token, log_in
from tests.event_stream import EventStreamReader
from tests.folder_helpers import watch_helpers
from tests.imap_helpers import (
    add_message,
    cached_flags,
    restart,
    server_flags,
    stop_at_once,
)

# The promise for another client's change; Dovecot itself waits
# 500 ms before it tells anyone.
HEARD_WITHIN = 1.0
# Connecting, the first sync of every folder, a reconnection.
READY_WITHIN = 15.0
FOLDERS = ("INBOX", "Factures", "RH")
HIDDEN = "RH"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DovecotServer]:
    server = start_dovecot(tmp_path / "dovecot")
    client = connect(server)
    ensure_folders(client, list(FOLDERS))
    client.logout()
    yield server
    stop_dovecot(server, purge=True)


def connect(server: DovecotServer) -> IMAPClient:
    """Thunderbird on the same account."""
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.login(server.user, server.password)
    return client


@pytest.fixture
def other(server: DovecotServer) -> Iterator[IMAPClient]:
    client = connect(server)
    yield client
    try:
        client.logout()
    except Exception:  # a fault test may have killed its server
        client.shutdown()


@pytest.fixture
def app(server: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = build_app(
        server,
        tmp_path,
        LIVE_UPDATES=True,
        WATCH_POLL_SECONDS=0.5,
        WATCH_BACKOFF_MAX_SECONDS=1.0,
    )
    with app.extensions["teaminbox.database"].session() as session:
        set_grant(session, None, HIDDEN, "", username="alice")
        session.commit()
    yield app
    close_app(app)


@pytest.fixture
def stream(alice: FlaskClient) -> Iterator[EventStreamReader]:
    reader = EventStreamReader(alice)
    yield reader
    reader.close()


def database(app: Flask) -> Database:
    value: Database = app.extensions["teaminbox.database"]
    return value


def cache_is_live(app: Flask) -> bool:
    with database(app).session() as session:
        return watch.is_live(session, app.extensions[MAILBOX_KEY])


def until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def wait_until_heard(stream: EventStreamReader, other: IMAPClient) -> int:
    """Toggle \\Flagged on a marker in INBOX until the stream reports it: then
    the watcher listens and the first sync (which reports nothing) is done.
    The marker's UID."""
    _, marker = add_message(other, "INBOX")
    other.select_folder("INBOX")
    deadline = time.monotonic() + READY_WITHIN
    flagged = False
    while time.monotonic() < deadline:
        flagged = not flagged
        change = other.add_flags if flagged else other.remove_flags
        change([marker], ["\\Flagged"])
        try:
            stream.wait_for_fact("flags", folder="INBOX", uid=marker, timeout=1.5)
            return marker
        except AssertionError:
            continue
    raise AssertionError("the app never heard the other client")


def mark(other: IMAPClient, marker: int, stream: EventStreamReader) -> None:
    """A change after the others: once the stream has it, the stream has
    everything the watcher heard before it."""
    other.select_folder("INBOX")
    other.add_flags([marker], ["\\Answered"])
    stream.wait_for_fact("flags", timeout=READY_WITHIN, folder="INBOX", uid=marker)


def timed(stream: EventStreamReader, kind: str, **fields: Any) -> dict[str, Any]:
    return stream.wait_for_fact(kind, timeout=HEARD_WITHIN, **fields)


def test_another_clients_changes_reach_the_stream_within_a_second(
    stream: EventStreamReader, other: IMAPClient
) -> None:
    wait_until_heard(stream, other)

    _, uid = add_message(other, "Factures")
    arrived = timed(stream, "new", folder="Factures", uid=uid)
    assert arrived["actor"] is None

    other.select_folder("Factures")
    for flag in ("\\Answered", "\\Flagged", "\\Seen", "\\Deleted"):
        other.add_flags([uid], [flag])
        fact = timed(stream, "flags", folder="Factures", uid=uid)
        assert flag in fact["flags"]
    assert set(fact["flags"]) == {"\\Answered", "\\Flagged", "\\Seen", "\\Deleted"}

    other.move([uid], "INBOX")
    moved = timed(stream, "moved", folder="Factures", uid=uid)
    assert moved["detail"]["to_folder"] == "INBOX"
    assert moved["actor"] is None
    assert not [m for m in stream.received if m.event == "expunged"], "a move, not a deletion"


def test_nothing_of_a_folder_without_l_reaches_the_stream(
    stream: EventStreamReader, other: IMAPClient
) -> None:
    marker = wait_until_heard(stream, other)

    _, secret = add_message(other, HIDDEN)
    other.select_folder(HIDDEN)
    other.add_flags([secret], ["\\Answered"])
    other.move([secret], "Factures")  # shows up in Factures: news of a new mail there
    mark(other, marker, stream)

    assert not [m for m in stream.received if f'"{HIDDEN}"' in m.data]
    assert not [m for m in stream.received if m.event == message_key(HIDDEN, secret)]
    assert [m for m in stream.received if m.event == "new" and m.fact["folder"] == "Factures"]


def test_the_apps_own_change_is_published_once(
    app: Flask, stream: EventStreamReader, other: IMAPClient
) -> None:
    marker = wait_until_heard(stream, other)
    _, uid = add_message(other, "Factures")
    timed(stream, "new", folder="Factures", uid=uid)

    claire = app.test_client()
    assert log_in(claire, "claire").status_code == 302
    token = csrf_token(claire, "/folders/INBOX")
    url = f"/folders/Factures/messages/{uid}/flagged"
    assert claire.post(url, data={"csrf_token": token, "flagged": "1"}).status_code == 303
    mine = stream.wait_for_fact("flags", folder="Factures", uid=uid)
    assert mine["actor"] == "claire"
    mark(other, marker, stream)  # made after the echo reached the watcher

    published = [
        m
        for m in stream.received
        if m.event == "flags" and (m.fact["folder"], m.fact["uid"]) == ("Factures", uid)
    ]
    assert len(published) == 1, published


class Unplugged:
    """Keeps the watcher from reconnecting while plugged out, so that a test
    can change the mailbox between the server's restart and the watcher's
    return."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.out = threading.Event()

        def guarded(*args: Any, **kwargs: Any) -> IMAPClient:
            if self.out.is_set():
                raise ImapUnavailable("unplugged by the test")
            return open_connection(*args, **kwargs)

        monkeypatch.setattr("teaminbox.live.watcher.open_connection", guarded)


def test_an_outage_is_caught_up_and_the_cache_ends_as_the_server(
    app: Flask,
    server: DovecotServer,
    stream: EventStreamReader,
    other: IMAPClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plug = Unplugged(monkeypatch)
    marker = wait_until_heard(stream, other)
    _, flagged = add_message(other, "INBOX")
    _, moved = add_message(other, "INBOX")
    _, deleted = add_message(other, "Factures")
    timed(stream, "new", folder="Factures", uid=deleted)

    assert until(lambda: cache_is_live(app), READY_WITHIN)
    plug.out.set()
    stop_at_once(server)
    lost = stream.wait_for_fact("status", timeout=READY_WITHIN)
    assert lost["detail"]["connected"] is False
    assert not cache_is_live(app), "pages no longer trust the cache"

    restart(server)
    meanwhile = connect(server)  # changes the watcher cannot hear
    meanwhile.select_folder("INBOX")
    meanwhile.add_flags([flagged], ["\\Flagged", "\\Answered"])
    meanwhile.move([moved], "Factures")
    meanwhile.select_folder("Factures")
    meanwhile.delete_messages([deleted])
    meanwhile.expunge()
    _, arrived = add_message(meanwhile, "INBOX")
    meanwhile.logout()
    plug.out.clear()

    back = stream.wait_for_fact("status", timeout=READY_WITHIN)
    assert back["detail"]["connected"] is True
    assert cache_is_live(app), "caught up: pages trust the cache again"
    names = [m.event for m in stream.received]
    assert "resync" in names[names.index("status") :], "every part of the page re-reads"
    facts = [(m.event, m.fact["folder"], m.fact["uid"]) for m in stream.received if m.id]
    assert ("flags", "INBOX", flagged) in facts
    assert ("moved", "INBOX", moved) in facts
    assert ("expunged", "Factures", deleted) in facts
    assert ("new", "INBOX", arrived) in facts

    checker = connect(server)
    for folder in FOLDERS:
        assert cached_flags(database(app), folder) == server_flags(checker, folder), folder
    checker.logout()
    mark(connect(server), marker, stream)  # and it listens again


def test_pages_come_from_the_cache_while_it_follows_the_mailbox(
    app: Flask,
    alice: FlaskClient,
    stream: EventStreamReader,
    other: IMAPClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wait_until_heard(stream, other)
    assert until(lambda: cache_is_live(app), READY_WITHIN)

    asked: list[str] = []
    fetch_page = mailstore.fetch_page

    def counted(client: IMAPClient, folder: str, number: int, size: int) -> FolderPage:
        asked.append(folder)
        return fetch_page(client, folder, number, size)

    monkeypatch.setattr(mailstore, "fetch_page", counted)
    _, arrived = add_message(other, "INBOX")
    timed(stream, "new", folder="INBOX", uid=arrived)
    page = alice.get("/folders/INBOX")
    assert page.status_code == 200
    assert f'data-uid="{arrived}"' in page.get_data(as_text=True)
    assert asked == [], "the page came from the cache"

    with database(app).session() as session:
        watch.mark_lost(session, app.extensions[MAILBOX_KEY])
        session.commit()
    assert f'data-uid="{arrived}"' in alice.get("/folders/INBOX").get_data(as_text=True)
    assert asked == ["INBOX"], "a cache nobody keeps live is not trusted"


def test_a_folder_deleted_by_another_client_is_no_longer_read_from_the_cache(
    app: Flask, alice: FlaskClient, stream: EventStreamReader, other: IMAPClient
) -> None:
    wait_until_heard(stream, other)
    ensure_folders(other, ["Ephemeral"])
    _, uid = add_message(other, "Ephemeral")
    assert until(lambda: cached_folder(app, "Ephemeral") and cache_is_live(app), READY_WITHIN)
    listed = f'data-uid="{uid}"'
    assert until(lambda: listed in alice.get("/folders/Ephemeral").get_data(as_text=True), 5)

    other.delete_folder("Ephemeral")
    assert until(lambda: not cached_folder(app, "Ephemeral"), READY_WITHIN)
    assert alice.get("/folders/Ephemeral").status_code == 404


def cached_folder(app: Flask, folder: str) -> bool:
    with database(app).session() as session:
        return folder in cache.cached_folders(session)


def test_the_first_request_warms_the_process_up(app: Flask, client: FlaskClient) -> None:
    """Logging in started the warm-up: INBOX's page was served once to no
    one (as the first manager), and pooled connections are open before the
    first page asks for one."""
    served: list[tuple[str, int]] = []

    def record(_sender: Flask, response: Response, **_extra: object) -> None:
        served.append((request.path, response.status_code))

    with request_finished.connected_to(record, app):
        assert log_in(client).status_code == 302
        assert until(lambda: ("/folders/INBOX", 200) in served, READY_WITHIN)
    assert until(lambda: app.extensions[IMAP_POOL].idle_count >= 2, READY_WITHIN)
    assert [path for path, _status in served].count("/folders/INBOX") == 1


def test_the_log_is_checkpointed_after_the_news_is_out(
    app: Flask, stream: EventStreamReader, other: IMAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync thread copies SQLite's log into the database file once it
    has published a sync's events, so that no catch-up pays for it first."""
    seen: list[str] = []  # "sync" as each sync begins, the events, "checkpoint"
    sync, checkpoint = Supervisor._sync, Database.checkpoint

    def noted_sync(self: Supervisor, folders: set[str] | None) -> None:
        seen.append("sync")
        sync(self, folders)

    def noted_checkpoint(self: Database) -> None:
        seen.append("checkpoint")
        checkpoint(self)

    monkeypatch.setattr(Supervisor, "_sync", noted_sync)
    monkeypatch.setattr(Database, "checkpoint", noted_checkpoint)
    app.extensions[BUS].add_listener(lambda event: seen.append(event.kind.value))
    marker = wait_until_heard(stream, other)
    mark(other, marker, stream)

    def the_flags_sync() -> list[str]:
        """What the sync that published the first flags event did, in order."""
        at = seen.index("flags")
        begun = max(i for i in range(at) if seen[i] == "sync")
        ended = next((i for i in range(at, len(seen)) if seen[i] == "sync"), len(seen))
        return seen[begun:ended]

    assert until(lambda: the_flags_sync()[-1] == "checkpoint", READY_WITHIN)
    assert the_flags_sync().count("checkpoint") == 1


def test_a_first_sync_gives_way_to_a_page_but_never_stops_for_it(
    app: Flask, client: FlaskClient, other: IMAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher's first sync caches each folder whole; while a page is
    being read it waits between paces, and in all no longer than it has
    worked: a page that never ends slows it, never stops it. (A page is
    what CountedRequests counts: tests/live/test_foreground.py.)"""
    when = datetime.now(UTC)
    mail = [(f"Subject: s{i}\r\n\r\nx\r\n".encode(), [], when) for i in range(4 * PACE_EVERY)]
    append_messages(other, "Factures", mail)
    monkeypatch.setattr(supervisor, "GIVE_WAY_SECONDS", 600.0)  # longer than any page
    waits: list[float] = []
    give_way = Foreground.give_way

    def timed(self: Foreground, longest: float) -> None:
        start = time.monotonic()
        give_way(self, longest)
        waits.append(time.monotonic() - start)

    monkeypatch.setattr(Foreground, "give_way", timed)
    page = app.extensions[FOREGROUND]
    page.enter(read=True)  # a page being read, as CountedRequests counts one, never done
    try:
        assert log_in(client).status_code == 302  # starts the watcher
        assert until(lambda: cached_folder(app, "Factures"), READY_WITHIN)
    finally:
        page.leave(read=True)
    assert len(waits) >= 4 and sum(waits) > 0  # it did give way, at each pace


def test_the_watchers_first_sync_reads_a_big_folder_with_a_helper(
    app: Flask, client: FlaskClient, other: IMAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its second half read by another process (services/folder_fill.py),
    as the supervisor logs in for it."""
    when = datetime.now(UTC)
    mail = [(f"Subject: s{i}\r\n\r\nx\r\n".encode(), [], when) for i in range(4 * PACE_EVERY)]
    append_messages(other, "Factures", mail)
    total = other.folder_status("Factures", ["MESSAGES"])[b"MESSAGES"]
    helpers = watch_helpers(monkeypatch, from_size=total)
    assert log_in(client).status_code == 302  # starts the watcher
    assert until(lambda: cached_folder(app, "Factures"), READY_WITHIN)
    with database(app).session() as session:
        state = cache.folder_state(session, "Factures")
        assert state is not None
        assert len(cache.all_uids(session, state)) == total
    assert [(h.folder, h.received) for h in helpers] == [("Factures", total - total // 2)]


def test_the_app_counts_the_requests_it_serves(app: Flask, client: FlaskClient) -> None:
    foreground = app.extensions[FOREGROUND]

    def probe() -> str:
        return f"{foreground.reading} {foreground.writing}"

    app.add_url_rule("/probe", "probe", csrf.exempt(probe), methods=["GET", "HEAD", "POST"])
    assert client.get("/probe").get_data(as_text=True) == "1 0"
    assert client.post("/probe").get_data(as_text=True) == "0 1"
    assert client.head("/probe").status_code == 200
    assert (foreground.reading, foreground.writing) == (0, 0)


def test_with_the_server_away_the_warm_up_does_not_wait_for_it_twice(
    app: Flask, client: FlaskClient, server: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """INBOX's page could not be served: the warm-up opens no more IMAP
    connections (each would wait for the server again, and the watcher
    after them) and the watcher starts, to reconnect on its own."""
    warmed: list[int] = []
    started = threading.Event()
    start = Supervisor.start

    def noted(self: Supervisor) -> None:
        start(self)
        started.set()

    monkeypatch.setattr(ConnectionPool, "warm", lambda self, count: warmed.append(count))
    monkeypatch.setattr(Supervisor, "start", noted)
    stop_at_once(server)
    try:
        assert log_in(client).status_code == 302
        assert started.wait(READY_WITHIN)
        assert warmed == []
    finally:
        restart(server)


REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(
    not (os.environ.get("TEAMINBOX_TEST_DATABASE_URL") and redis_answers()),
    reason="needs the PostgreSQL of TEAMINBOX_TEST_DATABASE_URL and Redis on 127.0.0.1:6379",
)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_watch_once_and_share_every_event(
    server: DovecotServer,
    other: IMAPClient,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two app processes on one PostgreSQL and one Redis, as behind a load
    balancer: one watcher between them, every event in both, once; when
    the watching one stops, the other takes over."""
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    shared: dict[str, object] = {
        "LIVE_UPDATES": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "WATCH_LEASE_SECONDS": 3.0,
        "WATCH_BACKOFF_MAX_SECONDS": 1.0,
    }
    first = build_app(server, tmp_path, **shared)
    second = create_app(app_config(server, tmp_path, **shared))
    alice, claire = first.test_client(), second.test_client()
    assert log_in(alice, "alice").status_code == 302
    assert log_in(claire, "claire").status_code == 302
    on_first, on_second = EventStreamReader(alice), EventStreamReader(claire)
    try:
        marker = wait_until_heard(on_first, other)
        mark(other, marker, on_second)
        supervisors = [app.extensions[SUPERVISOR] for app in (first, second)]
        assert [s.watching for s in supervisors].count(True) == 1

        _, uid = add_message(other, "Factures")
        for stream in (on_first, on_second):
            stream.wait_for_fact("new", folder="Factures", uid=uid)
        other.select_folder("Factures")
        other.add_flags([uid], ["\\Seen"])
        token = csrf_token(claire, "/folders/INBOX")
        url = f"/folders/Factures/messages/{uid}/flagged"
        for stream in (on_first, on_second):
            stream.wait_for_fact("flags", folder="Factures", uid=uid, flags=["\\Seen"])
        assert claire.post(url, data={"csrf_token": token, "flagged": "1"}).status_code == 303
        for stream in (on_first, on_second):
            fact = stream.wait_for_fact("flags", folder="Factures", uid=uid, actor="claire")
            assert fact["flags"] == ["\\Flagged", "\\Seen"]
        other.select_folder("INBOX")
        other.remove_flags([marker], ["\\Answered"])  # heard after any echo of Claire's
        for stream in (on_first, on_second):
            stream.wait_for_fact("flags", folder="INBOX", uid=marker, flags=[])
            facts = [m.fact for m in stream.received if m.event in ("flags", "new")]
            about = [f for f in facts if (f["folder"], f["uid"]) == ("Factures", uid)]
            assert [f["kind"] for f in about] == ["new", "flags", "flags"], about

        watching = first if supervisors[0].watching else second
        survivor, stream = (second, on_second) if watching is first else (first, on_first)
        close_app(watching)
        assert until(lambda: survivor.extensions[SUPERVISOR].watching, READY_WITHIN)
        other.select_folder("Factures")
        other.add_flags([uid], ["\\Answered"])
        fact = stream.wait_for_fact("flags", timeout=READY_WITHIN, folder="Factures", uid=uid)
        assert "\\Answered" in fact["flags"]
    finally:
        on_first.close()
        on_second.close()
        close_app(first)
        close_app(second)
