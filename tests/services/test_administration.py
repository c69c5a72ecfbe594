"""Who may administer what, the rights matrix and the activity log as one
person may see it, on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from teaminbox.domain import Role
from teaminbox.imap.errors import FolderNotFound
from teaminbox.rights import Right, RightsError
from teaminbox.services import accounts, administration, audit
from teaminbox.services.administration import Subject
from teaminbox.services.rights import Forbidden, RightsView, set_grant
from teaminbox.store.db import Database
from teaminbox.store.models import User

FOLDERS = ["INBOX", "Factures", "Factures/2026", "RH"]


def office(session: Session) -> dict[str, User]:
    people = {
        "claire": accounts.create_user(session, "claire", "long password", Role.MANAGER),
        "alice": accounts.create_user(session, "alice", "long password", Role.STAFF),
        "bruno": accounts.create_user(session, "bruno", "long password", Role.STAFF),
    }
    set_grant(session, None, "Factures", "lra", username="bruno")
    set_grant(session, None, "RH", "", role=Role.STAFF)
    set_grant(session, None, "Factures/*", "lr", username="alice")
    return people


@pytest.mark.parametrize(
    ("who", "enters", "patterns"),
    [
        ("claire", True, {"*": True, "Factures/*": True, "RH": True, "Factures": True}),
        ("alice", False, {"*": False, "Factures": False, "RH": False}),
        ("bruno", True, {"*": False, "Factures/*": False, "Factures": True, "RH": False}),
    ],
)
def test_who_may_administer_what(
    database: Database, who: str, enters: bool, patterns: dict[str, bool]
) -> None:
    with database.session() as session:
        user = office(session)[who]
        view = RightsView.load(session, user)
        assert administration.may_enter(user, view) is enters
        for pattern, may in patterns.items():
            assert administration.may_administer(user, view, pattern) is may, pattern


def test_require_administer_hides_what_is_hidden(database: Database) -> None:
    with database.session() as session:
        bruno = office(session)["bruno"]
        view = RightsView.load(session, bruno)
        administration.require_administer(bruno, view, "Factures")
        with pytest.raises(Forbidden):
            administration.require_administer(bruno, view, "INBOX")
        with pytest.raises(FolderNotFound):
            administration.require_administer(bruno, view, "RH")


def test_the_matrix_shows_effective_rights_and_own_grants(database: Database) -> None:
    with database.session() as session:
        people = office(session)
        rows = administration.rights_matrix(session, people.values(), FOLDERS)
        table = {row.subject.key: {c.folder: (c.shown, c.own) for c in row.cells} for row in rows}
        assert [row.subject.key for row in rows][:2] == ["role:manager", "role:staff"]
        assert table["role:staff"]["RH"] == ("", "")
        assert table["role:staff"]["INBOX"] == ("lrswit", None)
        assert table["user:alice"]["RH"] == ("", None)  # the role's deny, inherited
        assert table["user:alice"]["Factures"] == ("lrswit", None)
        assert table["user:alice"]["Factures/2026"] == ("lr", None)  # own pattern wins
        assert table["user:bruno"]["Factures"] == ("lra", "lra")
        assert table["user:claire"]["RH"] == ("lrswitekxa assign", None)
        cell = administration.rights_cell(session, Subject(username="bruno"), "Factures")
        assert cell.effective == {Right.LOOKUP, Right.READ, Right.ADMINISTER}
        with pytest.raises(RightsError):
            administration.rights_cell(session, Subject(username="nobody"), "Factures")


def test_grants_off_the_matrix_leave_existing_folders_out(database: Database) -> None:
    with database.session() as session:
        office(session)
        set_grant(session, None, "Gone", "lr", username="alice")
        off = administration.grants_off_the_matrix(session, FOLDERS)
        assert [(g.subject.key, g.pattern, g.rights) for g in off] == [
            ("role:manager", "*", "lrswitekxa assign"),
            ("role:staff", "*", "lrswit"),
            ("user:alice", "Factures/*", "lr"),
            ("user:alice", "Gone", "lr"),
        ]


@pytest.mark.parametrize(
    ("key", "subject"),
    [
        ("user:alice", Subject(username="alice")),
        ("role:staff", Subject(role=Role.STAFF)),
        ("role:boss", None),
        ("user:", None),
        ("alice", None),
    ],
)
def test_subject_keys(key: str, subject: Subject | None) -> None:
    assert Subject.from_key(key) == subject
    if subject is not None:
        assert subject.key == key


def test_activity_is_filtered_by_what_the_viewer_may_see(database: Database) -> None:
    with database.session() as session:
        people = office(session)
        set_grant(session, None, "RH", "lr", username="alice")
        for who in ("claire", "bruno"):
            user = people[who]
            page = audit.visible_activity(
                session, administration.activity_filter(user, RightsView.load(session, user))
            )
            seen = {(row.action, row.folder) for row in page.rows}
            if who == "claire":
                assert ("rights.set", "RH") in seen and ("user.create", None) in seen
            else:
                assert seen == {("rights.set", "Factures")}


def test_activity_pages_through_hidden_rows(database: Database) -> None:
    with database.session() as session:
        claire = office(session)["claire"]
        for n in range(700):
            audit.record(session, None, "note", str(n), folder="Shown" if n % 3 == 0 else "Hidden")
        session.flush()
        page = audit.visible_activity(session, lambda row: row.folder == "Shown", limit=100)
        assert [row.detail for row in page.rows] == [str(n) for n in range(699, 399, -3)]
        rest = audit.visible_activity(
            session, lambda row: row.folder == "Shown", before_id=page.older, limit=500
        )
        assert len(rest.rows) == 134 and rest.older is None
        assert claire is not None
