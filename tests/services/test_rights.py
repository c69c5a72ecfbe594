"""Grants stored per user and per role, with the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from teaminbox.domain import Role
from teaminbox.imap.errors import FolderNotFound
from teaminbox.rights import Right, RightsError
from teaminbox.services import accounts
from teaminbox.services.rights import Forbidden, RightsView, remove_grant, set_grant
from teaminbox.store.db import Database
from teaminbox.store.models import AuditRow


def test_role_defaults_come_with_the_schema(database: Database) -> None:
    with database.session() as session:
        manager = accounts.create_user(session, "claire", "long password", Role.MANAGER)
        staff = accounts.create_user(session, "alice", "long password", Role.STAFF)
        assert RightsView.load(session, manager).on("Anything") == frozenset(Right)
        assert RightsView.load(session, staff).on("INBOX") == {
            Right.LOOKUP,
            Right.READ,
            Right.SEEN,
            Right.WRITE,
            Right.INSERT,
            Right.DELETE,
        }


def test_user_grant_overrides_role_and_is_audited(database: Database) -> None:
    with database.session() as session:
        claire = accounts.create_user(session, "claire", "long password", Role.MANAGER)
        alice = accounts.create_user(session, "alice", "long password", Role.STAFF)
        set_grant(session, claire, "RH", "", username="alice")
        set_grant(session, claire, "Factures", "lr", username="alice")
        session.commit()
        view = RightsView.load(session, alice)
        assert not view.sees("RH")
        with pytest.raises(FolderNotFound):
            view.require("RH", Right.READ)
        with pytest.raises(Forbidden):
            view.require("Factures", Right.SEEN)
        view.require("Factures", Right.READ)
        rights_rows = select(AuditRow).where(AuditRow.action.startswith("rights."))
        log = session.scalars(rights_rows.order_by(AuditRow.id)).all()
        assert [(r.actor_name, r.action, r.folder, r.detail) for r in log] == [
            ("claire", "rights.set", "RH", "alice on RH: (none) → (deny)"),
            ("claire", "rights.set", "Factures", "alice on Factures: (none) → lr"),
        ]
        assert remove_grant(session, claire, "RH", username="alice")
        session.commit()
        assert RightsView.load(session, alice).sees("RH")


def test_role_grants_change_everyone_of_that_role(database: Database) -> None:
    with database.session() as session:
        alice = accounts.create_user(session, "alice", "long password", Role.STAFF)
        set_grant(session, None, "Archive", "l", role=Role.STAFF)
        session.commit()
        assert RightsView.load(session, alice).on("Archive") == {Right.LOOKUP}
        set_grant(session, None, "Archive", "lr", role=Role.STAFF)
        assert RightsView.load(session, alice).on("Archive") == {Right.LOOKUP, Right.READ}


@pytest.mark.parametrize(
    ("pattern", "rights", "username", "message"),
    [
        ("Fac*", "lr", "alice", "a pattern is"),
        ("Factures", "lrq", "alice", "unknown right"),
        ("Factures", "lr", "nobody", "no user nobody"),
    ],
)
def test_bad_grants_are_refused(
    database: Database, pattern: str, rights: str, username: str, message: str
) -> None:
    with database.session() as session:
        accounts.create_user(session, "alice", "long password", Role.STAFF)
        with pytest.raises(RightsError, match=message):
            set_grant(session, None, pattern, rights, username=username)
