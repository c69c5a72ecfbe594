"""The "Why not POP?" page: its figures match a mailbox with a known
history, hidden folders count for nothing, the live POP3 demonstration
shows the server's lock answer and leaves the mailbox exactly as it was,
and only managers may run it (private Dovecot with pop3_lock_session)."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient

from teaminbox import close_app
from teaminbox.demo.dovecot import DovecotServer
from teaminbox.services import why_pop
from teaminbox.services.rights import RightsView, set_grant
from teaminbox.store.db import Database
from teaminbox.store.models import PopWarning
from teaminbox.store.users import find_user
from tests.conftest import csrf_token, log_in
from tests.pop_history import CLAIMS, EXPECTED, FOLDERS, LOCKED, office_app, seeded_office

HTMX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    with seeded_office(tmp_path_factory.mktemp("why-pop"), lock_session=True) as server:
        yield server


@pytest.fixture
def app(office: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = office_app(office, tmp_path)
    yield app
    close_app(app)


def page_text(client: FlaskClient, path: str = "/why-pop", **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_the_figures_are_this_mailboxs_own(app: Flask) -> None:
    database: Database = app.extensions["teaminbox.database"]
    with database.session() as session:
        claire = find_user(session, "claire")
        assert claire is not None
        figures = why_pop.figures(
            session, RightsView.load(session, claire), datetime.now(UTC), not_arrivals={"Sent"}
        )
    assert figures.staff == EXPECTED["staff"]
    assert figures.arrived_week == EXPECTED["arrived_week"]
    assert figures.arrived_month == EXPECTED["arrived_month"]
    assert figures.in_inbox == EXPECTED["in_inbox"]
    assert figures.outside_inbox == EXPECTED["outside_inbox"]
    assert {f.folder: f.messages for f in figures.elsewhere} == {CLAIMS: 2, "Sent": 1}
    assert figures.answered == EXPECTED["answered"]
    assert figures.answered_by == EXPECTED["answered_by"]
    assert {p.name: p.downloaded for p in figures.replay} == EXPECTED["downloaded"]
    assert {p.name: (p.handled, p.handled_but_elsewhere) for p in figures.replay} == {
        "Alice Martin": (2, 2),
        "Bob Durand": (0, 0),
        "Claire Moreau": (2, 1),
    }
    assert figures.handled == EXPECTED["handled"]
    assert figures.misrouted == EXPECTED["misrouted"]
    assert figures.double_answer_risk == EXPECTED["double_answer_risk"]


def test_the_page_shows_them_in_both_languages(client: FlaskClient) -> None:
    log_in(client, "claire")
    english = page_text(client, **{"Accept-Language": "en"})
    assert "3 people use this mailbox in TeamInbox." in english
    assert "Messages arrived in the last 7 days: 3; in the last 30 days: 5." in english
    assert "Messages in the INBOX: 6; in other folders: 3." in english
    assert "3 messages are marked as answered." in english
    assert "Alice Martin: 2" in english and "Claire Moreau: 1" in english
    assert "Messages someone dealt with: 4. Under POP3, 3 of them would have landed" in english
    assert "1 answered message was also dealt with by a second person" in english
    assert "Simulation" in english
    assert "Show the server's answers" in english
    french = page_text(client, **{"Accept-Language": "fr"})
    assert "Pourquoi pas POP ?" in french
    assert "3 personnes utilisent cette boîte dans TeamInbox." in french
    assert "Messages arrivés ces 7 derniers jours : 3 ; ces 30 derniers jours : 5." in french
    for english_only in ("people use this mailbox", "What POP3 cannot share", "Why not POP?"):
        assert english_only not in french


def test_a_hidden_folder_adds_nothing(app: Flask, client: FlaskClient) -> None:
    database: Database = app.extensions["teaminbox.database"]
    with database.session() as session:
        set_grant(session, None, CLAIMS, "", username="alice")
        session.commit()
    log_in(client, "alice")
    page = page_text(client, **{"Accept-Language": "en"})
    assert CLAIMS not in page
    assert "Messages arrived in the last 7 days: 2; in the last 30 days: 4." in page
    assert "Messages in the INBOX: 6; in other folders: 1." in page
    assert "Messages someone dealt with: 3. Under POP3, 2 of them would have landed" in page
    # Staff may read the page but not run the demonstration.
    assert "Show the server's answers" not in page


def snapshot(server: DovecotServer) -> dict[str, dict[int, tuple[bytes, frozenset[bytes]]]]:
    """Every message of every folder: its bytes and flags (without \\Recent,
    which belongs to whichever session looks first)."""
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=30)
    client.login(server.user, server.password)
    try:
        found = {}
        for folder in FOLDERS:
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            data = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
            found[folder] = {
                uid: (item[b"BODY[]"], frozenset(item[b"FLAGS"]) - {b"\\Recent"})
                for uid, item in data.items()
            }
        return found
    finally:
        client.logout()


def test_the_demonstration_shows_the_lock_and_changes_nothing(
    office: DovecotServer, client: FlaskClient
) -> None:
    before = snapshot(office)
    log_in(client, "claire")
    token = csrf_token(client, "/why-pop")
    started = client.post("/why-pop/demonstration", data={"csrf_token": token}, headers=HTMX)
    assert started.status_code == 200
    poll = re.search(r'hx-get="(/why-pop/demonstration/[^"]+)"', started.get_data(as_text=True))
    assert poll, "the partial polls its run"
    waited = False
    deadline = time.monotonic() + 40
    while True:
        part = html.unescape(client.get(poll.group(1), headers=HTMX).get_data(as_text=True))
        waited = waited or "waiting for the server" in part
        if 'hx-trigger="every 1s"' not in part:
            break
        assert time.monotonic() < deadline, "the demonstration never ended"
        time.sleep(0.2)
    assert LOCKED in part
    assert "PASS ********" in part and office.password not in part
    assert "+OK 6 messages:" in part  # LIST shows the INBOX alone
    assert waited, "the page showed the second login waiting"
    assert "RETR" not in part and "DELE " not in part
    assert snapshot(office) == before
    # Without htmx, the same run is a page of its own.
    assert LOCKED in page_text(client, poll.group(1))


def test_only_managers_run_it_and_a_forged_post_is_refused(client: FlaskClient) -> None:
    log_in(client, "alice")
    token = csrf_token(client, "/why-pop")
    refused = client.post("/why-pop/demonstration", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "You do not have the right to do this." in refused.get_data(as_text=True)
    assert client.get("/why-pop/demonstration/whatever").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    log_in(client, "claire")
    assert client.post("/why-pop/demonstration").status_code == 400  # no CSRF token
    unknown = page_text(client, "/why-pop/demonstration/not-a-run")
    assert "no longer available" in unknown


def test_the_demonstration_is_rate_limited(
    office: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = office_app(office, tmp_path, RATELIMIT_ENABLED=True)
    try:
        client = app.test_client()
        log_in(client, "claire")
        token = csrf_token(client, "/why-pop")
        answers = [
            client.post("/why-pop/demonstration", data={"csrf_token": token}, headers=HTMX)
            for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        # Repeated clicks joined one run: one token, never a pile of sessions.
        tokens = {
            re.findall(r"/why-pop/demonstration/([\w-]+)", a.get_data(as_text=True))[0]
            for a in answers[:3]
        }
        assert len(tokens) == 1
        runs = app.extensions["teaminbox.pop_demonstrations"]
        deadline = time.monotonic() + 40
        (run,) = tokens
        while not runs.transcript(run)[1]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        close_app(app)


def test_managers_see_the_detectors_warning_until_one_dismisses_it(
    app: Flask, client: FlaskClient
) -> None:
    database: Database = app.extensions["teaminbox.database"]
    removed = '[{"uid":1,"message_id":"<m1@pop-history.test>","subject":"Request m1"}]'
    with database.session() as session:
        warning = PopWarning(folder="INBOX", removed=removed)
        session.add(warning)
        session.commit()
        warning_id = warning.id
    log_in(client, "alice")
    assert "outside TeamInbox" not in page_text(client, "/folders/INBOX")
    token = csrf_token(client, "/why-pop")
    dismiss = f"/why-pop/warnings/{warning_id}/dismiss"
    assert client.post(dismiss, data={"csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    log_in(client, "claire")
    for path in ("/folders/INBOX", "/why-pop"):
        page = page_text(client, path, **{"Accept-Language": "en"})
        assert "Something outside TeamInbox is removing mail from the INBOX" in page
        assert "<m1@pop-history.test>" in page and "Request m1" in page
    french = page_text(client, "/why-pop", **{"Accept-Language": "fr"})
    assert "Quelque chose en dehors de TeamInbox" in french
    token = csrf_token(client, "/why-pop")
    assert client.post(dismiss).status_code == 400  # no CSRF token
    answer = client.post(dismiss, data={"csrf_token": token, "next": "/why-pop"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/why-pop")
    assert "outside TeamInbox" not in page_text(client, "/why-pop")
    assert client.post(dismiss, data={"csrf_token": token}).status_code == 404
