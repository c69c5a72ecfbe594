"""A folder's pages and headers read from the header cache are those IMAP
gives, header for header, on every folder of the seeded office mailbox (hostile
mail included), on SQLite and PostgreSQL."""

from __future__ import annotations

from teaminbox.domain import MessageRef
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import reading
from teaminbox.services.sync import sync_folders
from teaminbox.store.db import Database

# Small pages, so that every folder has several and the last is partial.
SIZE = 7


def test_every_page_from_the_cache_is_the_page_from_imap(
    pool: ConnectionPool, database: Database
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


def test_a_message_the_cached_folder_does_not_hold_is_gone(
    pool: ConnectionPool, database: Database
) -> None:
    with database.session() as session:
        sync_folders(pool, session, ["INBOX"])
        gone = MessageRef("INBOX", 10**9)
        assert reading.message_header(pool, gone, live_cache=session) is None
        assert reading.message_header(pool, gone) is None


def test_a_folder_the_cache_does_not_hold_is_read_from_imap(
    pool: ConnectionPool, database: Database
) -> None:
    with database.session() as session:
        page = reading.folder_page(pool, "INBOX", 1, SIZE, live_cache=session)
    assert page == reading.folder_page(pool, "INBOX", 1, SIZE)
    assert len(page.headers) == SIZE
