"""Caching a whole folder: a first sync, or after a UIDVALIDITY change.

Reading 100k headers costs this process about three times what the server
takes to send them, all of it on one core. When the folder is big and the
connection budget can spare a connection (one more staying free for the
pages), a helper process reads the folder's second half on a connection
of its own and makes its cache rows, while this thread reads the first
half and writes both: the parsing takes both cores. A helper that fails
(its login refused, the server gone, the process killed) costs time,
never rows: this thread then reads whatever the helper had not sent; one
that cannot be started leaves the whole folder to this thread.

Helpers are forked by multiprocessing's fork server, a process of its own
(62 MB) with this module loaded: forking the app's own process, with its
threads, would be unsafe. It is started with the first helper a process
needs, which waits the second it takes to load the app; a process that
never caches a big folder whole (a restart with its cache kept) never
starts it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.forkserver
import signal
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from typing import TypeVar

from imapclient import IMAPClient
from sqlalchemy.orm import Session

from teaminbox.imap.connection import ImapSettings, close_connection, open_connection
from teaminbox.imap.folder_stream import stream_folder_headers, uid_at
from teaminbox.imap.mailstore import select_folder
from teaminbox.imap.pool import ConnectionPool
from teaminbox.imap.sync import FolderDelta
from teaminbox.store import cache
from teaminbox.store.models import FolderState

log = logging.getLogger(__name__)
T = TypeVar("T")

# Messages a folder must hold for a helper to be worth a connection and its
# start (~40 ms: fork, login, SELECT). Measured: 100k, 3.4x the server's
# own fetch alone, 2.8x with a helper; 10k, no clear gain (BENCHMARKS.md).
HELPER_FROM = 20_000
# Rows a helper sends at a time (~35 KB pickled, within a pipe's buffer),
# and rows this thread reads of its own half between two looks at the pipe.
BATCH = 200
# Headers written between two calls of `pace` (about 1 ms of work).
PACE_EVERY = 50
# Longest wait for a helper that sent everything to log out and end.
STOP_SECONDS = 1.0

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__])  # prepare adds the main module
# A helper runs a `-m` main module again although the fork server loaded it
# (prepare): runpy's warning about that says nothing here.
warnings.filterwarnings(
    "ignore", r".* found in sys\.modules after import of package", RuntimeWarning, "runpy"
)


def prepare() -> None:
    """Start the fork server, if it is not running (it then loads the app
    while the caller goes on). multiprocessing runs the program's main
    module again in each process it starts: a console script costs what it
    imports beyond the app (`flask`: nothing, `gunicorn`: ~30 ms); a module
    run with `-m` is loaded here, so that only its own lines run again (a
    package's `__main__`, as in `python -m flask`, is never run again)."""
    preload = [__name__]
    main = getattr(sys.modules["__main__"].__spec__, "name", "")  # set by -m
    if main and not main.endswith("__main__"):
        preload.append(main)
    _CONTEXT.set_forkserver_preload(preload)
    try:
        multiprocessing.forkserver.ensure_running()
    except OSError as exc:  # no temporary folder, no process left: no helpers
        log.warning("cannot start the folder readers' fork server: %s", exc)


def fill_folder(
    pool: ConnectionPool,
    client: IMAPClient,
    session: Session,
    state: FolderState,
    delta: FolderDelta,
    pace: Callable[[], None],
    helper: ImapSettings | None,
) -> int:
    """Cache `delta`'s whole folder (delta.rebuilt) into the cleared
    `state`, read on `client`, which has the folder selected; with a helper
    logging in with `helper` when the folder is big and `pool` can spare a
    connection. `pace` is called every PACE_EVERY rows and may wait. The
    number of rows written."""
    dialect = session.get_bind().dialect.name
    as_row = cache.row_maker(dialect, state.id)

    def read(uids: str) -> Iterator[cache.Row]:
        return map(as_row, stream_folder_headers(client, uids))

    last = str(delta.version.uidnext - 1) if delta.version.uidnext else "*"
    other = None
    if helper is not None and delta.count >= HELPER_FROM:
        middle = uid_at(client, delta.count // 2 + 1)
        if middle is not None:
            uids = (middle, last)
            part = _Part(helper, state.name, state.uidvalidity, state.id, uids, dialect, BATCH)
            other = _Helper.start(pool, part)
    if other is None:
        return cache.fill_folder(session, state, _paced(delta.new, pace))
    with other:
        own = read(f"1:{other.first - 1}")
        rows = _beside(own, other, lambda first: read(f"{first}:{last}"))
        return cache.fill_rows(session, _paced(rows, pace))


def _beside(
    own: Iterator[cache.Row], other: _Helper, read_from: Callable[[int], Iterator[cache.Row]]
) -> Iterator[cache.Row]:
    """This thread's rows with the helper's, taken as they come; then what
    a failed helper did not send, read here from the first UID it did not
    send (`read_from`; IMAP may answer a reversed range with the last UID,
    sent already: only the UIDs from there are kept)."""
    while batch := list(islice(own, BATCH)):
        yield from batch
        yield from other.ready()
    yield from other.rest()
    if other.resume_at is not None:
        first = other.resume_at
        yield from (row for row in read_from(first) if cache.row_uid(row) >= first)


class _Helper:
    """A process reading a _Part of a folder into rows, sent through a pipe
    as lists of rows; an empty list ends them, a text says why the helper
    gave up."""

    def __init__(self, pool: ConnectionPool, part: _Part) -> None:
        self._pool = pool
        receiving, sending = _CONTEXT.Pipe(duplex=False)
        self._pipe = receiving
        self._timeout = part.settings.timeout
        self.first = part.uids[0]
        self._next = self.first  # the first UID not received yet
        self._done = False
        self.resume_at: int | None = None  # after a failure: the first UID it did not send
        self._process = _CONTEXT.Process(
            target=_read_rows, args=(part, sending), name="folder-reader", daemon=True
        )
        try:
            self._process.start()
        finally:
            sending.close()

    @classmethod
    def start(cls, pool: ConnectionPool, part: _Part) -> _Helper | None:
        """A helper at work on a connection `pool` spares (until __exit__),
        or None: no connection to spare, or no process could be started
        (the fork server could not run, the system refused a process)."""
        if not pool.take_spare():
            return None
        try:
            prepare()
            return cls(pool, part)
        except (OSError, EOFError) as exc:
            pool.give_back_spare()
            log.warning("cannot start a folder reader, this process reads alone: %s", exc)
            return None

    def __enter__(self) -> _Helper:
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self._pipe.close()
            self._process.join(STOP_SECONDS)  # a helper done is logging out
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(self._timeout)
        finally:
            self._pool.give_back_spare()

    def ready(self) -> Iterator[cache.Row]:
        """The rows already sent, without waiting."""
        while not self._done and self._pipe.poll():
            yield from self._receive()

    def rest(self) -> Iterator[cache.Row]:
        """Every row still to come (at most `timeout` seconds between two sends)."""
        while not self._done:
            if not self._pipe.poll(self._timeout):
                self._give_up(f"nothing from it in {self._timeout:g} s")
                return
            yield from self._receive()

    def _receive(self) -> list[cache.Row]:
        try:
            message = self._pipe.recv()
        except (EOFError, OSError) as exc:
            self._give_up(f"it stopped ({exc or type(exc).__name__})")
            return []
        if isinstance(message, str):
            self._give_up(message)
            return []
        if not message:
            self._done = True
            return []
        self._next = cache.row_uid(message[-1]) + 1
        return list(message)

    def _give_up(self, reason: str) -> None:
        log.warning("a folder reader failed, this process reads the rest: %s", reason)
        self._done = True
        self.resume_at = self._next


@dataclass(frozen=True)
class _Part:
    """What a helper process reads, and how it logs in and sends its rows."""

    settings: ImapSettings
    folder: str
    uidvalidity: int  # the folder being cached: no other of the same name
    folder_id: int
    uids: tuple[int, str]  # the first UID, and the last or "*"
    dialect: str
    batch: int  # rows per send


def _read_rows(part: _Part, pipe: Connection) -> None:
    """The helper process: log in, check that the folder is still the one
    being cached, send its rows. Any failure is sent as a sentence, for the
    parent to log; an interrupt (Ctrl-C in a terminal reaches every process)
    is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        client = open_connection(part.settings)
        try:
            status = select_folder(client, part.folder, readonly=True)
            if int(status[b"UIDVALIDITY"]) != part.uidvalidity:
                pipe.send("the folder changed UIDVALIDITY")
                return
            as_row = cache.row_maker(part.dialect, part.folder_id)
            first, last = part.uids
            rows = map(as_row, stream_folder_headers(client, f"{first}:{last}"))
            while batch := list(islice(rows, part.batch)):
                pipe.send(batch)
            pipe.send([])
        finally:
            close_connection(client)
    except Exception as exc:
        with contextlib.suppress(OSError):  # the parent may have gone
            pipe.send(f"{type(exc).__name__}: {exc}")


def _paced(items: Iterable[T], pace: Callable[[], None]) -> Iterator[T]:
    for count, item in enumerate(items, 1):
        if not count % PACE_EVERY:
            pace()
        yield item
