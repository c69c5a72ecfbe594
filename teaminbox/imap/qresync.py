"""CONDSTORE and QRESYNC (RFC 7162), which imapclient has no API for.

Everything that reaches into imapclient's imaplib connection for these
extensions lives here, in one small module.
"""

from __future__ import annotations

import logging
import weakref

from imapclient import IMAPClient

from teaminbox.imap.wire import parse_uid_set

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
