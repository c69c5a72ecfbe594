"""Comparing whole pages: what differs between any two requests is removed."""

from __future__ import annotations

import re

_PER_REQUEST = [
    rb'name="csrf_token" value="[^"]*"',
    rb'name="next" value="[^"]*"',
    rb'"X-CSRFToken": "[^"]*"',
    rb'data-(?:tab|csrf)="[^"]*"',
    rb'sse-connect="[^"]*"',
]


def without_tokens(page: bytes) -> bytes:
    """The page less its CSRF tokens, echoed path, tab id and stream cursor."""
    for pattern in _PER_REQUEST:
        page = re.sub(pattern, b"", page)
    return page
