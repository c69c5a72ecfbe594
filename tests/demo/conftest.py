"""A private Dovecot seeded with the demo mailbox, shared by one test module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.demo.mailbox import SeedMessage, office_mailbox, seed_office_mailbox

# A fixed "now" keeps the seeded mailbox the same from run to run.
NOW = datetime(2025, 11, 22, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class SeededServer:
    server: DovecotServer
    now: datetime
    messages: list[SeedMessage]
    appended: int


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededServer]:
    server = start_dovecot(tmp_path_factory.mktemp("dovecot"))
    try:
        appended = seed_office_mailbox(server, NOW)
        yield SeededServer(server, NOW, office_mailbox(NOW), appended)
    finally:
        stop_dovecot(server, purge=True)
