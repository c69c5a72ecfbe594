"""Replying to and forwarding a message of the shared mailbox.

What each step needs (DESIGN.md, "Rights"):

- opening a reply or forward, keeping a draft: `r` on the original's folder;
- sending: `r` there and `i` on Sent. Every mail the office sends is on
  record in Sent, where colleagues and Thunderbird see it, so a person
  who may not add to Sent may not send; the page says so before they write;
- marking the original `\\Answered` (`$Forwarded` for a forward): `w` on its
  folder. Without it the mail goes out and the original keeps its flags.

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
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from enum import StrEnum
from typing import TypeVar

from imapclient import IMAPClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.domain import (
    ANSWERED,
    FORWARDED,
    BodyPart,
    Folder,
    MessageContent,
    MessageHeader,
    MessageRef,
    sent_folder,
)
from teaminbox.events import Event, Kind
from teaminbox.imap import changes, mailstore, outgoing
from teaminbox.imap.errors import ImapError
from teaminbox.imap.pool import ConnectionPool
from teaminbox.mail import compose
from teaminbox.mail.compose import AddressError, Attachment, Mode, Outgoing, Wording
from teaminbox.mail.content import decode_transfer
from teaminbox.mail.filenames import safe_filename
from teaminbox.mail.htmltext import html_to_text
from teaminbox.rights import Right
from teaminbox.services import audit, feed
from teaminbox.services.rights import RightsView
from teaminbox.smtp import SmtpError, SmtpRefused, SmtpSettings, send_message
from teaminbox.store import drafts
from teaminbox.store.models import AuditRow, ReplyDraft, User
from teaminbox.store.users import find_user

log = logging.getLogger(__name__)

# The audit actions that answer a message: the collision guard names their author.
ANSWER_ACTIONS = ("message.reply", "message.answered")
T = TypeVar("T")
# A signature is a few lines; a page of text there is a mistake.
MAX_SIGNATURE_CHARS = 1000


@dataclass(frozen=True)
class Sender:
    """Who the office's mail comes from: the shared address, and the name
    put after the writer's, joined by an en dash: "Alice Martin \N{EN DASH} Contact"."""

    address: str
    name: str

    def display_for(self, writer: User) -> str:
        return f"{writer.name} \N{EN DASH} {self.name}" if self.name else writer.name


@dataclass(frozen=True)
class Fields:
    """What the person typed (or what a new reply starts with)."""

    to: str
    cc: str
    subject: str
    body: str


@dataclass(frozen=True)
class Upload:
    """A file from the form, its name as the browser gave it."""

    filename: str
    content_type: str
    data: bytes


class Blocked(StrEnum):
    """Why this person cannot send from here, whatever they write."""

    NO_SENDER = "no-sender"
    NO_SENT_FOLDER = "no-sent-folder"
    NO_INSERT_ON_SENT = "no-insert-on-sent"


class Problem(StrEnum):
    """What is wrong with a form; the draft is kept all the same."""

    NO_RECIPIENT = "no-recipient"
    BAD_ADDRESS = "bad-address"
    TOO_LARGE = "too-large"


@dataclass(frozen=True)
class Compose:
    """The compose page: the original, the fields, the draft's files, the
    original's files a forward carries, and what the person may do."""

    ref: MessageRef
    mode: Mode
    original: MessageContent
    fields: Fields
    attachments: tuple[tuple[int, str, int], ...]  # draft file id, name, size
    forwarded: tuple[BodyPart, ...]
    answered: bool
    saved_at: datetime | None
    blocked: Blocked | None
    may_mark: bool


@dataclass(frozen=True)
class Guard:
    """The collision guard's facts from the page: whether the original was
    answered when the reply was opened, when that was, and whether the
    person said to send anyway."""

    answered_at_open: bool
    opened_at: datetime
    confirmed: bool = False


@dataclass(frozen=True)
class Kept:
    """A draft saved; `problem` when uploads were refused (too large)."""

    draft: ReplyDraft
    problem: Problem | None = None


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


class SignatureTooLong(ValueError):
    """A signature longer than MAX_SIGNATURE_CHARS; nothing was changed."""


def set_signature(session: Session, user: User, text: str) -> None:
    """Set the signature put under `user`'s replies and forwards ("" for
    none). Line ends become LF; other control characters are dropped.
    The caller commits."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cleaned = "\n".join(
        "".join(c for c in line if c == "\t" or unicodedata.category(c)[0] != "C").rstrip()
        for line in lines
    ).strip("\n")
    if len(cleaned) > MAX_SIGNATURE_CHARS:
        raise SignatureTooLong(f"{len(cleaned)} characters")
    user.signature = cleaned


def open_compose(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    ref: MessageRef,
    mode: Mode,
    sender: Sender,
    wording: Wording,
    format_date: Callable[[datetime], str],
) -> Compose:
    """The reply or forward as the page shows it: the person's draft on
    this message if there is one, else a new one (recipients, subject,
    signature, quoted original). Needs `r`. Writes nothing."""
    rights.require(ref.folder, Right.READ)
    with pool.borrow() as client:
        original = mailstore.fetch_message(client, ref)
        blocked = _blocked(rights, sender, mailstore.list_folders(client))
    draft = drafts.find_draft(session, actor.id, ref.folder, ref.uid, mode.value)
    if draft is not None and draft.message_id != original.header.message_id:
        draft = None  # left from another message that had this UID
    if draft is not None:
        fields = Fields(draft.to, draft.cc, draft.subject, draft.body)
        files = tuple((a.id, a.filename, a.size) for a in drafts.attachments_of(session, draft.id))
    else:
        fields = _new_fields(mode, original, sender, actor.signature, wording, format_date)
        files = ()
    return Compose(
        ref=ref,
        mode=mode,
        original=original,
        fields=fields,
        attachments=files,
        forwarded=original.attachments if mode is Mode.FORWARD else (),
        answered=ANSWERED in original.header.flags,
        saved_at=draft.updated_at if draft else None,
        blocked=blocked,
        may_mark=rights.can(ref.folder, Right.WRITE),
    )


def keep_draft(
    session: Session,
    actor: User,
    rights: RightsView,
    ref: MessageRef,
    mode: Mode,
    message_id: str,
    fields: Fields,
    uploads: Sequence[Upload] = (),
    removed: Sequence[int] = (),
    max_bytes: int = 0,
) -> Kept:
    """Save what the person typed, add their uploads and drop the files
    they removed. Uploads that would take the draft's files past
    `max_bytes` are refused as a whole (the text is saved all the same).
    Needs `r`. The caller commits."""
    rights.require(ref.folder, Right.READ)
    draft = drafts.draft_for(session, actor.id, ref.folder, ref.uid, mode.value, message_id)
    drafts.write_draft(draft, fields.to, fields.cc, fields.subject, fields.body)
    session.flush()
    if removed:
        drafts.remove_attachments(session, draft.id, list(removed))
    added = sum(len(u.data) for u in uploads)
    if added and drafts.attachments_size(session, draft.id) + added > max_bytes:
        return Kept(draft, Problem.TOO_LARGE)
    for upload in uploads:
        name = safe_filename(upload.filename, "attachment")
        drafts.add_attachment(session, draft, name, _mime_type(upload.content_type), upload.data)
    return Kept(draft)


def discard_draft(
    session: Session, actor: User, rights: RightsView, ref: MessageRef, mode: Mode
) -> None:
    """Drop the person's draft on this message, files included."""
    rights.require(ref.folder, Right.READ)
    draft = drafts.find_draft(session, actor.id, ref.folder, ref.uid, mode.value)
    if draft is not None:
        drafts.delete_draft(session, draft)


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
        blocked = _blocked(rights, sender, folders)
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
    assert sent is not None  # _blocked said so
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
    events: list[Event] = []
    if rights.can(ref.folder, Right.WRITE):
        flag = FORWARDED if mode is Mode.FORWARD else ANSWERED
        flags = _try(lambda client: changes.set_flag(client, ref, flag, True), pool, ref)
        if flags is not None:
            events.append(Event(Kind.FLAGS, ref.folder, ref.uid, flags, actor=actor.username))
    action = "message.forward" if mode is Mode.FORWARD else "message.reply"
    detail = "to " + ", ".join(recipients)
    if copy_saved is None:
        detail += f" (no copy in {sent})"
    # With the original's Message-ID, the message's history follows it, and
    # the sync knows the copy it finds in Sent for this app's own reply.
    audit.record(
        session, actor, action, detail, folder=ref.folder, uid=ref.uid, message_id=original_id
    )
    recorded = feed.record_own(session, events)
    if copy is not None:
        recorded += feed.record_own_arrival(session, sent, copy, actor.username)
    drafts.delete_draft(session, draft)
    return Sent(
        sent,
        copy_saved=copy_saved is not None,
        marked=bool(events),
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


def _blocked(rights: RightsView, sender: Sender, folders: Sequence[Folder]) -> Blocked | None:
    if not sender.address:
        return Blocked.NO_SENDER
    sent = sent_folder(folders)
    if sent is None:
        return Blocked.NO_SENT_FOLDER
    if not rights.can(sent.name, Right.INSERT):
        return Blocked.NO_INSERT_ON_SENT
    return None


def _new_fields(
    mode: Mode,
    original: MessageContent,
    sender: Sender,
    signature: str,
    wording: Wording,
    format_date: Callable[[datetime], str],
) -> Fields:
    to, cc = compose.reply_recipients(mode, original, sender.address)
    subject = original.header.subject
    text = original.text if original.text is not None else html_to_text(original.html or "")
    return Fields(
        to=compose.format_recipients(to),
        cc=compose.format_recipients(cc),
        subject=compose.forward_subject(subject)
        if mode is Mode.FORWARD
        else compose.reply_subject(subject),
        body=compose.initial_body(mode, original, text, signature, wording, format_date),
    )


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


def _mime_type(declared: str) -> str:
    """The browser's type if it looks like one, else octet-stream."""
    main, _, sub = declared.strip().lower().partition("/")
    ok = main.isascii() and sub.isascii() and main.isalpha() and sub and len(declared) < 100
    if ok and main != "multipart" and all(c.isalnum() or c in "+-.;=" for c in sub):
        return f"{main}/{sub.split(';')[0]}"
    return "application/octet-stream"
