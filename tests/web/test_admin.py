"""The managers' pages, against the real mailbox: who may open and post
what, what each change does to the people concerned on their very next
request, and that a refused or forged request changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from teaminbox.domain import Role
from teaminbox.services import accounts
from teaminbox.services.rights import set_grant
from teaminbox.store.grants import all_grants
from teaminbox.store.models import AuditRow
from teaminbox.store.users import all_users
from tests.conftest import PASSWORD, csrf_token, log_in

NEW_PASSWORD = "a brand new secret"
WHO = ("anonymous", "staff", "folder_admin", "manager")


@pytest.fixture
def people(app: Flask) -> dict[str, FlaskClient]:
    """A client per kind of person: anonymous, alice (staff), bruno (staff
    with every right, `a` included, on Factures only), claire (manager).
    Eve exists too, disabled."""
    with app.extensions["teaminbox.database"].session() as session:
        accounts.create_user(session, "bruno", PASSWORD, Role.STAFF, "Bruno Petit")
        accounts.disable_user(
            session, None, accounts.create_user(session, "eve", PASSWORD, Role.STAFF).username
        )
        set_grant(session, None, "Factures", "lrswitekxa", username="bruno")
        session.commit()
    clients = {"anonymous": app.test_client()}
    for kind, username in (("staff", "alice"), ("folder_admin", "bruno"), ("manager", "claire")):
        client = app.test_client()
        assert log_in(client, username).status_code == 302
        clients[kind] = client
    return clients


def snapshot(app: Flask) -> tuple[object, ...]:
    """Everything an admin request could change."""
    with app.extensions["teaminbox.database"].session() as session:
        users = [
            (u.username, u.role, u.active, u.session_version, u.password_hash, u.display_name)
            for u in all_users(session)
        ]
        grants = sorted(
            (g.user_id or 0, g.role or "", g.pattern, g.rights) for g in all_grants(session)
        )
        audit = len(list(session.scalars(select(AuditRow.id))))
    return users, grants, audit


def audit_log(app: Flask) -> list[tuple[str, str, str | None, str]]:
    with app.extensions["teaminbox.database"].session() as session:
        rows = session.scalars(select(AuditRow).order_by(AuditRow.id))
        return [(r.actor_name, r.action, r.folder, r.detail) for r in rows]


def token_of(client: FlaskClient) -> str:
    page = client.get("/folders/INBOX")
    return csrf_token(client, "/folders/INBOX" if page.status_code == 200 else "/login")


def cell_url(folder: str, subject: str, **extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"folder": folder, "subject": subject, **extra}.items())
    return f"/admin/rights/cell?{query}"


# ---------------------------------------------------------------- who may what


@dataclass(frozen=True)
class Case:
    path: str
    anonymous: int
    staff: int
    folder_admin: int
    manager: int
    data: dict[str, str] = field(default_factory=dict)

    def expected(self, who: str) -> int:
        return int(getattr(self, who))


GETS = [
    Case("/admin", 302, 403, 302, 302),
    Case("/admin/users", 302, 403, 403, 200),
    Case("/admin/users/alice/password", 302, 403, 403, 200),
    Case("/admin/users/alice/delete", 302, 403, 403, 200),
    Case("/admin/rights", 302, 403, 200, 200),
    Case(cell_url("Factures", "user:alice"), 302, 403, 200, 200),
    Case(cell_url("Factures", "role:staff", edit="1"), 302, 403, 200, 200),
    Case(cell_url("Archive", "user:alice"), 302, 403, 403, 200),
    Case(cell_url("Nowhere", "user:alice"), 302, 403, 404, 404),
    Case("/admin/activity", 302, 403, 200, 200),
]

NEW_USER = {
    "username": "dora",
    "display_name": "Dora",
    "role": "staff",
    "password": NEW_PASSWORD,
    "confirm": NEW_PASSWORD,
}
POSTS = [
    Case("/admin/users", 302, 403, 403, 302, NEW_USER),
    Case("/admin/users/alice/role", 302, 403, 403, 302, {"role": "manager"}),
    Case("/admin/users/alice/disable", 302, 403, 403, 302),
    Case("/admin/users/eve/enable", 302, 403, 403, 302),
    Case(
        "/admin/users/alice/password",
        302,
        403,
        403,
        302,
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    Case("/admin/users/alice/delete", 302, 403, 403, 302),
    Case(
        "/admin/rights/cell",
        302,
        403,
        302,
        302,
        {"folder": "Factures", "subject": "user:alice", "rights": "lr"},
    ),
    Case(
        "/admin/rights/cell",
        302,
        403,
        403,
        302,
        {"folder": "Archive", "subject": "user:alice", "rights": "lr"},
    ),
    Case(
        "/admin/rights/grants",
        302,
        403,
        403,
        302,
        {"subject": "role:staff", "pattern": "Factures/*", "rights": "lr"},
    ),
    Case(
        "/admin/rights/grants",
        302,
        403,
        302,
        302,
        {"subject": "user:alice", "pattern": "Factures", "rights": "l"},
    ),
    Case(
        "/admin/rights/grants/remove", 302, 403, 403, 302, {"subject": "role:staff", "pattern": "*"}
    ),
]


@pytest.mark.parametrize("case", GETS, ids=[c.path for c in GETS])
def test_who_may_open_each_admin_page(people: dict[str, FlaskClient], case: Case) -> None:
    for who in WHO:
        response = people[who].get(case.path)
        assert response.status_code == case.expected(who), who
        if who == "anonymous":
            assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("case", POSTS, ids=[f"{c.path} {c.data}" for c in POSTS])
def test_who_may_post_each_admin_form_and_refusals_change_nothing(
    app: Flask, people: dict[str, FlaskClient], case: Case
) -> None:
    for who in WHO:  # the manager, who may change things, comes last
        before = snapshot(app)
        client = people[who]
        response = client.post(case.path, data={**case.data, "csrf_token": token_of(client)})
        assert response.status_code == case.expected(who), (who, response.get_data(as_text=True))
        if who == "anonymous":
            assert response.headers["Location"].startswith("/login")
        if case.expected(who) != 302 or who == "anonymous":
            assert snapshot(app) == before, who
        else:
            assert snapshot(app) != before, who


def test_the_administration_link_shows_only_to_who_may_enter(
    people: dict[str, FlaskClient],
) -> None:
    for who, shown in (("staff", False), ("folder_admin", True), ("manager", True)):
        page = people[who].get("/folders/INBOX").get_data(as_text=True)
        assert ('href="/admin"' in page) is shown, who
    assert "People" not in people["folder_admin"].get("/admin/rights").get_data(as_text=True)


# ---------------------------------------------------------------- people


def test_create_a_user_who_can_then_log_in(app: Flask, people: dict[str, FlaskClient]) -> None:
    claire = people["manager"]
    response = claire.post("/admin/users", data={**NEW_USER, "csrf_token": token_of(claire)})
    assert response.status_code == 302
    page = claire.get("/admin/users").get_data(as_text=True)
    assert "dora can now log in." in page
    assert 'data-username="dora"' in page
    assert log_in(app.test_client(), "dora", NEW_PASSWORD).status_code == 302
    assert ("claire", "user.create", None, "dora (staff)") in audit_log(app)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"confirm": "something else"}, "The two passwords differ."),
        ({"username": "alice"}, "The user alice already exists."),
        ({"username": "Not valid!"}, "A username is 1 to 64 lower-case letters"),
        ({"password": "short", "confirm": "short"}, "A password has at least 8 characters."),
        ({"username": ""}, "Enter a username."),
    ],
)
def test_a_refused_new_user_gets_the_reason_and_nothing_changes(
    app: Flask, people: dict[str, FlaskClient], changes: dict[str, str], message: str
) -> None:
    claire = people["manager"]
    before = snapshot(app)
    response = claire.post(
        "/admin/users", data={**NEW_USER, **changes, "csrf_token": token_of(claire)}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="form-error"' in page
    assert snapshot(app) == before


def test_disabling_ends_the_open_session_at_its_next_request(
    app: Flask, people: dict[str, FlaskClient]
) -> None:
    alice, claire = people["staff"], people["manager"]
    assert alice.get("/folders/INBOX").status_code == 200
    token = token_of(claire)
    assert claire.post("/admin/users/alice/disable", data={"csrf_token": token}).status_code == 302
    response = alice.get("/folders/INBOX")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert log_in(app.test_client(), "alice").status_code == 401
    assert "Disabled" in claire.get("/admin/users").get_data(as_text=True)

    assert claire.post("/admin/users/alice/enable", data={"csrf_token": token}).status_code == 302
    assert log_in(alice, "alice").status_code == 302
    assert alice.get("/folders/INBOX").status_code == 200
    actions = [(actor, action) for actor, action, _, _ in audit_log(app)]
    assert actions[-2:] == [("claire", "user.disable"), ("claire", "user.enable")]


def test_resetting_a_password_ends_the_old_session_and_the_new_one_works(
    app: Flask, people: dict[str, FlaskClient]
) -> None:
    alice, claire = people["staff"], people["manager"]
    form = claire.get("/admin/users/alice/password").get_data(as_text=True)
    assert 'type="password"' in form
    response = claire.post(
        "/admin/users/alice/password",
        data={"password": NEW_PASSWORD, "confirm": "not the same", "csrf_token": token_of(claire)},
    )
    assert response.status_code == 422
    assert "The two passwords differ." in response.get_data(as_text=True)
    assert alice.get("/folders/INBOX").status_code == 200

    response = claire.post(
        "/admin/users/alice/password",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token_of(claire)},
    )
    assert response.status_code == 302
    assert alice.get("/folders/INBOX").status_code == 302
    assert log_in(app.test_client(), "alice", PASSWORD).status_code == 401
    assert log_in(app.test_client(), "alice", NEW_PASSWORD).status_code == 302
    assert ("claire", "user.password", None, "alice") in audit_log(app)
    assert NEW_PASSWORD not in repr(audit_log(app))


def test_resetting_ones_own_password_keeps_this_browser_logged_in(
    app: Flask, people: dict[str, FlaskClient]
) -> None:
    claire = people["manager"]
    response = claire.post(
        "/admin/users/claire/password",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token_of(claire)},
    )
    assert response.status_code == 302
    assert claire.get("/admin/users").status_code == 200
    assert log_in(app.test_client(), "claire", NEW_PASSWORD).status_code == 302


def test_a_role_change_applies_on_the_next_request(
    app: Flask, people: dict[str, FlaskClient]
) -> None:
    alice, claire = people["staff"], people["manager"]
    assert alice.get("/admin/users").status_code == 403
    token = token_of(claire)
    claire.post("/admin/users/alice/role", data={"role": "manager", "csrf_token": token})
    assert alice.get("/admin/users").status_code == 200
    claire.post("/admin/users/alice/role", data={"role": "staff", "csrf_token": token})
    assert alice.get("/admin/users").status_code == 403
    assert (
        claire.post(
            "/admin/users/alice/role", data={"role": "boss", "csrf_token": token}
        ).status_code
        == 400
    )
    roles = [detail for _, action, _, detail in audit_log(app) if action == "user.role"]
    assert roles == ["alice: staff → manager", "alice: manager → staff"]


def test_delete_asks_first_then_deletes(app: Flask, people: dict[str, FlaskClient]) -> None:
    alice, claire = people["staff"], people["manager"]
    page = claire.get("/admin/users/alice/delete").get_data(as_text=True)
    assert "Delete Alice Martin?" in page
    response = claire.post("/admin/users/alice/delete", data={"csrf_token": token_of(claire)})
    assert response.status_code == 302
    assert 'data-username="alice"' not in claire.get("/admin/users").get_data(as_text=True)
    assert alice.get("/folders/INBOX").status_code == 302
    assert ("claire", "user.delete", None, "alice") in audit_log(app)
    assert claire.get("/admin/users/alice/delete").status_code == 404
    assert (
        claire.post("/admin/users/alice/disable", data={"csrf_token": token_of(claire)}).status_code
        == 404
    )


def test_the_last_active_manager_stays(app: Flask, people: dict[str, FlaskClient]) -> None:
    claire = people["manager"]
    token = token_of(claire)
    before = snapshot(app)
    response = claire.post("/admin/users/claire/role", data={"role": "staff", "csrf_token": token})
    assert response.status_code == 422
    assert "claire is the last active manager" in response.get_data(as_text=True)
    for action in ("disable", "delete"):
        response = claire.post(f"/admin/users/claire/{action}", data={"csrf_token": token})
        assert response.status_code == 422
        assert "You cannot disable or delete your own account" in response.get_data(as_text=True)
    assert snapshot(app) == before

    # With a second manager, claire may step down; then that one is the last.
    claire.post("/admin/users/alice/role", data={"role": "manager", "csrf_token": token})
    response = claire.post("/admin/users/claire/role", data={"role": "staff", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # she no longer manages people
    alice = people["staff"]
    response = alice.post(
        "/admin/users/alice/role", data={"role": "staff", "csrf_token": token_of(alice)}
    )
    assert response.status_code == 422
    assert "alice is the last active manager" in response.get_data(as_text=True)


def test_a_forged_post_without_the_csrf_token_is_refused(
    app: Flask, people: dict[str, FlaskClient]
) -> None:
    claire = people["manager"]
    before = snapshot(app)
    for path, data in [
        ("/admin/users/alice/disable", {}),
        ("/admin/users", NEW_USER),
        ("/admin/rights/cell", {"folder": "Factures", "subject": "user:alice", "rights": ""}),
        ("/admin/rights/grants", {"subject": "user:alice", "pattern": "*", "rights": ""}),
    ]:
        response = claire.post(path, data=data)
        assert response.status_code == 400, path
        assert "This form has expired" in response.get_data(as_text=True)
        response = claire.post(path, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, path
    assert snapshot(app) == before


# ---------------------------------------------------------------- rights


def test_a_cell_edited_in_place_changes_what_the_user_may_open_next(
    app: Flask, people: dict[str, FlaskClient]
) -> None:
    alice, claire = people["staff"], people["manager"]
    assert alice.get("/folders/Factures").status_code == 200
    matrix = claire.get("/admin/rights").get_data(as_text=True)
    cell = re.search(
        r'<td id="(cell-[0-9a-f]+)" class="cell" data-folder="Factures" data-subject="user:alice" '
        r'data-rights="lrswit">',
        matrix,
    )
    assert cell, "alice's Factures cell shows her effective rights"
    target = cell.group(1)
    htmx = {"HX-Request": "true", "HX-Target": target, "HX-Current-URL": "/admin/rights"}

    editor = claire.get(cell_url("Factures", "user:alice", edit="1"), headers=htmx)
    assert editor.status_code == 200
    body = editor.get_data(as_text=True)
    assert body.lstrip().startswith(f'<td id="{target}" class="cell editing"')
    assert "<html" not in body and 'name="rights"' in body
    assert re.search(r'name="rights"[^>]*value="lrswit"', body), "starts from what she has"
    assert "Remove own grant" not in body  # she has none yet

    token = token_of(claire)
    form = {"folder": "Factures", "subject": "user:alice", "csrf_token": token}
    saved = claire.post(
        "/admin/rights/cell", data={**form, "rights": "", "do": "save"}, headers=htmx
    )
    assert saved.status_code == 200
    body = saved.get_data(as_text=True)
    assert body.lstrip().startswith(f'<td id="{target}" class="cell own none"')
    assert alice.get("/folders/Factures").status_code == 404
    assert "Factures" not in alice.get("/folders/INBOX").get_data(as_text=True)

    claire.post(
        "/admin/rights/cell", data={**form, "rights": "lr assign", "do": "save"}, headers=htmx
    )
    assert alice.get("/folders/Factures").status_code == 200
    removed = claire.post("/admin/rights/cell", data={**form, "do": "remove"}, headers=htmx)
    assert 'data-rights="lrswit"' in removed.get_data(as_text=True)
    assert [(a, d) for _, a, f, d in audit_log(app) if f == "Factures" and "alice" in d] == [
        ("rights.set", "alice on Factures: (none) → (deny)"),
        ("rights.set", "alice on Factures: (deny) → lr assign"),
        ("rights.remove", "alice on Factures: lr assign"),
    ]


def test_the_cell_editor_works_without_htmx(app: Flask, people: dict[str, FlaskClient]) -> None:
    claire = people["manager"]
    page = claire.get(cell_url("Archive", "role:staff", edit="1")).get_data(as_text=True)
    assert "<html" in page and 'method="post"' in page and 'name="rights"' in page
    response = claire.post(
        "/admin/rights/cell",
        data={
            "folder": "Archive",
            "subject": "role:staff",
            "rights": "l",
            "csrf_token": token_of(claire),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/rights#cell-")
    assert people["staff"].get("/folders/Archive").status_code == 403


def test_unknown_letters_are_refused_in_the_cell(
    app: Flask, people: dict[str, FlaskClient]
) -> None:
    claire = people["manager"]
    before = snapshot(app)
    for headers in ({}, {"HX-Request": "true"}):
        response = claire.post(
            "/admin/rights/cell",
            data={
                "folder": "Factures",
                "subject": "user:alice",
                "rights": "lrz",
                "csrf_token": token_of(claire),
            },
            headers=headers,
        )
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "Rights are the letters lrswitekxa and the word assign" in page
        assert 'value="lrz"' in page
    assert snapshot(app) == before


def test_a_folder_administrator_sees_only_the_folders_they_administer(
    people: dict[str, FlaskClient],
) -> None:
    page = people["folder_admin"].get("/admin/rights").get_data(as_text=True)
    assert re.findall(r'<th scope="col" class="folder" title="([^"]+)"', page) == ["Factures"]
    assert "Grant on a pattern" not in page
    manager = people["manager"].get("/admin/rights").get_data(as_text=True)
    columns = re.findall(r'<th scope="col" class="folder" title="([^"]+)"', manager)
    assert columns[0] == "INBOX" and {"Factures", "Réclamations", "Archive"} <= set(columns)


def test_grants_on_patterns(app: Flask, people: dict[str, FlaskClient]) -> None:
    claire, alice = people["manager"], people["staff"]
    token = token_of(claire)
    response = claire.post(
        "/admin/rights/grants",
        data={"subject": "user:alice", "pattern": "Fac*", "rights": "lr", "csrf_token": token},
    )
    assert response.status_code == 422
    assert "A pattern is a folder name, NAME/* or *." in response.get_data(as_text=True)
    response = claire.post(
        "/admin/rights/grants",
        data={"subject": "user:alice", "pattern": "*", "rights": "", "csrf_token": token},
    )
    assert response.status_code == 302
    assert alice.get("/folders/INBOX").status_code == 404
    page = claire.get("/admin/rights").get_data(as_text=True)
    assert 'data-subject="user:alice" data-pattern="*"' in page
    claire.post(
        "/admin/rights/grants/remove",
        data={"subject": "user:alice", "pattern": "*", "csrf_token": token},
    )
    assert alice.get("/folders/INBOX").status_code == 200


# ---------------------------------------------------------------- activity


@pytest.fixture
def activity(app: Flask, people: dict[str, FlaskClient]) -> Iterator[dict[str, FlaskClient]]:
    """Log rows about Factures, Archive and Réclamations; Réclamations is
    then hidden from claire herself."""
    with app.extensions["teaminbox.database"].session() as session:
        for folder in ("Factures", "Archive", "Réclamations"):
            set_grant(session, None, folder, "lr", username="alice")
        set_grant(session, None, "Réclamations", "", username="claire")
        session.commit()
    yield people


def test_the_activity_log_hides_rows_about_folders_the_viewer_cannot_see(
    activity: dict[str, FlaskClient],
) -> None:
    page = activity["manager"].get("/admin/activity").get_data(as_text=True)
    assert 'data-folder="Factures"' in page and 'data-folder="Archive"' in page
    assert "Réclamations" not in page
    assert 'data-action="user.create"' in page

    page = activity["folder_admin"].get("/admin/activity").get_data(as_text=True)
    assert 'data-folder="Factures"' in page
    assert "Archive" not in page and "Réclamations" not in page
    assert 'data-action="user.' not in page


def test_the_activity_log_filters_by_action_and_person(
    activity: dict[str, FlaskClient],
) -> None:
    claire = activity["manager"]
    claire.post("/admin/users/eve/enable", data={"csrf_token": token_of(claire)})
    page = claire.get("/admin/activity?action=user.enable").get_data(as_text=True)
    assert re.findall(r'data-action="([^"]+)"', page) == ["user.enable"]
    page = claire.get("/admin/activity?person=claire").get_data(as_text=True)
    assert set(re.findall(r'data-action="([^"]+)"', page)) == {"user.enable"}
    page = claire.get("/admin/activity?action=rights.set").get_data(as_text=True)
    rows = re.findall(r'<tr data-action="rights.set"( data-folder="[^"]+")?', page)
    assert len(rows) == 3  # bruno's and alice's on Factures, alice's on Archive


def test_the_activity_log_pages_by_200(app: Flask, people: dict[str, FlaskClient]) -> None:
    from teaminbox.services import audit

    with app.extensions["teaminbox.database"].session() as session:
        for n in range(230):
            audit.record(session, None, "test.row", f"row {n}")
        session.commit()
    page = people["manager"].get("/admin/activity?action=test.row").get_data(as_text=True)
    assert page.count('data-action="test.row"') == 200
    older = re.search(r'href="(/admin/activity\?[^"]*before=\d+)"', page)
    assert older
    page = people["manager"].get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert page.count('data-action="test.row"') == 30
    assert "row 0<" in page
