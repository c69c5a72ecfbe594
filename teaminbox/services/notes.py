"""Internal notes on a message: for the team, never sent to the customer,
never written into the mailbox.

Who may write a note: anyone who may read the message (`r` on its folder);
who may read the notes: the same people, and they follow the message when
it moves (found by its Message-ID). `@username` in a note mentions that
colleague, who finds it under "Mentions" until they open the message.
A note is published as a `note` event, re-rendering the notes of the open
message for everyone who may read its folder.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from teaminbox.domain import MessageRef
from teaminbox.events import Event, Kind
from teaminbox.imap.errors import MessageNotFound
from teaminbox.imap.pool import ConnectionPool
from teaminbox.rights import Right
from teaminbox.services import audit, feed, reading
from teaminbox.services.rights import RightsView
from teaminbox.store import notes as store
from teaminbox.store.models import Note, User

# Longer notes are refused (and given back to their author to shorten):
# a note is a remark, not a document.
MAX_NOTE_CHARS = 5000
# How much of a note the activity log repeats.
LOG_EXCERPT_CHARS = 120
# Usernames as accounts.USERNAME allows them, after an @ that does not
# follow a letter or digit (so that an address is not a mention), ending
# with a letter or digit (so that "@alice." ends a sentence).
MENTION = re.compile(r"(?<![\w.@])@([a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?)", re.IGNORECASE)
# Mentions listed for a person at most.
MENTIONS_LISTED = 100


class Refusal(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too-long"


class NoteRefused(Exception):
    """The note cannot be kept as written; nothing was stored."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class Segment:
    """A piece of a note's text; `mention` is the username it names, if it
    is a mention of a colleague."""

    text: str
    mention: str | None = None


@dataclass(frozen=True)
class NoteView:
    """A note as a person reads it."""

    id: int
    at: datetime
    author: str  # display name
    segments: tuple[Segment, ...]
    mentions_me: bool
    unseen: bool  # mentions the viewer, who has not opened the message since


@dataclass(frozen=True)
class NoteAdded:
    note: Note
    events: tuple[Event, ...] = field(default=())


@dataclass(frozen=True)
class Mention:
    """A note that names the person, and where its message is now."""

    note: NoteView
    folder: str
    uid: int
    seen: bool


def add_note(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    ref: MessageRef,
    body: str,
) -> NoteAdded:
    """Keep a note on the message `ref`. Needs `r` on its folder.

    Raises NoteRefused for an empty or too long note, MessageNotFound when
    the message left the folder."""
    rights.require(ref.folder, Right.READ)
    text = clean_body(body)
    header = reading.message_header(pool, ref)
    if header is None:
        raise MessageNotFound(f"no message {ref.uid} in {ref.folder}")
    mentioned = store.active_users_named(
        session, (m.lower() for m in MENTION.findall(text) if m.lower() != actor.username)
    )
    note = store.add(
        session,
        actor,
        message_id=header.message_id,
        folder=ref.folder,
        uid=ref.uid,
        body=text,
        mentioned=mentioned,
    )
    audit.record(
        session,
        actor,
        "message.note",
        _excerpt(text),
        folder=ref.folder,
        uid=ref.uid,
        message_id=header.message_id,
    )
    event = Event(
        Kind.NOTE,
        ref.folder,
        ref.uid,
        actor=actor.username,
        detail={"note": note.id, "mentions": sorted(u.username for u in mentioned)},
    )
    return NoteAdded(note, tuple(feed.record_own(session, [event])))


def clean_body(body: str) -> str:
    """The note as it is kept: NFC, one kind of line end, no other control
    characters, no blank margins. Raises NoteRefused."""
    text = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(
        c for c in text if c in "\n\t" or not unicodedata.category(c).startswith("C")
    ).strip()
    if not text:
        raise NoteRefused(Refusal.EMPTY)
    if len(text) > MAX_NOTE_CHARS:
        raise NoteRefused(Refusal.TOO_LONG)
    return text


def notes_of(session: Session, viewer: User, message_id: str, ref: MessageRef) -> list[NoteView]:
    """The notes of a message, oldest first, as `viewer` reads them; the
    caller has checked that they may read it."""
    return _views(session, viewer, store.of_message(session, message_id, ref.folder, ref.uid))


def mark_mentions_seen(session: Session, viewer: User, message_id: str, ref: MessageRef) -> int:
    """`viewer` has the message open: their mentions in its notes are seen.
    How many were not."""
    notes = store.of_message(session, message_id, ref.folder, ref.uid)
    return store.mark_seen(session, viewer.id, [n.id for n in notes])


def mentions(session: Session, viewer: User, rights: RightsView) -> list[Mention]:
    """The notes that mention `viewer`, newest first, on messages they may
    still read."""
    found = [
        (note, seen)
        for note, seen in store.mentions_of(session, viewer.id, MENTIONS_LISTED)
        if _reads(rights, note.folder)
    ]
    views = _views(session, viewer, [note for note, _ in found])
    return [
        Mention(view, note.folder, note.uid, seen)
        for view, (note, seen) in zip(views, found, strict=True)
    ]


def unseen_mention_count(session: Session, viewer: User, rights: RightsView) -> int:
    """How many notes mention `viewer` on messages they may read and have
    not opened since."""
    return sum(1 for n in store.unseen_mentions(session, viewer.id) if _reads(rights, n.folder))


def segments(text: str, names: set[str]) -> tuple[Segment, ...]:
    """`text` cut into plain pieces and mentions of the usernames `names`."""
    parts: list[Segment] = []
    start = 0
    for match in MENTION.finditer(text):
        name = match.group(1).lower()
        if name not in names:
            continue
        if match.start() > start:
            parts.append(Segment(text[start : match.start()]))
        parts.append(Segment(match.group(0), mention=name))
        start = match.end()
    if start < len(text):
        parts.append(Segment(text[start:]))
    return tuple(parts)


def _views(session: Session, viewer: User, notes: list[Note]) -> list[NoteView]:
    names = store.mentioned_names(session, [n.id for n in notes])
    unseen = store.unseen_among(session, viewer.id, [n.id for n in notes])
    authors = store.display_names(session, (n.author_name for n in notes))
    return [
        NoteView(
            id=note.id,
            at=note.at,
            author=authors.get(note.author_name, note.author_name),
            segments=segments(note.body, names.get(note.id, set())),
            mentions_me=viewer.username in names.get(note.id, set()),
            unseen=note.id in unseen,
        )
        for note in notes
    ]


def _reads(rights: RightsView, folder: str) -> bool:
    return rights.sees(folder) and rights.can(folder, Right.READ)


def _excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= LOG_EXCERPT_CHARS else line[: LOG_EXCERPT_CHARS - 1] + "…"
