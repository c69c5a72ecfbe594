"""Replying through the service layer, against the real Dovecot and a real
SMTP server: what arrives, what Sent keeps, which flag the original gets,
and what happens when the SMTP server, a recipient, a colleague or another
mail client gets in the way."""

# The fixtures imported from tests.replying are parameters of the tests below.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from flask import Flask
from imapclient import IMAPClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.domain import MessageRef
from teaminbox.events import Kind
from teaminbox.imap.pool import ConnectionPool
from teaminbox.mail.compose import Mode, Wording
from teaminbox.services import actions, replies, sending
from teaminbox.services.rights import RightsView, set_grant
from teaminbox.smtp import SmtpSettings
from teaminbox.store import drafts
from teaminbox.store.models import AuditRow, User
from teaminbox.store.users import find_user
from tests.imap_helpers import flags_of as flags_with_recent
from tests.replying import (  # noqa: F401 (fixtures, imported to be used by name)
    SENT,
    SHARED,
    Originals,
    originals,
    reply_app,
    sent_copies,
    smtp,
)
from tests.smtp_server import SmtpSink, free_port

SENDER = replies.Sender(SHARED, "Contact")
LIMIT = 1024 * 1024


@dataclass
class Desk:
    """One person at work in the app: their session, rights and the pool."""

    app: Flask
    session: Session
    user: User
    smtp: SmtpSettings

    @property
    def pool(self) -> ConnectionPool:
        pool: ConnectionPool = self.app.extensions["teaminbox.imap_pool"]
        return pool

    @property
    def rights(self) -> RightsView:
        return RightsView.load(self.session, self.user)

    def open(self, ref: MessageRef, mode: Mode = Mode.REPLY) -> replies.Compose:
        return replies.open_compose(
            self.pool, self.session, self.user, self.rights, ref, mode, SENDER, Wording(), str
        )

    def keep(self, compose: replies.Compose, **changes: str) -> replies.Kept:
        kept = replies.keep_draft(
            self.session,
            self.user,
            self.rights,
            compose.ref,
            compose.mode,
            compose.original.header.message_id,
            replace(compose.fields, **changes),
            max_bytes=LIMIT,
        )
        self.session.commit()
        return kept

    def open_new(self, originals: Originals) -> replies.Compose:
        """A new message of the test's folder, opened to reply to."""
        _, uid = originals.add()
        return self.open(MessageRef(originals.folder, uid))

    def answer(self, compose: replies.Compose, **changes: str) -> sending.Outcome:
        """Keep the reply as it stands (with `changes`) and send it, guarded
        by what was seen when it was opened."""
        return self.send(self.keep(compose, **changes), opened(compose))

    def send(self, kept: replies.Kept, guard: sending.Guard) -> sending.Outcome:
        outcome = sending.send(
            self.pool,
            self.smtp,
            self.session,
            self.user,
            self.rights,
            kept.draft,
            SENDER,
            guard,
            LIMIT,
        )
        self.session.commit()
        return outcome


def desk_for(app: Flask, username: str, smtp_port: int) -> Iterator[Desk]:
    with app.extensions["teaminbox.database"].session() as session:
        user = find_user(session, username)
        assert user is not None
        settings = SmtpSettings.from_config({**app.config, "SMTP_PORT": smtp_port})
        yield Desk(app, session, user, settings)


@pytest.fixture
def alice(reply_app: Flask, smtp: SmtpSink) -> Iterator[Desk]:
    yield from desk_for(reply_app, "alice", smtp.port)


@pytest.fixture
def claire(reply_app: Flask, smtp: SmtpSink) -> Iterator[Desk]:
    yield from desk_for(reply_app, "claire", smtp.port)


def flags_of(imap: IMAPClient, folder: str, uid: int) -> set[str]:
    return flags_with_recent(imap, folder, uid) - {"\\Recent"}


def opened(compose: replies.Compose) -> sending.Guard:
    return sending.Guard(answered_at_open=compose.answered, opened_at=datetime.now(UTC))


def grant(app: Flask, pattern: str, letters: str, username: str = "alice") -> None:
    with app.extensions["teaminbox.database"].session() as session:
        set_grant(session, None, pattern, letters, username=username)
        session.commit()


def test_a_reply_arrives_threaded_is_kept_in_sent_and_marks_the_original(
    alice: Desk,
    smtp: SmtpSink,
    originals: Originals,
    imap: IMAPClient,
) -> None:
    root = "<root@customer.test>"
    message_id, uid = originals.add(subject="Re: Fwd: Question", references=root)
    compose = alice.open(MessageRef(originals.folder, uid))
    assert compose.fields.to == "Jean Dupont <jean.dupont@example.com>"
    assert compose.fields.subject == "Re: Question"
    assert "> where is my parcel?" in compose.fields.body

    kept = alice.keep(compose, body="Your parcel left today.\n\n" + compose.fields.body)
    outcome = alice.send(kept, opened(compose))

    assert isinstance(outcome, sending.Sent), outcome
    assert (outcome.copy_saved, outcome.marked, outcome.sent_folder) == (True, True, SENT)
    received = smtp.wait_for()
    assert received.sender == SHARED
    assert received.recipients == ("jean.dupont@example.com",)
    mail = received.message
    assert mail["From"] == f"Alice Martin \N{EN DASH} Contact <{SHARED}>"
    assert mail["In-Reply-To"] == message_id
    assert mail["References"].split() == [root, message_id]
    assert mail["Subject"] == "Re: Question"
    assert received.text.startswith("Your parcel left today.\n")
    assert sent_copies(imap, mail["Message-ID"]) == [{"\\Seen"}]
    assert "\\Answered" in flags_of(imap, originals.folder, uid)
    answered, copy = outcome.events  # the flag, and the copy new in Sent
    assert (answered.kind, answered.flags, answered.actor) == (Kind.FLAGS, ("\\Answered",), "alice")
    assert (copy.kind, copy.folder, copy.actor) == (Kind.NEW, "Sent", "alice")
    assert copy.detail["message_id"] == mail["Message-ID"]
    assert drafts.find_draft(alice.session, alice.user.id, originals.folder, uid, "reply") is None
    [row] = alice.session.scalars(select(AuditRow).where(AuditRow.action == "message.reply"))
    assert (row.folder, row.uid, row.detail) == (
        originals.folder,
        uid,
        "to jean.dupont@example.com",
    )


def test_smtp_down_keeps_the_draft_and_sets_no_flag(
    alice: Desk,
    smtp: SmtpSink,
    originals: Originals,
    imap: IMAPClient,
) -> None:
    compose = alice.open_new(originals)
    kept = alice.keep(compose, body="Important answer")
    alice.smtp = replace(alice.smtp, port=free_port())  # nothing listens there

    outcome = alice.send(kept, opened(compose))

    assert outcome == sending.NotSent(unreachable=True)
    assert flags_of(imap, originals.folder, compose.ref.uid) == set()
    draft = drafts.find_draft(
        alice.session, alice.user.id, originals.folder, compose.ref.uid, "reply"
    )
    assert draft is not None and draft.body == "Important answer"
    assert alice.open(compose.ref).fields.body == "Important answer"
    smtp.assert_nothing_arrived()


def test_a_refused_recipient_sends_to_nobody(
    alice: Desk,
    smtp: SmtpSink,
    originals: Originals,
    imap: IMAPClient,
) -> None:
    _, uid = originals.add()
    smtp.refuse.add("nobody@example.com")
    compose = alice.open(MessageRef(originals.folder, uid))
    kept = alice.keep(compose, cc="nobody@example.com")

    outcome = alice.send(kept, opened(compose))

    assert outcome == sending.NotSent(unreachable=False, refused=("nobody@example.com",))
    smtp.assert_nothing_arrived()
    assert flags_of(imap, originals.folder, uid) == set()


def test_an_answer_from_another_mail_client_holds_the_send(
    alice: Desk,
    smtp: SmtpSink,
    originals: Originals,
    imap: IMAPClient,
) -> None:
    compose = alice.open_new(originals)
    guard = opened(compose)
    kept = alice.keep(compose, body="My answer")
    imap.select_folder(originals.folder)
    imap.add_flags([compose.ref.uid], ["\\Answered"])  # Thunderbird answered meanwhile

    held = alice.send(kept, guard)

    assert held == sending.Held(by=None, at=None)
    smtp.assert_nothing_arrived()
    assert alice.open(compose.ref).fields.body == "My answer"

    sent = alice.send(kept, replace(guard, confirmed=True))
    assert isinstance(sent, sending.Sent)
    assert smtp.wait_for().text == "My answer\n"


def test_an_answer_by_a_colleague_in_the_app_is_named(
    alice: Desk,
    claire: Desk,
    smtp: SmtpSink,
    originals: Originals,
) -> None:
    _, uid = originals.add()
    ref = MessageRef(originals.folder, uid)
    mine = alice.open(ref)
    guard = opened(mine)
    kept = alice.keep(mine)
    theirs = claire.open(ref)
    assert isinstance(claire.send(claire.keep(theirs), opened(theirs)), sending.Sent)
    smtp.wait_for()

    held = alice.send(kept, guard)

    assert isinstance(held, sending.Held)
    assert held.by == "Claire Moreau" and held.at is not None
    smtp.assert_nothing_arrived()


def test_a_message_already_answered_when_opened_is_not_held(
    alice: Desk,
    smtp: SmtpSink,
    originals: Originals,
) -> None:
    _, uid = originals.add(flags=("\\Answered",))
    compose = alice.open(MessageRef(originals.folder, uid))
    assert compose.answered

    assert isinstance(alice.answer(compose), sending.Sent)
    smtp.wait_for()


def test_reply_all_leaves_out_the_shared_address_and_duplicates(
    alice: Desk,
    originals: Originals,
) -> None:
    _, uid = originals.add(
        to=f"Contact <{SHARED.upper()}>, Paul <paul@example.com>",
        cc="jean.dupont@example.com, Zoé <zoe@example.com>",
    )
    compose = alice.open(MessageRef(originals.folder, uid), Mode.REPLY_ALL)
    assert compose.fields.to == "Jean Dupont <jean.dupont@example.com>"
    assert compose.fields.cc == "Paul <paul@example.com>, Zoé <zoe@example.com>"


def test_a_forward_carries_the_originals_attachments(
    alice: Desk,
    smtp: SmtpSink,
    originals: Originals,
    imap: IMAPClient,
) -> None:
    pdf = b"%PDF-1.4 facture " * 200
    _, uid = originals.add(subject="Facture", attachment=("facture-2026.pdf", pdf))
    compose = alice.open(MessageRef(originals.folder, uid), Mode.FORWARD)
    assert compose.fields.to == "" and compose.fields.subject == "Fwd: Facture"
    assert [p.filename for p in compose.forwarded] == ["facture-2026.pdf"]
    assert "where is my parcel?" in compose.fields.body

    outcome = alice.answer(compose, to="compta@example.com")

    assert isinstance(outcome, sending.Sent) and outcome.marked
    mail = smtp.wait_for().message
    assert mail["In-Reply-To"] is None
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == "facture-2026.pdf"
    assert attached.get_content() == pdf
    assert flags_of(imap, originals.folder, uid) == {"$Forwarded"}


def test_without_insert_on_sent_nobody_sends(
    alice: Desk,
    smtp: SmtpSink,
    originals: Originals,
    reply_app: Flask,
) -> None:
    grant(reply_app, SENT, "lr")
    compose = alice.open_new(originals)
    assert compose.blocked is replies.Blocked.NO_INSERT_ON_SENT

    outcome = alice.answer(compose)

    assert outcome is replies.Blocked.NO_INSERT_ON_SENT
    smtp.assert_nothing_arrived()


def test_without_w_the_reply_goes_out_and_the_original_is_unchanged(
    alice: Desk,
    smtp: SmtpSink,
    originals: Originals,
    imap: IMAPClient,
    reply_app: Flask,
) -> None:
    grant(reply_app, originals.folder, "lr")
    compose = alice.open_new(originals)
    assert not compose.may_mark

    outcome = alice.answer(compose)

    assert isinstance(outcome, sending.Sent)
    assert (outcome.copy_saved, outcome.marked) == (True, False)
    assert [e.kind for e in outcome.events] == [Kind.NEW], "only the copy in Sent"
    assert sent_copies(imap, smtp.wait_for().message["Message-ID"]) == [{"\\Seen"}]
    assert flags_of(imap, originals.folder, compose.ref.uid) == set()


def test_a_sent_copy_the_server_refuses_is_reported(
    alice: Desk,
    smtp: SmtpSink,
    originals: Originals,
    imap: IMAPClient,
) -> None:
    _, uid = originals.add()
    # The server itself refuses APPEND to Sent. Set before the app's first
    # connection: each Dovecot session caches ACLs for 30 s (acl_cache_secs).
    imap.setacl(SENT, "owner", "lrswtekxa")
    try:
        compose = alice.open(MessageRef(originals.folder, uid))
        outcome = alice.answer(compose)
    finally:
        imap._imap.deleteacl(SENT, "owner")  # back to the default: the owner may do all

    assert isinstance(outcome, sending.Sent)
    assert (outcome.copy_saved, outcome.marked) == (False, True)
    mail = smtp.wait_for().message
    assert sent_copies(imap, mail["Message-ID"]) == []
    assert "\\Answered" in flags_of(imap, originals.folder, uid)
    row = alice.session.scalar(select(AuditRow).where(AuditRow.action == "message.reply"))
    assert row is not None and row.detail.endswith("(no copy in Sent)")


def test_a_draft_of_another_message_with_the_same_uid_is_not_shown(
    alice: Desk,
    originals: Originals,
) -> None:
    _, uid = originals.add()
    ref = MessageRef(originals.folder, uid)
    compose = alice.open(ref)
    replies.keep_draft(
        alice.session, alice.user, alice.rights, ref, Mode.REPLY, "<other@x>", compose.fields
    )
    alice.session.commit()
    assert alice.open(ref).saved_at is None


def test_marking_answered_by_hand_also_counts_as_an_answer(
    alice: Desk,
    claire: Desk,
    smtp: SmtpSink,
    originals: Originals,
) -> None:
    _, uid = originals.add()
    ref = MessageRef(originals.folder, uid)
    compose = alice.open(ref)
    guard = opened(compose)
    actions.set_answered(claire.pool, claire.session, claire.user, claire.rights, ref, True)
    claire.session.commit()

    held = alice.send(alice.keep(compose), guard)

    assert isinstance(held, sending.Held) and held.by == "Claire Moreau"


def test_html_only_mail_is_quoted_as_its_text(alice: Desk, originals: Originals) -> None:
    _, uid = originals.add(text=None, html="<p>Bonjour <b>Jean</b>,</p><p>merci&nbsp;!</p>")
    body = alice.open(MessageRef(originals.folder, uid)).fields.body
    assert "> Bonjour Jean,\n>\n> merci !" in body
