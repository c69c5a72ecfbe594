"""Fixtures shared by the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from teaminbox.demo.dovecot import DovecotServer
from teaminbox.imap.connection import open_connection
from teaminbox.imap.pool import ConnectionPool


@pytest.fixture
def pool(dovecot: DovecotServer) -> Iterator[ConnectionPool]:
    """Two pooled connections to the seeded office mailbox."""
    pool = ConnectionPool(lambda: open_connection(dovecot.imap_settings), size=2)
    yield pool
    pool.close()
