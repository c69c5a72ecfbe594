"""The private world of one benchmark run: a Dovecot with a seeded folder,
the app served by werkzeug's threaded server, two logged-in browsers, a
second IMAP client, a raw IMAP connection and the stream reader.

`running_bench` starts it all and stops it in reverse order, whatever
happens (Ctrl-C and `kill` included).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import Flask
from imapclient import IMAPClient
from werkzeug.serving import BaseWSGIServer, make_server

from bench.imap_raw import RawImap
from bench.sse_fleet import Fleet, StreamTarget
from bench.web_client import USER_AGENT, WebClient
from teaminbox import close_app, create_app
from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.domain import Role
from teaminbox.imap.append import Appendable, append_messages, ensure_folders
from teaminbox.services import accounts
from teaminbox.store import migrate
from teaminbox.store.db import Database

FOLDER = "Bench"
PASSWORD = "correct horse battery"  # noqa: S105 - throwaway users of a private run
SERVER_KIND = "werkzeug ThreadedWSGIServer (make_server threaded=True), the embedded default"


@dataclass(frozen=True)
class Options:
    """What the command line asked of one run."""

    streams: tuple[int, ...]
    rounds: int
    warmup: int
    interval: float
    messages: int
    json_path: Path | None
    live: bool  # False: LIVE_UPDATES off, part (a) only (no watcher to measure)


@dataclass(frozen=True)
class Targets:
    """The three messages of the bench folder, one per kind of change, so
    that no round can be confused with another kind's echo."""

    app_uid: int  # (a) toggled by Claire in the app
    floor_uid: int  # (a)'s floor: raw UID STORE
    other_uid: int  # (b) toggled by the other IMAP client


@dataclass
class Bench:
    """Everything one run holds open."""

    dovecot: DovecotServer
    targets: Targets
    app: Flask
    port: int
    claire: WebClient
    alice: WebClient
    thunderbird: IMAPClient
    raw: RawImap
    fleet: Fleet
    flagged: dict[int, bool]

    def target(self) -> StreamTarget:
        headers = (("User-Agent", USER_AGENT), ("Cookie", self.alice.cookie_header()))
        return StreamTarget("127.0.0.1", self.port, "/events", headers)


def seed_folder(server: DovecotServer, count: int) -> Targets:
    """Create FOLDER with `count` plain messages; the first three UIDs are
    the targets."""
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=60)
    client.login(server.user, server.password)
    try:
        ensure_folders(client, [FOLDER])
        append_messages(client, FOLDER, [_message(i) for i in range(count)])
        client.select_folder(FOLDER, readonly=True)
        uids = sorted(client.search("ALL"))
    finally:
        client.logout()
    return Targets(uids[0], uids[1], uids[2])


def _message(index: int) -> Appendable:
    message = EmailMessage()
    message["From"] = f"Customer {index} <customer{index}@example.test>"
    message["To"] = "contact@office.test"
    message["Subject"] = f"Benchmark message {index}"
    message["Message-ID"] = f"<bench-{index}@example.test>"
    message["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
    message.set_content(f"Message {index} of the live latency benchmark.\n")
    return message.as_bytes(), (), datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def build_app(server: DovecotServer, instance: Path, *, live: bool) -> Flask:
    """The app as embedded by default (SQLite, in-process bus, 4 IMAP
    connections), with the watcher on, migrated, with Claire and Alice."""
    # create_app reads instance/config.py and TEAMINBOX_* variables: keep the
    # developer's own instance and settings out of the run.
    os.environ["TEAMINBOX_INSTANCE_PATH"] = str(instance)
    app = create_app(
        {
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{instance / 'teaminbox.db'}",
            "REDIS_URL": None,
            "IMAP_HOST": server.host,
            "IMAP_PORT": server.imap_port,
            "IMAP_SECURITY": "none",
            "IMAP_USER": server.user,
            "IMAP_PASSWORD": server.password,
            "LIVE_UPDATES": live,
        }
    )
    database: Database = app.extensions["teaminbox.database"]
    migrate.upgrade(database)
    with database.session() as session:
        accounts.create_user(session, "claire", PASSWORD, Role.MANAGER, "Claire Moreau")
        accounts.create_user(session, "alice", PASSWORD, Role.STAFF, "Alice Martin")
        session.commit()
    return app


@contextlib.contextmanager
def served(app: Flask) -> Iterator[int]:
    """Serve `app` on a free port in a thread; yield the port; stop it."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="werkzeug", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextlib.contextmanager
def running_bench(options: Options, root: Path) -> Iterator[Bench]:
    """Start everything; stop it all in reverse order, whatever happens."""
    with contextlib.ExitStack() as stack:
        dovecot = start_dovecot(root / "dovecot")
        stack.callback(stop_dovecot, dovecot, purge=True)
        targets = seed_folder(dovecot, options.messages)
        app = build_app(dovecot, root / "instance", live=options.live)
        stack.callback(close_app, app)
        port = stack.enter_context(served(app))
        fleet = Fleet()
        stack.callback(fleet.close)
        claire, alice = WebClient("127.0.0.1", port), WebClient("127.0.0.1", port)
        claire.log_in("claire", PASSWORD)
        alice.log_in("alice", PASSWORD)
        thunderbird = IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=10)
        thunderbird.login(dovecot.user, dovecot.password)
        stack.callback(thunderbird.logout)
        thunderbird.select_folder(FOLDER)
        raw = RawImap(dovecot.host, dovecot.imap_port)
        stack.callback(raw.close)
        raw.log_in(dovecot.user, dovecot.password)
        raw.command(f'SELECT "{FOLDER}"')
        # Open for the whole run, well inside IDLE's 29 minutes.
        fleet.watch_idle(dovecot.host, dovecot.imap_port, dovecot.user, dovecot.password, FOLDER)
        yield Bench(dovecot, targets, app, port, claire, alice, thunderbird, raw, fleet, {})
