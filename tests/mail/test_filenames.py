"""Attachment names: no paths, no tricks, still readable; headers that cannot be broken."""

from __future__ import annotations

import pytest

from teaminbox.mail.filenames import (
    MAX_FILENAME_CHARS,
    content_disposition_attachment,
    safe_filename,
)

FALLBACK = "attachment-7-2"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("facture.pdf", "facture.pdf"),
        ("Rapport d'activité 2026.docx", "Rapport d'activité 2026.docx"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\x\\devis.xlsx", "devis.xlsx"),
        ("/absolute/path/plan.png", "plan.png"),
        ("=?UTF-8?Q?r=C3=A9sum=C3=A9.pdf?=", "résumé.pdf"),
        ("=?ISO-8859-1?B?ZOl0YWlsLnR4dA==?=", "détail.txt"),
        ("UTF-8''caf%C3%A9%20cr%C3%A8me.pdf", "café crème.pdf"),
        ("iso-8859-1'fr'd%E9tail.txt", "détail.txt"),
        ("it's 'fine'.txt", "it's 'fine'.txt"),
        ('say "hi".txt', "say hi.txt"),
        ("a<b>c:d|e?f*g.txt", "a_b_c_d_e_f_g.txt"),
        ("tab\there\x00nul\x1b.txt", "tab herenul.txt"),
        ("line\r\nbreak.txt", "line break.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        (".htaccess", "htaccess"),
        ("...hidden", "hidden"),
        ("trailing. . .", "trailing"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("NUL.tar.gz", "_NUL.tar.gz"),
        ("COM1.log", "_COM1.log"),
        ("lpt9", "_lpt9"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("e\u0301te\u0301.txt", "été.txt"),
        ("..", FALLBACK),
        ("/", FALLBACK),
        ("   ", FALLBACK),
        ('""', FALLBACK),
        ("", FALLBACK),
        (None, FALLBACK),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name, FALLBACK) == expected


@pytest.mark.parametrize(
    ("name", "suffix"),
    [
        ("x" * 400 + ".pdf", ".pdf"),
        ("é" * 400 + ".docx", ".docx"),
        ("日本" * 200 + ".txt", ".txt"),
        ("x" * 400 + ".not an extension", "x"),
        ("x" * 400, "x"),
    ],
)
def test_long_names_are_cut_keeping_the_extension(name: str, suffix: str) -> None:
    result = safe_filename(name, FALLBACK)
    assert result.endswith(suffix)
    assert len(result) <= MAX_FILENAME_CHARS
    assert len(result.encode()) <= 255
    assert len(result) > 50


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("facture.pdf", "attachment; filename=\"facture.pdf\"; filename*=UTF-8''facture.pdf"),
        ("résumé.pdf", "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"),
        ("Rapport d'activité.pdf", "attachment; filename=\"Rapport d'activite.pdf\"; filename*=UTF-8''Rapport%20d%27activit%C3%A9.pdf"),
        ("報告書.pdf", "attachment; filename=\"attachment.pdf\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf"),
        ("報告書", "attachment; filename=\"attachment\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8"),
        ('a"b\\c%d.txt', "attachment; filename=\"a_b_c_d.txt\"; filename*=UTF-8''a%22b%5Cc%25d.txt"),
        ("README", "attachment; filename=\"README\"; filename*=UTF-8''README"),
        ("x\r\nSet-Cookie: a=b", "attachment; filename=\"x__Set-Cookie: a=b\"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20a%3Db"),
        ("a;b=c.txt", "attachment; filename=\"a;b=c.txt\"; filename*=UTF-8''a%3Bb%3Dc.txt"),
        ("ok!#$&+^`|~.txt", "attachment; filename=\"ok!#$&+^`|~.txt\"; filename*=UTF-8''ok!#$&+^`|~.txt"),
    ],
)  # fmt: skip
def test_content_disposition_attachment(filename: str, expected: str) -> None:
    header = content_disposition_attachment(filename)
    assert header == expected
    assert "\r" not in header and "\n" not in header
