"""Many open `/events` streams, read by one thread in a process of their own.

Why a separate process: the app under test runs in the benchmark's main
process (werkzeug's threaded server in a thread), and readers sharing its
GIL would queue behind the very threads they measure. Here one `selectors`
loop reads every stream, plus one raw IMAP connection in IDLE (the
server's floor), so 200 streams cost one thread on the other core.

Times are `time.monotonic_ns()`, CLOCK_MONOTONIC on Linux, one clock for
the whole machine, so the parent compares them with its own. A message is
stamped with the moment the loop woke up to read it: it had arrived by
then. How long the loop was busy between two wake-ups (the most a stamp
can be late) is reported with every round.

The parent drives the reader through `Fleet`, one command at a time.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import selectors
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from bench.imap_raw import FLAGGED, RawImap, parse_pushed_flags

# Streams are opened this many at a time, each batch once the previous one
# got its `hello`: werkzeug's listen backlog is 128 and its accept loop takes
# one connection per turn, so 200 connects at once would be refused and
# retried a second later by the kernel.
OPEN_BATCH = 20
NS = 1_000_000_000


@dataclass(frozen=True)
class StreamTarget:
    """Where the streams connect and the request headers they send."""

    host: str
    port: int
    path: str
    headers: tuple[tuple[str, str], ...]

    def request(self) -> bytes:
        lines = [f"GET {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass(frozen=True)
class FlagsMatch:
    """The `flags` event a round waits for. `actor` None: another mail client."""

    folder: str
    uid: int
    flagged: bool
    actor: str | None

    def matches(self, fact: dict[str, object]) -> bool:
        flags = fact.get("flags")
        return (
            fact.get("folder") == self.folder
            and fact.get("uid") == self.uid
            and fact.get("actor") == self.actor
            and isinstance(flags, list)
            and (FLAGGED in flags) == self.flagged
        )


# Commands, parent to reader.
@dataclass(frozen=True)
class OpenStreams:
    """Open streams until `total` are open and greeted."""

    target: StreamTarget
    total: int
    timeout: float


@dataclass(frozen=True)
class WatchIdle:
    """Open the floor connection: SELECT `folder` with QRESYNC, then IDLE."""

    host: str
    port: int
    user: str
    password: str
    folder: str


@dataclass(frozen=True)
class Expect:
    """Answer Ready, then Arrivals once every stream (and the IDLE
    connection, if `idle`) got `match`, or after `timeout` seconds."""

    match: FlagsMatch
    idle: bool
    timeout: float


@dataclass(frozen=True)
class AwaitQuiet:
    """Answer once no `flags` event came for `quiet` seconds."""

    quiet: float
    timeout: float


@dataclass(frozen=True)
class TakeTally:
    """Answer with the `flags` events received so far, by (uid, actor)."""


@dataclass(frozen=True)
class Shutdown:
    pass


Command = OpenStreams | WatchIdle | Expect | AwaitQuiet | TakeTally | Shutdown


# Replies, reader to parent.
@dataclass(frozen=True)
class Done:
    detail: str = ""


@dataclass(frozen=True)
class Failed:
    reason: str


@dataclass(frozen=True)
class Arrivals:
    """When each stream (None: never) and the IDLE connection got the event,
    and the longest the loop was busy between two wake-ups meanwhile (the
    most any stamp can be late)."""

    streams: tuple[int | None, ...]
    idle: int | None
    busiest_ns: int
    busy_total_ns: int  # the loop's working time in the round, all wake-ups


@dataclass(frozen=True)
class Tally:
    counts: dict[tuple[int, str | None], int]


Reply = Done | Failed | Arrivals | Tally


class ChunkedDecoder:
    """HTTP/1.1 chunked transfer coding, fed as bytes arrive. Werkzeug's
    threaded server always chunks a response without Content-Length."""

    def __init__(self) -> None:
        self._pending = b""
        self._data_left = 0
        self._crlf_left = 0
        self.ended = False

    def feed(self, raw: bytes) -> bytes:
        """The payload bytes that `raw` completes."""
        buffer, out = self._pending + raw, []
        while buffer and not self.ended:
            if self._data_left:
                out.append(buffer[: self._data_left])
                taken = len(out[-1])
                buffer, self._data_left = buffer[taken:], self._data_left - taken
                if not self._data_left:
                    self._crlf_left = 2
            elif self._crlf_left:
                taken = min(self._crlf_left, len(buffer))
                buffer, self._crlf_left = buffer[taken:], self._crlf_left - taken
            else:
                end = buffer.find(b"\r\n")
                if end < 0:
                    break
                size = int(buffer[:end].split(b";")[0], 16)
                buffer = buffer[end + 2 :]
                self._data_left = size
                self.ended = size == 0
        self._pending = buffer
        return b"".join(out)


@dataclass
class SseStream:
    """One open `/events` response, parsed incrementally."""

    index: int
    sock: socket.socket
    head: bytes = b""
    status: int | None = None
    decoder: ChunkedDecoder | None = None
    text: bytes = b""
    greeted: bool = False
    ended: str | None = None
    messages: list[tuple[bytes, bytes]] = field(default_factory=list)

    def feed(self, raw: bytes) -> None:
        """Take bytes off the socket; complete messages go to `messages`
        as (event name, data)."""
        if self.status is None:
            self.head += raw
            if b"\r\n\r\n" not in self.head:
                return
            head, raw = self.head.split(b"\r\n\r\n", 1)
            self.status = int(head.split(b" ", 2)[1])
            if self.status != 200:
                self.ended = f"status {self.status}"
                return
            if b"transfer-encoding: chunked" in head.lower():
                self.decoder = ChunkedDecoder()
        payload = self.decoder.feed(raw) if self.decoder else raw
        if self.decoder and self.decoder.ended:
            self.ended = "the server ended the response"
        self.text += payload
        *blocks, self.text = self.text.split(b"\n\n")
        for block in blocks:
            self.messages.append(_parse_block(block))


def _parse_block(block: bytes) -> tuple[bytes, bytes]:
    name, data = b"message", []
    for line in block.split(b"\n"):
        if line.startswith(b"event:"):
            name = line[6:].strip()
        elif line.startswith(b"data:"):
            data.append(line[5:].removeprefix(b" "))
    return name, b"\n".join(data)


@dataclass
class _Waiting:
    """The command being served: `check` answers once it is fulfilled,
    `expire` when its deadline passed."""

    deadline: int
    check: Callable[[int], Reply | None]
    expire: Callable[[], Reply]


class Reader:
    """The reader process's state and its one loop."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._selector = selectors.DefaultSelector()
        self._selector.register(conn.fileno(), selectors.EVENT_READ, self._on_command)
        self._streams: list[SseStream] = []
        self._idle: RawImap | None = None
        self._idle_buffer = b""
        self._waiting: _Waiting | None = None
        self._expect: Expect | None = None
        self._stream_arrivals: list[int | None] = []
        self._idle_arrival: int | None = None
        self._busiest = 0
        self._busy_total = 0
        self._last_flags = time.monotonic_ns()
        self._tally: Counter[tuple[int, str | None]] = Counter()
        self._running = True

    def run(self) -> None:
        while self._running:
            timeout = 0.5
            if self._waiting is not None:
                timeout = max(0.0, min(timeout, (self._waiting.deadline - _now()) / NS))
            ready = self._selector.select(timeout)
            woke = _now()
            for key, _events in ready:
                key.data(woke)
            self._settle(woke)
            if self._expect is not None:
                busy = _now() - woke
                self._busiest = max(self._busiest, busy)
                self._busy_total += busy

    def _settle(self, now: int) -> None:
        if self._waiting is None:
            return
        reply = self._waiting.check(now)
        if reply is None and now >= self._waiting.deadline:
            reply = self._waiting.expire()
        if reply is not None:
            self._waiting, self._expect = None, None
            self._conn.send(reply)

    def _on_command(self, now: int) -> None:
        command: Command = self._conn.recv()
        if isinstance(command, Shutdown):
            self._running = False
        elif isinstance(command, OpenStreams):
            self._open(command, now)
        elif isinstance(command, WatchIdle):
            self._conn.send(self._watch_idle(command))
        elif isinstance(command, Expect):
            self._start_expect(command, now)
        elif isinstance(command, AwaitQuiet):
            self._await_quiet(command, now)
        else:
            self._conn.send(Tally(dict(self._tally)))

    def _open(self, command: OpenStreams, now: int) -> None:
        def check(_now: int) -> Reply | None:
            failed = [s for s in self._streams if s.ended]
            if failed:
                return Failed(f"stream {failed[0].index}: {failed[0].ended}")
            if not all(s.greeted for s in self._streams):
                return None
            if len(self._streams) >= command.total:
                return Done(f"{len(self._streams)} streams open")
            for _ in range(min(OPEN_BATCH, command.total - len(self._streams))):
                self._connect(command.target)
            return None

        def expire() -> Reply:
            greeted = sum(s.greeted for s in self._streams)
            return Failed(f"{greeted} of {command.total} streams greeted in time")

        self._waiting = _Waiting(now + int(command.timeout * NS), check, expire)

    def _connect(self, target: StreamTarget) -> None:
        sock = socket.create_connection((target.host, target.port), timeout=10)
        sock.sendall(target.request())
        sock.setblocking(False)
        stream = SseStream(len(self._streams), sock)
        self._streams.append(stream)
        self._selector.register(sock, selectors.EVENT_READ, lambda now: self._read(stream, now))

    def _read(self, stream: SseStream, now: int) -> None:
        try:
            raw = stream.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as error:
            raw, stream.ended = b"", str(error)
        if not raw:
            stream.ended = stream.ended or "the server closed the stream"
            self._selector.unregister(stream.sock)
            return
        stream.feed(raw)
        for name, data in stream.messages:
            if name == b"hello":
                stream.greeted = True
            elif name == b"flags":
                self._on_flags(stream, json.loads(data), now)
        stream.messages.clear()

    def _on_flags(self, stream: SseStream, fact: dict[str, object], now: int) -> None:
        self._last_flags = now
        uid, actor = fact.get("uid"), fact.get("actor")
        if isinstance(uid, int) and (actor is None or isinstance(actor, str)):
            self._tally[(uid, actor)] += 1
        expect = self._expect
        if expect and self._stream_arrivals[stream.index] is None and expect.match.matches(fact):
            self._stream_arrivals[stream.index] = now

    def _watch_idle(self, command: WatchIdle) -> Reply:
        imap = RawImap(command.host, command.port)
        imap.log_in(command.user, command.password)
        imap.select_with_qresync(command.folder)
        self._idle_buffer = imap.start_idle()
        imap.sock.setblocking(False)
        self._idle = imap
        self._selector.register(imap.sock, selectors.EVENT_READ, self._read_idle)
        return Done("IDLE")

    def _read_idle(self, now: int) -> None:
        assert self._idle is not None
        try:
            raw = self._idle.sock.recv(65536)
        except BlockingIOError:
            return
        if not raw:
            self._selector.unregister(self._idle.sock)
            self._idle = None
            return
        *lines, self._idle_buffer = (self._idle_buffer + raw).split(b"\r\n")
        expect = self._expect
        for line in lines:
            pushed = parse_pushed_flags(line)
            if expect is None or pushed is None or self._idle_arrival is not None:
                continue
            if pushed.uid == expect.match.uid and (FLAGGED in pushed.flags) == expect.match.flagged:
                self._idle_arrival = now

    def _start_expect(self, command: Expect, now: int) -> None:
        if command.idle and self._idle is None:
            self._conn.send(Failed("no IDLE connection"))
            return
        self._expect = command
        self._stream_arrivals = [None] * len(self._streams)
        self._idle_arrival = None
        self._busiest = self._busy_total = 0

        def arrivals() -> Arrivals:
            idle = self._idle_arrival if command.idle else None
            return Arrivals(tuple(self._stream_arrivals), idle, self._busiest, self._busy_total)

        def check(_now: int) -> Reply | None:
            complete = all(a is not None for a in self._stream_arrivals)
            idle_done = self._idle_arrival is not None or not command.idle
            return arrivals() if complete and idle_done else None

        self._waiting = _Waiting(now + int(command.timeout * NS), check, arrivals)
        self._conn.send(Done("ready"))

    def _await_quiet(self, command: AwaitQuiet, now: int) -> None:
        quiet = int(command.quiet * NS)

        def check(now: int) -> Reply | None:
            return Done("quiet") if now - self._last_flags >= quiet else None

        def expire() -> Reply:
            return Failed(f"flags events still coming after {command.timeout} s")

        self._waiting = _Waiting(now + int(command.timeout * NS), check, expire)

    def close(self) -> None:
        for stream in self._streams:
            stream.sock.close()
        if self._idle is not None:
            self._idle.sock.setblocking(True)
            self._idle.sock.settimeout(2)
            self._idle.close()
        self._selector.close()


def _now() -> int:
    return time.monotonic_ns()


def run_reader(conn: Connection) -> None:
    """The reader process's entry point: serve commands until Shutdown or
    until the parent goes away (Ctrl-C reaches both processes)."""
    reader = Reader(conn)
    try:
        reader.run()
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        pass
    finally:
        reader.close()


class ReaderGone(RuntimeError):
    """The reader process died or did not answer in time."""


class Fleet:
    """The parent's handle on the reader process."""

    def __init__(self) -> None:
        # spawn, not fork: the parent runs threads (the app's) when this starts.
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=run_reader, args=(child,), name="sse-reader")
        self._process.start()
        child.close()
        self.size = 0
        self._timeout = 0.0

    def open_streams(self, target: StreamTarget, total: int, timeout: float = 60.0) -> None:
        self._call(OpenStreams(target, total, timeout), timeout + 5)
        self.size = total

    def watch_idle(self, host: str, port: int, user: str, password: str, folder: str) -> None:
        self._call(WatchIdle(host, port, user, password, folder), 15.0)

    def expect(self, match: FlagsMatch, *, idle: bool, timeout: float) -> None:
        """Arm the next round; returns once the reader is listening for it."""
        self._call(Expect(match, idle, timeout), 10.0)
        self._timeout = timeout

    def arrivals(self) -> Arrivals:
        reply = self._receive(self._timeout + 10.0)
        assert isinstance(reply, Arrivals), reply
        return reply

    def await_quiet(self, quiet: float, timeout: float = 30.0) -> None:
        self._call(AwaitQuiet(quiet, timeout), timeout + 5)

    def tally(self) -> dict[tuple[int, str | None], int]:
        reply = self._call(TakeTally(), 10.0)
        assert isinstance(reply, Tally)
        return reply.counts

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(Shutdown())
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._conn.close()

    def _call(self, command: Command, timeout: float) -> Reply:
        self._conn.send(command)
        reply = self._receive(timeout)
        if isinstance(reply, Failed):
            raise ReaderGone(f"{type(command).__name__}: {reply.reason}")
        return reply

    def _receive(self, timeout: float) -> Reply:
        try:
            if not self._conn.poll(timeout):
                alive = "alive" if self._process.is_alive() else "dead"
                raise ReaderGone(f"the reader ({alive}) did not answer within {timeout} s")
            reply: Reply = self._conn.recv()
        except (EOFError, OSError) as error:
            raise ReaderGone(f"the reader process is gone ({error!r})") from error
        return reply
