"""Fanning events out to every subscriber: in-process, or through Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from teaminbox.bus.memory import Subscription
from teaminbox.events import Event

Listener = Callable[[Event], None]


class Bus(Protocol):
    """What the app needs of a bus, whichever carries the events."""

    def publish(self, event: Event) -> None: ...

    def subscribe(self) -> Subscription: ...

    def add_listener(self, listener: Listener) -> None: ...

    def close(self) -> None: ...


def bus_for(redis_url: str | None, mailbox_key: str) -> Bus:
    """Redis pub/sub when a Redis URL is set (several processes), else
    in-process. On Redis, each mailbox has a channel of its own, so offices
    sharing a Redis never hear each other's mail."""
    if redis_url:
        from teaminbox.bus.redis import CHANNEL, RedisBus

        return RedisBus(redis_url, f"{CHANNEL}:{mailbox_key}")
    from teaminbox.bus.memory import MemoryBus

    return MemoryBus()
