"""Rights hold on every route, against the real mailbox: a hidden folder does
not exist, a missing right is a 403, and nothing changes when refused."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient

from teaminbox.domain import Role
from teaminbox.services.rights import set_grant
from tests.conftest import csrf_token
from tests.imap_helpers import flags_of
from tests.pages import without_tokens


def grant(
    app: Flask, pattern: str, rights: str, *, username: str | None = None, role: Role | None = None
) -> None:
    with app.extensions["teaminbox.database"].session() as session:
        set_grant(session, None, pattern, rights, username=username, role=role)
        session.commit()


def some_uid(imap: IMAPClient, folder: str) -> int:
    imap.select_folder(folder, readonly=True)
    return int(imap.search(["ALL"])[0])


@pytest.mark.parametrize(
    ("path", "right"),
    [
        ("/folders/{folder}", "r"),
        ("/folders/{folder}/messages/{uid}", "r"),
        ("/folders/{folder}/messages/{uid}/body", "r"),
        ("/folders/{folder}/messages/{uid}/parts/1", "r"),
    ],
)
def test_reading_routes_need_lookup_and_read(
    app: Flask, alice: FlaskClient, imap: IMAPClient, path: str, right: str
) -> None:
    url = path.format(folder="Factures", uid=some_uid(imap, "Factures"))
    grant(app, "Factures", "", username="alice")
    hidden = alice.get(url)
    assert hidden.status_code == 404
    # The same answer as for a folder that does not exist (but for the echoed path).
    missing = alice.get(path.format(folder="Nowhere", uid=1)).get_data()
    assert without_tokens(missing) == without_tokens(hidden.get_data())
    grant(app, "Factures", "l", username="alice")
    assert alice.get(url).status_code == 403
    grant(app, "Factures", "lr", username="alice")
    assert alice.get(url).status_code in (200, 404)  # 404: a plain message has no body part


def test_hidden_folder_is_gone_from_the_tree_and_counts(app: Flask, alice: FlaskClient) -> None:
    assert ">Réclamations</a>" in alice.get("/folders/INBOX").get_data(as_text=True)
    grant(app, "Réclamations", "", username="alice")
    page = alice.get("/folders/INBOX").get_data(as_text=True)
    assert "Réclamations" not in page
    assert "R%C3%A9clamations" not in page


def test_seen_needs_s_and_nothing_changes_when_refused(
    app: Flask, alice: FlaskClient, imap: IMAPClient
) -> None:
    imap.select_folder("INBOX")
    uid = int(imap.search(["UNSEEN"])[0])
    grant(app, "INBOX", "lr", username="alice")
    page = alice.get(f"/folders/INBOX/messages/{uid}").get_data(as_text=True)
    assert "Mark read" not in page
    token = csrf_token(alice, "/folders/INBOX")
    response = alice.post(
        f"/folders/INBOX/messages/{uid}/seen", data={"seen": "1", "csrf_token": token}
    )
    assert response.status_code == 403
    assert "You do not have the right" in response.get_data(as_text=True)
    assert "\\Seen" not in flags_of(imap, "INBOX", uid)


def test_a_uid_of_a_hidden_folder_is_not_reachable_through_a_visible_one(
    app: Flask, alice: FlaskClient, imap: IMAPClient
) -> None:
    secret = some_uid(imap, "Réclamations")
    grant(app, "Réclamations", "", username="alice")
    hidden = alice.get(f"/folders/R%C3%A9clamations/messages/{secret}")
    assert hidden.status_code == 404
    # The same UID asked for in INBOX shows INBOX's message (if any), never the hidden one.
    response = alice.get(f"/folders/INBOX/messages/{secret}")
    imap.select_folder("Réclamations", readonly=True)
    subject = imap.fetch([secret], ["ENVELOPE"])[secret][b"ENVELOPE"].subject.decode()
    assert subject not in response.get_data(as_text=True)


def test_rights_change_applies_on_the_next_request(app: Flask, alice: FlaskClient) -> None:
    assert alice.get("/folders/Archive").status_code == 200
    grant(app, "Archive", "", role=Role.STAFF)
    assert alice.get("/folders/Archive").status_code == 404
    grant(app, "Archive", "lr", role=Role.STAFF)
    assert alice.get("/folders/Archive").status_code == 200


def test_no_readable_folder_gets_a_clear_page(app: Flask, alice: FlaskClient) -> None:
    grant(app, "*", "", username="alice")
    page = alice.get("/", follow_redirects=True).get_data(as_text=True)
    assert "No folder is shared with you yet" in page
    assert not re.search(r'href="/folders/', page)


def test_cli_grant_and_rights(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["grant", "alice", "Factures", "lr"])
    assert result.exit_code == 0, result.output
    assert "alice on Factures: lr" in result.output
    result = runner.invoke(args=["grant", "--role", "staff", "Archive", ""])
    assert "role staff on Archive: (deny)" in result.output
    lines = dict(
        line.split("\t") for line in runner.invoke(args=["rights", "alice"]).output.splitlines()
    )
    assert lines["Factures"] == "lr"
    assert lines["Archive"] == "-"
    assert lines["INBOX"] == "lrswit"
    assert runner.invoke(args=["grant", "alice", "Fac*", "lr"]).exit_code != 0
    assert runner.invoke(args=["grant", "alice", "--role", "staff", "X", "lr"]).exit_code != 0
