"""BODYSTRUCTURE into leaves, from responses as imapclient parses them."""

from __future__ import annotations

from imapclient.response_parser import parse_fetch_response

from teaminbox.imap.bodystructure import parse_bodystructure


def structure(raw: bytes):  # type: ignore[no-untyped-def]
    return parse_fetch_response([b"1 (UID 1 BODYSTRUCTURE " + raw + b")"])[1][b"BODYSTRUCTURE"]


def test_single_text_part_is_section_one() -> None:
    parts = parse_bodystructure(
        structure(
            b'("TEXT" "PLAIN" ("CHARSET" "iso-8859-1") NIL NIL "QUOTED-PRINTABLE" 120 4 NIL NIL NIL NIL)'
        )
    )
    assert len(parts) == 1
    part = parts[0]
    assert (part.section, part.mime_type, part.charset, part.encoding, part.size) == (
        "1",
        "text/plain",
        "iso-8859-1",
        "quoted-printable",
        120,
    )
    assert not part.is_attachment


def test_nested_multipart_with_attachment_and_inline_image() -> None:
    raw = (
        b'((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)'
        b'("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "BASE64" 200 3 NIL NIL NIL NIL)'
        b' "ALTERNATIVE" ("BOUNDARY" "a") NIL NIL NIL)'
        b'("IMAGE" "PNG" ("NAME" "logo.png") "<logo@x>" NIL "BASE64" 300 NIL ("INLINE" NIL) NIL NIL)'
        b'("APPLICATION" "PDF" ("NAME" "ignored.pdf") NIL NIL "BASE64" 4000 NIL'
        b' ("ATTACHMENT" ("FILENAME*" "utf-8\'\'facture%20n%C2%B012.pdf")) NIL NIL)'
        b' "MIXED" ("BOUNDARY" "m") NIL NIL NIL)'
    )
    parts = parse_bodystructure(structure(raw))
    assert [p.section for p in parts] == ["1.1", "1.2", "2", "3"]
    assert [p.mime_type for p in parts] == [
        "text/plain",
        "text/html",
        "image/png",
        "application/pdf",
    ]
    image, pdf = parts[2], parts[3]
    assert image.content_id == "logo@x" and not image.is_attachment
    assert pdf.filename == "facture n°12.pdf" and pdf.is_attachment
    assert pdf.disposition == "attachment"


def test_encoded_word_file_name_and_rfc822_part() -> None:
    raw = (
        b'(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5 1 NIL NIL NIL NIL)'
        b'("APPLICATION" "OCTET-STREAM" ("NAME" "=?UTF-8?Q?r=C3=A9sum=C3=A9.txt?=") NIL NIL "BASE64" 8'
        b" NIL NIL NIL NIL)"
        b' "MIXED" ("BOUNDARY" "m") NIL NIL NIL)'
    )
    parts = parse_bodystructure(structure(raw))
    assert parts[1].filename == "résumé.txt"
    assert parts[1].is_attachment


def test_continuation_numbers_python_cannot_read_are_section_zero() -> None:
    # "²" is a digit to str.isdigit, not to int; int refuses 4,300 digits.
    for key in ("NAME*²".encode(), b"NAME*" + b"9" * 5000 + b"*"):
        raw = b'("APPLICATION" "OCTET-STREAM" ("' + key + b'" "utf-8\'\'devis.pdf") NIL NIL'
        (part,) = parse_bodystructure(structure(raw + b' "BASE64" 10 NIL NIL NIL NIL)'))
        assert part.mime_type == "application/octet-stream"
