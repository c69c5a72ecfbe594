"""A test's own folders on the real Dovecot, for the tests of actions on
messages (single and bulk): the folders, the rights given on them, and
what another mail client sees of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from imapclient import IMAPClient
from sqlalchemy import select

from teaminbox.services.rights import set_grant
from teaminbox.store.models import AuditRow
from tests.imap_helpers import locate

ALL_LETTERS = "lrswitekxa"
TRASH = "Trash"


@dataclass
class Sandbox:
    """Folders of one test's own, and the messages it made (to clean up)."""

    src: str
    dst: str
    other: str
    made: list[str] = field(default_factory=list)

    def folder(self, role: str) -> str:
        return {"src": self.src, "dst": self.dst, "other": self.other, "trash": TRASH}[role]

    def pattern(self, role: str) -> str:
        return "*" if role == "root" else self.folder(role)


def grant(app: Flask, pattern: str, rights: str, username: str = "alice") -> None:
    with app.extensions["teaminbox.database"].session() as session:
        set_grant(session, None, pattern, rights, username=username)
        session.commit()


def snapshot(imap: IMAPClient, box: Sandbox) -> dict[str, object]:
    """What another mail client sees of the sandbox: each folder's UIDs and
    flags, the sandbox's folder names, and the test's messages in Trash."""
    state: dict[str, object] = {}
    names = sorted(n for _f, _d, n in imap.list_folders() if n.startswith(box.src))
    state["folders"] = names
    for name in names:
        imap.select_folder(name, readonly=True)
        uids = imap.search(["ALL"])
        flags = imap.get_flags(uids) if uids else {}
        state[name] = {uid: sorted(f for f in flags[uid] if f != b"\\Recent") for uid in uids}
    state[TRASH] = {m: locate(imap, m, [TRASH]) for m in box.made}
    return state


def audit_actions(app: Flask) -> list[str]:
    with app.extensions["teaminbox.database"].session() as session:
        return [row.action for row in session.scalars(select(AuditRow).order_by(AuditRow.id))]
