"""Live-update latency with 1, 50 and 200 open event streams (issue 4).

    .venv/bin/python -m bench.live_latency [--streams 1,50,200] [--rounds N]
        [--warmup N] [--interval S] [--json PATH]

Everything is private to the run: a Dovecot in a temporary directory with a
folder of a few hundred messages, the app on SQLite in that directory with
LIVE_UPDATES on, served by werkzeug's threaded development server (the
embedded default, what `make demo` runs) in a thread on a free port.
The streams are read by another process (bench/sse_fleet.py).

(a) Claire toggles \\Flagged in the app: from just before the POST is sent
    to the `flags` event at each of Alice's streams; beside it, the POST's
    own round trip and a raw `UID STORE` round trip (the server's floor).
(b) Another IMAP client (imapclient, as Thunderbird) toggles \\Flagged:
    from the STORE's tagged OK to the event at each stream; beside it, the
    same OK to the untagged FETCH on a raw connection in IDLE (the floor,
    Dovecot's fixed 500 ms).

Rounds are paced `--interval` apart (start to start, default 1.5 s), so
that each change is measured alone, after the previous one's IDLE echo was
synced. Not closer: Dovecot 2.3.19 pushes a NOTIFY change at once, not
after 500 ms, when it comes about 0.5-1 s after the previous push (measured:
every other change at a 1 s pace), which would mix two regimes in (b).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import logging
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, NoReturn

from flask import Flask
from imapclient import IMAPClient
from werkzeug.serving import BaseWSGIServer, make_server

from bench.imap_raw import FLAGGED, RawImap
from bench.report import (
    AppActionResult,
    OtherClientResult,
    Summary,
    action_table,
    as_json,
    other_client_table,
)
from bench.sse_fleet import Arrivals, FlagsMatch, Fleet, StreamTarget
from bench.web_client import USER_AGENT, WebClient
from teaminbox import close_app, create_app
from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.domain import Role
from teaminbox.imap.append import Appendable, append_messages, ensure_folders
from teaminbox.services import accounts
from teaminbox.store import migrate
from teaminbox.store.db import Database

FOLDER = "Bench"
PASSWORD = "correct horse battery"  # noqa: S105 - throwaway users of a private run
SERVER_KIND = "werkzeug ThreadedWSGIServer (make_server threaded=True), the embedded default"
# Seconds a round may take before its missing arrivals count as misses.
ROUND_TIMEOUT = 5.0
# A phase starts once no `flags` event came for this long: longer than the
# push delay, and than the window in which Dovecot pushes the next change at once.
QUIET_SECONDS = 1.5
# How long the app may take to start watching and hear a first change.
WATCH_READY_TIMEOUT = 60.0

log = logging.getLogger("bench.live_latency")


@dataclass(frozen=True)
class Options:
    streams: tuple[int, ...]
    rounds: int
    warmup: int
    interval: float
    messages: int
    json_path: Path | None
    live: bool  # False: LIVE_UPDATES off, part (a) only (no watcher to measure)


@dataclass(frozen=True)
class Targets:
    """The three messages of the bench folder, one per kind of change, so
    that no round can be confused with another kind's echo."""

    app_uid: int  # (a) toggled by Claire in the app
    floor_uid: int  # (a)'s floor: raw UID STORE
    other_uid: int  # (b) toggled by the other IMAP client


@dataclass
class Bench:
    """Everything one run holds open."""

    dovecot: DovecotServer
    targets: Targets
    app: Flask
    port: int
    claire: WebClient
    alice: WebClient
    thunderbird: IMAPClient
    raw: RawImap
    fleet: Fleet
    flagged: dict[int, bool]

    def target(self) -> StreamTarget:
        headers = (("User-Agent", USER_AGENT), ("Cookie", self.alice.cookie_header()))
        return StreamTarget("127.0.0.1", self.port, "/events", headers)


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.live_latency", description=__doc__)
    parser.add_argument("--streams", default="1,50,200", help="stream counts (default 1,50,200)")
    parser.add_argument("--rounds", type=int, default=30, help="measured rounds per phase")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured rounds first")
    parser.add_argument("--interval", type=float, default=1.5, help="seconds between rounds")
    parser.add_argument("--messages", type=int, default=300, help="messages in the folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument(
        "--no-watcher",
        action="store_true",
        help="LIVE_UPDATES off: part (a) only, for a tree without the watcher",
    )
    args = parser.parse_args(argv)
    streams = tuple(sorted({int(n) for n in args.streams.split(",") if n.strip()}))
    if not streams or streams[0] < 1 or args.rounds < 1 or args.messages < 3:
        parser.error("need stream counts ≥ 1, rounds ≥ 1 and at least 3 messages")
    return Options(
        streams,
        args.rounds,
        args.warmup,
        args.interval,
        args.messages,
        args.json,
        live=not args.no_watcher,
    )


# --- setting up ------------------------------------------------------------


def seed_folder(server: DovecotServer, count: int) -> Targets:
    """Create FOLDER with `count` plain messages; the first three UIDs are
    the targets."""
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=60)
    client.login(server.user, server.password)
    try:
        ensure_folders(client, [FOLDER])
        append_messages(client, FOLDER, [_message(i) for i in range(count)])
        client.select_folder(FOLDER, readonly=True)
        uids = sorted(client.search("ALL"))
    finally:
        client.logout()
    return Targets(uids[0], uids[1], uids[2])


def _message(index: int) -> Appendable:
    message = EmailMessage()
    message["From"] = f"Customer {index} <customer{index}@example.test>"
    message["To"] = "contact@office.test"
    message["Subject"] = f"Benchmark message {index}"
    message["Message-ID"] = f"<bench-{index}@example.test>"
    message["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
    message.set_content(f"Message {index} of the live latency benchmark.\n")
    return message.as_bytes(), (), datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def build_app(server: DovecotServer, instance: Path, *, live: bool) -> Flask:
    """The app as embedded by default (SQLite, in-process bus, 4 IMAP
    connections), with the watcher on, migrated, with Claire and Alice."""
    # create_app reads instance/config.py and TEAMINBOX_* variables: keep the
    # developer's own instance and settings out of the run.
    os.environ["TEAMINBOX_INSTANCE_PATH"] = str(instance)
    app = create_app(
        {
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{instance / 'teaminbox.db'}",
            "REDIS_URL": None,
            "IMAP_HOST": server.host,
            "IMAP_PORT": server.imap_port,
            "IMAP_SECURITY": "none",
            "IMAP_USER": server.user,
            "IMAP_PASSWORD": server.password,
            "LIVE_UPDATES": live,
        }
    )
    database: Database = app.extensions["teaminbox.database"]
    migrate.upgrade(database)
    with database.session() as session:
        accounts.create_user(session, "claire", PASSWORD, Role.MANAGER, "Claire Moreau")
        accounts.create_user(session, "alice", PASSWORD, Role.STAFF, "Alice Martin")
        session.commit()
    return app


@contextlib.contextmanager
def served(app: Flask) -> Iterator[int]:
    """Serve `app` on a free port in a thread; yield the port; stop it."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="werkzeug", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextlib.contextmanager
def running_bench(options: Options, root: Path) -> Iterator[Bench]:
    """Start everything; stop it all in reverse order, whatever happens."""
    with contextlib.ExitStack() as stack:
        dovecot = start_dovecot(root / "dovecot")
        stack.callback(stop_dovecot, dovecot, purge=True)
        targets = seed_folder(dovecot, options.messages)
        app = build_app(dovecot, root / "instance", live=options.live)
        stack.callback(close_app, app)
        port = stack.enter_context(served(app))
        fleet = Fleet()
        stack.callback(fleet.close)
        claire, alice = WebClient("127.0.0.1", port), WebClient("127.0.0.1", port)
        claire.log_in("claire", PASSWORD)
        alice.log_in("alice", PASSWORD)
        thunderbird = IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=10)
        thunderbird.login(dovecot.user, dovecot.password)
        stack.callback(thunderbird.logout)
        thunderbird.select_folder(FOLDER)
        raw = RawImap(dovecot.host, dovecot.imap_port)
        stack.callback(raw.close)
        raw.log_in(dovecot.user, dovecot.password)
        raw.command(f'SELECT "{FOLDER}"')
        # Open for the whole run, well inside IDLE's 29 minutes.
        fleet.watch_idle(dovecot.host, dovecot.imap_port, dovecot.user, dovecot.password, FOLDER)
        yield Bench(dovecot, targets, app, port, claire, alice, thunderbird, raw, fleet, {})


# --- measuring -------------------------------------------------------------


def _pace(started_ns: int, interval: float) -> None:
    """Start rounds `interval` apart (load shape, not correctness)."""
    left = interval - (time.monotonic_ns() - started_ns) / 1e9
    if left > 0:
        time.sleep(left)


def _toggle(bench: Bench, uid: int) -> bool:
    bench.flagged[uid] = not bench.flagged.get(uid, False)
    return bench.flagged[uid]


def _since(arrivals: Arrivals, start_ns: int) -> tuple[list[int], int, int]:
    """The latencies of the streams that got the event, the number that did
    not, and the first-to-last spread."""
    got = [a for a in arrivals.streams if a is not None]
    spread = max(got) - min(got) if got else 0
    return [a - start_ns for a in got], len(arrivals.streams) - len(got), spread


def app_action_round(bench: Bench) -> tuple[Arrivals, int, int]:
    """One flag toggle by Claire: (arrivals, POST start, POST end)."""
    uid = bench.targets.app_uid
    flagged = _toggle(bench, uid)
    bench.fleet.expect(
        FlagsMatch(FOLDER, uid, flagged, "claire"), idle=False, timeout=ROUND_TIMEOUT
    )
    path = f"/folders/{FOLDER}/messages/{uid}/flagged"
    answer = bench.claire.post_action(path, {"flagged": "1" if flagged else "0"})
    if answer.status != 303:
        raise RuntimeError(f"POST {path} answered HTTP {answer.status}")
    return bench.fleet.arrivals(), answer.started_ns, answer.finished_ns


def other_client_round(bench: Bench, timeout: float = ROUND_TIMEOUT) -> tuple[Arrivals, int, int]:
    """One flag toggle by the other IMAP client: (arrivals, STORE start, tagged OK)."""
    uid = bench.targets.other_uid
    flagged = _toggle(bench, uid)
    bench.fleet.expect(FlagsMatch(FOLDER, uid, flagged, None), idle=True, timeout=timeout)
    started = time.monotonic_ns()
    if flagged:
        bench.thunderbird.add_flags([uid], [FLAGGED])
    else:
        bench.thunderbird.remove_flags([uid], [FLAGGED])
    ok = time.monotonic_ns()
    return bench.fleet.arrivals(), started, ok


def wait_until_watching(bench: Bench) -> None:
    """Toggle from the other client until a change reaches the stream: the
    watcher then runs and the folder's cache is built. A change made before
    the watcher's first sync is absorbed by it without an event, so this
    repeats, up to WATCH_READY_TIMEOUT."""
    deadline = time.monotonic() + WATCH_READY_TIMEOUT
    while time.monotonic() < deadline:
        arrivals, _, _ = other_client_round(bench, timeout=3.0)
        if all(a is not None for a in arrivals.streams):
            return
    raise RuntimeError(f"no change from another client reached a stream in {WATCH_READY_TIMEOUT} s")


def _unexpected(
    before: dict[tuple[int, str | None], int],
    after: dict[tuple[int, str | None], int],
    expected: dict[tuple[int, str | None], int],
) -> int:
    """`flags` events received beyond `expected`, counted per (uid, actor)
    over the keys of `expected` (other messages' events are not judged)."""
    uids = {uid for uid, _ in expected}
    extra = 0
    for key in {k for k in after if k[0] in uids}:
        got = after.get(key, 0) - before.get(key, 0)
        extra += max(0, got - expected.get(key, 0))
    return extra


def measure_app_action(bench: Bench, options: Options) -> AppActionResult:
    bench.fleet.await_quiet(QUIET_SECONDS)
    before = bench.fleet.tally()
    posts, events, spreads, misses, busiest, busy = [], [], [], 0, 0, 0
    for index in range(options.warmup + options.rounds):
        arrivals, started, finished = app_action_round(bench)
        if index >= options.warmup:
            latencies, missed, spread = _since(arrivals, started)
            posts.append(finished - started)
            events += latencies
            spreads.append(spread)
            misses += missed
            busiest = max(busiest, arrivals.busiest_ns)
            busy = max(busy, arrivals.busy_total_ns)
        _pace(started, options.interval)
    uid, total = bench.targets.app_uid, options.warmup + options.rounds
    # The app's own change must reach each stream once, and its IDLE echo never.
    expected: dict[tuple[int, str | None], int] = {
        (uid, "claire"): total * bench.fleet.size,
        (uid, None): 0,
    }
    extra = _unexpected(before, bench.fleet.tally(), expected)
    floor = measure_store_floor(bench, options)
    return AppActionResult(
        streams=bench.fleet.size,
        rounds=options.rounds,
        post=Summary.of_ns(posts),
        event=Summary.of_ns(events),
        spread=Summary.of_ns(spreads),
        floor=Summary.of_ns(floor),
        misses=misses,
        unexpected_events=extra,
        client_busiest_ms=busiest / 1e6,
        client_busy_ms=busy / 1e6,
    )


def measure_store_floor(bench: Bench, options: Options) -> list[int]:
    """Raw `UID STORE ±FLAGS.SILENT` round trips, paced like (a)'s rounds."""
    samples = []
    for index in range(options.warmup + options.rounds):
        started = time.monotonic_ns()
        rtt = bench.raw.timed_flag_store(
            bench.targets.floor_uid, _toggle(bench, bench.targets.floor_uid)
        )
        if index >= options.warmup:
            samples.append(rtt)
        _pace(started, options.interval)
    return samples


def measure_other_client(bench: Bench, options: Options) -> OtherClientResult:
    bench.fleet.await_quiet(QUIET_SECONDS)
    before = bench.fleet.tally()
    stores, floor, events, spreads = [], [], [], []
    misses = silent = floor_misses = busiest = busy = 0
    for index in range(options.warmup + options.rounds):
        arrivals, started, ok = other_client_round(bench)
        if index >= options.warmup:
            latencies, missed, spread = _since(arrivals, ok)
            stores.append(ok - started)
            events += latencies
            spreads.append(spread)
            misses += missed
            busiest = max(busiest, arrivals.busiest_ns)
            busy = max(busy, arrivals.busy_total_ns)
            if arrivals.idle is None:
                floor_misses += 1
            else:
                floor.append(arrivals.idle - ok)
                # The server pushed it, yet the app published nothing in time.
                silent += not latencies
        _pace(started, options.interval)
    uid, total = bench.targets.other_uid, options.warmup + options.rounds
    expected: dict[tuple[int, str | None], int] = {(uid, None): total * bench.fleet.size}
    extra = _unexpected(before, bench.fleet.tally(), expected)
    return OtherClientResult(
        streams=bench.fleet.size,
        rounds=options.rounds,
        store=Summary.of_ns(stores),
        floor=Summary.of_ns(floor),
        event=Summary.of_ns(events),
        spread=Summary.of_ns(spreads),
        misses=misses,
        silent_rounds=silent,
        floor_misses=floor_misses,
        unexpected_events=extra,
        client_busiest_ms=busiest / 1e6,
        client_busy_ms=busy / 1e6,
    )


def run(
    options: Options, say: Callable[[str], None]
) -> tuple[list[AppActionResult], list[OtherClientResult]]:
    actions: list[AppActionResult] = []
    others: list[OtherClientResult] = []
    with (
        tempfile.TemporaryDirectory(prefix="tib-") as tmp,
        running_bench(options, Path(tmp)) as bench,
    ):
        for count in options.streams:
            say(f"opening streams: {count}")
            # Streams only ever get added: a closed one would linger on the
            # server until its next keep-alive write fails (up to 2 x 15 s).
            bench.fleet.open_streams(bench.target(), count)
            if options.live and not actions:
                say("waiting for the watcher to hear a first change")
                wait_until_watching(bench)
            say(f"{count} streams: (a) app action, then the raw STORE floor")
            actions.append(measure_app_action(bench, options))
            if options.live:
                say(f"{count} streams: (b) another IMAP client, beside the IDLE floor")
                others.append(measure_other_client(bench, options))
    return actions, others


# --- reporting -------------------------------------------------------------


def machine() -> dict[str, Any]:
    dovecot = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin")
    version = "unknown"
    if dovecot:
        version = subprocess.run(  # noqa: S603 - a fixed argument list
            [dovecot, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "dovecot": version,
        "werkzeug": importlib.metadata.version("werkzeug"),
        "imapclient": importlib.metadata.version("imapclient"),
    }


def print_report(
    meta: dict[str, Any], actions: Sequence[AppActionResult], others: Sequence[OtherClientResult]
) -> None:
    lines = [
        f"command: {meta['command']}",
        f"date: {meta['date']}  machine: {json.dumps(meta['machine'])}",
        f"server: {SERVER_KIND}; SQLite, in-process bus",
        f"rounds: {meta['rounds']} measured after {meta['warmup']} warm-up, "
        f"{meta['interval']} s apart; times in ms",
        "",
        "(a) Claire flags in the app → `flags` event at each of Alice's streams",
        "    (from just before the POST; floor = raw UID STORE round trip, same run)",
        *action_table(actions),
        "    * the issue's target is stated for 200 streams",
        "",
        "(b) another IMAP client's UID STORE (tagged OK) → event at each stream",
        "    (floor = the same OK → untagged FETCH on a raw IDLE connection, same run)",
        *(other_client_table(others) if others else ["    not run (--no-watcher)"]),
        "",
        "stream reader's own cost, worst round (ms): longest busy stretch / total busy",
        *(
            f"    {label} {r.streams} streams: {r.client_busiest_ms:.1f} / {r.client_busy_ms:.1f}"
            for label, results in (("(a)", actions), ("(b)", others))
            for r in results
        ),
    ]
    print("\n".join(lines))


def _stop_on_sigterm() -> None:
    """A `kill` cleans up as Ctrl-C does."""

    def stop(_signum: int, _frame: object) -> NoReturn:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, stop)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options = parse_options(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # One line per request on stderr would only measure the terminal.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _stop_on_sigterm()
    meta = {
        "command": " ".join([".venv/bin/python -m bench.live_latency", *argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "server": SERVER_KIND,
        "rounds": options.rounds,
        "warmup": options.warmup,
        "interval": options.interval,
    }

    def say(text: str) -> None:
        print(f"… {text}", file=sys.stderr, flush=True)

    try:
        actions, others = run(options, say)
    except KeyboardInterrupt:
        say("interrupted; everything was stopped")
        return 130
    print_report(meta, actions, others)
    if options.json_path is not None:
        report = as_json(meta, actions, others)
        options.json_path.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
