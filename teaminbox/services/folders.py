"""Managing the mailbox's folders: what a folder's pages offer, creating and
deleting folders.

As in actions.py, one function per use case: rights first, then the change
on the IMAP server, then the audit row in the caller's session; the caller
commits, then publishes.

| action | right |
|---|---|
| create a subfolder | `k` on the parent |
| create a top-level folder | `k` on the root, which only a `*` grant gives |
| delete a folder | `x` on it (never INBOX, a special-use folder or the Trash) |
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy.orm import Session

from teaminbox.domain import Folder, same_folder, trash_folder
from teaminbox.imap import changes, mailstore
from teaminbox.imap.errors import FolderNotFound, ServerRefused
from teaminbox.imap.pool import ConnectionPool
from teaminbox.rights import Right
from teaminbox.services import audit, reading
from teaminbox.services.actions import ActionRefused, Refusal
from teaminbox.services.rights import Forbidden, RightsView
from teaminbox.store import cache
from teaminbox.store.models import User

# Rights for top-level folders are asked of the mailbox's root, the empty
# name, which only the pattern `*` matches.
ROOT = ""
# Longer names are refused: nobody needs them, and some servers cap the
# whole hierarchical name at a few hundred bytes.
MAX_FOLDER_NAME = 100


@dataclass(frozen=True)
class FolderChanged:
    """A folder created or deleted (its full name)."""

    name: str


@dataclass(frozen=True)
class FolderOptions:
    """What the pages offer in a folder: where its messages may move to (the
    person's folders with `i`), whether it is the Trash, whether it may be
    deleted at all (never INBOX, a special-use folder or the Trash)."""

    destinations: tuple[Folder, ...]
    is_trash: bool
    deletable: bool


def folder_options(pool: ConnectionPool, rights: RightsView, folder: str) -> FolderOptions:
    folders = reading.folder_list(pool)
    destinations = tuple(
        sorted(
            (
                f
                for f in folders
                if f.selectable
                and not same_folder(f.name, folder)
                and rights.sees(f.name)
                and rights.can(f.name, Right.INSERT)
            ),
            key=lambda f: (f.name.upper() != "INBOX", f.name.casefold()),
        )
    )
    trash = trash_folder(folders)
    current = _find(folders, folder)
    return FolderOptions(
        destinations=destinations,
        is_trash=trash is not None and same_folder(trash.name, folder),
        deletable=current is not None and not _protected(current, trash),
    )


def create_folder(
    pool: ConnectionPool,
    session: Session,
    actor: User,
    rights: RightsView,
    parent: str | None,
    name: str,
) -> FolderChanged:
    """Create the folder `name` inside `parent` (None: at the top level) and
    subscribe to it. Needs `k` on the parent, or on the root for a top-level
    folder. `name` is one level: the hierarchy separator is refused in it."""
    if parent is None:
        if Right.CREATE not in rights.on(ROOT):
            raise Forbidden(ROOT, Right.CREATE)
    else:
        rights.require(parent, Right.CREATE)
    name = unicodedata.normalize("NFC", name.strip())
    folders = reading.folder_list(pool)
    delimiter = next((f.delimiter for f in folders if f.delimiter), "/")
    _check_name(name, delimiter)
    if parent is None:
        full = name
    else:
        container = _find(folders, parent)
        if container is None:
            raise FolderNotFound(f"no folder {parent!r}")
        full = f"{container.name}{container.delimiter or delimiter}{name}"
    if _find(folders, full) is not None and not rights.sees(full):
        # Saying "it exists" would reveal a folder this person may not know of.
        raise ServerRefused(f"{full!r} exists, hidden from {actor.username}")
    with pool.borrow() as client:
        changes.create_folder(client, full)
    audit.record(session, actor, "folder.create", full, folder=full)
    return FolderChanged(full)


def delete_folder(
    pool: ConnectionPool, session: Session, actor: User, rights: RightsView, folder: str
) -> FolderChanged:
    """Delete an empty folder that has no subfolders. Needs `x` on it. INBOX,
    special-use folders and the Trash are never deleted."""
    rights.require(folder, Right.DELETE_FOLDER)
    folders = reading.folder_list(pool)
    target = _find(folders, folder)
    if target is None:
        raise FolderNotFound(f"no folder {folder!r}")
    if _protected(target, trash_folder(folders)):
        raise ActionRefused(Refusal.PROTECTED_FOLDER, folder)
    prefix = target.name + target.delimiter
    if target.delimiter and any(f.name.startswith(prefix) for f in folders):
        raise ActionRefused(Refusal.HAS_SUBFOLDERS, folder)
    with pool.borrow() as client:
        held = mailstore.count_messages(client, [target.name]) if target.selectable else {}
        empty = target.name not in held or held[target.name].messages == 0
        if empty:
            changes.delete_folder(client, target.name)
    if not empty:
        raise ActionRefused(Refusal.FOLDER_NOT_EMPTY, folder)
    # Dovecot drops the other sessions that had it selected; weed them out now.
    pool.check_idle()
    cache.forget_folders(session, [target.name])  # pages no longer read it there
    audit.record(session, actor, "folder.delete", target.name, folder=target.name)
    return FolderChanged(target.name)


def _protected(folder: Folder, trash: Folder | None) -> bool:
    return (
        folder.name.upper() == "INBOX"
        or folder.special_use is not None
        or (trash is not None and same_folder(trash.name, folder.name))
    )


def _check_name(name: str, delimiter: str) -> None:
    """A folder name the server will take and that lists cleanly: not empty,
    not too long, no hierarchy separator, no LIST wildcard, no control
    character."""
    if (
        not name
        or len(name) > MAX_FOLDER_NAME
        or (delimiter and delimiter in name)
        or any(c in name for c in "*%")
        or any(unicodedata.category(c).startswith("C") for c in name)
    ):
        raise ActionRefused(Refusal.BAD_FOLDER_NAME, name)


def _find(folders: list[Folder], name: str | None) -> Folder | None:
    if name is None:
        return None
    return next((f for f in folders if same_folder(f.name, name)), None)
