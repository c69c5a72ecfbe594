"""What changed in a folder since the cache last saw it.

IDLE only signals; this does the work, on a pooled connection. With QRESYNC
(RFC 7162) a catch-up costs what changed, not the size of the folder: one
FETCH … (CHANGEDSINCE m VANISHED), and the cache asked about those UIDs
alone. With CONDSTORE alone, expunges are found by comparing UID lists;
with neither, by comparing every UID's flags. A UIDVALIDITY change (or a
first sync) sends the whole folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from imapclient import IMAPClient

from teaminbox.domain import MessageHeader, StoredFlags
from teaminbox.imap.folder_stream import stream_folder_headers
from teaminbox.imap.mailstore import HEADER_ITEMS, header_from_fetch, select_folder
from teaminbox.imap.qresync import qresync_enabled, stored_flags, take_vanished
from teaminbox.imap.wire import fetch_uid_set, flag_names, number_or_none, uid_ranges

# Envelopes of new messages are fetched this many at a time: a response is
# parsed whole in memory, so chunks bound the memory of a big catch-up.
HEADER_CHUNK = 500


@dataclass(frozen=True)
class FolderVersion:
    """The server's numbers for a folder: they tell whether anything changed."""

    uidvalidity: int
    uidnext: int
    highestmodseq: int | None  # None without CONDSTORE


class CachedFolder(Protocol):
    """What the sync asks the cache about the folder (services.sync answers)."""

    def all_flags(self) -> Mapping[int, tuple[str, ...]]:
        """Every cached UID's flags."""
        ...

    def all_uids(self) -> set[int]:
        """Every cached UID."""
        ...

    def cached(self, uids: Iterable[int]) -> set[int]:
        """Those of `uids` that are cached."""
        ...


@dataclass(frozen=True)
class FolderDelta:
    """Changes since a known version. When `rebuilt`, whatever the cache
    held for the folder is void and `new` is the whole folder, read off the
    connection as it is consumed (folder_stream): consume it before the
    connection is given back; `count` is then the number of messages it
    holds. Otherwise `new` is a tuple. `flags` are the
    states of cached UIDs that changed since (with CONDSTORE, each with its
    MODSEQ: the cache keeps only the newer of its own and this one);
    `vanished` may name UIDs the cache never held."""

    version: FolderVersion
    rebuilt: bool = False
    new: Iterable[MessageHeader] = ()
    flags: dict[int, StoredFlags] = field(default_factory=dict)
    vanished: frozenset[int] = frozenset()
    count: int = 0

    @property
    def empty(self) -> bool:
        return not (self.rebuilt or self.new or self.flags or self.vanished)


def fetch_delta(
    client: IMAPClient, folder: str, known: FolderVersion | None, cache: CachedFolder
) -> FolderDelta:
    """The changes of `folder` since `known`, beside what `cache` holds.

    Needs nothing from the server but works best with QRESYNC enabled on the
    connection (see qresync.enable_qresync): then only the changed UIDs are
    looked up in the cache; without CONDSTORE every cached UID's flags are
    read, before the fetch (a change the app recorded before the fetch is
    then no news; one recorded after it has no MODSEQ to protect it).
    """
    take_vanished(client)  # leftovers of earlier commands are not ours
    status = select_folder(client, folder, readonly=True)
    version = FolderVersion(
        uidvalidity=int(status[b"UIDVALIDITY"]),
        uidnext=int(status.get(b"UIDNEXT", 0)),
        highestmodseq=number_or_none(status.get(b"HIGHESTMODSEQ")),
    )
    if known is None or known.uidvalidity != version.uidvalidity:
        count = int(status.get(b"EXISTS", 0))
        headers = stream_folder_headers(client) if count else ()
        return FolderDelta(version, rebuilt=True, new=headers, count=count)
    if known == version and version.highestmodseq is not None:
        return FolderDelta(version)  # without CONDSTORE, flags may still have changed
    if version.highestmodseq is not None and known.highestmodseq is not None:
        return _delta_by_modseq(client, version, known, cache)
    return _delta_by_comparison(client, version, cache.all_flags())


def fetch_headers(client: IMAPClient, uids: Sequence[int]) -> Iterator[MessageHeader]:
    """Headers of `uids` in the selected folder, a chunk at a time."""
    for start in range(0, len(uids), HEADER_CHUNK):
        chunk = list(uids[start : start + HEADER_CHUNK])
        fetched = fetch_uid_set(client, uid_ranges(chunk), HEADER_ITEMS)
        for uid in chunk:
            if uid in fetched:
                yield header_from_fetch(uid, fetched[uid])


def _delta_by_modseq(
    client: IMAPClient, version: FolderVersion, known: FolderVersion, cache: CachedFolder
) -> FolderDelta:
    modifiers = [f"CHANGEDSINCE {known.highestmodseq}"]
    qresync = qresync_enabled(client)
    if qresync:
        modifiers.append("VANISHED")
    fetched = fetch_uid_set(client, "1:*", ["FLAGS", "MODSEQ"], modifiers)
    changed = {uid: stored_flags(data) for uid, data in fetched.items()}
    # Without QRESYNC's VANISHED, what the cache holds that the server lost.
    vanished = take_vanished(client) if qresync else cache.all_uids() - set(client.search(["ALL"]))
    cached = cache.cached(changed) - vanished
    return FolderDelta(
        version,
        new=tuple(fetch_headers(client, sorted(set(changed) - cached - vanished))),
        flags={uid: changed[uid] for uid in cached},
        vanished=frozenset(vanished),
    )


def _delta_by_comparison(
    client: IMAPClient, version: FolderVersion, known_flags: Mapping[int, tuple[str, ...]]
) -> FolderDelta:
    nothing_ever = not known_flags and version.uidnext <= 1
    everything = {} if nothing_ever else fetch_uid_set(client, "1:*", ["FLAGS"])
    server = {uid: flag_names(data.get(b"FLAGS", ())) for uid, data in everything.items()}
    new_uids = sorted(uid for uid in server if uid not in known_flags)
    return FolderDelta(
        version,
        new=tuple(fetch_headers(client, new_uids)),
        flags={
            uid: StoredFlags(f)
            for uid, f in server.items()
            if uid in known_flags and f != known_flags[uid]
        },
        vanished=frozenset(set(known_flags) - set(server)),
    )
