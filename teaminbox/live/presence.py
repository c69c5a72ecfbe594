"""Who is looking at which message: "Alice is reading", "Bob is replying".

Each browser tab says where it is with a heartbeat; a tab that leaves, or
stops beating for `PRESENCE_SECONDS`, is gone. Every process keeps its own
copy, fed by the bus's presence events (a listener, so the copy is up to
date before any browser hears of the event), so rows render the same
whichever process serves them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from teaminbox.domain import MessageRef
from teaminbox.events import Event, Kind


class Activity(StrEnum):
    READING = "reading"
    REPLYING = "replying"
    LEFT = "left"


@dataclass(frozen=True)
class Presence:
    """One tab's place: `user` (a username) does `activity` on `ref`."""

    tab: str
    user: str
    ref: MessageRef
    activity: Activity


def presence_event(
    tab: str, user: str, ref: MessageRef, activity: Activity, heartbeat: bool = False
) -> Event:
    """A tab's presence. A `heartbeat` only keeps an unchanged presence
    alive: boards take it in, browsers are not told."""
    detail: dict[str, object] = {"tab": tab, "activity": activity.value}
    if heartbeat:
        detail["heartbeat"] = True
    return Event(Kind.PRESENCE, ref.folder, ref.uid, actor=user, detail=detail)


class PresenceBoard:
    """The current presences, expiring on their own."""

    def __init__(self, lifetime: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._by_tab: dict[str, tuple[Presence, float]] = {}
        self._lock = threading.Lock()

    def apply(self, event: Event) -> None:
        """Bus listener: take in presence events, ignore the rest."""
        if event.kind is not Kind.PRESENCE or event.uid is None or not event.actor:
            return
        tab = str(event.detail.get("tab", ""))
        try:
            activity = Activity(str(event.detail.get("activity")))
        except ValueError:
            return
        with self._lock:
            if activity is Activity.LEFT:
                self._by_tab.pop(tab, None)
                return
            presence = Presence(tab, event.actor, MessageRef(event.folder, event.uid), activity)
            self._by_tab[tab] = (presence, self._clock() + self._lifetime)

    def in_folder(self, folder: str, *, besides: str | None = None) -> dict[int, list[Presence]]:
        """Who is on each message of `folder` someone is on now (UID → one
        entry per person, replying wins over reading), without `besides`
        (the person asking)."""
        now = self._clock()
        with self._lock:
            for tab in [t for t, (_, until) in self._by_tab.items() if until < now]:
                del self._by_tab[tab]
            here = [
                p for p, _ in self._by_tab.values() if p.ref.folder == folder and p.user != besides
            ]
        by_uid: dict[int, dict[str, Presence]] = {}
        for presence in sorted(here, key=lambda p: p.activity is Activity.REPLYING):
            by_uid.setdefault(presence.ref.uid, {})[presence.user] = presence
        return {
            uid: sorted(people.values(), key=lambda p: p.user) for uid, people in by_uid.items()
        }

    def tab(self, tab: str) -> Presence | None:
        with self._lock:
            entry = self._by_tab.get(tab)
        return entry[0] if entry else None
