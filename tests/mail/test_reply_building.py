"""Building replies: subjects, recipients (hostile ones included), quotes,
threading headers, the MIME message, and the text of HTML mail."""

from __future__ import annotations

import email
from email.policy import default

import pytest

from teaminbox.domain import MessageContent, MessageHeader, Person
from teaminbox.mail.compose import (
    MAX_REFERENCES,
    AddressError,
    Attachment,
    Mode,
    Outgoing,
    build_message,
    clean_subject,
    forward_subject,
    parse_recipients,
    quote,
    references,
    reply_recipients,
    reply_subject,
)

SHARED = "contact@office.test"


@pytest.mark.parametrize(
    ("subject", "reply", "forward"),
    [
        ("Hello", "Re: Hello", "Fwd: Hello"),
        ("Re: Hello", "Re: Hello", "Fwd: Hello"),
        ("RE : Re: Fwd: Hello", "Re: Hello", "Fwd: Hello"),
        ("TR: Facture", "Re: Facture", "Fwd: Facture"),
        ("Re[2]: AW: WG: Fw: x", "Re: x", "Fwd: x"),
        ("Réf. : dossier 12", "Re: dossier 12", "Fwd: dossier 12"),
        ("Regarding: the refund", "Re: Regarding: the refund", "Fwd: Regarding: the refund"),
        ("", "Re: ", "Fwd: "),
    ],
)
def test_subjects_do_not_pile_up_prefixes(subject: str, reply: str, forward: str) -> None:
    assert reply_subject(subject) == reply
    assert forward_subject(subject) == forward


def test_a_subject_cannot_carry_a_header_of_its_own() -> None:
    assert clean_subject("Hi\r\nBcc: victim@example.com") == "Hi Bcc: victim@example.com"
    assert clean_subject("a\u2028b\x00c") == "a b c"
    assert len(clean_subject("x" * 5000)) == 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@example.com", [("", "a@example.com")]),
        ("Jean <j@example.fr>; b@example.com", [("Jean", "j@example.fr"), ("", "b@example.com")]),
        ('"Dupont, Jean" <j@example.fr>', [("Dupont, Jean", "j@example.fr")]),
        ("Zoé Noël <z@example.fr>", [("Zoé Noël", "z@example.fr")]),
        ("a@example.com, A@EXAMPLE.COM", [("", "a@example.com")]),
        ("", []),
        (" , ;", []),
    ],
)
def test_recipients_are_parsed(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(p.name, p.email) for p in parse_recipients(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "a@example.com\r\nBcc: victim@example.com",
        "a@example.com\nbcc@example.com",
        "Eve <e@example.com>\r\nX-Evil: 1",
        "not an address",
        "a@localhost",
        "é@example.com",
        "a@exämple.com",
        "<>",
        "a@@example.com",
        "a@example.com <b@example.com>",
        ", ".join(f"p{n}@example.com" for n in range(101)),
    ],
)
def test_hostile_or_invalid_recipients_are_refused(text: str) -> None:
    with pytest.raises(AddressError):
        parse_recipients(text)


def content(
    sender: Person | None,
    to: tuple[Person, ...],
    cc: tuple[Person, ...] = (),
    reply_to: tuple[Person, ...] = (),
) -> MessageContent:
    header = MessageHeader(1, (), "Subject", sender, to, None, 0, "<m@x>")
    return MessageContent(header, cc=cc, reply_to=reply_to, text="", html=None)


JEAN = Person("Jean", "jean@example.com")
PAUL = Person("Paul", "paul@example.com")
OFFICE = Person("Contact", "Contact@Office.test")


@pytest.mark.parametrize(
    ("mode", "original", "to", "cc"),
    [
        (Mode.REPLY, content(JEAN, (OFFICE, PAUL)), [JEAN], []),
        (Mode.REPLY_ALL, content(JEAN, (OFFICE, PAUL), (JEAN,)), [JEAN], [PAUL]),
        (Mode.REPLY, content(JEAN, (OFFICE,), reply_to=(PAUL,)), [PAUL], []),
        (Mode.REPLY, content(OFFICE, (JEAN,)), [JEAN], []),  # one of the office's own, from Sent
        (Mode.REPLY_ALL, content(OFFICE, (JEAN, PAUL)), [JEAN], [PAUL]),
        (Mode.FORWARD, content(JEAN, (OFFICE,)), [], []),
    ],
)
def test_reply_recipients_never_include_the_shared_address(
    mode: Mode, original: MessageContent, to: list[Person], cc: list[Person]
) -> None:
    assert reply_recipients(mode, original, SHARED) == (tuple(to), tuple(cc))


def test_quote_marks_every_line() -> None:
    assert quote("a\n\n> b\r\nc\n") == "> a\n>\n>> b\n> c"


def test_references_keep_the_root_and_the_latest() -> None:
    assert references("", "<m@x>") == ("<m@x>",)
    assert references("<a@x> <b@x>\r\n <a@x>", "<m@x>") == ("<a@x>", "<b@x>", "<m@x>")
    many = " ".join(f"<{n}@x>" for n in range(40))
    kept = references(many, "<m@x>")
    assert len(kept) == MAX_REFERENCES and kept[0] == "<0@x>" and kept[-1] == "<m@x>"
    assert references("", "") == ()


def test_the_message_encodes_names_and_subjects_and_carries_files() -> None:
    message = build_message(
        Outgoing(
            sender_name="Zoé Noël \N{EN DASH} Contact",
            sender_address=SHARED,
            to=(Person("Éloïse Dupont", "e@example.fr"),),
            cc=(PAUL,),
            subject="Re: Réclamation n°12\r\nBcc: victim@example.com",
            body="Bonjour,\r\nmerci.\n-- \nZoé",
            in_reply_to="<m@x>",
            references=("<r@x>", "<m@x>"),
            attachments=(Attachment("facture é.pdf", "application/pdf", b"%PDF"),),
        )
    )
    raw = message.as_bytes()
    assert raw.isascii()
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert not any(line.lower().startswith("bcc") for line in head.split("\r\n"))
    parsed = email.message_from_bytes(raw, policy=default)
    assert str(parsed["From"]) == f"Zoé Noël \N{EN DASH} Contact <{SHARED}>"
    assert str(parsed["To"]) == "Éloïse Dupont <e@example.fr>"
    assert str(parsed["Subject"]) == "Re: Réclamation n°12 Bcc: victim@example.com"
    assert parsed["Message-ID"].endswith("@office.test>")
    assert (parsed["In-Reply-To"], parsed["References"]) == ("<m@x>", "<r@x> <m@x>")
    body = parsed.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == "Bonjour,\nmerci.\n-- \nZoé\n"
    [attached] = list(parsed.iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == ("facture é.pdf", b"%PDF")
