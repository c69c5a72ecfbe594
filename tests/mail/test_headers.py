"""Header values: encoded words in any charset, raw 8-bit, garbage; never an exception."""

from __future__ import annotations

import time

import pytest

from teaminbox.domain import Person
from teaminbox.mail.headers import decode_header_value


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"=?a?q?xx" * 40_000, "=?a?q?xx" * 40_000),  # starts of words that never end
        ("=?utf-8?q?" + "x" * 300_000, "=?utf-8?q?" + "x" * 300_000),
        ("=?" * 150_000, "=?" * 150_000),
        (b"=?utf-8?b?QUFB?= " * 150_000, "AAA" * 150_000),  # one run of adjacent words
    ],
    ids=["unended-words", "one-long-word-guard", "starts-guard", "adjacent-words"],
)
def test_a_long_hostile_value_is_read_in_one_pass(raw: bytes | str, expected: str) -> None:
    # A crafted Subject of a few hundred KB: decoding its unended or adjacent
    # encoded words took time quadratic in its length (minutes at this
    # size). The two "guard" cases were never slow: they keep them so.
    started = time.monotonic()
    assert decode_header_value(raw) == expected
    assert time.monotonic() - started < 5


def test_an_encoded_word_ends_at_its_first_question_mark() -> None:
    # RFC 2047: encoded text never holds a "?" (a Q-encoded one is =3F).
    assert decode_header_value("=?utf-8?q?a=3Fb?= =?utf-8?q?c?d?=") == "a?b =?utf-8?q?c?d?="
