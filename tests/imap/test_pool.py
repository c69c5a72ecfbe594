"""The connection pool never exceeds its budget and drops broken connections."""

from __future__ import annotations

import imaplib
import threading
import time
from typing import Any

import pytest

from teaminbox.demo.dovecot import DovecotServer
from teaminbox.imap.connection import ImapSettings, open_connection
from teaminbox.imap.errors import ImapUnavailable
from teaminbox.imap.pool import ConnectionPool


class FakeClient:
    def __init__(self) -> None:
        self.closed = False

    def noop(self) -> None:
        pass

    def logout(self) -> None:
        self.closed = True


def fake_pool(size: int, wait_seconds: float = 5.0) -> tuple[ConnectionPool, list[FakeClient]]:
    opened: list[FakeClient] = []

    def connect() -> Any:
        opened.append(FakeClient())
        return opened[-1]

    return ConnectionPool(connect, size=size, wait_seconds=wait_seconds), opened


def test_connections_are_reused() -> None:
    pool, opened = fake_pool(2)
    for _ in range(5):
        with pool.borrow():
            pass
    assert len(opened) == 1


def test_warming_opens_connections_ahead_within_the_budget() -> None:
    pool, opened = fake_pool(3)
    pool.warm(5)
    assert len(opened) == 3
    with pool.borrow(), pool.borrow(), pool.borrow():
        pass
    assert len(opened) == 3, "the warmed connections served"


def test_never_more_than_the_budget_at_once() -> None:
    pool, opened = fake_pool(3)
    in_use, peak, lock = [0], [0], threading.Lock()
    release = threading.Event()

    def work() -> None:
        with pool.borrow():
            with lock:
                in_use[0] += 1
                peak[0] = max(peak[0], in_use[0])
            release.wait(5)
            with lock:
                in_use[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while in_use[0] < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert in_use[0] == 3
    release.set()
    for thread in threads:
        thread.join(5)
    assert peak[0] == 3
    assert len(opened) == 3


def test_a_full_pool_answers_busy_after_waiting() -> None:
    pool, _ = fake_pool(1, wait_seconds=0.1)
    with pool.borrow(), pytest.raises(ImapUnavailable, match="busy"), pool.borrow():
        pass


def test_a_broken_connection_is_discarded() -> None:
    pool, opened = fake_pool(1)
    with pytest.raises(ImapUnavailable, match="broke"), pool.borrow():
        raise imaplib.IMAP4.abort("socket error: EOF")
    assert opened[0].closed
    with pool.borrow() as client:
        assert client is not opened[0]


def test_a_refusal_keeps_the_connection() -> None:
    pool, opened = fake_pool(1)
    with pytest.raises(imaplib.IMAP4.error), pool.borrow():
        raise imaplib.IMAP4.error("NO [NONEXISTENT] Mailbox doesn't exist")
    with pool.borrow() as client:
        assert client is opened[0]


def test_real_server_wrong_password_and_closed_port(dovecot: DovecotServer) -> None:
    settings = ImapSettings(dovecot.host, dovecot.imap_port, "none", dovecot.user, "wrong", 5)
    with pytest.raises(ImapUnavailable, match="refused the login"):
        open_connection(settings)
    settings = ImapSettings(dovecot.host, 1, "none", dovecot.user, dovecot.password, 5)
    with pytest.raises(ImapUnavailable, match="cannot reach"):
        open_connection(settings)


def test_real_server_pool_opens_at_most_its_budget(dovecot: DovecotServer) -> None:
    settings = ImapSettings(
        dovecot.host, dovecot.imap_port, "none", dovecot.user, dovecot.password, 10
    )
    opened = []

    def connect() -> Any:
        opened.append(open_connection(settings))
        return opened[-1]

    pool = ConnectionPool(connect, size=2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                with pool.borrow() as client:
                    client.select_folder("INBOX", readonly=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    pool.close()
    assert errors == []
    assert len(opened) <= 2


def test_a_spared_slot_counts_against_the_budget() -> None:
    pool, opened = fake_pool(3, wait_seconds=0.05)
    with pool.borrow():
        assert pool.take_spare()
        with pool.borrow(), pytest.raises(ImapUnavailable), pool.borrow():
            pass  # the sync's, the helper's and a page's: none left
        pool.give_back_spare()
    with pool.borrow(), pool.borrow(), pool.borrow():
        pass  # all three back
    assert len(opened) == 3


def test_the_last_free_slot_is_never_spared() -> None:
    pool, _ = fake_pool(2)
    with pool.borrow():
        assert not pool.take_spare()
        with pool.borrow():
            pass  # still there for a page


def test_sparing_logs_out_an_idle_connection_the_budget_needs() -> None:
    pool, opened = fake_pool(3)
    pool.warm(3)
    with pool.borrow():
        assert pool.take_spare()
        # One borrowed, one spared: one of the two idle ones had to go.
        assert pool.idle_count == 1
        assert sum(c.closed for c in opened) == 1
        pool.give_back_spare()
