"""Two POP3 sessions on one maildrop, against a Dovecot that does not lock
it: both are let in and list the same messages (nothing is deleted)."""

from __future__ import annotations

from pathlib import Path

from teaminbox.pop3 import Outcome, Pop3Settings, Transcript, demonstrate_two_sessions
from tests.pop_history import seeded_office


def test_without_locking_both_sessions_list_the_same_messages(tmp_path: Path) -> None:
    with seeded_office(tmp_path / "dovecot", lock_session=False) as server:
        seen: list[Transcript] = []
        settings = Pop3Settings(server.host, server.pop3_port, "none", server.user, server.password)
        transcript = demonstrate_two_sessions(settings, seen.append)
    assert transcript.outcome is Outcome.SHARED
    said = {(e.session, e.command.split()[0]): e.answer for e in transcript.exchanges}
    assert said[(1, "PASS")] == said[(2, "PASS")] == ["+OK Logged in."]
    assert said[(1, "UIDL")] == said[(2, "UIDL")]
    assert said[(1, "LIST")] == said[(2, "LIST")]
    assert (said[(1, "LIST")] or [])[:1] == ["+OK 6 messages:"]
    assert [e.command.split()[0] for e in transcript.exchanges] == [
        "USER",
        "PASS",
        "LIST",
        "UIDL",
        "USER",
        "PASS",
        "LIST",
        "UIDL",
        "QUIT",
        "QUIT",
    ]
    # Progress was reported as it went, each command before its answer.
    assert any(t.exchanges and t.exchanges[-1].answer is None for t in seen)
