"""Accounts on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import pytest

from teaminbox.domain import Role
from teaminbox.services import accounts
from teaminbox.store.db import Database


def test_create_and_authenticate(database: Database) -> None:
    with database.session() as session:
        user = accounts.create_user(session, " Alice ", "long password", Role.STAFF, "Alice")
        session.commit()
        assert user.username == "alice"
        assert user.password_hash.startswith("$argon2id$")
        assert "long password" not in user.password_hash
    with database.session() as session:
        assert accounts.authenticate(session, "ALICE", "long password") is not None
        assert accounts.authenticate(session, "alice", "wrong") is None
        assert accounts.authenticate(session, "bob", "long password") is None


def test_disabled_user_cannot_log_in(database: Database) -> None:
    with database.session() as session:
        user = accounts.create_user(session, "bob", "long password", Role.STAFF)
        user.active = False
        session.commit()
        assert accounts.authenticate(session, "bob", "long password") is None


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("", "long password", "a username is"),
        ("with space", "long password", "a username is"),
        ("x" * 65, "long password", "a username is"),
        ("bob", "short", "at least 8"),
    ],
)
def test_bad_accounts_are_refused(
    database: Database, username: str, password: str, reason: str
) -> None:
    with database.session() as session, pytest.raises(accounts.AccountError, match=reason):
        accounts.create_user(session, username, password, Role.STAFF)


def test_usernames_are_unique(database: Database) -> None:
    with database.session() as session:
        accounts.create_user(session, "carol", "long password", Role.STAFF)
        with pytest.raises(accounts.AccountError, match="already exists"):
            accounts.create_user(session, "Carol", "long password", Role.MANAGER)


def test_roles_change_and_users_go(database: Database) -> None:
    with database.session() as session:
        accounts.create_user(session, "dan", "long password", Role.STAFF)
        assert accounts.set_role(session, "dan", Role.MANAGER).role == "manager"
        accounts.delete_user(session, "dan")
        session.commit()
        assert accounts.list_users(session) == []
        with pytest.raises(accounts.AccountError, match="no user"):
            accounts.set_role(session, "dan", Role.STAFF)
