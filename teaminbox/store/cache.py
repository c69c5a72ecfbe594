"""The header cache: per-folder sync state and one row per message.

Queries take the caller's session and never commit. The cache can be
dropped and rebuilt from IMAP at any time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from teaminbox.domain import MessageHeader
from teaminbox.store.models import CachedMessage, FolderState

# Rows written per INSERT when caching many headers (a first sync).
INSERT_BATCH = 1000


@dataclass(frozen=True)
class CachedRef:
    """What the cache remembers of a message that is gone: enough to say what it was."""

    uid: int
    message_id: str
    subject: str


@dataclass(frozen=True)
class CachedLocation:
    """Where a message with a given Message-ID sits."""

    folder: str
    uid: int
    message_id: str


def folder_state(session: Session, name: str) -> FolderState | None:
    return session.scalar(select(FolderState).where(FolderState.name == name))


def message_id_at(session: Session, folder: str, uid: int) -> str | None:
    """The cached Message-ID of `uid` in `folder`; None if not cached."""
    found: str | None = session.scalar(
        select(CachedMessage.message_id)
        .join(FolderState, CachedMessage.folder_id == FolderState.id)
        .where(FolderState.name == folder, CachedMessage.uid == uid)
    )
    return found


def locations_of(session: Session, message_ids: Iterable[str]) -> list[CachedLocation]:
    """Where the cache holds messages with these Message-IDs."""
    wanted = [m for m in message_ids if m]
    if not wanted:
        return []
    rows = session.execute(
        select(FolderState.name, CachedMessage.uid, CachedMessage.message_id)
        .join(FolderState, CachedMessage.folder_id == FolderState.id)
        .where(CachedMessage.message_id.in_(wanted))
    )
    return [CachedLocation(folder, uid, message_id) for folder, uid, message_id in rows]


def in_reply_to_at(session: Session, folder: str, uid: int) -> str:
    """The cached In-Reply-To of `uid` in `folder` ("" if none)."""
    found = session.scalar(
        select(CachedMessage.in_reply_to)
        .join(FolderState, CachedMessage.folder_id == FolderState.id)
        .where(FolderState.name == folder, CachedMessage.uid == uid)
    )
    return found or ""


def flags_by_uid(
    session: Session, state: FolderState, uids: Iterable[int] | None = None
) -> dict[int, tuple[str, ...]]:
    """The cached flags of the folder's messages (of `uids` only, if given)."""
    query = select(CachedMessage.uid, CachedMessage.flags).where(
        CachedMessage.folder_id == state.id
    )
    if uids is not None:
        query = query.where(CachedMessage.uid.in_(list(uids)))
    rows = session.execute(query)
    return {uid: tuple(flags.split()) for uid, flags in rows}


def save_version(
    session: Session, name: str, uidvalidity: int, uidnext: int, highestmodseq: int | None
) -> FolderState:
    state = folder_state(session, name) or FolderState(name=name)
    state.uidvalidity, state.uidnext, state.highestmodseq = uidvalidity, uidnext, highestmodseq
    session.add(state)
    session.flush()
    return state


def clear_folder(session: Session, state: FolderState) -> None:
    session.execute(delete(CachedMessage).where(CachedMessage.folder_id == state.id))


def add_headers(
    session: Session, state: FolderState, headers: Iterable[MessageHeader]
) -> list[MessageHeader]:
    """Cache the headers of UIDs not cached yet; the ones added. A UID the
    app's own move already carried here (`move_row`) is not news.

    A batch at a time, each one executemany rather than an ORM object per
    row: a first sync adds a whole folder (100k rows), which the unit of
    work would take longer to write than IMAP takes to send, and a batch
    keeps both the memory and the number of bound parameters bounded."""
    headers = list(headers)
    added: list[MessageHeader] = []
    for start in range(0, len(headers), INSERT_BATCH):
        batch = headers[start : start + INSERT_BATCH]
        known = _cached_uids(session, state, [h.uid for h in batch])
        fresh = [h for h in batch if h.uid not in known]
        if fresh:
            session.execute(insert(CachedMessage), [_row(state, h) for h in fresh])
        added.extend(fresh)
    return added


def _row(state: FolderState, header: MessageHeader) -> dict[str, object]:
    return {
        "folder_id": state.id,
        "uid": header.uid,
        "message_id": header.message_id,
        "subject": header.subject,
        "sender_name": header.sender.name if header.sender else "",
        "sender_email": header.sender.email if header.sender else "",
        "recipients": "\n".join(str(p) for p in header.recipients),
        "date": header.date,
        "size": header.size,
        "flags": " ".join(header.flags),
        "in_reply_to": header.in_reply_to,
    }


def set_flags(
    session: Session, state: FolderState, flags: Mapping[int, tuple[str, ...]]
) -> dict[int, tuple[str, ...]]:
    """Store these flags; those that differed from the cached ones. Read at
    write time, so a change the app recorded meanwhile is not reported again."""
    if not flags:
        return {}
    rows = session.scalars(
        select(CachedMessage).where(
            CachedMessage.folder_id == state.id, CachedMessage.uid.in_(list(flags))
        )
    )
    changed = {}
    for row in rows:
        stored = " ".join(flags[row.uid])
        if row.flags != stored:
            row.flags = stored
            changed[row.uid] = flags[row.uid]
    return changed


def remove_uids(session: Session, state: FolderState, uids: Iterable[int]) -> list[CachedRef]:
    """Drop these UIDs and say what they were."""
    wanted = list(uids)
    if not wanted:
        return []
    rows = list(
        session.scalars(
            select(CachedMessage).where(
                CachedMessage.folder_id == state.id, CachedMessage.uid.in_(wanted)
            )
        )
    )
    gone = [CachedRef(r.uid, r.message_id, r.subject) for r in rows]
    for row in rows:
        session.delete(row)
    return gone


def _cached_uids(session: Session, state: FolderState, uids: list[int]) -> set[int]:
    if not uids:
        return set()
    return set(
        session.scalars(
            select(CachedMessage.uid).where(
                CachedMessage.folder_id == state.id, CachedMessage.uid.in_(uids)
            )
        )
    )


def move_row(session: Session, source: str, uid: int, destination: str, new_uid: int) -> None:
    """Carry a message's cached row to `destination` under `new_uid`, so that
    the sync after a move made by the app finds nothing new to report. A
    folder the cache does not hold yet is left to its first sync."""
    state = folder_state(session, source)
    target = folder_state(session, destination)
    if state is None:
        return
    row = session.scalar(
        select(CachedMessage).where(CachedMessage.folder_id == state.id, CachedMessage.uid == uid)
    )
    if row is None:
        return
    if target is None:
        session.delete(row)
        return
    row.folder_id, row.uid = target.id, new_uid
