"""The app's own changes, recorded at the server's OK, are not announced a
second time when the sync that follows the watcher's echo runs (real
Dovecot, SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient

from teaminbox.domain import MessageRef, Role
from teaminbox.events import Kind
from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import accounts, actions
from teaminbox.services.rights import RightsView
from teaminbox.services.sync import sync_folders
from teaminbox.store import cache
from teaminbox.store import events as stored_events
from teaminbox.store.db import Database
from tests.imap_helpers import add_message


@pytest.fixture
def folders(imap: IMAPClient) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:8]
    names = (f"Feed-{tag}", f"Feed-{tag}-to")
    ensure_folders(imap, list(names))
    yield names
    mailstore.leave_folder(imap)
    for name in names:
        imap.delete_folder(name)


def test_own_changes_are_announced_once(
    pool: ConnectionPool, database: Database, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    source, destination = folders
    _, flagged = add_message(imap, source)
    _, moved = add_message(imap, source)
    with database.session() as session:
        claire = accounts.create_user(session, "claire", "long enough pw", Role.MANAGER)
        assert sync_folders(pool, session, folders) == []  # first sync: silent
        rights = RightsView.load(session, claire)
        done = actions.set_flagged(pool, session, claire, rights, MessageRef(source, flagged), True)
        gone = actions.move(pool, session, claire, rights, MessageRef(source, moved), destination)
        session.commit()
        assert [e.kind for e in (*done.events, *gone.events)] == [Kind.FLAGS, Kind.MOVED]
        assert all(e.id > 0 for e in (*done.events, *gone.events))

        # The watcher's echo: a sync finds the cache already in step.
        assert sync_folders(pool, session, folders) == []
        session.commit()
        state = cache.folder_state(session, destination)
        assert state is not None
        assert list(cache.flags_by_uid(session, state)) == [gone.uid]
        assert stored_events.ending(session, source, moved) == gone.events[0]
        assert stored_events.after(session, 0)[-2:] == [*done.events, *gone.events]


def test_another_clients_change_is_announced(
    pool: ConnectionPool, database: Database, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    source, _ = folders
    _, uid = add_message(imap, source)
    with database.session() as session:
        sync_folders(pool, session, [source])
        imap.select_folder(source)
        imap.add_flags([uid], ["\\Seen"])
        events = sync_folders(pool, session, [source])
    assert [(e.kind, e.uid, e.flags, e.actor) for e in events] == [
        (Kind.FLAGS, uid, ("\\Seen",), None)
    ]
