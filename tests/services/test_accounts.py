"""Accounts on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.domain import Role
from teaminbox.services import accounts
from teaminbox.store.db import Database
from teaminbox.store.models import AuditRow


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
        erin = accounts.create_user(session, "erin", "long password", Role.MANAGER)
        accounts.create_user(session, "dan", "long password", Role.STAFF)
        assert accounts.set_role(session, "dan", Role.MANAGER).role == "manager"
        accounts.delete_user(session, "dan")
        session.commit()
        assert accounts.list_users(session) == [erin]
        with pytest.raises(accounts.AccountError, match="no user"):
            accounts.set_role(session, "dan", Role.STAFF)


def audit_of(session: Session) -> list[tuple[str, str, str]]:
    rows = session.scalars(select(AuditRow).order_by(AuditRow.id))
    return [(row.actor_name, row.action, row.detail) for row in rows]


def test_every_account_change_is_audited(database: Database) -> None:
    with database.session() as session:
        claire = accounts.create_user(session, "claire", "long password", Role.MANAGER)
        accounts.create_user(session, "dan", "long password", Role.STAFF, actor=claire)
        accounts.set_role(session, "dan", Role.MANAGER, actor=claire)
        accounts.set_role(session, "dan", Role.MANAGER, actor=claire)  # no change, no row
        accounts.disable_user(session, claire, "dan")
        accounts.enable_user(session, claire, "dan")
        accounts.reset_password(session, claire, "dan", "another long one")
        accounts.delete_user(session, "dan", actor=claire)
        session.commit()
        assert audit_of(session) == [
            ("", "user.create", "claire (manager)"),
            ("claire", "user.create", "dan (staff)"),
            ("claire", "user.role", "dan: staff → manager"),
            ("claire", "user.disable", "dan"),
            ("claire", "user.enable", "dan"),
            ("claire", "user.password", "dan"),
            ("claire", "user.delete", "dan"),
        ]
        assert "another long one" not in repr(audit_of(session))


def test_disabling_ends_sessions_and_login(database: Database) -> None:
    with database.session() as session:
        claire = accounts.create_user(session, "claire", "long password", Role.MANAGER)
        dan = accounts.create_user(session, "dan", "long password", Role.STAFF)
        version = dan.session_version
        accounts.disable_user(session, claire, "dan")
        assert not dan.active and dan.session_version == version + 1
        assert accounts.authenticate(session, "dan", "long password") is None
        accounts.disable_user(session, claire, "dan")  # already disabled: nothing more
        assert dan.session_version == version + 1
        accounts.enable_user(session, claire, "dan")
        assert dan.active and dan.session_version == version + 1
        assert accounts.authenticate(session, "dan", "long password") is dan


def test_a_password_reset_ends_sessions_and_the_new_password_works(database: Database) -> None:
    with database.session() as session:
        dan = accounts.create_user(session, "dan", "long password", Role.STAFF)
        version = dan.session_version
        with pytest.raises(accounts.AccountError, match="at least 8") as refused:
            accounts.reset_password(session, None, "dan", "short")
        assert refused.value.reason is accounts.Refusal.SHORT_PASSWORD
        assert dan.session_version == version
        accounts.reset_password(session, None, "dan", "a new long password")
        assert dan.session_version == version + 1
        assert accounts.authenticate(session, "dan", "long password") is None
        assert accounts.authenticate(session, "dan", "a new long password") is dan


@pytest.mark.parametrize(
    "change",
    [
        lambda s: accounts.disable_user(s, None, "claire"),
        lambda s: accounts.delete_user(s, "claire"),
        lambda s: accounts.set_role(s, "claire", Role.STAFF),
    ],
    ids=["disable", "delete", "demote"],
)
def test_the_last_active_manager_cannot_go(database: Database, change) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        accounts.create_user(session, "claire", "long password", Role.MANAGER)
        other = accounts.create_user(session, "mona", "long password", Role.MANAGER)
        accounts.disable_user(session, None, "mona")  # a disabled manager does not count
        with pytest.raises(accounts.AccountError, match="last active manager") as refused:
            change(session)
        assert refused.value.reason is accounts.Refusal.LAST_MANAGER
        assert refused.value.username == "claire"
        claire = accounts.list_users(session)[0]
        assert claire.active and claire.role == "manager"
        accounts.enable_user(session, None, other.username)
        change(session)  # with another active manager, it may


def test_nobody_disables_or_deletes_themselves(database: Database) -> None:
    with database.session() as session:
        claire = accounts.create_user(session, "claire", "long password", Role.MANAGER)
        accounts.create_user(session, "mona", "long password", Role.MANAGER)
        for change in (
            lambda: accounts.disable_user(session, claire, "claire"),
            lambda: accounts.delete_user(session, "claire", actor=claire),
        ):
            with pytest.raises(accounts.AccountError, match="your own account") as refused:
                change()
            assert refused.value.reason is accounts.Refusal.OWN_ACCOUNT
        accounts.set_role(session, "claire", Role.STAFF, actor=claire)  # stepping down is fine
        assert claire.role == "staff"


def test_changes_to_someone_unknown_are_refused(database: Database) -> None:
    with database.session() as session:
        for change in (
            lambda: accounts.disable_user(session, None, "nobody"),
            lambda: accounts.enable_user(session, None, "nobody"),
            lambda: accounts.reset_password(session, None, "nobody", "long password"),
        ):
            with pytest.raises(accounts.AccountError, match="no user nobody") as refused:
                change()
            assert refused.value.reason is accounts.Refusal.NO_SUCH_USER
