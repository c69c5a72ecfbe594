"""A bounded pool of logged-in IMAP connections.

The server caps connections per user and IP (Dovecot: 10, shared with every
Thunderbird on the office network), so the app never opens more than its
budget, whatever the number of requests. Connections are borrowed in a
`with` block and never kept; one that broke is discarded, not returned.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from imapclient import IMAPClient

from teaminbox.imap.connection import CLOSE_ERRORS, NETWORK_ERRORS, close_connection
from teaminbox.imap.errors import ImapError, ImapUnavailable

log = logging.getLogger(__name__)

# A connection idle longer than this is checked with NOOP before reuse:
# servers drop idle clients after 30 minutes, NATs sooner.
STALE_AFTER_SECONDS = 60.0


class ConnectionPool:
    """At most `size` connections, opened lazily, shared by all threads."""

    def __init__(
        self, connect: Callable[[], IMAPClient], size: int, wait_seconds: float = 30.0
    ) -> None:
        self._connect = connect
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[tuple[IMAPClient, float]] = []
        self._held = 0  # slots taken: borrowed, checked or spared
        self._lock = threading.Lock()
        self._wait_seconds = wait_seconds
        self.size = size

    @contextmanager
    def borrow(self) -> Iterator[IMAPClient]:
        """Lend one connection for the duration of the block.

        Waits for a free slot (up to `wait_seconds`), then reuses an idle
        connection or opens one. A network failure inside the block discards
        the connection and re-raises as ImapUnavailable.
        """
        if not self._take_slot(timeout=self._wait_seconds):
            raise ImapUnavailable("all IMAP connections are busy; try again in a moment")
        client: IMAPClient | None = None
        try:
            client = self._take_idle() or self._connect()
            yield client
        except NETWORK_ERRORS as exc:
            self._discard(client)
            client = None
            raise ImapUnavailable(f"the IMAP connection broke: {exc}") from exc
        except (imaplib.IMAP4.error, ImapError):
            raise  # the server said NO or BAD: the connection is still usable
        except BaseException:
            # Anything else (a bug, a generator closed mid-command) may have
            # left the connection in the middle of a command.
            self._discard(client)
            client = None
            raise
        finally:
            self._give_slot(returning=client)

    def take_spare(self) -> bool:
        """Hold one slot of the budget for a connection opened elsewhere (a
        helper process's) if one can be spared now, until give_back_spare:
        True when it is held. Never waits, and spares none unless another
        stays free for requests. An idle connection is logged out if the
        budget needs its place."""
        if not self._take_slot(timeout=0):
            return False
        if not self._take_slot(timeout=0):
            self._give_slot()
            return False
        self._give_slot()  # the second one was only a look
        self._make_room()
        return True

    def give_back_spare(self) -> None:
        """The end of a take_spare that answered True."""
        self._give_slot()

    @property
    def idle_count(self) -> int:
        """Open connections waiting to be borrowed."""
        with self._lock:
            return len(self._idle)

    def warm(self, count: int) -> None:
        """Open up to `count` connections now, left idle for the requests to
        come (a login costs a request ~20 ms); never more than the budget."""
        with contextlib.ExitStack() as stack:
            for _ in range(min(count, self.size)):
                stack.enter_context(self.borrow())

    def check_idle(self) -> None:
        """NOOP each idle connection now and discard those the server dropped.

        A server may end a session for what another one did (Dovecot drops
        every session that had a folder selected when that folder is
        deleted, at its next command): checking right after such a change
        spares the next request a dead connection. Each check holds a slot
        like a borrow, so the budget holds; busy slots are skipped.
        """
        for _ in range(self.idle_count):
            if not self._take_slot(timeout=0):
                return
            try:
                with self._lock:
                    if not self._idle:
                        return
                    client, _since = self._idle.pop(0)
                if _still_alive(client):
                    with self._lock:
                        self._idle.append((client, time.monotonic()))
                else:
                    self._discard(client)
            finally:
                self._give_slot()

    def close(self) -> None:
        """Log out every idle connection (borrowed ones close when returned)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for client, _ in idle:
            close_connection(client)

    def _take_slot(self, timeout: float) -> bool:
        if not self._slots.acquire(timeout=timeout):
            return False
        with self._lock:
            self._held += 1
        return True

    def _give_slot(self, returning: IMAPClient | None = None) -> None:
        """Free a slot, keeping `returning` idle: both at once, so that
        _make_room never counts a returning connection twice."""
        with self._lock:
            if returning is not None:
                self._idle.append((returning, time.monotonic()))
            self._held -= 1
        self._slots.release()

    def _make_room(self) -> None:
        """Log out idle connections until they and the slots held fit the budget."""
        with self._lock:
            excess = max(0, len(self._idle) + self._held - self.size)
            closing, self._idle = self._idle[:excess], self._idle[excess:]
        for client, _ in closing:
            close_connection(client)

    def _take_idle(self) -> IMAPClient | None:
        while True:
            with self._lock:
                if not self._idle:
                    return None
                client, since = self._idle.pop()
            if time.monotonic() - since < STALE_AFTER_SECONDS or _still_alive(client):
                return client
            self._discard(client)

    def _discard(self, client: IMAPClient | None) -> None:
        if client is not None:
            log.info("discarding a broken IMAP connection")
            close_connection(client)


def _still_alive(client: IMAPClient) -> bool:
    try:
        client.noop()
    except CLOSE_ERRORS:
        return False
    return True
