"""`/events` against the real Dovecot: what each person's stream carries
when someone acts in the app, filtered by rights at send time, resumable,
and ended when the account is disabled."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient
from sqlalchemy.orm import Session

from teaminbox.bus.memory import MemoryBus
from teaminbox.events import Event, Kind
from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from teaminbox.services import audit
from teaminbox.services.rights import set_grant
from teaminbox.store.db import Database
from teaminbox.store.users import find_user
from teaminbox.web.events import Viewer
from teaminbox.web.live import folder_key, message_key
from tests.conftest import csrf_token, log_in
from tests.event_stream import EventStreamReader
from tests.imap_helpers import add_message


@pytest.fixture
def claire(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "claire").status_code == 302
    return client


@pytest.fixture
def folders(imap: IMAPClient) -> Iterator[tuple[str, str, str]]:
    """Three fresh folders: a shared one, a second shared one, a hidden one."""
    tag = uuid.uuid4().hex[:8]
    names = (f"Live-{tag}", f"Live-{tag}-b", f"Live-{tag}-hidden")
    ensure_folders(imap, list(names))
    yield names
    mailstore.leave_folder(imap)
    for name in names:
        imap.delete_folder(name)


@pytest.fixture
def stream(alice: FlaskClient) -> Iterator[EventStreamReader]:
    reader = EventStreamReader(alice)
    yield reader
    reader.close()


def post(client: FlaskClient, url: str, data: dict[str, str] | None = None) -> int:
    token = csrf_token(client, "/folders/INBOX")
    return client.post(url, data={"csrf_token": token, **(data or {})}).status_code


def hide_from_alice(app: Flask, folder: str) -> None:
    with app.extensions["teaminbox.database"].session() as session:
        set_grant(session, None, folder, "", username="alice")
        session.commit()


def flag(client: FlaskClient, folder: str, uid: int) -> None:
    assert post(client, f"/folders/{folder}/messages/{uid}/flagged", {"flagged": "1"}) == 303


def move(client: FlaskClient, folder: str, uid: int, destination: str) -> None:
    url = f"/folders/{folder}/messages/{uid}/move"
    assert post(client, url, {"destination": destination}) == 303


def flags_heard_around(
    change: Callable[[], None],
    claire: FlaskClient,
    stream: EventStreamReader,
    imap: IMAPClient,
    folders: tuple[str, ...],
) -> tuple[list[int], tuple[int, int, int]]:
    """Claire flags a message of the second folder and Alice's stream hears
    it (her rights are read and kept); `change` happens; Claire flags a
    second message there, then a marker in the first folder. The UIDs of
    the flags the stream carried until the marker, and (first, second,
    marker)."""
    shared, other, _ = folders
    _, first = add_message(imap, other)
    _, second = add_message(imap, other)
    _, marker = add_message(imap, shared)
    flag(claire, other, first)
    stream.wait_for_fact("flags", folder=other, uid=first)
    change()
    flag(claire, other, second)
    flag(claire, shared, marker)
    stream.wait_for_fact("flags", folder=shared, uid=marker)
    flagged = [m.fact["uid"] for m in stream.received if m.event == "flags"]
    return flagged, (first, second, marker)


def test_the_stream_is_an_unbuffered_event_stream(alice: FlaskClient) -> None:
    reader = EventStreamReader(alice)
    try:
        assert reader.response.mimetype == "text/event-stream"
        assert reader.response.headers["X-Accel-Buffering"] == "no"
        assert reader.response.headers["Cache-Control"] == "no-cache"
        assert reader.wait_for(lambda m: m.event == "hello").data == ""
    finally:
        reader.close()


def test_the_stream_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/events")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_flag_set_by_claire_reaches_alice_with_its_triggers(
    claire: FlaskClient, stream: EventStreamReader, imap: IMAPClient, folders: tuple[str, ...]
) -> None:
    shared = folders[0]
    _message_id, uid = add_message(imap, shared)
    flag(claire, shared, uid)
    fact = stream.wait_for_fact("flags", folder=shared, uid=uid)
    assert fact["flags"] == ["\\Flagged"]
    assert fact["actor"] == "claire"
    names = [m.event for m in stream.received]
    assert message_key(shared, uid) in names and "tree" in names
    assert stream.received[-1].id == str(fact["id"]) != "0"


def test_nothing_of_a_hidden_folder_reaches_alice(
    app: Flask,
    claire: FlaskClient,
    stream: EventStreamReader,
    imap: IMAPClient,
    folders: tuple[str, ...],
) -> None:
    shared, _, hidden = folders
    hide_from_alice(app, hidden)
    _, secret = add_message(imap, hidden)
    _, marker = add_message(imap, shared)
    flag(claire, hidden, secret)
    flag(claire, shared, marker)  # after the hidden one, so it arrives after it
    stream.wait_for_fact("flags", folder=shared, uid=marker)
    assert not [m for m in stream.received if hidden in m.data]
    assert not [m for m in stream.received if m.event == message_key(hidden, secret)]


def test_a_folder_hidden_mid_stream_goes_silent_at_once(
    claire: FlaskClient, stream: EventStreamReader, imap: IMAPClient, folders: tuple[str, ...]
) -> None:
    def take_alices_l_away() -> None:
        """Claire does it through the rights matrix."""
        cell = {"folder": folders[1], "subject": "user:alice", "rights": ""}
        assert post(claire, "/admin/rights/cell", cell) == 302  # back to the matrix

    flagged, (_first, second, _marker) = flags_heard_around(
        take_alices_l_away, claire, stream, imap, folders
    )
    assert second not in flagged


def test_disabling_alice_ends_her_stream(claire: FlaskClient, stream: EventStreamReader) -> None:
    stream.wait_for(lambda m: m.event == "hello")
    assert post(claire, "/admin/users/alice/disable") == 302
    received = stream.wait_for_end()
    assert received[-1].event == "end"


def test_a_grant_from_the_command_line_applies_to_the_next_event(
    app: Flask,
    claire: FlaskClient,
    stream: EventStreamReader,
    imap: IMAPClient,
    folders: tuple[str, ...],
) -> None:
    """`flask grant` runs outside the web process and publishes nothing:
    the stream still judges every later event by it."""

    def grant_nothing_at_the_command_line() -> None:
        result = app.test_cli_runner().invoke(args=["grant", "alice", folders[1], ""])
        assert result.exit_code == 0, result.output

    flagged, (first, _second, marker) = flags_heard_around(
        grant_nothing_at_the_command_line, claire, stream, imap, folders
    )
    assert flagged == [first, marker]


def test_a_person_deleted_at_the_command_line_is_sent_nothing_more(
    app: Flask,
    claire: FlaskClient,
    stream: EventStreamReader,
    imap: IMAPClient,
    folders: tuple[str, ...],
) -> None:
    shared = folders[0]
    _, uid = add_message(imap, shared)
    stream.wait_for(lambda m: m.event == "hello")
    result = app.test_cli_runner().invoke(args=["user", "delete", "alice", "--yes"])
    assert result.exit_code == 0, result.output
    flag(claire, shared, uid)
    received = stream.wait_for_end()
    assert received[-1].event == "end"
    assert not [m for m in received if m.event == "flags"]


def test_streams_share_one_stamp_query_per_event(
    app: Flask, folders: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fifty streams judging one event ask the database for the account
    stamp once between them, and that read sees a grant committed before
    the event was published."""
    folder = folders[0]
    db: Database = app.extensions["teaminbox.database"]
    with db.session() as session:
        user = find_user(session, "alice")
        assert user is not None
        user_id, version = user.id, user.session_version
    stamp = audit.AccountStamp(db)
    viewers = [Viewer(db, stamp, user_id, version) for _ in range(50)]
    assert all(viewer.reads(folder) for viewer in viewers)
    queries: list[str] = []
    real = audit.account_stamp

    def counted(session: Session) -> int:
        # Only the judges' queries: a stream of an earlier test may still be
        # winding down in another thread of this process.
        if threading.current_thread().name.startswith("judge"):
            queries.append(threading.current_thread().name)
        return real(session)

    monkeypatch.setattr(audit, "account_stamp", counted)
    bus = MemoryBus()
    subscriptions = [bus.subscribe() for _ in viewers]
    hide_from_alice(app, folder)  # no bus event, as from the command line
    bus.publish(Event(Kind.FLAGS, folder, uid=1))

    def judge(index: int) -> bool:
        delivery = subscriptions[index].receive(timeout=5)
        assert delivery is not None
        assert viewers[index].refresh(delivery.published_ns)
        return viewers[index].reads(folder)

    with ThreadPoolExecutor(max_workers=len(viewers), thread_name_prefix="judge") as pool:
        assert not any(pool.map(judge, range(len(viewers))))
    assert len(queries) == 1


def test_a_stream_resumes_after_its_last_event_id(
    alice: FlaskClient,
    claire: FlaskClient,
    stream: EventStreamReader,
    imap: IMAPClient,
    folders: tuple[str, ...],
) -> None:
    shared = folders[0]
    _, first = add_message(imap, shared)
    _, second = add_message(imap, shared)
    flag(claire, shared, first)
    seen = stream.wait_for_fact("flags", folder=shared, uid=first)
    stream.close()
    flag(claire, shared, second)  # while Alice's browser is away

    for reader in (
        EventStreamReader(alice, **{"Last-Event-ID": str(seen["id"])}),
        EventStreamReader(alice, f"/events?since={seen['id']}"),
    ):
        try:
            missed = reader.wait_for_fact("flags", folder=shared, uid=second)
            assert missed["id"] > seen["id"]
            assert not [m for m in reader.received if m.id == str(seen["id"])]
        finally:
            reader.close()


def test_moves_as_each_person_may_see_them(
    app: Flask,
    claire: FlaskClient,
    stream: EventStreamReader,
    imap: IMAPClient,
    folders: tuple[str, ...],
) -> None:
    shared, other, hidden = folders
    hide_from_alice(app, hidden)
    _, into_shared = add_message(imap, shared)
    _, into_hidden = add_message(imap, shared)
    _, out_of_hidden = add_message(imap, hidden)
    move(claire, shared, into_shared, other)
    move(claire, shared, into_hidden, hidden)
    move(claire, hidden, out_of_hidden, other)

    seen = stream.wait_for_fact("moved", folder=shared, uid=into_shared)
    assert seen["detail"]["to_folder"] == other and seen["actor"] == "claire"
    assert folder_key(other) in [m.event for m in stream.received]
    unnamed = stream.wait_for_fact("moved", folder=shared, uid=into_hidden)
    assert "to_folder" not in unnamed["detail"] and "to_uid" not in unnamed["detail"]
    arrived = stream.wait_for_fact("new", folder=other)
    assert arrived["uid"] == seen["detail"]["to_uid"] + 1
    assert not [m for m in stream.received if hidden in m.data]


def test_a_moved_row_says_where_and_by_whom(
    app: Flask,
    alice: FlaskClient,
    claire: FlaskClient,
    imap: IMAPClient,
    folders: tuple[str, ...],
) -> None:
    shared, other, hidden = folders
    hide_from_alice(app, hidden)
    _, to_other = add_message(imap, shared)
    _, to_hidden = add_message(imap, shared)
    move(claire, shared, to_other, other)
    move(claire, shared, to_hidden, hidden)

    row = alice.get(f"/folders/{shared}/messages/{to_other}/row").get_data(as_text=True)
    assert 'data-gone="moved"' in row
    assert f"Moved to {other} by Claire Moreau." in row
    row = alice.get(f"/folders/{shared}/messages/{to_hidden}/row").get_data(as_text=True)
    assert "Moved to another folder by Claire Moreau." in row and hidden not in row
    status = alice.get(f"/folders/{shared}/messages/{to_other}/status").get_data(as_text=True)
    assert f"Moved to {other} by Claire Moreau." in status


def test_a_row_of_a_hidden_folder_is_not_found(
    app: Flask, alice: FlaskClient, imap: IMAPClient, folders: tuple[str, ...]
) -> None:
    hidden = folders[2]
    hide_from_alice(app, hidden)
    _, uid = add_message(imap, hidden)
    for part in ("row", "status"):
        assert alice.get(f"/folders/{hidden}/messages/{uid}/{part}").status_code == 404


def test_who_is_reading_shows_to_the_others(
    alice: FlaskClient,
    claire: FlaskClient,
    stream: EventStreamReader,
    imap: IMAPClient,
    folders: tuple[str, ...],
) -> None:
    shared = folders[0]
    _, uid = add_message(imap, shared)
    tab = "claire-tab-" + uuid.uuid4().hex[:8]
    data = {"folder": shared, "uid": str(uid), "tab": tab}
    assert post(claire, "/presence", data) == 204
    fact = stream.wait_for_fact("presence", folder=shared, uid=uid)
    assert fact["actor"] == "claire" and fact["detail"]["activity"] == "reading"
    assert message_key(shared, uid) in [m.event for m in stream.received]

    row = alice.get(f"/folders/{shared}/messages/{uid}/row").get_data(as_text=True)
    assert "Claire Moreau is reading" in row
    listed = alice.get(f"/folders/{shared}").get_data(as_text=True)  # the whole list's rows
    assert listed.count("Claire Moreau is reading") == 1
    own = claire.get(f"/folders/{shared}/messages/{uid}/row").get_data(as_text=True)
    assert "is reading" not in own

    assert post(alice, "/presence/leave", {"tab": tab}) == 204  # not Alice's tab: no effect
    assert "Claire Moreau is reading" in alice.get(
        f"/folders/{shared}/messages/{uid}/row"
    ).get_data(as_text=True)
    assert post(alice, "/presence", data) == 400  # nor may she speak for it
    assert post(claire, "/presence/leave", {"tab": tab}) == 204
    stream.wait_for(lambda m: m.event == "presence" and m.fact["detail"]["activity"] == "left")
    row = alice.get(f"/folders/{shared}/messages/{uid}/row").get_data(as_text=True)
    assert "is reading" not in row


def test_presence_on_a_hidden_folder_is_refused(
    app: Flask, alice: FlaskClient, imap: IMAPClient, folders: tuple[str, ...]
) -> None:
    hidden = folders[2]
    hide_from_alice(app, hidden)
    _, uid = add_message(imap, hidden)
    data = {"folder": hidden, "uid": str(uid), "tab": "alice-tab-123456"}
    assert post(alice, "/presence", data) == 404
    assert post(alice, "/presence", {**data, "folder": folders[0], "tab": "x"}) == 400
