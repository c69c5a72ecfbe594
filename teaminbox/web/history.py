"""The history panel of the open message: who did what to it, and when,
other mail clients included. Re-rendered when the stream names the message
(a flag, a move, …) or its notes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from teaminbox.domain import MessageRef
from teaminbox.rights import Right
from teaminbox.services import history
from teaminbox.services.history import HistoryEntry
from teaminbox.store.notes import display_names
from teaminbox.web.access import db_session, imap_pool, require, rights

bp = Blueprint("history", __name__)

# How the history and the activity log name what was done to a message.
MESSAGE_ACTION_LABELS = {
    "message.flag": _l("Flagged"),
    "message.unflag": _l("Flag removed"),
    "message.answered": _l("Marked answered"),
    "message.unanswered": _l("Marked not answered"),
    "message.delete": _l("Deleted"),
    "message.undelete": _l("Deletion mark removed"),
    "message.move": _l("Moved"),
    "message.restore": _l("Restored from the Trash"),
    "message.expunge": _l("Removed for good"),
    "message.keyword": _l("Keyword added"),
    "message.unkeyword": _l("Keyword removed"),
    "message.note": _l("Note added"),
    "message.assign": _l("Assigned"),
    "message.unassign": _l("Assignment removed"),
    "message.reply": _l("Replied"),
    history.ANSWERED_ELSEWHERE: _l("Answered"),
}


@bp.app_context_processor
def history_context() -> dict[str, Any]:
    return {"history_panel": history_panel, "message_action": message_action}


def message_action(action: str) -> str:
    label = MESSAGE_ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def history_panel(ref: MessageRef, message_id: str) -> list[tuple[HistoryEntry, str | None]]:
    """The message's history as the person may see it, each entry with the
    display name of who did it (None: another mail client)."""
    entries = history.message_history(db_session(), rights(), message_id, ref)
    names = display_names(db_session(), (e.actor for e in entries if e.actor))
    return [(e, names.get(e.actor, e.actor) if e.actor else None) for e in entries]


@bp.get("/folders/<path:folder>/messages/<int:uid>/history")
@login_required
def panel(folder: str, uid: int) -> ResponseReturnValue:
    """The history panel alone, fresh."""
    require(folder, Right.READ)
    ref = MessageRef(folder, uid)
    message_id = history.message_id_of(imap_pool(), db_session(), ref)
    return render_template("inbox/_history.html", ref=ref, message_id=message_id)
