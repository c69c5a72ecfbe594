"""Changing the shared mailbox from the browser: flags, moves, deletes,
expunges and folders.

Every route is a POST from a plain form (Flask-WTF checks its CSRF token;
htmx sends it as X-CSRFToken). The services check the rights; these views
read the form, commit the audit row and send the browser on: back to the
message after a flag change (htmx swaps the message in place), to the folder
after a move or a delete.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from teaminbox.domain import MessageRef
from teaminbox.events import Event, Kind
from teaminbox.rights import Right
from teaminbox.services import actions, folders, undo
from teaminbox.store.models import User
from teaminbox.web.access import db_session, imap_pool, require, rights
from teaminbox.web.extensions import htmx
from teaminbox.web.live import commit_and_publish, render_status

bp = Blueprint("actions", __name__)

# Names no folder: every open page re-reads its tree, through its own rights.
FOLDERS_CHANGED = Event(Kind.FOLDERS, "")
# The session key of the one delete the next page offers to undo.
UNDO = "undo"


@bp.post("/folders/<path:folder>/messages/<int:uid>/flagged")
@login_required
def flagged(folder: str, uid: int) -> ResponseReturnValue:
    """Flag (flagged=1) or unflag (flagged=0)."""
    ref = MessageRef(folder, uid)
    done = actions.set_flagged(
        imap_pool(), db_session(), _actor(), rights(), ref, _checked("flagged")
    )
    commit_and_publish(done.events)
    return _back_to_message(ref)


@bp.post("/folders/<path:folder>/messages/<int:uid>/answered")
@login_required
def answered(folder: str, uid: int) -> ResponseReturnValue:
    """Mark answered (answered=1) or not answered (answered=0)."""
    ref = MessageRef(folder, uid)
    done = actions.set_answered(
        imap_pool(), db_session(), _actor(), rights(), ref, _checked("answered")
    )
    commit_and_publish(done.events)
    return _back_to_message(ref)


@bp.post("/folders/<path:folder>/messages/<int:uid>/move")
@login_required
def move(folder: str, uid: int) -> ResponseReturnValue:
    """Move to the folder named in `destination`."""
    destination = request.form.get("destination", "")
    if not destination:
        abort(400)
    moved = actions.move(
        imap_pool(), db_session(), _actor(), rights(), MessageRef(folder, uid), destination
    )
    commit_and_publish(moved.events)
    flash(_("Message moved to %(folder)s.", folder=moved.destination))
    return _to_folder(folder)


@bp.post("/folders/<path:folder>/messages/<int:uid>/delete")
@login_required
def delete(folder: str, uid: int) -> ResponseReturnValue:
    """Move to the Trash; in the Trash, mark for removal at the next expunge."""
    deleted = actions.delete(imap_pool(), db_session(), _actor(), rights(), MessageRef(folder, uid))
    commit_and_publish(deleted.events)
    if deleted.marked:
        flash(_("Message marked for deletion: it goes when the Trash is emptied."))
    else:
        flash(_("Message moved to %(folder)s.", folder=deleted.trash))
        if deleted.uid is not None:
            session[UNDO] = {"folder": deleted.trash, "uid": deleted.uid}
    return _to_folder(folder)


@bp.post("/folders/<path:folder>/messages/<int:uid>/restore")
@login_required
def restore(folder: str, uid: int) -> ResponseReturnValue:
    """Undo a delete: the message in the Trash goes back where it came from."""
    moved = undo.restore(imap_pool(), db_session(), _actor(), rights(), MessageRef(folder, uid))
    commit_and_publish(moved.events)
    flash(_("Message restored to %(folder)s.", folder=moved.destination))
    if moved.uid is not None and rights().can(moved.destination, Right.READ):
        return redirect(url_for("inbox.message", folder=moved.destination, uid=moved.uid), 303)
    return _to_folder(moved.destination)


@bp.app_template_global()
def undo_offer() -> str | None:
    """The restore URL of what this person just deleted, offered once, on
    the page after the delete."""
    offer = session.pop(UNDO, None)
    if not isinstance(offer, dict):
        return None
    return url_for("actions.restore", folder=offer["folder"], uid=offer["uid"])


@bp.app_template_global()
def trash_origin(ref: MessageRef) -> undo.Origin | None:
    """Where the Trash message `ref` came from, for its status bar."""
    return undo.origin(db_session(), _actor(), rights(), ref)


@bp.post("/folders/<path:folder>/expunge")
@login_required
def expunge(folder: str) -> ResponseReturnValue:
    """Remove for good the messages marked deleted."""
    done = actions.expunge(imap_pool(), db_session(), _actor(), rights(), folder)
    commit_and_publish(done.events)
    flash(_removed(len(done.uids)))
    return _to_folder(folder)


@bp.post("/folders/<path:folder>/empty")
@login_required
def empty(folder: str) -> ResponseReturnValue:
    """Empty the Trash; the form must carry confirm=1."""
    require(folder, Right.EXPUNGE)
    if request.form.get("confirm") != "1":
        raise actions.ActionRefused(actions.Refusal.NOT_CONFIRMED, folder)
    done = actions.empty_trash(imap_pool(), db_session(), _actor(), rights(), folder)
    commit_and_publish(done.events)
    flash(_removed(len(done.uids)))
    return _to_folder(folder)


@bp.post("/folders")
@login_required
def create_top_level_folder() -> ResponseReturnValue:
    """Create a folder at the top of the tree (the field `name`)."""
    return _create(None)


@bp.post("/folders/<path:folder>/subfolders")
@login_required
def create_subfolder(folder: str) -> ResponseReturnValue:
    """Create a folder inside `folder` (the field `name`)."""
    return _create(folder)


@bp.post("/folders/<path:folder>/delete")
@login_required
def delete_folder(folder: str) -> ResponseReturnValue:
    """Delete an empty folder without subfolders."""
    deleted = folders.delete_folder(imap_pool(), db_session(), _actor(), rights(), folder)
    commit_and_publish([FOLDERS_CHANGED])
    flash(_("Folder %(folder)s deleted.", folder=deleted.name))
    return redirect(url_for("inbox.index"), 303)


def _create(parent: str | None) -> ResponseReturnValue:
    name = request.form.get("name", "")
    created = folders.create_folder(imap_pool(), db_session(), _actor(), rights(), parent, name)
    commit_and_publish([FOLDERS_CHANGED])
    flash(_("Folder %(folder)s created.", folder=created.name))
    if rights().can(created.name, Right.READ):
        return _to_folder(created.name)
    return redirect(url_for("inbox.index"), 303)


def _actor() -> User:
    user: User = current_user.user
    return user


def _checked(field: str) -> bool:
    return request.form.get(field) == "1"


def _back_to_message(ref: MessageRef) -> ResponseReturnValue:
    """htmx gets the status bar re-rendered in place; a plain form, the page."""
    if htmx and rights().can(ref.folder, Right.READ):
        return render_status(ref)
    if rights().can(ref.folder, Right.READ):
        return redirect(url_for("inbox.message", folder=ref.folder, uid=ref.uid), 303)
    return redirect(url_for("inbox.index"), 303)


def _to_folder(folder: str) -> ResponseReturnValue:
    if rights().can(folder, Right.READ):
        return redirect(url_for("inbox.folder", folder=folder), 303)
    return redirect(url_for("inbox.index"), 303)


def _removed(count: int) -> str:
    return str(
        ngettext("%(num)d message removed for good.", "%(num)d messages removed for good.", count)
    )
