"""Who did what to a message: what another mail client changes is logged as
such when the sync hears it, a reply saved in Sent joins the history of the
message it answers, and the history follows moves and hides what the
reader may not see (real Dovecot, SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from imapclient import IMAPClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.domain import MessageRef, Role
from teaminbox.imap import mailstore
from teaminbox.imap.append import append_messages, ensure_folders
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import accounts, actions, audit, feed, history
from teaminbox.services.rights import RightsView, set_grant
from teaminbox.services.sync import sync_folders
from teaminbox.store.db import Database
from teaminbox.store.models import AuditRow, User
from tests.imap_helpers import add_message, uid_of

SENT = "Sent"


@pytest.fixture
def folders(imap: IMAPClient) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:8]
    names = (f"Hist-{tag}", f"Hist-{tag}-to")
    ensure_folders(imap, list(names))
    yield names
    mailstore.leave_folder(imap)
    for name in names:
        imap.delete_folder(name)


@pytest.fixture
def sent(imap: IMAPClient) -> Iterator[list[str]]:
    """Message-IDs this test saves in Sent, taken out again afterwards."""
    made: list[str] = []
    yield made
    imap.select_folder(SENT)
    for message_id in made:
        uids = imap.search(["HEADER", "Message-ID", message_id])
        if uids:
            imap.add_flags(uids, ["\\Deleted"], silent=True)
            imap.uid_expunge(uids)
    mailstore.leave_folder(imap)


@pytest.fixture
def claire(database: Database) -> User:
    with database.session() as session:
        user = accounts.create_user(session, "claire", "long enough pw", Role.MANAGER)
        session.commit()
        return user


def heard(pool: ConnectionPool, session: Session, folders: list[str]) -> None:
    """What the watcher's sync does (live/supervisor.py): sync, then log
    what other clients changed."""
    history.record_outside(pool, session, sync_folders(pool, session, folders))
    session.commit()


def rows(session: Session, **match: object) -> list[AuditRow]:
    """The log's rows about messages."""
    query = (
        select(AuditRow)
        .where(AuditRow.action.startswith("message."))
        .filter_by(**match)
        .order_by(AuditRow.id)
    )
    return list(session.scalars(query))


def test_another_clients_flags_are_logged_with_no_actor(
    pool: ConnectionPool, database: Database, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    folder = folders[0]
    message_id, uid = add_message(imap, folder)
    with database.session() as session:
        heard(pool, session, [folder])  # the first sync fills the cache: nothing to log
        assert rows(session) == []

        imap.select_folder(folder)
        imap.add_flags([uid], ["\\Flagged", "\\Seen", "$Forwarded"])
        heard(pool, session, [folder])
        imap.remove_flags([uid], ["\\Flagged"])
        heard(pool, session, [folder])

        logged = [(r.action, r.detail, r.actor_name, r.message_id) for r in rows(session)]
        assert logged == [
            ("message.keyword", "$Forwarded", "", message_id),
            ("message.flag", "\\Flagged", "", message_id),
            ("message.unflag", "\\Flagged", "", message_id),
        ], "read state is not logged, for nobody"


def test_the_apps_own_change_is_not_logged_twice(
    pool: ConnectionPool,
    database: Database,
    imap: IMAPClient,
    folders: tuple[str, str],
    claire: User,
) -> None:
    folder = folders[0]
    message_id, uid = add_message(imap, folder)
    with database.session() as session:
        heard(pool, session, [folder])
        claire = session.merge(claire)
        rights = RightsView.load(session, claire)
        actions.set_flagged(pool, session, claire, rights, MessageRef(folder, uid), True)
        session.commit()
        heard(pool, session, [folder])  # the watcher's echo

        logged = [(r.action, r.actor_name, r.message_id) for r in rows(session)]
        assert logged == [("message.flag", "claire", message_id)]


def test_the_history_follows_moves_made_here_and_elsewhere(
    pool: ConnectionPool,
    database: Database,
    imap: IMAPClient,
    folders: tuple[str, str],
    claire: User,
) -> None:
    source, destination = folders
    message_id, uid = add_message(imap, source)
    with database.session() as session:
        heard(pool, session, list(folders))
        claire = session.merge(claire)
        rights = RightsView.load(session, claire)
        actions.set_flagged(pool, session, claire, rights, MessageRef(source, uid), True)
        moved = actions.move(pool, session, claire, rights, MessageRef(source, uid), destination)
        session.commit()
        assert moved.uid is not None

        imap.select_folder(destination)
        imap.move([moved.uid], source)  # Thunderbird puts it back
        heard(pool, session, list(folders))
        back = uid_of(imap, source, message_id)

        entries = history.message_history(session, rights, message_id, MessageRef(source, back))
        assert [(e.action, e.actor, e.folder, e.to_folder) for e in entries] == [
            ("message.flag", "claire", source, None),
            ("message.move", "claire", source, destination),
            ("message.move", None, destination, source),
        ]


def test_a_reply_saved_in_sent_by_another_client_joins_the_originals_history(
    pool: ConnectionPool,
    database: Database,
    imap: IMAPClient,
    folders: tuple[str, str],
    sent: list[str],
    claire: User,
) -> None:
    folder = folders[0]
    original_id, uid = add_message(imap, folder)
    with database.session() as session:
        heard(pool, session, [folder, SENT])

        reply_id = save_reply(imap, original_id, sent)
        heard(pool, session, [folder, SENT])
        # Then a reply from the app: logged by who sent it, its copy saved in
        # Sent and put in the cache at once, as services/sending does.
        audit.record(
            session,
            session.merge(claire),
            "message.reply",
            "to test@example.com",
            folder=folder,
            uid=uid,
            message_id=original_id,
        )
        own = uid_of(imap, SENT, save_reply(imap, original_id, sent))
        with pool.borrow() as client:
            copy = mailstore.fetch_header(client, MessageRef(SENT, own))
        assert copy is not None
        feed.record_own_arrival(session, SENT, copy, "claire")
        session.commit()
        heard(pool, session, [folder, SENT])

        (answered,) = rows(session, action=history.ANSWERED_ELSEWHERE)
        assert (answered.folder, answered.uid, answered.message_id) == (folder, uid, original_id)
        assert answered.actor_name == "" and reply_id[1:9] in answered.detail
        rights = RightsView.load(session, session.merge(claire))
        entries = history.message_history(session, rights, original_id, MessageRef(folder, uid))
        assert [(e.action, e.actor) for e in entries] == [
            (history.ANSWERED_ELSEWHERE, None),
            ("message.reply", "claire"),
        ]


def save_reply(imap: IMAPClient, original_id: str, made: list[str]) -> str:
    """Thunderbird's copy of a reply to `original_id`, in Sent."""
    message_id = f"<{uuid.uuid4().hex}@thunderbird.test>"
    raw = (
        "From: Contact <contact@office.test>\r\n"
        "To: Test <test@example.com>\r\n"
        f"Subject: Re: {message_id}\r\n"
        "Date: Fri, 20 Nov 2026 10:30:00 +0000\r\n"
        f"Message-ID: {message_id}\r\n"
        f"In-Reply-To: {original_id}\r\n"
        f"References: {original_id}\r\n"
        "\r\n"
        "Answered from the office PC.\r\n"
    ).encode()
    made.append(message_id)
    append_messages(imap, SENT, [(raw, ["\\Seen"], datetime(2026, 11, 20, 10, 30, tzinfo=UTC))])
    return message_id


def test_the_history_shows_nothing_of_a_folder_the_reader_may_not_see(
    database: Database, claire: User
) -> None:
    message_id = "<seen-and-hidden@history.test>"
    with database.session() as session:
        claire = session.merge(claire)
        alice = accounts.create_user(session, "alice", "long enough pw", Role.STAFF)
        set_grant(session, None, "Direction", "", username="alice")
        for action, folder, to_folder in (
            ("message.flag", "Direction", None),
            ("message.move", "Direction", "INBOX"),
            ("message.move", "INBOX", "Direction"),
            ("message.move", "Direction", "INBOX"),
            ("message.note", "INBOX", None),
        ):
            audit.record(
                session,
                claire,
                action,
                f"→ {to_folder}" if to_folder else "said",
                folder=folder,
                uid=1,
                message_id=message_id,
                to_folder=to_folder,
            )
        session.commit()

        entries = history.message_history(
            session, RightsView.load(session, alice), message_id, MessageRef("INBOX", 5)
        )
        assert [(e.action, e.folder, e.to_folder, e.detail) for e in entries] == [
            ("message.move", "INBOX", None, ""),
            ("message.note", "INBOX", None, "said"),
        ]
        assert "Direction" not in repr(entries)
