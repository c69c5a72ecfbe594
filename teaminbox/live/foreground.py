"""The pages a process is serving now, so that a first sync can step aside.

A first sync of a big folder parses for seconds in the sync thread. Python
runs one thread at a time: a page asked meanwhile waited for the
interpreter at each of its many SQL and IMAP calls, and took two to three
times as long (a fresh process's first page at 100k messages: 60-85 ms).
Every PACE_EVERY headers (services/folder_fill.py) the sync now waits while pages
are being read (`Pace`).

It never waits while a write is being served: the sync holds the database's
write lock until it commits, and a write may be waiting for that lock. And
one sync waits, in all, no longer than it has worked: a steady stream of
pages at most doubles its length, and never stops it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

READS = frozenset({"GET", "HEAD"})


class Foreground:
    """The requests being served, reads and writes apart; who waits for
    there to be no read."""

    def __init__(self) -> None:
        self._reads = 0
        self._writes = 0
        self._changed = threading.Condition()

    @property
    def reading(self) -> int:
        return self._reads

    @property
    def writing(self) -> int:
        return self._writes

    def enter(self, *, read: bool) -> None:
        with self._changed:
            if read:
                self._reads += 1
            else:
                self._writes += 1
                self._changed.notify_all()  # a waiting sync must hurry now

    def leave(self, *, read: bool) -> None:
        with self._changed:
            if read:
                self._reads -= 1
            else:
                self._writes -= 1
            self._changed.notify_all()

    def give_way(self, longest: float) -> None:
        """Wait until no read is being served or a write is, or `longest`
        seconds."""
        with self._changed:
            self._changed.wait_for(lambda: not self._reads or self._writes, longest)


class Pace:
    """One sync's `pace` (services/folder_fill.py): give way to the pages being
    read, each time for at most `longest` seconds, and in all for no longer
    than the sync has worked since it began."""

    def __init__(
        self, foreground: Foreground, longest: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._foreground = foreground
        self._longest = longest
        self._clock = clock
        self._began = clock()
        self._waited = 0.0

    def __call__(self) -> None:
        worked = self._clock() - self._began - self._waited
        allowed = min(self._longest, worked - self._waited)
        if allowed <= 0 or not self._foreground.reading:
            return
        start = self._clock()
        self._foreground.give_way(allowed)
        self._waited += self._clock() - start


class CountedRequests:
    """WSGI middleware: each request counts in `foreground`, as a read (GET
    or HEAD) or a write, from the moment the app is called until it returns
    its response (a page's body is made by then; an event stream's is sent
    after, so an open stream does not count)."""

    def __init__(self, app: WSGIApplication, foreground: Foreground) -> None:
        self._app = app
        self._foreground = foreground

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        read = environ.get("REQUEST_METHOD") in READS
        self._foreground.enter(read=read)
        try:
            return self._app(environ, start_response)
        finally:
            self._foreground.leave(read=read)
