"""Decoding MIME part bodies: Content-Transfer-Encoding, then charset.

Mail lies about both, so neither function raises: what cannot be decoded
strictly is decoded as well as possible.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re

_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]")
_BASE64_PADDING = re.compile(rb"=+")
# Some codecs (utf-7) can produce lone surrogates, which no page can encode.
_SURROGATES = re.compile("[\ud800-\udfff]")

# Labels mail uses for a charset while meaning its common superset (as the
# WHATWG Encoding standard does for web pages); `us-ascii` is often 8-bit UTF-8.
_SUPERSETS = {
    "ascii": "utf-8",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "tis_620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "ks_c_5601_1987": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
# Python codecs that are not charsets a message could be written in.
_NOT_CHARSETS = frozenset({"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined"})
_FALLBACK_ERRORS = "teaminbox-cp1252-bytes"


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes windows-1252 leaves undefined
        return chr(byte)


_CP1252 = tuple(_cp1252_char(byte) for byte in range(256))


def _decode_bytes_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read undecodable bytes as windows-1252 (latin-1 for its gaps)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(_CP1252[byte] for byte in bad), error.end


codecs.register_error(_FALLBACK_ERRORS, _decode_bytes_as_cp1252)


def decode_transfer(payload: bytes, transfer_encoding: str | None) -> bytes:
    """Undo a Content-Transfer-Encoding.

    base64 tolerates missing padding, line breaks and junk characters;
    quoted-printable tolerates bad `=` sequences; 7bit, 8bit, binary, None
    and any unknown encoding return `payload` unchanged.
    """
    encoding = (transfer_encoding or "").strip().strip('"').lower()
    if encoding == "base64":
        return _decode_base64(payload)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(payload)
    return payload


def _decode_base64(payload: bytes) -> bytes:
    # Some mailers concatenate separately encoded chunks, padding included:
    # each run between padding is decoded on its own.
    decoded: list[bytes] = []
    for chunk in _BASE64_PADDING.split(_BASE64_JUNK.sub(b"", payload)):
        usable = chunk[: len(chunk) - len(chunk) % 4] if len(chunk) % 4 == 1 else chunk
        if usable:
            decoded.append(base64.b64decode(usable + b"=" * (-len(usable) % 4)))
    return b"".join(decoded)


def without_surrogates(text: str) -> str:
    """`text` with each lone surrogate (which no page, and not nh3, can
    encode) replaced by U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def decode_text(payload: bytes, charset: str | None) -> str:
    """Decode a text part, never raising.

    Tries the declared charset (read as its usual superset: latin-1 as
    windows-1252, us-ascii as UTF-8, gb2312 as gb18030…), then UTF-8 with any
    bytes that are not UTF-8 read as windows-1252. A UTF-8 byte order mark and
    NUL characters are removed, lone surrogates replaced by U+FFFD.
    """
    codec = _codec_for(charset)
    text: str | None = None
    if codec is not None:
        try:
            text = payload.decode(codec)
        except (UnicodeDecodeError, LookupError):
            text = None
    if text is None:
        text = payload.decode("utf-8", errors=_FALLBACK_ERRORS)
    return without_surrogates(text.removeprefix("\ufeff").replace("\x00", ""))


@functools.lru_cache(maxsize=64)
def _codec_for(charset: str | None) -> str | None:
    """The Python codec to try for a declared charset, or None to guess.
    (Cached: a first sync decodes ~50k encoded words in a handful of charsets.)"""
    if not charset:
        return None
    label = charset.strip().strip("\"'").strip()
    try:
        name = codecs.lookup(label).name.replace("-", "_")
    except (LookupError, ValueError):
        return None
    if name in _NOT_CHARSETS:
        return None
    return _SUPERSETS.get(name, name)
