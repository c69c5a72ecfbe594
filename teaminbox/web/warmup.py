"""A fresh process's warm-up: what its first pages would each pay once,
paid while the first person logs in, before the watcher starts (web/live.py
starts both with the first request)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING

from babel import Locale
from flask import Flask, url_for
from flask_login import login_user

from teaminbox.domain import INBOX
from teaminbox.store.users import first_active_manager
from teaminbox.web.access import IMAP_POOL, db_session
from teaminbox.web.auth import SignedInUser

if TYPE_CHECKING:
    from teaminbox.live.supervisor import Supervisor

log = logging.getLogger(__name__)


def warm_up_then_watch(app: Flask, supervisor: Supervisor) -> None:
    """The warm-up first: the watcher starts with a full sync, which for a
    big mailbox fills the cache for seconds and would share the interpreter
    with it (and with the first pages) meanwhile."""
    _warm_up(app)
    supervisor.start()


def _warm_up(app: Flask) -> None:
    """What a fresh process's first pages would each pay once, paid ahead
    while the first user logs in, the first page first: INBOX's page served
    once to the first manager and thrown away (the URL rules, the page's
    queries and templates, an IMAP login), the languages' date formats, a
    second pooled IMAP connection (the cache fill holds a third), the other
    templates. Best effort: a failure here only leaves the cost to the
    first pages; with the mail server away, no second connection is tried
    (it would only wait for the server again, and the watcher after it)."""
    try:
        answered = _serve_inbox_unseen(app)
        for code in app.config["LANGUAGES"]:
            Locale.parse(code).date_formats  # noqa: B018 - loads the locale's data
        if answered:
            app.extensions[IMAP_POOL].warm(2)
        for name in app.jinja_env.list_templates(extensions=["html"]):
            app.jinja_env.get_template(name)
    except Exception:
        log.warning("warming up the process failed", exc_info=True)


def _serve_inbox_unseen(app: Flask) -> bool:
    """INBOX's page as its first request would serve it, to no one. It only
    reads (the page's own rule: listing marks nothing seen). False when the
    page failed (the mail server away)."""
    with app.test_request_context():
        path = url_for("inbox.folder", folder=INBOX)
    with app.test_request_context(path):
        manager = first_active_manager(db_session())
        if manager is None:
            return True  # nobody can log in yet: nothing said about the server
        login_user(SignedInUser(manager))
        return app.full_dispatch_request().status_code < HTTPStatus.INTERNAL_SERVER_ERROR
