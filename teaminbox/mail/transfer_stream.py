"""Decoding a Content-Transfer-Encoding chunk by chunk.

Attachments are streamed from the server a partial FETCH at a time; this
turns those encoded chunks into the file's bytes without ever holding more
than a chunk.
"""

from __future__ import annotations

import base64
import binascii
import quopri
from collections.abc import Iterable, Iterator


def decode_stream(chunks: Iterable[bytes], transfer_encoding: str | None) -> Iterator[bytes]:
    """Yield the decoded bytes of `chunks` encoded as `transfer_encoding`."""
    encoding = (transfer_encoding or "").lower()
    if encoding == "base64":
        yield from _base64(chunks)
    elif encoding == "quoted-printable":
        yield from _quoted_printable(chunks)
    else:
        yield from chunks


def _base64(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        pending += chunk.translate(None, b" \t\r\n")
        usable = len(pending) - len(pending) % 4
        if usable:
            yield _b64decode(pending[:usable])
            pending = pending[usable:]
    if pending:
        yield _b64decode(pending + b"=" * (-len(pending) % 4))


def _b64decode(data: bytes) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        # Junk inside the base64 (seen in broken mailers): keep what decodes.
        return _lenient(data)


def _lenient(data: bytes) -> bytes:
    cleaned = bytes(b for b in data if chr(b).isalnum() or b in b"+/")
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4]
    return base64.b64decode(cleaned) if cleaned else b""


def _quoted_printable(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        cut = _safe_cut(pending)
        if cut:
            yield quopri.decodestring(pending[:cut])
            pending = pending[cut:]
    if pending:
        yield quopri.decodestring(pending)


def _safe_cut(data: bytes) -> int:
    """Where `data` can be cut so that each side decodes alone: after its
    last line end, else (a hostile part with no line ends, which would
    otherwise pile up whole) before the last bytes that an escape (=XX), a
    soft line break or white space ahead of a line end could span. No line
    is longer than LONGEST_LINE: past that much, it is cut anyway (a part
    of nothing but spaces or "=" was otherwise held, and rescanned, whole)."""
    cut = data.rfind(b"\n") + 1
    if cut:
        return cut
    floor = max(len(data) - LONGEST_LINE, 0)
    cut = len(data) - 2
    while cut > floor and (data[cut - 1] in _SPANNING or data[cut - 2 : cut - 1] == b"="):
        cut -= 1
    return max(cut, floor)


# Bytes a line may hold (RFC 5322, 2.1.1).
LONGEST_LINE = 998
_SPANNING = frozenset(b"= \t\r")
