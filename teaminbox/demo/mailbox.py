"""The shared mailbox of Atelier Moreau, a small renovation firm: about 300 messages.

Three months of quote requests, appointments, complaints, supplier mail,
invoices and newsletters, in French and English, with a few conversations
running between INBOX and Sent. Fully determined by `now` and `seed`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from teaminbox.demo import customers, newsletters, office, suppliers
from teaminbox.demo.correspondents import (
    BATINEWS,
    BUSINESS_CUSTOMERS,
    CUSTOMERS,
    DISTRI_PLOMB,
    INVOICERS,
    MAG_ARTISAN,
    SALON,
    Party,
)
from teaminbox.demo.customers import JOBS
from teaminbox.demo.dovecot import DovecotServer
from teaminbox.demo.letters import Envelope, Letter, references_for, render_letter
from teaminbox.imap.append import seed_folders

PARIS = ZoneInfo("Europe/Paris")
SEEN, ANSWERED, FLAGGED = "\\Seen", "\\Answered", "\\Flagged"
# Folders in the order they are seeded; INBOX first.
FOLDERS = ("INBOX", "Sent", "Archive", "Factures", "Réclamations", "Trash")
# The office files handled mail older than this into Archive.
ARCHIVE_AFTER = timedelta(days=55)


@dataclass(frozen=True)
class SeedMessage:
    """One message to append: where, its bytes, its flags and its internal date."""

    folder: str
    raw: bytes
    flags: tuple[str, ...]
    internaldate: datetime


def office_mailbox(now: datetime, *, seed: int = 7) -> list[SeedMessage]:
    """The demo mailbox as it stands at `now` (naive means UTC).

    Every message is dated within the 90 days before `now`; its internal date
    equals its Date header. Within a folder, messages come in date order, as
    they would have arrived. Same `now` and `seed`, same bytes.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return _MailboxWriter(now.astimezone(PARIS).replace(microsecond=0), seed).write()


def seed_office_mailbox(server: DovecotServer, now: datetime) -> int:
    """Fill the server's mailbox with office_mailbox(now); return how many were appended.

    Appends nothing, and returns 0, if INBOX already holds messages.
    """
    batches: dict[str, list[tuple[bytes, Sequence[str], datetime]]] = {f: [] for f in FOLDERS}
    for message in office_mailbox(now):
        batches[message.folder].append((message.raw, message.flags, message.internaldate))
    return seed_folders(server.imap_settings, batches)


@dataclass
class _Draft:
    folder: str
    letter: Letter
    envelope: Envelope
    flags: set[str] = field(default_factory=set)


class _MailboxWriter:
    """Decides who writes when, and to which folder each message was filed."""

    def __init__(self, now: datetime, seed: int) -> None:
        self.now = now
        self.rng = random.Random(seed)
        # Separate stream for MIME details so that wording does not shift them.
        self.mime_rng = random.Random(f"{seed}-mime")
        self.drafts: list[_Draft] = []
        self.message_ids: set[str] = set()

    def write(self) -> list[SeedMessage]:
        self._conversations()
        self._quote_requests(55)
        self._appointments(32)
        self._photos(6)
        self._complaints(5)
        self._supplier_mail(38)
        self._admin_mail(18)
        self._invoices()
        self._office_invoices(8)
        self._newsletters()
        self._spam(4)
        order = {name: index for index, name in enumerate(FOLDERS)}
        self.drafts.sort(key=lambda d: (order[d.folder], d.envelope.date))
        return [
            SeedMessage(
                folder=d.folder,
                raw=render_letter(d.letter, d.envelope, self.mime_rng),
                flags=tuple(sorted(d.flags)),
                internaldate=d.envelope.date,
            )
            for d in self.drafts
        ]

    # --- time -------------------------------------------------------------------

    def moment(self, newest_days: float, oldest_days: float, skew: float = 1.0) -> datetime:
        """A plausible sending time between those many days ago, mostly office hours.

        A `skew` above 1 favours recent days (the office gets busier, and old
        mail has been deleted).
        """
        days = newest_days + (oldest_days - newest_days) * self.rng.random() ** skew
        day = (self.now - timedelta(days=days)).date()
        hour = self.rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
        when = datetime(day.year, day.month, day.day, hour, tzinfo=PARIS) + timedelta(
            minutes=self.rng.randrange(60), seconds=self.rng.randrange(60)
        )
        if when >= self.now:
            when = self.now - timedelta(minutes=self.rng.randint(5, 300))
        return when

    def later(self, when: datetime, min_hours: float, max_hours: float) -> datetime:
        """A time after `when`, moved into office hours (weekdays, 8h-19h) if outside."""
        after = when + timedelta(hours=self.rng.uniform(min_hours, max_hours))
        if after.hour >= 19 or after.hour < 8 or after.weekday() >= 5:
            day = after.date() + timedelta(days=1 if after.hour >= 8 else 0)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            after = datetime(day.year, day.month, day.day, 8, tzinfo=PARIS) + timedelta(
                minutes=self.rng.randrange(90), seconds=self.rng.randrange(60)
            )
        return after

    # --- filing -----------------------------------------------------------------

    def add(
        self, letter: Letter, when: datetime, folder: str, parent: Envelope | None = None
    ) -> Envelope:
        when = when.replace(microsecond=0)  # IMAP dates carry whole seconds
        in_reply_to, references = references_for(parent)
        envelope = Envelope(self._message_id(letter.sender, when), when, in_reply_to, references)
        flags = {SEEN} if letter.sender.address.endswith("@office.test") else set()
        self.drafts.append(_Draft(folder, letter, envelope, flags))
        return envelope

    def receive(self, letter: Letter, when: datetime, folder: str = "") -> Envelope:
        """File an incoming letter: INBOX (or Archive once old), read or not by age."""
        age = self.now - when
        if not folder:
            folder = "Archive" if age > ARCHIVE_AFTER else "INBOX"
        envelope = self.add(letter, when, folder)
        unread_odds = 0.75 if age < timedelta(days=2) else 0.2 if age < timedelta(days=8) else 0.03
        draft = self.drafts[-1]
        if folder in ("Archive", "Trash") or self.rng.random() >= unread_odds:
            draft.flags.add(SEEN)
        if folder != "Trash" and self.rng.random() < 0.08:
            draft.flags.add(FLAGGED)
        return envelope

    def answered(self, envelope: Envelope) -> None:
        """Mark the received message with that envelope as read and answered."""
        for draft in self.drafts:
            if draft.envelope is envelope and draft.folder != "Sent":
                draft.flags |= {SEEN, ANSWERED}

    def add_flag(self, flag: str) -> None:
        """Add a flag to the message filed last."""
        self.drafts[-1].flags.add(flag)

    def _message_id(self, sender: Party, when: datetime) -> str:
        domain = sender.address.rpartition("@")[2]
        while True:
            if self.rng.random() < 0.5:
                local = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            else:
                local = f"{when:%Y%m%d%H%M%S}.{self.rng.getrandbits(40):010x}"
            message_id = f"<{local}@{domain}>"
            if message_id not in self.message_ids:
                self.message_ids.add(message_id)
                return message_id

    # --- what arrives -----------------------------------------------------------

    def _customer(self) -> Party:
        return self.rng.choice(CUSTOMERS)

    def _reply(self, letter: Letter, envelope: Envelope, kind: str, odds: float) -> None:
        """The office answers `letter` (a day or so later) with probability `odds`."""
        when = self.later(envelope.date, 0.5, 28)
        if when < self.now and self.rng.random() < odds:
            reply = office.office_reply(self.rng, letter, envelope, when, kind)
            self.add(reply, when, "Sent", parent=envelope)
            self.answered(envelope)

    def _quote_requests(self, count: int) -> None:
        for _ in range(count):
            customer = self.rng.choice(CUSTOMERS + BUSINESS_CUSTOMERS)
            via_form = customer.lang == "fr" and self.rng.random() < 0.25
            letter = customers.quote_request(
                self.rng, customer, self.rng.choice(JOBS), via_form=via_form
            )
            envelope = self.receive(letter, self.moment(0, 90, _RECENT))
            self._reply(letter, envelope, "quote", 0.4)

    def _appointments(self, count: int) -> None:
        for _ in range(count):
            letter = customers.appointment_request(self.rng, self._customer())
            envelope = self.receive(letter, self.moment(0, 90, _RECENT))
            self._reply(letter, envelope, "appointment", 0.45)

    def _photos(self, count: int) -> None:
        # Old ISO-8859-1 mail programs here send plain text only.
        modern = [c for c in CUSTOMERS if not c.latin1]
        for serial in range(1, count + 1):
            letter = customers.photo_message(self.rng, self.rng.choice(modern), serial)
            self.receive(letter, self.moment(0, 80, _RECENT))

    def _complaints(self, count: int) -> None:
        for index in range(count):
            customer = self.rng.choice([c for c in CUSTOMERS if c.lang == "fr"])
            letter = customers.complaint(self.rng, customer, index + 1)
            when = self.moment(0, 3) if index < 2 else self.moment(4, 85)
            # The newest are still waiting in INBOX; older ones have been filed.
            envelope = self.receive(letter, when, "INBOX" if index < 2 else "Réclamations")
            if index >= 2:
                self._reply(letter, envelope, "complaint", 0.9)

    def _supplier_mail(self, count: int) -> None:
        for _ in range(count):
            when = self.moment(0, 90, _RECENT)
            self.receive(suppliers.supplier_notice(self.rng, when), when)

    def _admin_mail(self, count: int) -> None:
        for _ in range(count):
            when = self.moment(0, 90, _RECENT)
            self.receive(suppliers.admin_notice(self.rng, when), when)

    def _invoices(self) -> None:
        """Supplier invoices, filed into Factures once booked (after about four days)."""
        per_company = (6, 4, 3, 2, 3, 1, 3, 3)
        serial = self.rng.randint(1200, 4800)
        for company, count in zip(INVOICERS, per_company, strict=True):
            for n in range(count):
                oldest = 90 - n * 90 / count
                when = self.moment(max(0.0, oldest - 90 / count), oldest)
                serial += self.rng.randint(3, 60)
                letter = suppliers.supplier_invoice(self.rng, company, when, serial)
                folder = "INBOX" if self.now - when < timedelta(days=4) else "Factures"
                self.receive(letter, when, folder)

    def _office_invoices(self, count: int) -> None:
        for n in range(count):
            customer = self.rng.choice(CUSTOMERS + BUSINESS_CUSTOMERS)
            number = f"FA-{self.now.year}-{180 + n * 3:04d}"
            when = self.moment(n * 90 / count, (n + 1) * 90 / count)
            letter = office.office_invoice(self.rng, customer, self.rng.choice(JOBS), number)
            self.add(letter, when, "Sent")

    def _newsletters(self) -> None:
        """Weekly BatiNews, fortnightly magazine, monthly promotions, a trade fair."""
        schedule = [(BATINEWS, 7, 142), (MAG_ARTISAN, 14, 57), (DISTRI_PLOMB, 30, 1)]
        for company, every, first_issue in schedule:
            days_ago = self.rng.uniform(0, every)
            issue = first_issue + 12
            while days_ago < 90:
                when = self.moment(days_ago, days_ago).replace(hour=6, minute=30)
                when = min(when, self.now - timedelta(minutes=20))
                letter = newsletters.newsletter(self.rng, company, when, issue)
                # People bin some old newsletters and never open the others.
                binned = days_ago > 30 and self.rng.random() < 0.3
                self.receive(letter, when, "Trash" if binned else "INBOX")
                if not binned and self.rng.random() < 0.5:
                    self.drafts[-1].flags.discard(SEEN)
                days_ago += every
                issue -= 1
        for days_ago in (40.0, 9.0):
            when = self.moment(days_ago, days_ago)
            self.receive(newsletters.newsletter(self.rng, SALON, when, 0), when)

    def _spam(self, count: int) -> None:
        for _ in range(count):
            self.receive(suppliers.spam(self.rng), self.moment(0, 60), "Trash")

    # --- conversations ------------------------------------------------------------

    def _conversations(self) -> None:
        """Threads with In-Reply-To and References, spanning INBOX and Sent."""
        by_name = {party.name: party for party in CUSTOMERS + BUSINESS_CUSTOMERS}
        bathroom, boiler, leak = JOBS[0], JOBS[2], JOBS[9]
        self._quote_thread(by_name["Mathieu Roux"], bathroom, 24, "INBOX")
        self._quote_thread(BUSINESS_CUSTOMERS[0], leak, 12, "INBOX")
        self._quote_thread(by_name["Jean-Pierre Dupont"], boiler, 80, "Archive")
        self._complaint_thread(by_name["Hélène Lefèvre"], 0, 7)
        self._complaint_thread(by_name["James O'Connor"], 0, 16)
        self._complaint_thread(by_name["Gérard Mercier"], 2, 30)
        sarah = by_name["Sarah Thompson"]
        letter = customers.appointment_request(self.rng, sarah)
        opening = self.receive(letter, self.moment(5, 6), "INBOX")
        self._exchange(letter, opening, "appointment", "INBOX")

    def _quote_thread(
        self, customer: Party, job: customers.Job, days_ago: float, folder: str
    ) -> None:
        """Request, visit proposed, visit accepted, quote sent, quote signed."""
        letter = customers.quote_request(self.rng, customer, job, via_form=False)
        envelope = self.receive(letter, self.moment(days_ago, days_ago + 1), folder)
        reply, reply_env = self._exchange(letter, envelope, "quote", folder)
        when = self.later(reply_env.date, 48, 120)
        if when >= self.now:
            return
        number = f"D{when.year}-{self.rng.randint(100, 400):04d}"
        quote = office.office_quote(self.rng, customer, job, number, (reply, reply_env))
        quote_env = self.add(quote, when, "Sent", parent=reply_env)
        self.answered(reply_env)
        when = self.later(when, 20, 70)
        if when < self.now:
            accept = customers.customer_followup(self.rng, customer, quote, quote_env, accept=True)
            self.receive(accept, when, folder)
            self.add_flag(FLAGGED)

    def _complaint_thread(self, customer: Party, index: int, days_ago: float) -> None:
        letter = customers.complaint(self.rng, customer, index)
        envelope = self.receive(letter, self.moment(days_ago, days_ago + 1), "Réclamations")
        self.add_flag(FLAGGED)
        self._exchange(letter, envelope, "complaint", "Réclamations")

    def _exchange(
        self, letter: Letter, envelope: Envelope, kind: str, folder: str
    ) -> tuple[Letter, Envelope]:
        """The office proposes a date and the customer takes it; returns the last message."""
        when = self.later(envelope.date, 1, 6)
        if when >= self.now:
            return letter, envelope
        reply = office.office_reply(self.rng, letter, envelope, when, kind)
        reply_env = self.add(reply, when, "Sent", parent=envelope)
        self.answered(envelope)
        when = self.later(when, 2, 20)
        if when >= self.now:
            return reply, reply_env
        customer = reply.recipient
        answer = customers.customer_followup(self.rng, customer, reply, reply_env, accept=False)
        answer_env = self.receive(answer, when, folder)
        return answer, answer_env


# How strongly everyday mail favours recent days (see _MailboxWriter.moment).
_RECENT = 1.6
# Relative likelihood of each hour of the day for a message to be written.
_HOUR_WEIGHTS = (
    1, 0, 0, 0, 0, 1, 2, 5, 9, 12, 12, 11, 7, 8, 11, 11, 10, 9, 7, 5, 4, 3, 2, 1,
)  # fmt: skip
