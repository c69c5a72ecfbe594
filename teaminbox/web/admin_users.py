"""Managing people: create, change role, disable and enable, reset the
password, delete. Managers only. Plain forms, each answered by a redirect,
or by the same page with the reason in the form (422) when refused."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from teaminbox.domain import Role
from teaminbox.services import accounts, administration
from teaminbox.services.accounts import AccountError, Refusal
from teaminbox.store.models import User
from teaminbox.store.users import find_user
from teaminbox.web.access import db_session
from teaminbox.web.auth import SignedInUser
from teaminbox.web.live import ACCOUNTS_CHANGED, commit_and_publish

bp = Blueprint("users", __name__, url_prefix="/users")

ROLE_NAMES = {Role.STAFF: _l("Staff"), Role.MANAGER: _l("Manager")}
ROLE_CHOICES = [(role.value, name) for role, name in ROLE_NAMES.items()]


class NewPasswordForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter a password.")), Length(max=1024)],
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[EqualTo("password", message=_l("The two passwords differ."))],
    )


class NewUserForm(NewPasswordForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Enter a username.")), Length(max=64)],
    )
    display_name = StringField(_l("Display name"), validators=[Length(max=120)])
    # Rendered as a <select> by the template, from ROLE_CHOICES.
    role = StringField(
        _l("Role"),
        validators=[AnyOf([r.value for r in Role], message=_l("Choose a role."))],
        default=Role.STAFF.value,
    )


@bp.before_request
def managers_only() -> None:
    if not administration.is_manager(current_user.user):
        abort(403)


@bp.get("")
def index() -> ResponseReturnValue:
    return _users_page(NewUserForm())


@bp.post("")
def create() -> ResponseReturnValue:
    form = NewUserForm()
    if not form.validate():
        return _users_page(form), 422
    session = db_session()
    try:
        user = accounts.create_user(
            session,
            form.username.data,
            form.password.data,
            Role(form.role.data),
            form.display_name.data or "",
            actor=current_user.user,
        )
    except AccountError as error:
        session.rollback()
        return _users_page(form, form_error=explain(error)), 422
    commit_and_publish([ACCOUNTS_CHANGED])
    flash(_("%(name)s can now log in.", name=user.username), "ok")
    return redirect(url_for("admin.users.index"))


@bp.post("/<username>/role")
def change_role(username: str) -> ResponseReturnValue:
    choice = request.form.get("role", "")
    if choice not in {r.value for r in Role}:
        abort(400)
    return _change(
        username,
        lambda s: accounts.set_role(s, username, Role(choice), actor=current_user.user),
        _("%(name)s is now a manager.") if choice == Role.MANAGER else _("%(name)s is now staff."),
    )


@bp.post("/<username>/disable")
def disable(username: str) -> ResponseReturnValue:
    return _change(
        username,
        lambda s: accounts.disable_user(s, current_user.user, username),
        _("%(name)s can no longer log in; their open sessions have ended."),
    )


@bp.post("/<username>/enable")
def enable(username: str) -> ResponseReturnValue:
    return _change(
        username,
        lambda s: accounts.enable_user(s, current_user.user, username),
        _("%(name)s can log in again."),
    )


@bp.route("/<username>/password", methods=["GET", "POST"])
def reset_password(username: str) -> ResponseReturnValue:
    user = _user_or_404(username)
    form = NewPasswordForm()
    if request.method == "GET":
        return render_template("admin/user_password.html", user=user, form=form)
    if not form.validate():
        return render_template("admin/user_password.html", user=user, form=form), 422
    session = db_session()
    try:
        accounts.reset_password(session, current_user.user, username, form.password.data)
    except AccountError as error:
        session.rollback()
        page = render_template(
            "admin/user_password.html", user=user, form=form, form_error=explain(error)
        )
        return page, 422
    commit_and_publish([ACCOUNTS_CHANGED])
    if user.id == current_user.user.id:
        login_user(SignedInUser(user))  # this browser stays logged in
    flash(_("%(name)s has a new password; their open sessions have ended.", name=username), "ok")
    return redirect(url_for("admin.users.index"))


@bp.route("/<username>/delete", methods=["GET", "POST"])
def delete(username: str) -> ResponseReturnValue:
    """A page that asks first; the POST from it deletes."""
    user = _user_or_404(username)
    if request.method == "GET":
        return render_template("admin/user_delete.html", user=user)
    session = db_session()
    try:
        accounts.delete_user(session, username, actor=current_user.user)
    except AccountError as error:
        session.rollback()
        page = render_template("admin/user_delete.html", user=user, form_error=explain(error))
        return page, 422
    commit_and_publish([ACCOUNTS_CHANGED])
    flash(_("%(name)s was deleted.", name=username), "ok")
    return redirect(url_for("admin.users.index"))


def explain(error: AccountError) -> str:
    """The refusal as a sentence in the user's language."""
    name = error.username
    texts: dict[Refusal, str] = {
        Refusal.BAD_USERNAME: _(
            "A username is 1 to 64 lower-case letters, digits, dots, dashes or underscores."
        ),
        Refusal.USERNAME_TAKEN: _("The user %(name)s already exists.", name=name),
        Refusal.SHORT_PASSWORD: _(
            "A password has at least %(num)d characters.", num=accounts.MIN_PASSWORD_LENGTH
        ),
        Refusal.NO_SUCH_USER: _("There is no user %(name)s.", name=name),
        Refusal.LAST_MANAGER: _(
            "%(name)s is the last active manager: make someone else a manager first.",
            name=name,
        ),
        Refusal.OWN_ACCOUNT: _(
            "You cannot disable or delete your own account; ask another manager."
        ),
    }
    return texts[error.reason]


def _change(username: str, change: Callable[[Session], object], done: str) -> ResponseReturnValue:
    """Run one change on an existing user and commit it, or show why not."""
    _user_or_404(username)
    session = db_session()
    try:
        change(session)
    except AccountError as error:
        session.rollback()
        return _users_page(NewUserForm(formdata=None), row_error=(username, explain(error))), 422
    commit_and_publish([ACCOUNTS_CHANGED])
    flash(done % {"name": username}, "ok")
    if not administration.is_manager(current_user.user):  # a manager who stepped down
        return redirect(url_for("inbox.index"))
    return redirect(url_for("admin.users.index"))


def _user_or_404(username: str) -> User:
    user = find_user(db_session(), username)
    if user is None:
        abort(404)
    return user


def _users_page(
    form: NewUserForm, form_error: str | None = None, row_error: tuple[str, str] | None = None
) -> str:
    return render_template(
        "admin/users.html",
        users=accounts.list_users(db_session()),
        form=form,
        form_error=form_error,
        row_error=row_error,
        roles=ROLE_CHOICES,
    )
