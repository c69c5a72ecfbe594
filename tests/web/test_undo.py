"""Delete with undo, against a Dovecot of this module's own (the tests
empty its Trash): the message goes back exactly as it was, for as long as
it stays in the Trash, and only for those who may."""

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

from teaminbox import close_app
from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.domain import Role
from teaminbox.imap.append import ensure_folders
from teaminbox.services import accounts
from teaminbox.services.rights import set_grant
from teaminbox.store.models import AuditRow
from tests.conftest import PASSWORD, build_app, csrf_token, log_in
from tests.imap_helpers import add_message, locate, uid_of

TRASH = "Trash"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    server = start_dovecot(tmp_path_factory.mktemp("undo"))
    yield server
    stop_dovecot(server, purge=True)


@pytest.fixture
def imap(server: DovecotServer) -> Iterator[IMAPClient]:
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.login(server.user, server.password)
    yield client
    client.logout()


@pytest.fixture
def folder(imap: IMAPClient) -> str:
    name = f"Devis-{uuid.uuid4().hex[:6]}"
    ensure_folders(imap, [name, TRASH])
    return name


@pytest.fixture
def app(server: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = build_app(server, tmp_path)
    with app.extensions["teaminbox.database"].session() as session:
        accounts.create_user(session, "bruno", PASSWORD, Role.STAFF, "Bruno Petit")
        session.commit()
    yield app
    close_app(app)


def client_of(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def grant(app: Flask, username: str, pattern: str, rights: str) -> None:
    with app.extensions["teaminbox.database"].session() as session:
        set_grant(session, None, pattern, rights, username=username)
        session.commit()


def post(client: FlaskClient, url: str, form: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/folders/INBOX")
    return client.post(url, data={"csrf_token": token, **(form or {})})


def delete(client: FlaskClient, folder: str, uid: int) -> str:
    """Delete from the browser; the page it lands on, as HTML."""
    response = post(client, f"/folders/{folder}/messages/{uid}/delete")
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def undo_url(page: str) -> str | None:
    match = re.search(r'<form class="undo-form" method="post" action="([^"]+)"', page)
    return match.group(1) if match else None


def audit_actions(app: Flask) -> list[str]:
    with app.extensions["teaminbox.database"].session() as session:
        return [row.action for row in session.scalars(select(AuditRow).order_by(AuditRow.id))]


def test_delete_then_undo_restores_the_exact_message(
    app: Flask, imap: IMAPClient, folder: str
) -> None:
    alice = client_of(app, "alice")
    message_id, uid = add_message(imap, folder, ["\\Flagged", "\\Seen", "$Devis"])

    page = delete(alice, folder, uid)
    url = undo_url(page)
    assert url is not None, "the page after a delete offers to undo it"
    assert locate(imap, message_id, [folder, TRASH]) == {TRASH: [{"\\Flagged", "\\Seen", "$Devis"}]}
    assert undo_url(alice.get(f"/folders/{folder}").get_data(as_text=True)) is None, "once"

    response = post(alice, url)

    assert response.status_code == 303
    assert locate(imap, message_id, [folder, TRASH]) == {
        folder: [{"\\Flagged", "\\Seen", "$Devis"}]
    }
    back = uid_of(imap, folder, message_id)
    assert response.headers["Location"].endswith(f"/folders/{folder}/messages/{back}")
    assert audit_actions(app)[-2:] == ["message.delete", "message.restore"]
    assert post(alice, url).status_code == 409, "restored already: nothing to undo"


def test_the_deleter_may_undo_without_any_right_on_the_trash(
    app: Flask, imap: IMAPClient, folder: str
) -> None:
    grant(app, "alice", TRASH, "")  # the Trash does not exist for her
    alice = client_of(app, "alice")
    message_id, uid = add_message(imap, folder)

    url = undo_url(delete(alice, folder, uid))
    assert url is not None
    assert post(alice, url).status_code == 303
    assert locate(imap, message_id, [folder, TRASH]) == {folder: [set()]}


def test_others_need_t_on_the_trash_and_i_on_the_folder(
    app: Flask, imap: IMAPClient, folder: str
) -> None:
    alice, bruno = client_of(app, "alice"), client_of(app, "bruno")
    message_id, uid = add_message(imap, folder)
    url = undo_url(delete(alice, folder, uid))
    assert url is not None
    in_trash = uid_of(imap, TRASH, message_id)

    grant(app, "bruno", TRASH, "lr")
    assert post(bruno, url).status_code == 403
    grant(app, "bruno", TRASH, "")
    assert post(bruno, url).status_code == 404, "a hidden Trash does not exist"
    grant(app, "bruno", TRASH, "lrt")
    grant(app, "bruno", folder, "lr")
    assert post(bruno, url).status_code == 403, "no i where it goes back"
    assert locate(imap, message_id, [folder, TRASH]) == {TRASH: [set()]}

    claire = client_of(app, "claire")
    view = claire.get(f"/folders/{TRASH}/messages/{in_trash}").get_data(as_text=True)
    assert f"Deleted from {folder} by alice" in view
    assert f"Restore to {folder}" in view
    assert post(claire, url).status_code == 303
    assert locate(imap, message_id, [folder, TRASH]) == {folder: [set()]}


def test_only_what_the_app_deleted_can_be_restored(
    app: Flask, imap: IMAPClient, folder: str
) -> None:
    claire = client_of(app, "claire")
    message_id, uid = add_message(imap, folder)
    imap.select_folder(folder)
    imap.move([uid], TRASH)  # Thunderbird's delete
    in_trash = uid_of(imap, TRASH, message_id)

    response = post(claire, f"/folders/{TRASH}/messages/{in_trash}/restore")

    assert response.status_code == 409
    assert "was not deleted in TeamInbox" in response.get_data(as_text=True)
    assert "Restore to" not in claire.get(f"/folders/{TRASH}/messages/{in_trash}").get_data(
        as_text=True
    )
    assert locate(imap, message_id, [folder, TRASH]) == {TRASH: [set()]}


def test_undo_ends_when_the_trash_is_emptied(app: Flask, imap: IMAPClient, folder: str) -> None:
    alice, claire = client_of(app, "alice"), client_of(app, "claire")
    message_id, uid = add_message(imap, folder)
    url = undo_url(delete(alice, folder, uid))
    assert url is not None

    assert post(claire, f"/folders/{TRASH}/empty", {"confirm": "1"}).status_code == 303

    assert post(alice, url).status_code in (404, 409)
    assert locate(imap, message_id, [folder, TRASH]) == {}
