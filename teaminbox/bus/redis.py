"""The Redis bus: any number of web processes on any number of hosts.

Publishing sends to one Redis pub/sub channel. Each process keeps ONE
listening connection, whatever its number of subscribers, and hands what it
hears to a local MemoryBus, so 200 open browser streams cost one Redis
connection per process, not 200.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis

from teaminbox.bus.memory import MemoryBus, Subscription
from teaminbox.events import Event

log = logging.getLogger(__name__)

CHANNEL = "teaminbox:events"


class RedisBus:
    """Publish through Redis; deliver to this process's subscribers."""

    def __init__(self, url: str, channel: str = CHANNEL, reconnect_seconds: float = 1.0) -> None:
        self._redis = redis.Redis.from_url(url)
        self._channel = channel
        self._local = MemoryBus()
        self._reconnect_seconds = reconnect_seconds
        self._stopped = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="redis-bus", daemon=True)
        self._thread.start()

    def publish(self, event: Event) -> None:
        self._redis.publish(self._channel, event.to_json())

    def subscribe(self) -> Subscription:
        return self._local.subscribe()

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        self._local.add_listener(listener)

    def wait_until_listening(self, timeout: float) -> bool:
        """True once the listener is subscribed on Redis (for tests and start-up)."""
        return self._listening.wait(timeout)

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._local.close()
        self._redis.close()

    def _listen(self) -> None:
        while not self._stopped.is_set():
            try:
                with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:  # type: ignore[no-untyped-call]
                    pubsub.subscribe(self._channel)
                    self._listening.set()
                    while not self._stopped.is_set():
                        message = pubsub.get_message(timeout=0.5)
                        if message is not None and message["type"] == "message":
                            self._local.publish(Event.from_json(message["data"]))
            except redis.RedisError as exc:
                self._listening.clear()
                log.warning("Redis bus lost its connection (%s); retrying", exc)
                self._stopped.wait(self._reconnect_seconds)
