"""The count of requests being served, and the wait of a cache fill for them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest

from teaminbox.live.foreground import CountedRequests, Foreground

WITHIN = 5.0


def waiter(foreground: Foreground, longest: float) -> tuple[threading.Thread, list[float]]:
    """A thread giving way for at most `longest` s; the seconds it waited."""
    waited: list[float] = []

    def run() -> None:
        start = time.monotonic()
        foreground.give_way(longest)
        waited.append(time.monotonic() - start)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, waited


def test_with_no_request_being_served_the_fill_does_not_wait() -> None:
    thread, waited = waiter(Foreground(), longest=60)
    thread.join(WITHIN)
    assert waited and waited[0] < WITHIN


def test_the_fill_waits_until_the_last_request_ends() -> None:
    foreground = Foreground()
    foreground.enter()
    foreground.enter()
    thread, waited = waiter(foreground, longest=60)
    foreground.leave()
    thread.join(0.2)
    assert thread.is_alive()  # one request is still being served
    foreground.leave()
    thread.join(WITHIN)
    assert waited and waited[0] < WITHIN  # woken by the end, not the 60 s


def test_a_request_that_never_ends_holds_the_fill_back_only_so_long() -> None:
    foreground = Foreground()
    foreground.enter()
    thread, waited = waiter(foreground, longest=0.1)
    thread.join(WITHIN)
    assert waited and 0.1 <= waited[0] < WITHIN


class Recorder:
    """A WSGI app that notes how many requests were counted while it ran."""

    def __init__(self, foreground: Foreground, fail: bool = False) -> None:
        self.foreground = foreground
        self.fail = fail
        self.counted: list[int] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.counted.append(self.foreground.serving)
        if self.fail:
            raise RuntimeError("the view failed")
        start_response("200 OK", [])
        return self.body()

    def body(self) -> Iterable[bytes]:
        # Sent after the app returned: a stream's body.
        self.counted.append(self.foreground.serving)
        yield b"event"


def ignore(_status: str, _headers: list[tuple[str, str]]) -> object:
    return lambda data: None


GET = {"REQUEST_METHOD": "GET"}


def test_a_page_counts_while_the_app_makes_it_not_while_its_stream_is_sent() -> None:
    foreground = Foreground()
    recorder = Recorder(foreground)
    body = CountedRequests(recorder, foreground)(GET, ignore)
    assert foreground.serving == 0
    assert list(body) == [b"event"]
    assert recorder.counted == [1, 0]


def test_a_failed_page_stops_counting() -> None:
    foreground = Foreground()
    app = CountedRequests(Recorder(foreground, fail=True), foreground)
    with pytest.raises(RuntimeError):
        app(GET, ignore)
    assert foreground.serving == 0


def test_a_write_does_not_count() -> None:
    """A POST may wait for the fill's database lock: the fill must not
    wait for it in turn."""
    foreground = Foreground()
    recorder = Recorder(foreground)
    list(CountedRequests(recorder, foreground)({"REQUEST_METHOD": "POST"}, ignore))
    assert recorder.counted == [0, 0]
