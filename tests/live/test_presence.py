"""Who is on which message of a folder, as the board answers for a list."""

from __future__ import annotations

from teaminbox.domain import MessageRef
from teaminbox.live.presence import Activity, PresenceBoard, presence_event


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def board_with(clock: Clock, *entries: tuple[str, str, str, int, Activity]) -> PresenceBoard:
    board = PresenceBoard(lifetime=30, clock=clock)
    for tab, user, folder, uid, activity in entries:
        board.apply(presence_event(tab, user, MessageRef(folder, uid), activity))
    return board


def people(board: PresenceBoard, folder: str, besides: str | None = None) -> dict[int, list[str]]:
    found = board.in_folder(folder, besides=besides)
    return {uid: [f"{p.user}:{p.activity}" for p in on] for uid, on in found.items()}


def test_a_folder_shows_its_own_messages_only() -> None:
    board = board_with(
        Clock(),
        ("t1", "alice", "INBOX", 1, Activity.READING),
        ("t2", "bob", "RH", 1, Activity.READING),  # the same UID elsewhere
    )
    assert people(board, "INBOX") == {1: ["alice:reading"]}
    assert people(board, "RH") == {1: ["bob:reading"]}


def test_one_entry_per_person_replying_wins_and_not_the_asker() -> None:
    board = board_with(
        Clock(),
        ("t1", "bob", "INBOX", 7, Activity.REPLYING),
        ("t2", "bob", "INBOX", 7, Activity.READING),  # another tab of Bob's
        ("t3", "alice", "INBOX", 7, Activity.READING),
        ("t4", "claire", "INBOX", 7, Activity.READING),
    )
    assert people(board, "INBOX", besides="claire") == {7: ["alice:reading", "bob:replying"]}


def test_a_tab_that_stopped_beating_is_gone() -> None:
    clock = Clock()
    board = board_with(clock, ("t1", "alice", "INBOX", 1, Activity.READING))
    clock.now += 31
    assert people(board, "INBOX") == {}
