"""The measurements: rounds of one change each, paced apart, timed from
the change to its `flags` event at every stream, beside the IMAP server's
own floor measured the same way in the same run.
"""

from __future__ import annotations

import time

from bench.imap_raw import FLAGGED
from bench.report import AppActionResult, OtherClientResult, Summary
from bench.sse_fleet import Arrivals, FlagsMatch
from bench.testbed import FOLDER, Bench, Options

# Seconds a round may take before its missing arrivals count as misses.
ROUND_TIMEOUT = 5.0
# A phase starts once no `flags` event came for this long: longer than the
# push delay, and than the window in which Dovecot pushes the next change at once.
QUIET_SECONDS = 1.5
# How long the app may take to start watching and hear a first change.
WATCH_READY_TIMEOUT = 60.0


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
