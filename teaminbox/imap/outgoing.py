"""What replying needs from the mailbox: the original's threading headers
and current flags, and the sent copy appended to Sent.

Every function takes a borrowed, logged-in IMAPClient.
"""

from __future__ import annotations

import imaplib
import re
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from imapclient import IMAPClient

from teaminbox.domain import SEEN, MessageRef
from teaminbox.imap.errors import FolderNotFound, MessageNotFound, ServerRefused
from teaminbox.imap.mailstore import select_folder
from teaminbox.imap.wire import flag_names
from teaminbox.mail.headers import decode_header_value

_THREAD_FIELDS = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID REFERENCES)]"
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]", re.IGNORECASE)


@dataclass(frozen=True)
class ThreadFacts:
    """The original's flags now, and what a reply's threading headers
    are made of: its Message-ID and References (raw text, "" if none)."""

    flags: tuple[str, ...]
    message_id: str
    references: str


def fetch_thread_facts(client: IMAPClient, ref: MessageRef) -> ThreadFacts:
    """The original's flags as the server has them at this moment (another
    session's change included: a fresh SELECT sees it) and its threading
    headers. Raises MessageNotFound when the UID is gone."""
    select_folder(client, ref.folder, readonly=True)
    data = client.fetch([ref.uid], ["FLAGS", _THREAD_FIELDS]).get(ref.uid)
    if data is None:
        raise MessageNotFound(f"no message {ref.uid} in {ref.folder}")
    raw = next((v for k, v in data.items() if k.startswith(b"BODY[")), b"") or b""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return ThreadFacts(
        flags=flag_names(data.get(b"FLAGS", ())),
        message_id=decode_header_value(headers.get("Message-ID", "")).strip(),
        references=decode_header_value(headers.get("References", "")),
    )


def append_sent(client: IMAPClient, folder: str, raw: bytes, when: datetime) -> int | None:
    """Append a sent message to `folder`, marked `\\Seen`; its UID there
    from APPENDUID (UIDPLUS, RFC 4315), else None. Raises FolderNotFound
    when the folder is gone ([TRYCREATE]), ServerRefused on any other NO
    (over quota, no right to insert)."""
    try:
        answer = client.append(folder, raw, flags=(SEEN,), msg_time=when)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        if "TRYCREATE" in str(exc).upper():
            raise FolderNotFound(f"no folder {folder!r}") from exc
        raise ServerRefused(f"the server refused to append to {folder!r}: {exc}") from exc
    found = _APPENDUID.search(answer if isinstance(answer, bytes) else str(answer).encode())
    return int(found.group(1)) if found else None
