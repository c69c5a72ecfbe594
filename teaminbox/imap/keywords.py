"""Assignments written on the messages themselves, as IMAP keywords.

One keyword per assignee, `$Assigned_<username>`, never one per message or
per date: Dovecot's Maildir keeps at most 26 distinct keywords per folder,
and changes to any beyond those are neither pushed nor kept (IMAP-FACTS.md).
Keywords are atoms of at most 50 bytes on Dovecot (`mail_max_keyword_length`)
and compared without regard to case; usernames are lower-case letters,
digits, dots, dashes and underscores, all atom characters, so a username
fits as it is unless it is too long, in which case its start and a hash of
the whole name stand for it.

Setting keywords needs the folder's PERMANENTFLAGS to hold `\\*` (RFC 3501:
the client may create new keywords); without it the app keeps assignments
in its database alone.
"""

from __future__ import annotations

import hashlib
import imaplib
from collections.abc import Iterable

from imapclient import IMAPClient

from teaminbox.domain import MessageRef, StoredFlags
from teaminbox.imap.errors import MessageNotFound, ServerRefused
from teaminbox.imap.mailstore import select_folder
from teaminbox.imap.qresync import fetch_stored_flags

PREFIX = "$Assigned_"
# Dovecot's default mail_max_keyword_length.
MAX_KEYWORD = 50
_HASHED = 8


def assignee_keyword(username: str) -> str:
    """The keyword that says "assigned to `username`"."""
    keyword = PREFIX + username
    if len(keyword) <= MAX_KEYWORD:
        return keyword
    digest = hashlib.sha256(username.encode()).hexdigest()[:_HASHED]
    kept = MAX_KEYWORD - len(PREFIX) - _HASHED - 1
    return f"{PREFIX}{username[:kept]}~{digest}"


def is_assignee_keyword(flag: str) -> bool:
    return flag.casefold().startswith(PREFIX.casefold()) and len(flag) > len(PREFIX)


def assignee_keywords(flags: Iterable[str]) -> list[str]:
    """The assignee keywords among `flags`, in their order."""
    return [f for f in flags if is_assignee_keyword(f)]


def keywords_allowed(client: IMAPClient, folder: str) -> bool:
    """Whether `folder` takes new keywords (`\\*` in PERMANENTFLAGS); selects it read-write."""
    status = select_folder(client, folder, readonly=False)
    return b"\\*" in status.get(b"PERMANENTFLAGS", ())


def set_assignee_keyword(client: IMAPClient, ref: MessageRef, keyword: str | None) -> StoredFlags:
    """Make `keyword` (None: none) the message's only assignee keyword;
    return its flags afterwards, with their MODSEQ under CONDSTORE. Other
    keywords and flags stay as they are.

    Needs a folder that takes keywords (see `keywords_allowed`); raises
    MessageNotFound when the UID is gone.
    """
    select_folder(client, ref.folder, readonly=False)
    current = _flags(client, ref).flags
    stale = [f for f in assignee_keywords(current) if keyword is None or not _same(f, keyword)]
    try:
        if stale:
            client.remove_flags([ref.uid], stale, silent=True)
        if keyword is not None and not any(_same(f, keyword) for f in current):
            client.add_flags([ref.uid], [keyword], silent=True)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise ServerRefused(f"the server refused a keyword on {ref}: {exc}") from exc
    return _flags(client, ref)


def _flags(client: IMAPClient, ref: MessageRef) -> StoredFlags:
    found = fetch_stored_flags(client, [ref.uid]).get(ref.uid)
    if found is None:
        raise MessageNotFound(f"no message {ref.uid} in {ref.folder}")
    return found


def _same(first: str, second: str) -> bool:
    return first.casefold() == second.casefold()
