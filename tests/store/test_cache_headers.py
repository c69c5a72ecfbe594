"""Caching many headers at once, as a first sync of a big folder does: in
batches, without caching a UID twice, every field kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from teaminbox.domain import MessageHeader, Person, local_zone
from teaminbox.store import cache
from teaminbox.store.db import Database
from teaminbox.store.models import CachedMessage


def header(uid: int) -> MessageHeader:
    return MessageHeader(
        uid=uid,
        flags=("$Label1", "\\Seen") if uid % 2 else (),
        subject=f"Sujet n°{uid}",
        sender=Person("Zoé Dupré", f"z{uid}@exemple.fr") if uid % 3 else None,
        recipients=(Person("", "a@example.com"), Person("Équipe", "b@example.com")),
        date=datetime(2026, 11, 30, 9, uid % 60, tzinfo=UTC) if uid % 5 else None,
        size=uid * 10,
        message_id=f"<{uid}@exemple.fr>",
        in_reply_to=f"<{uid - 1}@exemple.fr>" if uid % 7 == 0 else "",
    )


def test_many_headers_are_cached_once_in_batches(database: Database) -> None:
    count = cache.IN_BATCH * 2 + 17
    with database.session() as session:
        state = cache.save_version(session, "Big", 1, count + 1, 5)
        assert cache.add_headers(session, state, [header(u) for u in (1, 2, 1500)]) != []
        added = cache.add_headers(session, state, [header(u) for u in range(1, count + 1)])
        session.commit()
        assert [h.uid for h in added] == [u for u in range(1, count + 1) if u not in (1, 2, 1500)]
        assert session.scalar(select(func.count()).select_from(CachedMessage)) == count
        flags = cache.flags_by_uid(session, state)
        assert (flags[7], flags[8]) == (("$Label1", "\\Seen"), ())
        row = session.scalar(select(CachedMessage).where(CachedMessage.uid == 14))
        assert row is not None
        assert (row.subject, row.sender_name, row.sender_email) == (
            "Sujet n°14",
            "Zoé Dupré",
            "z14@exemple.fr",
        )
        assert row.recipients == "\n".join(str(p) for p in header(14).recipients)
        assert (row.size, row.in_reply_to) == (140, "<13@exemple.fr>")
        assert row.date is not None and row.date.replace(tzinfo=UTC) == datetime(
            2026, 11, 30, 9, 14, tzinfo=UTC
        )


def test_a_filled_row_and_an_added_row_keep_a_date_alike(database: Database) -> None:
    # A first sync writes rows past SQLAlchemy's types (fill_folder), a
    # catch-up through them (add_headers): one column, one form, one order.
    summer = replace(header(1), date=datetime(2026, 7, 14, 9, 30, 5))  # naive, as imapclient's
    with database.session() as session:
        for name, write in (("Filled", cache.fill_folder), ("Added", cache.add_headers)):
            write(session, cache.save_version(session, name, 1, 2, 5), [summer])
        session.commit()
        stored = session.connection().exec_driver_sql("SELECT DISTINCT date FROM message_cache")
        assert len(stored.all()) == 1
        for name in ("Filled", "Added"):
            page = cache.page_of(session, name, 1, 50)
            assert page is not None and page.headers[0].date == summer.date


@pytest.fixture
def in_paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app's local zone has daylight saving time."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_cached_date_is_the_instant_imapclient_meant(database: Database, in_paris: None) -> None:
    # imapclient's naive dates are in the offset of now (FixedOffset.for_system),
    # whatever their own DST: a July date read in December is an hour off if
    # stored in its own summer offset (PostgreSQL holds instants).
    dates = [datetime(2026, 7, 14, 9, 30), datetime(2026, 1, 14, 9, 30)]
    headers = [replace(header(uid), date=date) for uid, date in enumerate(dates, 1)]
    with database.session() as session:
        for name, write in (("Filled", cache.fill_folder), ("Added", cache.add_headers)):
            write(session, cache.save_version(session, name, 1, 3, 5), headers)
        session.commit()
        zone = local_zone()
        for stored, in_folder in session.execute(
            select(CachedMessage.date, CachedMessage.uid).order_by(CachedMessage.id)
        ):
            instant = stored if stored.tzinfo else stored.replace(tzinfo=zone)
            assert instant == dates[in_folder - 1].replace(tzinfo=zone)
