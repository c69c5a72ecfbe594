"""A real SMTP server on loopback for the tests (aiosmtpd), keeping what
it receives, able to refuse chosen recipients."""

from __future__ import annotations

import email
import queue
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the parsed mail."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed: EmailMessage = email.message_from_bytes(self.raw, policy=default)  # type: ignore[assignment]
        return parsed

    @property
    def text(self) -> str:
        """The text/plain body, decoded, with LF line ends."""
        body = self.message.get_body(("plain",))
        assert body is not None, "no text/plain part"
        content: str = body.get_content()
        return content.replace("\r\n", "\n")


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.casefold() in self._sink.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._sink.inbox.put(
            Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """The running server: `port`, what arrived (`wait_for`), and the
    addresses it answers 550 to (`refuse`, lower case)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox: queue.Queue[Received] = queue.Queue()
        self.refuse: set[str] = set()

    def wait_for(self, timeout: float = 10.0) -> Received:
        """The next message received, within `timeout` seconds."""
        try:
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no mail arrived within {timeout} s") from None

    def assert_nothing_arrived(self) -> None:
        assert self.inbox.empty(), f"unexpected mail: {self.inbox.get_nowait()}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on a free loopback port for the duration of the block."""
    sink = SmtpSink(free_port())
    controller = Controller(_Handler(sink), hostname=HOST, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
