"""The live path at office scale and beyond, beside the IMAP server's floor (issue 7).

    .venv/bin/python -m bench.scale [--sizes 10000,100000] [--runs 5] [--json PATH]
                                    [--only catch-up|first-page]

The mailbox is made once under bench/.data (see mailgen.py) and reused. In
one run, for a folder of each size, with the raw-socket floor measured in
the same run on the same server:

1. cold first sync of the folder into an empty cache (`services.sync.
   sync_folder` in this process, SQLite, as the app's watcher runs it: a
   pool of the default 3 connections and a helper process for the second
   half) — floor: `UID FETCH 1:* (ENVELOPE FLAGS INTERNALDATE
   RFC822.SIZE)`;
2. first page over HTTP (GET /folders/F, the whole page), cold (the first
   request of a freshly started app, whose watcher is filling the cache)
   and warm — floor: the 50 envelopes of that page (and, beside it, SELECT
   + SORT + those envelopes);
3. catch-up after 1, 100 and 1,000 changed messages spread evenly over the
   folder, and after a change of the latest 1,000 (`sync_folder` on a
   cached folder) — floor: SELECT + `UID FETCH 1:* (FLAGS) (CHANGEDSINCE m
   VANISHED)`, and beside it the database's: the same rows rewritten by one
   UPDATE run and committed;
5. opening a message with a 20 MB attachment: time, and the growth of the
   app process's peak RSS (VmHWM reset before each request);
6. the app process's peak RSS with the whole mailbox cached, then with 200
   open /events streams.

(4), flag propagation, is bench.live_latency.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import floors
from bench.app_process import AppProcess
from bench.floors import RawBulk
from bench.imap_raw import quoted
from bench.live_latency import machine
from bench.mailgen import ATTACHMENT_FOLDER, Mailbox, ensure_mailbox, recorded_generation
from bench.report import percentile
from bench.sse_fleet import Fleet, StreamTarget
from bench.testbed import PASSWORD
from bench.web_client import USER_AGENT, WebClient
from teaminbox.demo.dovecot import stop_dovecot
from teaminbox.imap.connection import open_connection
from teaminbox.imap.pool import ConnectionPool
from teaminbox.imap.wire import uid_ranges
from teaminbox.services import folder_fill
from teaminbox.services.sync import sync_folder
from teaminbox.store import cache, migrate
from teaminbox.store.db import Database

Say = Callable[[str], None]
# Catch-ups: (how many messages changed, whether they are the latest ones
# rather than spread evenly over the folder).
CHANGES = ((1, False), (100, False), (1000, False), (1000, True))
WARM_PAGES = 30
# Pages asked while the watcher still fills the cache, after each cold one.
PAGES_DURING_FILL = 5
STREAMS = 200
# The app's pool at the default IMAP_MAX_CONNECTIONS (4, one for the watcher).
APP_POOL = 3


@dataclass
class Figures:
    """Samples in ms (or KiB), by name; printed as median and p95."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.samples.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return percentile(self.samples.get(name, []), 50)

    def p95(self, name: str) -> float:
        return percentile(self.samples.get(name, []), 95)


def _ms(ns: int) -> float:
    return ns / 1e6


def cold_sync(mailbox: Mailbox, folder: str, tmp: Path) -> tuple[float, Database]:
    """One first sync into an empty SQLite cache: ms, and the database."""
    path = tmp / f"cold-{folder}-{time.monotonic_ns()}.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    settings = mailbox.server.imap_settings
    pool = ConnectionPool(lambda: open_connection(settings), size=APP_POOL)
    try:
        with pool.borrow():
            pass  # logged in before the clock starts, as a running app is
        with database.session() as session:
            start = time.monotonic_ns()
            sync_folder(pool, session, folder, helper=settings)
            session.commit()
            elapsed = time.monotonic_ns() - start
    finally:
        pool.close()
    return _ms(elapsed), database


def catch_up(
    mailbox: Mailbox,
    raw: RawBulk,
    size: int,
    changes: tuple[int, bool],
    runs: int,
    database: Database,
    figures: Figures,
) -> None:
    """`runs` times: another client adds (or removes) a keyword on `count`
    messages, spread over the folder or the latest; then the floor, then
    the app's sync."""
    folder = mailbox.folders[size]
    count, latest = changes
    everything = all_uids(raw, folder)
    step = max(1, len(everything) // count)
    uids = everything[-count:] if latest else everything[::step][:count]
    label = _catch_up_label(changes)
    keyword = f"$Bench{count}{'Latest' if latest else ''}"
    pool = ConnectionPool(lambda: open_connection(mailbox.server.imap_settings), size=1)
    try:
        with pool.borrow():
            pass
        # Start from none of them marked, whatever an earlier run left.
        raw.command(f"SELECT {quoted(folder)}")
        raw.command(f"UID STORE {uid_ranges(uids)} -FLAGS.SILENT ({keyword})")
        raw.command("UNSELECT")
        with database.session() as session:
            sync_folder(pool, session, folder)
            session.commit()
        for run in range(runs):
            with database.session() as session:
                state = cache.folder_state(session, folder)
                assert state is not None and state.highestmodseq is not None
                folder_id, modseq = state.id, state.highestmodseq
            sign = "+" if run % 2 == 0 else "-"
            raw.command(f"SELECT {quoted(folder)}")
            raw.command(f"UID STORE {uid_ranges(uids)} {sign}FLAGS.SILENT ({keyword})")
            raw.command("UNSELECT")
            floor = floors.changed_since(raw, folder, modseq)
            figures.add(f"floor catch-up {label} at {size}", _ms(floor))
            with database.session() as session:
                start = time.monotonic_ns()
                events = sync_folder(pool, session, folder)
                session.commit()
                figures.add(f"catch-up {label} at {size}", _ms(time.monotonic_ns() - start))
            database.checkpoint()  # as the supervisor does once it has published
            if len(events) != count:  # shown in the JSON; none so far
                figures.add(f"wrong event count {label} at {size}", len(events))
        # After the app's runs, not between them: each rewrite fills the WAL
        # that the app's next commit would then checkpoint.
        for run in range(runs):
            rewrite = floors.rewrite_rows(database, folder_id, uids, mark=run % 2 == 0)
            figures.add(f"db floor catch-up {label} at {size}", _ms(rewrite))
            database.checkpoint()
        if runs % 2:
            floors.rewrite_rows(database, folder_id, uids, mark=False)  # as the app left them
    finally:
        pool.close()


def _catch_up_label(changes: tuple[int, bool]) -> str:
    count, latest = changes
    return f"{count} latest" if latest else str(count)


def all_uids(raw: RawBulk, folder: str) -> list[int]:
    raw.command(f"EXAMINE {quoted(folder)}")
    line = next(x for x in raw.command("UID SEARCH ALL") if x.startswith(b"* SEARCH"))
    raw.command("UNSELECT")
    return [int(u) for u in line.split()[2:]]


def start_app(mailbox: Mailbox, tmp: Path) -> tuple[AppProcess, WebClient]:
    server = mailbox.server
    instance = tmp / f"app-{time.monotonic_ns()}"
    app = AppProcess(server.host, server.imap_port, server.user, server.password, instance)
    web = WebClient("127.0.0.1", app.port)
    web.log_in("claire", PASSWORD)
    return app, web


def get_page(web: WebClient, folder: str) -> float:
    answer = web.request("GET", f"/folders/{folder}")
    if answer.status != 200:
        raise RuntimeError(f"GET /folders/{folder} answered HTTP {answer.status}")
    return _ms(answer.elapsed_ns)


def run(
    sizes: Sequence[int], runs: int, say: Say, only: str | None = None
) -> tuple[Mailbox, Figures]:
    """Every measurement (with `only="catch-up"`, (3) after one cold sync;
    with `only="first-page"`, (2) cold and during the fill, beside the
    floor); the kept Dovecot is stopped at the end (its mail stays)."""
    figures = Figures()
    folder_fill.prepare()  # as in a process that cached a big folder before (a first waits ~1 s)
    mailbox = ensure_mailbox(tuple(sizes), say)
    with contextlib.ExitStack() as stack:
        stack.callback(stop_dovecot, mailbox.server)
        raw = RawBulk(mailbox.server.host, mailbox.server.imap_port, timeout=600)
        stack.callback(raw.close)
        raw.log_in(mailbox.server.user, mailbox.server.password)
        raw.command("ENABLE QRESYNC")
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tis-")))
        if only == "first-page":
            for size in sizes:
                folder = mailbox.folders[size]
                uids = floors.page_uids(raw, folder)
                for _ in range(WARM_PAGES):
                    measure_page_floor(raw, folder, uids, size, figures)
            measure_cold_pages(mailbox, sizes, runs, tmp, figures, say)
            return mailbox, figures
        for size in sizes:
            cold_runs = 1 if only == "catch-up" else runs
            measure_syncs(mailbox, raw, size, runs, tmp, figures, say, cold_runs)
        if only is None:
            measure_cold_pages(mailbox, sizes, runs, tmp, figures, say)
            measure_warm_app(mailbox, raw, sizes, runs, tmp, figures, say)
    return mailbox, figures


def measure_syncs(
    mailbox: Mailbox,
    raw: RawBulk,
    size: int,
    runs: int,
    tmp: Path,
    figures: Figures,
    say: Say,
    cold_runs: int,
) -> None:
    """(1) `cold_runs` cold syncs beside the full fetch, then (3) catch-ups
    on the last cache."""
    folder = mailbox.folders[size]
    say(f"{folder}: warm-up fetch (the server's own cache)")
    floors.full_envelope_fetch(raw, folder)
    database: Database | None = None
    for run_index in range(cold_runs):
        say(f"{folder}: cold sync {run_index + 1}/{cold_runs}")
        figures.add(f"floor full fetch {size}", _ms(floors.full_envelope_fetch(raw, folder)))
        elapsed, fresh = cold_sync(mailbox, folder, tmp)
        figures.add(f"cold sync {size}", elapsed)
        if database is not None:
            database.dispose()
        database = fresh
    assert database is not None
    for changes in CHANGES:
        say(f"{folder}: catch-up of {_catch_up_label(changes)} changes")
        catch_up(mailbox, raw, size, changes, runs, database, figures)
    database.dispose()


def measure_cold_pages(
    mailbox: Mailbox, sizes: Sequence[int], runs: int, tmp: Path, figures: Figures, say: Say
) -> None:
    """(2) cold: the first page asked of a freshly started app, whose watcher
    has just begun to fill the cache of the whole mailbox; then more pages
    while the fill goes on (the process's one-time costs paid)."""
    for size in sizes:
        folder = mailbox.folders[size]
        for run_index in range(runs):
            say(f"{folder}: cold first page {run_index + 1}/{runs}")
            app, web = start_app(mailbox, tmp)
            try:
                figures.add(f"cold page {size}", get_page(web, folder))
                for _ in range(PAGES_DURING_FILL):
                    time.sleep(0.2)
                    if app.cached_messages(folder) >= size:
                        break
                    figures.add(f"filling page {size}", get_page(web, folder))
            finally:
                app.close()


def measure_warm_app(
    mailbox: Mailbox,
    raw: RawBulk,
    sizes: Sequence[int],
    runs: int,
    tmp: Path,
    figures: Figures,
    say: Say,
) -> None:
    """(6) the peak RSS of filling the cache, (2) warm pages, (5) opening the
    big message, (6) the RSS with 200 streams: one app, once its cache is full."""
    say("a fresh app: waiting for its watcher to cache the whole mailbox")
    app, web = start_app(mailbox, tmp)
    try:
        started = time.monotonic()
        for size in sizes:
            app.wait_cached(mailbox.folders[size], size, timeout=900)
        figures.values["app cache fill s"] = time.monotonic() - started
        figures.values["peak rss cache fill KiB"] = app.memory_kib("VmHWM")
        for size in sizes:
            folder = mailbox.folders[size]
            uids = floors.page_uids(raw, folder)
            say(f"{folder}: warm first page x{WARM_PAGES}")
            for _ in range(WARM_PAGES):
                measure_page_floor(raw, folder, uids, size, figures)
                figures.add(f"warm page {size}", get_page(web, folder))
        say("opening the 20 MB-attachment message")
        measure_open(mailbox, raw, app, web, runs, figures)
        figures.values["rss cached KiB"] = app.memory_kib("VmRSS")
        say(f"opening {STREAMS} event streams")
        fleet = Fleet()
        try:
            headers = (("User-Agent", USER_AGENT), ("Cookie", web.cookie_header()))
            fleet.open_streams(StreamTarget("127.0.0.1", app.port, "/events", headers), STREAMS)
            time.sleep(2)
            figures.values["rss streams KiB"] = app.memory_kib("VmRSS")
            figures.values["peak rss streams KiB"] = app.memory_kib("VmHWM")
        finally:
            fleet.close()
    finally:
        app.close()


def measure_page_floor(
    raw: RawBulk, folder: str, uids: list[int], size: int, figures: Figures
) -> None:
    """(2)'s floor: the raw fetch of the page's 50 envelopes (and with the
    SELECT and SORT a client without a cache would need)."""
    fetch, whole = floors.page_fetch(raw, folder, uids)
    figures.add(f"floor page {size}", _ms(fetch))
    figures.add(f"floor select+sort+page {size}", _ms(whole))


def measure_open(
    mailbox: Mailbox, raw: RawBulk, app: AppProcess, web: WebClient, runs: int, figures: Figures
) -> None:
    """(5) the message page of the 20 MB-attachment message: time, and how
    far the app's peak RSS rose above its RSS before the request."""
    path = f"/folders/{ATTACHMENT_FOLDER}/messages/{mailbox.attachment_uid}"
    for _ in range(runs):
        floor = floors.open_message(raw, ATTACHMENT_FOLDER, mailbox.attachment_uid)
        figures.add("floor open", _ms(floor))
        before = app.memory_kib("VmRSS")
        app.reset_peak()
        answer = web.request("GET", path)
        if answer.status != 200:
            raise RuntimeError(f"GET {path} answered HTTP {answer.status}")
        figures.add("open", _ms(answer.elapsed_ns))
        figures.add("open rss growth KiB", app.memory_kib("VmHWM") - before)


def report(mailbox: Mailbox, sizes: Sequence[int], runs: int, figures: Figures) -> list[str]:
    def pair(name: str) -> str:
        return f"{figures.median(name):.1f} / {figures.p95(name):.1f}"

    def ratio(name: str, floor: str) -> str:
        return f"{figures.median(name) / figures.median(floor):.1f}x"

    lines = [f"runs: {runs} (median / p95 in ms)"]
    generation = recorded_generation()
    for size in sizes:
        folder = mailbox.folders[size]
        lines += [
            "",
            f"== {folder} ({size} messages; generated in {generation.get(folder, 0):.1f} s)",
            f"(1) cold sync        {pair(f'cold sync {size}')}   floor full fetch "
            f"{pair(f'floor full fetch {size}')}   ratio "
            f"{ratio(f'cold sync {size}', f'floor full fetch {size}')}",
            f"(2) cold first page  {pair(f'cold page {size}')}   floor 50 envelopes "
            f"{pair(f'floor page {size}')}   "
            f"(select+sort+50 {pair(f'floor select+sort+page {size}')})",
            f"    during the fill  {pair(f'filling page {size}')}",
            f"    warm first page  {pair(f'warm page {size}')}   ratio "
            f"{ratio(f'warm page {size}', f'floor page {size}')}",
        ]
        for changes in CHANGES:
            label = _catch_up_label(changes)
            lines.append(
                f"(3) catch-up {label:>12}   {pair(f'catch-up {label} at {size}')}   floor "
                f"{pair(f'floor catch-up {label} at {size}')}   ratio "
                f"{ratio(f'catch-up {label} at {size}', f'floor catch-up {label} at {size}')}"
                f"   database floor {pair(f'db floor catch-up {label} at {size}')}"
            )
    lines += [
        "",
        f"(5) open 20 MB-attachment message  {pair('open')}   floor {pair('floor open')}   "
        f"ratio {ratio('open', 'floor open')}",
        f"    peak RSS growth (KiB) median / max  {figures.median('open rss growth KiB'):.0f} / "
        f"{max(figures.samples.get('open rss growth KiB', [0])):.0f}",
        "(6) app process, KiB: " + ", ".join(f"{k} {v:.0f}" for k, v in figures.values.items()),
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="folder sizes")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement")
    parser.add_argument("--json", type=Path, default=None, help="also write the samples here")
    parser.add_argument(
        "--only",
        choices=("catch-up", "first-page"),
        default=None,
        help="measure (3) alone, after one cold sync per size, or (2) cold and during"
        " the fill alone (the others show nan)",
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(n) for n in args.sizes.split(","))

    def say(text: str) -> None:
        print(f"… {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)

    meta: dict[str, Any] = {
        "command": " ".join([".venv/bin/python -m bench.scale", *(argv or sys.argv[1:])]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            **machine(),
            "memory_mib": os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20,
        },
    }
    mailbox, figures = run(sizes, args.runs, say, args.only)
    print(
        f"command: {meta['command']}\ndate: {meta['date']}  machine: {json.dumps(meta['machine'])}"
    )
    print("\n".join(report(mailbox, sizes, args.runs, figures)))
    if args.json is not None:
        data = {**meta, "samples": figures.samples, "values": figures.values}
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
