"""Headers every answer carries, and answers to things that are not there."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from teaminbox.demo.dovecot import DovecotServer
from tests.conftest import build_app, log_in


def test_every_page_has_a_strict_csp_and_security_headers(alice: FlaskClient) -> None:
    for path in ("/login", "/folders/INBOX", "/folders/Nowhere"):
        headers = alice.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "object-src 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_pages_load_nothing_from_elsewhere(alice: FlaskClient) -> None:
    page = alice.get("/folders/INBOX").get_data(as_text=True)
    assert 'src="/static/vendor/htmx-2.0.11.min.js"' in page
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page
    assert "<script>" not in page and "style=" not in page
    assert alice.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200


def test_csrf_token_travels_in_an_htmx_header(alice: FlaskClient) -> None:
    page = alice.get("/folders/INBOX").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page


def test_https_answers_carry_hsts(alice: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in alice.get("/login").headers
    secure = alice.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_logins_are_counted_in_redis_when_processes_share_it(
    dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    key_prefix = f"test-{uuid.uuid4().hex}"
    for n in range(2):
        (tmp_path / str(n)).mkdir()
    apps = [
        build_app(
            dovecot,
            tmp_path / str(n),
            RATELIMIT_ENABLED=True,
            REDIS_URL="redis://127.0.0.1:6379/0",
            RATELIMIT_KEY_PREFIX=key_prefix,
        )
        for n in range(2)
    ]
    statuses = [log_in(apps[n % 2].test_client(), "alice", "wrong").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
