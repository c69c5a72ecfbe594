"""The demo's outgoing mail server: an SMTP server on 127.0.0.1 that
delivers nowhere and keeps each message it receives as an `.eml` file, so
that replies sent from the demo can be read (or opened in Thunderbird)
without any mail leaving the machine.

Needs aiosmtpd, which `make demo` installs with the development tools.
"""

from __future__ import annotations

import itertools
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Outbox:
    """A running outbox: where it listens and where it writes."""

    port: int
    directory: Path
    controller: Any


class _KeepAsFiles:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._numbers)}.eml"
        (self._directory / name).write_bytes(bytes(envelope.content))
        return "250 Kept in the demo outbox"


def start_outbox(directory: Path, port: int) -> Outbox:
    """Listen on `port` (0: any free port) and keep messages in `directory`."""
    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)
    if port == 0:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
    controller = Controller(_KeepAsFiles(directory), hostname=HOST, port=port)
    controller.start()
    return Outbox(port, directory, controller)


def stop_outbox(outbox: Outbox) -> None:
    outbox.controller.stop()
