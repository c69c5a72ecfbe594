"""The folder tree, a folder's pages and the message reader."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from teaminbox.domain import MessageRef
from teaminbox.mail.plaintext import render_plain_text
from teaminbox.rights import Right
from teaminbox.services import actions, assignments, folders, reading
from teaminbox.web.access import db_session, imap_pool, live_cache, require, rights
from teaminbox.web.extensions import htmx
from teaminbox.web.htmx import render_page_or_partial
from teaminbox.web.live import commit_and_publish, live_cursor, render_status

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """INBOX, or the first folder this person may read."""
    if rights().can("INBOX", Right.READ):
        return redirect(url_for("inbox.folder", folder="INBOX"))
    tree = reading.folder_tree(imap_pool(), rights())
    readable = [
        e.folder.name
        for e in tree
        if e.folder.selectable and rights().can(e.folder.name, Right.READ)
    ]
    if readable:
        return redirect(url_for("inbox.folder", folder=readable[0]))
    return render_template("inbox/no_folders.html", tree=tree, current_folder=None)


@bp.get("/folders/<path:folder>")
@login_required
def folder(folder: str) -> ResponseReturnValue:
    require(folder, Right.READ)
    number = request.args.get("page", 1, type=int) or 1
    size = current_app.config["PAGE_SIZE"]
    if not _partial("message-list"):
        live_cursor()  # taken before the page is read: a change after it is streamed
    page = reading.folder_page(imap_pool(), folder, number, size, live_cache())
    if number > page.pages:
        abort(404)
    return render_page_or_partial(
        "inbox/folder.html",
        "inbox/_message_list.html",
        "message-list",
        tree=_tree_unless_partial("message-list"),
        page=page,
        page_assignments=assignments.shown_on_page(db_session(), folder, page.headers),
        current_folder=folder,
        may=rights().on(folder),
        may_root=rights().on(folders.ROOT),
        options=folders.folder_options(imap_pool(), rights(), folder),
    )


@bp.get("/folders/<path:folder>/messages/<int:uid>")
@login_required
def message(folder: str, uid: int) -> ResponseReturnValue:
    require(folder, Right.READ)
    return render_message(MessageRef(folder, uid))


def render_message(ref: MessageRef) -> str:
    """The message page, or only the message when htmx asks for `#main`,
    with the actions this person may take on it."""
    content = reading.open_message(imap_pool(), ref)
    text = render_plain_text(content.text) if content.text is not None else None
    return render_page_or_partial(
        "inbox/message.html",
        "inbox/_message.html",
        "main",
        tree=_tree_unless_partial("main"),
        message=content,
        ref=ref,
        text=text,
        current_folder=ref.folder,
        may=rights().on(ref.folder),
        options=folders.folder_options(imap_pool(), rights(), ref.folder),
    )


@bp.post("/folders/<path:folder>/messages/<int:uid>/seen")
@login_required
def set_seen(folder: str, uid: int) -> ResponseReturnValue:
    """Mark read (seen=1) or unread (seen=0): an explicit STORE, never a side
    effect of opening a message."""
    ref = MessageRef(folder, uid)
    seen = request.form.get("seen") == "1"
    done = actions.set_seen(imap_pool(), db_session(), current_user.user, rights(), ref, seen)
    commit_and_publish(done.events)
    if htmx:
        return render_status(ref)
    return redirect(url_for("inbox.message", folder=folder, uid=uid))


def _tree_unless_partial(target: str) -> list[reading.FolderEntry] | None:
    """The folder tree, which a partial swap of `target` does not need."""
    if _partial(target):
        return None
    return reading.folder_tree(imap_pool(), rights())


def _partial(target: str) -> bool:
    """Whether htmx asks for the element `target` alone."""
    return bool(htmx and htmx.target == target)
