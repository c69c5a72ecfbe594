"""Decoding header values: RFC 2047 encoded words, raw 8-bit text.

Headers arrive as bytes from IMAP (ENVELOPE, BODY[HEADER]) or as str from the
email package; both are accepted. Nothing here raises on malformed input.
"""

from __future__ import annotations

import base64
import binascii
import re

from teaminbox.mail.content import decode_text, without_surrogates

# charset, optional RFC 2231 language, encoding, text. Encoded text should not
# hold spaces, but some mailers put them there unencoded; it never holds a
# "?" (RFC 2047, 5), so a word ends at the first one: with "anything up to
# ?=" instead, a hostile subject of "=?a?q?x" repeated took time quadratic
# in its length (128 KB: 8 s of the sync's thread).
_ENCODED_WORD = re.compile(r"=\?([^?\s]+?)\?([QqBb])\?([^?]*)\?=")
_BASE64_JUNK = re.compile(r"[^A-Za-z0-9+/]")
_SURROGATE_ESCAPES = re.compile("[\udc80-\udcff]")
# Controls are dropped, except those that separate words, which become spaces.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_FOLDING = re.compile(r"\r?\n(?=[ \t])")
_SEPARATORS = re.compile("[\t\n\r\x85\u2028\u2029]")
# Bidirectional overrides and isolates reorder what follows them: a subject or
# file name could show "exe.pdf" for "fdp.exe".
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Printable ASCII words between single spaces: most values, which decoding
# would leave as they are (a first sync decodes ~600k of them).
_PLAIN = re.compile(rb"(?:[\x21-\x7e]++(?: [\x21-\x7e]++)*+)?")


def decode_header_value(raw: bytes | str | None) -> str:
    """Decode a header value to display text: "" for None, never raising.

    Raw 8-bit bytes are read as UTF-8, else windows-1252. Encoded words are
    decoded in their charset (adjacent ones of the same charset together, so a
    character split across two words survives; an unknown charset or broken
    base64 falls back as `decode_text` does). Folding and runs of whitespace
    become single spaces; control and bidi-override characters are removed.
    """
    if raw is None:
        return ""
    if isinstance(raw, bytes) and b"=?" not in raw and _PLAIN.fullmatch(raw):
        return raw.decode("ascii")
    text = _unfold(_as_text(raw))
    return _clean(_decode_encoded_words(text))


def _as_text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        return decode_text(raw, None)
    if _SURROGATE_ESCAPES.search(raw):
        # 8-bit bytes the email package kept as surrogate escapes.
        try:
            return decode_text(raw.encode("utf-8", errors="surrogateescape"), None)
        except UnicodeEncodeError:
            pass
    return without_surrogates(raw)


def _unfold(text: str) -> str:
    return _FOLDING.sub("", text) if "\n" in text else text


def _decode_encoded_words(text: str) -> str:
    """Decode the encoded words in `text`.

    Whitespace between two encoded words is dropped (RFC 2047, 6.2) and
    adjacent words in one charset are decoded together.
    """
    pieces: list[str] = []
    # Adjacent words in one charset, still bytes (joined once: adding each
    # word to the run was quadratic in a long run).
    run: tuple[str, list[bytes]] | None = None
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        charset = match.group(1).split("*", 1)[0].lower()
        word = _decode_word(match.group(2), match.group(3))
        if run is not None and run[0] == charset and not between.strip():
            run[1].append(word)
        else:
            if run is not None:
                pieces.append(decode_text(b"".join(run[1]), run[0]))
            if run is None or between.strip():
                pieces.append(between)
            run = (charset, [word])
        position = match.end()
    if run is not None:
        pieces.append(decode_text(b"".join(run[1]), run[0]))
    pieces.append(text[position:])
    return "".join(pieces)


def _decode_word(encoding: str, encoded: str) -> bytes:
    data = encoded.encode("utf-8", errors="replace")
    if encoding in "Qq":
        return binascii.a2b_qp(data, header=True)
    letters = _BASE64_JUNK.sub("", encoded)
    if len(letters) % 4 == 1:
        letters = letters[:-1]
    try:
        return base64.b64decode(letters + "=" * (-len(letters) % 4))
    except binascii.Error:
        return data


def _clean(text: str) -> str:
    text = _SEPARATORS.sub(" ", text)
    text = _BIDI_CONTROLS.sub("", _CONTROLS.sub("", text))
    return " ".join(text.split())
