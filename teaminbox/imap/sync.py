"""What changed in a folder since the cache last saw it.

IDLE only signals; this does the work, on a pooled connection. With QRESYNC
(RFC 7162) a catch-up costs what changed, not the size of the folder: one
FETCH … (CHANGEDSINCE m VANISHED). With CONDSTORE alone, expunges are found
by comparing UID lists; with neither, by comparing every UID's flags. A
UIDVALIDITY change (or a first sync) sends the whole folder.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from imapclient import IMAPClient

from teaminbox.domain import MessageHeader
from teaminbox.imap.mailstore import HEADER_ITEMS, header_from_fetch, select_folder
from teaminbox.imap.qresync import qresync_enabled, take_vanished
from teaminbox.imap.wire import fetch_uid_set, flag_names, uid_ranges

# Envelopes are fetched this many at a time: imapclient parses a whole
# response in memory, so chunks bound the memory of a first sync.
HEADER_CHUNK = 500


@dataclass(frozen=True)
class FolderVersion:
    """The server's numbers for a folder: they tell whether anything changed."""

    uidvalidity: int
    uidnext: int
    highestmodseq: int | None  # None without CONDSTORE


@dataclass(frozen=True)
class FolderDelta:
    """Changes since a known version. When `rebuilt`, `new` is the whole
    folder and whatever the cache held for it is void."""

    version: FolderVersion
    rebuilt: bool = False
    new: tuple[MessageHeader, ...] = ()
    flags: dict[int, tuple[str, ...]] = field(default_factory=dict)
    vanished: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.rebuilt or self.new or self.flags or self.vanished)


def fetch_delta(
    client: IMAPClient,
    folder: str,
    known: FolderVersion | None,
    known_flags: Mapping[int, tuple[str, ...]],
) -> FolderDelta:
    """The changes of `folder` since `known`, given the flags the cache holds.

    Needs nothing from the server but works best with QRESYNC enabled on the
    connection (see qresync.enable_qresync).
    """
    take_vanished(client)  # leftovers of earlier commands are not ours
    status = select_folder(client, folder, readonly=True)
    version = FolderVersion(
        uidvalidity=int(status[b"UIDVALIDITY"]),
        uidnext=int(status.get(b"UIDNEXT", 0)),
        highestmodseq=_int_or_none(status.get(b"HIGHESTMODSEQ")),
    )
    if known is None or known.uidvalidity != version.uidvalidity:
        uids = sorted(client.search(["ALL"]))
        return FolderDelta(version, rebuilt=True, new=tuple(fetch_headers(client, uids)))
    if known == version:
        return FolderDelta(version)
    if version.highestmodseq is not None and known.highestmodseq is not None:
        return _delta_by_modseq(client, version, known, known_flags)
    return _delta_by_comparison(client, version, known_flags)


def fetch_headers(client: IMAPClient, uids: Sequence[int]) -> Iterator[MessageHeader]:
    """Headers of `uids` in the selected folder, a chunk at a time."""
    for start in range(0, len(uids), HEADER_CHUNK):
        chunk = list(uids[start : start + HEADER_CHUNK])
        fetched = fetch_uid_set(client, uid_ranges(chunk), HEADER_ITEMS)
        for uid in chunk:
            if uid in fetched:
                yield header_from_fetch(uid, fetched[uid])


def _delta_by_modseq(
    client: IMAPClient,
    version: FolderVersion,
    known: FolderVersion,
    known_flags: Mapping[int, tuple[str, ...]],
) -> FolderDelta:
    modifiers = [f"CHANGEDSINCE {known.highestmodseq}"]
    qresync = qresync_enabled(client)
    if qresync:
        modifiers.append("VANISHED")
    changed = fetch_uid_set(client, "1:*", ["FLAGS"], modifiers)
    if qresync:
        vanished = take_vanished(client) & set(known_flags)
    else:
        vanished = set(known_flags) - set(client.search(["ALL"]))
    new_uids = sorted(uid for uid in changed if uid not in known_flags)
    flags = {
        uid: flag_names(data.get(b"FLAGS", ()))
        for uid, data in changed.items()
        if uid in known_flags and uid not in vanished
    }
    return FolderDelta(
        version,
        new=tuple(fetch_headers(client, new_uids)),
        flags={uid: f for uid, f in flags.items() if f != known_flags[uid]},
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
        flags={uid: f for uid, f in server.items() if uid in known_flags and f != known_flags[uid]},
        vanished=frozenset(set(known_flags) - set(server)),
    )


def _int_or_none(value: object) -> int | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return int(value) if isinstance(value, (int, bytes, str)) and value != b"" else None
