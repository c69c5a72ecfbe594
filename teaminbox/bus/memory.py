"""The in-process bus: one web process, any number of subscribers.

A subscriber that falls more than `capacity` events behind is marked
overflowed and gets no more events; its owner must catch up from the
stored events (the SSE stream does) and subscribe again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from teaminbox.events import Event

log = logging.getLogger(__name__)


class Delivery(NamedTuple):
    """An event as a subscriber receives it.

    `published_ns` is `time.monotonic_ns()` as `publish` began, so after
    whatever the publisher committed before publishing: a database read
    begun later sees that commit. Every subscriber gets the same Delivery
    object, so work keyed by it is done once for all of them.
    """

    event: Event
    published_ns: int


class Subscription:
    """Events published after `subscribe()`, in order, until closed."""

    def __init__(self, bus: MemoryBus, capacity: int) -> None:
        self._bus = bus
        self._capacity = capacity
        # SimpleQueue: put and a timed get are C code, so a publish to
        # hundreds of subscribers and their wake-ups stay cheap.
        self._queue: queue.SimpleQueue[Delivery] = queue.SimpleQueue()
        self.overflowed = False

    def receive(self, timeout: float) -> Delivery | None:
        """The next delivery, or None after `timeout` seconds without one."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def get(self, timeout: float) -> Event | None:
        """The next event, or None after `timeout` seconds without one."""
        delivery = self.receive(timeout)
        return None if delivery is None else delivery.event

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def offer(self, delivery: Delivery) -> None:
        # Concurrent publishers may overshoot the capacity by a few events.
        if self._queue.qsize() >= self._capacity:
            self.overflowed = True
            self.close()
            return
        self._queue.put(delivery)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class MemoryBus:
    """Publish delivers to every open subscription of this process."""

    def __init__(self, capacity: int = 1000) -> None:
        self._subscriptions: set[Subscription] = set()
        self._listeners: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()
        self._capacity = capacity

    def publish(self, event: Event) -> None:
        delivery = Delivery(event, time.monotonic_ns())
        with self._lock:
            listeners = list(self._listeners)
            subscribers = list(self._subscriptions)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("an event listener failed on %s", event.kind)
        for subscription in subscribers:
            subscription.offer(delivery)

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Call `listener` with every event, in the publishing thread, before
        any subscriber gets it: state kept beside the bus (who is reading
        what) is then up to date when a browser asks about the event."""
        with self._lock:
            self._listeners.append(listener)

    def subscribe(self) -> Subscription:
        subscription = Subscription(self, self._capacity)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def close(self) -> None:
        with self._lock:
            self._subscriptions.clear()
            self._listeners.clear()
