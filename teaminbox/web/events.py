"""`/events`: one Server-Sent Events stream per open page.

Every event is checked against the person's rights when it is sent, not
when the stream opened: rights are re-read whenever an account or a grant
changed, which also ends the stream of a person who was disabled or logged
out everywhere (an `account` event wakes the streams up for that at once).
A stream resumes from `Last-Event-ID` (the browser's own reconnect) or
from `since` in the URL (htmx's SSE extension reconnects without the header
after an error); replaying an event twice is harmless, as each only makes
the page fetch fresh HTML.

Each event goes out as trigger messages (the names in web/live.py that page
elements listen to), then one message named after its kind, with the event
as JSON and its id: the fact, for tests and for people's own scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from teaminbox.bus import Bus
from teaminbox.bus.memory import Subscription
from teaminbox.bus.sse import KEEP_ALIVE, sse_message
from teaminbox.events import Event, Kind
from teaminbox.live.presence import Activity, PresenceBoard, presence_event
from teaminbox.rights import Right
from teaminbox.services import audit
from teaminbox.services.rights import RightsView
from teaminbox.store import events as stored_events
from teaminbox.store.db import Database
from teaminbox.store.users import get_user
from teaminbox.web.access import database
from teaminbox.web.live import TREE, board, bus, folder_key, message_key

bp = Blueprint("events", __name__)

# How long the browser waits before reconnecting (the SSE `retry` field).
RETRY_MS = 2000
RESYNC = "resync"


@bp.get("/events")
@login_required
def stream() -> ResponseReturnValue:
    viewer = Viewer(database(), current_user.user.id, current_user.user.session_version)
    stream = EventStream(
        viewer,
        bus(),
        board(),
        cursor=_cursor(),
        tab=request.args.get("tab", ""),
        keepalive=current_app.config["EVENTS_KEEPALIVE_SECONDS"],
    )
    return Response(
        stream.messages(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _cursor() -> int | None:
    """The last event the browser has: its Last-Event-ID, else `since`."""
    for value in (request.headers.get("Last-Event-ID"), request.args.get("since")):
        if value and value.isdigit():
            return int(value)
    return None


class Viewer:
    """The person behind a stream, their rights re-read whenever an account
    or a grant changed since they were last read (whichever process or
    command changed it: the audit log says)."""

    def __init__(self, db: Database, user_id: int, session_version: int) -> None:
        self.database = db
        self._user_id = user_id
        self._session_version = session_version
        self.username = ""
        self.rights: RightsView | None = None
        self._stamp = -1
        self.current()

    def current(self) -> RightsView | None:
        """The rights now; None once the account is disabled, deleted or
        its sessions were ended."""
        with self.database.session() as session:
            stamp = audit.account_stamp(session)
            if stamp == self._stamp:
                return self.rights
            self._stamp = stamp
            user = get_user(session, self._user_id)
            if user is None or not user.active or user.session_version != self._session_version:
                self.rights = None
            else:
                self.username = user.username
                self.rights = RightsView.load(session, user)
        return self.rights


class EventStream:
    """The messages of one stream, from replay to the end."""

    def __init__(
        self,
        viewer: Viewer,
        bus: Bus,
        board: PresenceBoard,
        *,
        cursor: int | None,
        tab: str,
        keepalive: float,
    ) -> None:
        self._viewer = viewer
        self._bus = bus
        self._board = board
        self._cursor = cursor
        self._tab = tab
        self._keepalive = keepalive
        # Subscribed before the replay is read, so nothing falls in between.
        self._subscription: Subscription = bus.subscribe()

    def messages(self) -> Iterator[str]:
        try:
            yield sse_message("", event="hello", retry_ms=RETRY_MS)
            if self._cursor is not None:
                yield from self._replay()
            yield from self._live()
        finally:
            self._subscription.close()
            self._leave()

    def _live(self) -> Iterator[str]:
        while True:
            event = self._subscription.get(timeout=self._keepalive)
            if self._subscription.overflowed:
                self._subscription = self._bus.subscribe()
                yield from self._replay()
                continue
            rights = self._viewer.current()
            if rights is None:
                yield sse_message("", event="end")
                return
            if event is None:
                yield KEEP_ALIVE
                continue
            yield from self._send(event, rights)

    def _replay(self) -> Iterator[str]:
        """Stored events after the cursor; a `resync` when some were pruned."""
        with self._viewer.database.session() as session:
            oldest = stored_events.oldest_id(session)
            missed = stored_events.after(session, self._cursor or 0)
        if self._cursor is not None and oldest is not None and oldest > self._cursor + 1:
            yield sse_message("", event=RESYNC)
        rights = self._viewer.current()
        if rights is None:
            return
        for event in missed:
            yield from self._send(event, rights)

    def _send(self, event: Event, rights: RightsView) -> Iterator[str]:
        if event.kind in (Kind.ACCOUNT, Kind.FOLDERS):
            yield sse_message("", event=TREE)
            return
        shown = visible_part(event, rights)
        if shown is None:
            return
        if shown.kind is Kind.PRESENCE and shown.detail.get("heartbeat"):
            return
        if shown.kind is Kind.STATUS and shown.detail.get("connected"):
            yield sse_message("", event=RESYNC)  # caught up: every part re-reads
        for name in triggers(shown):
            yield sse_message("", event=name)
        if shown.id:
            self._cursor = max(self._cursor or 0, shown.id)
        yield sse_message(shown.to_json(), event=shown.kind.value, id=shown.id or None)

    def _leave(self) -> None:
        """A closed stream is a closed tab: its presence goes with it."""
        known = self._board.tab(self._tab) if self._tab else None
        if known is not None and known.user == self._viewer.username:
            self._bus.publish(presence_event(self._tab, known.user, known.ref, Activity.LEFT))


def visible_part(event: Event, rights: RightsView) -> Event | None:
    """What of `event` this person may know, or None.

    A folder without `l` does not exist for them and one without `r` shows
    no messages: a move out of a hidden folder is news of a new message
    where it went; a move into one is a move to somewhere unnamed.
    """
    if event.kind is Kind.STATUS:
        return event
    if event.kind is Kind.MOVED:
        to = event.detail.get("to_folder")
        to_seen = bool(to) and _reads(rights, str(to))
        if not _reads(rights, event.folder):
            if not to_seen or not event.detail.get("to_uid"):
                return None
            return Event(
                Kind.NEW,
                str(to),
                int(event.detail["to_uid"]),
                event.flags,
                event.actor,
                {k: v for k, v in event.detail.items() if k in ("message_id", "subject")},
                event.id,
            )
        if not to_seen:
            detail = {k: v for k, v in event.detail.items() if k not in ("to_folder", "to_uid")}
            return replace(event, detail=detail)
        return event
    return event if _reads(rights, event.folder) else None


def triggers(event: Event) -> list[str]:
    """The trigger names an event fires on a page: the message's row and
    status bar, the lists that gain a message, the tree's counts."""
    uid = event.uid
    names: list[str] = []
    if uid is not None and event.kind is not Kind.NEW:
        names.append(message_key(event.folder, uid))
    if event.kind is Kind.NEW:
        names.append(folder_key(event.folder))
    if event.kind is Kind.MOVED and event.detail.get("to_folder"):
        names.append(folder_key(str(event.detail["to_folder"])))
    if event.kind in (Kind.FLAGS, Kind.NEW, Kind.EXPUNGED, Kind.MOVED):
        names.append(TREE)
    return names


def _reads(rights: RightsView, folder: str) -> bool:
    return rights.sees(folder) and rights.can(folder, Right.READ)
