"""Part bodies: transfer encodings and charsets, tolerant of what real mail sends."""

from __future__ import annotations

import pytest

from teaminbox.mail.content import decode_text, decode_transfer


@pytest.mark.parametrize(
    ("payload", "encoding", "expected"),
    [
        (b"w6l0w6k=", "base64", "été".encode()),
        (b"w6l0w6k", "base64", "été".encode()),
        (b"w6l0\r\n w6k=\r\n", "BASE64", "été".encode()),
        (b"w6l0*w6k!=", "base64", "été".encode()),
        (b"QQ==QQ==", "base64", b"AA"),
        (b"QUJD\nRA", "base64", b"ABCD"),
        (b"QUJDR", "base64", b"ABC"),
        (b"", "base64", b""),
        (b"caf=C3=A9", "quoted-printable", "café".encode()),
        (b"long=\r\nline", "quoted-printable", b"longline"),
        (b"long=\nline", "Quoted-Printable", b"longline"),
        (b"bad =ZZ sequence", "quoted-printable", b"bad =ZZ sequence"),
        (b"caf\xc3\xa9", "8bit", "café".encode()),
        (b"plain", "7bit", b"plain"),
        (b"\x00\xff", "binary", b"\x00\xff"),
        (b"as is", None, b"as is"),
        (b"begin 644 x\n", "x-uuencode", b"begin 644 x\n"),
        (b"w6k=", ' "base64" ', "é".encode()),
    ],
)
def test_decode_transfer(payload: bytes, encoding: str | None, expected: bytes) -> None:
    assert decode_transfer(payload, encoding) == expected


@pytest.mark.parametrize(
    ("payload", "charset", "expected"),
    [
        ("café".encode(), "utf-8", "café"),
        ("café".encode(), "UTF8", "café"),
        ("café".encode("latin-1"), "iso-8859-1", "café"),
        (b"\x93quoted\x94 \x80", "iso-8859-1", "“quoted” €"),
        (b"\x93quoted\x94", "windows-1252", "“quoted”"),
        ("€".encode("iso-8859-15"), "iso-8859-15", "€"),
        ("café".encode(), "us-ascii", "café"),
        ("café".encode(), "ascii", "café"),
        ("日本語".encode("gbk"), "gb2312", "日本語"),
        ("日本語".encode("shift_jis"), "shift_jis", "日本語"),
        ("привет".encode("koi8-r"), "koi8-r", "привет"),
        ("café".encode("utf-16"), "utf-16", "café"),
        ("café".encode(), None, "café"),
        ("café".encode("latin-1"), None, "café"),
        ("café".encode("latin-1"), "utf-8", "café"),
        ("été ".encode() + b"\xe9t\xe9", "utf-8", "été été"),
        ("café".encode(), "x-unknown", "café"),
        ("café".encode("latin-1"), "x-unknown", "café"),
        ("café".encode(), '"utf-8"', "café"),
        (b"caf\\xe9", "unicode_escape", "caf\\xe9"),
        (b"aGk=", "base64", "aGk="),
        (b"hi", "rot13", "hi"),
        (b"\x81\x8d", "windows-1252", "\x81\x8d"),
        (b"\xef\xbb\xbfbonjour", "utf-8", "bonjour"),
        (b"a\x00b", "utf-8", "ab"),
        (b"a\x00b", None, "ab"),
        (b"", "utf-8", ""),
        (b"+2AA-", "utf-7", "\ufffd"),
    ],
)
def test_decode_text(payload: bytes, charset: str | None, expected: str) -> None:
    assert decode_text(payload, charset) == expected
