"""Small but real files for demo messages: a PNG picture and PDF documents."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence


def tiny_png(
    width: int = 24, height: int = 24, tint: tuple[int, int, int] = (30, 110, 200)
) -> bytes:
    """A valid RGB PNG: a disc of colour `tint` on white (a water drop, say)."""
    rows = bytearray()
    cx, cy, radius = (width - 1) / 2, (height - 1) / 2, min(width, height) / 2 - 1
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            inside = (x - cx) ** 2 + (y - cy) ** 2 <= radius**2
            rows.extend(tint if inside else (255, 255, 255))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def simple_pdf(title: str, lines: Sequence[str], terms: Sequence[str] = ()) -> bytes:
    """A PDF 1.4 showing `title` and `lines` in Helvetica, ruled like a form.

    `terms`, if any, fill a second page in small print (general terms of
    sale, as on the back of an invoice). Text is encoded in Latin-1
    (WinAnsi); characters outside it become "?". The cross-reference table
    is exact, so PDF readers open the file without repairing it.
    """
    pages = [_page_stream(title, lines, 10, ruled=True)]
    if terms:
        pages.append(_page_stream("Conditions générales de vente", terms, 7, ruled=False))
    first_page = 5  # objects 1-4: catalog, page tree, font, document info
    kids = " ".join(f"{first_page + 2 * n} 0 R" for n in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (" + _pdf_string(title).encode("latin-1") + b") /Producer (TeamInbox demo) >>",
    ]
    for n, stream in enumerate(pages):
        contents = first_page + 2 * n + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % contents
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


def _page_stream(title: str, lines: Sequence[str], size: int, *, ruled: bool) -> bytes:
    """Drawing operators for one A4 page: a grey title band, then the lines."""
    ops = [
        "0.93 g 40 770 515 40 re f 0 g",
        "BT",
        "/F1 16 Tf",
        f"56 782 Td ({_pdf_string(title)}) Tj",
        "ET",
    ]
    y = 750
    for line in lines:
        y -= size + 6
        ops.append(f"BT /F1 {size} Tf 56 {y} Td ({_pdf_string(line)}) Tj ET")
        if ruled:
            ops.append(f"0.85 G 0.4 w 56 {y - 4} m 539 {y - 4} l S")
    return "\n".join(ops).encode("latin-1")


def _pdf_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("latin-1", errors="replace").decode("latin-1")
