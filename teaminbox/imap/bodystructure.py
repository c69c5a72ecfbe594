"""Reading a BODYSTRUCTURE response into the leaves of a message's MIME tree.

Knowing the structure lets the app fetch only the parts it shows (the text),
never a 20 MB attachment, to display a message (RFC 3501, section 7.4.2).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

from teaminbox.domain import BodyPart
from teaminbox.mail.content import decode_text
from teaminbox.mail.headers import decode_header_value


def parse_bodystructure(body: Sequence[Any]) -> tuple[BodyPart, ...]:
    """Flatten imapclient's BodyData into leaves with their IMAP section."""
    if _is_multipart(body):
        return _walk_multipart(body, prefix="")
    return (_leaf(body, "1"),)


def _is_multipart(body: Sequence[Any]) -> bool:
    return bool(body) and isinstance(body[0], list)


def _walk_multipart(body: Sequence[Any], prefix: str) -> tuple[BodyPart, ...]:
    leaves: list[BodyPart] = []
    for index, child in enumerate(body[0], start=1):
        section = f"{prefix}{index}"
        if _is_multipart(child):
            leaves.extend(_walk_multipart(child, prefix=f"{section}."))
        else:
            leaves.append(_leaf(child, section))
    return tuple(leaves)


def _leaf(body: Sequence[Any], section: str) -> BodyPart:
    mime_type = f"{_text(body[0]) or 'text'}/{_text(body[1]) or 'plain'}".lower()
    params = _params(body[2])
    disposition_index = _disposition_index(mime_type)
    disposition, disposition_params = _disposition(body, disposition_index)
    filename = _filename(disposition_params) or _filename(params, key="name")
    content_id = _text(body[3]).strip().strip("<>") or None
    return BodyPart(
        section=section,
        mime_type=mime_type,
        charset=params.get("charset") or None,
        encoding=(_text(body[5]).lower() or None),
        size=body[6] if isinstance(body[6], int) else 0,
        content_id=content_id,
        filename=filename,
        disposition=disposition,
    )


def _disposition_index(mime_type: str) -> int:
    # The extension data starts after the fields that depend on the type:
    # text/* has a line count; message/rfc822 an envelope, a body and lines.
    if mime_type.startswith("text/"):
        return 9
    if mime_type == "message/rfc822":
        return 11
    return 8


def _disposition(body: Sequence[Any], index: int) -> tuple[str | None, dict[str, str]]:
    if len(body) <= index or not isinstance(body[index], tuple) or not body[index]:
        return None, {}
    value = body[index]
    kind = _text(value[0]).lower() or None
    return kind, _params(value[1] if len(value) > 1 else None)


def _params(raw: Any) -> dict[str, str]:
    """Turn (k, v, k, v …) into a dict, joining RFC 2231 continuations."""
    if not isinstance(raw, tuple):
        return {}
    pairs = [(_text(k).lower(), _text(v)) for k, v in zip(raw[::2], raw[1::2], strict=False)]
    plain = {k: v for k, v in pairs if "*" not in k}
    extended: dict[str, list[tuple[int, str, bool]]] = {}
    for key, value in pairs:
        if "*" not in key:
            continue
        name, _, rest = key.partition("*")
        number, encoded = _continuation(rest)
        extended.setdefault(name, []).append((number, value, encoded))
    for name, pieces in extended.items():
        pieces.sort()
        joined = "".join(value for _, value, _ in pieces)
        if any(encoded for _, _, encoded in pieces):
            charset, _, text = joined.partition("'")
            _, _, text = text.partition("'")  # skip the language
            joined = decode_text(urllib.parse.unquote_to_bytes(text), charset or "utf-8")
        plain[name] = joined
    return plain


def _continuation(rest: str) -> tuple[int, bool]:
    """From the part after the first '*': ("0*" → 0, encoded), ("" → 0, encoded)."""
    encoded = rest.endswith("*") or rest == ""
    digits = rest.rstrip("*")
    # ASCII digits only ("²" is a digit to isdigit, not to int), and few of
    # them (int refuses more than 4,300): anything else is section 0.
    number = digits.isascii() and digits.isdigit() and len(digits) <= 9
    return (int(digits) if number else 0), encoded


def _filename(params: dict[str, str], key: str = "filename") -> str | None:
    value = params.get(key)
    return decode_header_value(value) or None if value else None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else ""
