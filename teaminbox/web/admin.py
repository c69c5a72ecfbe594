"""The administration pages: who may enter them, and the activity log.

People (`admin_users`) and rights (`admin_rights`) are blueprints nested in
this one, so the door check below guards them too. Who may do what once
inside is decided in services/administration.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from teaminbox.domain import Role
from teaminbox.services import administration, audit
from teaminbox.store.grants import audit_actions, audit_actor_names
from teaminbox.store.models import AuditRow
from teaminbox.web import admin_rights, admin_users
from teaminbox.web.access import db_session, may_administer, rights
from teaminbox.web.extensions import login_manager
from teaminbox.web.history import message_action

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.register_blueprint(admin_users.bp)
bp.register_blueprint(admin_rights.bp)

# How the log names the actions of this app; others show as written.
ACTION_LABELS = {
    "user.create": _l("Account created"),
    "user.role": _l("Role changed"),
    "user.disable": _l("Account disabled"),
    "user.enable": _l("Account enabled"),
    "user.password": _l("Password reset"),
    "user.delete": _l("Account deleted"),
    "rights.set": _l("Rights set"),
    "rights.remove": _l("Own grant removed"),
}


@bp.before_request
def door() -> ResponseReturnValue | None:
    """Managers, and whoever holds `a` on some folder, may come in."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # type: ignore[no-any-return]
    if not administration.may_enter(current_user.user, rights()):
        abort(403)
    return None


@bp.app_context_processor
def administration_link() -> dict[str, Any]:
    """`may_enter_admin()` for the top bar, evaluated only where it is asked."""

    return {"may_enter_admin": may_administer}


@bp.context_processor
def admin_context() -> dict[str, Any]:
    return {
        "is_manager": administration.is_manager(current_user.user),
        "action_label": lambda action: ACTION_LABELS.get(action) or message_action(action),
        "activity_detail": activity_detail,
        "role_name": lambda role: admin_users.ROLE_NAMES.get(Role(role), role),
    }


def activity_detail(row: AuditRow) -> str:
    """A row's detail, unless it names where a message went and the viewer
    may not see that folder."""
    if row.to_folder and not rights().sees(row.to_folder):
        return ""
    return row.detail


@bp.app_template_filter("log_time")
def log_time(value: datetime) -> str:
    return str(format_datetime(value if value.tzinfo else value.replace(tzinfo=UTC), "short"))


@bp.get("")
def index() -> ResponseReturnValue:
    if administration.is_manager(current_user.user):
        return redirect(url_for("admin.users.index"))
    return redirect(url_for("admin.rights.index"))


@bp.get("/activity")
def activity() -> ResponseReturnValue:
    """The log, newest first, 200 rows a page, without the rows about
    folders this person may not see."""
    session = db_session()
    action = request.args.get("action") or None
    person = request.args.get("person") or None
    page = audit.visible_activity(
        session,
        administration.activity_filter(current_user.user, rights()),
        action=action,
        actor_name=person,
        before_id=request.args.get("before", type=int),
    )
    return render_template(
        "admin/activity.html",
        page=page,
        action=action or "",
        person=person or "",
        actions=audit_actions(session),
        people=audit_actor_names(session),
    )
