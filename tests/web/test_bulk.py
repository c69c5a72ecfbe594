"""Bulk actions on a selection of a folder's messages, against the real
Dovecot: each message is changed as a single action would change it (the
same right, the same audit row, the same event), only those selected are
touched, a refusal changes nothing, and a message someone else took
meanwhile is reported while the others are done."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient
from werkzeug.test import TestResponse

from teaminbox import close_app
from teaminbox.demo.dovecot import DovecotServer
from teaminbox.imap.errors import ImapUnavailable
from teaminbox.services import actions
from tests.conftest import build_app, csrf_token, log_in
from tests.event_stream import EventStreamReader
from tests.imap_helpers import add_message, locate
from tests.web.sandbox import ALL_LETTERS, TRASH, Sandbox, audit_actions, grant, snapshot

# A form as the test client sends it: a list is a field sent several times.
Form = dict[str, str | list[str]]


@dataclass(frozen=True)
class Bulk:
    """One action of the bar: what it needs and what each message becomes."""

    action: str
    needs: dict[str, str]  # sandbox role → letters
    audit: str | None  # None: the single action writes no audit row either
    done: str  # the flash, for two messages
    start_flags: tuple[str, ...]
    check: Callable[[IMAPClient, Sandbox, str], None]
    form: tuple[tuple[str, str], ...] = ()


def flags_are(*expected: str) -> Callable[[IMAPClient, Sandbox, str], None]:
    def check(imap: IMAPClient, box: Sandbox, message_id: str) -> None:
        assert locate(imap, message_id, [box.src, box.dst, TRASH]) == {box.src: [set(expected)]}

    return check


def moved_to(role: str) -> Callable[[IMAPClient, Sandbox, str], None]:
    def check(imap: IMAPClient, box: Sandbox, message_id: str) -> None:
        found = locate(imap, message_id, [box.src, box.dst, TRASH])
        assert list(found) == [box.folder(role)] and len(found[box.folder(role)]) == 1

    return check


BULKS = [
    Bulk("read", {"src": "s"}, None, "2 messages marked read.", (), flags_are("\\Seen")),
    Bulk("unread", {"src": "s"}, None, "2 messages marked unread.", ("\\Seen",), flags_are()),
    Bulk("flag", {"src": "w"}, "message.flag", "2 messages flagged.", (),
         flags_are("\\Flagged")),
    Bulk("unflag", {"src": "w"}, "message.unflag", "2 messages unflagged.", ("\\Flagged",),
         flags_are()),
    Bulk("answered", {"src": "w"}, "message.answered", "2 messages marked answered.", (),
         flags_are("\\Answered")),
    Bulk("unanswered", {"src": "w"}, "message.unanswered", "2 messages marked not answered.",
         ("\\Answered",), flags_are()),
    Bulk("move", {"src": "t", "dst": "i"}, "message.move", "2 messages moved to {dst}.", (),
         moved_to("dst"), form=(("destination", "{dst}"),)),
    Bulk("delete", {"src": "t"}, "message.delete", "2 messages moved to Trash.", (),
         moved_to("trash")),
]  # fmt: skip


def selection(imap: IMAPClient, box: Sandbox, flags: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """Three messages in the source folder: two to select, one bystander."""
    made = [add_message(imap, box.src, flags) for _ in range(3)]
    box.made.extend(message_id for message_id, _uid in made)
    return made


def bulk_form(bulk: Bulk, box: Sandbox, uids: list[int]) -> Form:
    fill = {"src": box.src, "dst": box.dst}
    form: Form = {"action": bulk.action, "uid": [str(u) for u in uids]}
    return form | {key: value.format(**fill) for key, value in bulk.form}


def give(app: Flask, box: Sandbox, needs: dict[str, str], overrides: dict[str, str]) -> None:
    for role, letters in needs.items():
        grant(app, box.folder(role), overrides.get(role, "lr" + letters))


def send(client: FlaskClient, folder: str, form: Form, **headers: str) -> TestResponse:
    """POST the bar's form for `folder`, with the session's CSRF token."""
    token = csrf_token(client, "/folders/INBOX")
    return client.post(
        f"/folders/{folder}/bulk", data={**form, "csrf_token": token}, headers=headers
    )


def flashes(client: FlaskClient, location: str) -> list[str]:
    page = client.get(location).get_data(as_text=True)
    return re.findall(r'<p class="flash flash-\w+" role="status">([^<]*)</p>', page)


@pytest.mark.parametrize("bulk", BULKS, ids=lambda b: b.action)
def test_the_selected_messages_and_only_they_change_on_the_server(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox, bulk: Bulk
) -> None:
    (first, uid1), (second, uid2), (bystander, _uid3) = selection(imap, sandbox, bulk.start_flags)
    give(app, sandbox, bulk.needs, {})
    before = locate(imap, bystander, [sandbox.src])

    response = send(alice, sandbox.src, bulk_form(bulk, sandbox, [uid1, uid2]))

    assert response.status_code == 303, response.get_data(as_text=True)
    bulk.check(imap, sandbox, first)
    bulk.check(imap, sandbox, second)
    assert locate(imap, bystander, [sandbox.src, sandbox.dst, TRASH]) == before
    expected_audit = 2 if bulk.audit else 0
    assert audit_actions(app).count(bulk.audit or "") == expected_audit
    assert bulk.done.format(dst=sandbox.dst) in flashes(alice, response.location)


MISSING = [(b, role) for b in BULKS for role in b.needs]


@pytest.mark.parametrize(("bulk", "role"), MISSING, ids=[f"{b.action}-{r}" for b, r in MISSING])
def test_without_the_right_it_is_403_and_nothing_changes(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox, bulk: Bulk, role: str
) -> None:
    made = selection(imap, sandbox, bulk.start_flags)
    give(app, sandbox, bulk.needs, {role: ALL_LETTERS.replace(bulk.needs[role], "")})
    before = snapshot(imap, sandbox)

    response = send(
        alice,
        sandbox.src,
        bulk_form(bulk, sandbox, [uid for _m, uid in made]),
    )

    assert response.status_code == 403
    assert "You do not have the right to do this." in response.get_data(as_text=True)
    assert snapshot(imap, sandbox) == before
    assert not [a for a in audit_actions(app) if a.startswith("message.")]


def test_a_hidden_folder_is_not_found_and_its_uids_do_nothing_through_a_visible_one(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    message_id, uid = add_message(imap, sandbox.src)
    grant(app, sandbox.src, "")  # hidden
    grant(app, sandbox.dst, ALL_LETTERS)  # visible, every right, and empty
    grant(app, sandbox.other, ALL_LETTERS)
    before = snapshot(imap, sandbox)

    hidden = send(alice, sandbox.src, {"action": "delete", "uid": str(uid)})
    forged = send(alice, sandbox.dst, {"action": "delete", "uid": str(uid)})

    assert hidden.status_code == 404
    assert "This folder does not exist." in hidden.get_data(as_text=True)
    assert forged.status_code == 303
    assert flashes(alice, forged.location) == [
        "No message was changed.",
        "1 message was no longer in this folder: someone moved or deleted it meanwhile.",
    ]
    assert snapshot(imap, sandbox) == before
    assert locate(imap, message_id, [sandbox.src, TRASH]) == {sandbox.src: [set()]}


def test_a_message_someone_moved_meanwhile_is_reported_and_the_others_are_done(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    made = selection(imap, sandbox)
    taken, _taken_uid = made[1]
    imap.select_folder(sandbox.src)
    imap.move(imap.search(["HEADER", "Message-ID", taken]), sandbox.other)

    response = send(
        alice,
        sandbox.src,
        {"action": "move", "destination": sandbox.dst, "uid": [str(u) for _m, u in made]},
    )

    assert response.status_code == 303
    assert flashes(alice, response.location) == [
        f"2 messages moved to {sandbox.dst}.",
        "1 message was no longer in this folder: someone moved or deleted it meanwhile.",
    ]
    for message_id, _uid in (made[0], made[2]):
        assert list(locate(imap, message_id, [sandbox.src, sandbox.dst, sandbox.other])) == [
            sandbox.dst
        ]
    assert list(locate(imap, taken, [sandbox.src, sandbox.dst, sandbox.other])) == [sandbox.other]
    assert audit_actions(app).count("message.move") == 2


def test_what_was_done_before_the_server_went_away_is_kept_and_the_rest_reported(
    app: Flask,
    alice: FlaskClient,
    imap: IMAPClient,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = selection(imap, sandbox)
    real = actions.set_flagged
    calls: list[int] = []

    def flag_then_lose_the_server(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) > 1:
            raise ImapUnavailable("connection reset")
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "set_flagged", flag_then_lose_the_server)

    response = send(
        alice,
        sandbox.src,
        {"action": "flag", "uid": [str(u) for _m, u in made]},
    )

    assert response.status_code == 303
    assert flashes(alice, response.location) == [
        "1 message flagged.",
        "2 messages were not done: the mail server could not be reached. "
        "Try them again in a moment.",
    ]
    assert [locate(imap, m, [sandbox.src])[sandbox.src] for m, _u in made] == [
        [{"\\Flagged"}],
        [set()],
        [set()],
    ]
    assert audit_actions(app).count("message.flag") == 1


def test_the_server_away_before_anything_is_done_is_a_503(
    app: Flask,
    alice: FlaskClient,
    imap: IMAPClient,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = selection(imap, sandbox)

    def server_gone(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ImapUnavailable("connection refused")

    monkeypatch.setattr(actions, "set_flagged", server_gone)
    response = send(
        alice,
        sandbox.src,
        {"action": "flag", "uid": [str(u) for _m, u in made]},
    )
    assert response.status_code == 503
    assert "Nothing was changed" in response.get_data(as_text=True)


@pytest.fixture
def claire(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "claire").status_code == 302
    return client


@pytest.fixture
def claires_stream(claire: FlaskClient) -> Iterator[EventStreamReader]:
    reader = EventStreamReader(claire)
    yield reader
    reader.close()


def test_another_persons_stream_sees_every_change(
    alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox, claires_stream: EventStreamReader
) -> None:
    made = selection(imap, sandbox)
    uids = [uid for _m, uid in made[:2]]

    flagged = send(alice, sandbox.src, {"action": "flag", "uid": [str(u) for u in uids]})
    moved = send(
        alice,
        sandbox.src,
        {"action": "move", "destination": sandbox.dst, "uid": [str(u) for u in uids]},
    )

    assert flagged.status_code == moved.status_code == 303
    for uid in uids:
        fact = claires_stream.wait_for_fact("flags", folder=sandbox.src, uid=uid)
        assert "\\Flagged" in fact["flags"] and fact["actor"] == "alice"
    for uid in uids:
        fact = claires_stream.wait_for_fact("moved", folder=sandbox.src, uid=uid)
        assert fact["detail"]["to_folder"] == sandbox.dst


@pytest.mark.parametrize(
    ("form", "sentence"),
    [
        ({"action": "flag"}, "Tick at least one message first."),
        ({"action": "flag", "uid": "abc"}, "cannot exist"),
        ({"action": "flag", "uid": "0"}, "cannot exist"),
        ({"action": "flag", "uid": "-3"}, "cannot exist"),
        ({"action": "flag", "uid": "1.5"}, "cannot exist"),
        ({"action": "flag", "uid": ""}, "cannot exist"),
        ({"action": "flag", "uid": "4294967296"}, "cannot exist"),
        ({"action": "flag", "uid": "007"}, "cannot exist"),
        ({"action": "flag", "uid": [str(n) for n in range(1, 52)]}, "At most 50 messages"),
        ({"action": "burn", "uid": "1"}, "Choose an action"),
        ({"uid": "1"}, "Choose an action"),
        ({"action": "move", "uid": "1"}, "Choose the folder to move the messages to."),
    ],
    ids=["none", "word", "zero", "negative", "decimal", "empty", "too-big", "zero-padded",
         "too-many", "unknown-action", "no-action", "no-destination"],
)  # fmt: skip
def test_a_malformed_selection_is_a_clear_400_and_nothing_changes(
    app: Flask,
    alice: FlaskClient,
    imap: IMAPClient,
    sandbox: Sandbox,
    form: Form,
    sentence: str,
) -> None:
    selection(imap, sandbox)
    before = snapshot(imap, sandbox)
    response = send(alice, sandbox.src, form)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert sentence in text and "Nothing was changed." in text
    assert snapshot(imap, sandbox) == before


def test_without_the_csrf_token_it_is_400_and_nothing_changes(
    alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    made = selection(imap, sandbox)
    before = snapshot(imap, sandbox)
    response = alice.post(
        f"/folders/{sandbox.src}/bulk", data={"action": "flag", "uid": str(made[0][1])}
    )
    assert response.status_code == 400
    assert snapshot(imap, sandbox) == before


def test_a_uid_sent_twice_is_acted_on_once(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    message_id, uid = add_message(imap, sandbox.src)
    sandbox.made.append(message_id)
    response = send(alice, sandbox.src, {"action": "delete", "uid": [str(uid), str(uid)]})
    assert flashes(alice, response.location) == ["1 message moved to Trash."]
    assert audit_actions(app).count("message.delete") == 1


def test_the_french_report(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    made = selection(imap, sandbox)
    imap.select_folder(sandbox.src)
    imap.move(imap.search(["HEADER", "Message-ID", made[0][0]]), sandbox.other)
    uids = [str(uid) for _m, uid in made]
    response = send(
        alice,
        sandbox.src,
        {"action": "flag", "uid": uids},
        **{"Accept-Language": "fr"},
    )
    page = alice.get(response.location, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "2 messages marqués comme suivis." in page
    assert "1 message ne se trouvait plus dans ce dossier" in page


def test_the_bar_offers_only_what_the_person_may_do(
    app: Flask, alice: FlaskClient, imap: IMAPClient, sandbox: Sandbox
) -> None:
    selection(imap, sandbox)
    url = f"/folders/{sandbox.src}"
    grant(app, "*", "lr")
    page = alice.get(url).get_data(as_text=True)
    assert 'id="bulk-form"' not in page and 'name="uid"' not in page

    grant(app, sandbox.src, "lrs")
    page = alice.get(url).get_data(as_text=True)
    assert values_of(page) == ["read", "unread"]
    assert page.count('name="uid"') == 3

    grant(app, sandbox.src, "lrw")
    assert values_of(alice.get(url).get_data(as_text=True)) == [
        "flag",
        "unflag",
        "answered",
        "unanswered",
    ]

    grant(app, sandbox.src, "lrswt")
    grant(app, sandbox.dst, "li")
    page = alice.get(url).get_data(as_text=True)
    assert values_of(page) == [
        "read", "unread", "flag", "unflag", "answered", "unanswered", "move", "delete"
    ]  # fmt: skip
    bar = re.search(r'<select id="bulk-destination".*?</select>', page, re.DOTALL)
    assert bar and re.findall(r'<option value="([^"]*)"', bar.group(0)) == [sandbox.dst]


def values_of(page: str) -> list[str]:
    return re.findall(r'<button type="submit" name="action" value="([^"]+)"', page)


@pytest.fixture
def small_pages(
    dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The app with pages of two messages."""
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = build_app(dovecot, tmp_path, PAGE_SIZE=2)
    yield app
    close_app(app)


def test_at_most_a_page_and_back_to_a_page_that_still_exists(
    small_pages: Flask, imap: IMAPClient, sandbox: Sandbox
) -> None:
    alice = small_pages.test_client()
    log_in(alice)
    made = selection(imap, sandbox)  # pages: 2 + 1
    uids = [str(uid) for _m, uid in made]

    too_many = send(alice, sandbox.src, {"action": "flag", "uid": uids})
    assert too_many.status_code == 400
    assert "At most 2 messages can be changed at once." in too_many.get_data(as_text=True)

    stay = send(alice, sandbox.src, {"action": "flag", "uid": uids[0], "page": "2"})
    assert stay.location.endswith(f"/folders/{sandbox.src}?page=2")
    # The oldest message is alone on page 2; once it left, page 1 is the last.
    gone = send(alice, sandbox.src, {"action": "delete", "uid": uids[0], "page": "2"})
    assert gone.location.endswith(f"/folders/{sandbox.src}")
