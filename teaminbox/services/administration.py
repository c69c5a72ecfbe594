"""Who may administer what, and the rights matrix the managers' pages show.

Two kinds of administrator. Managers (by role) manage people and every
grant. Anyone holding `a` on a folder (RFC 4314's "administer") may change
who may do what in that folder, and nothing else. A folder a person may not
look up (`l`) does not exist for them here either: not as a column, not in
the activity log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from teaminbox.domain import Role
from teaminbox.imap.errors import FolderNotFound
from teaminbox.rights import (
    Grant,
    Right,
    RightsError,
    effective_rights,
    format_rights,
    parse_rights,
)
from teaminbox.services.rights import Forbidden, RightsView
from teaminbox.store.grants import all_grants, grants_of_role, grants_of_user
from teaminbox.store.models import AuditRow, GrantRow, User
from teaminbox.store.users import all_users, find_user


def is_manager(user: User) -> bool:
    return user.role == Role.MANAGER.value


def may_enter(user: User, view: RightsView) -> bool:
    """Whether the administration pages open for this person at all."""
    return is_manager(user) or view.administers_anything()


def may_administer(user: User, view: RightsView, pattern: str) -> bool:
    """Whether this person may change grants on `pattern`: managers on any
    pattern, others only on one folder they see and hold `a` on."""
    if is_manager(user):
        return True
    return "*" not in pattern and view.sees(pattern) and view.can(pattern, Right.ADMINISTER)


def require_administer(user: User, view: RightsView, folder: str) -> None:
    """Raise FolderNotFound when `folder` is hidden from this person, and
    Forbidden when they may not change its rights."""
    if not view.sees(folder):
        raise FolderNotFound(f"no folder {folder!r} for this user")
    if not may_administer(user, view, folder):
        raise Forbidden(folder, Right.ADMINISTER)


def activity_filter(user: User, view: RightsView) -> Callable[[AuditRow], bool]:
    """Which log rows this person may read: managers every row but those
    about folders they cannot see; folder administrators the rows about the
    folders they administer."""
    manager = is_manager(user)

    def may_see(row: AuditRow) -> bool:
        if row.folder is None:
            return manager
        return view.sees(row.folder) and (manager or view.can(row.folder, Right.ADMINISTER))

    return may_see


@dataclass(frozen=True)
class Subject:
    """Whose grant a cell shows: one user, or one role's default."""

    username: str | None = None
    role: Role | None = None

    @property
    def key(self) -> str:
        """`user:alice` or `role:staff`, as forms carry it."""
        return f"role:{self.role.value}" if self.role else f"user:{self.username}"

    @classmethod
    def from_key(cls, key: str) -> Subject | None:
        kind, _, name = key.partition(":")
        if kind == "user" and name:
            return cls(username=name)
        if kind == "role" and name in {r.value for r in Role}:
            return cls(role=Role(name))
        return None


@dataclass(frozen=True)
class RightsCell:
    """What a subject may do in one folder, and its own grant there, if any."""

    subject: Subject
    folder: str
    effective: frozenset[Right]
    own: str | None  # rights text of the grant on exactly this folder; None: inherited

    @property
    def shown(self) -> str:
        return format_rights(self.effective)

    @property
    def letters(self) -> str:
        """The RFC 4314 letters alone, without the team's `assign`."""
        return format_rights(self.effective - {Right.ASSIGN})

    @property
    def assigns(self) -> bool:
        return Right.ASSIGN in self.effective


@dataclass(frozen=True)
class MatrixRow:
    subject: Subject
    label: str
    active: bool
    cells: tuple[RightsCell, ...]


def rights_matrix(session: Session, users: Iterable[User], folders: list[str]) -> list[MatrixRow]:
    """One row per role (its default), then one per user, one cell per folder."""
    by_user: dict[int, list[GrantRow]] = defaultdict(list)
    by_role: dict[str, list[GrantRow]] = defaultdict(list)
    for row in all_grants(session):
        if row.user_id is not None:
            by_user[row.user_id].append(row)
        elif row.role is not None:
            by_role[row.role].append(row)
    rows = [
        MatrixRow(
            subject=Subject(role=role),
            label=role.value,
            active=True,
            cells=tuple(_cell(Subject(role=role), f, by_role[role.value], []) for f in folders),
        )
        for role in Role
    ]
    rows.extend(
        MatrixRow(
            subject=Subject(username=user.username),
            label=user.name,
            active=user.active,
            cells=tuple(
                _cell(Subject(username=user.username), f, by_user[user.id], by_role[user.role])
                for f in folders
            ),
        )
        for user in users
    )
    return rows


def rights_cell(session: Session, subject: Subject, folder: str) -> RightsCell:
    """One cell of the matrix. Raises RightsError when the user does not exist."""
    if subject.role is not None:
        return _cell(subject, folder, grants_of_role(session, subject.role.value), [])
    user = find_user(session, subject.username or "")
    if user is None:
        raise RightsError(f"there is no user {subject.username}")
    return _cell(
        subject, folder, grants_of_user(session, user.id), grants_of_role(session, user.role)
    )


@dataclass(frozen=True)
class SubjectGrant:
    """One stored grant, with whom it is for."""

    subject: Subject
    pattern: str
    rights: str


def grants_off_the_matrix(session: Session, mailbox_folders: Iterable[str]) -> list[SubjectGrant]:
    """Grants no cell shows: on patterns (`NAME/*`, `*`) or on names the
    mailbox does not hold. Grants on folders the mailbox holds are left out,
    shown or not: a folder hidden from the viewer must stay hidden."""
    existing = set(mailbox_folders)
    usernames = {user.id: user.username for user in all_users(session)}
    grants = [
        SubjectGrant(
            subject=Subject(role=Role(row.role))
            if row.role is not None
            else Subject(username=usernames.get(row.user_id or 0, "?")),
            pattern=row.pattern,
            rights=row.rights,
        )
        for row in all_grants(session)
        if row.pattern not in existing
    ]
    return sorted(grants, key=lambda g: (g.subject.role is None, g.subject.key, g.pattern))


def _cell(
    subject: Subject, folder: str, own: list[GrantRow], inherited: list[GrantRow]
) -> RightsCell:
    """`own`: the subject's grants; `inherited`: what applies where those are
    silent (a user's role defaults; nothing for a role)."""
    return RightsCell(
        subject=subject,
        folder=folder,
        effective=effective_rights(folder, _grants(own), _grants(inherited)),
        own=next((row.rights for row in own if row.pattern == folder), None),
    )


def _grants(rows: Iterable[GrantRow]) -> list[Grant]:
    return [Grant(pattern=row.pattern, rights=parse_rights(row.rights)) for row in rows]
