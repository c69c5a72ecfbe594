"""Logging in as oneself: passwords, sessions, CSRF, rate limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from teaminbox.demo.dovecot import DovecotServer
from tests.conftest import PASSWORD, build_app, csrf_token, log_in


def test_pages_need_a_login(client: FlaskClient) -> None:
    response = client.get("/folders/INBOX")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_opens_the_inbox(client: FlaskClient) -> None:
    response = log_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/", follow_redirects=True).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", PASSWORD), ("ALICE ", "wrong password"), ("", "")],
)
def test_failed_login_says_the_same_whatever_was_wrong(
    client: FlaskClient, username: str, password: str
) -> None:
    response = log_in(client, username, password)
    assert response.status_code in (200, 401)
    page = response.get_data(as_text=True)
    if username and password:
        assert response.status_code == 401
        assert "Wrong username or password." in page
    assert client.get("/folders/INBOX").status_code == 302


def test_username_is_not_case_sensitive(client: FlaskClient) -> None:
    assert log_in(client, " Alice", PASSWORD).status_code == 302


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert client.get("/folders/INBOX").status_code == 302


def test_session_cookie_is_http_only_and_same_site(client: FlaskClient) -> None:
    response = log_in(client)
    cookie = "; ".join(response.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_logout_needs_a_post_with_token(alice: FlaskClient) -> None:
    assert alice.get("/logout").status_code == 405
    token = csrf_token(alice, "/folders/INBOX")
    assert alice.post("/logout", data={"csrf_token": token}).status_code == 302
    assert alice.get("/folders/INBOX").status_code == 302


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/folders/Factures", "/folders/Factures"),
        ("https://evil.test/", "/"),
        ("//evil.test/", "/"),
        ("/\\evil.test", "/"),
    ],
)
def test_next_goes_only_to_this_site(client: FlaskClient, target: str, expected: str) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "alice", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == expected


def test_disabled_user_loses_the_session(app: Flask, alice: FlaskClient) -> None:
    database = app.extensions["teaminbox.database"]
    with database.session() as session:
        from teaminbox.store.users import find_user

        user = find_user(session, "alice")
        assert user is not None
        user.active = False
        session.commit()
    assert alice.get("/folders/INBOX").status_code == 302
    assert log_in(alice).status_code == 401


def test_too_many_logins_are_slowed_down(
    dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    client = build_app(dovecot, tmp_path, RATELIMIT_ENABLED=True).test_client()
    statuses = [log_in(client, "alice", f"guess {i}").status_code for i in range(7)]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    assert "Too many attempts" in log_in(client, "alice", "x").get_data(as_text=True)
