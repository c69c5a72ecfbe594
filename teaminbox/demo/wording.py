"""Dates, money and reply conventions in French and English, as mail programs write them."""

from __future__ import annotations

from datetime import datetime, timedelta

from teaminbox.demo.letters import Envelope, Letter, quote_lines

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet",
    "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
MONTHS_FR_SHORT = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.",
    "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip


def fr_day(when: datetime) -> str:
    """The weekday and date in French: mardi 14 octobre."""
    return f"{WEEKDAYS_FR[when.weekday()]} {when.day} {MONTHS_FR[when.month - 1]}"


def en_day(when: datetime) -> str:
    """The weekday and date in English: Tuesday 14 October."""
    return f"{WEEKDAYS_EN[when.weekday()]} {when.day} {MONTHS_EN[when.month - 1]}"


def euros(amount: float) -> str:
    """French money: 1 234,50 €."""
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{whole.replace(',', ' ')},{cents} €"


def business_day_after(when: datetime, days: int) -> datetime:
    """The date `days` working days (Monday to Friday) after `when`."""
    day = when
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def attribution(parent: Letter, envelope: Envelope, lang: str, style: int) -> str:
    """The line a mail program puts above a quoted message."""
    d, who = envelope.date, parent.sender
    if lang == "en":
        return (
            f"On {WEEKDAYS_EN[d.weekday()][:3]}, {d.day} {MONTHS_EN[d.month - 1][:3]} "
            f"{d.year} at {d:%H:%M}, {who.name} <{who.address}> wrote:"
        )
    if style % 2:
        return f"Le {d:%d/%m/%Y} à {d:%H:%M}, {who.name} a écrit :"
    return (
        f"Le {WEEKDAYS_FR[d.weekday()][:3]}. {d.day} {MONTHS_FR_SHORT[d.month - 1]} "
        f"{d.year} à {d:%H:%M}, {who.name} <{who.address}> a écrit :"
    )


def quoted(parent: Letter, envelope: Envelope, lang: str, style: int) -> str:
    """The parent's text, quoted under its attribution line."""
    return "\n".join([attribution(parent, envelope, lang, style), *quote_lines(parent.text)])


def reply_subject(subject: str, lang: str) -> str:
    if subject.lower().startswith(("re:", "re :", "tr:", "fwd:")):
        return subject
    return f"Re: {subject}" if lang == "en" or subject.isascii() else f"RE: {subject}"
