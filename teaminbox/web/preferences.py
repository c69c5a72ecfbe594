"""A person's own settings: the UI language and the reply signature."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from teaminbox.services import replies
from teaminbox.web.access import db_session
from teaminbox.web.auth import safe_next

bp = Blueprint("preferences", __name__, url_prefix="/preferences")


@bp.post("/language")
@login_required
def language() -> ResponseReturnValue:
    """Choose the UI language, or "" to follow the browser."""
    choice = request.form.get("language", "")
    session = db_session()
    user = session.merge(current_user.user)
    user.language = choice if choice in current_app.config["LANGUAGES"] else None
    session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """The person's preferences page."""
    return render_template(
        "preferences/index.html", max_signature=replies.MAX_SIGNATURE_CHARS, error=None
    )


@bp.post("/signature")
@login_required
def signature() -> ResponseReturnValue:
    """Set the signature put under this person's replies ("" for none)."""
    session = db_session()
    user = session.merge(current_user.user)
    try:
        replies.set_signature(session, user, request.form.get("signature", ""))
    except replies.SignatureTooLong:
        page = render_template(
            "preferences/index.html",
            max_signature=replies.MAX_SIGNATURE_CHARS,
            error=_(
                "A signature holds at most %(limit)d characters.",
                limit=replies.MAX_SIGNATURE_CHARS,
            ),
            typed=request.form.get("signature", ""),
        )
        return page, 422
    session.commit()
    flash(_("Signature saved."))
    return redirect(url_for("preferences.index"), 303)
