"""A person's own settings."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

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
