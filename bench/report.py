"""Percentiles, the targets of issue 4, and the printed table.

Latencies are kept in nanoseconds while measuring and shown in
milliseconds. Percentiles interpolate linearly between the two nearest
ranks (NumPy's default), so p99 of 30 samples sits just under the maximum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

# Issue 4, "Tests and measurements" (the (a) target is stated at 200 streams).
ACTION_P50_MS = 30.0
ACTION_P99_MS = 100.0
OTHER_CLIENT_P50_OVER_FLOOR_MS = 50.0
OTHER_CLIENT_P99_OVER_FLOOR_MS = 150.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of `values`, interpolated; NaN if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """p50, p99 and max of some samples, in milliseconds."""

    count: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of_ns(cls, samples_ns: Sequence[int]) -> Summary:
        ms = [s / 1e6 for s in samples_ns]
        return cls(len(ms), percentile(ms, 50), percentile(ms, 99), max(ms, default=math.nan))


@dataclass(frozen=True)
class AppActionResult:
    """(a) Claire's flag toggle in the app → the `flags` event at each stream.

    `floor` is a raw `UID STORE` round trip on the same server in the same
    run: the part of the latency the IMAP server itself imposes.
    """

    streams: int
    rounds: int
    post: Summary  # the POST's own round trip, connect to last byte
    event: Summary  # just before the POST → event at a stream, all (round x stream)
    spread: Summary  # first → last stream of one round, per round
    floor: Summary
    misses: int
    unexpected_events: int  # e.g. the app's own change published again at its IDLE echo
    client_busiest_ms: float  # the stream reader's longest busy stretch (stamp lateness bound)
    client_busy_ms: float  # the reader's working time in its busiest round

    @property
    def ratio_p50(self) -> float:
        return self.event.p50 / self.floor.p50

    @property
    def ratio_p99(self) -> float:
        return self.event.p99 / self.floor.p99

    @property
    def target_met(self) -> bool:
        return (
            self.misses == 0 and self.event.p50 <= ACTION_P50_MS and self.event.p99 <= ACTION_P99_MS
        )


@dataclass(frozen=True)
class OtherClientResult:
    """(b) Another IMAP client's `UID STORE` (tagged OK) → the event at each
    stream, beside the same STORE's push to a raw IDLE connection (floor)."""

    streams: int
    rounds: int
    store: Summary  # the imapclient STORE's own round trip
    floor: Summary  # tagged OK → untagged FETCH on the IDLE connection
    event: Summary  # tagged OK → event at a stream, all (round x stream)
    spread: Summary
    misses: int
    silent_rounds: int  # rounds that reached no stream although the server pushed them
    floor_misses: int
    unexpected_events: int
    client_busiest_ms: float
    client_busy_ms: float

    @property
    def delta_p50(self) -> float:
        return self.event.p50 - self.floor.p50

    @property
    def delta_p99(self) -> float:
        return self.event.p99 - self.floor.p99

    @property
    def target_met(self) -> bool:
        return (
            self.misses == 0
            and self.delta_p50 <= OTHER_CLIENT_P50_OVER_FLOOR_MS
            and self.delta_p99 <= OTHER_CLIENT_P99_OVER_FLOOR_MS
        )


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def _pair(summary: Summary) -> str:
    return f"{_ms(summary.p50)} / {_ms(summary.p99)}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return lines


def action_table(results: Sequence[AppActionResult]) -> list[str]:
    header = (
        "streams",
        "POST rtt p50/p99",
        "event p50/p99",
        "raw STORE floor p50/p99",
        "ratio p50 (p99)",
        "fan-out spread p50",
        "misses",
        "extra",
        "target (≤30/≤100 ms)",
    )
    rows = [
        (
            str(r.streams),
            _pair(r.post),
            _pair(r.event),
            _pair(r.floor),
            f"{r.ratio_p50:.0f}x ({r.ratio_p99:.0f}x)",
            _ms(r.spread.p50),
            str(r.misses),
            str(r.unexpected_events),
            ("met" if r.target_met else "NOT met") + ("" if r.streams == 200 else " *"),
        )
        for r in results
    ]
    return _table(header, rows)


def other_client_table(results: Sequence[OtherClientResult]) -> list[str]:
    header = (
        "streams",
        "STORE rtt p50/p99",
        "IDLE floor p50/p99",
        "event p50/p99",
        "Δ p50 / Δ p99",
        "fan-out spread p50",
        "misses (silent rounds; floor)",
        "extra",
        "target (Δ ≤50/≤150 ms)",
    )
    rows = [
        (
            str(r.streams),
            _pair(r.store),
            _pair(r.floor),
            _pair(r.event),
            f"+{_ms(r.delta_p50)} / +{_ms(r.delta_p99)}",
            _ms(r.spread.p50),
            f"{r.misses} ({r.silent_rounds}; {r.floor_misses})",
            str(r.unexpected_events),
            "met" if r.target_met else "NOT met",
        )
        for r in results
    ]
    return _table(header, rows)


def as_json(
    meta: dict[str, Any],
    actions: Sequence[AppActionResult],
    others: Sequence[OtherClientResult],
) -> dict[str, Any]:
    """Everything printed, plus derived figures, for `--json`."""

    def with_derived(result: AppActionResult | OtherClientResult) -> dict[str, Any]:
        data = asdict(result)
        if isinstance(result, AppActionResult):
            data.update(ratio_p50=result.ratio_p50, ratio_p99=result.ratio_p99)
        else:
            data.update(delta_p50_ms=result.delta_p50, delta_p99_ms=result.delta_p99)
        data["target_met"] = result.target_met
        return data

    return {
        **meta,
        "app_action": [with_derived(r) for r in actions],
        "other_client": [with_derived(r) for r in others],
    }
