"""Reading the shared mailbox: the folder tree, a page of a folder, a message.

Each function borrows one pooled connection for as short as it can.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from teaminbox.domain import (
    SEEN,
    BodyPart,
    Folder,
    FolderCounts,
    FolderPage,
    MessageContent,
    MessageHeader,
    MessageRef,
    StoredFlags,
)
from teaminbox.imap import changes, mailstore
from teaminbox.imap.errors import MessageNotFound
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services.rights import RightsView
from teaminbox.store import cache


@dataclass(frozen=True)
class FolderEntry:
    """A folder as the tree shows it: where it sits, and its counts."""

    folder: Folder
    counts: FolderCounts | None  # None for a \Noselect parent


# INBOX first, then the special folders in the order people expect them.
_SPECIAL_ORDER = ["\\Drafts", "\\Sent", "\\Archive", "\\Junk", "\\Trash"]


def folder_tree(pool: ConnectionPool, rights: RightsView) -> list[FolderEntry]:
    """The folders this person may see, with their counts: INBOX, the special
    folders, then the others by name, each followed by its children."""
    with pool.borrow() as client:
        folders = [f for f in mailstore.list_folders(client) if rights.sees(f.name)]
        counts = mailstore.count_messages(client, [f.name for f in folders if f.selectable])
    special = {f.name: f.special_use for f in folders}

    def order(folder: Folder) -> tuple[int, str]:
        top = folder.name.split(folder.delimiter)[0] if folder.delimiter else folder.name
        use = special.get(top)
        if top.upper() == "INBOX":
            rank = 0
        elif use in _SPECIAL_ORDER:
            rank = 1 + _SPECIAL_ORDER.index(use)
        else:
            rank = 10
        return rank, folder.name.casefold()

    return [FolderEntry(f, counts.get(f.name)) for f in sorted(folders, key=order)]


def folder_list(pool: ConnectionPool) -> list[Folder]:
    """Every folder of the mailbox, whoever may see it (for operators)."""
    with pool.borrow() as client:
        return mailstore.list_folders(client)


def folder_page(
    pool: ConnectionPool, folder: str, number: int, size: int, live_cache: Session | None = None
) -> FolderPage:
    """Page `number` of `folder`, latest arrival first: from the header cache
    when given one the watcher keeps live (and it holds the folder), which
    costs no IMAP round trip; else from IMAP."""
    number = max(1, number)
    if live_cache is not None:
        page = cache.page_of(live_cache, folder, number, size)
        if page is not None:
            return page
    with pool.borrow() as client:
        return mailstore.fetch_page(client, folder, number, size)


def message_header(
    pool: ConnectionPool, ref: MessageRef, live_cache: Session | None = None
) -> MessageHeader | None:
    """The header of one message, None if it left its folder: from the
    header cache when given one the watcher keeps live (as `folder_page`),
    else from IMAP."""
    if live_cache is not None:
        cached = cache.header_at(live_cache, ref.folder, ref.uid)
        if cached is not None:
            return cached.header
    with pool.borrow() as client:
        return mailstore.fetch_header(client, ref)


def open_message(pool: ConnectionPool, ref: MessageRef) -> MessageContent:
    """The message as the reader shows it; opening it never marks it read."""
    with pool.borrow() as client:
        return mailstore.fetch_message(client, ref)


def find_part(pool: ConnectionPool, ref: MessageRef, section: str) -> BodyPart:
    """One part of a message, from its structure alone (no body is fetched)."""
    with pool.borrow() as client:
        parts = mailstore.fetch_structure(client, ref)
    part = next((p for p in parts if p.section == section), None)
    if part is None:
        raise MessageNotFound(f"message {ref.uid} in {ref.folder} has no part {section}")
    return part


def stream_part(pool: ConnectionPool, ref: MessageRef, part: BodyPart) -> Iterator[bytes]:
    """The encoded bytes of a part, holding one connection while it streams."""
    with pool.borrow() as client:
        yield from mailstore.iter_part(client, ref, part)


def mark_seen(pool: ConnectionPool, ref: MessageRef, seen: bool) -> StoredFlags:
    """Add or remove \\Seen; marking a read message read again is fine."""
    with pool.borrow() as client:
        return changes.set_flag(client, ref, SEEN, seen)
