"""People: creating them, checking their password, changing their role.

Passwords are hashed with argon2id (argon2-cffi's defaults: RFC 9106's
low-memory profile, above OWASP's minimum). Functions take the caller's
session and never commit.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from teaminbox.domain import Role
from teaminbox.store.models import User
from teaminbox.store.users import all_users, find_user

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong username
# costs the same time as a wrong password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("not a password of anyone")

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """A request about an account that cannot be carried out, with the reason."""


def create_user(
    session: Session, username: str, password: str, role: Role, display_name: str = ""
) -> User:
    """Add a person; the username is stored in lower case."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError(
            "a username is 1 to 64 lower-case letters, digits, dots, dashes or underscores"
        )
    if find_user(session, username) is not None:
        raise AccountError(f"the user {username} already exists")
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
    return user


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
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


def set_role(session: Session, username: str, role: Role) -> User:
    user = _existing(session, username)
    user.role = Role(role).value
    return user


def delete_user(session: Session, username: str) -> None:
    session.delete(_existing(session, username))


def list_users(session: Session) -> list[User]:
    return all_users(session)


def _existing(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"there is no user {username}")
    return user
