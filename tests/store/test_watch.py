"""Whether the header cache is trusted: only while the watcher says it
follows the mailbox, and only as long as it keeps saying so."""

from __future__ import annotations

from sqlalchemy import select

from teaminbox.store import watch
from teaminbox.store.db import Database
from teaminbox.store.models import WatchState, utcnow

MAILBOX = "imap://contact@127.0.0.1:143"


def test_the_cache_is_trusted_between_catching_up_and_losing_the_mailbox(
    database: Database,
) -> None:
    with database.session() as session:
        assert not watch.is_live(session, MAILBOX)
        watch.mark_caught_up(session, MAILBOX)
        session.commit()
        assert watch.is_live(session, MAILBOX)
        assert not watch.is_live(session, "imap://other@127.0.0.1:143")
        watch.mark_lost(session, MAILBOX)
        session.commit()
        assert not watch.is_live(session, MAILBOX)
        watch.beat(session, MAILBOX)
        session.commit()
        assert not watch.is_live(session, MAILBOX), "a beat alone is no catch-up"


def test_a_watcher_that_stops_beating_is_no_longer_trusted(database: Database) -> None:
    with database.session() as session:
        watch.mark_caught_up(session, MAILBOX)
        row = session.scalar(select(WatchState).where(WatchState.mailbox == MAILBOX))
        assert row is not None
        row.heartbeat_at = utcnow() - watch.STALE_AFTER
        session.commit()
        assert not watch.is_live(session, MAILBOX)
        watch.beat(session, MAILBOX)
        session.commit()
        assert watch.is_live(session, MAILBOX)
