"""The "Why not POP?" page: the explanation with this mailbox's figures, the
live POP3 demonstration (managers), and the warnings of the POP3 detector.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from teaminbox.domain import INBOX, outgoing_folders
from teaminbox.imap.errors import ImapError
from teaminbox.pop3 import Pop3Settings
from teaminbox.services import pop_detector, reading, why_pop
from teaminbox.services.pop_demo import Demonstrations
from teaminbox.web.access import db_session, imap_pool, may_administer, rights
from teaminbox.web.auth import safe_next
from teaminbox.web.extensions import htmx, limiter

bp = Blueprint("why_pop", __name__, url_prefix="/why-pop")

DEMONSTRATIONS = "teaminbox.pop_demonstrations"


def pop3_settings(config: dict[str, Any]) -> Pop3Settings | None:
    """The POP3 server to demonstrate on, with the IMAP account; None when
    none is configured."""
    if not config.get("POP3_HOST"):
        return None
    security = config.get("POP3_SECURITY") or "ssl"
    return Pop3Settings(
        host=config["POP3_HOST"],
        port=config.get("POP3_PORT") or (995 if security == "ssl" else 110),
        security=security,
        user=config["IMAP_USER"],
        password=config["IMAP_PASSWORD"],
        timeout=max(30.0, config["IMAP_TIMEOUT"]),
    )


def _require_manager() -> None:
    if not may_administer():
        abort(403)


@bp.app_context_processor
def warnings_context() -> dict[str, Any]:
    """`pop_warnings()` for the banner on every page: managers who see the
    INBOX only, since a warning lists INBOX messages."""

    def pop_warnings() -> list[pop_detector.RemovalWarning]:
        if not may_administer() or not rights().sees(INBOX):
            return []
        return pop_detector.open_warnings(db_session())

    return {"pop_warnings": pop_warnings}


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    figures = why_pop.figures(
        db_session(), rights(), datetime.now(UTC), not_arrivals=_outgoing_folders()
    )
    return render_template(
        "why_pop/index.html",
        figures=figures,
        check_minutes=why_pop.CHECK_MINUTES,
        replay_days=why_pop.REPLAY_DAYS,
        week_days=why_pop.WEEK_DAYS,
        demonstration=may_administer() and DEMONSTRATIONS in current_app.extensions,
    )


@bp.post("/demonstration")
@login_required
@limiter.limit("3 per minute;10 per hour", key_func=lambda: f"pop3-demo:{current_user.get_id()}")
def start_demonstration() -> ResponseReturnValue:
    """Start the two POP3 sessions in the background (or join the run in
    progress) and show its progress."""
    _require_manager()
    token = _demonstrations().start()
    if htmx:
        return _render_run(token)
    return redirect(url_for("why_pop.demonstration", token=token), 303)


@bp.get("/demonstration/<token>")
@login_required
def demonstration(token: str) -> ResponseReturnValue:
    """The run's transcript so far: a partial for htmx's polling, else the page."""
    _require_manager()
    if htmx:
        return _render_run(token)
    return render_template("why_pop/demonstration.html", run=_run_context(token), token=token)


@bp.post("/warnings/<int:warning_id>/dismiss")
@login_required
def dismiss_warning(warning_id: int) -> ResponseReturnValue:
    _require_manager()
    if not rights().sees(INBOX):
        abort(403)
    session = db_session()
    if not pop_detector.dismiss(session, warning_id, current_user.user):
        abort(404)
    session.commit()
    return redirect(safe_next(request.form.get("next")), 303)


def _render_run(token: str) -> str:
    return render_template("why_pop/_run.html", run=_run_context(token), token=token)


def _run_context(token: str) -> dict[str, Any] | None:
    found = _demonstrations().transcript(token)
    if found is None:
        return None
    transcript, done = found
    # `now` measures how long the server has kept a command waiting.
    return {"transcript": transcript, "done": done, "now": time.monotonic()}


def init_app(app: Flask) -> None:
    """The process's POP3 demonstrations, when a POP3 server is configured."""
    settings = pop3_settings(app.config)
    if settings is not None:
        app.extensions[DEMONSTRATIONS] = Demonstrations(settings)


def _demonstrations() -> Demonstrations:
    runs: Demonstrations | None = current_app.extensions.get(DEMONSTRATIONS)
    if runs is None:
        abort(404)  # no POP3 server configured
    return runs


def _outgoing_folders() -> set[str]:
    """Sent and Drafts: their mail did not arrive. Without the server, none."""
    try:
        folders = reading.folder_list(imap_pool())
    except ImapError:
        return set()
    return outgoing_folders(folders)
