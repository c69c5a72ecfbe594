"""Reply, reply all and forward from the browser's point of view (the Flask
test client), against the real Dovecot and a real SMTP server: the form,
autosaved drafts, sending, the collision guard, hostile input, rights."""

# The fixtures imported from tests.replying are parameters of the tests below.
# ruff: noqa: F811

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient
from werkzeug.test import TestResponse

from teaminbox.services.rights import set_grant
from tests.conftest import csrf_token, log_in
from tests.event_stream import EventStreamReader
from tests.imap_helpers import flags_of
from tests.replying import (  # noqa: F401 (fixtures, imported to be used by name)
    SHARED,
    Originals,
    originals,
    reply_app,
    sent_copies,
    smtp,
)
from tests.smtp_server import SmtpSink, free_port


@pytest.fixture
def alice(reply_app: Flask) -> FlaskClient:
    client = reply_app.test_client()
    assert log_in(client, "alice").status_code == 302
    return client


@pytest.fixture
def claire(reply_app: Flask) -> FlaskClient:
    client = reply_app.test_client()
    assert log_in(client, "claire").status_code == 302
    return client


@pytest.fixture
def message(originals: Originals) -> tuple[str, str, int]:
    """(Message-ID, folder, UID) of a fresh message to answer."""
    message_id, uid = originals.add(subject="Où est mon colis ?")
    return message_id, originals.folder, uid


def url(folder: str, uid: int, mode: str = "reply", action: str = "") -> str:
    return f"/folders/{folder}/messages/{uid}/{mode}" + (f"/{action}" if action else "")


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no field {name}"
    return html.unescape(match.group(1))


def form_of(page: str) -> dict[str, str]:
    """What the compose form would post as it stands."""
    fields = {
        name: hidden(page, name)
        for name in ("csrf_token", "message_id", "answered_at_open", "opened_at", "to", "cc")
    }
    fields["subject"] = hidden(page, "subject")
    body = re.search(
        r'<textarea id="compose-body" name="body"[^>]*>\n?(.*?)</textarea>', page, re.S
    )
    assert body
    fields["body"] = html.unescape(body.group(1))
    return fields


def open_form(client: FlaskClient, folder: str, uid: int, mode: str = "reply") -> dict[str, str]:
    response = client.get(url(folder, uid, mode))
    assert response.status_code == 200
    return form_of(response.get_data(as_text=True))


def send(client: FlaskClient, folder: str, uid: int, form: Mapping[str, object]) -> TestResponse:
    """Post the reply form to send it."""
    return client.post(url(folder, uid, action="send"), data=form)


def grant_alice(app: Flask, pattern: str, letters: str) -> None:
    with app.extensions["teaminbox.database"].session() as session:
        set_grant(session, None, pattern, letters, username="alice")
        session.commit()


def plain(imap: IMAPClient, folder: str, uid: int) -> set[str]:
    return flags_of(imap, folder, uid) - {"\\Recent"}


def test_the_reply_form_starts_with_recipient_subject_signature_and_quote(
    alice: FlaskClient, message: tuple[str, str, int]
) -> None:
    _, folder, uid = message
    token = csrf_token(alice, "/preferences")
    saved = alice.post(
        "/preferences/signature",
        data={"signature": "Alice Martin\r\nService client", "csrf_token": token},
    )
    assert saved.status_code == 303

    response = alice.get(url(folder, uid))
    page = response.get_data(as_text=True)
    form = form_of(page)

    assert form["to"] == "Jean Dupont <jean.dupont@example.com>"
    assert form["subject"] == "Re: Où est mon colis ?"
    assert form["body"].startswith("\n\n-- \nAlice Martin\nService client\n\n")
    assert "> where is my parcel?" in form["body"]
    assert f"Alice Martin \N{EN DASH} Contact &lt;{SHARED}&gt;" in page
    assert '"activity": "replying"' in html.unescape(page)
    assert 'hx-trigger="input delay:2s"' in page


def test_a_message_page_offers_reply_reply_all_and_forward(
    alice: FlaskClient, message: tuple[str, str, int]
) -> None:
    _, folder, uid = message
    page = alice.get(f"/folders/{folder}/messages/{uid}").get_data(as_text=True)
    for mode in ("reply", "reply-all", "forward"):
        assert f'href="{url(folder, uid, mode)}"' in page


def test_an_autosaved_draft_comes_back_when_the_reply_is_opened_again(
    alice: FlaskClient, message: tuple[str, str, int]
) -> None:
    _, folder, uid = message
    form = open_form(alice, folder, uid)
    form["body"] = "Half-written answer"
    saved = alice.post(url(folder, uid, action="draft"), data=form, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert "Draft saved at" in saved.get_data(as_text=True)

    assert open_form(alice, folder, uid)["body"] == "Half-written answer"
    assert open_form(alice, folder, uid, "forward")["body"] != "Half-written answer"

    form = open_form(alice, folder, uid)
    assert alice.post(url(folder, uid, action="discard"), data=form).status_code == 303
    assert open_form(alice, folder, uid)["body"] != "Half-written answer"


def test_sending_delivers_keeps_a_copy_marks_answered_and_tells_everyone(
    alice: FlaskClient,
    claire: FlaskClient,
    smtp: SmtpSink,
    imap: IMAPClient,
    message: tuple[str, str, int],
) -> None:
    message_id, folder, uid = message
    with EventStreamReader(claire) as stream:
        stream.wait_for(lambda m: m.event == "hello")
        form = open_form(alice, folder, uid)
        form["body"] = "Il part aujourd'hui.\n" + form["body"]
        response = send(alice, folder, uid, form)

        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/folders/{folder}/messages/{uid}")
        fact = stream.wait_for_fact("flags", folder=folder, uid=uid)
        assert fact["flags"] == ["\\Answered"] and fact["actor"] == "alice"
    received = smtp.wait_for()
    assert received.message["In-Reply-To"] == message_id
    assert received.text.startswith("Il part aujourd'hui.\n")
    assert sent_copies(imap, received.message["Message-ID"]) == [{"\\Seen"}]
    assert plain(imap, folder, uid) == {"\\Answered"}
    page = alice.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reply sent to jean.dupont@example.com." in page


def test_with_the_smtp_server_down_the_reply_stays_a_draft(
    alice: FlaskClient,
    reply_app: Flask,
    imap: IMAPClient,
    message: tuple[str, str, int],
) -> None:
    _, folder, uid = message
    reply_app.config["SMTP_PORT"] = free_port()
    form = open_form(alice, folder, uid)
    form["body"] = "Do not lose me"

    response = send(alice, folder, uid, form)

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "cannot be reached right now" in page
    assert form_of(page)["body"] == "Do not lose me"
    assert plain(imap, folder, uid) == set()
    assert open_form(alice, folder, uid)["body"] == "Do not lose me"


def test_an_answer_from_thunderbird_meanwhile_holds_the_send_until_confirmed(
    alice: FlaskClient,
    smtp: SmtpSink,
    imap: IMAPClient,
    message: tuple[str, str, int],
) -> None:
    _, folder, uid = message
    form = open_form(alice, folder, uid)
    assert form["answered_at_open"] == "0"
    imap.select_folder(folder)
    imap.add_flags([uid], ["\\Answered"])

    held = send(alice, folder, uid, form)

    assert held.status_code == 409
    page = held.get_data(as_text=True)
    assert "marked answered in another mail client after you opened your reply" in page
    assert "Send anyway" in page
    smtp.assert_nothing_arrived()
    again = form_of(page)
    assert again["answered_at_open"] == "0" and again["opened_at"] == form["opened_at"]

    sent = send(alice, folder, uid, {**again, "confirm": "1"})
    assert sent.status_code == 303
    smtp.wait_for()


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("to", "jean@example.com\r\nBcc: victim@example.com", "is not a mail address"),
        ("cc", "Eve <eve@example.com>\nX-Evil: yes", "is not a mail address"),
        ("to", "nobody", "“nobody” is not a mail address"),
        ("to", "", "Add at least one recipient."),
    ],
)
def test_bad_recipients_are_refused_clearly_and_the_text_is_kept(
    alice: FlaskClient,
    smtp: SmtpSink,
    message: tuple[str, str, int],
    field: str,
    value: str,
    shown: str,
) -> None:
    _, folder, uid = message
    form = {**open_form(alice, folder, uid), field: value, "body": "Kept text"}

    response = send(alice, folder, uid, form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert shown in page
    assert form_of(page)["body"] == "Kept text"
    smtp.assert_nothing_arrived()


def test_a_subject_with_a_line_break_cannot_inject_a_header(
    alice: FlaskClient,
    smtp: SmtpSink,
    message: tuple[str, str, int],
) -> None:
    _, folder, uid = message
    form = {**open_form(alice, folder, uid), "subject": "Re: colis\r\nBcc: victim@example.com"}

    assert send(alice, folder, uid, form).status_code == 303

    received = smtp.wait_for()
    assert received.recipients == ("jean.dupont@example.com",)
    assert received.message["Bcc"] is None
    assert received.message["Subject"] == "Re: colis Bcc: victim@example.com"


def test_uploads_are_sent_and_too_large_ones_refused_with_the_limit(
    alice: FlaskClient,
    reply_app: Flask,
    smtp: SmtpSink,
    message: tuple[str, str, int],
) -> None:
    _, folder, uid = message
    reply_app.config["ATTACHMENTS_MAX_BYTES"] = 2000
    form = open_form(alice, folder, uid)

    big = {**form, "attachments": (BytesIO(b"x" * 2001), "big.bin")}
    refused = send(alice, folder, uid, big)
    assert refused.status_code == 413
    assert "The attachments are too large: 2 kB in all at most." in refused.get_data(as_text=True)
    smtp.assert_nothing_arrived()

    small = {**form, "attachments": (BytesIO(b"%PDF-1.4"), "../../devis.pdf")}
    assert send(alice, folder, uid, small).status_code == 303
    [attached] = list(smtp.wait_for().message.iter_attachments())
    assert attached.get_filename() == "devis.pdf"
    assert attached.get_content() == b"%PDF-1.4"


def test_a_forged_post_without_csrf_sends_nothing(
    alice: FlaskClient,
    smtp: SmtpSink,
    message: tuple[str, str, int],
) -> None:
    _, folder, uid = message
    form = open_form(alice, folder, uid)
    del form["csrf_token"]
    assert send(alice, folder, uid, form).status_code == 400
    smtp.assert_nothing_arrived()


def test_a_hidden_folder_cannot_be_answered_from(
    alice: FlaskClient,
    reply_app: Flask,
    smtp: SmtpSink,
    message: tuple[str, str, int],
) -> None:
    _, folder, uid = message
    form = open_form(alice, folder, uid)
    grant_alice(reply_app, folder, "")

    assert alice.get(url(folder, uid)).status_code == 404
    assert send(alice, folder, uid, form).status_code == 404
    assert alice.post(url(folder, uid, action="draft"), data=form).status_code == 404
    smtp.assert_nothing_arrived()


def test_without_insert_on_sent_the_page_says_why_and_send_is_forbidden(
    alice: FlaskClient,
    reply_app: Flask,
    smtp: SmtpSink,
    message: tuple[str, str, int],
) -> None:
    _, folder, uid = message
    grant_alice(reply_app, "Sent", "lr")
    page = alice.get(url(folder, uid)).get_data(as_text=True)
    assert "You may not add messages to the Sent folder" in page
    assert ">Send</button>" not in page

    response = send(alice, folder, uid, form_of(page))
    assert response.status_code == 403
    smtp.assert_nothing_arrived()


def test_a_signature_too_long_is_refused(alice: FlaskClient) -> None:
    token = csrf_token(alice, "/preferences")
    response = alice.post(
        "/preferences/signature", data={"signature": "x" * 1001, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "at most 1000 characters" in response.get_data(as_text=True)


def test_the_page_is_in_french_for_french_speakers(
    alice: FlaskClient, message: tuple[str, str, int]
) -> None:
    _, folder, uid = message
    page = alice.get(url(folder, uid), headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Répondre" in page and "Envoyer" in page
    assert "a écrit :" in html.unescape(page)
