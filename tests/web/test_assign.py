"""Assigning from the browser, against the real Dovecot: only holders of
`assign` may (403 otherwise, nothing changed on the server), the row and
the open message say who has it, everyone who may see the folder hears of
it live, and a keyword set by another mail client reaches the streams too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from teaminbox import close_app
from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from teaminbox.services.rights import set_grant
from teaminbox.store.models import AuditRow
from teaminbox.web.live import message_key
from tests.conftest import build_app, csrf_token, log_in
from tests.event_stream import EventStreamReader
from tests.imap_helpers import add_message, flags_of
from tests.live.test_supervisor import wait_until_heard

READY_WITHIN = 15.0


@pytest.fixture
def claire(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "claire").status_code == 302
    return client


@pytest.fixture
def folders(imap: IMAPClient) -> Iterator[tuple[str, str]]:
    """A folder everyone reads, and one hidden from Alice."""
    tag = uuid.uuid4().hex[:8]
    names = (f"Assign-{tag}", f"Assign-{tag}-hidden")
    ensure_folders(imap, list(names))
    yield names
    mailstore.leave_folder(imap)
    for name in names:
        imap.delete_folder(name)


def hide_from_alice(app: Flask, folder: str) -> None:
    with app.extensions["teaminbox.database"].session() as session:
        set_grant(session, None, folder, "", username="alice")
        session.commit()


def assign(
    client: FlaskClient, folder: str, uid: int, assignee: str, note: str = "", **headers: str
) -> TestResponse:
    token = csrf_token(client, "/folders/INBOX")
    return client.post(
        f"/folders/{folder}/messages/{uid}/assign",
        data={"csrf_token": token, "assignee": assignee, "note": note},
        headers=headers,
    )


def assign_audit(app: Flask) -> list[tuple[str, str, str | None, int | None, str]]:
    with app.extensions["teaminbox.database"].session() as session:
        rows = session.scalars(select(AuditRow).order_by(AuditRow.id))
        return [
            (r.action, r.actor_name, r.folder, r.uid, r.detail)
            for r in rows
            if r.action in ("message.assign", "message.unassign")
        ]


def row_of(page: str, uid: int) -> str:
    found = re.search(rf'<tr id="row-{uid}".*?</tr>', page, re.S)
    assert found, f"no row {uid}"
    return found.group(0)


def test_a_manager_assigns_and_the_row_and_message_say_who(
    app: Flask, claire: FlaskClient, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    folder, _ = folders
    _, uid = add_message(imap, folder)

    response = assign(claire, folder, uid, "alice", "Refund: see the order")

    assert response.status_code == 303
    assert "$Assigned_alice" in flags_of(imap, folder, uid)
    row = row_of(claire.get(f"/folders/{folder}").get_data(as_text=True), uid)
    assert 'data-assignee="alice"' in row
    assert "Alice Martin" in row
    page = claire.get(f"/folders/{folder}/messages/{uid}").get_data(as_text=True)
    assert 'data-assignee="alice"' in page
    assert "Refund: see the order" in page
    assert '<option value="alice" selected>' in page
    assert assign_audit(app) == [
        ("message.assign", "claire", folder, uid, "→ alice: Refund: see the order")
    ]

    response = assign(
        claire, folder, uid, "", **{"HX-Request": "true", "HX-Target": "message-status"}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<nav class="message-nav" id="message-status"')
    assert 'data-assignee=""' in body
    assert not {f for f in flags_of(imap, folder, uid) if f.startswith("$Assigned")}
    row = row_of(claire.get(f"/folders/{folder}").get_data(as_text=True), uid)
    assert "data-assignee" not in row
    assert assign_audit(app)[-1][:4] == ("message.unassign", "claire", folder, uid)


def test_without_assign_it_is_403_and_nothing_changes(
    app: Flask, alice: FlaskClient, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    folder, hidden = folders
    _, uid = add_message(imap, folder)
    _, secret = add_message(imap, hidden)
    hide_from_alice(app, hidden)
    before = flags_of(imap, folder, uid)

    page = alice.get(f"/folders/{folder}/messages/{uid}").get_data(as_text=True)
    assert 'name="assignee"' not in page, "no form without the right"
    response = assign(alice, folder, uid, "alice")
    assert response.status_code == 403
    assert "You do not have the right to do this." in response.get_data(as_text=True)
    assert assign(alice, hidden, secret, "alice").status_code == 404
    french = assign(alice, folder, uid, "alice", **{"Accept-Language": "fr"})
    assert french.status_code == 403
    assert "Vous n" in french.get_data(as_text=True)

    assert flags_of(imap, folder, uid) == before
    assert assign_audit(app) == []


def test_forged_or_hostile_forms_are_refused_clearly(
    app: Flask, claire: FlaskClient, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    folder, hidden = folders
    _, uid = add_message(imap, folder)
    hide_from_alice(app, hidden)
    _, secret = add_message(imap, hidden)
    before = flags_of(imap, folder, uid)

    no_token = claire.post(f"/folders/{folder}/messages/{uid}/assign", data={"assignee": "alice"})
    assert no_token.status_code == 400
    stranger = assign(claire, folder, uid, "mallory")
    assert stranger.status_code == 400
    assert "cannot take the message" in stranger.get_data(as_text=True)
    cannot_read = assign(claire, hidden, secret, "alice")
    assert cannot_read.status_code == 400
    long_note = assign(claire, folder, uid, "alice", "x" * 500)
    assert long_note.status_code == 400
    assert "at most 200 characters" in long_note.get_data(as_text=True)
    assert assign(claire, folder, 999_999, "alice").status_code == 404

    assert flags_of(imap, folder, uid) == before
    assert assign_audit(app) == []


def test_the_form_offers_only_those_who_may_read_the_folder(
    app: Flask, claire: FlaskClient, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    _, hidden = folders
    hide_from_alice(app, hidden)
    _, uid = add_message(imap, hidden)
    page = claire.get(f"/folders/{hidden}/messages/{uid}").get_data(as_text=True)
    assert '<option value="claire"' in page
    assert '<option value="alice"' not in page


def test_the_assignment_reaches_the_stream_of_whoever_sees_the_folder(
    app: Flask,
    alice: FlaskClient,
    claire: FlaskClient,
    imap: IMAPClient,
    folders: tuple[str, str],
) -> None:
    folder, hidden = folders
    hide_from_alice(app, hidden)
    _, uid = add_message(imap, folder)
    _, secret = add_message(imap, hidden)
    stream = EventStreamReader(alice)
    try:
        assert assign(claire, hidden, secret, "claire").status_code == 303
        assert assign(claire, folder, uid, "alice", "yours").status_code == 303
        fact = stream.wait_for_fact("assigned", folder=folder, uid=uid)
        assert fact["actor"] == "claire"
        assert fact["detail"] == {"assignee": "alice", "previous": None, "note": "yours"}
        assert message_key(folder, uid) in [m.event for m in stream.received], "the row re-reads"
        assert not [m for m in stream.received if hidden in m.data]
    finally:
        stream.close()


def test_the_views_list_mine_and_the_unassigned(
    app: Flask,
    alice: FlaskClient,
    claire: FlaskClient,
    imap: IMAPClient,
    folders: tuple[str, str],
) -> None:
    folder, hidden = folders
    hide_from_alice(app, hidden)
    _, mine = add_message(imap, folder)
    _, free = add_message(imap, folder)
    _, secret = add_message(imap, hidden)
    assert assign(claire, folder, mine, "alice").status_code == 303
    assert assign(claire, hidden, secret, "claire").status_code == 303

    page = alice.get(f"/assignments?who=mine&folder={folder}").get_data(as_text=True)
    assert f'data-uid="{mine}"' in page and f'data-uid="{free}"' not in page
    page = alice.get(f"/assignments?who=unassigned&folder={folder}").get_data(as_text=True)
    assert f'data-uid="{free}"' in page and f'data-uid="{mine}"' not in page
    everywhere = alice.get("/assignments?who=assigned").get_data(as_text=True)
    assert f'data-folder="{folder}"' in everywhere
    assert hidden not in everywhere
    assert alice.get(f"/assignments?folder={hidden}").status_code == 404
    mine_of_claire = claire.get("/assignments?who=assigned&assignee=claire").get_data(as_text=True)
    assert f'data-uid="{secret}"' in mine_of_claire and f'data-folder="{hidden}"' in mine_of_claire
    partial = alice.get(
        f"/assignments?who=mine&folder={folder}",
        headers={"HX-Request": "true", "HX-Target": "assignments"},
    ).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="assignments"')


@pytest.fixture
def private_server(tmp_path: Path) -> Iterator[DovecotServer]:
    server = start_dovecot(tmp_path / "dovecot")
    yield server
    stop_dovecot(server, purge=True)


@pytest.fixture
def live_app(
    private_server: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = build_app(private_server, tmp_path, LIVE_UPDATES=True, WATCH_POLL_SECONDS=0.5)
    yield app
    close_app(app)


def test_a_keyword_set_in_another_client_reaches_the_stream_live(
    live_app: Flask, private_server: DovecotServer
) -> None:
    other = IMAPClient(private_server.host, port=private_server.imap_port, ssl=False, timeout=10)
    other.login(private_server.user, private_server.password)
    alice = live_app.test_client()
    assert log_in(alice, "alice").status_code == 302
    stream = EventStreamReader(alice)
    try:
        wait_until_heard(stream, other)
        _, uid = add_message(other, "INBOX")
        stream.wait_for_fact("new", timeout=READY_WITHIN, folder="INBOX", uid=uid)
        other.select_folder("INBOX")

        other.add_flags([uid], ["$Assigned_alice"])

        fact = stream.wait_for_fact("assigned", timeout=READY_WITHIN, folder="INBOX", uid=uid)
        assert fact["actor"] is None
        assert fact["detail"]["assignee"] == "alice"
        row = row_of(alice.get("/folders/INBOX").get_data(as_text=True), uid)
        assert 'data-assignee="alice"' in row
        page = alice.get("/assignments?who=mine").get_data(as_text=True)
        assert f'data-uid="{uid}"' in page
        assert "from another mail client" in alice.get(f"/folders/INBOX/messages/{uid}").get_data(
            as_text=True
        )
    finally:
        stream.close()
        other.logout()
