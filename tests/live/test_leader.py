"""One watcher per mailbox: the lease elects exactly one holder, in one
process and across processes, with the real Redis and PostgreSQL."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from teaminbox.live.leader import Lease, advisory_key, lease_for, lock_name

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SQLITE_URL = "sqlite://"
# Port 1 (tcpmux) is reserved and never served here: connections are refused.
NOBODY_REDIS_URL = "redis://127.0.0.1:1/0"
NOBODY_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:1/test"
SHORT_LEASE = 0.5

MakeLease = Callable[..., Lease]


def mailbox_key() -> str:
    """A mailbox no other test (or earlier run) uses."""
    return f"imap://test-{uuid.uuid4().hex}@127.0.0.1:143"


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture(scope="module")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {REDIS_URL} does not answer: {error}")
    yield client
    client.close()


@pytest.fixture(scope="module")
def postgres_url() -> str:
    engine = create_engine(POSTGRES_URL, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        engine.connect().close()
    except OperationalError as error:
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} does not answer: {error}")
    return POSTGRES_URL


@pytest.fixture
def leases() -> Iterator[list[Lease]]:
    """Leases made by a test, released afterwards so none outlives it."""
    made: list[Lease] = []
    yield made
    for lease in made:
        lease.release()


@pytest.fixture(params=["in-process", "redis", "postgresql"])
def make_lease(request: pytest.FixtureRequest, leases: list[Lease]) -> MakeLease:
    """lease_for() configured for one backend, as the app would call it."""
    redis_url = None
    database_url = SQLITE_URL
    if request.param == "redis":
        request.getfixturevalue("redis_client")
        redis_url = REDIS_URL
    elif request.param == "postgresql":
        database_url = request.getfixturevalue("postgres_url")

    def make(key: str, seconds: float = 5.0) -> Lease:
        lease = lease_for(key, redis_url=redis_url, database_url=database_url, seconds=seconds)
        leases.append(lease)
        return lease

    return make


def test_one_holds_and_renews_until_it_releases(make_lease: MakeLease) -> None:
    key = mailbox_key()
    first, second = make_lease(key), make_lease(key)
    assert first.acquire()
    assert not second.acquire()
    assert first.acquire(), "the holder renews its own lease"
    assert not second.acquire()
    first.release()
    first.release()
    assert second.acquire()
    assert not first.acquire()


def test_a_released_lease_is_free_at_once(make_lease: MakeLease) -> None:
    # Handing over back and forth while the other keeps asking, as
    # supervisors do: a release that frees the lease only a moment later (a
    # closing PostgreSQL session) fails some of the rounds.
    key = mailbox_key()
    holder, waiting = make_lease(key), make_lease(key)
    for _ in range(10):
        assert holder.acquire()
        assert not waiting.acquire()
        holder.release()
        holder, waiting = waiting, holder


def test_different_mailboxes_have_independent_leases(make_lease: MakeLease) -> None:
    first, second = make_lease(mailbox_key()), make_lease(mailbox_key())
    assert first.acquire()
    assert second.acquire()


def test_exactly_one_of_many_racing_leases_wins(make_lease: MakeLease) -> None:
    key = mailbox_key()
    contenders = [make_lease(key) for _ in range(8)]
    start = threading.Barrier(len(contenders))
    results: list[bool] = []

    def contend(lease: Lease) -> None:
        start.wait()
        results.append(lease.acquire())

    threads = [threading.Thread(target=contend, args=(lease,)) for lease in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(results) == [False] * 7 + [True]


@pytest.mark.parametrize("make_lease", ["in-process", "redis"], indirect=True)
def test_a_lease_no_longer_renewed_passes_to_another(make_lease: MakeLease) -> None:
    key = mailbox_key()
    holder, waiting = make_lease(key, SHORT_LEASE), make_lease(key, SHORT_LEASE)
    assert holder.acquire()
    assert not waiting.acquire()
    assert eventually(waiting.acquire)
    assert not holder.acquire()


def test_redis_lease_never_renews_or_deletes_another_token(
    redis_client: redis.Redis, leases: list[Lease]
) -> None:
    key = mailbox_key()
    lease = lease_for(key, redis_url=REDIS_URL, database_url=SQLITE_URL, seconds=SHORT_LEASE)
    leases.append(lease)
    assert lease.acquire()
    # As if ours had expired and another process had taken the lease.
    redis_client.set(lock_name(key), "another-process", px=60_000)
    assert not lease.acquire()
    lease.release()
    assert redis_client.get(lock_name(key)) == "another-process"
    assert redis_client.pttl(lock_name(key)) > 30_000, "our renewal must not touch it"
    redis_client.delete(lock_name(key))


def test_postgres_holder_whose_session_ends_loses_the_lock(
    postgres_url: str, leases: list[Lease]
) -> None:
    key = mailbox_key()
    holder, waiting = (
        lease_for(key, redis_url=None, database_url=postgres_url, seconds=5.0) for _ in range(2)
    )
    leases.extend((holder, waiting))
    assert holder.acquire()
    assert not waiting.acquire()
    terminate_holder_session(postgres_url, advisory_key(key))
    assert not holder.acquire()
    assert waiting.acquire()
    assert not holder.acquire(), "the old holder reconnects but finds the lock taken"


def terminate_holder_session(database_url: str, key: int) -> None:
    """End the session holding advisory lock `key`, as a crash or an
    operator's pg_terminate_backend would, and wait until it is gone."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        pid = connection.scalar(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = CAST(:high AS oid) AND objid = CAST(:low AS oid)"
            ),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
        )
        assert pid is not None, "the holder's lock is visible in pg_locks"
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})


@pytest.mark.parametrize(
    ("redis_url", "database_url"),
    [(NOBODY_REDIS_URL, SQLITE_URL), (None, NOBODY_POSTGRES_URL)],
    ids=["redis", "postgresql"],
)
def test_an_unreachable_backend_means_not_held_and_one_warning(
    redis_url: str | None, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    lease = lease_for(mailbox_key(), redis_url=redis_url, database_url=database_url, seconds=5.0)
    with caplog.at_level(logging.WARNING, logger="teaminbox.live.leader"):
        assert not lease.acquire()
        assert not lease.acquire()
        lease.release()
    assert len([r for r in caplog.records if "does not answer" in r.getMessage()]) == 1


def test_advisory_key_is_the_same_in_every_process() -> None:
    # A fixed value: the built-in hash() would differ between processes.
    assert advisory_key("imap://office@mail.example.com:993") == -3552539062074247058
    assert -(2**63) <= advisory_key(mailbox_key()) < 2**63
