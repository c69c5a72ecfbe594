"""Headers every answer carries, and answers to things that are not there."""

from __future__ import annotations

from flask.testing import FlaskClient


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
