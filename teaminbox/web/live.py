"""The live side of the pages: the bus, who is where, the watcher, and the
small permission-checked routes a page calls when its event stream says
that something changed (a row, the open message's status bar, the tree).

The stream sends facts and trigger names (`message_key`, `folder_key`,
`tree`); htmx elements listen with `hx-trigger="sse:<name>"` and fetch their
own fresh HTML here, through the same rights checks as a page load.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, abort, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from teaminbox.bus import Bus, bus_for
from teaminbox.domain import MessageRef, same_folder
from teaminbox.events import Event, Kind
from teaminbox.live.foreground import CountedRequests, Foreground
from teaminbox.live.presence import Activity, PresenceBoard, presence_event
from teaminbox.rights import Right
from teaminbox.services import feed, folders, reading
from teaminbox.store import events as stored_events
from teaminbox.store.users import find_user
from teaminbox.web.access import (
    database,
    db_session,
    imap_pool,
    live_cache,
    require,
    rights,
)
from teaminbox.web.warmup import warm_up_then_watch

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

bp = Blueprint("live", __name__)

BUS = "teaminbox.bus"
BOARD = "teaminbox.presence"
FOREGROUND = "teaminbox.foreground"
SUPERVISOR = "teaminbox.supervisor"
TREE = "tree"
# Names nobody: every open stream re-reads its person's account and rights.
ACCOUNTS_CHANGED = Event(Kind.ACCOUNT, "")


def init_app(app: Flask) -> None:
    from teaminbox import imap_settings

    bus = bus_for(app.config["REDIS_URL"], imap_settings(app.config).mailbox_key)
    board = PresenceBoard(app.config["PRESENCE_SECONDS"])
    bus.add_listener(board.apply)
    app.extensions[BUS] = bus
    app.extensions[BOARD] = board
    app.jinja_env.globals.update(
        message_key=message_key,
        folder_key=folder_key,
        presences=_presences,
        presences_in=_presences_in,
        live_cursor=live_cursor,
        tab_id=tab_id,
    )
    if app.config["LIVE_UPDATES"]:
        app.extensions[FOREGROUND] = foreground = Foreground()
        app.wsgi_app = CountedRequests(app.wsgi_app, foreground)  # type: ignore[method-assign]
        app.before_request(_start_supervisor)


def close_app(app: Flask) -> None:
    supervisor = app.extensions.pop(SUPERVISOR, None)
    if supervisor is not None:
        supervisor.stop()
    app.extensions[BUS].close()


def bus() -> Bus:
    value: Bus = current_app.extensions[BUS]
    return value


def board() -> PresenceBoard:
    value: PresenceBoard = current_app.extensions[BOARD]
    return value


def commit_and_publish(events: Sequence[Event]) -> None:
    """Commit the request's changes, then tell every browser."""
    db_session().commit()
    feed.publish(bus(), events)


def folder_key(folder: str) -> str:
    """The trigger name of a folder's list: `f-` and a hash of the name
    (names hold spaces and accents, which trigger names cannot)."""
    return f"f-{_folder_hash(folder)}"


def message_key(folder: str, uid: int) -> str:
    """The trigger name of one message's row and status bar."""
    return f"m-{_folder_hash(folder)}-{uid}"


@functools.lru_cache(maxsize=1024)
def _folder_hash(folder: str) -> str:
    name = "INBOX" if same_folder(folder, "INBOX") else folder
    return hashlib.sha256(name.encode()).hexdigest()[:12]


@bp.get("/folders/<path:folder>/messages/<int:uid>/row")
@login_required
def row(folder: str, uid: int) -> ResponseReturnValue:
    """One row of a folder list, fresh; a row that says where the message
    went when it is no longer there."""
    require(folder, Right.READ)
    header = reading.message_header(imap_pool(), MessageRef(folder, uid), live_cache())
    if header is None:
        return render_template(
            "inbox/_row_gone.html", folder=folder, uid=uid, gone=gone_notice(folder, uid)
        )
    return render_template("inbox/_row.html", folder=folder, header=header)


@bp.get("/folders/<path:folder>/messages/<int:uid>/gone")
@login_required
def gone(folder: str, uid: int) -> ResponseReturnValue:
    """Where a message went and who moved it, fresh: what an error page's
    notice fetches when the event stream names the message."""
    require(folder, Right.READ)
    return render_template(
        "inbox/_gone_live.html", ref=MessageRef(folder, uid), gone=gone_notice(folder, uid)
    )


@bp.get("/folders/<path:folder>/messages/<int:uid>/status")
@login_required
def status(folder: str, uid: int) -> ResponseReturnValue:
    """The open message's bar: flags, actions, who else is there, or where
    the message went."""
    require(folder, Right.READ)
    return render_status(MessageRef(folder, uid))


def render_status(ref: MessageRef) -> str:
    """The status bar of the open message `ref`, as the person may see it."""
    folder, uid = ref.folder, ref.uid
    header = reading.message_header(imap_pool(), ref, live_cache())
    return render_template(
        "inbox/_message_status.html",
        ref=ref,
        header=header,
        gone=gone_notice(folder, uid) if header is None else None,
        may=rights().on(folder),
        options=folders.folder_options(imap_pool(), rights(), folder) if header else None,
    )


@bp.get("/tree")
@login_required
def tree() -> ResponseReturnValue:
    """The folder tree with fresh unread counts."""
    current = request.args.get("current") or None
    return render_template(
        "inbox/_tree.html", tree=reading.folder_tree(imap_pool(), rights()), current_folder=current
    )


@bp.post("/presence")
@login_required
def presence() -> ResponseReturnValue:
    """A tab's heartbeat: this person is reading (or replying to) a message."""
    folder = request.form.get("folder", "")
    uid = request.form.get("uid", type=int)
    tab = request.form.get("tab", "")
    try:
        activity = Activity(request.form.get("activity", Activity.READING))
    except ValueError:
        abort(400)
    if not folder or uid is None or not _valid_tab(tab):
        abort(400)
    require(folder, Right.READ)
    ref = MessageRef(folder, uid)
    known = board().tab(tab)
    if known is not None and known.user != current_user.user.username:
        abort(400)  # a tab id is its owner's; nobody speaks for someone else's tab
    unchanged = known is not None and known.ref == ref and known.activity is activity
    bus().publish(presence_event(tab, current_user.user.username, ref, activity, unchanged))
    return "", 204


@bp.post("/presence/leave")
@login_required
def leave() -> ResponseReturnValue:
    """The tab is closing or going elsewhere (sent with sendBeacon)."""
    tab = request.form.get("tab", "")
    known = board().tab(tab) if _valid_tab(tab) else None
    if known is not None and known.user == current_user.user.username:
        bus().publish(presence_event(tab, known.user, known.ref, Activity.LEFT))
    return "", 204


def tab_id() -> str:
    """This page's tab id, for its event stream and its presence heartbeats."""
    if "tab_id" not in g:
        g.tab_id = secrets.token_urlsafe(12)
    return str(g.tab_id)


def _valid_tab(tab: str) -> bool:
    return 8 <= len(tab) <= 64 and all(c.isalnum() or c in "-_" for c in tab)


def _presences(folder: str, uid: int) -> list[tuple[str, str]]:
    """(display name, activity) of the others on this message now."""
    return _presences_in(folder).get(uid, [])


def _presences_in(folder: str) -> dict[int, list[tuple[str, str]]]:
    """`_presences` of every message of `folder` someone else is on, at
    once (a list of 50 rows asks once, not 50 times)."""
    mine = current_user.user.username if current_user.is_authenticated else None
    return {
        uid: [(_display_name(p.user), p.activity.value) for p in people]
        for uid, people in board().in_folder(folder, besides=mine).items()
    }


def _display_name(username: str) -> str:
    user = find_user(db_session(), username)
    return user.name if user and user.name else username


def gone_notice(folder: str, uid: int) -> dict[str, object]:
    """What the person may know of a message that left `folder`: where it
    went (if they may see that folder) and who moved it."""
    ending = stored_events.ending(db_session(), folder, uid)
    if ending is None:
        return {"kind": Kind.EXPUNGED.value, "to": None, "by": None, "by_client": False}
    to = ending.detail.get("to_folder") if ending.kind is Kind.MOVED else None
    return {
        "kind": ending.kind.value,
        "to": to if to and rights().sees(to) else None,
        "by": _display_name(ending.actor) if ending.actor else None,
        "by_client": ending.actor is None,
    }


def completed_gone_notice(folder: str, uid: int) -> dict[str, object]:
    """`gone_notice` for a page whose event stream completes it: the
    stream starts before the notice is read, so an ending stored after
    that read still reaches the page, and `_gone_live.html` re-fetches the
    notice then. Someone whose action lost a race to a message thus learns
    who was first, though the winner's request commits after the loser's
    page is made."""
    live_cursor()
    # The failed action keeps nothing; a fresh transaction sees the
    # winner's commit.
    db_session().rollback()
    return gone_notice(folder, uid)


def live_cursor() -> int:
    """Where a page's event stream starts: the last event stored before the
    page read what it shows, so that nothing between the page and the
    stream is lost. Read once per request: a page that reads before it
    renders (`completed_gone_notice`) takes it first."""
    if "live_cursor" not in g:
        with database().session() as session:
            g.live_cursor = stored_events.latest_id(session)
    cursor: int = g.live_cursor
    return cursor


def _start_supervisor() -> None:
    """Start the watcher machinery with the first request (not for CLI
    commands, which never serve one)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if SUPERVISOR in app.extensions:
        return
    from teaminbox import imap_settings
    from teaminbox.live.leader import lease_for
    from teaminbox.live.supervisor import Supervisor, Timings

    config = app.config
    imap = imap_settings(config)
    lease = lease_for(
        imap.mailbox_key,
        redis_url=config["REDIS_URL"],
        database_url=config["DATABASE_URL"],
        seconds=config["WATCH_LEASE_SECONDS"],
    )
    timings = Timings(
        idle_seconds=config["WATCH_IDLE_SECONDS"],
        poll_seconds=config["WATCH_POLL_SECONDS"],
        backoff_max_seconds=config["WATCH_BACKOFF_MAX_SECONDS"],
        lease_seconds=config["WATCH_LEASE_SECONDS"],
        keep_events=timedelta(hours=config["EVENTS_KEEP_HOURS"]),
    )
    supervisor = Supervisor(
        imap, imap_pool(), database(), bus(), lease, timings, app.extensions[FOREGROUND]
    )
    if app.extensions.setdefault(SUPERVISOR, supervisor) is supervisor:
        threading.Thread(
            target=warm_up_then_watch, args=(app, supervisor), name="warm-up", daemon=True
        ).start()
