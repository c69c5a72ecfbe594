"""Writing replies and forwards: subjects, recipients, quotes, threading
headers and the MIME message itself.

Pure functions over the standard library's `email` package: nothing here
talks to a server. Everything a person typed passes through `parse_recipients`
or `clean_subject` before it becomes a header, so that no CR or LF from a
form ever starts a header of its own (header injection).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, make_msgid
from enum import StrEnum

from teaminbox.domain import MessageContent, Person

# "Re:", "RE :", "Fwd:", "Fw:", "TR:" (French Outlook), "AW:"/"WG:" (German),
# "Réf.:", "Re[2]:", and chains of them: all one prefix to strip before adding ours.
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|tr|aw|wg|r[ée]f\.?)\s*(?:\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)
# An addr-spec this app sends to: ASCII, no quoting, no comments, a dotted
# domain (SMTPUTF8 is not offered, so non-ASCII addresses are refused).
_ADDR_SPEC = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
# CRLF line ends, and every part 7-bit clean (quoted-printable or base64),
# so that any SMTP server takes it without 8BITMIME or SMTPUTF8.
_POLICY = SMTP.clone(cte_type="7bit")
# RFC 5322 caps a line at 998 octets; a subject or name past this is a mistake.
MAX_SUBJECT_CHARS = 500
MAX_RECIPIENTS = 100
# References keeps the first id (the thread's root) and the latest ones.
MAX_REFERENCES = 20


class Mode(StrEnum):
    """What the person is writing about the original message."""

    REPLY = "reply"
    REPLY_ALL = "reply-all"
    FORWARD = "forward"


class AddressError(ValueError):
    """A recipient field holds something that is not a mail address."""

    def __init__(self, entry: str) -> None:
        super().__init__(f"not a mail address: {entry!r}")
        self.entry = entry


@dataclass(frozen=True)
class Attachment:
    """A file to send: a safe file name, its MIME type and its bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """Everything the sent message says. `sender_name` is the full display
    name ("Alice Martin \N{EN DASH} Contact"); `to` and `cc` are parsed already."""

    sender_name: str
    sender_address: str
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    subject: str
    body: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())
    date: datetime | None = None


@dataclass(frozen=True)
class Wording:
    """The sentences a quote is introduced with, in the writer's language
    (the web layer translates them). `{date}` and `{sender}` are filled in."""

    wrote: str = "On {date}, {sender} wrote:"
    forwarded: str = "---------- Forwarded message ----------"
    from_label: str = "From"
    date_label: str = "Date"
    subject_label: str = "Subject"
    to_label: str = "To"
    cc_label: str = "Cc"


def reply_subject(subject: str) -> str:
    """`Re: ` and the subject without any reply or forward prefixes."""
    return _prefixed("Re: ", subject)


def forward_subject(subject: str) -> str:
    """`Fwd: ` and the subject without any reply or forward prefixes."""
    return _prefixed("Fwd: ", subject)


def _prefixed(prefix: str, subject: str) -> str:
    return prefix + _PREFIX.sub("", clean_subject(subject))


def clean_subject(subject: str) -> str:
    """A subject safe for one header line: line breaks and other control
    characters become spaces, runs of spaces one, cut at MAX_SUBJECT_CHARS."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", subject))
    return " ".join(text.split())[:MAX_SUBJECT_CHARS]


def parse_recipients(text: str) -> tuple[Person, ...]:
    """The addresses of a To or Cc field: `a@b.fr, Name <c@d.fr>; e@f.fr`.

    Raises AddressError naming the first entry that is not a plain ASCII
    address with a dotted domain, holds a line break or another control
    character, or when there are more than MAX_RECIPIENTS. Duplicates
    (case-insensitive) are dropped.
    """
    people: list[Person] = []
    seen: set[str] = set()
    for entry in _entries(text):
        if _CONTROL.search(entry):
            raise AddressError(entry)
        parsed = getaddresses([entry])
        if len(parsed) != 1:
            raise AddressError(entry)
        name, email = parsed[0]
        if not _ADDR_SPEC.match(email) or len(email) > 254:
            raise AddressError(entry)
        if email.casefold() not in seen:
            seen.add(email.casefold())
            people.append(Person(" ".join(name.split()), email))
    if len(people) > MAX_RECIPIENTS:
        raise AddressError(f"{len(people)} recipients")
    return tuple(people)


def _entries(text: str) -> list[str]:
    """Split on commas and semicolons outside quotes and angle brackets."""
    entries: list[str] = []
    current: list[str] = []
    quoted = angled = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        if char in ",;" and not quoted and not angled:
            entries.append("".join(current))
            current = []
        else:
            current.append(char)
    entries.append("".join(current))
    return [e.strip() for e in entries if e.strip()]


def format_recipients(people: Sequence[Person]) -> str:
    """People as a field's text again: `Name <a@b.fr>, c@d.fr`."""
    return ", ".join(_person_text(p) for p in people)


def _person_text(person: Person) -> str:
    if not person.name:
        return person.email
    name = person.name.replace("\\", "").replace('"', "")
    needs_quotes = any(c in name for c in ',;<>()@:[]."')
    return f'"{name}" <{person.email}>' if needs_quotes else f"{name} <{person.email}>"


def reply_recipients(
    mode: Mode, original: MessageContent, shared_address: str
) -> tuple[tuple[Person, ...], tuple[Person, ...]]:
    """(To, Cc) of a reply: the original's Reply-To, else its sender; reply
    all adds its To and Cc. The shared address itself is never among them
    (the office does not write to itself), nor is anyone twice. A forward
    starts with nobody."""
    if mode is Mode.FORWARD:
        return (), ()
    header = original.header
    sender = original.reply_to or ((header.sender,) if header.sender else ())
    to = _without(sender, shared_address, ())
    if mode is Mode.REPLY:
        if not to and header.recipients:
            # A message the office sent itself (in Sent): answer its recipients.
            to = _without(header.recipients, shared_address, ())
        return to, ()
    others = (*header.recipients, *original.cc)
    cc = _without(others, shared_address, to)
    if not to:
        to, cc = cc[:1], cc[1:]
    return to, cc


def _without(
    people: Sequence[Person], shared_address: str, already: Sequence[Person]
) -> tuple[Person, ...]:
    taken = {p.email.casefold() for p in already} | {shared_address.casefold()}
    kept: list[Person] = []
    for person in people:
        key = person.email.casefold()
        if key not in taken:
            taken.add(key)
            kept.append(person)
    return tuple(kept)


def quote(text: str) -> str:
    """Every line prefixed with `> ` (`>` before a line already quoted)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return "\n".join(
        (">" if line.startswith(">") else "> ") + line if line else ">" for line in lines
    )


def initial_body(
    mode: Mode,
    original: MessageContent,
    original_text: str,
    signature: str,
    wording: Wording,
    format_date: Callable[[datetime], str],
) -> str:
    """The text a reply or forward starts with: room to write, the
    signature, then the quoted (reply) or included (forward) original."""
    parts = ["", ""]
    if signature.strip():
        parts += ["-- ", signature.strip("\n").replace("\r\n", "\n"), ""]
    header = original.header
    sender = str(header.sender) if header.sender else ""
    when = format_date(header.date) if header.date else ""
    if mode is Mode.FORWARD:
        parts += [wording.forwarded, f"{wording.from_label}: {sender}"]
        if when:
            parts.append(f"{wording.date_label}: {when}")
        parts.append(f"{wording.subject_label}: {header.subject}")
        if header.recipients:
            parts.append(f"{wording.to_label}: {format_recipients(header.recipients)}")
        if original.cc:
            parts.append(f"{wording.cc_label}: {format_recipients(original.cc)}")
        parts += ["", original_text.rstrip()]
    else:
        intro = wording.wrote.format(date=when, sender=sender or "?")
        parts += [intro, quote(original_text)]
    return "\n".join(parts) + "\n"


def references(original_references: str, original_message_id: str) -> tuple[str, ...]:
    """The References of a reply (RFC 5322, 3.6.4): the original's
    References (else nothing) and its Message-ID, keeping the root and the
    latest MAX_REFERENCES ids."""
    ids = re.findall(r"<[^<>\s]+>", original_references)
    if original_message_id:
        ids.append(original_message_id)
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_REFERENCES:
        unique = [unique[0], *unique[-(MAX_REFERENCES - 1) :]]
    return tuple(unique)


def build_message(outgoing: Outgoing) -> EmailMessage:
    """The MIME message: text/plain UTF-8, multipart/mixed with attachments.

    Non-ASCII names and subjects are RFC 2047 encoded by the SMTP policy,
    which also refuses a header value holding CR or LF.
    """
    message = EmailMessage(policy=_POLICY)
    message["From"] = Address(outgoing.sender_name, addr_spec=outgoing.sender_address)
    message["To"] = [_address(p) for p in outgoing.to]
    if outgoing.cc:
        message["Cc"] = [_address(p) for p in outgoing.cc]
    message["Subject"] = clean_subject(outgoing.subject)
    message["Date"] = format_datetime(outgoing.date or datetime.now().astimezone())
    domain = outgoing.sender_address.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    if outgoing.in_reply_to:
        message["In-Reply-To"] = outgoing.in_reply_to
    if outgoing.references:
        message["References"] = " ".join(outgoing.references)
    message.set_content(_normalise_body(outgoing.body), charset="utf-8")
    for attachment in outgoing.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if not maintype or not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def _address(person: Person) -> Address:
    return Address(person.name, addr_spec=person.email)


def _normalise_body(body: str) -> str:
    text = unicodedata.normalize("NFC", body).replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"
