"""Who may do what where: the office's rights, checked for every request.

Several people share one IMAP login, so the server cannot tell them apart:
these checks are the only thing that keeps a folder from someone. A folder
a person may not look up (`l`) does not exist for them: asking for it gets
the same answer as a folder that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from teaminbox.domain import Role
from teaminbox.imap.errors import FolderNotFound
from teaminbox.rights import (
    Grant,
    Right,
    RightsError,
    check_pattern,
    effective_rights,
    format_rights,
    parse_rights,
)
from teaminbox.services import audit
from teaminbox.store.grants import find_grant, grants_of_role, grants_of_user
from teaminbox.store.models import GrantRow, User
from teaminbox.store.users import find_user


class Forbidden(Exception):
    """The person sees the folder but lacks the right this action needs."""

    def __init__(self, folder: str, right: Right) -> None:
        super().__init__(f"missing right {right.value!r} on {folder!r}")
        self.folder = folder
        self.right = right


@dataclass(frozen=True)
class RightsView:
    """One person's grants, loaded once per request, answering per folder."""

    user_grants: tuple[Grant, ...]
    role_grants: tuple[Grant, ...]

    @classmethod
    def load(cls, session: Session, user: User) -> RightsView:
        return cls(
            user_grants=tuple(_grant(row) for row in grants_of_user(session, user.id)),
            role_grants=tuple(_grant(row) for row in grants_of_role(session, user.role)),
        )

    def on(self, folder: str) -> frozenset[Right]:
        return effective_rights(folder, self.user_grants, self.role_grants)

    def can(self, folder: str, right: Right) -> bool:
        return right in self.on(folder)

    def sees(self, folder: str) -> bool:
        return self.can(folder, Right.LOOKUP)

    def require(self, folder: str, right: Right) -> None:
        """Raise FolderNotFound if the folder is hidden, Forbidden if the right is missing."""
        held = self.on(folder)
        if Right.LOOKUP not in held:
            raise FolderNotFound(f"no folder {folder!r} for this user")
        if right not in held:
            raise Forbidden(folder, right)

    def visible(self, folders: Iterable[str]) -> list[str]:
        return [f for f in folders if self.sees(f)]

    def administers_anything(self) -> bool:
        return any(Right.ADMINISTER in g.rights for g in (*self.user_grants, *self.role_grants))


def set_grant(
    session: Session,
    actor: User | None,
    pattern: str,
    rights_text: str,
    *,
    username: str | None = None,
    role: Role | None = None,
) -> GrantRow:
    """Give `rights_text` on `pattern` to one user or one role, replacing what
    that subject had on that exact pattern. "" is an explicit deny.
    Written to the audit log in the same transaction."""
    rights = format_rights(parse_rights(rights_text))
    check_pattern(pattern)
    user_id, subject = _subject(session, username, role)
    row = find_grant(session, user_id=user_id, role=role.value if role else None, pattern=pattern)
    before = row.rights if row else None
    if row is None:
        row = GrantRow(user_id=user_id, role=role.value if role else None, pattern=pattern)
        session.add(row)
    row.rights = rights
    session.flush()
    audit.record(
        session,
        actor,
        "rights.set",
        f"{subject} on {pattern}: {_shown(before)} → {rights or '(deny)'}",
        folder=None if "*" in pattern else pattern,
    )
    return row


def remove_grant(
    session: Session,
    actor: User | None,
    pattern: str,
    *,
    username: str | None = None,
    role: Role | None = None,
) -> bool:
    """Drop a subject's grant on `pattern` (it falls back to wider grants)."""
    user_id, subject = _subject(session, username, role)
    row = find_grant(session, user_id=user_id, role=role.value if role else None, pattern=pattern)
    if row is None:
        return False
    session.delete(row)
    audit.record(
        session,
        actor,
        "rights.remove",
        f"{subject} on {pattern}: {row.rights}",
        folder=None if "*" in pattern else pattern,
    )
    return True


def _subject(session: Session, username: str | None, role: Role | None) -> tuple[int | None, str]:
    if (username is None) == (role is None):
        raise RightsError("a grant is for one user or one role")
    if role is not None:
        return None, f"role {Role(role).value}"
    user = find_user(session, username or "")
    if user is None:
        raise RightsError(f"there is no user {username}")
    return user.id, user.username


def _shown(rights: str | None) -> str:
    return "(none)" if rights is None else rights or "(deny)"


def _grant(row: GrantRow) -> Grant:
    return Grant(pattern=row.pattern, rights=parse_rights(row.rights))
