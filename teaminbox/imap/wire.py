"""IMAP wire values (UID sets, flag lists) and the FETCH imapclient cannot send.

imapclient 4.x `fetch("1:*", …)` raises ValueError: it filters the answer
by `int()` of the message set it was given. `fetch_uid_set` sends a UID set
as written (ranges keep a 100k-message folder under the server's 64 KiB
line limit) and keeps every FETCH the server answered, read by the fast
parser of fetch_parser (a catch-up's new messages, a page's envelopes).
`fetch_sequence_range` fetches by message sequence numbers, which run in UID
order: a folder's latest arrivals without sorting it. A first sync streams
the whole folder with folder_stream instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from imapclient import IMAPClient

from teaminbox.imap.fetch_parser import parse_fetch_response


def parse_uid_set(text: str) -> list[int]:
    """`3:5,9` into [3, 4, 5, 9], in the order written: `5:3` gives [5, 4, 3].

    The order matters for COPYUID, which pairs source and destination UIDs
    by position (RFC 4315).
    """
    uids: list[int] = []
    for piece in filter(None, text.split(",")):
        first, _, last = piece.partition(":")
        low, high = int(first), int(last or first)
        step = 1 if high >= low else -1
        uids.extend(range(low, high + step, step))
    return uids


def uid_ranges(uids: Iterable[int]) -> str:
    """The shortest IMAP sequence set for `uids` (sorted or not): `1:3,7`.

    Keeps command lines short: a list of 100k UIDs would pass the server's
    64 KiB line limit, their ranges rarely do.
    """
    ordered = sorted(set(uids))
    if not ordered:
        return ""
    pieces: list[str] = []
    start = previous = ordered[0]
    for uid in ordered[1:]:
        if uid != previous + 1:
            pieces.append(f"{start}:{previous}" if previous != start else str(start))
            start = uid
        previous = uid
    pieces.append(f"{start}:{previous}" if previous != start else str(start))
    return ",".join(pieces)


def flag_names(raw: Sequence[bytes | str]) -> tuple[str, ...]:
    """Flags as sorted text, without `\\Recent`, which is per session and
    means nothing to anyone else. Sorted so that two lists compare equal."""
    names = (f.decode() if isinstance(f, bytes) else f for f in raw)
    return tuple(sorted(name for name in names if name != "\\Recent"))


def number_or_none(value: object) -> int | None:
    """A number as a response gives it (`12`, `b"12"`, `(12)` as in
    `MODSEQ (12)`); None when absent or empty."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return int(value) if isinstance(value, (int, bytes, str)) and value != b"" else None


def fetch_uid_set(
    client: IMAPClient,
    uid_set: str,
    items: Sequence[str],
    modifiers: Sequence[str] = (),
) -> dict[int, dict[bytes, Any]]:
    """`UID FETCH uid_set (items) (modifiers)`, parsed as imapclient would: UID → data."""
    if not uid_set:
        return {}
    args = ["UID", "FETCH", uid_set, f"({' '.join(items)})"]
    if modifiers:
        args.append(f"({' '.join(modifiers)})")
    return _fetch(client, args)


def fetch_sequence_range(
    client: IMAPClient, first: int, last: int, items: Sequence[str]
) -> dict[int, dict[bytes, Any]]:
    """`FETCH first:last (UID items)` by message sequence numbers, which run in
    UID order: the newest arrivals of a folder without sorting it. UID → data."""
    if last < first:
        return {}
    return _fetch(client, ["FETCH", f"{first}:{last}", f"(UID {' '.join(items)})"])


def _fetch(client: IMAPClient, args: list[str]) -> dict[int, dict[bytes, Any]]:
    imap = client._imap
    typ, data = imap._command_complete("FETCH", imap._command(*args))
    if typ != "OK":
        raise imap.error(f"{' '.join(args[:2])} failed: {data}")
    typ, data = imap._untagged_response(typ, data, "FETCH")
    return dict(parse_fetch_response(data, client.normalise_times))
