"""The only place where failures become HTTP answers, in the user's language."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from teaminbox.domain import MessageRef
from teaminbox.imap.errors import (
    FolderExists,
    FolderNotFound,
    ImapUnavailable,
    MessageNotFound,
    ServerRefused,
)
from teaminbox.services.actions import ActionRefused, Refusal
from teaminbox.services.assignments import AssignmentRefused
from teaminbox.services.assignments import Refusal as AssignRefusal
from teaminbox.services.bulk import BadSelection, Problem
from teaminbox.services.rights import Forbidden
from teaminbox.web.extensions import htmx
from teaminbox.web.live import completed_gone_notice

log = logging.getLogger(__name__)


def _page(
    status: int,
    title: str,
    text: str,
    gone: dict[str, object] | None = None,
    ref: MessageRef | None = None,
) -> ResponseReturnValue:
    """The error page; with `gone` and `ref`, the notice of where the
    message `ref` went instead of `text` once that is known."""
    template = "errors/_error.html" if htmx else "errors/error.html"
    page = render_template(template, status=status, title=title, text=text, gone=gone, ref=ref)
    return page, status


def folder_not_found(_error: FolderNotFound) -> ResponseReturnValue:
    return _page(404, _("Folder not found"), _("This folder does not exist."))


def message_not_found(_error: MessageNotFound) -> ResponseReturnValue:
    """Says who moved it and where, when the app knows, or as soon as it
    does (two people acting on one message at once: the second learns who
    was first, from the first one's event)."""
    args = request.view_args or {}
    folder, uid = args.get("folder"), args.get("uid")
    gone: dict[str, object] | None = None
    ref: MessageRef | None = None
    if isinstance(folder, str) and isinstance(uid, int) and current_user.is_authenticated:
        ref = MessageRef(folder, uid)
        gone = completed_gone_notice(folder, uid)
    return _page(
        404,
        _("Message not found"),
        _("This message is no longer in this folder: someone may have moved or deleted it."),
        gone=gone,
        ref=ref,
    )


def forbidden(_error: Forbidden) -> ResponseReturnValue:
    return _page(403, _("Not allowed"), _("You do not have the right to do this."))


def action_refused(error: ActionRefused) -> ResponseReturnValue:
    texts = {
        Refusal.SAME_FOLDER: _("The message is already in this folder."),
        Refusal.NO_TRASH: _(
            "This mailbox has no Trash folder. Ask a manager to create a folder named Trash."
        ),
        Refusal.NOT_TRASH: _("Only the Trash can be emptied."),
        Refusal.PROTECTED_FOLDER: _(
            "INBOX, the Trash and the other special folders cannot be deleted."
        ),
        Refusal.FOLDER_NOT_EMPTY: _("This folder still holds messages: move or delete them first."),
        Refusal.HAS_SUBFOLDERS: _("This folder has subfolders: delete them first."),
        Refusal.BAD_FOLDER_NAME: _(
            "A folder name cannot be empty or longer than 100 characters, and cannot "
            "contain a slash, an asterisk, a percent sign or control characters."
        ),
        Refusal.NOT_CONFIRMED: _("Tick the box to confirm, then try again."),
        Refusal.NOT_RESTORABLE: _(
            "This message was not deleted in TeamInbox, or no longer is the one that was: "
            "move it to its folder instead."
        ),
    }
    status = 400 if error.refusal in (Refusal.BAD_FOLDER_NAME, Refusal.NOT_CONFIRMED) else 409
    return _page(status, _("Not possible"), texts[error.refusal] + " " + _("Nothing was changed."))


def assignment_refused(error: AssignmentRefused) -> ResponseReturnValue:
    texts = {
        AssignRefusal.NOT_A_COLLEAGUE: _(
            "This person cannot take the message: they have no active account or may not "
            "read this folder."
        ),
        AssignRefusal.BAD_NOTE: _("A note is one line of at most 200 characters."),
    }
    return _page(400, _("Not possible"), texts[error.refusal] + " " + _("Nothing was changed."))


def folder_exists(_error: FolderExists) -> ResponseReturnValue:
    return _page(409, _("Not possible"), _("A folder with this name already exists."))


def server_refused(error: ServerRefused) -> ResponseReturnValue:
    log.warning("IMAP server refused a change: %s", error)
    return _page(
        409, _("Not possible"), _("The mail server refused this change. Nothing was changed.")
    )


def imap_unavailable(error: ImapUnavailable) -> ResponseReturnValue:
    log.warning("IMAP unavailable: %s", error)
    return _page(
        503,
        _("Mail server unavailable"),
        _(
            "The mail server cannot be reached right now. Nothing was changed; "
            "please try again in a moment."
        ),
    )


def bad_selection(error: BadSelection) -> ResponseReturnValue:
    texts = {
        Problem.UNKNOWN_ACTION: _("Choose an action from the bar above the list."),
        Problem.EMPTY: _("Tick at least one message first."),
        Problem.TOO_MANY: _(
            "At most %(limit)d messages can be changed at once.", limit=error.limit
        ),
        Problem.BAD_UID: _("The selection names a message that cannot exist."),
        Problem.NO_DESTINATION: _("Choose the folder to move the messages to."),
    }
    return _page(400, _("Bad request"), texts[error.problem] + " " + _("Nothing was changed."))


def csrf_error(_error: CSRFError) -> ResponseReturnValue:
    return _page(
        400,
        _("Form expired"),
        _("This form has expired or did not come from TeamInbox. Reload the page and try again."),
    )


def http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    titles = {
        400: (_("Bad request"), _("The request could not be understood.")),
        403: (_("Not allowed"), _("You do not have the right to do this.")),
        404: (_("Not found"), _("There is nothing at this address.")),
        405: (_("Not allowed"), _("This address does not accept this kind of request.")),
        413: (_("Too large"), _("What you sent is larger than TeamInbox accepts.")),
        429: (
            _("Too many attempts"),
            _("Too many attempts in a short time. Please wait a minute and try again."),
        ),
    }
    title, text = titles.get(status, (_("Error"), _("Something went wrong.")))
    return _page(status, title, text)


def unexpected_error(error: Exception) -> ResponseReturnValue:
    log.exception("unexpected error", exc_info=error)
    return _page(
        500,
        _("Error"),
        _("Something went wrong on our side. Nothing was changed; please try again."),
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(FolderNotFound, folder_not_found)
    app.register_error_handler(MessageNotFound, message_not_found)
    app.register_error_handler(ImapUnavailable, imap_unavailable)
    app.register_error_handler(Forbidden, forbidden)
    app.register_error_handler(ActionRefused, action_refused)
    app.register_error_handler(BadSelection, bad_selection)
    app.register_error_handler(AssignmentRefused, assignment_refused)
    app.register_error_handler(FolderExists, folder_exists)
    app.register_error_handler(ServerRefused, server_refused)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
