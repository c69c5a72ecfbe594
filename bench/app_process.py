"""The app in a process of its own, so that its memory and CPU are its own.

    python -m bench.app_process HOST PORT USER PASSWORD INSTANCE_DIR

serves the app (SQLite under INSTANCE_DIR, LIVE_UPDATES on, as embedded by
default) with werkzeug's threaded server on a free port, prints the port,
and runs until its stdin closes. `AppProcess` starts it and reads its
memory from /proc: the peak (VmHWM) can be reset by writing 5 to
clear_refs, so the growth of one request is measurable.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable


class AppProcess:
    """A running app process: its port, pid and memory."""

    def __init__(self, host: str, port: int, user: str, password: str, instance: Path) -> None:
        self.instance = instance
        self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [PYTHON, "-m", "bench.app_process", host, str(port), user, password, str(instance)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.close()
            raise RuntimeError(f"the app process did not start: {line!r}")
        self.port = int(line)

    def memory_kib(self, field: str = "VmRSS") -> int:
        """VmRSS (now) or VmHWM (peak since start or the last reset), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"no {field} for process {self.process.pid}")

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def cached_messages(self, folder: str) -> int:
        """How many rows the app's header cache holds for `folder` so far."""
        try:
            with sqlite3.connect(f"file:{self.instance / 'teaminbox.db'}?mode=ro", uri=True) as db:
                row = db.execute(
                    "SELECT count(*) FROM message_cache m JOIN folder_state f"
                    " ON m.folder_id = f.id WHERE f.name = ?",
                    (folder,),
                ).fetchone()
        except sqlite3.OperationalError:
            return 0  # locked or not migrated yet
        return int(row[0])

    def wait_cached(self, folder: str, count: int, timeout: float) -> float:
        """Seconds until the cache holds `count` rows of `folder`."""
        start = time.monotonic()
        while self.cached_messages(folder) < count:
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"{folder} not cached after {timeout} s")
            time.sleep(0.25)
        return time.monotonic() - start

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main(argv: list[str]) -> int:
    import logging

    from bench.testbed import build_app, served
    from teaminbox import close_app
    from teaminbox.demo.dovecot import DovecotServer

    host, port, user, password, instance = argv
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    root = Path(instance)
    root.mkdir(parents=True, exist_ok=True)
    server = DovecotServer(root, host, int(port), 0, user, password, root, root)
    app = build_app(server, root, live=True)
    try:
        with served(app) as http_port:
            print(http_port, flush=True)
            sys.stdin.read()  # until the parent closes it (or dies)
    finally:
        close_app(app)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
