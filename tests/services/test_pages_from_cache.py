"""A folder's pages and headers read from the header cache are those IMAP
gives, header for header, on every folder of the seeded office mailbox (hostile
mail included), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from teaminbox.domain import MessageRef
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import reading
from teaminbox.services.sync import sync_folders
from teaminbox.store import cache
from teaminbox.store.db import Database

# Small pages, so that every folder has several and the last is partial.
SIZE = 7


@pytest.fixture(params=["UTC", "Europe/Paris"])
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's local time zone: imapclient gives dates in it, and the
    database (PostgreSQL's sessions are in UTC here) must not shift them."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_every_page_from_the_cache_is_the_page_from_imap(
    pool: ConnectionPool, database: Database, local_zone: str
) -> None:
    folders = [f.name for f in reading.folder_list(pool) if f.selectable]
    with database.session() as session:
        sync_folders(pool, session, folders)
        session.commit()
        compared = 0
        for folder in folders:
            number = 1
            while True:
                from_imap = reading.folder_page(pool, folder, number, SIZE)
                from_cache = reading.folder_page(pool, folder, number, SIZE, live_cache=session)
                assert from_cache == from_imap, (folder, number)
                for header in from_imap.headers:
                    ref = MessageRef(folder, header.uid)
                    assert reading.message_header(pool, ref, live_cache=session) == header
                compared += len(from_imap.headers)
                if not from_imap.has_next:
                    break
                number += 1
    assert compared > 100


def test_the_cache_answers_for_the_uids_its_last_sync_saw(
    pool: ConnectionPool, database: Database
) -> None:
    newest = reading.folder_page(pool, "INBOX", 1, SIZE).headers[0]
    ref = MessageRef("INBOX", newest.uid)
    with database.session() as session:
        sync_folders(pool, session, ["INBOX"])
        state = cache.folder_state(session, "INBOX")
        assert state is not None
        cache.remove_uids(session, state, [newest.uid])  # as if it had been expunged
        assert reading.message_header(pool, ref, live_cache=session) is None
        state.uidnext = newest.uid  # as if it had come after the last sync
        assert reading.message_header(pool, ref, live_cache=session) == newest  # from IMAP


def test_a_folder_the_cache_does_not_hold_is_read_from_imap(
    pool: ConnectionPool, database: Database
) -> None:
    with database.session() as session:
        page = reading.folder_page(pool, "INBOX", 1, SIZE, live_cache=session)
    assert page == reading.folder_page(pool, "INBOX", 1, SIZE)
    assert len(page.headers) == SIZE
