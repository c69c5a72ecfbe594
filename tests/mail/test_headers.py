"""Header values: encoded words in any charset, raw 8-bit, garbage; never an exception."""

from __future__ import annotations

import pytest

from teaminbox.domain import Person
from teaminbox.mail.headers import decode_header_value, parse_address_list


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?UTF-8?Q?Devis_pour_la_r=C3=A9novation?=", "Devis pour la rénovation"),
        ("=?ISO-8859-1?Q?R=E9clamation?=", "Réclamation"),
        ("=?iso-8859-15?q?Facture_n=B0_42_=A4?=", "Facture n° 42 €"),
        ("=?windows-1252?Q?=93Offre=94_sp=E9ciale?=", "“Offre” spéciale"),
        ("=?utf-8?B?w6l0w6kgw6AgUGFyaXM=?=", "été à Paris"),
        ("=?UTF-8?B?w6l0w6k?=", "été"),
        ("Re: =?utf-8?q?caf=C3=A9?= et th\u00e9", "Re: café et thé"),
        ("=?UTF-8?Q?r=C3?= =?UTF-8?Q?=A9novation?=", "rénovation"),
        ("=?UTF-8?B?w6k=?=\r\n =?UTF-8?B?dMOp?=", "été"),
        ("=?utf-8?Q?a?= b =?utf-8?Q?c?=", "a b c"),
        ("=?utf-8?Q?a?=   =?iso-8859-1?Q?=E9?=", "aé"),
        ("=?utf-8*fr?Q?bonjour?=", "bonjour"),
        ("=?x-unknown?Q?caf=E9?=", "café"),
        ("=?x-klingon?Q?Bonjour_=E9t=E9?=", "Bonjour été"),
        ("=?base64?Q?x?=", "x"),
        ("=?utf-8?B?!!!?=", ""),
        ("=?utf-8?B?w6l0w6?=", "étÃ"),
        ("=?utf-8?Q?unterminated", "=?utf-8?Q?unterminated"),
        ("=?utf-8?X?unknown_encoding?=", "=?utf-8?X?unknown_encoding?="),
        (b"Caf\xc3\xa9 cr\xc3\xa8me", "Café crème"),
        (b"Caf\xe9 cr\xe8me", "Café crème"),
        (b"=?utf-8?Q?caf=C3=A9?= \xe9", "café é"),
        ("Caf\udce9", "Café"),
        ("lone \ud800 surrogate \udce9", "lone \ufffd surrogate \ufffd"),
        ("Subject\r\n folded\r\n\tthree times", "Subject folded three times"),
        ("  lots   of\tspace  ", "lots of space"),
        ("bell\x07 nul\x00 del\x7f", "bell nul del"),
        ("=?utf-8?Q?line=0Abreak?=", "line break"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("", ""),
        (None, ""),
    ],
)
def test_decode_header_value(raw: bytes | str | None, expected: str) -> None:
    assert decode_header_value(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jean Dupont <jean@example.fr>", [Person("Jean Dupont", "jean@example.fr")]),
        ("jean@example.fr", [Person("", "jean@example.fr")]),
        (
            '"Dupont, Jean" <jean@example.fr>, marie@example.fr',
            [Person("Dupont, Jean", "jean@example.fr"), Person("", "marie@example.fr")],
        ),
        ("=?UTF-8?Q?Ren=C3=A9_Lef=C3=A8vre?= <rene@example.fr>", [Person("René Lefèvre", "rene@example.fr")]),
        ("=?utf-8?Q?Dupont=2C_Jean?= <j@example.fr>", [Person("Dupont, Jean", "j@example.fr")]),
        ('"=?utf-8?Q?Ren=C3=A9?=" <r@example.fr>', [Person("René", "r@example.fr")]),
        (b"Ren\xc3\xa9 <r@example.fr>", [Person("René", "r@example.fr")]),
        (b"Ren\xe9 <r@example.fr>", [Person("René", "r@example.fr")]),
        ("r@example.fr (Ren\u00e9)", [Person("René", "r@example.fr")]),
        ("Team: a@example.fr, b@example.fr;", [Person("", "a@example.fr"), Person("", "b@example.fr")]),
        ("A <a@example.fr>,\r\n B <b@example.fr>", [Person("A", "a@example.fr"), Person("B", "b@example.fr")]),
        ("undisclosed-recipients:;", []),
        ("garbage <<<", []),
        ("", []),
        (None, []),
    ],
)  # fmt: skip
def test_parse_address_list(raw: bytes | str | None, expected: list[Person]) -> None:
    assert parse_address_list(raw) == expected


@pytest.mark.parametrize(
    "raw", ["alice@example.org)<bob@example.org>", "<<a@b>>,,<", '"unclosed <x@y>', "\x00\x01@\x02"]
)
def test_parse_address_list_never_raises_on_garbage(raw: str) -> None:
    for address in parse_address_list(raw):
        assert address.email
        assert "\x00" not in address.email


@pytest.mark.parametrize(
    ("address", "display", "text"),
    [
        (Person("René", "r@example.fr"), "René", "René <r@example.fr>"),
        (Person("", "r@example.fr"), "r@example.fr", "r@example.fr"),
    ],
)
def test_address_display_and_str(address: Person, display: str, text: str) -> None:
    assert address.display == display
    assert str(address) == text


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"Devis 42",
        b"<gen-1@office.test>",
        b" leading",
        b"trailing ",
        b"two  spaces",
        b"tab\there",
        b"=?utf-8?q?caf=C3=A9?=",
        b"a =? b",
        b"del\x7f and \x01 controls",
        b"folded\r\n line",
        bytes(range(0x20, 0x7F)),
    ],
)
def test_plain_ascii_bytes_read_as_the_full_decoding_reads_them(raw: bytes) -> None:
    """Bytes that are printable ASCII words take a shortcut; a str never
    does, so both must give the same."""
    assert decode_header_value(raw) == decode_header_value(raw.decode("ascii"))
