"""Dates in a message list: today's mail shows its time, older mail its date,
both in the office's zone and the person's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from teaminbox.web.filters import mail_date

PARIS = ZoneInfo("Europe/Paris")  # the default BABEL_DEFAULT_TIMEZONE


@pytest.fixture
def office(app: Flask) -> Flask:
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Paris"
    return app


def shown(app: Flask, moment: datetime, language: str) -> str:
    with app.test_request_context(headers={"Accept-Language": language}):
        return mail_date(moment)


def test_this_mornings_mail_shows_its_time_even_when_it_was_yesterday_in_utc(
    office: Flask,
) -> None:
    # 00:05 in Paris is 23:05 (or 22:05) the day before in UTC: still today here.
    early = datetime.now(PARIS).replace(hour=0, minute=5, second=0, microsecond=0)
    assert early.astimezone(UTC).date() < early.date()
    assert shown(office, early.astimezone(UTC), "en") == "12:05\u202fAM"
    assert shown(office, early.astimezone(UTC), "fr") == "00:05"


def test_older_mail_shows_its_date_in_the_persons_language(office: Flask) -> None:
    older = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)  # 5 March, 00:30 in Paris
    assert shown(office, older, "en") == "Mar 5, 2026"
    assert shown(office, older, "fr") == "5 mars 2026"
    # A naive date is taken as UTC, as the cache and IMAP give none.
    assert shown(office, older.replace(tzinfo=None), "fr") == "5 mars 2026"


def test_a_date_formatted_for_one_language_is_not_served_to_another(office: Flask) -> None:
    moment = datetime.now(UTC) - timedelta(days=40)
    assert shown(office, moment, "en") != shown(office, moment, "fr")
