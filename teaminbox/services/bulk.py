"""Acting on several messages of one folder at once: a selection made in
the folder's list.

Each message goes through the single-message service of services/actions.py,
so the rights checked, the audit rows written and the events returned are
exactly those of the same action taken once per message. What is different
is what a failure means:

- a failure that is about the whole request (no right, a hidden folder, no
  Trash, the server down) before anything was done is the answer to the
  request, as it would be for one message: nothing was changed;
- a message that is no longer there (someone moved it meanwhile) or that the
  server refuses is skipped and reported; the others are done;
- a failure of the whole after some messages were done stops there: what is
  done stays done (the caller commits it) and the rest is reported as not
  done.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from teaminbox.domain import MessageRef
from teaminbox.events import Event
from teaminbox.imap.errors import ImapError, ImapUnavailable, MessageNotFound, ServerRefused
from teaminbox.imap.pool import ConnectionPool
from teaminbox.rights import Right
from teaminbox.services import actions
from teaminbox.services.rights import Forbidden, RightsView
from teaminbox.store.models import User

log = logging.getLogger(__name__)

# A UID is a non-zero 32-bit unsigned number (RFC 3501, "uniqueid").
MAX_UID = 2**32 - 1
_UID = re.compile(r"[1-9][0-9]{0,9}")


# What a single-message service returns.
_Result = actions.FlagsChanged | actions.Moved | actions.Deleted


class BulkAction(StrEnum):
    """What the bar of a folder list offers; the values are the form's."""

    READ = "read"
    UNREAD = "unread"
    FLAG = "flag"
    UNFLAG = "unflag"
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    MOVE = "move"
    DELETE = "delete"


# The right each action needs on the folder (move also needs `i` on the
# destination, which actions.move checks).
NEEDS: dict[BulkAction, Right] = {
    BulkAction.READ: Right.SEEN,
    BulkAction.UNREAD: Right.SEEN,
    BulkAction.FLAG: Right.WRITE,
    BulkAction.UNFLAG: Right.WRITE,
    BulkAction.ANSWERED: Right.WRITE,
    BulkAction.UNANSWERED: Right.WRITE,
    BulkAction.MOVE: Right.DELETE,
    BulkAction.DELETE: Right.DELETE,
}


class Problem(StrEnum):
    """Why a selection cannot be acted on at all."""

    UNKNOWN_ACTION = "unknown-action"
    EMPTY = "empty"
    TOO_MANY = "too-many"
    BAD_UID = "bad-uid"
    NO_DESTINATION = "no-destination"


class BadSelection(Exception):
    """The request names no action, no message, too many messages, a UID
    that is not one, or a move without destination. Nothing was changed."""

    def __init__(self, problem: Problem, limit: int = 0) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.limit = limit


class Skip(StrEnum):
    """Why one message of the selection was not done."""

    GONE = "gone"  # no longer in the folder: someone moved or deleted it
    REFUSED = "refused"  # the server said NO to this message
    UNREACHABLE = "unreachable"  # the server went away before it was done
    STOPPED = "stopped"  # the folder changed under the request; not tried


@dataclass(frozen=True)
class Selection:
    """A checked request: one folder, its UIDs (distinct, in the order
    given), one action, and for a move its destination."""

    folder: str
    uids: tuple[int, ...]
    action: BulkAction
    destination: str | None = None


@dataclass(frozen=True)
class Skipped:
    uid: int
    reason: Skip


@dataclass(frozen=True)
class BulkDone:
    """What became of a selection. `destination` is where messages went (a
    move's folder, the Trash); `marked` says a delete in the Trash marked
    them `\\Deleted` instead."""

    selection: Selection
    done: tuple[int, ...]
    skipped: tuple[Skipped, ...]
    events: tuple[Event, ...]
    destination: str | None = None
    marked: bool = False

    def skipped_for(self, reason: Skip) -> tuple[int, ...]:
        return tuple(s.uid for s in self.skipped if s.reason is reason)


def allowed(held: Collection[Right]) -> frozenset[BulkAction]:
    """The actions the bar offers to someone holding `held` on the folder."""
    return frozenset(action for action, right in NEEDS.items() if right in held)


def read_selection(
    folder: str, action: str, uids: Sequence[str], destination: str, limit: int
) -> Selection:
    """Check what a form sent: raise BadSelection, or return the Selection.
    At most `limit` UIDs (a page of the list); a UID repeated counts once."""
    try:
        chosen = BulkAction(action)
    except ValueError:
        raise BadSelection(Problem.UNKNOWN_ACTION) from None
    if not uids:
        raise BadSelection(Problem.EMPTY)
    if len(uids) > limit:
        raise BadSelection(Problem.TOO_MANY, limit)
    if not all(_UID.fullmatch(uid) and int(uid) <= MAX_UID for uid in uids):
        raise BadSelection(Problem.BAD_UID)
    if chosen is BulkAction.MOVE and not destination:
        raise BadSelection(Problem.NO_DESTINATION)
    distinct = tuple(dict.fromkeys(int(uid) for uid in uids))
    return Selection(folder, distinct, chosen, destination if chosen is BulkAction.MOVE else None)


def apply(
    pool: ConnectionPool, session: Session, actor: User, rights: RightsView, selection: Selection
) -> BulkDone:
    """Do `selection.action` to each message, one by one, through its
    single-message service (see the module docstring for what a failure
    means). The caller commits, then publishes the events."""
    one = _single_action(pool, session, actor, rights, selection)
    done: list[int] = []
    skipped: list[Skipped] = []
    events: list[Event] = []
    destination: str | None = None
    marked = False
    for index, uid in enumerate(selection.uids):
        try:
            result = one(MessageRef(selection.folder, uid))
        except MessageNotFound:
            skipped.append(Skipped(uid, Skip.GONE))
            continue
        except ServerRefused as error:
            log.warning("bulk %s: the server refused UID %d: %s", selection.action, uid, error)
            skipped.append(Skipped(uid, Skip.REFUSED))
            continue
        except (ImapError, Forbidden, actions.ActionRefused) as error:
            if not done:
                raise
            log.warning("bulk %s stopped after %d done: %s", selection.action, len(done), error)
            reason = Skip.UNREACHABLE if isinstance(error, ImapUnavailable) else Skip.STOPPED
            skipped.extend(Skipped(rest, reason) for rest in selection.uids[index:])
            break
        done.append(uid)
        events.extend(result.events)
        if isinstance(result, actions.Moved):
            destination = result.destination
        elif isinstance(result, actions.Deleted):
            destination, marked = result.trash, result.marked
    return BulkDone(selection, tuple(done), tuple(skipped), tuple(events), destination, marked)


def _single_action(
    pool: ConnectionPool, session: Session, actor: User, rights: RightsView, selection: Selection
) -> Callable[[MessageRef], _Result]:
    """The single-message service call that `selection.action` stands for."""
    match selection.action:
        case BulkAction.READ | BulkAction.UNREAD:
            seen = selection.action is BulkAction.READ
            return lambda ref: actions.set_seen(pool, session, actor, rights, ref, seen)
        case BulkAction.FLAG | BulkAction.UNFLAG:
            flagged = selection.action is BulkAction.FLAG
            return lambda ref: actions.set_flagged(pool, session, actor, rights, ref, flagged)
        case BulkAction.ANSWERED | BulkAction.UNANSWERED:
            answered = selection.action is BulkAction.ANSWERED
            return lambda ref: actions.set_answered(pool, session, actor, rights, ref, answered)
        case BulkAction.MOVE:
            to = selection.destination or ""
            return lambda ref: actions.move(pool, session, actor, rights, ref, to)
        case BulkAction.DELETE:
            return lambda ref: actions.delete(pool, session, actor, rights, ref)
