"""What the reader loads besides the page: the sandboxed HTML body (with
its inline `cid:` images) and attachments as downloads.

The HTML body is served from its own route with its own strict
Content-Security-Policy, inside an iframe sandboxed without scripts and
without same-origin, so that even HTML the sanitiser missed can neither run
nor reach the app.
"""

from __future__ import annotations

import base64

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import login_required

from teaminbox.domain import MessageRef
from teaminbox.mail.filenames import content_disposition_attachment, safe_filename
from teaminbox.mail.sanitize import MAIL_FRAME_CSP_BLOCKED, MAIL_FRAME_CSP_REMOTE, sanitize_html
from teaminbox.mail.transfer_stream import decode_stream
from teaminbox.rights import Right
from teaminbox.services import reading
from teaminbox.web.access import imap_pool, require

bp = Blueprint("mailframe", __name__)

# Only these are ever shown inline (for cid: images); everything else is a
# download. SVG is not among them: it can carry script.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/gif", "image/jpeg", "image/webp"})
# Inline images of one message beyond this (encoded) size are not shown.
INLINE_IMAGES_MAX_BYTES = 5 * 1024 * 1024


@bp.get("/folders/<path:folder>/messages/<int:uid>/body")
@login_required
def body(folder: str, uid: int) -> ResponseReturnValue:
    require(folder, Right.READ)
    allow_remote = request.args.get("remote") == "1"
    ref = MessageRef(folder, uid)
    content = reading.open_message(imap_pool(), ref)
    if content.html is None:
        abort(404)
    budget = [INLINE_IMAGES_MAX_BYTES]

    def cid_url(content_id: str) -> str | None:
        # The sandboxed frame has an opaque origin, so the browser sends no
        # session cookie with its requests: inline images travel inside the
        # page as data: URLs instead of being fetched from a route.
        part = content.part_by_content_id(content_id)
        if part is None or part.mime_type not in INLINE_IMAGE_TYPES or part.size > budget[0]:
            return None
        budget[0] -= part.size
        data = b"".join(decode_stream(reading.stream_part(imap_pool(), ref, part), part.encoding))
        return f"data:{part.mime_type};base64,{base64.b64encode(data).decode()}"

    cleaned = sanitize_html(content.html, allow_remote=allow_remote, cid_url=cid_url)
    response = Response(render_template("inbox/mail_frame.html", body=cleaned.html))
    response.headers["Content-Security-Policy"] = (
        MAIL_FRAME_CSP_REMOTE if allow_remote else MAIL_FRAME_CSP_BLOCKED
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/folders/<path:folder>/messages/<int:uid>/parts/<section>")
@login_required
def attachment(folder: str, uid: int, section: str) -> ResponseReturnValue:
    """Download one part; streamed, so a 20 MB file never sits in memory."""
    require(folder, Right.READ)
    ref = MessageRef(folder, uid)
    part = reading.find_part(imap_pool(), ref, section)
    filename = safe_filename(part.filename, fallback=f"attachment-{uid}-{section}")
    chunks = decode_stream(reading.stream_part(imap_pool(), ref, part), part.encoding)
    # Never rendered by the browser: a download, whatever the sender claims.
    response = Response(stream_with_context(chunks), mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = content_disposition_attachment(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
