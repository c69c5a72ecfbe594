"""What a request may reach: its database session and the IMAP pool.

The session is opened on first use, committed by the view that changes
something, and closed when the request ends.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_login import current_user
from sqlalchemy.orm import Session

from teaminbox.imap.pool import ConnectionPool
from teaminbox.rights import Right
from teaminbox.services import administration
from teaminbox.services.rights import RightsView
from teaminbox.store import watch
from teaminbox.store.db import Database

DATABASE = "teaminbox.database"
IMAP_POOL = "teaminbox.imap_pool"
MAILBOX_KEY = "teaminbox.mailbox_key"


def database() -> Database:
    db: Database = current_app.extensions[DATABASE]
    return db


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().session()
    session: Session = g.db_session
    return session


def rights() -> RightsView:
    """The current person's rights, read from the database once per request,
    so that a change by a manager applies from the next request on."""
    if "rights" not in g:
        g.rights = RightsView.load(db_session(), current_user.user)
    view: RightsView = g.rights
    return view


def require(folder: str, right: Right) -> None:
    """Stop the request unless the current person holds `right` on `folder`."""
    rights().require(folder, right)


def may_administer() -> bool:
    """Managers, and whoever may administer a folder: the admin pages' door."""
    return bool(current_user.is_authenticated) and administration.may_enter(
        current_user.user, rights()
    )


def imap_pool() -> ConnectionPool:
    pool: ConnectionPool = current_app.extensions[IMAP_POOL]
    return pool


def live_cache() -> Session | None:
    """The request's session when the header cache follows the mailbox live
    (store/watch.py), so that pages may be read from it; else None: ask IMAP.
    Decided once per request."""
    if not current_app.config["LIVE_UPDATES"]:
        return None
    if "live_cache" not in g:
        g.live_cache = watch.is_live(db_session(), current_app.extensions[MAILBOX_KEY])
    return db_session() if g.live_cache else None


def close_db_session(_error: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db_session)
