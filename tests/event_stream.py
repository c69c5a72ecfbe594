"""Reading `/events` from a test: the stream is read in a thread, parsed
into messages, and waited for with deadlines."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient


@dataclass(frozen=True)
class Message:
    """One SSE message: its name, id and data (JSON for fact messages)."""

    event: str
    id: str | None
    data: str

    @property
    def fact(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.data)
        return value


class EventStreamReader:
    """An open `/events` stream of one logged-in test client."""

    def __init__(self, client: FlaskClient, url: str = "/events", **headers: str) -> None:
        self.response = client.get(url, headers=headers, buffered=False)
        assert self.response.status_code == 200, self.response.status_code
        self._messages: queue.Queue[Message | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        self.received: list[Message] = []

    def _read(self) -> None:
        buffer = ""
        try:
            for chunk in self.response.response:
                buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    message = _parse(block)
                    if message is not None:
                        self._messages.put(message)
                if self._stop.is_set():
                    break
        finally:
            self._messages.put(None)  # the stream ended
            self.response.close()

    def wait_for(self, predicate: Callable[[Message], bool], timeout: float = 5.0) -> Message:
        """The first message from now on that matches, within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self._messages.get(timeout=left)
            except queue.Empty:
                break
            if message is None:
                raise AssertionError("the stream ended")
            self.received.append(message)
            if predicate(message):
                return message
        raise AssertionError(f"no matching message within {timeout} s; got {self.received}")

    def wait_for_fact(self, kind: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """The next fact message of `kind` whose JSON has these field values."""
        message = self.wait_for(
            lambda m: m.event == kind and all(m.fact.get(k) == v for k, v in fields.items()),
            timeout,
        )
        return message.fact

    def wait_for_end(self, timeout: float = 5.0) -> list[Message]:
        """Every message until the stream ends, within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self._messages.get(timeout=left)
            except queue.Empty:
                break
            if message is None:
                return self.received
            self.received.append(message)
        raise AssertionError(f"the stream did not end within {timeout} s")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def __enter__(self) -> EventStreamReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _parse(block: str) -> Message | None:
    event, event_id, data = "message", None, []
    for line in block.split("\n"):
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "id":
            event_id = value
        elif name == "data":
            data.append(value)
    if not data and event == "message":
        return None  # a keep-alive comment
    return Message(event, event_id, "\n".join(data))
