"""Who may do what where: the matrix of people and roles by folders, its
cells edited in place, and grants on patterns.

A cell of folder F may be edited by a manager or by anyone holding `a` on
F; the other checks live in services/administration.py. Every change is
read again by the affected person's next request (rights are loaded per
request).
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from teaminbox.imap.errors import FolderNotFound
from teaminbox.rights import LETTERS, RightsError, check_pattern, parse_rights
from teaminbox.services import administration
from teaminbox.services.administration import RightsCell, Subject
from teaminbox.services.reading import folder_list
from teaminbox.services.rights import remove_grant, set_grant
from teaminbox.store.users import all_users, find_user
from teaminbox.web.access import db_session, imap_pool, rights
from teaminbox.web.extensions import htmx
from teaminbox.web.htmx import render_page_or_partial
from teaminbox.web.live import ACCOUNTS_CHANGED, commit_and_publish

bp = Blueprint("rights", __name__, url_prefix="/rights")

RIGHT_MEANINGS = [
    ("l", _l("see that the folder exists")),
    ("r", _l("open and read its messages")),
    ("s", _l("mark read / unread")),
    ("w", _l("set other flags: answered, flagged, keywords")),
    ("i", _l("move or copy messages into it")),
    ("t", _l("delete messages (move them to the Trash)")),
    ("e", _l("expunge, empty the Trash")),
    ("k", _l("create subfolders")),
    ("x", _l("delete the folder")),
    ("a", _l("administer the rights on it")),
    ("assign", _l("assign messages to colleagues")),
]


def cell_id(cell: RightsCell) -> str:
    """A stable HTML id for a cell, whatever characters the folder holds."""
    key = f"{cell.subject.key}\n{cell.folder}".encode()
    return "cell-" + hashlib.blake2s(key, digest_size=8).hexdigest()


@bp.context_processor
def cell_helpers() -> dict[str, object]:
    return {"cell_id": cell_id, "right_meanings": RIGHT_MEANINGS, "letters": LETTERS}


@bp.get("")
def index() -> ResponseReturnValue:
    return _matrix_page()


@bp.get("/cell")
def cell() -> ResponseReturnValue:
    """One cell, as shown (`edit` absent) or as its editor (`edit=1`)."""
    folder, subject = _cell_request(request.args)
    cell = administration.rights_cell(db_session(), subject, folder)
    return render_page_or_partial(
        "admin/rights_cell.html",
        "admin/_rights_cell.html",
        cell_id(cell),
        cell=cell,
        editing=request.args.get("edit") == "1",
    )


@bp.post("/cell")
def save_cell() -> ResponseReturnValue:
    """Set the subject's own grant on the folder, or remove it (`do=remove`)
    so that wider grants apply again."""
    folder, subject = _cell_request(request.form)
    session = db_session()
    if request.form.get("do") == "remove":
        remove_grant(
            session, current_user.user, folder, username=subject.username, role=subject.role
        )
    else:
        text = request.form.get("rights", "")
        try:
            parse_rights(text)
        except RightsError:
            cell = administration.rights_cell(session, subject, folder)
            return _cell_answer(cell, editing=True, error=_rights_hint(), typed=text), 422
        set_grant(
            session, current_user.user, folder, text, username=subject.username, role=subject.role
        )
    commit_and_publish([ACCOUNTS_CHANGED])
    cell = administration.rights_cell(session, subject, folder)
    if htmx:
        return _cell_answer(cell, editing=False)
    flash(_("Rights saved."), "ok")
    return redirect(url_for("admin.rights.index", _anchor=cell_id(cell)))


@bp.post("/grants")
def add_grant() -> ResponseReturnValue:
    """A grant on a pattern (`Factures/*`, `*`) or on a folder by name."""
    values = {key: request.form.get(key, "") for key in ("subject", "pattern", "rights")}
    values["pattern"] = values["pattern"].strip()
    subject = Subject.from_key(values["subject"])
    if subject is None or (subject.username and not find_user(db_session(), subject.username)):
        return _matrix_page(_("Choose a user or a role."), values, 422)
    try:
        check_pattern(values["pattern"])
    except RightsError:
        return _matrix_page(_("A pattern is a folder name, NAME/* or *."), values, 422)
    if not administration.may_administer(current_user.user, rights(), values["pattern"]):
        abort(403)
    try:
        parse_rights(values["rights"])
    except RightsError:
        return _matrix_page(_rights_hint(), values, 422)
    session = db_session()
    set_grant(
        session,
        current_user.user,
        values["pattern"],
        values["rights"],
        username=subject.username,
        role=subject.role,
    )
    commit_and_publish([ACCOUNTS_CHANGED])
    flash(_("Rights saved."), "ok")
    return redirect(url_for("admin.rights.index"))


@bp.post("/grants/remove")
def remove_pattern_grant() -> ResponseReturnValue:
    subject = Subject.from_key(request.form.get("subject", ""))
    pattern = request.form.get("pattern", "")
    if subject is None:
        abort(400)
    if not administration.may_administer(current_user.user, rights(), pattern):
        abort(403)
    session = db_session()
    try:
        removed = remove_grant(
            session, current_user.user, pattern, username=subject.username, role=subject.role
        )
    except RightsError:
        abort(404)
    commit_and_publish([ACCOUNTS_CHANGED])
    if removed:
        flash(_("Grant removed."), "ok")
    return redirect(url_for("admin.rights.index"))


def _cell_request(values: MultiDict[str, str]) -> tuple[str, Subject]:
    """The folder and subject a cell request names, once the current person
    is known to administer that folder (404 for a folder they cannot see, as
    for one that does not exist; 403 without `a`)."""
    folder = values.get("folder", "")
    if folder not in {f.name for f in folder_list(imap_pool())}:
        raise FolderNotFound(f"no folder {folder!r}")
    administration.require_administer(current_user.user, rights(), folder)
    subject = Subject.from_key(values.get("subject", ""))
    if subject is None or (subject.username and not find_user(db_session(), subject.username)):
        abort(404)
    return folder, subject


def _cell_answer(
    cell: RightsCell, *, editing: bool, error: str | None = None, typed: str | None = None
) -> str:
    context = {"cell": cell, "editing": editing, "error": error, "typed": typed}
    if htmx:
        return render_template("admin/_rights_cell.html", **context)
    return render_template("admin/rights_cell.html", **context)


def _rights_hint() -> str:
    return str(
        _(
            "Rights are the letters %(letters)s and the word assign; leave empty to deny.",
            letters=LETTERS,
        )
    )


def _columns(mailbox: list[str]) -> list[str]:
    """The folders whose rights this person may see and change: every folder
    they see for a manager, those they hold `a` on for anyone else."""
    view, user = rights(), current_user.user
    shown = [f for f in mailbox if view.sees(f) and administration.may_administer(user, view, f)]
    return sorted(shown, key=lambda f: (f.upper() != "INBOX", f.casefold()))


def _matrix_page(
    grant_error: str | None = None, values: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    session = db_session()
    mailbox = [f.name for f in folder_list(imap_pool())]
    folders = _columns(mailbox)
    users = all_users(session)
    manager = administration.is_manager(current_user.user)
    page = render_template(
        "admin/rights.html",
        folders=folders,
        rows=administration.rights_matrix(session, users, folders),
        off_matrix=administration.grants_off_the_matrix(session, mailbox) if manager else [],
        users=users,
        grant_error=grant_error,
        values=values or {},
    )
    return page, status
