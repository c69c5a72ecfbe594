"""The one place that decides between a whole page and a partial."""

from __future__ import annotations

from typing import Any

from flask import render_template

from teaminbox.web.extensions import htmx


def render_page_or_partial(template: str, partial: str, target: str, **context: Any) -> str:
    """Render `partial` when htmx asks for the element `target`, else `template`.

    Every htmx link also works as a plain link: without htmx, or when htmx
    swaps something else (a boosted navigation), the whole page is sent.
    """
    if htmx and htmx.target == target:
        return render_template(partial, **context)
    return render_template(template, **context)
