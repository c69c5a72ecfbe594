"""The demo mailbox is deterministic, well-formed and varied."""

from __future__ import annotations

import email
import email.policy
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

import pytest

from teaminbox.demo.attachments import simple_pdf, tiny_png
from teaminbox.demo.mailbox import FOLDERS, SeedMessage, office_mailbox

NOW = datetime(2025, 11, 22, 9, 30, tzinfo=UTC)
RESERVED = re.compile(r"(^|\.)(example\.(com|net|org)|[a-z0-9-]+\.(test|invalid))$")


@pytest.fixture(scope="module")
def messages() -> list[SeedMessage]:
    return office_mailbox(NOW)


def parse(raw: bytes) -> EmailMessage:
    message: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)
    return message


def test_same_now_and_seed_give_the_same_bytes(messages: list[SeedMessage]) -> None:
    assert office_mailbox(NOW) == messages
    assert office_mailbox(NOW, seed=8) != messages


def test_size_and_folders(messages: list[SeedMessage]) -> None:
    counts = Counter(m.folder for m in messages)
    assert 250 <= len(messages) <= 350
    assert set(counts) == set(FOLDERS)
    assert counts["INBOX"] > len(messages) / 3
    for folder in ("Sent", "Archive", "Factures", "Réclamations", "Trash"):
        assert counts[folder] >= 3, folder


def test_every_message_parses_without_defects(messages: list[SeedMessage]) -> None:
    for message in messages:
        parsed = parse(message.raw)
        for part in parsed.walk():
            assert part.defects == [], parsed["Subject"]
            for name, value in part.items():
                assert not getattr(value, "defects", ()), (name, value)
        assert message.raw.count(b"\n") == message.raw.count(b"\r\n")
        assert max(len(line) for line in message.raw.split(b"\r\n")) <= 998


def test_dates_ids_and_threads(messages: list[SeedMessage]) -> None:
    ids = Counter(parse(m.raw)["Message-ID"] for m in messages)
    assert max(ids.values()) == 1
    replies = 0
    for message in messages:
        parsed = parse(message.raw)
        assert parsedate_to_datetime(parsed["Date"]) == message.internaldate
        assert NOW - timedelta(days=91) < message.internaldate <= NOW
        if parsed["In-Reply-To"]:
            replies += 1
            assert parsed["In-Reply-To"] in ids
            references = str(parsed["References"]).split()
            assert references[-1] == parsed["In-Reply-To"]
            assert all(ref in ids for ref in references)
    assert replies >= 20


def test_folders_are_in_arrival_order(messages: list[SeedMessage]) -> None:
    for folder in FOLDERS:
        dates = [m.internaldate for m in messages if m.folder == folder]
        assert dates == sorted(dates), folder


def test_flags(messages: list[SeedMessage]) -> None:
    by_folder: dict[str, Counter[str]] = {folder: Counter() for folder in FOLDERS}
    for message in messages:
        by_folder[message.folder].update(message.flags or ["(none)"])
    assert by_folder["INBOX"]["(none)"] > 5  # unread mail waiting
    assert by_folder["INBOX"]["\\Answered"] > 5
    assert by_folder["INBOX"]["\\Flagged"] > 0
    assert set(by_folder["Sent"]) == {"\\Seen"}
    assert "(none)" not in by_folder["Archive"]


def test_the_promised_variety(messages: list[SeedMessage]) -> None:
    parsed = [parse(m.raw) for m in messages]
    raws = [m.raw for m in messages]
    subjects = {str(p["Subject"]) for p in parsed}
    assert "Réclamation : fuite après intervention" in subjects
    assert any(b"Subject: =?iso-8859-1?q?R=E9clamation" in raw for raw in raws)
    assert any(b"From: =?iso-8859-1?q?H=E9l=E8ne_Lef=E8vre?=" in raw for raw in raws)
    assert any(b"=?utf-8?" in raw for raw in raws)
    assert any(p["Reply-To"] for p in parsed)
    assert any(p["Cc"] for p in parsed)
    assert any(b"https://tracker.example.net/open.gif?id=" in p.as_bytes() for p in parsed)
    types = Counter(part.get_content_type() for p in parsed for part in p.walk())
    assert types["multipart/related"] >= 1
    assert types["multipart/alternative"] >= 10
    assert types["application/pdf"] >= 20
    pdfs = [
        part.get_content()
        for p in parsed
        for part in p.walk()
        if part.get_content_type() == "application/pdf"
    ]
    assert all(pdf.startswith(b"%PDF-1.4") and 600 < len(pdf) < 8000 for pdf in pdfs)
    english = [s for s in subjects if "quote" in s.lower() or "appointment" in s.lower()]
    assert english


def test_only_reserved_domains(messages: list[SeedMessage]) -> None:
    for message in messages:
        parsed = parse(message.raw)
        pairs = getaddresses(
            [str(parsed[h]) for h in ("From", "To", "Cc", "Reply-To") if parsed[h]]
        )
        for _name, address in pairs:
            assert RESERVED.search(address.rpartition("@")[2]), address
        text = message.raw.decode("latin-1").replace("=\r\n", "")
        for host in re.findall(r"https?://([A-Za-z0-9.-]+)", text):
            assert RESERVED.search(host), host


def test_tiny_png_is_a_png() -> None:
    png = tiny_png(8, 4)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png[12:16] == b"IHDR" and png[16:24] == (8).to_bytes(4, "big") + (4).to_bytes(4, "big")
    assert png.endswith(b"IEND\xaeB`\x82")


def test_simple_pdf_cross_reference_is_exact() -> None:
    pdf = simple_pdf("Facture n° 1", ["Total : 12,00 €", "(parenthèses) \\ échappées"])
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split()[0])
    assert pdf[xref_at:].startswith(b"xref\n")
    entries = pdf[xref_at:].split(b"\n")[3:8]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry.split()[0])
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
