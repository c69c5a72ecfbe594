"""HTML mail in its sandbox, inline images, attachments: safe by default."""

from __future__ import annotations

import base64
import re
import tracemalloc

from flask.testing import FlaskClient
from imapclient import IMAPClient

from teaminbox.demo.attachments import tiny_png
from tests import hostile_mail
from tests.imap_helpers import uid_of


def html_uid(imap: IMAPClient) -> int:
    return uid_of(imap, hostile_mail.FOLDER, hostile_mail.message_id("html"))


def test_html_mail_sits_in_a_sandboxed_iframe(alice: FlaskClient, imap: IMAPClient) -> None:
    uid = html_uid(imap)
    page = alice.get(f"/folders/Tests/messages/{uid}").get_data(as_text=True)
    frame = re.search(r"<iframe[^>]*>", page)
    assert frame
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame.group(0)
    assert "allow-scripts" not in frame.group(0)
    assert "allow-same-origin" not in frame.group(0)
    assert f'src="/folders/Tests/messages/{uid}/body"' in frame.group(0)
    assert "Load remote content" in page


def test_body_route_sends_sanitised_html_with_its_own_strict_csp(
    alice: FlaskClient, imap: IMAPClient
) -> None:
    response = alice.get(f"/folders/Tests/messages/{html_uid(imap)}/body")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp or "'none'" in csp
    assert "https:" not in csp
    body = response.get_data(as_text=True)
    lowered = body.lower()
    for forbidden in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "<svg",
        "<iframe",
        "<form",
        "http-equiv",
        "evil.test",
        hostile_mail.TRACKER,
    ):
        assert forbidden not in lowered, forbidden
    assert "Bonjour, voici votre <b>facture</b>" in body
    assert 'href="https://example.com/ok"' in body


def test_remote_content_loads_only_when_asked(alice: FlaskClient, imap: IMAPClient) -> None:
    uid = html_uid(imap)
    response = alice.get(f"/folders/Tests/messages/{uid}/body?remote=1")
    assert hostile_mail.TRACKER in response.get_data(as_text=True)
    assert "img-src 'self' data: https: http:" in response.headers["Content-Security-Policy"]
    page = alice.get(f"/folders/Tests/messages/{uid}?remote=1").get_data(as_text=True)
    assert f'src="/folders/Tests/messages/{uid}/body?remote=1"' in page
    assert "Load remote content" not in page


def test_cid_images_come_from_the_message(alice: FlaskClient, imap: IMAPClient) -> None:
    body = alice.get(f"/folders/Tests/messages/{html_uid(imap)}/body").get_data(as_text=True)
    src = re.search(
        r'<img[^>]*src="data:image/png;base64,([^"]+)"[^>]*alt="logo"', body
    ) or re.search(r'<img[^>]*alt="logo"[^>]*src="data:image/png;base64,([^"]+)"', body)
    assert src, body
    assert base64.b64decode(src.group(1)) == tiny_png()


def test_attachment_downloads_with_a_safe_name(alice: FlaskClient, imap: IMAPClient) -> None:
    uid = uid_of(imap, hostile_mail.FOLDER, hostile_mail.message_id("malformed"))
    page = alice.get(f"/folders/Tests/messages/{uid}").get_data(as_text=True)
    link = re.search(r'href="(/folders/Tests/messages/\d+/parts/[\d.]+)"', page)
    assert link, page
    response = alice.get(link.group(1))
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert ".." not in disposition and "/" not in disposition
    assert response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_twenty_megabyte_attachment_streams_without_loading_whole(
    alice: FlaskClient, imap: IMAPClient
) -> None:
    uid = uid_of(imap, hostile_mail.FOLDER, hostile_mail.message_id("big"))
    expected = memoryview(hostile_mail.big_attachment_content())
    tracemalloc.start()
    try:
        page = alice.get(f"/folders/Tests/messages/{uid}")
        _, peak_reading = tracemalloc.get_traced_memory()
        assert page.status_code == 200
        assert "Voici les plans" in page.get_data(as_text=True)
        assert "plans rénovation.bin" in page.get_data(as_text=True)
        tracemalloc.reset_peak()
        response = alice.get(f"/folders/Tests/messages/{uid}/parts/2")
        received = 0
        for chunk in response.response:
            assert chunk == expected[received : received + len(chunk)]
            received += len(chunk)
        _, peak_download = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == hostile_mail.BIG_ATTACHMENT_BYTES
    assert "filename*=UTF-8''plans%20r%C3%A9novation.bin" in response.headers["Content-Disposition"]
    # Neither showing the message nor downloading holds the file in memory.
    assert peak_reading < 5 * 1024 * 1024
    assert peak_download < 10 * 1024 * 1024


def test_message_list_and_view_do_not_fetch_bodies_they_do_not_show(
    alice: FlaskClient, imap: IMAPClient
) -> None:
    tracemalloc.start()
    try:
        assert alice.get("/folders/Tests").status_code == 200
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024
