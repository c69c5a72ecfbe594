"""People: creating them, checking their password, changing their role,
disabling them, resetting their password.

Passwords are hashed with argon2id (argon2-cffi's defaults: RFC 9106's
low-memory profile, above OWASP's minimum). Functions take the caller's
session and never commit; every change writes its audit row in that same
session. `actor` is the person making the change, or None for an operator
at the command line.

Two rules keep the office from locking itself out: the last active manager
cannot be disabled, deleted or demoted, and nobody disables or deletes
their own account.
"""

from __future__ import annotations

import re
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from teaminbox.domain import Role
from teaminbox.services import audit
from teaminbox.store.models import User
from teaminbox.store.users import all_users, count_active_managers, find_user

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong username
# costs the same time as a wrong password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("not a password of anyone")

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD_LENGTH = 8


class Refusal(StrEnum):
    """Which rule refused an account change."""

    BAD_USERNAME = "bad-username"
    USERNAME_TAKEN = "username-taken"
    SHORT_PASSWORD = "short-password"  # noqa: S105 (a reason, not a password)
    NO_SUCH_USER = "no-such-user"
    LAST_MANAGER = "last-manager"
    OWN_ACCOUNT = "own-account"


class AccountError(ValueError):
    """A request about an account that cannot be carried out, with the reason.

    `str(error)` is an English sentence (the command line prints it);
    `reason` names the rule that refused, and `username` whom it was about,
    for callers that word the refusal in the user's language.
    """

    def __init__(self, message: str, reason: Refusal, username: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.username = username


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    *,
    actor: User | None = None,
) -> User:
    """Add a person; the username is stored in lower case."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError(
            "a username is 1 to 64 lower-case letters, digits, dots, dashes or underscores",
            Refusal.BAD_USERNAME,
            username,
        )
    if find_user(session, username) is not None:
        raise AccountError(f"the user {username} already exists", Refusal.USERNAME_TAKEN, username)
    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=Role(role).value,
        active=True,
        session_version=1,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", f"{username} ({user.role})")
    return user


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"a password has at least {MIN_PASSWORD_LENGTH} characters", Refusal.SHORT_PASSWORD
        )
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with that username and password, else None.

    Takes the same time whether the username exists or not.
    """
    user = find_user(session, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def set_role(session: Session, username: str, role: Role, *, actor: User | None = None) -> User:
    """Make a person a manager or staff; the last active manager stays one."""
    user = _existing(session, username)
    role = Role(role)
    if user.role == role.value:
        return user
    if role is not Role.MANAGER:
        _keep_a_manager(session, user, "demote")
    before, user.role = user.role, role.value
    audit.record(session, actor, "user.role", f"{user.username}: {before} → {user.role}")
    return user


def disable_user(session: Session, actor: User | None, username: str) -> User:
    """Stop a person from logging in and end every session they have open."""
    user = _existing(session, username)
    if not user.active:
        return user
    _not_oneself(actor, user, "disable")
    _keep_a_manager(session, user, "disable")
    user.active = False
    user.session_version += 1
    audit.record(session, actor, "user.disable", user.username)
    return user


def enable_user(session: Session, actor: User | None, username: str) -> User:
    """Let a disabled person log in again (with their current password)."""
    user = _existing(session, username)
    if user.active:
        return user
    user.active = True
    audit.record(session, actor, "user.enable", user.username)
    return user


def reset_password(session: Session, actor: User | None, username: str, new_password: str) -> User:
    """Give a person a new password and end every session they have open."""
    user = _existing(session, username)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    audit.record(session, actor, "user.password", user.username)
    return user


def delete_user(session: Session, username: str, *, actor: User | None = None) -> None:
    """Remove a person; the activity log keeps their name."""
    user = _existing(session, username)
    _not_oneself(actor, user, "delete")
    _keep_a_manager(session, user, "delete")
    audit.record(session, actor, "user.delete", user.username)
    session.delete(user)


def list_users(session: Session) -> list[User]:
    return all_users(session)


def _existing(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"there is no user {username}", Refusal.NO_SUCH_USER, username)
    return user


def _keep_a_manager(session: Session, user: User, verb: str) -> None:
    if user.active and user.role == Role.MANAGER.value and count_active_managers(session) <= 1:
        raise AccountError(
            f"cannot {verb} {user.username}: the last active manager; "
            "make someone else a manager first",
            Refusal.LAST_MANAGER,
            user.username,
        )


def _not_oneself(actor: User | None, user: User, verb: str) -> None:
    if actor is not None and actor.id == user.id:
        raise AccountError(
            f"you cannot {verb} your own account; ask another manager",
            Refusal.OWN_ACCOUNT,
            user.username,
        )
