"""The watching process vouches for the header cache only after a full sync
begun since the last loss, and a database error never stops it."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from teaminbox.live.cache_trust import CacheTrust
from teaminbox.store import watch
from teaminbox.store.db import Database

MAILBOX = "imap://contact@127.0.0.1:143"


def live(database: Database) -> bool:
    with database.session() as session:
        return watch.is_live(session, MAILBOX)


def test_a_sync_begun_before_a_loss_earns_no_trust(database: Database) -> None:
    trust = CacheTrust(database, MAILBOX)
    begun = trust.epoch
    trust.lose()  # the connection dropped while that sync ran
    trust.caught_up(begun)
    assert not live(database)
    trust.caught_up(trust.epoch)
    assert live(database)
    trust.lose()
    assert not live(database)


def test_forgetting_leaves_the_next_watchers_word_alone(database: Database) -> None:
    trust = CacheTrust(database, MAILBOX)
    trust.caught_up(trust.epoch)
    begun = trust.epoch
    trust.forget()  # the lease went to another process, which caught up
    assert live(database)
    trust.caught_up(begun)
    trust.beat_if_due()
    assert live(database)


def test_a_database_error_is_logged_not_raised(
    database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    trust = CacheTrust(database, MAILBOX)

    def broken(*args: object) -> None:
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    monkeypatch.setattr(watch, "mark_caught_up", broken)
    trust.caught_up(trust.epoch)
    assert not live(database)
    assert "could not record" in caplog.text
    monkeypatch.undo()
    trust.caught_up(trust.epoch)  # the next full sync tries again
    assert live(database)
