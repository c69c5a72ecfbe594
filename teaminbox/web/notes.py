"""Internal notes on the open message, and the mentions of the current person.

Writing a note needs `r` on the message's folder (services/notes.py), like
reading them. The notes list re-renders for everyone on the message when
the stream sends its `notes_key`; the "Mentions" link in the top bar when
it sends the person's `mention_key`. The form is not re-rendered by the
stream, so that nobody loses the note they are typing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from teaminbox.domain import MessageRef
from teaminbox.rights import Right
from teaminbox.services import history, notes, reading
from teaminbox.services.notes import MAX_NOTE_CHARS, NoteRefused, NoteView, Refusal
from teaminbox.store.models import User
from teaminbox.web.access import db_session, imap_pool, require, rights
from teaminbox.web.extensions import htmx
from teaminbox.web.inbox import render_message
from teaminbox.web.live import commit_and_publish, message_key

bp = Blueprint("notes", __name__)

# Tells the top bar's "Mentions" link to count again.
MENTIONS_SEEN = "mentions-seen"


@dataclass(frozen=True)
class NotesPanel:
    """What the notes part of a message shows: its notes, whether some
    mention the viewer unseen, and a refused draft given back."""

    notes: list[NoteView]
    unseen: bool
    draft: str = ""
    error: str = ""


def notes_key(folder: str, uid: int) -> str:
    """The trigger name of one message's notes (apart from its row's, so
    that a note does not re-render the row and the status bar)."""
    return "n" + message_key(folder, uid)


def mention_key(username: str) -> str:
    """The trigger name of one person's mentions (usernames hold dots,
    which trigger names had better not)."""
    return "u-" + hashlib.sha256(username.encode()).hexdigest()[:12]


@bp.app_context_processor
def notes_context() -> dict[str, Any]:
    return {
        "notes_key": notes_key,
        "mention_key": mention_key,
        "notes_panel": notes_panel,
        "unseen_mentions": _unseen_mentions,
    }


def notes_panel(ref: MessageRef, message_id: str) -> NotesPanel:
    """The notes of the open message `ref` (whose folder the person may read)."""
    viewer = _viewer()
    views = notes.notes_of(db_session(), viewer, message_id, ref)
    return NotesPanel(
        notes=views,
        unseen=any(n.unseen for n in views),
        draft=g.get("note_draft", ""),
        error=g.get("note_error", ""),
    )


@bp.post("/folders/<path:folder>/messages/<int:uid>/notes")
@login_required
def add(folder: str, uid: int) -> ResponseReturnValue:
    """Add a note (the field `body`); htmx gets the notes part back with an
    empty form, a plain form the message page. A refused note comes back in
    the form with the reason (422), never lost."""
    ref = MessageRef(folder, uid)
    body = request.form.get("body", "")
    try:
        added = notes.add_note(imap_pool(), db_session(), _viewer(), rights(), ref, body)
    except NoteRefused as refused:
        g.note_draft, g.note_error = body, _refusal_text(refused.refusal)
        return _notes_part(ref, None), 422
    commit_and_publish(added.events)
    if htmx:
        return _notes_part(ref, added.note.message_id)
    return redirect(url_for("inbox.message", folder=folder, uid=uid) + "#notes", 303)


@bp.get("/folders/<path:folder>/messages/<int:uid>/notes")
@login_required
def notes_list(folder: str, uid: int) -> ResponseReturnValue:
    """The notes list alone, fresh (the stream said it changed)."""
    require(folder, Right.READ)
    ref = MessageRef(folder, uid)
    message_id = history.message_id_of(imap_pool(), db_session(), ref)
    return render_template("inbox/_notes_list.html", ref=ref, panel=notes_panel(ref, message_id))


@bp.post("/folders/<path:folder>/messages/<int:uid>/notes/seen")
@login_required
def seen(folder: str, uid: int) -> ResponseReturnValue:
    """The person has the message open: their mentions in its notes are seen."""
    require(folder, Right.READ)
    ref = MessageRef(folder, uid)
    session = db_session()
    message_id = history.message_id_of(imap_pool(), session, ref)
    notes.mark_mentions_seen(session, _viewer(), message_id, ref)
    session.commit()
    return "", 204, {"HX-Trigger": MENTIONS_SEEN}


@bp.get("/mentions")
@login_required
def mentions() -> ResponseReturnValue:
    """The notes that mention the person, newest first."""
    return render_template(
        "inbox/mentions.html",
        mentions=notes.mentions(db_session(), _viewer(), rights()),
        tree=reading.folder_tree(imap_pool(), rights()),
        current_folder=None,
    )


@bp.get("/mentions/link")
@login_required
def mentions_link() -> ResponseReturnValue:
    """The top bar's "Mentions" link, counted again."""
    return render_template("_mentions_link.html")


def _notes_part(ref: MessageRef, message_id: str | None) -> str:
    """The whole notes part (list and form), or for a plain form the page."""
    if message_id is None:
        message_id = history.message_id_of(imap_pool(), db_session(), ref)
    if htmx:
        return render_template("inbox/_notes.html", ref=ref, message_id=message_id)
    return render_message(ref)


def _refusal_text(refusal: Refusal) -> str:
    if refusal is Refusal.TOO_LONG:
        return str(
            _(
                "A note holds at most %(max)d characters: shorten it and add it again.",
                max=MAX_NOTE_CHARS,
            )
        )
    return str(_("The note is empty: write something first."))


def _unseen_mentions() -> int:
    if not current_user.is_authenticated:
        return 0
    return notes.unseen_mention_count(db_session(), _viewer(), rights())


def _viewer() -> User:
    user: User = current_user.user
    return user
