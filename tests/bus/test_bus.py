"""The buses deliver every event to every subscriber, in order; Redis across processes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from teaminbox.bus.memory import MemoryBus
from teaminbox.bus.redis import RedisBus
from teaminbox.bus.sse import sse_message
from teaminbox.events import Event, Kind

REDIS_URL = "redis://127.0.0.1:6379/0"


def event(n: int) -> Event:
    return Event(
        Kind.FLAGS, "Réclamations", uid=n, flags=("\\Seen",), actor="alice", detail={"n": n}
    )


def test_event_json_round_trip() -> None:
    original = Event(Kind.MOVED, "INBOX", uid=4, actor=None, detail={"to": "Factures"}, id=9)
    assert Event.from_json(original.to_json()) == original
    assert "Réclamations" in event(1).to_json()


def test_memory_bus_fans_out_in_order() -> None:
    bus = MemoryBus()
    with bus.subscribe() as first, bus.subscribe() as second:
        for n in range(5):
            bus.publish(event(n))
        for subscription in (first, second):
            received = [subscription.get(timeout=1) for _ in range(5)]
            assert [e.uid for e in received if e] == [0, 1, 2, 3, 4]
            assert subscription.get(timeout=0.01) is None
    assert bus.subscriber_count == 0


def test_a_slow_subscriber_overflows_without_blocking_others() -> None:
    bus = MemoryBus(capacity=3)
    slow = bus.subscribe()
    for n in range(5):
        bus.publish(event(n))
    assert slow.overflowed
    assert bus.subscriber_count == 0


def test_every_subscriber_gets_one_delivery_stamped_at_publish() -> None:
    bus = MemoryBus()
    with bus.subscribe() as first, bus.subscribe() as second:
        before = time.monotonic_ns()
        bus.publish(event(1))
        after = time.monotonic_ns()
        one, other = first.receive(timeout=1), second.receive(timeout=1)
        assert one is not None and one is other
        assert one.event == event(1) and before <= one.published_ns <= after
        assert first.receive(timeout=0.01) is None


@pytest.fixture
def redis_buses() -> Iterator[tuple[RedisBus, RedisBus]]:
    channel = f"teaminbox:test:{uuid.uuid4().hex}"
    buses = (RedisBus(REDIS_URL, channel), RedisBus(REDIS_URL, channel))
    for bus in buses:
        assert bus.wait_until_listening(5)
    yield buses
    for bus in buses:
        bus.close()


def test_redis_bus_reaches_subscribers_of_another_process(
    redis_buses: tuple[RedisBus, RedisBus],
) -> None:
    here, there = redis_buses
    with here.subscribe() as mine, there.subscribe() as theirs:
        for n in range(3):
            here.publish(event(n))
        for subscription in (mine, theirs):
            received = [subscription.get(timeout=5) for _ in range(3)]
            assert [e.uid for e in received if e] == [0, 1, 2]
            assert received[0] == event(0)


@pytest.mark.parametrize(
    ("args", "wire"),
    [
        (("x",), "data: x\n\n"),
        (("a\nb",), "data: a\ndata: b\n\n"),
        (("{}",), "data: {}\n\n"),
    ],
)
def test_sse_wire_format(args: tuple[str], wire: str) -> None:
    assert sse_message(*args) == wire


def test_sse_fields_cannot_be_smuggled() -> None:
    message = sse_message("x\r\ndata: evil", event="flags\nid: 99", id=7, retry_ms=3000)
    assert message == "id: 7\nevent: flags id: 99\nretry: 3000\ndata: x\ndata: data: evil\n\n"
