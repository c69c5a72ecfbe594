"""The header cache: per-folder sync state and one row per message.

Queries take the caller's session and never commit. The cache can be
dropped and rebuilt from IMAP at any time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from itertools import islice
from typing import cast

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from teaminbox.domain import FolderPage, MessageHeader, Person, StoredFlags, local_zone
from teaminbox.store.models import CachedMessage, FolderState

# Headers written per INSERT as a first sync streams them (fill_folder):
# few enough that they die young; at 1,000 the garbage collector's full
# collections cost ~10% of the sync.
FILL_BATCH = 200
# UIDs per `IN (…)` list (and headers per INSERT in add_headers, which
# asks about them first): a catch-up after a long absence may name 100k of
# them, and SQLite binds at most 32,766 parameters per statement.
IN_BATCH = 1000


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


def cached_folders(session: Session) -> list[str]:
    """The folders the header cache holds."""
    return list(session.scalars(select(FolderState.name).order_by(FolderState.name)))


def forget_folders(session: Session, names: Iterable[str]) -> None:
    """Drop what the cache holds of these folders (deleted or renamed on the
    server): a page must not be read from the rows of a folder that is gone."""
    wanted = list(names)
    if not wanted:
        return
    ids = select(FolderState.id).where(FolderState.name.in_(wanted))
    session.execute(delete(CachedMessage).where(CachedMessage.folder_id.in_(ids)))
    session.execute(delete(FolderState).where(FolderState.name.in_(wanted)))


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


def page_of(session: Session, folder: str, number: int, size: int) -> FolderPage | None:
    """Page `number` of a cached folder, latest arrival (highest UID) first,
    as `mailstore.fetch_page` gives it; None if the folder is not cached."""
    state = folder_state(session, folder)
    if state is None:
        return None
    total = session.scalar(
        select(func.count()).select_from(CachedMessage).where(CachedMessage.folder_id == state.id)
    )
    rows = session.scalars(
        select(CachedMessage)
        .where(CachedMessage.folder_id == state.id)
        .order_by(CachedMessage.uid.desc())
        .offset((number - 1) * size)
        .limit(size)
    )
    headers = tuple(cached_header(row) for row in rows)
    return FolderPage(folder=folder, number=number, size=size, total=total or 0, headers=headers)


@dataclass(frozen=True)
class CachedHeader:
    """What the cache says of one UID of a folder it holds: its header, or
    None when the UID is not (or no longer) there."""

    header: MessageHeader | None


def header_at(session: Session, folder: str, uid: int) -> CachedHeader | None:
    """The cached header of `uid` in `folder`; None if the cache cannot say:
    the folder is not cached, or the UID is newer than its last sync."""
    state = folder_state(session, folder)
    if state is None or uid >= state.uidnext:
        return None
    row = session.scalar(
        select(CachedMessage).where(CachedMessage.folder_id == state.id, CachedMessage.uid == uid)
    )
    return CachedHeader(cached_header(row) if row else None)


def cached_header(row: CachedMessage) -> MessageHeader:
    """A cached row as the header IMAP would give."""
    sender = Person(row.sender_name, row.sender_email) if row.sender_email else None
    return MessageHeader(
        uid=row.uid,
        flags=tuple(row.flags.split()),
        subject=row.subject,
        sender=sender,
        recipients=tuple(_person(entry) for entry in row.recipients.split("\n") if entry),
        date=_local(row.date),
        size=row.size,
        message_id=row.message_id,
        in_reply_to=row.in_reply_to,
    )


def _person(entry: str) -> Person:
    """`str(Person)` read back: "Name <email>" or the email alone."""
    name, bracket, email = entry.rpartition(" <")
    if bracket and email.endswith(">"):
        return Person(name, email[:-1])
    return Person("", entry)


def _local(moment: datetime | None) -> datetime | None:
    """Dates as imapclient gives them: naive, in local time (`local_zone`).
    SQLite keeps them so; PostgreSQL gives them back aware."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(local_zone()).replace(tzinfo=None)


def flags_by_uid(session: Session, state: FolderState) -> dict[int, tuple[str, ...]]:
    """The cached flags of every message of the folder (a server without
    CONDSTORE leaves nothing better to compare with)."""
    rows = session.execute(
        select(CachedMessage.uid, CachedMessage.flags).where(CachedMessage.folder_id == state.id)
    )
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
    row: a catch-up after a long absence may add many thousands, and a
    batch keeps both the memory and the number of bound parameters
    bounded. (A first sync goes through `fill_folder`.)"""
    headers = list(headers)
    added: list[MessageHeader] = []
    for start in range(0, len(headers), IN_BATCH):
        batch = headers[start : start + IN_BATCH]
        known = _cached_uids(session, state, [h.uid for h in batch])
        fresh = [h for h in batch if h.uid not in known]
        if fresh:
            session.execute(insert(CachedMessage), [_row(state, h) for h in fresh])
        added.extend(fresh)
    return added


def fill_folder(session: Session, state: FolderState, headers: Iterable[MessageHeader]) -> int:
    """Cache every header of a folder that has no rows (cleared, or new),
    FILL_BATCH at a time as `headers` yields them: a first sync streams a
    whole folder (100k headers) through here and never holds it. The number
    of rows written."""
    as_row = row_maker(session.get_bind().dialect.name, state.id)
    return fill_rows(session, map(as_row, headers))


def fill_rows(session: Session, rows: Iterable[Row]) -> int:
    """fill_folder for rows already made by `row_maker` (in this process or
    another). Nothing is asked of the cache, which holds none of them.

    Rows go to the driver's executemany as tuples: SQLAlchemy's per-row
    parameter processing took a third of a first sync (1 s of 2.9 at 100k
    messages). The number of rows written."""
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"  # SQLite, psycopg
    statement = (
        f"INSERT INTO {CachedMessage.__tablename__} ({', '.join(_COLUMNS)})"  # noqa: S608 - constant names, bound values
        f" VALUES ({', '.join([mark] * len(_COLUMNS))})"
    )
    remaining = iter(rows)
    written = 0
    while batch := list(islice(remaining, FILL_BATCH)):
        connection.exec_driver_sql(statement, batch)
        written += len(batch)
    return written


# A header as fill_rows writes it: plain values, cheap to send between
# processes (a MessageHeader costs ten times more to pickle).
Row = tuple[object, ...]


def row_maker(dialect: str, folder_id: int) -> Callable[[MessageHeader], Row]:
    """How a header of folder `folder_id` becomes a Row for a database of
    `dialect` (a SQLAlchemy dialect's name); needs no connection, so that a
    process reading a folder's headers can make the rows itself."""
    to_driver = _driver_date(dialect, local_zone())
    return lambda header: _values(folder_id, header, to_driver)


def row_uid(row: Row) -> int:
    """The UID a Row caches."""
    return cast(int, row[_COLUMNS.index("uid")])


def analyse(session: Session) -> None:
    """Tell PostgreSQL's planner what a folder cached whole added. Until
    autovacuum gets to it (within about a minute) the planner believed the
    table as it was before, and a catch-up's `uid IN (…)` read all 100k rows
    of the new folder (21 ms instead of 6). SQLite's plan does not change."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {CachedMessage.__tablename__}"))


DateWriter = Callable[[datetime | None], object]


def _driver_date(dialect: str, zone: tzinfo) -> DateWriter:
    """How a header's date (naive, in local time `zone`) goes to the driver.
    SQLite: the text SQLAlchemy's DATETIME writes for it, its wall-clock
    time (that type's own conversion costs a microsecond a row). Elsewhere:
    an instant, which PostgreSQL would otherwise read in its session's zone."""
    if dialect != "sqlite":
        return _instant_in(zone)

    def wall_clock(date: datetime | None) -> str | None:
        local = _local(date)
        return local.isoformat(" ", "microseconds") if local is not None else None

    return wall_clock


def _instant_in(zone: tzinfo) -> DateWriter:
    def instant(date: datetime | None) -> datetime | None:
        if date is None or date.tzinfo is not None:
            return date
        return date.replace(tzinfo=zone)

    return instant


# The columns of a cached header, in the order of _values.
_COLUMNS = (
    "folder_id",
    "uid",
    "message_id",
    "subject",
    "sender_name",
    "sender_email",
    "recipients",
    "date",
    "size",
    "flags",
    "in_reply_to",
)


def _values(folder_id: int, header: MessageHeader, to_driver: DateWriter) -> tuple[object, ...]:
    sender = header.sender
    return (
        folder_id,
        header.uid,
        header.message_id,
        header.subject,
        sender.name if sender else "",
        sender.email if sender else "",
        "\n".join(str(p) for p in header.recipients),
        to_driver(header.date),
        header.size,
        " ".join(header.flags),
        header.in_reply_to,
    )


def _row(state: FolderState, header: MessageHeader) -> dict[str, object]:
    """A header's row for SQLAlchemy, whose DATETIME converts the instant."""
    return dict(zip(_COLUMNS, _values(state.id, header, _instant_in(local_zone())), strict=True))


def set_flags(
    session: Session, state: FolderState, flags: Mapping[int, StoredFlags]
) -> dict[int, tuple[str, ...]]:
    """Store these flags of cached UIDs; the former flags of those whose
    flags changed (UIDs not cached are left alone).

    Rows are read at write time, locked until the commit (PostgreSQL), and
    replaced only by a newer state: one whose MODSEQ is above the row's, or
    either MODSEQ unknown. So flags a sync fetched before the app's own
    change, which the app recorded meanwhile with its higher MODSEQ, are
    neither written back nor reported (no event twice). A state without a
    MODSEQ keeps the row's."""
    former: dict[int, tuple[str, ...]] = {}
    for batch in _batches(flags):
        rows = session.execute(
            select(CachedMessage.id, CachedMessage.uid, CachedMessage.flags, CachedMessage.modseq)
            .where(CachedMessage.folder_id == state.id, CachedMessage.uid.in_(batch))
            .with_for_update()
        )
        updates = []
        for row_id, uid, cached, modseq in rows:
            new = flags[uid]
            if new.modseq is not None and modseq is not None and new.modseq <= modseq:
                continue  # the row is as new or newer
            text = " ".join(new.flags)
            if text == cached and new.modseq in (None, modseq):
                continue
            kept = modseq if new.modseq is None else new.modseq
            updates.append({"id": row_id, "flags": text, "modseq": kept})
            if text != cached:
                former[uid] = tuple(cached.split())
        if updates:
            session.execute(update(CachedMessage), updates)
    return former


def remove_uids(session: Session, state: FolderState, uids: Iterable[int]) -> list[CachedRef]:
    """Drop those of these UIDs that are cached and say what they were."""
    gone: list[CachedRef] = []
    for batch in _batches(uids):
        rows = list(
            session.scalars(
                select(CachedMessage).where(
                    CachedMessage.folder_id == state.id, CachedMessage.uid.in_(batch)
                )
            )
        )
        gone.extend(CachedRef(r.uid, r.message_id, r.subject) for r in rows)
        for row in rows:
            session.delete(row)
    return gone


def all_uids(session: Session, state: FolderState) -> set[int]:
    """Every UID the cache holds of the folder."""
    return set(
        session.scalars(select(CachedMessage.uid).where(CachedMessage.folder_id == state.id))
    )


def cached_uids(session: Session, state: FolderState, uids: Iterable[int]) -> set[int]:
    """Which of these UIDs the cache holds."""
    found: set[int] = set()
    for batch in _batches(uids):
        found |= _cached_uids(session, state, batch)
    return found


def _batches(uids: Iterable[int]) -> Iterator[list[int]]:
    wanted = list(uids)
    for start in range(0, len(wanted), IN_BATCH):
        yield wanted[start : start + IN_BATCH]


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
    # MODSEQs count per folder: the source's says nothing in the destination.
    row.folder_id, row.uid, row.modseq = target.id, new_uid, None
