"""The Server-Sent Events wire format (WHATWG HTML, "server-sent events")."""

from __future__ import annotations

KEEP_ALIVE = ": keep-alive\n\n"


def sse_message(
    data: str, *, event: str | None = None, id: int | None = None, retry_ms: int | None = None
) -> str:
    """One message; multi-line data becomes several `data:` lines."""
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if event is not None:
        lines.append(f"event: {_single_line(event)}")
    if retry_ms is not None:
        lines.append(f"retry: {retry_ms}")
    lines.extend(
        f"data: {line}" for line in data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    )
    return "\n".join(lines) + "\n\n"


def _single_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")
