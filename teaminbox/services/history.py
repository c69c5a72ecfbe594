"""Who did what to a message: its history, read from the activity log, and
the changes other mail clients made, written to the log as the sync hears
them.

A message's rows are found by its Message-ID, so that its history follows
it when it moves (a move changes its folder and UID). The app's own
actions write their rows themselves (services/actions.py, notes, …); a
change the sync finds was made elsewhere (the app's own changes are in the
header cache already, so the sync never reports them) and is logged with
no actor: "another mail client". A reply that another client saved in the
Sent folder joins the history of the message it answers (its In-Reply-To).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from teaminbox.domain import ANSWERED, DELETED, FLAGGED, SEEN, MessageRef, sent_folder
from teaminbox.events import Event, Kind
from teaminbox.imap.keywords import is_assignee_keyword
from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import audit, reading
from teaminbox.services.actions import moved_to
from teaminbox.services.rights import RightsView
from teaminbox.store import cache
from teaminbox.store import notes as store

# A flag another client added or removed, as the log names the change (the
# same names as the app's own actions, so that the log filters them alike).
FLAG_ACTIONS = {
    FLAGGED: ("message.flag", "message.unflag"),
    ANSWERED: ("message.answered", "message.unanswered"),
    DELETED: ("message.delete", "message.undelete"),
}
# Read state is each glance at the mailbox, not a decision anyone answers
# for: the app logs it for nobody (services/actions.set_seen), nor for
# other clients, which mark every message they show.
UNLOGGED_FLAGS = frozenset({SEEN, "\\Recent"})
KEYWORD_ADDED = "message.keyword"
KEYWORD_REMOVED = "message.unkeyword"
ANSWERED_ELSEWHERE = "message.answered_elsewhere"
MOVED_ELSEWHERE = "message.move"
EXPUNGED_ELSEWHERE = "message.expunge"
# Rows whose detail names the folder a message went to: shown only through
# `to_folder`, which is checked against the viewer's rights.
MOVING_ACTIONS = frozenset({"message.move", "message.delete", "message.restore"})
# Rows whose detail is the flag their action's name already says.
_SAID_BY_ACTION = MOVING_ACTIONS | {name for pair in FLAG_ACTIONS.values() for name in pair}
# Message-IDs in an In-Reply-To header (RFC 5322: one or more msg-ids).
_MSG_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class HistoryEntry:
    """One row of a message's history, as one person may read it."""

    at: datetime
    actor: str | None  # a username; None for another mail client
    action: str
    folder: str
    to_folder: str | None  # where it went, if a move and the viewer sees it
    detail: str


def message_id_of(pool: ConnectionPool, session: Session, ref: MessageRef) -> str:
    """The Message-ID of `ref`: as the header cache knows it, else as the
    server says ("" for a message without one, or gone)."""
    known = cache.message_id_at(session, ref.folder, ref.uid)
    if known is not None:
        return known
    header = reading.message_header(pool, ref)
    return header.message_id if header else ""


def message_history(
    session: Session, rights: RightsView, message_id: str, ref: MessageRef
) -> list[HistoryEntry]:
    """What was done to the message, oldest first, without what happened in
    folders the person may not see (nor the names of those folders)."""
    entries = []
    for row in store.audit_of_message(session, message_id, ref.folder, ref.uid):
        if row.folder is None or not rights.sees(row.folder):
            continue
        to_folder = row.to_folder if row.to_folder and rights.sees(row.to_folder) else None
        entries.append(
            HistoryEntry(
                at=row.at,
                actor=row.actor_name or None,
                action=row.action,
                folder=row.folder,
                to_folder=to_folder,
                detail="" if row.action in _SAID_BY_ACTION else row.detail,
            )
        )
    return entries


def record_outside(pool: ConnectionPool, session: Session, events: Iterable[Event]) -> None:
    """Log what another mail client changed: the events of a sync (actor
    None). Flags added or removed, moves, expunges, and replies saved in a
    Sent folder (SPECIAL-USE `\\Sent`, or named Sent) that answer a message
    the cache knows. Mail that simply arrives is not an action: not logged.
    The caller commits."""
    # Asked of IMAP once, and only if a new message needs it.
    sent = functools.cache(lambda: _sent_folder(pool))
    for event in events:
        if event.actor is not None or event.uid is None:
            continue
        if event.kind is Kind.FLAGS:
            _record_flags(session, event.folder, event.uid, event)
        elif event.kind is Kind.MOVED:
            to_folder, to_uid = event.detail.get("to_folder"), event.detail.get("to_uid")
            audit.record(
                session,
                None,
                MOVED_ELSEWHERE,
                moved_to(str(to_folder), to_uid),
                folder=event.folder,
                uid=event.uid,
                message_id=str(event.detail.get("message_id", "")),
                to_folder=str(to_folder) if to_folder else None,
            )
        elif event.kind is Kind.EXPUNGED:
            audit.record(
                session,
                None,
                EXPUNGED_ELSEWHERE,
                folder=event.folder,
                uid=event.uid,
                message_id=str(event.detail.get("message_id", "")),
            )
        elif event.kind is Kind.NEW and event.folder == sent():
            _record_reply(session, event.folder, event.uid, event)


def _record_flags(session: Session, folder: str, uid: int, event: Event) -> None:
    """One row per flag added or removed. Needs the flags before, which the
    sync puts in the event (`was`); without them nothing can be said."""
    was = event.detail.get("was")
    if was is None:
        return
    before, after = set(was), set(event.flags)
    for flag in sorted(before ^ after):
        # An assignee keyword is an assignment: services/assignment_changes logs it.
        if flag in UNLOGGED_FLAGS or is_assignee_keyword(flag):
            continue
        added = flag in after
        actions = FLAG_ACTIONS.get(flag, (KEYWORD_ADDED, KEYWORD_REMOVED))
        audit.record(session, None, actions[0 if added else 1], flag, folder=folder, uid=uid)


def _record_reply(session: Session, sent: str, uid: int, event: Event) -> None:
    """The reply `uid` that arrived in the Sent folder `sent`."""
    answered = _MSG_ID.findall(cache.in_reply_to_at(session, sent, uid))
    # One row per answered message, where it is: not its copy in Sent.
    originals: dict[str, cache.CachedLocation] = {}
    for place in cache.locations_of(session, answered):
        known = originals.get(place.message_id)
        if known is None or (known.folder == sent and place.folder != sent):
            originals[place.message_id] = place
    # The copies of the app's own replies never get here: the app puts them
    # in the cache as it saves them (feed.record_own_arrival).
    for place in originals.values():
        audit.record(
            session,
            None,
            ANSWERED_ELSEWHERE,
            str(event.detail.get("subject", "")),
            folder=place.folder,
            uid=place.uid,
            message_id=place.message_id,
        )


def _sent_folder(pool: ConnectionPool) -> str | None:
    """The Sent folder replying fills (`sent_folder`), if there is one."""
    sent = sent_folder(reading.folder_list(pool))
    return sent.name if sent else None
