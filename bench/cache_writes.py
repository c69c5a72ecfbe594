"""The database's share of a catch-up, alone: `cache.set_flags` of N rows
spread over the folder, then the commit, in a header cache of 10k and of
100k rows (SQLite, as embedded). No IMAP: it shows how the cache's own
writes grow with the folder (issue 7, figure 3).

    .venv/bin/python -m bench.cache_writes [--sizes 10000,100000] [--changes 1000] [--runs 9]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.report import percentile
from teaminbox.domain import MessageHeader, Person, StoredFlags
from teaminbox.store import cache, migrate
from teaminbox.store.db import Database

FOLDER = "Office"


def header(uid: int) -> MessageHeader:
    """A row of about the bench mailbox's size."""
    return MessageHeader(
        uid=uid,
        flags=("\\Seen",) if uid % 7 else (),
        subject=f"Re: Demande de devis n°{uid} pour la rénovation du bureau",
        sender=Person("Zoé Dupré", f"zoe.dupre{uid % 500}@exemple.fr"),
        recipients=(Person("Contact", "contact@office.test"),),
        date=datetime(2026, 1, 1, tzinfo=UTC),
        size=16_000,
        message_id=f"<{uid}.{uid * 7919}@exemple.fr>",
    )


def measure(size: int, changes: int, runs: int, root: Path) -> list[float]:
    """ms per catch-up write of `changes` rows, `runs` times."""
    database = Database(f"sqlite:///{root / f'cache-{size}.db'}")
    migrate.upgrade(database)
    with database.session() as session:
        state = cache.save_version(session, FOLDER, 1, size + 1, 1)
        cache.fill_folder(session, state, (header(uid) for uid in range(1, size + 1)))
        session.commit()
    chosen = random.Random(size)  # noqa: S311 - a repeatable spread, not a secret
    samples = []
    for run in range(1, runs + 1):
        uids = chosen.sample(range(1, size + 1), changes)
        flags = {uid: StoredFlags(("$Label1", "\\Seen"), modseq=10 * run) for uid in uids}
        started = time.perf_counter_ns()
        with database.session() as session:
            cached = cache.folder_state(session, FOLDER)
            assert cached is not None
            cache.set_flags(session, cached, flags)
            session.commit()
        samples.append((time.perf_counter_ns() - started) / 1e6)
        database.checkpoint()  # as the watcher does once it has published
    database.dispose()
    return samples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="rows in the cached folder")
    parser.add_argument("--changes", type=int, default=1000, help="rows changed per catch-up")
    parser.add_argument("--runs", type=int, default=9, help="catch-ups per size")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tis-cache-") as tmp:
        for size in (int(n) for n in args.sizes.split(",")):
            samples = measure(size, args.changes, args.runs, Path(tmp))
            print(
                f"{size:>7} rows, {args.changes} changed: "
                f"{percentile(samples, 50):.1f} / {percentile(samples, 95):.1f} ms (median / p95)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
