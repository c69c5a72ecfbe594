"""Fixtures for the reply tests: an SMTP server, the app wired to it, a
folder of the test's own holding the originals, and Sent put back as it
was. Imported by the test modules that reply."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from flask import Flask
from imapclient import IMAPClient

from teaminbox import close_app
from teaminbox.demo.dovecot import DovecotServer
from teaminbox.imap import mailstore
from teaminbox.imap.append import append_messages, ensure_folders
from tests.conftest import build_app
from tests.imap_helpers import uid_of
from tests.smtp_server import SmtpSink, smtp_sink

SHARED = "contact@office.test"
SENT = "Sent"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        yield sink


def smtp_config(port: int) -> dict[str, object]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_SECURITY": "none"}


@pytest.fixture
def reply_app(
    dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpSink
) -> Iterator[Flask]:
    """The app with its SMTP on the test's server; Claire and Alice exist."""
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path))
    app = build_app(dovecot, tmp_path, **smtp_config(smtp.port))
    yield app
    close_app(app)


@dataclass
class Originals:
    """A folder of the test's own and the messages put in it to answer."""

    folder: str
    imap: IMAPClient
    made: list[str] = field(default_factory=list)

    def add(
        self,
        *,
        subject: str = "Question about my order",
        sender: str = "Jean Dupont <jean.dupont@example.com>",
        to: str = SHARED,
        cc: str = "",
        references: str = "",
        text: str | None = "Hello,\nwhere is my parcel?\nJean",
        html: str | None = None,
        attachment: tuple[str, bytes] | None = None,
        flags: tuple[str, ...] = (),
    ) -> tuple[str, int]:
        """APPEND a message; its Message-ID and UID."""
        message_id = f"<{uuid.uuid4().hex}@customer.test>"
        message = EmailMessage(policy=SMTP)
        message["From"] = sender
        message["To"] = to
        if cc:
            message["Cc"] = cc
        message["Subject"] = subject
        message["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
        message["Message-ID"] = message_id
        if references:
            message["References"] = references
        if text is not None:
            message.set_content(text)
            if html is not None:
                message.add_alternative(html, subtype="html")
        elif html is not None:
            message.set_content(html, subtype="html")
        if attachment is not None:
            name, data = attachment
            message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
        raw = message.as_bytes()
        append_messages(self.imap, self.folder, [(raw, flags, datetime(2026, 11, 20, tzinfo=UTC))])
        self.made.append(message_id)
        return message_id, uid_of(self.imap, self.folder, message_id)


@pytest.fixture
def originals(imap: IMAPClient) -> Iterator[Originals]:
    """A fresh folder for the originals; Sent loses what the test added."""
    folder = f"Reply-{uuid.uuid4().hex[:8]}"
    ensure_folders(imap, [folder])
    sent_next = imap.folder_status(SENT, [b"UIDNEXT"])[b"UIDNEXT"]
    yield Originals(folder, imap)
    mailstore.leave_folder(imap)
    imap.delete_folder(folder)
    imap.select_folder(SENT)
    added = imap.search(["UID", f"{sent_next}:*"])
    added = [uid for uid in added if uid >= sent_next]
    if added:
        imap.add_flags(added, ["\\Deleted"], silent=True)
        imap.uid_expunge(added)
    mailstore.leave_folder(imap)


def sent_copies(imap: IMAPClient, message_id: str) -> list[set[str]]:
    """The flags of each copy in Sent of the message with that Message-ID."""
    imap.select_folder(SENT, readonly=True)
    uids = imap.search(["HEADER", "Message-ID", message_id])
    flags = imap.get_flags(uids) if uids else {}
    mailstore.leave_folder(imap)
    return [{f.decode() for f in flags[uid] if f != b"\\Recent"} for uid in sorted(uids)]
