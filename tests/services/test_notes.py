"""Internal notes: what a note keeps of what was typed, what counts as a
mention, and a note on a real message (real Dovecot, SQLite and PostgreSQL):
kept by Message-ID, logged, never written into the mailbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient

from teaminbox.domain import MessageRef, Role
from teaminbox.events import Event, Kind
from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from teaminbox.imap.errors import FolderNotFound, MessageNotFound
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import accounts, feed, notes
from teaminbox.services.notes import MAX_NOTE_CHARS, NoteRefused, Refusal, Segment
from teaminbox.services.rights import Forbidden, RightsView, set_grant
from teaminbox.store import notes as store
from teaminbox.store.db import Database
from teaminbox.store.models import AuditRow, Note, User
from tests.imap_helpers import add_message

PASSWORD = "long enough pw"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Called back, she will pay on Monday.  ", "Called back, she will pay on Monday."),
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("bell\x07 and null\x00 gone", "bell and null gone"),
        ("e\u0301te\u0301", "\u00e9t\u00e9"),  # NFC
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # escaped when shown
    ],
)
def test_a_note_keeps_what_was_typed_cleaned(typed: str, kept: str) -> None:
    assert notes.clean_body(typed) == kept


@pytest.mark.parametrize(
    ("typed", "refusal"),
    [
        ("", Refusal.EMPTY),
        (" \n\t ", Refusal.EMPTY),
        ("x" * (MAX_NOTE_CHARS + 1), Refusal.TOO_LONG),
    ],
)
def test_an_empty_or_too_long_note_is_refused(typed: str, refusal: Refusal) -> None:
    with pytest.raises(NoteRefused) as refused:
        notes.clean_body(typed)
    assert refused.value.refusal is refusal


@pytest.mark.parametrize(
    ("text", "names", "parts"),
    [
        ("@alice call back", {"alice"}, [Segment("@alice", "alice"), Segment(" call back")]),
        ("ask @Alice.", {"alice"}, [Segment("ask "), Segment("@Alice", "alice"), Segment(".")]),
        ("mail alice@example.com", {"alice"}, [Segment("mail alice@example.com")]),
        ("@nobody here", {"alice"}, [Segment("@nobody here")]),
        (
            "@jean-luc.b, see",
            {"jean-luc.b"},
            [Segment("@jean-luc.b", "jean-luc.b"), Segment(", see")],
        ),
    ],
)
def test_mentions_are_usernames_after_an_at_sign(
    text: str, names: set[str], parts: list[Segment]
) -> None:
    assert list(notes.segments(text, names)) == parts


@pytest.fixture
def folder(imap: IMAPClient) -> Iterator[str]:
    name = f"Notes-{uuid.uuid4().hex[:8]}"
    ensure_folders(imap, [name])
    yield name
    mailstore.leave_folder(imap)
    imap.delete_folder(name)


@pytest.fixture
def people(database: Database) -> dict[str, User]:
    with database.session() as session:
        made = {
            "claire": accounts.create_user(session, "claire", PASSWORD, Role.MANAGER),
            "alice": accounts.create_user(session, "alice", PASSWORD, Role.STAFF),
            "bob": accounts.create_user(session, "bob", PASSWORD, Role.STAFF),
        }
        session.commit()
        return made


def test_a_note_is_kept_by_message_id_logged_and_never_written_to_the_mailbox(
    pool: ConnectionPool,
    database: Database,
    imap: IMAPClient,
    folder: str,
    people: dict[str, User],
) -> None:
    message_id, uid = add_message(imap, folder)
    imap.select_folder(folder, readonly=True)
    before = imap.fetch([uid], ["FLAGS", "RFC822.SIZE"])[uid]
    with database.session() as session:
        alice = session.merge(people["alice"])
        rights = RightsView.load(session, alice)
        added = notes.add_note(
            pool,
            session,
            alice,
            rights,
            MessageRef(folder, uid),
            "Ask @claire and @bob, not @ghost",
        )
        session.commit()

        (event,) = added.events
        assert (event.kind, event.folder, event.uid, event.actor) == (
            Kind.NOTE,
            folder,
            uid,
            "alice",
        )
        assert event.detail["mentions"] == ["bob", "claire"]
        note = session.get(Note, added.note.id)
        assert note is not None and note.message_id == message_id
        (row,) = session.query(AuditRow).filter_by(action="message.note").all()
        assert (row.actor_name, row.folder, row.uid, row.message_id) == (
            "alice",
            folder,
            uid,
            message_id,
        )
        claire = session.merge(people["claire"])
        (shown,) = notes.notes_of(session, claire, message_id, MessageRef(folder, uid))
        assert shown.mentions_me and shown.unseen
        assert [s.mention for s in shown.segments if s.mention] == ["claire", "bob"]

    imap.select_folder(folder, readonly=True)
    assert imap.search(["ALL"]) == [uid], "nothing was added to the folder"
    after = imap.fetch([uid], ["FLAGS", "RFC822.SIZE"])[uid]
    assert after[b"FLAGS"] == before[b"FLAGS"]
    assert after[b"RFC822.SIZE"] == before[b"RFC822.SIZE"]


def test_mentions_count_only_messages_the_person_may_read_until_opened(
    pool: ConnectionPool,
    database: Database,
    imap: IMAPClient,
    folder: str,
    people: dict[str, User],
) -> None:
    message_id, uid = add_message(imap, folder)
    ref = MessageRef(folder, uid)
    with database.session() as session:
        claire = session.merge(people["claire"])
        set_grant(session, None, folder, "l", username="bob")  # sees it, may not read it
        notes.add_note(
            pool, session, claire, RightsView.load(session, claire), ref, "@alice @bob look"
        )
        session.commit()

        alice, bob = session.merge(people["alice"]), session.merge(people["bob"])
        alice_rights, bob_rights = RightsView.load(session, alice), RightsView.load(session, bob)
        assert notes.unseen_mention_count(session, alice, alice_rights) == 1
        assert notes.unseen_mention_count(session, bob, bob_rights) == 0
        assert notes.mentions(session, bob, bob_rights) == []
        (mention,) = notes.mentions(session, alice, alice_rights)
        assert (mention.folder, mention.uid, mention.seen) == (folder, uid, False)

        assert notes.mark_mentions_seen(session, alice, message_id, ref) == 1
        session.commit()
        assert notes.unseen_mention_count(session, alice, alice_rights) == 0
        assert notes.mentions(session, alice, alice_rights)[0].seen


def test_a_note_needs_r_and_a_message_that_is_there(
    pool: ConnectionPool,
    database: Database,
    imap: IMAPClient,
    folder: str,
    people: dict[str, User],
) -> None:
    _, uid = add_message(imap, folder)
    with database.session() as session:
        bob = session.merge(people["bob"])
        set_grant(session, None, folder, "l", username="bob")
        with pytest.raises(Forbidden):
            notes.add_note(
                pool, session, bob, RightsView.load(session, bob), MessageRef(folder, uid), "hi"
            )
        set_grant(session, None, folder, "", username="bob")
        with pytest.raises(FolderNotFound):
            notes.add_note(
                pool, session, bob, RightsView.load(session, bob), MessageRef(folder, uid), "hi"
            )
        alice = session.merge(people["alice"])
        with pytest.raises(MessageNotFound):
            notes.add_note(
                pool,
                session,
                alice,
                RightsView.load(session, alice),
                MessageRef(folder, uid + 100),
                "hi",
            )
        assert session.query(Note).count() == 0


def test_notes_follow_a_move(
    pool: ConnectionPool,
    database: Database,
    imap: IMAPClient,
    folder: str,
    people: dict[str, User],
) -> None:
    message_id, uid = add_message(imap, folder)
    with database.session() as session:
        alice = session.merge(people["alice"])
        notes.add_note(
            pool, session, alice, RightsView.load(session, alice), MessageRef(folder, uid), "one"
        )
        moved = Event(Kind.MOVED, folder, uid, detail={"to_folder": "Archive", "to_uid": 77})
        feed.record(session, [moved])  # the app's moves and the sync's alike
        (note,) = store.of_message(session, message_id, "Archive", 77)
        assert (note.folder, note.uid) == ("Archive", 77)
