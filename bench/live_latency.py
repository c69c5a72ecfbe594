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
import importlib.metadata
import json
import logging
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from bench.report import (
    AppActionResult,
    OtherClientResult,
    action_table,
    as_json,
    other_client_table,
)
from bench.rounds import measure_app_action, measure_other_client, wait_until_watching
from bench.testbed import SERVER_KIND, Options, running_bench


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
