"""The pages a process is serving now, so that a first sync can step aside.

A first sync of a big folder parses for seconds in the sync thread. Python
runs one thread at a time: a page asked meanwhile waited for the
interpreter at each of its many SQL and IMAP calls, and took two to three
times as long (a fresh process's first page at 100k messages: 60-85 ms).
Every 50 headers the sync now waits while pages are being served, for a
bounded time, so that a stream of pages slows it but never stops it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

READS = frozenset({"GET", "HEAD"})


class Foreground:
    """How many requests are being served; who waits for there to be none."""

    def __init__(self) -> None:
        self._serving = 0
        self._idle = threading.Condition()

    @property
    def serving(self) -> int:
        return self._serving

    def enter(self) -> None:
        with self._idle:
            self._serving += 1

    def leave(self) -> None:
        with self._idle:
            self._serving -= 1
            if not self._serving:
                self._idle.notify_all()

    def give_way(self, longest: float) -> None:
        """Wait until no request is being served, or `longest` seconds."""
        with self._idle:
            self._idle.wait_for(lambda: not self._serving, longest)


class CountedRequests:
    """WSGI middleware: each read (GET or HEAD) counts in `foreground` from
    the moment the app is called until it returns its response (a page's
    body is made by then; an event stream's is sent after, so an open stream
    does not count). A write does not count: it may wait for the database
    lock the fill holds, and the fill must not wait for it in turn."""

    def __init__(self, app: WSGIApplication, foreground: Foreground) -> None:
        self._app = app
        self._foreground = foreground

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in READS:
            return self._app(environ, start_response)
        self._foreground.enter()
        try:
            return self._app(environ, start_response)
        finally:
            self._foreground.leave()
