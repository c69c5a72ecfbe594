"""Logging in and out, and who the current request belongs to."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from teaminbox.services.accounts import authenticate
from teaminbox.store.models import User
from teaminbox.store.users import get_user
from teaminbox.web.access import db_session
from teaminbox.web.extensions import limiter, login_manager

bp = Blueprint("auth", __name__)


class SignedInUser(UserMixin):  # type: ignore[misc]
    """The web's view of a User. Its id carries the session version, so that
    a password change or a disabled account ends every existing session."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return self.user.active


@login_manager.user_loader
def load_user(session_id: str) -> SignedInUser | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_user(db_session(), int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return SignedInUser(user)


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


def _login_account_key() -> str:
    return "login:" + (request.form.get("username") or "").strip().lower()[:64]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], error_message="login-rate")
@limiter.limit(
    "5 per minute", key_func=_login_account_key, methods=["POST"], error_message="login-rate"
)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    if form.validate_on_submit():
        session = db_session()
        user = authenticate(session, form.username.data, form.password.data)
        session.commit()  # a rehashed password is saved
        if user is not None:
            login_user(SignedInUser(user))
            return redirect(safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    return redirect(url_for("auth.login"))


def safe_next(target: str | None) -> str:
    """Only a path on this site; never an open redirect."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("inbox.index")
