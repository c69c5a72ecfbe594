"""The count of requests being served, and how a first sync gives way to
the pages being read."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest

from teaminbox.live.foreground import CountedRequests, Foreground, Pace

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


def test_with_no_page_being_read_the_sync_does_not_wait() -> None:
    thread, waited = waiter(Foreground(), longest=60)
    thread.join(WITHIN)
    assert waited and waited[0] < WITHIN


def test_the_sync_waits_until_the_last_page_is_read() -> None:
    foreground = Foreground()
    foreground.enter(read=True)
    foreground.enter(read=True)
    thread, waited = waiter(foreground, longest=60)
    foreground.leave(read=True)
    thread.join(0.2)
    assert thread.is_alive()  # one page is still being read
    foreground.leave(read=True)
    thread.join(WITHIN)
    assert waited and waited[0] < WITHIN  # woken by the end, not the 60 s


def test_a_write_ends_the_wait_at_once() -> None:
    """A write may be waiting for the sync's database lock: the sync must
    not wait for a page meanwhile."""
    foreground = Foreground()
    foreground.enter(read=True)
    thread, waited = waiter(foreground, longest=60)
    thread.join(0.2)
    assert thread.is_alive()
    foreground.enter(read=False)
    thread.join(WITHIN)
    assert waited and waited[0] < WITHIN
    thread, waited = waiter(foreground, longest=60)  # nor wait while it lasts
    thread.join(WITHIN)
    assert waited and waited[0] < WITHIN


def test_a_page_that_never_ends_holds_the_sync_back_only_so_long() -> None:
    foreground = Foreground()
    foreground.enter(read=True)
    thread, waited = waiter(foreground, longest=0.1)
    thread.join(WITHIN)
    assert waited and 0.1 <= waited[0] < WITHIN


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Asked(Foreground):
    """A Foreground that notes how long each wait may last and lets that
    much time pass on `clock`, without waiting."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.asked: list[float] = []

    def give_way(self, longest: float) -> None:
        self.asked.append(longest)
        self.clock.now += longest


def test_a_sync_waits_in_all_no_longer_than_it_has_worked() -> None:
    clock = Clock()
    foreground = Asked(clock)
    foreground.enter(read=True)  # a page that is never done
    pace = Pace(foreground, longest=60, clock=clock)
    clock.now = 0.02
    pace()
    assert foreground.asked == [pytest.approx(0.02)]  # what it worked, not 60 s
    pace()  # it has waited as long as it worked: no more
    assert len(foreground.asked) == 1
    clock.now += 0.01  # 10 ms more work
    pace()
    assert foreground.asked[1:] == [pytest.approx(0.01)]


def test_a_sync_with_nobody_reading_does_not_wait() -> None:
    clock = Clock()
    foreground = Asked(clock)
    pace = Pace(foreground, longest=60, clock=clock)
    clock.now = 10.0
    pace()
    assert foreground.asked == []


class Recorder:
    """A WSGI app that notes what was counted while it ran."""

    def __init__(self, foreground: Foreground, fail: bool = False) -> None:
        self.foreground = foreground
        self.fail = fail
        self.counted: list[tuple[int, int]] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.note()
        if self.fail:
            raise RuntimeError("the view failed")
        start_response("200 OK", [])
        return self.body()

    def note(self) -> None:
        self.counted.append((self.foreground.reading, self.foreground.writing))

    def body(self) -> Iterable[bytes]:
        self.note()  # sent after the app returned: a stream's body
        yield b"event"


def ignore(_status: str, _headers: list[tuple[str, str]]) -> object:
    return lambda data: None


GET = {"REQUEST_METHOD": "GET"}


def test_a_page_counts_while_the_app_makes_it_not_while_its_stream_is_sent() -> None:
    foreground = Foreground()
    recorder = Recorder(foreground)
    body = CountedRequests(recorder, foreground)(GET, ignore)
    assert list(body) == [b"event"]
    assert recorder.counted == [(1, 0), (0, 0)]


def test_a_write_counts_as_a_write() -> None:
    foreground = Foreground()
    recorder = Recorder(foreground)
    list(CountedRequests(recorder, foreground)({"REQUEST_METHOD": "POST"}, ignore))
    assert recorder.counted == [(0, 1), (0, 0)]


def test_a_failed_page_stops_counting() -> None:
    foreground = Foreground()
    app = CountedRequests(Recorder(foreground, fail=True), foreground)
    with pytest.raises(RuntimeError):
        app(GET, ignore)
    assert (foreground.reading, foreground.writing) == (0, 0)
