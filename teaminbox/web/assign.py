"""Assigning messages from the browser, and the views of who has what.

The form on the open message posts here (a plain form; htmx swaps the
status bar in place). The views list the header cache: the watcher keeps
it current; without the watcher (LIVE_UPDATES off) a view syncs the
person's folders first.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from teaminbox.domain import MessageHeader, MessageRef
from teaminbox.rights import Right
from teaminbox.services import assignments, reading
from teaminbox.services.assignments import Shown, Who
from teaminbox.store.models import User
from teaminbox.web.access import db_session, imap_pool, rights
from teaminbox.web.extensions import htmx
from teaminbox.web.htmx import render_page_or_partial
from teaminbox.web.live import commit_and_publish, render_status

bp = Blueprint("assign", __name__)

# The id of the views' element, which htmx swaps on its own.
VIEW = "assignments"


@bp.post("/folders/<path:folder>/messages/<int:uid>/assign")
@login_required
def assign(folder: str, uid: int) -> ResponseReturnValue:
    """Assign to the colleague named in `assignee` ("" unassigns), with an
    optional `note`."""
    ref = MessageRef(folder, uid)
    assignee = request.form.get("assignee", "").strip() or None
    done = assignments.assign(
        imap_pool(),
        db_session(),
        _actor(),
        rights(),
        ref,
        assignee,
        request.form.get("note", ""),
    )
    commit_and_publish(done.events)
    if htmx:
        return render_status(ref)
    if done.assignee:
        flash(_("Message assigned to %(name)s.", name=done.assignee))
    else:
        flash(_("Message unassigned."))
    return redirect(url_for("inbox.message", folder=folder, uid=uid), 303)


@bp.get("/assignments")
@login_required
def view() -> ResponseReturnValue:
    """`who`: mine (default), unassigned or assigned (`assignee` narrows it
    to one colleague); `folder`: one folder, else every folder one may read."""
    try:
        who = Who(request.args.get("who", Who.MINE))
    except ValueError:
        who = Who.MINE
    folder = request.args.get("folder") or None
    assignee = (request.args.get("assignee") or None) if who is Who.ASSIGNED else None
    if folder is not None:
        rights().require(folder, Right.READ)
    if not current_app.config["LIVE_UPDATES"]:
        folders = [folder] if folder else assignments.readable_folders(imap_pool(), rights())
        commit_and_publish(assignments.refresh_cache(imap_pool(), db_session(), folders))
    session = db_session()
    rows = assignments.view(session, _actor(), rights(), who, folder=folder, assignee=assignee)
    tree = None if htmx and htmx.target == VIEW else reading.folder_tree(imap_pool(), rights())
    return render_page_or_partial(
        "inbox/assignments.html",
        "inbox/_assignments.html",
        VIEW,
        tree=tree,
        rows=rows,
        who=who.value,
        assignee=assignee,
        current_folder=folder,
        people=assignments.colleagues(session, folder),
    )


@bp.app_template_global()
def assignment_of(folder: str, header: MessageHeader) -> Shown | None:
    """Who a listed or open message is assigned to (rows and status bar)."""
    return assignments.shown(db_session(), folder, header)


@bp.app_template_global()
def assign_colleagues(folder: str) -> list[User]:
    """Whom the assign form offers for a message of `folder`."""
    return assignments.colleagues(db_session(), folder)


def _actor() -> User:
    user: User = current_user.user
    return user
