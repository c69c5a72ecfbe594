"""The mailbox watcher: one thread, one IMAP connection, and it never gives up.

It only signals which folders changed; the caller syncs them on a pooled
connection. The connection is its own, outside the pool, and counts in the
app's connection budget (DESIGN.md, "The IMAP side"). When the line drops it
reconnects with capped exponential back-off and full jitter, so that several
processes (or a restarted server's many clients) do not reconnect in step,
and asks for a resync of every folder, since changes made meanwhile were
not heard.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import TypeVar

from imapclient import IMAPClient

from teaminbox.imap.connection import (
    CLOSE_ERRORS,
    ImapSettings,
    close_connection,
    open_connection,
)
from teaminbox.imap.errors import ImapError
from teaminbox.imap.notify import MailboxListener

log = logging.getLogger(__name__)
T = TypeVar("T")

# The first reconnection waits up to this long; each failure doubles it.
FIRST_BACKOFF_SECONDS = 0.5
# How often a listening watcher looks whether it should stop.
STOP_CHECK_SECONDS = 0.2
# What a lost or refused connection raises: reconnect, no traceback.
CONNECTION_FAILURES: tuple[type[BaseException], ...] = (ImapError, *CLOSE_ERRORS)


class Watcher:
    """Watches the mailbox on a thread of its own until `stop()`.

    `on_change(folders)` gets the names of folders that changed, or None for
    "resync every folder": after every connection (the first included) and
    when the folder list changed. `on_status(False)` says the connection
    was lost (once per outage); `on_status(True)` that one is up again and
    `on_change(None)` has returned (also after the first connection). Both
    run on the watcher's thread and must be quick; what they raise is
    logged and does not stop the watcher.
    """

    def __init__(
        self,
        settings: ImapSettings,
        on_change: Callable[[frozenset[str] | None], None],
        on_status: Callable[[bool], None],
        *,
        idle_seconds: float,
        poll_seconds: float,
        backoff_max_seconds: float,
    ) -> None:
        self._settings = settings
        self._on_change = on_change
        self._on_status = on_status
        self._idle_seconds = idle_seconds
        self._poll_seconds = poll_seconds
        self._backoff = _Backoff(FIRST_BACKOFF_SECONDS, backoff_max_seconds)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mailbox-watcher", daemon=True)
        self._connected = False
        self._hears_everything = False
        self._in_outage = False

    @property
    def connected(self) -> bool:
        """True while the watcher listens on a live connection."""
        return self._connected

    @property
    def hears_everything(self) -> bool:
        """True while connected with NOTIFY: then every change in every folder
        is heard. Without it only INBOX is IDLEd and the other folders'
        STATUS counts are polled, which miss a flag change that moves none."""
        return self._connected and self._hears_everything

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        """Stop listening, log out and end the thread, waiting at most
        `timeout` seconds. A connect or login in progress may take up to the
        IMAP timeout to give up; the thread is a daemon, so it cannot hold
        up the process's exit."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the mailbox watcher did not stop within %s s", timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._watch()
            except CONNECTION_FAILURES as exc:
                self._lost(exc)
            except Exception as exc:  # a bug must not end the watching for good
                log.exception("the mailbox watcher failed")
                self._lost(exc)
            self._stopping.wait(self._backoff.next_delay())

    def _watch(self) -> None:
        """Connect and listen until stopped; raises when the line fails."""
        client = open_connection(self._settings)
        try:
            self._listen(client)
        except BaseException:
            _drop(client)
            raise
        close_connection(client)

    def _listen(self, client: IMAPClient) -> None:
        listener = MailboxListener(client, self._idle_seconds, self._poll_seconds)
        listener.start()
        self._hears_everything = listener.uses_notify
        self._backoff.reset()
        self._call(self._on_change, None)
        self._connected = True
        if self._in_outage:
            self._in_outage = False
            log.info("the mailbox watcher is connected again")
        self._call(self._on_status, True)
        while not self._stopping.is_set():
            changes = listener.wait(STOP_CHECK_SECONDS)
            if changes:
                self._call(
                    self._on_change, None if changes.folder_list_changed else changes.folders
                )
        self._connected = False
        listener.stop()

    def _lost(self, error: BaseException) -> None:
        self._connected = False
        if self._stopping.is_set():
            return
        if self._in_outage:
            log.debug("the mailbox watcher could not reconnect: %s", error)
            return
        self._in_outage = True
        log.warning("the mailbox watcher lost the IMAP server (%s); reconnecting", error)
        self._call(self._on_status, False)

    def _call(self, callback: Callable[[T], None], argument: T) -> None:
        try:
            callback(argument)
        except Exception:  # the caller's bug must not stop the watching
            log.exception("a mailbox watcher callback failed")


class _Backoff:
    """Capped exponential back-off with full jitter: each delay is uniform
    between 0 and min(cap, first x 2^failures)."""

    def __init__(self, first: float, cap: float) -> None:
        self._first = first
        self._cap = cap
        self._ceiling = first

    def reset(self) -> None:
        self._ceiling = self._first

    def next_delay(self) -> float:
        delay = random.uniform(0, min(self._ceiling, self._cap))  # noqa: S311 - jitter, not secrets
        self._ceiling = min(self._ceiling * 2, self._cap)
        return delay


def _drop(client: IMAPClient) -> None:
    """Close a failed connection without LOGOUT: it may hang or be dead."""
    try:
        client.shutdown()
    except CLOSE_ERRORS:
        log.debug("closing the failed watcher connection failed", exc_info=True)
