"""CONDSTORE and QRESYNC (RFC 7162), which imapclient has no API for.

Everything that reaches into imapclient's imaplib connection for these
extensions lives here, in one small module.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from imapclient import IMAPClient

from teaminbox.domain import StoredFlags
from teaminbox.imap.fetch_parser import parse_fetch_response
from teaminbox.imap.wire import (
    fetch_uid_set,
    flag_names,
    number_or_none,
    parse_uid_set,
    uid_ranges,
)

log = logging.getLogger(__name__)

# Connections on which ENABLE QRESYNC succeeded.
_enabled: weakref.WeakSet[IMAPClient] = weakref.WeakSet()


def enable_qresync(client: IMAPClient) -> bool:
    """ENABLE QRESYNC (which implies CONDSTORE) when offered; True if on.

    With it, pushed FETCH responses carry UID and MODSEQ, and a FETCH with
    CHANGEDSINCE … VANISHED reports the UIDs expunged since a MODSEQ.
    """
    if not client.has_capability("QRESYNC"):
        return False
    if b"QRESYNC" in client.enable("QRESYNC"):
        _enabled.add(client)
        return True
    return False


def qresync_enabled(client: IMAPClient) -> bool:
    return client in _enabled


def take_vanished(client: IMAPClient) -> set[int]:
    """The UIDs of the VANISHED responses received so far, consumed.

    Both forms count: `VANISHED (EARLIER) 3:5` (an answer to CHANGEDSINCE …
    VANISHED) and `VANISHED 7` (an expunge while selected).
    """
    responses = client._imap.untagged_responses.pop("VANISHED", [])
    uids: set[int] = set()
    for response in responses:
        text = response.decode() if isinstance(response, bytes) else str(response)
        uids.update(parse_uid_set(text.removeprefix("(EARLIER)").strip()))
    return uids


def store_flags(
    client: IMAPClient, uids: Sequence[int], change: str, flags: Sequence[str]
) -> dict[int, StoredFlags]:
    """`UID STORE uids change (flags)` (change: `+FLAGS`, `-FLAGS`) in the
    selected folder: the flags of each message it changed, with the MODSEQ
    of that state when the server offers CONDSTORE. The STORE's untagged
    FETCH carries MODSEQ once CONDSTORE is enabled on the connection
    (imapclient's add_flags keeps only FLAGS); before that (no QRESYNC
    enabled), they are fetched, which enables it. A message whose flags
    were already so gets no FETCH from Dovecot and is missing."""
    data = client._command_and_check(
        "store", uid_ranges(uids), change, f"({' '.join(flags)})", uid=True
    )
    fetched = parse_fetch_response(data, client.normalise_times)
    found = {uid: stored_flags(fetched[uid]) for uid in uids if uid in fetched}
    unversioned = [uid for uid, state in found.items() if state.modseq is None]
    if unversioned and client.has_capability("CONDSTORE"):
        found.update(fetch_stored_flags(client, unversioned))
    return found


def fetch_stored_flags(client: IMAPClient, uids: Sequence[int]) -> dict[int, StoredFlags]:
    """The flags of `uids` in the selected folder, with their MODSEQ when the
    server offers CONDSTORE (asking for MODSEQ enables it, RFC 7162; a
    server without it would answer BAD)."""
    items = ["FLAGS", "MODSEQ"] if client.has_capability("CONDSTORE") else ["FLAGS"]
    fetched = fetch_uid_set(client, uid_ranges(uids), items)
    return {uid: stored_flags(data) for uid, data in fetched.items()}


def stored_flags(data: Mapping[bytes, Any]) -> StoredFlags:
    """The FLAGS and MODSEQ (`MODSEQ (12)`, None if absent) of one FETCH answer."""
    return StoredFlags(flag_names(data.get(b"FLAGS", ())), number_or_none(data.get(b"MODSEQ")))
