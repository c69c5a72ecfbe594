"""The IMAP server going away: a clear answer, nothing lost, and recovery."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from tests.conftest import build_app, log_in


@pytest.fixture
def own_dovecot(tmp_path: Path) -> Iterator[DovecotServer]:
    """A server of this test's own, which it may stop and start again."""
    server = start_dovecot(tmp_path / "dovecot")
    yield server
    stop_dovecot(server, purge=True)


@pytest.fixture
def own_client(
    own_dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FlaskClient:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    client = build_app(own_dovecot, tmp_path, IMAP_TIMEOUT=3.0).test_client()
    assert log_in(client).status_code == 302
    return client


def test_server_down_gets_a_clear_503_then_recovers(
    own_dovecot: DovecotServer, own_client: FlaskClient
) -> None:
    assert own_client.get("/folders/INBOX").status_code == 200  # the pool holds a connection
    stop_dovecot(own_dovecot)
    response = own_client.get("/folders/INBOX")
    assert response.status_code == 503
    assert "The mail server cannot be reached right now" in response.get_data(as_text=True)
    french = own_client.get("/folders/INBOX", headers={"Accept-Language": "fr"})
    assert "Le serveur de messagerie est injoignable" in french.get_data(as_text=True)

    start_dovecot(
        own_dovecot.root, imap_port=own_dovecot.imap_port, pop3_port=own_dovecot.pop3_port
    )
    assert own_client.get("/folders/INBOX").status_code == 200


def test_wrong_mailbox_password_is_a_503_not_a_crash(
    own_dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    client = build_app(own_dovecot, tmp_path, IMAP_PASSWORD="not the password").test_client()
    log_in(client)
    assert client.get("/folders/INBOX").status_code == 503
