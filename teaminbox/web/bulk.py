"""Bulk actions: the bar of a folder list acting on the ticked messages.

One plain POST form (Flask-WTF checks its CSRF token) carries the folder in
its URL, the action, the ticked UIDs and, for a move, the destination. The
service acts on each message as the single-message routes would; this view
commits once, publishes every event after that commit, and goes back to the
list with a message saying what was done and what was not, and why.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from teaminbox.rights import Right
from teaminbox.services import bulk, reading
from teaminbox.services.bulk import BulkAction, BulkDone, Skip
from teaminbox.web.access import db_session, imap_pool, rights
from teaminbox.web.live import commit_and_publish

bp = Blueprint("bulk", __name__)


@bp.post("/folders/<path:folder>/bulk")
@login_required
def act(folder: str) -> ResponseReturnValue:
    """Do `action` to each `uid` of `folder`; at most a page of them."""
    selection = bulk.read_selection(
        folder,
        request.form.get("action", ""),
        request.form.getlist("uid"),
        request.form.get("destination", ""),
        current_app.config["PAGE_SIZE"],
    )
    outcome = bulk.apply(imap_pool(), db_session(), current_user.user, rights(), selection)
    commit_and_publish(outcome.events)
    for text, category in _report(outcome):
        flash(text, category)
    return _back_to_list(outcome)


@bp.app_template_global()
def bulk_actions(folder: str) -> frozenset[BulkAction]:
    """What the bar of `folder`'s list offers this person (empty: no bar and
    no boxes to tick)."""
    return bulk.allowed(rights().on(folder))


# Why some messages were not done, in the order the report says it: each
# reason with its sentence for a count of messages.
SKIP_REPORTS: tuple[tuple[Skip, Callable[[int], str]], ...] = (
    (Skip.GONE, lambda count: ngettext(
        "%(num)d message was no longer in this folder: someone moved or deleted it meanwhile.",
        "%(num)d messages were no longer in this folder: someone moved or deleted them "
        "meanwhile.",
        count,
    )),
    (Skip.REFUSED, lambda count: ngettext(
        "The mail server refused the change for %(num)d message; it is unchanged.",
        "The mail server refused the change for %(num)d messages; they are unchanged.",
        count,
    )),
    (Skip.UNREACHABLE, lambda count: ngettext(
        "%(num)d message was not done: the mail server could not be reached. "
        "Try it again in a moment.",
        "%(num)d messages were not done: the mail server could not be reached. "
        "Try them again in a moment.",
        count,
    )),
    (Skip.STOPPED, lambda count: ngettext(
        "%(num)d message was not done: the folder changed meanwhile. Try it again.",
        "%(num)d messages were not done: the folder changed meanwhile. Try them again.",
        count,
    )),
)  # fmt: skip


def _report(outcome: BulkDone) -> list[tuple[str, str]]:
    """(text, flash category) lines: what was done, then each reason some
    messages were not."""
    lines = [(_done(outcome), "message" if outcome.done else "warning")]
    for reason, sentence in SKIP_REPORTS:
        count = len(outcome.skipped_for(reason))
        if count:
            lines.append((str(sentence(count)), "warning"))
    return lines


def _done(outcome: BulkDone) -> str:
    """One sentence for what was done, in the person's language."""
    count = len(outcome.done)
    if not count:
        return str(_("No message was changed."))
    action = outcome.selection.action
    if action is BulkAction.MOVE or (action is BulkAction.DELETE and not outcome.marked):
        return str(ngettext(
            "%(num)d message moved to %(folder)s.",
            "%(num)d messages moved to %(folder)s.",
            count,
            folder=outcome.destination,
        ))  # fmt: skip
    texts = {
        BulkAction.READ: ngettext(
            "%(num)d message marked read.", "%(num)d messages marked read.", count
        ),
        BulkAction.UNREAD: ngettext(
            "%(num)d message marked unread.", "%(num)d messages marked unread.", count
        ),
        BulkAction.FLAG: ngettext("%(num)d message flagged.", "%(num)d messages flagged.", count),
        BulkAction.UNFLAG: ngettext(
            "%(num)d message unflagged.", "%(num)d messages unflagged.", count
        ),
        BulkAction.ANSWERED: ngettext(
            "%(num)d message marked answered.", "%(num)d messages marked answered.", count
        ),
        BulkAction.UNANSWERED: ngettext(
            "%(num)d message marked not answered.",
            "%(num)d messages marked not answered.",
            count,
        ),
        BulkAction.DELETE: ngettext(
            "%(num)d message marked for deletion: it goes when the Trash is emptied.",
            "%(num)d messages marked for deletion: they go when the Trash is emptied.",
            count,
        ),
    }
    return str(texts[action])


def _back_to_list(outcome: BulkDone) -> ResponseReturnValue:
    """The page of the list the person was on, or its new last page when
    messages left and that page is no more."""
    folder = outcome.selection.folder
    if not rights().can(folder, Right.READ):
        return redirect(url_for("inbox.index"), 303)
    number = request.form.get("page", 1, type=int) or 1
    if number > 1 and outcome.selection.action in (BulkAction.MOVE, BulkAction.DELETE):
        size = current_app.config["PAGE_SIZE"]
        number = min(number, reading.folder_page(imap_pool(), folder, number, size).pages)
    page = number if number > 1 else None
    return redirect(url_for("inbox.folder", folder=folder, page=page), 303)
