"""Replying to and forwarding a message of the shared mailbox.

What each step needs (DESIGN.md, "Rights"):

- opening a reply or forward, keeping a draft: `r` on the original's folder;
- sending: `r` there and `i` on Sent. Every mail the office sends is on
  record in Sent, where colleagues and Thunderbird see it, so a person
  who may not add to Sent may not send; the page says so before they write;
- marking the original `\\Answered` (`$Forwarded` for a forward): `w` on its
  folder. Without it the mail goes out and the original keeps its flags.

Here: the compose page, the drafts and the signature; sending a kept
draft is services/sending.py.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from teaminbox.domain import (
    ANSWERED,
    BodyPart,
    Folder,
    MessageContent,
    MessageRef,
    sent_folder,
)
from teaminbox.imap import mailstore
from teaminbox.imap.pool import ConnectionPool
from teaminbox.mail import compose
from teaminbox.mail.compose import Mode, Wording
from teaminbox.mail.filenames import safe_filename
from teaminbox.mail.htmltext import html_to_text
from teaminbox.rights import Right
from teaminbox.services.rights import RightsView
from teaminbox.store import drafts
from teaminbox.store.models import ReplyDraft, User

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
class Kept:
    """A draft saved; `problem` when uploads were refused (too large)."""

    draft: ReplyDraft
    problem: Problem | None = None


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
        blocked = sending_blocked(rights, sender, mailstore.list_folders(client))
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


def sending_blocked(
    rights: RightsView, sender: Sender, folders: Sequence[Folder]
) -> Blocked | None:
    """Why this person cannot send from here, whatever they write; None if they can."""
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


def _mime_type(declared: str) -> str:
    """The browser's type if it looks like one, else octet-stream."""
    main, _, sub = declared.strip().lower().partition("/")
    ok = main.isascii() and sub.isascii() and main.isalpha() and sub and len(declared) < 100
    if ok and main != "multipart" and all(c.isalnum() or c in "+-.;=" for c in sub):
        return f"{main}/{sub.split(';')[0]}"
    return "application/octet-stream"
