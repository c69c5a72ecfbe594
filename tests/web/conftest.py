"""Fixtures shared by the web tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient

from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from tests.web.sandbox import TRASH, Sandbox


@pytest.fixture
def sandbox(imap: IMAPClient) -> Iterator[Sandbox]:
    """Three folders of the test's own; after it, they and the messages it
    made are gone."""
    tag = uuid.uuid4().hex[:8]
    box = Sandbox(src=f"Act-{tag}", dst=f"Act-{tag}-to", other=f"Act-{tag}-other")
    ensure_folders(imap, [box.src, box.dst, box.other])
    yield box
    mailstore.leave_folder(imap)  # Dovecot ends a session whose folder is deleted
    for _flags, _delimiter, name in sorted(imap.list_folders(), key=lambda f: -len(f[2])):
        if name.startswith(f"Act-{tag}"):
            imap.delete_folder(name)
    for folder in (TRASH, "INBOX"):
        imap.select_folder(folder)
        for message_id in box.made:
            uids = imap.search(["HEADER", "Message-ID", message_id])
            if uids:
                imap.add_flags(uids, ["\\Deleted"], silent=True)
                imap.uid_expunge(uids)
    mailstore.leave_folder(imap)
