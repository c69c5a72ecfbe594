"""Turning what a demo message says (a Letter) into RFC 5322 bytes.

Built with the standard library's `email` package. Output is deterministic:
MIME boundaries are set from the caller's random generator, never from the
global one the `email` package would use.
"""

# French typography (en dashes, curly quotes) is part of the demo's realism.

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

from teaminbox.demo.correspondents import Party

_SMTP_DEFAULT = policy.default.clone(linesep="\r\n")
_SMTP_COMPAT32 = policy.compat32.clone(linesep="\r\n")


@dataclass(frozen=True)
class Attachment:
    """A file attached to a letter."""

    filename: str
    content_type: str  # "application/pdf"
    data: bytes


@dataclass(frozen=True)
class InlineImage:
    """A PNG the HTML body shows with `<img src="cid:{cid}">`."""

    cid: str  # without angle brackets
    filename: str
    data: bytes


@dataclass(frozen=True)
class Letter:
    """What a message says; `html`, when present, is the rich alternative of `text`."""

    sender: Party
    recipient: Party
    subject: str
    text: str
    html: str | None = None
    inline_image: InlineImage | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to: Party | None = None
    cc: Party | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Envelope:
    """Where a letter sits in time and in its conversation."""

    message_id: str  # with angle brackets
    date: datetime  # aware
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


def render_letter(letter: Letter, envelope: Envelope, rng: random.Random) -> bytes:
    """The letter as CRLF-terminated RFC 5322 bytes.

    A sender marked `latin1` gets an ISO-8859-1 message (RFC 2047 `iso-8859-1`
    encoded words, quoted-printable body), as older mail programs write;
    everyone else gets UTF-8. A latin1 letter must be plain text.
    """
    if letter.sender.latin1:
        return _render_latin1(letter, envelope, rng)
    msg = EmailMessage()
    msg["From"] = _address(letter.sender)
    msg["To"] = _address(letter.recipient)
    if letter.cc is not None:
        msg["Cc"] = _address(letter.cc)
    if letter.reply_to is not None:
        msg["Reply-To"] = _address(letter.reply_to)
    msg["Subject"] = letter.subject
    _set_envelope(msg, envelope)
    for name, value in letter.extra_headers:
        msg[name] = value
    prefer_8bit = rng.random() < 0.2
    msg.set_content(letter.text, cte=_transfer_encoding(letter.text, prefer_8bit))
    if letter.html is not None:
        html_cte = _transfer_encoding(letter.html, prefer_8bit)
        msg.add_alternative(letter.html, subtype="html", cte=html_cte)
        if letter.inline_image is not None:
            image = letter.inline_image
            html_part = msg.get_body(preferencelist=("html",))
            assert html_part is not None  # just added
            html_part.add_related(
                image.data,
                "image",
                "png",
                cid=f"<{image.cid}>",
                filename=image.filename,
                disposition="inline",
            )
    for attachment in letter.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        msg.add_attachment(attachment.data, maintype, subtype, filename=attachment.filename)
    _fix_boundaries(msg, rng)
    return msg.as_bytes(policy=_SMTP_DEFAULT)


def _transfer_encoding(text: str, prefer_8bit: bool) -> str:
    """7bit for short-lined ASCII; else quoted-printable, as most mail programs
    send, or 8bit for some; never a line over RFC 5322's 998 bytes."""
    short = all(len(line.encode()) <= 998 for line in text.splitlines())
    if short and text.isascii():
        return "7bit"
    return "8bit" if short and prefer_8bit else "quoted-printable"


# What an ISO-8859-1 mail program would do with characters it lacks.
_LATIN1_FALLBACKS = str.maketrans(
    {"œ": "oe", "Œ": "OE", "€": "EUR", "’": "'", "–": "-", "—": "-", "…": "...", "·": "-"}
)


def _latin1(text: str) -> str:
    return text.translate(_LATIN1_FALLBACKS).encode("latin-1", "replace").decode("latin-1")


def _render_latin1(letter: Letter, envelope: Envelope, rng: random.Random) -> bytes:
    if letter.html is not None or letter.inline_image is not None:
        raise ValueError("an ISO-8859-1 demo letter is plain text only")
    body = MIMEText(_latin1(letter.text), "plain", "iso-8859-1")
    msg: Message
    if letter.attachments:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for attachment in letter.attachments:
            _maintype, _, subtype = attachment.content_type.partition("/")
            part = MIMEApplication(attachment.data, subtype)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            msg.attach(part)
    else:
        msg = body
    msg["From"] = _latin1_address(letter.sender)
    msg["To"] = _latin1_address(letter.recipient)
    if letter.reply_to is not None:
        msg["Reply-To"] = _latin1_address(letter.reply_to)
    subject = _latin1(letter.subject)
    msg["Subject"] = subject if subject.isascii() else Header(subject, "iso-8859-1").encode()
    _set_envelope(msg, envelope)
    for name, value in letter.extra_headers:
        msg[name] = value
    # Mail programs write the MIME headers after the addressing ones.
    for name in ("MIME-Version", "Content-Type", "Content-Transfer-Encoding"):
        value = msg[name]
        if value is not None:
            del msg[name]
            msg[name] = value
    _fix_boundaries(msg, rng)
    return msg.as_bytes(policy=_SMTP_COMPAT32)


def _set_envelope(msg: Message, envelope: Envelope) -> None:
    msg["Date"] = format_datetime(envelope.date)
    msg["Message-ID"] = envelope.message_id
    if envelope.in_reply_to is not None:
        msg["In-Reply-To"] = envelope.in_reply_to
    if envelope.references:
        msg["References"] = " ".join(envelope.references)


def _latin1_address(party: Party) -> str:
    return formataddr((_latin1(party.name), party.address), "iso-8859-1")


def _address(party: Party) -> Address:
    username, _, domain = party.address.partition("@")
    return Address(party.name, username, domain)


def _fix_boundaries(msg: Message, rng: random.Random) -> None:
    """Set every boundary from `rng`; drop the MIME-Version the email package
    repeats in sub-parts (only the top level carries it)."""
    for number, part in enumerate(msg.walk()):
        if part is not msg:
            del part["MIME-Version"]
        if part.is_multipart():
            part.set_boundary(f"----=_Part_{number}_{rng.getrandbits(48):012x}")


def references_for(parent: Envelope | None) -> tuple[str | None, tuple[str, ...]]:
    """In-Reply-To and References for a reply to `parent` (RFC 5322 3.6.4)."""
    if parent is None:
        return None, ()
    return parent.message_id, (*parent.references, parent.message_id)


def quote_lines(text: str) -> Sequence[str]:
    """`text` quoted for a reply: "> " before each line, ">>" for quotes in quotes."""
    return [
        ">" + line if line.startswith(">") else f"> {line}" if line else ">"
        for line in text.splitlines()
    ]
