"""Value types shared by every layer, and the pure rules about them.

Imports only the standard library, so that any layer may use it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum

INBOX = "INBOX"  # the one folder name IMAP fixes (RFC 3501)
SEEN = "\\Seen"
ANSWERED = "\\Answered"
FLAGGED = "\\Flagged"
DELETED = "\\Deleted"
DRAFT = "\\Draft"
TRASH = "\\Trash"  # the SPECIAL-USE attribute (RFC 6154)
SENT = "\\Sent"  # the SPECIAL-USE attribute (RFC 6154)
DRAFTS = "\\Drafts"  # the SPECIAL-USE attribute (RFC 6154)
# The keyword mail clients set on a forwarded message (RFC 5788 registry).
FORWARDED = "$Forwarded"


def local_zone() -> timezone:
    """The zone of a header's naive date: local time as it is now, whatever
    the date's own daylight saving time, as imapclient normalises dates (its
    FixedOffset.for_system, whole minutes)."""
    west = time.altzone if time.localtime().tm_isdst and time.daylight else time.timezone
    return timezone(timedelta(seconds=(-west // 60) * 60))


class Role(StrEnum):
    """What a person is in the office; rights hang off it by default."""

    MANAGER = "manager"
    STAFF = "staff"


@dataclass(frozen=True)
class MessageRef:
    """One message of the shared mailbox: a folder (decoded name) and a UID."""

    folder: str
    uid: int


@dataclass(frozen=True)
class Folder:
    """A folder as the server lists it, with its decoded name."""

    name: str
    delimiter: str
    selectable: bool
    special_use: str | None = None  # "\\Sent", "\\Trash", … (RFC 6154)

    @property
    def depth(self) -> int:
        return self.name.count(self.delimiter) if self.delimiter else 0

    @property
    def leaf(self) -> str:
        return self.name.rsplit(self.delimiter, 1)[-1] if self.delimiter else self.name


@dataclass(frozen=True)
class FolderCounts:
    """How many messages a folder holds, and how many of them are unread."""

    messages: int
    unseen: int


@dataclass(frozen=True)
class Person:
    """A sender or recipient, decoded for display."""

    name: str
    email: str

    @property
    def display(self) -> str:
        """What to show: the name, else the email."""
        return self.name or self.email

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class StoredFlags:
    """A message's flags as the server holds them, with the MODSEQ (RFC 7162)
    of that state: of two states of one message, the higher MODSEQ is the
    newer. None without CONDSTORE."""

    flags: tuple[str, ...]
    modseq: int | None = None


@dataclass(frozen=True)
class MessageHeader:
    """What a folder listing shows of one message: headers only, no body."""

    uid: int
    flags: tuple[str, ...]
    subject: str
    sender: Person | None
    recipients: tuple[Person, ...]
    date: datetime | None
    size: int
    message_id: str
    in_reply_to: str = ""  # the Message-ID this one answers, if any

    @property
    def seen(self) -> bool:
        return SEEN in self.flags


@dataclass(frozen=True)
class FolderPage:
    """One page of a folder, newest first."""

    folder: str
    number: int  # 1-based
    size: int
    total: int
    headers: tuple[MessageHeader, ...]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


@dataclass(frozen=True)
class BodyPart:
    """One leaf of a message's MIME tree, as BODYSTRUCTURE describes it.

    `section` is the IMAP part specifier ("1", "2.1") used to fetch it.
    """

    section: str
    mime_type: str  # lower case, "text/plain"
    charset: str | None
    encoding: str | None  # Content-Transfer-Encoding, lower case
    size: int  # encoded size in octets
    content_id: str | None  # without angle brackets
    filename: str | None
    disposition: str | None  # "attachment", "inline" or None

    @property
    def is_attachment(self) -> bool:
        if self.disposition == "attachment":
            return True
        if self.content_id:  # an inline part the HTML refers to by cid:
            return False
        return self.filename is not None or not self.mime_type.startswith("text/")


@dataclass(frozen=True)
class MessageContent:
    """An opened message: its headers, its readable text and its parts."""

    header: MessageHeader
    cc: tuple[Person, ...]
    reply_to: tuple[Person, ...]
    text: str | None
    html: str | None
    parts: tuple[BodyPart, ...] = field(default=())

    @property
    def attachments(self) -> tuple[BodyPart, ...]:
        return tuple(p for p in self.parts if p.is_attachment)

    def part_by_content_id(self, content_id: str) -> BodyPart | None:
        return next((p for p in self.parts if p.content_id == content_id), None)


def same_folder(first: str, second: str) -> bool:
    """Whether two names are one folder: INBOX is case-insensitive (RFC 3501)."""
    if first.upper() == "INBOX" and second.upper() == "INBOX":
        return True
    return first == second


def trash_folder(folders: Iterable[Folder]) -> Folder | None:
    """The Trash: the folder marked `\\Trash` (RFC 6154), else a folder named "Trash"."""
    listed = [f for f in folders if f.selectable]
    marked = next((f for f in listed if f.special_use == TRASH), None)
    return marked or next((f for f in listed if f.name == "Trash"), None)


def sent_folder(folders: Iterable[Folder]) -> Folder | None:
    """Sent: the folder marked `\\Sent` (RFC 6154), else a folder named
    "Sent", else one whose last name is "sent" in any case (`INBOX.Sent`
    under a server's namespace prefix, as Thunderbird makes it there)."""
    listed = [f for f in folders if f.selectable]
    marked = next((f for f in listed if f.special_use == SENT), None)
    named = next((f for f in listed if f.name == "Sent"), None)
    return marked or named or next((f for f in listed if f.leaf.casefold() == "sent"), None)


def outgoing_folders(folders: Iterable[Folder]) -> set[str]:
    """Where mail goes out from, not in: Sent (`sent_folder`) and the
    folders marked `\\Drafts`."""
    listed = list(folders)
    sent = sent_folder(listed)
    drafts = {f.name for f in listed if f.selectable and f.special_use == DRAFTS}
    return drafts | ({sent.name} if sent else set())
