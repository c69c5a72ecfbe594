"""The "see it for yourself" POP3 demonstration, run in the background.

The second login can wait about 10 s on a server that locks the maildrop:
a web worker must not wait with it. A run goes in a thread; the page polls
its transcript by an unguessable token. One run at a time per process:
asking again while one runs joins it, so that repeated clicks never stack
POP3 connections against the server's per-user cap.

Runs live in this process's memory, for RUN_KEEP_SECONDS: behind several
processes the poll must reach the same one (sticky sessions), else the page
says the demonstration is no longer available.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass

from teaminbox.pop3 import Outcome, Pop3Settings, Transcript, demonstrate_two_sessions

log = logging.getLogger(__name__)

# Seconds a finished run's transcript stays available to its page.
RUN_KEEP_SECONDS = 600.0


@dataclass
class _Run:
    started: float
    transcript: Transcript
    done: bool = False


class Demonstrations:
    """The runs of one process. Thread-safe."""

    def __init__(self, settings: Pop3Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}

    def start(self) -> str:
        """Start a run (or join the one running) and return its token."""
        with self._lock:
            self._forget_old()
            for token, run in self._runs.items():
                if not run.done:
                    return token
            token = secrets.token_urlsafe(16)
            self._runs[token] = _Run(time.monotonic(), Transcript())
        thread = threading.Thread(
            target=self._run, args=(token,), name="pop3-demonstration", daemon=True
        )
        thread.start()
        return token

    def transcript(self, token: str) -> tuple[Transcript, bool] | None:
        """The run's transcript so far and whether it is over; None if unknown."""
        with self._lock:
            run = self._runs.get(token)
            return None if run is None else (run.transcript, run.done)

    def _run(self, token: str) -> None:
        def report(transcript: Transcript) -> None:
            with self._lock:
                self._runs[token].transcript = transcript

        try:
            final = demonstrate_two_sessions(self._settings, report)
        except Exception as exc:  # a thread's error would vanish unseen
            log.exception("the POP3 demonstration failed")
            final = Transcript(outcome=Outcome.FAILED, error=str(exc))
        with self._lock:
            run = self._runs[token]
            run.transcript, run.done = final, True

    def _forget_old(self) -> None:
        limit = time.monotonic() - RUN_KEEP_SECONDS
        for token in [t for t, run in self._runs.items() if run.done and run.started < limit]:
            del self._runs[token]
