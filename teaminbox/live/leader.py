"""Who watches a mailbox: a lease that one process at a time holds.

Several web processes on several hosts may serve the app, yet only one may
run a mailbox's IMAP watchers: the IMAP server caps connections, and a change
heard by two watchers would be published twice. Each process's supervisor
calls `acquire()` every third of the lease and watches while it answers True.

Three backends, chosen by the deployment (DESIGN.md, "Storage and scale"):
Redis when REDIS_URL is set, else a PostgreSQL advisory lock when the
database is PostgreSQL, else an in-process lease for the embedded
single-process default.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import socket
import threading
import time
import uuid
from typing import NamedTuple, Protocol

import redis
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)


class Lease(Protocol):
    """The right to watch one mailbox, held by at most one process."""

    def acquire(self) -> bool:
        """Take the lease or renew our own, without blocking; True if we hold
        it now. Never raises: an unreachable backend means "not held"."""
        ...

    def release(self) -> None:
        """Give the lease up if we hold it; harmless when we do not."""
        ...


def lease_for(
    mailbox_key: str, *, redis_url: str | None, database_url: str, seconds: float
) -> Lease:
    """The lease for the mailbox named by `mailbox_key` ("imap://user@host:port").

    A holder that stops renewing (its process died) loses the lease after
    about `seconds`.
    """
    if redis_url:
        return RedisLease(redis_url, mailbox_key, seconds)
    if database_url.startswith("postgresql"):
        return PostgresLease(database_url, mailbox_key, seconds)
    return LocalLease(mailbox_key, seconds)


def lock_name(mailbox_key: str) -> str:
    """The lease's name: the Redis key, and what the PostgreSQL lock hashes.
    `GET` it in Redis to see which host and process watch the mailbox."""
    return f"teaminbox:watcher:{mailbox_key}"


def advisory_key(mailbox_key: str) -> int:
    """The signed 64-bit PostgreSQL advisory lock key of a mailbox.

    Every process must compute the same number, so this hashes with hashlib:
    the built-in hash() of a string changes from one process to the next.
    """
    digest = hashlib.blake2b(lock_name(mailbox_key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class _OutageLog:
    """Warns once when a backend stops answering and notes once when it is
    back, instead of a warning at every renewal. The caller serialises calls."""

    def __init__(self, backend: str, mailbox_key: str) -> None:
        self._backend = backend
        self._mailbox_key = mailbox_key
        self._failing = False

    def failed(self, error: Exception) -> None:
        if not self._failing:
            self._failing = True
            log.warning(
                "%s does not answer (%s): no watcher for %s here until it does",
                self._backend,
                error,
                self._mailbox_key,
            )

    def answered(self) -> None:
        if self._failing:
            self._failing = False
            log.info("%s answers again", self._backend)


# Renew only a lease that still carries our token: once ours has expired and
# another process took it, renewing by key alone would steal it back.
_RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""

# Delete only our own token, for the same reason.
_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLease:
    """A Redis key holding the holder's token and expiring after `seconds`,
    so a process that dies loses the lease without anyone's help."""

    def __init__(self, url: str, mailbox_key: str, seconds: float) -> None:
        # A reply later than half the lease may arrive after the lease has
        # expired; better to count it as a failure.
        self._redis = redis.Redis.from_url(
            url, socket_timeout=seconds / 2, socket_connect_timeout=seconds / 2
        )
        self._key = lock_name(mailbox_key)
        self._token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        self._milliseconds = max(1, round(seconds * 1000))
        self._renew_script = self._redis.register_script(_RENEW_SCRIPT)
        self._release_script = self._redis.register_script(_RELEASE_SCRIPT)
        self._outage = _OutageLog("Redis", mailbox_key)
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            try:
                held = self._renew() or self._take()
            except redis.RedisError as error:
                self._outage.failed(error)
                return False
            self._outage.answered()
            return held

    def release(self) -> None:
        with self._lock:
            try:
                self._release_script(keys=[self._key], args=[self._token])
            except redis.RedisError as error:
                log.warning("could not release %s (%s); it expires by itself", self._key, error)

    def _renew(self) -> bool:
        renewed = self._renew_script(keys=[self._key], args=[self._token, self._milliseconds])
        return bool(renewed)

    def _take(self) -> bool:
        taken = self._redis.set(self._key, self._token, nx=True, px=self._milliseconds)
        return bool(taken)


class PostgresLease:
    """A session-level advisory lock on a connection the lease keeps open.

    The server frees the lock when that session ends, so a process that
    dies loses the lease as soon as the server notices; server-side TCP
    keepalives make it notice within about `seconds` even when the holder's
    host vanished without closing the connection.
    """

    def __init__(self, database_url: str, mailbox_key: str, seconds: float) -> None:
        # NullPool: closing the connection really ends the session, and with
        # it the lock. AUTOCOMMIT: the kept connection never sits idle in a
        # transaction, which would hold back vacuum.
        self._engine = create_engine(
            database_url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args=_client_timeouts(seconds),
        )
        self._key = advisory_key(mailbox_key)
        self._probe_seconds = max(1, round(seconds / 4))
        self._connection: Connection | None = None
        self._held = False
        self._outage = _OutageLog("PostgreSQL", mailbox_key)
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            try:
                self._held = self._still_held() if self._held else self._try_lock()
            except SQLAlchemyError as error:
                self._outage.failed(error)
                self._disconnect()
                return False
            self._outage.answered()
            return self._held

    def release(self) -> None:
        with self._lock:
            try:
                if self._held and self._connection is not None:
                    # Unlock before closing: the server frees a closed
                    # session's locks a moment later, and the next holder
                    # should not have to wait for that.
                    self._connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                    )
            except SQLAlchemyError as error:
                log.info("advisory unlock failed (%s); closing the session frees it", error)
            finally:
                self._disconnect()

    def _try_lock(self) -> bool:
        if self._connection is None:
            self._connection = self._connect()
        taken = self._connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
        )
        return bool(taken)

    def _still_held(self) -> bool:
        """True if our session is alive and holds the lock (a query on a
        dead session raises instead)."""
        assert self._connection is not None
        unsigned = self._key & 0xFFFF_FFFF_FFFF_FFFF
        # pg_locks shows a bigint key as two oids, high half first.
        held = self._connection.scalar(
            text(
                "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid = pg_backend_pid() AND classid = CAST(:high AS oid)"
                " AND objid = CAST(:low AS oid) AND objsubid = 1 AND granted)"
            ),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
        )
        return bool(held)

    def _connect(self) -> Connection:
        connection = self._engine.connect()
        try:
            # Set per session rather than in the startup packet, which
            # connection poolers such as PgBouncer refuse.
            connection.execute(
                text(
                    "SELECT set_config('tcp_keepalives_idle', :probe, false),"
                    " set_config('tcp_keepalives_interval', :probe, false),"
                    " set_config('tcp_keepalives_count', '3', false)"
                ),
                {"probe": str(self._probe_seconds)},
            )
        except SQLAlchemyError:
            connection.close()
            raise
        return connection

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._held = False


def _client_timeouts(seconds: float) -> dict[str, int]:
    """libpq settings so that a connection or a renewal to a server that
    stopped answering fails within the lease instead of hanging for the
    kernel's minutes, which would let us watch alongside the next holder."""
    return {
        "connect_timeout": max(2, math.ceil(seconds / 2)),
        "tcp_user_timeout": max(1, round(seconds * 1000 / 2)),
    }


class _Hold(NamedTuple):
    lease: LocalLease
    expires: float


# Leases held in this process, by lock name. Module-level on purpose: two
# apps created in one process (tests) must still elect one watcher.
_local_holds: dict[str, _Hold] = {}
_local_holds_lock = threading.Lock()


class LocalLease:
    """A lease among the apps of this one process, for the embedded default
    where a single process serves everything. It expires like the others,
    so an app that stopped renewing does not keep it forever."""

    def __init__(self, mailbox_key: str, seconds: float) -> None:
        self._name = lock_name(mailbox_key)
        self._seconds = seconds

    def acquire(self) -> bool:
        now = time.monotonic()
        with _local_holds_lock:
            hold = _local_holds.get(self._name)
            if hold is not None and hold.lease is not self and hold.expires > now:
                return False
            _local_holds[self._name] = _Hold(self, now + self._seconds)
            return True

    def release(self) -> None:
        with _local_holds_lock:
            hold = _local_holds.get(self._name)
            if hold is not None and hold.lease is self:
                del _local_holds[self._name]
