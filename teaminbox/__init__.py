"""TeamInbox: a whole office on one shared IMAP mailbox.

`create_app()` is the one place where configuration, extensions,
blueprints and the IMAP pool are wired together.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import FileSystemBytecodeCache

from teaminbox import config as settings
from teaminbox.imap.connection import ImapSettings, open_connection
from teaminbox.imap.pool import ConnectionPool
from teaminbox.store.db import Database
from teaminbox.web import access, errors, filters, security
from teaminbox.web import live as live_web
from teaminbox.web.extensions import babel, csrf, htmx, limiter, login_manager

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from defaults, instance/config.py, TEAMINBOX_* variables
    and `overrides` (tests), in that order of increasing priority."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TEAMINBOX_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    _configure(app, overrides or {})
    # Compiled templates kept on disk (per user, checked against each
    # template's source): a restarted process renders its first page
    # without compiling a dozen templates first.
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache()
    app.extensions[access.DATABASE] = Database(app.config["DATABASE_URL"])
    app.extensions[access.IMAP_POOL] = build_imap_pool(app.config)
    app.extensions[access.MAILBOX_KEY] = imap_settings(app.config).mailbox_key
    live_web.init_app(app)
    _attach_extensions(app)
    _register_blueprints(app)
    from teaminbox import cli

    cli.init_app(app)
    return app


def _configure(app: Flask, overrides: dict[str, Any]) -> None:
    app.config.from_mapping(settings.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TEAMINBOX")
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'teaminbox.db'}"
    if app.config["REDIS_URL"] and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        # Several processes must count login attempts together.
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    settings.check(app.config)


def _instance_secret_key(instance: Path) -> str:
    """A random key kept in instance/secret_key (0600), made on first start,
    so that a fresh install is never run with a guessable key."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def imap_settings(config: dict[str, Any]) -> ImapSettings:
    return ImapSettings(
        host=config["IMAP_HOST"],
        port=config["IMAP_PORT"],
        security=config["IMAP_SECURITY"],
        user=config["IMAP_USER"],
        password=config["IMAP_PASSWORD"],
        timeout=config["IMAP_TIMEOUT"],
    )


def build_imap_pool(config: dict[str, Any]) -> ConnectionPool:
    """The request pool; connections are opened lazily, on first use. The
    watcher's connection comes out of the same budget."""
    imap = imap_settings(config)
    size = config["IMAP_MAX_CONNECTIONS"] - (1 if config["LIVE_UPDATES"] else 0)
    return ConnectionPool(lambda: open_connection(imap), size=size)


def close_app(app: Flask) -> None:
    """Stop the live threads and close connections: for tests and shutdown."""
    live_web.close_app(app)
    app.extensions[access.IMAP_POOL].close()
    app.extensions[access.DATABASE].dispose()


def _attach_extensions(app: Flask) -> None:
    access.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = _l("Please log in to see this page.")
    babel.init_app(
        app,
        locale_selector=_locale,
        default_translation_directories=str(ROOT / "teaminbox" / "translations"),
    )
    errors.init_app(app)
    filters.init_app(app)
    security.init_app(app)


def _locale() -> str | None:
    """The person's chosen language, else the browser's best match."""
    if current_user and current_user.is_authenticated and current_user.user.language:
        return str(current_user.user.language)
    languages: list[str] = current_app.config["LANGUAGES"]
    return request.accept_languages.best_match(languages) or languages[0]


def _register_blueprints(app: Flask) -> None:
    from teaminbox.web import (
        actions,
        admin,
        assign,
        auth,
        bulk,
        compose,
        events,
        history,
        inbox,
        mailframe,
        notes,
        preferences,
        why_pop,
    )

    for blueprint in (
        auth.bp,
        inbox.bp,
        mailframe.bp,
        preferences.bp,
        admin.bp,
        actions.bp,
        assign.bp,
        bulk.bp,
        compose.bp,
        events.bp,
        live_web.bp,
        notes.bp,
        history.bp,
        why_pop.bp,
    ):
        app.register_blueprint(blueprint)
    why_pop.init_app(app)
