"""A small office with a known history, in its own Dovecot and database,
for the "Why not POP" tests: the figures it must give are worked out by
hand in EXPECTED (and the comments beside each message).

Staff: alice, bob (staff), claire (manager); the replay's clients check
every 10 minutes at :00 (alice), :03:20 (bob), :06:40 (claire) of each
10-minute period, so a message at second 10 of a period goes to bob, at
second 250 to claire, at second 450 to alice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from flask import Flask
from imapclient import IMAPClient

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.domain import Role
from teaminbox.imap.append import append_messages, ensure_folders
from teaminbox.services import accounts, audit
from teaminbox.services.sync import sync_folders
from teaminbox.store.db import Database
from teaminbox.store.users import find_user
from tests.conftest import PASSWORD, build_app

CLAIMS = "Réclamations"
# What Dovecot answers a second POP3 session while the first holds the lock.
LOCKED = "-ERR [IN-USE] Mailbox is locked by another POP3 session."
FOLDERS = ("INBOX", CLAIMS, "Sent", "Drafts", "Trash", "Junk")


@dataclass(frozen=True)
class Mail:
    name: str
    folder: str
    days_ago: int
    second: int  # within its 10-minute period: who the replay gives it to
    flags: tuple[str, ...] = ()

    @property
    def message_id(self) -> str:
        return f"<{self.name}@pop-history.test>"


MAILS = (
    Mail(
        "m1", "INBOX", 2, 10, ("\\Answered", "\\Flagged")
    ),  # bob's; answered by alice, flagged by bob
    Mail("m2", "INBOX", 3, 250, ("\\Answered",)),  # claire's; answered by claire
    Mail("m3", "INBOX", 10, 450),  # alice's; assigned by claire
    Mail("m4", "INBOX", 20, 10),  # bob's; nobody touched it
    Mail("m5", "INBOX", 40, 10, ("\\Answered",)),  # before the replay; answered by alice
    Mail("m6", "INBOX", 50, 10),
    Mail("r1", CLAIMS, 5, 250),  # claire's; alice moved it here from INBOX
    Mail("r2", CLAIMS, 45, 10),
    Mail("s1", "Sent", 1, 10),  # written here: not an arrival
)

# (actor, action, folder, message) in the order they happened.
ACTIONS = (
    ("alice", "message.reply", "INBOX", "m1"),
    ("bob", "message.flag", "INBOX", "m1"),
    ("claire", "message.reply", "INBOX", "m2"),
    ("claire", "message.assign", "INBOX", "m3"),
    ("alice", "message.move", "INBOX", "r1"),
    ("alice", "message.reply", "INBOX", "m5"),
)

# What the page must say, for a viewer who sees every folder.
EXPECTED = {
    "staff": 3,
    "arrived_week": 3,  # m1, m2, r1
    "arrived_month": 5,  # m1, m2, m3, m4, r1
    "in_inbox": 6,
    "outside_inbox": 3,  # r1, r2, s1
    "answered": 3,  # m1, m2, m5
    "answered_by": (("Alice Martin", 2), ("Claire Moreau", 1)),
    "downloaded": {"Alice Martin": 1, "Bob Durand": 2, "Claire Moreau": 2},
    "handled": 4,  # m1 (alice), m2 (claire), m3 (claire), r1 (alice)
    "misrouted": 3,  # m1 → bob, m3 → alice, r1 → claire
    "double_answer_risk": 1,  # m1: answered by alice, flagged by bob
}


def period_start(now: datetime) -> datetime:
    """The start of the 10-minute period `now` is in (UTC)."""
    return datetime.fromtimestamp(now.timestamp() // 600 * 600, UTC)


def raw_mail(mail: Mail, at: datetime) -> bytes:
    return (
        "From: Client <client@example.com>\r\n"
        "To: contact@office.test\r\n"
        f"Subject: Request {mail.name}\r\n"
        f"Date: {format_datetime(at)}\r\n"
        f"Message-ID: {mail.message_id}\r\n"
        "\r\n"
        f"Body of {mail.name}.\r\n"
    ).encode()


def seed_mailbox(server: DovecotServer, now: datetime) -> None:
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=30)
    client.login(server.user, server.password)
    try:
        ensure_folders(client, [CLAIMS])
        base = period_start(now)
        for mail in MAILS:
            at = base - timedelta(days=mail.days_ago) + timedelta(seconds=mail.second)
            append_messages(client, mail.folder, [(raw_mail(mail, at), mail.flags, at)])
    finally:
        client.logout()


@contextmanager
def seeded_office(root: Path, *, lock_session: bool) -> Iterator[DovecotServer]:
    """A Dovecot of its own in `root`, POP3 included, with the office's mail;
    stopped and removed after."""
    server = start_dovecot(root, pop3_lock_session=lock_session)
    try:
        seed_mailbox(server, datetime.now(UTC))
        yield server
    finally:
        stop_dovecot(server, purge=True)


def office_app(server: DovecotServer, instance: Path, **overrides: object) -> Flask:
    """The app on `server`, its POP3 demonstration on, with the history seeded."""
    app = build_app(
        server,
        instance,
        POP3_HOST=server.host,
        POP3_PORT=server.pop3_port,
        POP3_SECURITY="none",
        **overrides,
    )
    seed_history(app)
    return app


def seed_history(app: Flask) -> None:
    """Bob's account, the header cache, and the activity log of ACTIONS."""
    database: Database = app.extensions["teaminbox.database"]
    pool = app.extensions["teaminbox.imap_pool"]
    with database.session() as session:
        accounts.create_user(session, "bob", PASSWORD, Role.STAFF, "Bob Durand")
        sync_folders(pool, session, FOLDERS)
        for actor, action, folder, name in ACTIONS:
            audit.record(
                session,
                find_user(session, actor),
                action,
                folder=folder,
                uid=1,
                message_id=f"<{name}@pop-history.test>",
            )
        session.commit()
