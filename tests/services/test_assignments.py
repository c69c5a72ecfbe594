"""Assignments against the real Dovecot: kept in the database and on the
message as its assignee's keyword, seen by another mail client, picked up
from one, carried along by moves, and listed by the views.

Every test works in folders of its own and removes them afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from imapclient import IMAPClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.demo.dovecot import DovecotServer
from teaminbox.domain import MessageRef, Role
from teaminbox.events import Event, Kind
from teaminbox.imap import mailstore
from teaminbox.imap.append import append_messages, ensure_folders
from teaminbox.imap.connection import ImapSettings, open_connection
from teaminbox.imap.keywords import MAX_KEYWORD, assignee_keyword, is_assignee_keyword
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import accounts, actions, assignments, feed
from teaminbox.services.assignments import AssignmentRefused, Refusal, Who
from teaminbox.services.rights import Forbidden, RightsView, set_grant
from teaminbox.services.sync import sync_folders
from teaminbox.store.db import Database
from teaminbox.store.models import AuditRow, User
from teaminbox.store.users import find_user
from tests.conftest import PASSWORD
from tests.imap_helpers import add_message, flags_of


@pytest.mark.parametrize(
    ("username", "keyword"),
    [
        ("alice", "$Assigned_alice"),
        ("jean-pierre.dupont_2", "$Assigned_jean-pierre.dupont_2"),
        ("a" * 40, "$Assigned_" + "a" * 40),
    ],
)
def test_a_username_is_its_keyword_when_it_fits(username: str, keyword: str) -> None:
    assert assignee_keyword(username) == keyword


def test_a_long_username_is_shortened_to_a_distinct_keyword() -> None:
    first, second = "b" * 60 + "x", "b" * 60 + "y"
    keywords = {assignee_keyword(first), assignee_keyword(second)}
    assert len(keywords) == 2
    assert all(len(k) == MAX_KEYWORD and k.startswith("$Assigned_bbb") for k in keywords)


@pytest.mark.parametrize(
    ("flag", "assigns"),
    [
        ("$Assigned_alice", True),
        ("$assigned_alice", True),
        ("$Assigned_", False),
        ("$label1", False),
        ("\\Flagged", False),
    ],
)
def test_assignee_keywords_are_recognised_whatever_the_case(flag: str, assigns: bool) -> None:
    assert is_assignee_keyword(flag) is assigns


@dataclass
class Office:
    """The app's side of the test: pool, database, people, and the test's folders."""

    pool: ConnectionPool
    database: Database
    folder: str
    other_folder: str

    def session(self) -> Session:
        return self.database.session()

    def user(self, session: Session, username: str) -> User:
        user = find_user(session, username)
        assert user is not None
        return user

    def assign(
        self, actor: str, uid: int, assignee: str | None, note: str = "", folder: str = ""
    ) -> assignments.Assigned:
        with self.session() as session:
            person = self.user(session, actor)
            done = assignments.assign(
                self.pool,
                session,
                person,
                RightsView.load(session, person),
                MessageRef(folder or self.folder, uid),
                assignee,
                note,
            )
            session.commit()
        return done

    def sync(self, *folders: str) -> list[Event]:
        """What the watcher does when it hears a change: sync, then record."""
        with self.session() as session:
            events = feed.record(session, sync_folders(self.pool, session, folders))
            session.commit()
        return events

    def view(self, username: str, who: Who, **kwargs: str) -> list[tuple[str, int]]:
        with self.session() as session:
            person = self.user(session, username)
            rows = assignments.view(
                session, person, RightsView.load(session, person), who, **kwargs
            )
        return [(r.folder, r.header.uid) for r in rows]

    def assignee(self, folder: str, uid: int) -> str | None:
        with self.session() as session, self.pool.borrow() as client:
            header = mailstore.fetch_header(client, MessageRef(folder, uid))
            assert header is not None
            shown = assignments.shown(session, folder, header)
        return shown.username if shown else None

    def audit(self) -> list[tuple[str, str, str | None, int | None]]:
        with self.session() as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.id))
            return [
                (r.action, r.actor_name, r.folder, r.uid)
                for r in rows
                if r.action.startswith("message.")
            ]


@pytest.fixture
def office(dovecot: DovecotServer, database: Database, imap: IMAPClient) -> Iterator[Office]:
    tag = uuid.uuid4().hex[:8]
    folder, other_folder = f"Asg-{tag}", f"Asg-{tag}-to"
    ensure_folders(imap, [folder, other_folder])
    with database.session() as session:
        accounts.create_user(session, "claire", PASSWORD, Role.MANAGER, "Claire Moreau")
        accounts.create_user(session, "alice", PASSWORD, Role.STAFF, "Alice Martin")
        accounts.create_user(session, "bob", PASSWORD, Role.STAFF, "Bob Durand")
        session.commit()
    settings = ImapSettings(dovecot.host, dovecot.imap_port, "none", dovecot.user, dovecot.password)
    pool = ConnectionPool(lambda: open_connection(settings), size=2)
    yield Office(pool, database, folder, other_folder)
    pool.close()
    mailstore.leave_folder(imap)
    for name in (other_folder, folder):
        imap.delete_folder(name)


def keywords_on(imap: IMAPClient, folder: str, uid: int) -> set[str]:
    return {f for f in flags_of(imap, folder, uid) if is_assignee_keyword(f)}


def test_an_assignment_is_a_keyword_another_client_sees(office: Office, imap: IMAPClient) -> None:
    _, uid = add_message(imap, office.folder, ["\\Seen"])

    done = office.assign("claire", uid, "alice", "Call her back before noon")
    assert done.on_server and done.assignee == "alice"
    assert keywords_on(imap, office.folder, uid) == {"$Assigned_alice"}
    assert "\\Seen" in flags_of(imap, office.folder, uid)
    [event] = done.events
    assert (event.kind, event.actor, event.id > 0) == (Kind.ASSIGNED, "claire", True)
    assert event.detail == {
        "assignee": "alice",
        "previous": None,
        "note": "Call her back before noon",
    }
    assert "$Assigned_alice" in event.flags

    office.assign("claire", uid, "bob")
    assert keywords_on(imap, office.folder, uid) == {"$Assigned_bob"}
    assert office.assignee(office.folder, uid) == "bob"

    done = office.assign("claire", uid, None)
    assert keywords_on(imap, office.folder, uid) == set()
    assert done.events[0].detail["assignee"] is None
    assert done.events[0].detail["previous"] == "bob"
    assert office.assignee(office.folder, uid) is None
    assert office.audit() == [
        ("message.assign", "claire", office.folder, uid),
        ("message.assign", "claire", office.folder, uid),
        ("message.unassign", "claire", office.folder, uid),
    ]


def test_assigning_again_to_the_same_person_changes_nothing(
    office: Office, imap: IMAPClient
) -> None:
    _, uid = add_message(imap, office.folder)
    office.assign("claire", uid, "alice")
    assert office.assign("claire", uid, "alice").events == ()
    assert office.assign("claire", uid, None).events != ()
    assert office.assign("claire", uid, None).events == ()
    assert len(office.audit()) == 2


def test_only_a_holder_of_assign_assigns(office: Office, imap: IMAPClient) -> None:
    _, uid = add_message(imap, office.folder)
    before = flags_of(imap, office.folder, uid)
    with pytest.raises(Forbidden):
        office.assign("alice", uid, "alice")
    assert flags_of(imap, office.folder, uid) == before
    assert office.audit() == []


def test_the_assignee_must_be_an_active_colleague_who_reads_the_folder(
    office: Office, imap: IMAPClient
) -> None:
    _, uid = add_message(imap, office.folder)
    with office.session() as session:
        set_grant(session, None, office.folder, "l", username="bob")
        session.commit()
    for who in ("bob", "nobody"):
        with pytest.raises(AssignmentRefused) as refused:
            office.assign("claire", uid, who)
        assert refused.value.refusal is Refusal.NOT_A_COLLEAGUE
    for note in ("x" * 201, "two\nlines"):
        with pytest.raises(AssignmentRefused) as refused:
            office.assign("claire", uid, "alice", note)
        assert refused.value.refusal is Refusal.BAD_NOTE
    assert keywords_on(imap, office.folder, uid) == set()
    assert office.audit() == []


def test_the_watchers_echo_of_an_assignment_is_no_news(office: Office, imap: IMAPClient) -> None:
    _, uid = add_message(imap, office.folder)
    office.sync(office.folder)

    office.assign("claire", uid, "alice")

    assert office.sync(office.folder) == []


def test_a_keyword_set_by_another_client_assigns(office: Office, imap: IMAPClient) -> None:
    _, uid = add_message(imap, office.folder)
    office.sync(office.folder)
    imap.select_folder(office.folder)

    imap.add_flags([uid], ["$assigned_BOB"])  # keywords compare without case
    heard = [e for e in office.sync(office.folder) if e.kind is Kind.ASSIGNED]
    assert [(e.folder, e.uid, e.actor, e.detail["assignee"]) for e in heard] == [
        (office.folder, uid, None, "bob")
    ]
    assert heard[0].id > 0, "stored for replay"
    assert office.assignee(office.folder, uid) == "bob"

    imap.select_folder(office.folder)
    imap.add_flags([uid], ["$Assigned_nobody-here"])  # nobody of the office: ignored
    assert [e for e in office.sync(office.folder) if e.kind is Kind.ASSIGNED] == []

    imap.select_folder(office.folder)
    imap.remove_flags([uid], ["$Assigned_bob"])
    heard = [e for e in office.sync(office.folder) if e.kind is Kind.ASSIGNED]
    assert [(e.actor, e.detail["assignee"], e.detail["previous"]) for e in heard] == [
        (None, None, "bob")
    ]
    assert office.assignee(office.folder, uid) is None
    assert office.audit() == [
        ("message.assign", "", office.folder, uid),
        ("message.unassign", "", office.folder, uid),
    ]


def test_a_flag_change_elsewhere_keeps_the_assignment(office: Office, imap: IMAPClient) -> None:
    _, uid = add_message(imap, office.folder)
    office.sync(office.folder)
    office.assign("claire", uid, "alice")
    imap.select_folder(office.folder)
    imap.add_flags([uid], ["\\Flagged"])
    assert [e.kind for e in office.sync(office.folder)] == [Kind.FLAGS]
    assert office.assignee(office.folder, uid) == "alice"


def append_without_message_id(imap: IMAPClient, folder: str) -> int:
    subject = f"No Message-ID {uuid.uuid4().hex}"
    raw = f"From: a@example.com\r\nSubject: {subject}\r\n\r\nhi\r\n".encode()
    append_messages(imap, folder, [(raw, [], datetime.now(UTC))])
    imap.select_folder(folder, readonly=True)
    [uid] = imap.search(["SUBJECT", subject])
    return int(uid)


@pytest.mark.parametrize("with_message_id", [True, False], ids=["message-id", "no-message-id"])
def test_a_move_by_the_app_keeps_the_assignment(
    office: Office, imap: IMAPClient, with_message_id: bool
) -> None:
    if with_message_id:
        _, uid = add_message(imap, office.folder)
    else:
        uid = append_without_message_id(imap, office.folder)
    office.sync(office.folder, office.other_folder)
    office.assign("claire", uid, "alice")

    with office.session() as session:
        claire = office.user(session, "claire")
        moved = actions.move(
            office.pool,
            session,
            claire,
            RightsView.load(session, claire),
            MessageRef(office.folder, uid),
            office.other_folder,
        )
        session.commit()
    assert moved.uid is not None

    assert office.assignee(office.other_folder, moved.uid) == "alice"
    assert keywords_on(imap, office.other_folder, moved.uid) == {"$Assigned_alice"}
    assert office.view("alice", Who.MINE) == [(office.other_folder, moved.uid)]
    assert office.sync(office.folder, office.other_folder) == []


def test_a_move_by_another_client_keeps_the_assignment(office: Office, imap: IMAPClient) -> None:
    _, uid = add_message(imap, office.folder)
    office.sync(office.folder, office.other_folder)
    office.assign("claire", uid, "bob")
    imap.select_folder(office.folder)
    imap.move([uid], office.other_folder)

    events = office.sync(office.folder, office.other_folder)

    assert [e.kind for e in events] == [Kind.MOVED], "a move, nothing about the assignment"
    to_uid = int(events[0].detail["to_uid"])
    assert office.assignee(office.other_folder, to_uid) == "bob"
    assert office.view("bob", Who.MINE, folder=office.other_folder) == [
        (office.other_folder, to_uid)
    ]


def test_views_list_mine_unassigned_and_one_colleagues(office: Office, imap: IMAPClient) -> None:
    uids = [add_message(imap, office.folder)[1] for _ in range(3)]
    _, hidden = add_message(imap, office.other_folder)
    office.sync(office.folder, office.other_folder)
    office.assign("claire", uids[0], "alice")
    office.assign("claire", uids[1], "bob")
    office.assign("claire", hidden, "bob", folder=office.other_folder)
    with office.session() as session:
        set_grant(session, None, office.other_folder, "", username="alice")
        session.commit()
    here = {"folder": office.folder}

    assert office.view("alice", Who.MINE, **here) == [(office.folder, uids[0])]
    assert office.view("alice", Who.UNASSIGNED, **here) == [(office.folder, uids[2])]
    assert set(office.view("alice", Who.ASSIGNED, **here)) == {
        (office.folder, uids[0]),
        (office.folder, uids[1]),
    }
    assert office.view("alice", Who.ASSIGNED, assignee="bob", **here) == [(office.folder, uids[1])]
    assert office.view("alice", Who.ASSIGNED, assignee="nobody", **here) == []
    # Across folders: only those Alice may read; Bob's view has both of his.
    assert (office.other_folder, hidden) not in office.view("alice", Who.ASSIGNED, assignee="bob")
    assert {(office.folder, uids[1]), (office.other_folder, hidden)} <= set(
        office.view("bob", Who.MINE)
    )
    with pytest.raises(Exception, match="no folder"):
        office.view("alice", Who.MINE, folder=office.other_folder)


def test_a_folder_without_keywords_keeps_assignments_in_the_database(
    office: Office, imap: IMAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Servers whose PERMANENTFLAGS lack `\\*` take no new keywords."""
    monkeypatch.setattr("teaminbox.imap.keywords.keywords_allowed", lambda client, folder: False)
    _, uid = add_message(imap, office.folder)
    office.sync(office.folder)

    done = office.assign("claire", uid, "alice")

    assert not done.on_server
    assert keywords_on(imap, office.folder, uid) == set()
    assert office.assignee(office.folder, uid) == "alice"
    imap.select_folder(office.folder)
    imap.add_flags([uid], ["\\Flagged"])
    office.sync(office.folder)
    assert office.assignee(office.folder, uid) == "alice", "no keyword never meant unassigned"
