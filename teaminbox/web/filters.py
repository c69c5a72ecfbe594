"""Template filters and globals: dates, sizes and the locale, in the user's language."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, tzinfo

from babel import dates
from flask import Flask, g
from flask_babel import format_datetime, format_decimal, get_locale, get_timezone

from teaminbox.rights import Right


def mail_date(value: datetime) -> str:
    """Today's mail shows its time, older mail its date, in the person's
    zone and language (a list shows 50: the locale and zone are looked up
    once per request, a date once per day, zone and language)."""
    if "mail_calendar" not in g:
        zone = get_timezone()
        g.mail_calendar = (current_locale(), zone, datetime.now(zone).date())
    return _mail_date(value if value.tzinfo else value.replace(tzinfo=UTC), *g.mail_calendar)


@functools.lru_cache(maxsize=4096)
def _mail_date(moment: datetime, locale: str, zone: tzinfo, today: date) -> str:
    local = moment.astimezone(zone)
    if local.date() == today:
        return dates.format_time(local, "short", locale=locale)
    return dates.format_date(local.date(), "medium", locale=locale)


def full_date(value: datetime) -> str:
    return str(format_datetime(value if value.tzinfo else value.replace(tzinfo=UTC), "full"))


def file_size(octets: int) -> str:
    for unit, size in (("MB", 1024 * 1024), ("kB", 1024)):
        if octets >= size:
            return f"{format_decimal(octets / size, format='#,##0.#')} {unit}"
    return f"{octets} B"


def current_locale() -> str:
    return str(get_locale() or "en")


def init_app(app: Flask) -> None:
    app.add_template_filter(mail_date)
    app.add_template_filter(full_date)
    app.add_template_filter(file_size)
    app.add_template_global(current_locale)
    app.add_template_global(Right, "Right")
