"""Template filters and globals: dates, sizes and the locale, in the user's language."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale

from teaminbox.rights import Right


def mail_date(value: datetime) -> str:
    """Today's mail shows its time, older mail its date."""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    if moment.astimezone(UTC).date() == datetime.now(UTC).date():
        return str(format_time(moment, "short"))
    return str(format_date(moment, "medium"))


def full_date(value: datetime) -> str:
    return str(format_datetime(value if value.tzinfo else value.replace(tzinfo=UTC), "full"))


def file_size(octets: int) -> str:
    for unit, size in (("MB", 1024 * 1024), ("kB", 1024)):
        if octets >= size:
            return f"{format_decimal(octets / size, format='#,##0.#')} {unit}"
    return f"{octets} B"


def init_app(app: Flask) -> None:
    app.add_template_filter(mail_date)
    app.add_template_filter(full_date)
    app.add_template_filter(file_size)
    app.add_template_global(lambda: str(get_locale() or "en"), "current_locale")
    app.add_template_global(Right, "Right")
