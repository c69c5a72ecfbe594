"""Shared fixtures: a real private Dovecot seeded with the office mailbox
(started once per run), the app wired to it, and logged-in clients."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient
from sqlalchemy import create_engine, text

from teaminbox import close_app, create_app
from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.demo.mailbox import office_mailbox, seed_office_mailbox
from teaminbox.domain import Role
from teaminbox.imap.append import append_messages, ensure_folders
from teaminbox.services import accounts
from teaminbox.store import migrate
from teaminbox.store.db import Database
from tests import hostile_mail

PASSWORD = "correct horse battery"
SEED_TIME = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    """The test mailbox: the demo's office mail plus a folder of hostile mail."""
    server = start_dovecot(tmp_path_factory.mktemp("dovecot"))
    try:
        seed_office_mailbox(server, SEED_TIME)
        client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=60)
        client.login(server.user, server.password)
        ensure_folders(client, [hostile_mail.FOLDER])
        append_messages(client, hostile_mail.FOLDER, hostile_mail.messages(SEED_TIME))
        client.logout()
        yield server
    finally:
        stop_dovecot(server, purge=True)


@pytest.fixture(scope="session")
def office_counts() -> dict[str, int]:
    """How many messages the seed puts in each folder."""
    counts: dict[str, int] = {}
    for message in office_mailbox(SEED_TIME):
        counts[message.folder] = counts.get(message.folder, 0) + 1
    return counts


@pytest.fixture
def imap(dovecot: DovecotServer) -> Iterator[IMAPClient]:
    """Another mail client on the same account, as Thunderbird would be."""
    client = IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=10)
    client.login(dovecot.user, dovecot.password)
    try:
        yield client
    finally:
        client.logout()


def database_urls() -> list[str]:
    return ["sqlite", *(["postgresql"] if os.environ.get("TEAMINBOX_TEST_DATABASE_URL") else [])]


@pytest.fixture(params=database_urls())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: SQLite in tmp_path, or a fresh PostgreSQL database
    made for this test on the server in TEAMINBOX_TEST_DATABASE_URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    admin_url = os.environ["TEAMINBOX_TEST_DATABASE_URL"]
    name = f"teaminbox_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    migrate.upgrade(db)
    yield db
    db.dispose()


def app_config(dovecot: DovecotServer, instance: Path, **overrides: object) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": f"sqlite:///{instance / 'teaminbox.db'}",
        "IMAP_HOST": dovecot.host,
        "IMAP_PORT": dovecot.imap_port,
        "IMAP_SECURITY": "none",
        "IMAP_USER": dovecot.user,
        "IMAP_PASSWORD": dovecot.password,
        "IMAP_TIMEOUT": 10.0,
        "RATELIMIT_ENABLED": False,
        # Tests that need the watcher and the event stream turn it on.
        "LIVE_UPDATES": False,
        # Streams wake up often, so that a closed test stream ends at once.
        "EVENTS_KEEPALIVE_SECONDS": 0.2,
        **overrides,
    }


def build_app(dovecot: DovecotServer, instance: Path, **overrides: object) -> Flask:
    """The app on `dovecot` with its database in `instance`, migrated, with
    Claire (manager) and Alice (staff)."""
    app = create_app(app_config(dovecot, instance, **overrides))
    database: Database = app.extensions["teaminbox.database"]
    migrate.upgrade(database)
    with database.session() as session:
        accounts.create_user(session, "claire", PASSWORD, Role.MANAGER, "Claire Moreau")
        accounts.create_user(session, "alice", PASSWORD, Role.STAFF, "Alice Martin")
        session.commit()
    return app


@pytest.fixture
def app(dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = build_app(dovecot, tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the session, as a page hands it to its forms."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page) or re.search(
        r'"X-CSRFToken": "([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, username: str = "alice", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


@pytest.fixture
def alice(client: FlaskClient) -> FlaskClient:
    """A client logged in as Alice (staff)."""
    assert log_in(client).status_code == 302
    return client
