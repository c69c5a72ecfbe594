"""Sending a kept reply or forward (services/replies.py keeps the drafts;
the rights each step needs are listed there).

Sending goes: keep the draft (the caller commits it, so that nothing typed
is lost whatever happens next), check the original's flags on the server
(the collision guard: a reply is held when someone answered meanwhile,
here or in another mail client), send through SMTP (refused or
unreachable: the draft stays, no flag is set), append the copy to Sent
(a failure there is reported: the mail went out), set the flag, write the
audit row and drop the draft.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TypeVar

from imapclient import IMAPClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.domain import (
    ANSWERED,
    FORWARDED,
    BodyPart,
    MessageHeader,
    MessageRef,
    StoredFlags,
    sent_folder,
)
from teaminbox.events import Event
from teaminbox.imap import changes, mailstore, outgoing
from teaminbox.imap.errors import ImapError
from teaminbox.imap.pool import ConnectionPool
from teaminbox.mail import compose
from teaminbox.mail.compose import AddressError, Attachment, Mode, Outgoing
from teaminbox.mail.content import decode_transfer
from teaminbox.mail.filenames import safe_filename
from teaminbox.rights import Right
from teaminbox.services import audit, feed
from teaminbox.services.replies import Blocked, Problem, Sender, sending_blocked
from teaminbox.services.rights import RightsView
from teaminbox.smtp import SmtpError, SmtpRefused, SmtpSettings, send_message
from teaminbox.store import drafts
from teaminbox.store.models import AuditRow, ReplyDraft, User
from teaminbox.store.users import find_user

log = logging.getLogger(__name__)

# The audit actions that answer a message: the collision guard names their author.
ANSWER_ACTIONS = ("message.reply", "message.answered")
T = TypeVar("T")


@dataclass(frozen=True)
class Guard:
    """The collision guard's facts from the page: whether the original was
    answered when the reply was opened, when that was, and whether the
    person said to send anyway."""

    answered_at_open: bool
    opened_at: datetime
    confirmed: bool = False


# What `send` may answer.
@dataclass(frozen=True)
class Invalid:
    problem: Problem
    entry: str = ""


@dataclass(frozen=True)
class Held:
    """Someone answered the original since the reply was opened: `by` (a
    display name) at `at`, or another mail client (`by` None)."""

    by: str | None
    at: datetime | None


@dataclass(frozen=True)
class NotSent:
    """The SMTP server refused the message or could not be reached."""

    unreachable: bool
    refused: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sent:
    """The mail went out. `copy_saved` False: the copy could not be added to
    `sent_folder`; `marked` False: the original kept its flags (no `w`,
    or it moved meanwhile)."""

    sent_folder: str
    copy_saved: bool
    marked: bool
    recipients: tuple[str, ...]
    events: tuple[Event, ...] = field(default=())


Outcome = Invalid | Held | NotSent | Sent | Blocked


def send(
    pool: ConnectionPool,
    smtp: SmtpSettings,
    session: Session,
    actor: User,
    rights: RightsView,
    draft: ReplyDraft,
    sender: Sender,
    guard: Guard,
    max_bytes: int,
) -> Outcome:
    """Send the kept `draft` (see the module's docstring for the steps).

    Every answer but Sent leaves the draft as it is; Sent drops it. The
    caller commits and publishes Sent.events.
    """
    ref, mode = MessageRef(draft.folder, draft.uid), Mode(draft.mode)
    rights.require(ref.folder, Right.READ)
    try:
        to = compose.parse_recipients(draft.to)
        cc = compose.parse_recipients(draft.cc)
    except AddressError as exc:
        return Invalid(Problem.BAD_ADDRESS, exc.entry)
    if not to and not cc:
        return Invalid(Problem.NO_RECIPIENT)
    with pool.borrow() as client:
        folders = mailstore.list_folders(client)
        blocked = sending_blocked(rights, sender, folders)
        if blocked is not None:
            return blocked
        facts = outgoing.fetch_thread_facts(client, ref)
        structure = mailstore.fetch_structure(client, ref) if mode is Mode.FORWARD else ()
    answered_meanwhile = ANSWERED in facts.flags and not guard.answered_at_open
    if mode is not Mode.FORWARD and answered_meanwhile and not guard.confirmed:
        return _held(session, ref, guard.opened_at)
    files = [
        Attachment(a.filename, a.content_type, a.data)
        for a in drafts.attachments_of(session, draft.id)
    ]
    forwarded = tuple(p for p in structure if p.is_attachment)
    if sum(len(f.data) for f in files) + sum(p.size * 3 // 4 for p in forwarded) > max_bytes:
        return Invalid(Problem.TOO_LARGE)
    files += _fetch_attachments(pool, ref, forwarded)
    replying = mode is not Mode.FORWARD and bool(facts.message_id)
    message = compose.build_message(
        Outgoing(
            sender_name=sender.display_for(actor),
            sender_address=sender.address,
            to=to,
            cc=cc,
            subject=draft.subject,
            body=draft.body,
            in_reply_to=facts.message_id if replying else None,
            references=compose.references(facts.references, facts.message_id),
            attachments=tuple(files),
        )
    )
    recipients = tuple(p.email for p in (*to, *cc))
    try:
        send_message(smtp, message, sender.address, recipients)
    except SmtpError as exc:
        log.warning("reply to %s not sent: %s", ref, exc)
        if isinstance(exc, SmtpRefused):
            return NotSent(unreachable=False, refused=exc.recipients)
        return NotSent(unreachable=True)
    sent = sent_folder(folders)
    assert sent is not None  # sending_blocked said so
    return _after_sending(
        pool, session, actor, rights, draft, sent.name, message, recipients, facts.message_id
    )


def _after_sending(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    draft: ReplyDraft,
    sent: str,
    message: EmailMessage,
    recipients: tuple[str, ...],
    original_id: str,
) -> Sent:
    """The mail went out: keep its copy, mark the original, log, drop the
    draft. Nothing here can take the mail back, so failures are reported
    in the answer, never raised."""
    ref, mode = MessageRef(draft.folder, draft.uid), Mode(draft.mode)
    copy_saved = _try(
        lambda client: outgoing.append_sent(client, sent, message.as_bytes(), _now()), pool, ref
    )
    copy = _saved_copy(pool, ref, sent, copy_saved)
    stored: StoredFlags | None = None
    if rights.can(ref.folder, Right.WRITE):
        flag = FORWARDED if mode is Mode.FORWARD else ANSWERED
        stored = _try(lambda client: changes.set_flag(client, ref, flag, True), pool, ref)
    action = "message.forward" if mode is Mode.FORWARD else "message.reply"
    detail = "to " + ", ".join(recipients)
    if copy_saved is None:
        detail += f" (no copy in {sent})"
    # With the original's Message-ID, the message's history follows it, and
    # the sync knows the copy it finds in Sent for this app's own reply.
    audit.record(
        session, actor, action, detail, folder=ref.folder, uid=ref.uid, message_id=original_id
    )
    recorded = feed.record_own_flags(session, ref, stored, actor.username) if stored else []
    if copy is not None:
        recorded += feed.record_own_arrival(session, sent, copy, actor.username)
    drafts.delete_draft(session, draft)
    return Sent(
        sent,
        copy_saved=copy_saved is not None,
        marked=stored is not None,
        recipients=recipients,
        events=tuple(recorded),
    )


def _saved_copy(
    pool: ConnectionPool, ref: MessageRef, sent: str, uid: int | None
) -> MessageHeader | None:
    """The header of the copy just saved in Sent (None without APPENDUID)."""
    if uid is None:
        return None
    return _try(lambda client: mailstore.fetch_header(client, MessageRef(sent, uid)), pool, ref)


def _try(work: Callable[[IMAPClient], T], pool: ConnectionPool, ref: MessageRef) -> T | None:
    """`work` on a pooled connection; None (and a log line) if it failed."""
    try:
        with pool.borrow() as client:
            return work(client)
    except ImapError as exc:
        log.warning("reply to %s was sent, but: %s", ref, exc)
        return None


def _now() -> datetime:
    return datetime.now(UTC)


def _held(session: Session, ref: MessageRef, since: datetime) -> Held:
    """Who answered `ref` since `since`, from the activity log; nobody there
    means another mail client did."""
    row = session.scalar(
        select(AuditRow)
        .where(
            AuditRow.folder == ref.folder,
            AuditRow.uid == ref.uid,
            AuditRow.action.in_(ANSWER_ACTIONS),
            AuditRow.at >= since,
        )
        .order_by(AuditRow.id.desc())
        .limit(1)
    )
    if row is None:
        return Held(by=None, at=None)
    user = find_user(session, row.actor_name) if row.actor_name else None
    return Held(by=user.name if user else row.actor_name or None, at=row.at)


def _fetch_attachments(
    pool: ConnectionPool, ref: MessageRef, parts: Sequence[BodyPart]
) -> list[Attachment]:
    """The original's files, decoded, for a forward."""
    files = []
    with pool.borrow() as client:
        for part in parts:
            raw = b"".join(mailstore.iter_part(client, ref, part))
            name = safe_filename(part.filename, f"attachment-{part.section}")
            files.append(Attachment(name, part.mime_type, decode_transfer(raw, part.encoding)))
    return files
