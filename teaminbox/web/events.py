"""`/events`: one Server-Sent Events stream per open page.

Every event is checked against the person's rights when it is sent, not
when the stream opened: before each event, the stream asks whether an
account or a grant changed (the audit log's stamp, read after the event was
published) and re-reads the person's rights if so, which also ends the
stream of a person who was disabled or logged out everywhere (an `account`
event wakes the streams up for that at once). So a change committed before
an event was published always applies to that event, wherever it was made:
the admin pages, another web process, or `flask grant` at the command line
(which publishes nothing: a person it deletes keeps an idle stream until
the next event, or the next keep-alive plus up to a second, which then
ends it; they are sent nothing meanwhile).
A stream resumes from `Last-Event-ID` (the browser's own reconnect) or
from `since` in the URL (htmx's SSE extension reconnects without the header
after an error); replaying an event twice is harmless, as each only makes
the page fetch fresh HTML.

Each event goes out as trigger messages (the names in web/live.py that page
elements listen to), then one message named after its kind, with the event
as JSON and its id: the fact, for tests and for people's own scripts. They
go out as one write.

With hundreds of streams the work per event and stream is what counts: the
stamp is read once per event for all streams (`audit.AccountStamp`), an
event most people may see whole is encoded once (`SharedMessages`), and
each stream remembers which folders its person may read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from teaminbox.bus import Bus
from teaminbox.bus.memory import Subscription
from teaminbox.bus.sse import KEEP_ALIVE, sse_message
from teaminbox.events import Event, Kind
from teaminbox.live.presence import Activity, PresenceBoard, presence_event
from teaminbox.rights import Right
from teaminbox.services import audit
from teaminbox.services.audit import AccountStamp
from teaminbox.services.rights import RightsView
from teaminbox.store import events as stored_events
from teaminbox.store.db import Database
from teaminbox.store.users import get_user
from teaminbox.web.access import database
from teaminbox.web.live import TREE, board, bus, folder_key, message_key
from teaminbox.web.notes import mention_key, notes_key

bp = Blueprint("events", __name__)

# How long the browser waits before reconnecting (the SSE `retry` field).
RETRY_MS = 2000
RESYNC = "resync"
SHARED = "teaminbox.events"
# How old the account stamp may be when a stream only sends a keep-alive:
# it then tells nothing, so one read serves all the streams whose
# keep-alives fall together; a change made without an event (`flask user
# delete`) ends an idle stream within a keep-alive and this.
KEEPALIVE_STAMP_AGE_NS = 1_000_000_000

END_MESSAGE = sse_message("", event="end")
RESYNC_MESSAGE = sse_message("", event=RESYNC)
TREE_MESSAGE = sse_message("", event=TREE)


@bp.get("/events")
@login_required
def stream() -> ResponseReturnValue:
    shared = _shared()
    user = current_user.user
    viewer = Viewer(database(), shared.stamp, user.id, user.session_version)
    stream = EventStream(
        viewer,
        bus(),
        board(),
        shared.messages,
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


@dataclass(frozen=True)
class Shared:
    """What all the streams of one app share."""

    stamp: AccountStamp
    messages: SharedMessages


def _shared() -> Shared:
    """The app's Shared, made with its first stream."""
    extensions = current_app.extensions
    found: Shared | None = extensions.get(SHARED)
    if found is None:
        found = extensions.setdefault(SHARED, Shared(AccountStamp(database()), SharedMessages()))
    return found


class Viewer:
    """The person behind a stream, their rights re-read whenever an account
    or a grant changed since they were last read (whichever process or
    command changed it: the audit log says)."""

    def __init__(
        self, db: Database, stamp: AccountStamp, user_id: int, session_version: int
    ) -> None:
        self.database = db
        self._account_stamp = stamp
        self._user_id = user_id
        self._session_version = session_version
        self.username = ""
        self.rights: RightsView | None = None
        self._stamp = -1
        self._readable: dict[str, bool] = {}
        # Read alone, not through the shared stamp: the request holds a
        # database connection here, and must not wait for another stream's read.
        with db.session() as session:
            self._load(session, audit.account_stamp(session))

    def refresh(self, since_ns: int) -> bool:
        """Bring the rights up to date with every change committed before
        `since_ns` (a `time.monotonic_ns()` value); False once the account
        is disabled, deleted or its sessions were ended."""
        stamp = self._account_stamp.read_after(since_ns)
        if stamp != self._stamp:
            with self.database.session() as session:
                self._load(session, stamp)
        return self.rights is not None

    def _load(self, session: Session, stamp: int) -> None:
        user = get_user(session, self._user_id)
        if user is None or not user.active or user.session_version != self._session_version:
            self.rights = None
        else:
            self.username = user.username
            self.rights = RightsView.load(session, user)
        self._readable = {}
        self._stamp = stamp

    def reads(self, folder: str) -> bool:
        """Whether the person may see and read `folder` (remembered per
        folder until the rights change)."""
        readable = self._readable.get(folder)
        if readable is None:
            rights = self.rights
            readable = rights is not None and _reads(rights, folder)
            self._readable[folder] = readable
        return readable


class EventStream:
    """The messages of one stream, from replay to the end."""

    def __init__(
        self,
        viewer: Viewer,
        bus: Bus,
        board: PresenceBoard,
        messages: SharedMessages,
        *,
        cursor: int | None,
        tab: str,
        keepalive: float,
    ) -> None:
        self._viewer = viewer
        self._bus = bus
        self._board = board
        self._shared_messages = messages
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
            delivery = self._subscription.receive(timeout=self._keepalive)
            if self._subscription.overflowed:
                self._subscription = self._bus.subscribe()
                yield from self._replay()
                continue
            if delivery is None:
                since = time.monotonic_ns() - KEEPALIVE_STAMP_AGE_NS
            else:
                since = delivery.published_ns
            if not self._viewer.refresh(since):
                yield END_MESSAGE
                return
            if delivery is None:
                yield KEEP_ALIVE
                continue
            text = self._encode(delivery.event)
            if text:
                yield text

    def _replay(self) -> Iterator[str]:
        """Stored events after the cursor; a `resync` when some were pruned."""
        with self._viewer.database.session() as session:
            oldest = stored_events.oldest_id(session)
            missed = stored_events.after(session, self._cursor or 0)
        if self._cursor is not None and oldest is not None and oldest > self._cursor + 1:
            yield RESYNC_MESSAGE
        if not self._viewer.refresh(time.monotonic_ns()):
            return
        for event in missed:
            text = self._encode(event)
            if text:
                yield text

    def _encode(self, event: Event) -> str:
        """All of `event` this person may know, as one string of messages
        ("" for nothing)."""
        if event.kind in (Kind.ACCOUNT, Kind.FOLDERS):
            return TREE_MESSAGE
        shown = visible_part(event, self._viewer.reads)
        if shown is None:
            return ""
        if shown.id:
            self._cursor = max(self._cursor or 0, shown.id)
        if shown is event:
            return self._shared_messages.of(event)
        return event_messages(shown)

    def _leave(self) -> None:
        """A closed stream is a closed tab: its presence goes with it."""
        known = self._board.tab(self._tab) if self._tab else None
        if known is not None and known.user == self._viewer.username:
            self._bus.publish(presence_event(self._tab, known.user, known.ref, Activity.LEFT))


class SharedMessages:
    """The messages of recent events, encoded once for all the streams that
    may see the whole event rather than once per stream. Events are told
    apart by identity: every subscriber of the bus gets the same object."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._recent: dict[int, tuple[Event, str]] = {}

    def of(self, event: Event) -> str:
        found = self._recent.get(id(event))
        if found is not None and found[0] is event:
            return found[1]
        # Two streams may encode the same event at once: harmless.
        text = event_messages(event)
        with self._lock:
            # The entry holds the event, so no other object can take its id.
            self._recent[id(event)] = (event, text)
            if len(self._recent) > self._size:
                del self._recent[next(iter(self._recent))]
        return text


def event_messages(event: Event) -> str:
    """The messages of an event someone may see, as one string: the
    triggers, then the fact; "" for a presence heartbeat."""
    if event.kind is Kind.PRESENCE and event.detail.get("heartbeat"):
        return ""
    parts = []
    if event.kind is Kind.STATUS and event.detail.get("connected"):
        parts.append(RESYNC_MESSAGE)  # caught up: every part re-reads
    parts.extend(sse_message("", event=name) for name in triggers(event))
    parts.append(sse_message(event.to_json(), event=event.kind.value, id=event.id or None))
    return "".join(parts)


def visible_part(event: Event, reads: Callable[[str], bool]) -> Event | None:
    """What of `event` a person may know, or None; `reads(folder)` says
    whether they may see and read a folder.

    A folder without `l` does not exist for them and one without `r` shows
    no messages: a move out of a hidden folder is news of a new message
    where it went; a move into one is a move to somewhere unnamed.
    """
    if event.kind is Kind.STATUS:
        return event
    if event.kind is Kind.MOVED:
        to = event.detail.get("to_folder")
        to_seen = bool(to) and reads(str(to))
        if not reads(event.folder):
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
    return event if reads(event.folder) else None


def triggers(event: Event) -> list[str]:
    """The trigger names an event fires on a page: the message's row and
    status bar, the lists that gain a message, the tree's counts."""
    uid = event.uid
    if event.kind is Kind.NOTE and uid is not None:
        # The message's notes and history, the counts of the people it
        # mentions; not the row nor the status bar.
        mentioned = (mention_key(str(name)) for name in event.detail.get("mentions", ()))
        return [notes_key(event.folder, uid), *mentioned]
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
