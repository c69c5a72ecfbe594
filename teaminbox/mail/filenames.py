"""Attachment file names: safe to save on any system, safe to put in a header."""

from __future__ import annotations

import codecs
import re
import unicodedata
from urllib.parse import quote, unquote_to_bytes

from teaminbox.mail.content import decode_text
from teaminbox.mail.headers import decode_header_value

MAX_FILENAME_CHARS = 150
"""Longest name `safe_filename` returns, extension included."""

_MAX_FILENAME_BYTES = 255  # as UTF-8: what most file systems allow
_MAX_EXTENSION_CHARS = 16
# charset'language'percent-encoded text, left over from an RFC 2231 parameter.
_RFC2231_VALUE = re.compile(r"([A-Za-z0-9_\-]+)'([A-Za-z\-]*)'(.+)", re.DOTALL)
# Characters Windows refuses in names; the path separators are handled first.
_WINDOWS_FORBIDDEN = re.compile(r'[<>:|?*"]')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{digit}" for device in ("COM", "LPT") for digit in "0123456789¹²³"}
)
_HEADER_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\%]')
_ATTR_CHAR_PUNCTUATION = "!#$&+-.^_`|~"  # RFC 5987 attr-char besides letters and digits


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name to offer for download, or `fallback` if nothing usable is left.

    Decodes leftover RFC 2047 encoded words and RFC 2231 `charset''text`
    values, keeps only the last path component (`../../etc/passwd` gives
    `passwd`), removes control and bidi-override characters, `"` and the
    characters Windows forbids, leading and trailing dots and spaces, prefixes
    Windows device names (`CON.txt` gives `_CON.txt`), and shortens the name to
    `MAX_FILENAME_CHARS` characters (and 255 UTF-8 bytes) keeping its extension.
    Apostrophes stay: they are common in French names and harmless in headers.
    """
    if name is None:
        return fallback
    text = decode_header_value(_decode_rfc2231(name))
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _WINDOWS_FORBIDDEN.sub(lambda match: "" if match.group() == '"' else "_", text)
    text = text.strip(" .")
    if text.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        text = "_" + text
    text = _shorten(text)
    return text or fallback


def _decode_rfc2231(name: str) -> str:
    match = _RFC2231_VALUE.fullmatch(name.strip())
    if match is None:
        return name
    charset, _language, encoded = match.groups()
    try:
        codecs.lookup(charset)
    except LookupError:
        return name  # "it's 'fine'": an apostrophe, not RFC 2231
    return decode_text(unquote_to_bytes(encoded), charset)


def _shorten(text: str) -> str:
    if len(text) <= MAX_FILENAME_CHARS and len(text.encode()) <= _MAX_FILENAME_BYTES:
        return text
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem or len(extension) > _MAX_EXTENSION_CHARS or " " in extension:
        stem, extension = text, ""
    suffix = "." + extension if extension else ""
    stem = stem[: MAX_FILENAME_CHARS - len(suffix)]
    while len((stem + suffix).encode()) > _MAX_FILENAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    return stem + suffix if stem else ""


def content_disposition_attachment(filename: str) -> str:
    """The Content-Disposition value to download `filename` (RFC 6266).

    `filename="…"` carries an ASCII approximation for old clients (accents
    dropped; quotes, backslashes, `%` and controls replaced), `filename*`
    the exact name in UTF-8, percent-encoded. Safe to send whatever
    `filename` holds: nothing in it can end the header or the parameter.
    """
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    stem, dot, extension = _HEADER_UNSAFE.sub("_", fallback).strip().rpartition(".")
    if not dot:
        stem, extension = extension, ""
    stem = stem.strip(" .") or "attachment"
    fallback = f"{stem}.{extension}" if extension else stem
    encoded = quote(filename, safe=_ATTR_CHAR_PUNCTUATION)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
