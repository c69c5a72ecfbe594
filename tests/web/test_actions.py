"""Acting on the mailbox from the browser, against the real Dovecot: each
action needs its right (DESIGN.md, "Rights"), makes a real change that
another mail client sees, and changes nothing when refused.

Every test works on messages and folders it makes itself and removes them
afterwards, so the seeded counts other tests rely on stay as they are.
"""

from __future__ import annotations

import html
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.domain import Role
from teaminbox.imap.append import ensure_folders
from teaminbox.services.rights import set_grant
from tests.conftest import build_app, csrf_token, log_in
from tests.event_stream import EventStreamReader
from tests.imap_helpers import add_message, locate
from tests.pages import without_tokens
from tests.web.sandbox import ALL_LETTERS, TRASH, Sandbox, audit_actions, grant, snapshot


def post(client: FlaskClient, url: str, form: dict[str, str], **headers: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/folders/INBOX")
    return client.post(url, data={**form, "csrf_token": token}, headers=headers)


@dataclass(frozen=True)
class Action:
    """One route: what it needs, where its message starts, what it does."""

    name: str
    url: str  # {src} {dst} {uid} are filled in
    form: dict[str, str]
    needs: dict[str, str]  # sandbox role ("src", "dst", "trash", "root") → letters
    audit: str
    check: Callable[[IMAPClient, Sandbox, str], None]
    flags: tuple[str, ...] = ()  # of the message the test starts with
    start: str = "src"  # the role of the folder that message starts in
    deny: tuple[str, ...] = ()  # roles given no right at all, to show none is needed


def has_flag(flag: str, present: bool) -> Callable[[IMAPClient, Sandbox, str], None]:
    def check(imap: IMAPClient, box: Sandbox, message_id: str) -> None:
        [flags] = locate(imap, message_id, [box.src])[box.src]
        assert (flag in flags) is present

    return check


def moved_to(role: str) -> Callable[[IMAPClient, Sandbox, str], None]:
    def check(imap: IMAPClient, box: Sandbox, message_id: str) -> None:
        found = locate(imap, message_id, [box.src, box.dst, TRASH])
        assert list(found) == [box.folder(role)]
        assert len(found[box.folder(role)]) == 1

    return check


def marked_deleted_in_trash(imap: IMAPClient, box: Sandbox, message_id: str) -> None:
    assert locate(imap, message_id, [TRASH]) == {TRASH: [{"\\Deleted"}]}


def expunged(imap: IMAPClient, box: Sandbox, message_id: str) -> None:
    assert locate(imap, message_id, [box.src, TRASH]) == {}


def folder_exists(name: str, present: bool = True) -> Callable[[IMAPClient, Sandbox, str], None]:
    def check(imap: IMAPClient, box: Sandbox, message_id: str) -> None:
        full = name.format(src=box.src, dst=box.dst)
        assert (full in {n for _f, _d, n in imap.list_folders()}) is present
        assert (full in {n for _f, _d, n in imap.list_sub_folders()}) is present

    return check


MESSAGE = "/folders/{src}/messages/{uid}"
ACTIONS = [
    Action("flag", MESSAGE + "/flagged", {"flagged": "1"}, {"src": "w"}, "message.flag",
           has_flag("\\Flagged", True)),
    Action("unflag", MESSAGE + "/flagged", {"flagged": "0"}, {"src": "w"}, "message.unflag",
           has_flag("\\Flagged", False), flags=("\\Flagged",)),
    Action("answered", MESSAGE + "/answered", {"answered": "1"}, {"src": "w"},
           "message.answered", has_flag("\\Answered", True)),
    Action("not-answered", MESSAGE + "/answered", {"answered": "0"}, {"src": "w"},
           "message.unanswered", has_flag("\\Answered", False), flags=("\\Answered",)),
    Action("move", MESSAGE + "/move", {"destination": "{dst}"}, {"src": "t", "dst": "i"},
           "message.move", moved_to("dst")),
    Action("delete", MESSAGE + "/delete", {}, {"src": "t"}, "message.delete",
           moved_to("trash"), deny=("trash",)),
    Action("delete-in-trash", "/folders/Trash/messages/{uid}/delete", {}, {"trash": "t"},
           "message.delete", marked_deleted_in_trash, start="trash"),
    Action("expunge", "/folders/{src}/expunge", {}, {"src": "e"}, "folder.expunge", expunged,
           flags=("\\Deleted",)),
    Action("create-subfolder", "/folders/{src}/subfolders", {"name": "Réunions"},
           {"src": "k"}, "folder.create", folder_exists("{src}/Réunions")),
    Action("create-top-level", "/folders", {"name": "{src}-top"}, {"root": "k"},
           "folder.create", folder_exists("{src}-top")),
    Action("delete-folder", "/folders/{dst}/delete", {}, {"dst": "x"}, "folder.delete",
           folder_exists("{dst}", present=False)),
]  # fmt: skip


def prepare(imap: IMAPClient, box: Sandbox, action: Action) -> tuple[str, str, dict[str, str]]:
    """The message the action is about, its URL and form."""
    message_id, uid = add_message(imap, box.folder(action.start), action.flags)
    box.made.append(message_id)
    add_message(imap, box.other)  # a bystander the action must not touch
    fill = {"src": box.src, "dst": box.dst, "uid": uid}
    form = {key: value.format(**fill) for key, value in action.form.items()}
    return message_id, action.url.format(**fill), form


def give(app: Flask, box: Sandbox, action: Action, overrides: dict[str, str]) -> None:
    """The rights the action needs, `l` included, but for `overrides`; none on denied roles."""
    for role, letters in action.needs.items():
        grant(app, box.pattern(role), overrides.get(role, "l" + letters))
    for role in action.deny:
        grant(app, box.pattern(role), "")


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_with_the_right_the_change_is_made_in_the_mailbox(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox, action: Action
) -> None:
    message_id, url, form = prepare(imap, sandbox, action)
    give(app, sandbox, action, {})
    other = snapshot(imap, sandbox)[sandbox.other]

    response = post(alice, url, form)

    assert response.status_code == 303, response.get_data(as_text=True)
    action.check(imap, sandbox, message_id)
    assert snapshot(imap, sandbox)[sandbox.other] == other
    assert audit_actions(app).count(action.audit) == 1


MISSING = [(a, role) for a in ACTIONS for role in a.needs]


@pytest.mark.parametrize(
    ("action", "role"), MISSING, ids=[f"{a.name}-{role}" for a, role in MISSING]
)
def test_without_the_right_it_is_403_and_nothing_changes(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox, action: Action, role: str
) -> None:
    _message_id, url, form = prepare(imap, sandbox, action)
    # Every right but the one needed, so that it is that one letter that counts.
    give(app, sandbox, action, {role: ALL_LETTERS.replace(action.needs[role], "")})
    before = snapshot(imap, sandbox)

    response = post(alice, url, form)

    assert response.status_code == 403
    assert "You do not have the right to do this." in response.get_data(as_text=True)
    assert snapshot(imap, sandbox) == before
    assert action.audit not in audit_actions(app)


HIDDEN = [(a, role) for a in ACTIONS for role in a.needs if role != "root"]


@pytest.mark.parametrize(("action", "role"), HIDDEN, ids=[f"{a.name}-{r}" for a, r in HIDDEN])
def test_in_a_hidden_folder_it_is_404_and_nothing_changes(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox, action: Action, role: str
) -> None:
    _message_id, url, form = prepare(imap, sandbox, action)
    give(app, sandbox, action, {role: ""})
    before = snapshot(imap, sandbox)

    response = post(alice, url, form)

    assert response.status_code == 404
    assert "This folder does not exist." in response.get_data(as_text=True)
    assert snapshot(imap, sandbox) == before


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_without_the_csrf_token_it_is_400_and_nothing_changes(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox, action: Action
) -> None:
    _message_id, url, form = prepare(imap, sandbox, action)
    give(app, sandbox, action, {})
    before = snapshot(imap, sandbox)

    response = alice.post(url, data=form)

    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert snapshot(imap, sandbox) == before


MESSAGE_ACTIONS = [a for a in ACTIONS if "{uid}" in a.url]


@pytest.mark.parametrize("action", MESSAGE_ACTIONS, ids=lambda a: a.name)
def test_a_message_someone_else_moved_meanwhile_gets_a_clear_404(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox, action: Action
) -> None:
    message_id, url, form = prepare(imap, sandbox, action)
    give(app, sandbox, action, {})
    start = sandbox.folder(action.start)
    imap.select_folder(start)
    imap.move(imap.search(["HEADER", "Message-ID", message_id]), sandbox.other)
    before = snapshot(imap, sandbox)

    response = post(alice, url, form)

    assert response.status_code == 404
    assert "someone may have moved or deleted it" in response.get_data(as_text=True)
    assert snapshot(imap, sandbox) == before


def test_a_uid_of_a_hidden_folder_does_nothing_through_a_visible_one(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    message_id, uid = add_message(imap, sandbox.src)
    grant(app, sandbox.src, "")  # hidden
    grant(app, sandbox.dst, ALL_LETTERS)  # visible, with every right, and empty
    grant(app, sandbox.other, ALL_LETTERS)
    before = snapshot(imap, sandbox)
    for action, form in [
        ("flagged", {"flagged": "1"}),
        ("answered", {"answered": "1"}),
        ("move", {"destination": sandbox.other}),
        ("delete", {}),
    ]:
        response = post(alice, f"/folders/{sandbox.dst}/messages/{uid}/{action}", form)
        assert response.status_code == 404, action
    assert snapshot(imap, sandbox) == before
    assert locate(imap, message_id, [sandbox.src]) == {sandbox.src: [set()]}


def test_a_move_into_a_hidden_folder_looks_like_one_that_does_not_exist(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    _message_id, uid = add_message(imap, sandbox.src)
    grant(app, sandbox.dst, "")
    before = snapshot(imap, sandbox)
    url = f"/folders/{sandbox.src}/messages/{uid}/move"

    hidden = post(alice, url, {"destination": sandbox.dst})
    missing = post(alice, url, {"destination": f"{sandbox.dst}-nowhere"})

    assert hidden.status_code == missing.status_code == 404
    assert without_tokens(hidden.get_data()) == without_tokens(missing.get_data())
    assert snapshot(imap, sandbox) == before


def test_creating_a_folder_named_like_a_hidden_one_does_not_reveal_it(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    grant(app, "*", "lrswitk")
    grant(app, sandbox.dst, "")
    before = snapshot(imap, sandbox)

    hidden = post(alice, "/folders", {"name": sandbox.dst})
    visible = post(alice, "/folders", {"name": sandbox.other})

    assert hidden.status_code == visible.status_code == 409
    assert "already exists" not in hidden.get_data(as_text=True)
    assert "already exists" in visible.get_data(as_text=True)
    assert snapshot(imap, sandbox) == before


def test_a_move_into_a_folder_without_insert_is_403(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    _message_id, uid = add_message(imap, sandbox.src)
    grant(app, sandbox.dst, "lr")
    before = snapshot(imap, sandbox)
    response = post(
        alice, f"/folders/{sandbox.src}/messages/{uid}/move", {"destination": sandbox.dst}
    )
    assert response.status_code == 403
    assert snapshot(imap, sandbox) == before


def test_two_people_moving_the_same_message_at_once(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    claire = app.test_client()
    assert log_in(claire, "claire").status_code == 302
    for _round in range(3):
        message_id, uid = add_message(imap, sandbox.src)
        sandbox.made.append(message_id)
        url = f"/folders/{sandbox.src}/messages/{uid}/move"

        answers = at_once([alice, claire], url, {"destination": sandbox.dst})

        assert sorted(status for _client, status, _text in answers) == [303, 404]
        [(loser, page)] = [(client, text) for client, status, text in answers if status == 404]
        notice = gone_notice_as_shown(loser, page)
        assert f"Moved to {sandbox.dst} by " in notice, "who was first, and where it went"
        assert "Alice Martin" in notice or "Claire Moreau" in notice
        assert locate(imap, message_id, [sandbox.src, sandbox.dst, TRASH]) == {sandbox.dst: [set()]}
    assert audit_actions(app).count("message.move") == 3


def at_once(
    clients: list[FlaskClient], url: str, form: dict[str, str]
) -> list[tuple[FlaskClient, int, str]]:
    """POST the same form from each client, released together; who got which answer."""
    tokens = [csrf_token(client, "/folders/INBOX") for client in clients]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[FlaskClient, int, str]] = []

    def send(client: FlaskClient, token: str) -> None:
        barrier.wait()
        response = client.post(url, data={**form, "csrf_token": token})
        answers.append((client, response.status_code, response.get_data(as_text=True)))

    threads = [
        threading.Thread(target=send, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def gone_notice_as_shown(client: FlaskClient, page: str) -> str:
    """The gone notice of an error page as its reader sees it: the page's
    own when it already says who moved the message, else the one htmx
    fetches when the page's event stream names the message (the winner of
    a race may commit after the loser's page is made)."""
    live = re.search(r'<div class="gone-live" hx-get="([^"]+)"\s+hx-trigger="sse:([^"]+)"', page)
    assert live is not None, "the notice listens to the event stream"
    if 'class="gone-notice"' in page:
        return page
    stream_url = re.search(r'sse-connect="([^"]+)"', page)
    assert stream_url is not None
    stream = EventStreamReader(client, html.unescape(stream_url[1]))
    try:
        stream.wait_for(lambda message: message.event == live[2])
    finally:
        stream.close()
    return client.get(html.unescape(live[1])).get_data(as_text=True)


def test_flag_with_htmx_swaps_the_status_bar_in_place(
    alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    _message_id, uid = add_message(imap, sandbox.src)
    response = post(
        alice,
        f"/folders/{sandbox.src}/messages/{uid}/flagged",
        {"flagged": "1"},
        **{"HX-Request": "true", "HX-Target": "message-status"},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<nav class="message-nav" id="message-status"')
    flags = re.search(rf'data-uid="{uid}" data-folder="{sandbox.src}" data-flags="([^"]*)"', body)
    assert flags and "\\Flagged" in flags.group(1).split()
    assert "Unflag" in body


def test_buttons_show_only_with_the_right(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    _message_id, uid = add_message(imap, sandbox.src)
    page_url = f"/folders/{sandbox.src}/messages/{uid}"
    grant(app, "*", "lr")
    grant(app, sandbox.src, "lr")
    page = alice.get(page_url).get_data(as_text=True)
    for label in (">Flag<", ">Mark answered<", ">Move<", ">Delete<", "Mark read"):
        assert label not in page
    grant(app, sandbox.src, "lrswt")
    grant(app, sandbox.dst, "li")
    page = alice.get(page_url).get_data(as_text=True)
    for label in (">Flag<", ">Mark answered<", ">Move<", ">Delete<", "Mark read"):
        assert label in page
    # Only the folders with `i` are offered as destinations.
    select = re.search(r'<select id="move-destination".*?</select>', page, re.DOTALL)
    assert select and re.findall(r'<option value="([^"]*)"', select.group(0)) == [sandbox.dst]
    assert f'data-uid="{uid}" data-folder="{sandbox.src}" data-flags="' in page


def test_folder_actions_show_only_with_the_right(
    app: Flask, alice: FlaskClient, sandbox: Sandbox
) -> None:
    grant(app, sandbox.src, "lr")
    page = alice.get(f"/folders/{sandbox.src}").get_data(as_text=True)
    assert "Folder actions" not in page
    grant(app, sandbox.src, "lrekx")
    page = alice.get(f"/folders/{sandbox.src}").get_data(as_text=True)
    for label in (
        "Remove the messages marked for deletion",
        "New folder inside",
        "Delete this folder",
    ):
        assert label in page
    assert "Empty Trash" not in page
    assert "New top-level folder" not in page  # staff hold no `k` on `*`
    grant(app, TRASH, "lrekx")
    trash = alice.get("/folders/Trash").get_data(as_text=True)
    assert "Empty Trash" in trash
    assert "Delete this folder" not in trash


@pytest.mark.parametrize(
    ("url", "form", "sentence"),
    [
        ("/folders/INBOX/delete", {}, "special folders cannot be deleted"),
        ("/folders/Trash/delete", {}, "special folders cannot be deleted"),
        ("/folders/{dst}/delete", {}, "still holds messages"),
        ("/folders/{other}/delete", {}, "has subfolders"),
        ("/folders/{src}/subfolders", {"name": "a/b"}, "cannot contain a slash"),
        ("/folders/{src}/subfolders", {"name": "  "}, "cannot be empty"),
        ("/folders/{src}/subfolders", {"name": "x%y"}, "percent sign"),
        ("/folders/{src}/subfolders", {"name": "Existing"}, "already exists"),
        ("/folders/{src}/empty", {"confirm": "1"}, "Only the Trash can be emptied"),
        ("/folders/{src}/messages/{uid}/move", {"destination": "{src}"}, "already in this folder"),
    ],
)
def test_what_makes_no_sense_is_refused_with_a_sentence(
    app: Flask,
    alice: FlaskClient,
    imap: IMAPClient,
    sandbox: Sandbox,
    url: str,
    form: dict[str, str],
    sentence: str,
) -> None:
    _message_id, uid = add_message(imap, sandbox.src)
    add_message(imap, sandbox.dst)
    ensure_folders(imap, [f"{sandbox.other}/Child", f"{sandbox.src}/Existing"])
    grant(app, "*", ALL_LETTERS)
    before = snapshot(imap, sandbox)
    fill = {"src": sandbox.src, "dst": sandbox.dst, "other": sandbox.other, "uid": uid}
    response = post(
        alice, url.format(**fill), {key: value.format(**fill) for key, value in form.items()}
    )
    assert response.status_code in (400, 409)
    assert sentence in response.get_data(as_text=True)
    assert snapshot(imap, sandbox) == before


def test_the_imap_server_down_is_a_503(
    dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = build_app(dovecot, tmp_path, IMAP_PORT=closed_port(), IMAP_TIMEOUT=3.0)
    client = app.test_client()
    assert log_in(client).status_code == 302
    token = csrf_token(client, "/folders/INBOX")  # the 503 page carries it too
    for url, form in [
        ("/folders/INBOX/messages/1/flagged", {"flagged": "1"}),
        ("/folders/INBOX/messages/1/move", {"destination": "Archive"}),
        ("/folders/INBOX/messages/1/delete", {}),
        ("/folders/INBOX/messages/1/answered", {"answered": "1"}),
    ]:
        response = client.post(url, data={**form, "csrf_token": token})
        assert response.status_code == 503, url
        assert "The mail server cannot be reached right now" in response.get_data(as_text=True)
    assert not [a for a in audit_actions(app) if a.startswith(("message.", "folder."))]
    app.extensions["teaminbox.database"].dispose()


@pytest.fixture
def own_mailbox(tmp_path: Path) -> Iterator[DovecotServer]:
    """A server of this test's own, whose Trash it may empty."""
    server = start_dovecot(tmp_path / "dovecot")
    yield server
    stop_dovecot(server, purge=True)


def test_emptying_the_trash_needs_e_and_a_ticked_box(
    own_mailbox: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = build_app(own_mailbox, tmp_path)
    imap = IMAPClient(own_mailbox.host, port=own_mailbox.imap_port, ssl=False, timeout=10)
    imap.login(own_mailbox.user, own_mailbox.password)
    try:
        for _ in range(3):
            add_message(imap, TRASH)
        alice = app.test_client()
        log_in(alice, "alice")
        assert post(alice, "/folders/Trash/empty", {"confirm": "1"}).status_code == 403
        claire = app.test_client()
        log_in(claire, "claire")
        page = claire.get("/folders/Trash").get_data(as_text=True)
        assert "Empty Trash" in page
        assert post(claire, "/folders/Trash/empty", {}).status_code == 400
        assert count(imap, TRASH) == 3
        response = post(claire, "/folders/Trash/empty", {"confirm": "1"})
        assert response.status_code == 303
        assert "3 messages removed for good." in claire.get(response.location).get_data(
            as_text=True
        )
        assert count(imap, TRASH) == 0
        assert audit_actions(app)[-1] == "folder.empty"
    finally:
        imap.logout()
        app.extensions["teaminbox.imap_pool"].close()
        app.extensions["teaminbox.database"].dispose()


def test_rights_of_a_role_apply_too(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    message_id, uid = add_message(imap, sandbox.src)
    with app.extensions["teaminbox.database"].session() as session:
        set_grant(session, None, sandbox.src, "lr", role=Role.STAFF)
        session.commit()
    url = f"/folders/{sandbox.src}/messages/{uid}/flagged"
    assert post(alice, url, {"flagged": "1"}).status_code == 403
    assert locate(imap, message_id, [sandbox.src]) == {sandbox.src: [set()]}


def count(imap: IMAPClient, folder: str) -> int:
    imap.select_folder(folder, readonly=True)  # a fresh look, not the session's old one
    return len(imap.search(["ALL"]))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_marking_a_read_message_read_again_is_no_error(
    alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    # Dovecot sends no FETCH when a STORE changes nothing.
    message_id, uid = add_message(imap, sandbox.src, ["\\Seen"])
    url = f"/folders/{sandbox.src}/messages/{uid}/seen"
    assert post(alice, url, {"seen": "1"}).status_code == 302
    assert locate(imap, message_id, [sandbox.src]) == {sandbox.src: [{"\\Seen"}]}
