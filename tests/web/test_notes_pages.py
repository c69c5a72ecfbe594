"""Internal notes, mentions and the history panel in the browser's requests,
against the real Dovecot: a note is stored, shown, live to colleagues who
may read the folder and to nobody else, hostile text is shown as text, a
refused note comes back to its author, and the activity log names other
mail clients."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient
from sqlalchemy import func, select

from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from teaminbox.services import audit
from teaminbox.services.notes import MAX_NOTE_CHARS
from teaminbox.services.rights import set_grant
from teaminbox.store.db import Database
from teaminbox.store.models import Note
from teaminbox.web.live import message_key
from teaminbox.web.notes import mention_key, notes_key
from tests.conftest import csrf_token, log_in
from tests.event_stream import EventStreamReader
from tests.imap_helpers import add_message

HTMX = {"HX-Request": "true"}


@pytest.fixture
def claire(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "claire").status_code == 302
    return client


@pytest.fixture
def folders(imap: IMAPClient) -> Iterator[tuple[str, str, str]]:
    """A shared folder, one Alice may only look up (`l`), one hidden from her."""
    tag = uuid.uuid4().hex[:8]
    names = (f"Notes-{tag}", f"Notes-{tag}-look", f"Notes-{tag}-hidden")
    ensure_folders(imap, list(names))
    yield names
    mailstore.leave_folder(imap)
    for name in names:
        imap.delete_folder(name)


@pytest.fixture
def message(imap: IMAPClient, folders: tuple[str, str, str]) -> tuple[str, int]:
    """A fresh message of the shared folder: (folder, UID)."""
    _, uid = add_message(imap, folders[0])
    return folders[0], uid


def database(app: Flask) -> Database:
    value: Database = app.extensions["teaminbox.database"]
    return value


def grant(app: Flask, folder: str, rights: str, username: str = "alice") -> None:
    with database(app).session() as session:
        set_grant(session, None, folder, rights, username=username)
        session.commit()


def write(
    client: FlaskClient, folder: str, uid: int, body: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    token = csrf_token(client, "/folders/INBOX")
    response = client.post(
        f"/folders/{folder}/messages/{uid}/notes",
        data={"csrf_token": token, "body": body},
        headers=headers or {},
    )
    return response.status_code, response.get_data(as_text=True)


def note_count(app: Flask) -> int:
    with database(app).session() as session:
        return int(session.scalar(select(func.count()).select_from(Note)) or 0)


def test_a_note_is_stored_shown_and_live_to_a_colleague(
    app: Flask, alice: FlaskClient, claire: FlaskClient, message: tuple[str, int]
) -> None:
    shared, uid = message
    with EventStreamReader(claire) as stream:
        status, _ = write(alice, shared, uid, "Called her back: she pays on Monday.")
        assert status == 303
        fact = stream.wait_for_fact("note", folder=shared, uid=uid)
        assert fact["actor"] == "alice"
        names = [m.event for m in stream.received]
        assert notes_key(shared, uid) in names
        assert message_key(shared, uid) not in names, "a note leaves the row alone"

    page = claire.get(f"/folders/{shared}/messages/{uid}").get_data(as_text=True)
    assert "Called her back: she pays on Monday." in page
    assert "Alice Martin" in section(page, "notes")
    assert "Note added" in section(page, "history")
    listed = claire.get(f"/folders/{shared}/messages/{uid}/notes").get_data(as_text=True)
    assert "Called her back" in listed
    assert note_count(app) == 1


def test_notes_never_reach_who_may_not_read_the_folder(
    app: Flask, alice: FlaskClient, claire: FlaskClient, imap: IMAPClient, folders: tuple[str, ...]
) -> None:
    shared, look, hidden = folders
    grant(app, look, "l")
    grant(app, hidden, "")
    uids = {folder: add_message(imap, folder)[1] for folder in folders}
    with EventStreamReader(alice) as stream:
        for folder in (look, hidden, shared):  # the shared one last: a marker
            assert write(claire, folder, uids[folder], f"secret of {folder}")[0] == 303
        stream.wait_for_fact("note", folder=shared, uid=uids[shared])
        assert not [m for m in stream.received if look in m.data or hidden in m.data]
        assert notes_key(look, uids[look]) not in [m.event for m in stream.received]

    assert alice.get(f"/folders/{look}/messages/{uids[look]}/notes").status_code == 403
    assert alice.get(f"/folders/{look}/messages/{uids[look]}/history").status_code == 403
    assert alice.get(f"/folders/{hidden}/messages/{uids[hidden]}/notes").status_code == 404
    status, page = write(alice, look, uids[look], "may I?")
    assert status == 403 and "You do not have the right to do this." in page
    assert write(alice, hidden, uids[hidden], "may I?")[0] == 404
    assert note_count(app) == 3


def test_a_mention_reaches_the_person_named_until_they_open_the_message(
    app: Flask, alice: FlaskClient, claire: FlaskClient, message: tuple[str, int]
) -> None:
    shared, uid = message
    assert mention_count(alice) == 0
    with EventStreamReader(alice) as stream:
        assert write(claire, shared, uid, "@alice can you call her back?")[0] == 303
        stream.wait_for(lambda m: m.event == mention_key("alice"))

    assert mention_count(alice) == 1
    mentions = alice.get("/mentions").get_data(as_text=True)
    assert "can you call her back?" in mentions
    assert f"/folders/{shared}/messages/{uid}#notes" in mentions
    page = alice.get(f"/folders/{shared}/messages/{uid}").get_data(as_text=True)
    assert '<mark class="mention">@alice</mark>' in page
    assert "mentions you" in page
    seen_url = f"/folders/{shared}/messages/{uid}/notes/seen"
    assert f'hx-post="{seen_url}"' in page  # the page says so when it has loaded

    token = csrf_token(alice, "/folders/INBOX")
    seen = alice.post(seen_url, data={"csrf_token": token}, headers=HTMX)
    assert seen.status_code == 204 and seen.headers["HX-Trigger"] == "mentions-seen"
    assert mention_count(alice) == 0
    assert mention_count(claire) == 0, "nobody mentioned Claire"


def mention_count(client: FlaskClient) -> int:
    link = client.get("/mentions/link").get_data(as_text=True)
    found = re.search(r'data-count="(\d+)"', link)
    return int(found.group(1)) if found else 0


def test_hostile_note_text_is_shown_as_text(
    alice: FlaskClient, claire: FlaskClient, message: tuple[str, int]
) -> None:
    shared, uid = message
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> @claire "quoted"'
    assert write(alice, shared, uid, hostile)[0] == 303
    for page in (
        claire.get(f"/folders/{shared}/messages/{uid}").get_data(as_text=True),
        claire.get("/mentions").get_data(as_text=True),
        claire.get("/admin/activity").get_data(as_text=True),
    ):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_a_refused_note_comes_back_to_its_author(
    app: Flask, alice: FlaskClient, message: tuple[str, int]
) -> None:
    shared, uid = message
    long_note = "Too much to say. " * (MAX_NOTE_CHARS // 10)
    status, part = write(alice, shared, uid, long_note, HTMX)
    assert status == 422
    assert f"A note holds at most {MAX_NOTE_CHARS} characters" in part
    assert long_note.strip() in part, "the draft is given back, not lost"
    status, part = write(alice, shared, uid, " \n ", HTMX)
    assert status == 422 and "The note is empty" in part
    status, page = write(alice, shared, uid, long_note)  # a plain form: the whole page
    assert status == 422 and "<h1>" in page and long_note.strip() in page
    assert note_count(app) == 0


def test_a_refusal_is_said_in_the_persons_language(
    alice: FlaskClient, message: tuple[str, int]
) -> None:
    shared, uid = message
    headers = {**HTMX, "Accept-Language": "fr"}
    status, part = write(alice, shared, uid, "", headers)
    assert status == 422 and "La note est vide" in part


def test_a_note_without_its_csrf_token_is_refused(
    app: Flask, alice: FlaskClient, message: tuple[str, int]
) -> None:
    shared, uid = message
    response = alice.post(f"/folders/{shared}/messages/{uid}/notes", data={"body": "forged"})
    assert response.status_code == 400
    assert note_count(app) == 0


def test_the_history_panel_says_who_did_what(
    alice: FlaskClient, claire: FlaskClient, message: tuple[str, int]
) -> None:
    shared, uid = message
    token = csrf_token(claire, "/folders/INBOX")
    url = f"/folders/{shared}/messages/{uid}/flagged"
    assert claire.post(url, data={"csrf_token": token, "flagged": "1"}).status_code == 303
    panel = alice.get(f"/folders/{shared}/messages/{uid}/history").get_data(as_text=True)
    assert 'data-action="message.flag"' in panel
    assert "Claire Moreau" in panel and "Flagged" in panel
    assert f"sse:{message_key(shared, uid)}" in panel and f"sse:{notes_key(shared, uid)}" in panel


def test_the_activity_log_names_other_mail_clients_and_hides_where_a_message_went(
    app: Flask, claire: FlaskClient
) -> None:
    grant(app, "Secret", "", username="claire")
    with database(app).session() as session:
        audit.record(session, None, "message.flag", "\\Flagged", folder="INBOX", uid=1)
        audit.record(
            session,
            None,
            "message.move",
            "→ Secret (UID 3)",
            folder="INBOX",
            uid=2,
            to_folder="Secret",
        )
        session.commit()
    page = claire.get("/admin/activity").get_data(as_text=True)
    assert page.count("another mail client") == 2
    assert "Secret" not in page
    assert "Flagged" in page and "Moved" in page


def section(page: str, name: str) -> str:
    found = re.search(rf'<section class="{name}".*?</section>', page, re.DOTALL)
    assert found, f"no {name} section"
    return found.group(0)
