"""Reply, reply all and forward from the browser.

The compose page is one plain multipart form that posts to `send`; htmx
also posts its text fields to `draft` two seconds after each change, so a
closed tab loses nothing. Every POST first keeps the draft and commits it,
then acts: whatever goes wrong afterwards (the SMTP server down, the
original gone, a colleague who answered first), what was typed is there
when the page comes back.

While the page is open it tells the others "Alice is replying" (presence
heartbeats with the activity `replying`) and re-reads the original's
status whenever the event stream names it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from teaminbox.domain import MessageRef
from teaminbox.mail.compose import AddressError, Mode, Wording, parse_recipients
from teaminbox.rights import Right
from teaminbox.services import reading, replies, sending
from teaminbox.smtp import SmtpSettings
from teaminbox.store.models import User
from teaminbox.web.access import db_session, imap_pool, require, rights
from teaminbox.web.extensions import htmx
from teaminbox.web.live import commit_and_publish

bp = Blueprint("compose", __name__)

MODES = 'any("reply", "reply-all", "forward")'
BASE = f"/folders/<path:folder>/messages/<int:uid>/<{MODES}:mode>"


@bp.get(BASE)
@login_required
def page(folder: str, uid: int, mode: str) -> ResponseReturnValue:
    """The reply (or forward) form, with this person's draft if there is one."""
    require(folder, Right.READ)
    return _render(_open(MessageRef(folder, uid), Mode(mode)))


@bp.post(f"{BASE}/draft")
@login_required
def draft(folder: str, uid: int, mode: str) -> ResponseReturnValue:
    """Save the draft: htmx's autosave (text only), or the "Save draft"
    button (files too). htmx gets the draft's status line back."""
    ref, kind = MessageRef(folder, uid), Mode(mode)
    kept = _keep(ref, kind)
    db_session().commit()
    if htmx:
        return render_template("inbox/_draft_status.html", saved_at=kept.draft.updated_at)
    if kept.problem is not None:
        return _render(_open(ref, kind), problem=kept.problem, status=413)
    flash(_("Draft saved."))
    return redirect(url_for("compose.page", folder=folder, uid=uid, mode=mode), 303)


@bp.post(f"{BASE}/discard")
@login_required
def discard(folder: str, uid: int, mode: str) -> ResponseReturnValue:
    """Drop the draft and go back to the message."""
    ref = MessageRef(folder, uid)
    replies.discard_draft(db_session(), _actor(), rights(), ref, Mode(mode))
    db_session().commit()
    flash(_("Draft discarded."))
    return redirect(url_for("inbox.message", folder=folder, uid=uid), 303)


@bp.post(f"{BASE}/send")
@login_required
def send(folder: str, uid: int, mode: str) -> ResponseReturnValue:
    """Send the reply; on any refusal, the form again with the reason."""
    ref, kind = MessageRef(folder, uid), Mode(mode)
    kept = _keep(ref, kind)
    db_session().commit()  # from here on, nothing typed can be lost
    if kept.problem is not None:
        return _render(_open(ref, kind), problem=kept.problem, status=413)
    outcome = sending.send(
        imap_pool(),
        SmtpSettings.from_config(current_app.config),
        db_session(),
        _actor(),
        rights(),
        kept.draft,
        sender(),
        _guard(),
        current_app.config["ATTACHMENTS_MAX_BYTES"],
    )
    if isinstance(outcome, sending.Sent):
        commit_and_publish(outcome.events)
        return _after_sent(ref, kind, outcome)
    db_session().commit()
    compose = _open(ref, kind)
    if isinstance(outcome, sending.Held):
        return _render(compose, held=outcome, status=409)
    if isinstance(outcome, sending.NotSent):
        return _render(compose, not_sent=outcome, status=503 if outcome.unreachable else 422)
    if isinstance(outcome, sending.Invalid):
        return _render(compose, problem=outcome.problem, entry=outcome.entry, status=422)
    return _render(compose, status=403)  # Blocked: the page says why


@bp.get(f"{BASE}/status")
@login_required
def status(folder: str, uid: int, mode: str) -> ResponseReturnValue:
    """The original's flags and who else is on it, fresh (the event
    stream names the message when they change)."""
    require(folder, Right.READ)
    ref = MessageRef(folder, uid)
    header = reading.message_header(imap_pool(), ref)
    return render_template(
        "inbox/_compose_status.html",
        ref=ref,
        mode=mode,
        header=header,
        answered_at_open=request.args.get("answered") == "1",
    )


def sender() -> replies.Sender:
    """The shared address (SHARED_ADDRESS, else the IMAP login when it is an
    address) and the name after the writer's (SHARED_NAME, else the
    address's local part: "Contact"). No usable address: an empty one,
    which the compose page explains."""
    config = current_app.config
    address = config["SHARED_ADDRESS"] or config["IMAP_USER"] or ""
    try:
        (parsed,) = parse_recipients(address)
    except (AddressError, ValueError):
        return replies.Sender("", "")
    name = config["SHARED_NAME"]
    if name is None:
        name = parsed.email.partition("@")[0].replace(".", " ").replace("_", " ").title()
    return replies.Sender(parsed.email, " ".join(str(name).split()))


def _open(ref: MessageRef, mode: Mode) -> replies.Compose:
    return replies.open_compose(
        imap_pool(),
        db_session(),
        _actor(),
        rights(),
        ref,
        mode,
        sender(),
        _wording(),
        lambda moment: str(format_datetime(moment, "medium")),
    )


def _keep(ref: MessageRef, mode: Mode) -> replies.Kept:
    form = request.form
    uploads = [
        replies.Upload(f.filename or "", f.mimetype or "", f.read())
        for f in request.files.getlist("attachments")
        if f.filename
    ]
    return replies.keep_draft(
        db_session(),
        _actor(),
        rights(),
        ref,
        mode,
        form.get("message_id", ""),
        replies.Fields(
            to=form.get("to", ""),
            cc=form.get("cc", ""),
            subject=form.get("subject", ""),
            body=form.get("body", ""),
        ),
        uploads,
        [int(v) for v in form.getlist("remove") if v.isdigit()],
        current_app.config["ATTACHMENTS_MAX_BYTES"],
    )


def _guard() -> sending.Guard:
    try:
        opened = datetime.fromisoformat(request.form.get("opened_at", ""))
    except ValueError:
        opened = datetime.fromtimestamp(0, UTC)
    if opened.tzinfo is None:
        opened = opened.replace(tzinfo=UTC)
    return sending.Guard(
        answered_at_open=request.form.get("answered_at_open") == "1",
        opened_at=opened.astimezone(UTC),
        confirmed=request.form.get("confirm") == "1",
    )


def _after_sent(ref: MessageRef, mode: Mode, sent: sending.Sent) -> ResponseReturnValue:
    to = ", ".join(sent.recipients)
    if mode is Mode.FORWARD:
        flash(_("Message forwarded to %(to)s.", to=to))
    else:
        flash(_("Reply sent to %(to)s.", to=to))
    if not sent.copy_saved:
        flash(
            _(
                "The mail went out, but its copy could not be saved in %(folder)s: "
                "colleagues will not find it there.",
                folder=sent.sent_folder,
            ),
            "error",
        )
    if not sent.marked and rights().can(ref.folder, Right.WRITE):
        flash(_("The original could not be marked: it was moved or deleted meanwhile."))
        return redirect(url_for("inbox.folder", folder=ref.folder), 303)
    return redirect(url_for("inbox.message", folder=ref.folder, uid=ref.uid), 303)


def _render(compose: replies.Compose, status: int = 200, **context: Any) -> ResponseReturnValue:
    """The compose page. After a POST the collision guard keeps the facts
    the page was opened with, so that an answer made in between is still
    noticed at the next Send."""
    sending = sender()
    answered_at_open = request.form.get("answered_at_open", "1" if compose.answered else "0")
    body = render_template(
        "inbox/compose.html",
        compose=compose,
        ref=compose.ref,
        header=compose.original.header,
        from_display=f"{sending.display_for(_actor())} <{sending.address}>",
        answered_at_open=answered_at_open == "1",
        opened_at=request.form.get("opened_at") or datetime.now(UTC).isoformat(),
        max_bytes=current_app.config["ATTACHMENTS_MAX_BYTES"],
        tree=reading.folder_tree(imap_pool(), rights()),
        current_folder=compose.ref.folder,
        **context,
    )
    return body, status


def _wording() -> Wording:
    return Wording(
        wrote=_("On {date}, {sender} wrote:"),
        forwarded=_("---------- Forwarded message ----------"),
        from_label=_("From"),
        date_label=_("Date"),
        subject_label=_("Subject"),
        to_label=_("To"),
        cc_label=_("Cc"),
    )


def _actor() -> User:
    user: User = current_user.user
    return user
