"""The mailbox watcher reports changes, stops promptly, and outlives the IMAP
server going away, against a private Dovecot."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.imap.append import ensure_folders
from teaminbox.imap.connection import ImapSettings
from teaminbox.live import watcher as watcher_module
from teaminbox.live.watcher import Watcher
from tests.imap_helpers import add_message

ARCHIVES = "Archives"
BACKOFF_MAX = 0.5
# Dovecot pushes 500 ms after a change; the rest is margin for a busy machine.
HEARD_WITHIN = 2.0


def wait_for(condition: Callable[[], bool], timeout: float = HEARD_WITHIN) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


class Recorder:
    """The watcher's callbacks, remembering every call (from its thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.changes: list[frozenset[str] | None] = []
        self.statuses: list[bool] = []

    def on_change(self, folders: frozenset[str] | None) -> None:
        with self._lock:
            self.changes.append(folders)

    def on_status(self, connected: bool) -> None:
        with self._lock:
            self.statuses.append(connected)

    def heard(self, folder: str) -> bool:
        with self._lock:
            return any(folders is not None and folder in folders for folders in self.changes)

    def resyncs(self) -> int:
        with self._lock:
            return self.changes.count(None)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    server = start_dovecot(tmp_path_factory.mktemp("watcher"))
    prepare(server)
    yield server
    stop_dovecot(server, purge=True)


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[DovecotServer]:
    """A Dovecot of this test's own, to stop and start again."""
    server = start_dovecot(tmp_path / "dovecot")
    prepare(server)
    yield server
    stop_dovecot(server, purge=True)


def prepare(server: DovecotServer) -> None:
    """Create the folders before any watcher listens: on a new mailbox
    Dovecot also announces the INBOX it creates, as a folder list change."""
    thunderbird(server).logout()


def thunderbird(server: DovecotServer) -> IMAPClient:
    """Another mail client on the same account, making the changes."""
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.login(server.user, server.password)
    ensure_folders(client, [ARCHIVES])
    return client


def stop_at_once(server: DovecotServer) -> None:
    """Stop Dovecot and every process serving a connection.

    stop_dovecot signals the master alone, and Dovecot 2.3.19 then keeps an
    IDLE session open about 10 s longer before it says BYE; signalling the
    whole process group ends the sessions at once, with BYE.
    """
    os.killpg(int(server.pid_file.read_text()), signal.SIGTERM)
    stop_dovecot(server)


def watcher_for(settings: ImapSettings, recorder: Recorder) -> Watcher:
    return Watcher(
        settings,
        on_change=recorder.on_change,
        on_status=recorder.on_status,
        idle_seconds=60,
        poll_seconds=0.5,
        backoff_max_seconds=BACKOFF_MAX,
    )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def watching(server: DovecotServer, recorder: Recorder) -> Iterator[Watcher]:
    """A started watcher that has connected and asked for its first resync."""
    watcher = watcher_for(server.imap_settings, recorder)
    watcher.start()
    assert wait_for(lambda: recorder.statuses == [True])
    yield watcher
    watcher.stop()


def test_connecting_asks_for_a_full_resync_first(watching: Watcher, recorder: Recorder) -> None:
    assert watching.connected
    assert recorder.changes == [None]


def test_changes_are_reported(watching: Watcher, recorder: Recorder, server: DovecotServer) -> None:
    other = thunderbird(server)
    add_message(other, ARCHIVES)
    assert wait_for(lambda: recorder.heard(ARCHIVES))

    other.create_folder("Devis")
    assert wait_for(lambda: recorder.resyncs() == 2)
    other.logout()


def test_stop_returns_quickly(watching: Watcher, recorder: Recorder) -> None:
    started = time.monotonic()
    watching.stop()

    assert time.monotonic() - started < 1.0
    assert not watching.connected
    assert recorder.statuses == [True]


def test_stop_returns_quickly_while_backing_off(
    own_server: DovecotServer, recorder: Recorder
) -> None:
    stop_dovecot(own_server)
    watcher = Watcher(
        own_server.imap_settings,
        on_change=recorder.on_change,
        on_status=recorder.on_status,
        idle_seconds=60,
        poll_seconds=0.5,
        backoff_max_seconds=60,
    )
    watcher.start()
    assert wait_for(lambda: recorder.statuses == [False])
    started = time.monotonic()
    watcher.stop()

    assert time.monotonic() - started < 0.5
    assert recorder.changes == []
    assert not watcher.connected


def test_it_comes_back_after_the_server_restarts(
    own_server: DovecotServer, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    watcher = watcher_for(own_server.imap_settings, recorder)
    with caplog.at_level(logging.DEBUG, logger=watcher_module.__name__):
        watcher.start()
        assert wait_for(lambda: recorder.statuses == [True])

        stop_at_once(own_server)
        assert wait_for(lambda: recorder.statuses == [True, False])
        assert not watcher.connected
        assert wait_for(lambda: _failed_attempts(caplog) >= 2, timeout=4 * BACKOFF_MAX)
        start_dovecot(
            own_server.root, imap_port=own_server.imap_port, pop3_port=own_server.pop3_port
        )
        assert wait_for(lambda: recorder.statuses == [True, False, True], timeout=BACKOFF_MAX + 1)

    assert recorder.changes == [None, None]
    assert watcher.connected
    assert len(_warnings(caplog)) == 1, "one warning per outage, not per attempt"
    other = thunderbird(own_server)
    add_message(other, ARCHIVES)
    assert wait_for(lambda: recorder.heard(ARCHIVES))
    other.logout()
    watcher.stop()


def test_a_failing_callback_does_not_stop_the_watcher(
    server: DovecotServer, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    def failing_on_change(folders: frozenset[str] | None) -> None:
        recorder.on_change(folders)
        raise RuntimeError("a bug in the caller")

    watcher = Watcher(
        server.imap_settings,
        on_change=failing_on_change,
        on_status=recorder.on_status,
        idle_seconds=60,
        poll_seconds=0.5,
        backoff_max_seconds=BACKOFF_MAX,
    )
    watcher.start()
    assert wait_for(lambda: recorder.statuses == [True])
    other = thunderbird(server)
    add_message(other, ARCHIVES)

    assert wait_for(lambda: recorder.heard(ARCHIVES))
    assert watcher.connected
    assert "a mailbox watcher callback failed" in caplog.text
    other.logout()
    watcher.stop()


def test_backoff_doubles_up_to_its_cap_and_starts_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watcher_module.random, "uniform", lambda low, high: high)
    backoff = watcher_module._Backoff(0.5, 3.0)

    assert [backoff.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def _failed_attempts(caplog: pytest.LogCaptureFixture) -> int:
    return sum("could not reconnect" in record.getMessage() for record in caplog.records)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == watcher_module.__name__ and record.levelno >= logging.WARNING
    ]
