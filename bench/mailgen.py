"""Office-sized mailboxes for the scale benchmark, made once and kept.

The Dovecot lives under `bench/.data/dovecot` (git-ignored): a folder of
10k and one of 100k messages, and one holding a message with a 20 MB
attachment. A run finds them there and reuses them; a folder whose count is
wrong is deleted and made again.

The messages are built from templates, not with `email.message` (50 µs
against ~1 ms each), with a fixed seed so that every machine gets the same
mailbox: plain text, text + HTML, replies, PDFs and images attached, French
names and subjects in RFC 2047 encoded words, a few hostile headers (no
Date, an address group, a 2,000-character subject, a NUL-free but broken
encoded word). They are appended with MULTIAPPEND and LITERAL+ on a bare
socket, a batch per command, so the server never waits for the client.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bench.imap_raw import ImapProtocolError, RawImap, quoted
from teaminbox.demo.dovecot import DovecotServer, start_dovecot

DATA_DIR = Path(__file__).resolve().parent / ".data"
ATTACHMENT_FOLDER = "Attachment20MB"
ATTACHMENT_BYTES = 20 * 1024 * 1024
BATCH = 500
SEED = 7

_FIRST = [
    "Amélie",
    "Bruno",
    "Chloé",
    "Denis",
    "Élodie",
    "François",
    "Hélène",
    "Jean",
    "Léa",
    "Marc",
    "Noémie",
    "Olivier",
    "Pauline",
    "René",
    "Sophie",
    "Thierry",
    "Zoé",
    "Karim",
]
_LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Roux",
    "Fournier",
    "Mercier",
    "Boyer",
    "Garnier",
    "Chevalier",
    "Nguyen",
    "Da Silva",
    "Haddad",
    "Müller",
]
_DOMAINS = [
    "example.fr",
    "client-dupont.fr",
    "mairie-exemple.fr",
    "fournisseur.test",
    "gmail.example",
    "orange.example",
    "cabinet-conseil.test",
]
_TOPICS = [
    "Devis n°{n}",
    "Facture {n} — relance",
    "Rendez-vous du {d}",
    "Question sur la commande {n}",
    "Re: Votre demande",
    "Réclamation dossier {n}",
    "Candidature spontanée",
    "Order {n} shipped",
    "Meeting notes",
    "Contrat de maintenance {n}",
    "Invitation: {d}",
]
_TEXT = (
    "bonjour merci pour votre message nous avons bien reçu la commande et la facture "
    "sera envoyée demain cordialement please find attached the quote for the works "
    "livraison prévue semaine prochaine le dossier est complet"
)
_WORDS = _TEXT.split()


@dataclass(frozen=True)
class Mailbox:
    """The kept Dovecot and what it holds."""

    server: DovecotServer
    folders: dict[int, str]  # message count → folder name
    attachment_uid: int
    generation_seconds: dict[str, float]  # folder → seconds spent making it in this run (0: kept)


def folder_name(count: int) -> str:
    return f"Office{count // 1000}k" if count % 1000 == 0 else f"Office{count}"


def _words(rng: random.Random, size: int) -> str:
    out: list[str] = []
    length = 0
    while length < size:
        line = " ".join(rng.choices(_WORDS, k=12))
        out.append(line)
        length += len(line) + 2
    return "\r\n".join(out)


def _encoded(text: str) -> str:
    """RFC 2047 B-encoding when not ASCII, as mail clients send it."""
    if text.isascii():
        return text
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


class _Blob:
    """Base64 lines sliced out of one random block: attachments that cost
    no CPU to make but do not compress."""

    def __init__(self, rng: random.Random, size: int = 4 * 1024 * 1024) -> None:
        raw = base64.b64encode(rng.randbytes(size))
        self.lines = b"\r\n".join(raw[i : i + 76] for i in range(0, len(raw), 76))

    def take(self, rng: random.Random, size: int) -> bytes:
        size = min(size, len(self.lines) - 80)
        start = rng.randrange(0, len(self.lines) - size) // 78 * 78
        return self.lines[start : start + size]


def make_message(index: int, rng: random.Random, blob: _Blob) -> tuple[bytes, str, datetime]:
    """One message (bytes, flags, internal date), drawn from the office mix."""
    first, last, domain = rng.choice(_FIRST), rng.choice(_LAST), rng.choice(_DOMAINS)
    when = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=index * 600 + rng.randrange(600))
    subject = rng.choice(_TOPICS).format(n=10000 + index, d=when.strftime("%d/%m"))
    kind = rng.random()
    boundary = f"=_b{index}"
    headers = [
        f"From: {_encoded(f'{first} {last}')} <{first[0].lower()}.{index}@{domain}>",
        "To: Contact <contact@office.test>",
        f"Subject: {_encoded(subject)}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: <gen-{index}@{domain}>",
        "MIME-Version: 1.0",
    ]
    if index % 997 == 0:
        headers[1] = "To: undisclosed-recipients:;"
        headers.pop(3)  # no Date at all
    if index % 1999 == 0:
        headers[2] = "Subject: " + "Très long sujet " * 125
    if index % 2999 == 0:
        headers[2] = "Subject: =?utf-8?q?broken=ZZ?= =?unknown-8bit?b?////?="
    if kind < 0.55:  # plain text
        headers.append("Content-Type: text/plain; charset=utf-8")
        body = _words(rng, rng.randrange(300, 4000))
    elif kind < 0.67:  # a reply, quoting
        headers.append(f"In-Reply-To: <gen-{max(0, index - rng.randrange(1, 50))}@office.test>")
        headers.append("Content-Type: text/plain; charset=utf-8")
        quote = "\r\n".join("> " + line for line in _words(rng, 1500).split("\r\n"))
        body = _words(rng, rng.randrange(200, 1500)) + "\r\n\r\n" + quote
    elif kind < 0.93:  # text and HTML
        headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        text = _words(rng, rng.randrange(500, 5000))
        html = "<html><body><p>" + text.replace("\r\n", "</p>\r\n<p>") + "</p></body></html>"
        body = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
            f"--{boundary}--"
        )
    else:  # an attachment: mostly PDFs of 20-200 KB, sometimes an image up to 1 MB
        big = kind > 0.99
        size = rng.randrange(200_000, 1_000_000) if big else rng.randrange(20_000, 200_000)
        name, mime = ("photo.jpg", "image/jpeg") if big else ("devis.pdf", "application/pdf")
        headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        body = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f'{_words(rng, 600)}\r\n--{boundary}\r\nContent-Type: {mime}; name="{name}"\r\n'
            f"Content-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'
        )
        data = (
            "\r\n".join(headers).encode()
            + b"\r\n\r\n"
            + body.encode()
            + blob.take(rng, size)
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return data, _flags(rng), when
    data = ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()
    return data, _flags(rng), when


def _flags(rng: random.Random) -> str:
    roll = rng.random()
    flags = ["\\Seen"] if roll < 0.85 else []
    if roll < 0.05:
        flags.append("\\Flagged")
    elif roll < 0.25:
        flags.append("\\Answered")
    return " ".join(flags)


def _internal_date(when: datetime) -> str:
    return when.strftime("%d-%b-%Y %H:%M:%S +0000")


def messages(count: int) -> Iterator[tuple[bytes, str, datetime]]:
    rng = random.Random(SEED)  # noqa: S311 - a reproducible mailbox, not a secret
    blob = _Blob(rng)
    for index in range(count):
        yield make_message(index, rng, blob)


def multiappend(raw: RawImap, folder: str, batch: list[tuple[bytes, str, datetime]]) -> None:
    """One MULTIAPPEND (RFC 3502) with non-synchronising literals (RFC 7888)."""
    raw._counter += 1
    tag = f"g{raw._counter}"
    parts = [f"{tag} APPEND {quoted(folder)}".encode()]
    for data, flags, when in batch:
        parts.append(f' ({flags}) "{_internal_date(when)}" {{{len(data)}+}}\r\n'.encode())
        parts.append(data)
    parts.append(b"\r\n")
    raw.sock.sendall(b"".join(parts))
    while not (line := raw.read_line()).startswith(tag.encode() + b" "):
        pass
    if not line[len(tag) + 1 :].startswith(b"OK"):
        raise ImapProtocolError(f"APPEND refused: {line[:200]!r}")


def _exists(raw: RawImap, folder: str) -> int | None:
    try:
        lines = raw.command(f"EXAMINE {quoted(folder)}")
    except ImapProtocolError:
        return None
    found = next((line for line in lines if line.endswith(b" EXISTS")), b"* 0 EXISTS")
    return int(found.split()[1])


def fill(raw: RawImap, folder: str, source: Iterator[tuple[bytes, str, datetime]]) -> None:
    """Make `folder` afresh and append everything `source` yields."""
    if _exists(raw, folder) is not None:
        raw.command("UNSELECT")
    with contextlib.suppress(ImapProtocolError):  # it did not exist
        raw.command(f"DELETE {quoted(folder)}")
    raw.command(f"CREATE {quoted(folder)}")
    batch: list[tuple[bytes, str, datetime]] = []
    for message in source:
        batch.append(message)
        if len(batch) == BATCH:
            multiappend(raw, folder, batch)
            batch = []
    if batch:
        multiappend(raw, folder, batch)


def attachment_message() -> tuple[bytes, str, datetime]:
    """A short text and a 20 MB attachment (27 MB in base64)."""
    rng = random.Random(SEED + 1)  # noqa: S311
    blob = base64.b64encode(rng.randbytes(ATTACHMENT_BYTES))
    lines = b"\r\n".join(blob[i : i + 76] for i in range(0, len(blob), 76))
    head = (
        "From: =?utf-8?b?" + base64.b64encode("Hélène Roux".encode()).decode() + "?= "
        "<h.roux@cabinet-conseil.test>\r\nTo: contact@office.test\r\n"
        "Subject: Plans du bâtiment (20 Mo)\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
        "Message-ID: <plans-20mb@cabinet-conseil.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="=_big"\r\n\r\n'
        "--=_big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Bonjour, voici les plans en pièce jointe.\r\n--=_big\r\n"
        'Content-Type: application/octet-stream; name="plans.dwg"\r\n'
        'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="plans.dwg"'
        "\r\n\r\n"
    ).encode()
    when = datetime(2026, 11, 30, 10, tzinfo=UTC)
    return head + lines + b"\r\n--=_big--\r\n", "", when


def ensure_mailbox(sizes: tuple[int, ...], say: Callable[[str], None] = print) -> Mailbox:
    """Start the kept Dovecot; make whatever folder is missing or wrong."""
    server = start_dovecot(DATA_DIR / "dovecot")
    raw = RawImap(server.host, server.imap_port, timeout=600)
    spent: dict[str, float] = {}
    try:
        raw.log_in(server.user, server.password)
        wanted = {folder_name(n): n for n in sizes}
        for folder, count in wanted.items():
            if _exists(raw, folder) == count:
                spent[folder] = 0.0
                continue
            say(f"generating {folder}: {count} messages")
            started = time.monotonic()
            fill(raw, folder, messages(count))
            spent[folder] = time.monotonic() - started
        if _exists(raw, ATTACHMENT_FOLDER) != 1:
            started = time.monotonic()
            fill(raw, ATTACHMENT_FOLDER, iter([attachment_message()]))
            spent[ATTACHMENT_FOLDER] = time.monotonic() - started
        _record_generation(spent)
        raw.command(f"EXAMINE {quoted(ATTACHMENT_FOLDER)}")
        found = raw.command("UID SEARCH ALL")[0].split()
        attachment_uid = int(found[-1])
        raw.command("UNSELECT")
    finally:
        raw.close()
    folders = {n: folder_name(n) for n in sizes}
    return Mailbox(server, folders, attachment_uid, spent)


def _record_generation(spent: dict[str, float]) -> None:
    """Keep how long each folder took to make, for the runs that reuse it."""
    path = DATA_DIR / "generation.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    known.update({folder: seconds for folder, seconds in spent.items() if seconds})
    path.write_text(json.dumps(known, indent=2) + "\n")


def recorded_generation() -> dict[str, float]:
    """Seconds each kept folder took to make, when it was made."""
    path = DATA_DIR / "generation.json"
    return json.loads(path.read_text()) if path.exists() else {}


def disk_bytes(server: DovecotServer) -> int:
    return sum(p.stat().st_size for p in server.mail_dir.rglob("*") if p.is_file())
