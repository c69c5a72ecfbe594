"""The "Why not POP" figures: what this mailbox holds and what the team did
with it, and a replay of the last days as if everyone had used POP3.

Everything comes from the header cache and the activity log, counted only
in folders the viewer may see: a hidden folder adds nothing to a figure.
Arrival times are the messages' dates (their Date header, else when the
server received them).

The replay is a simulation, and a simple one, so that the page can explain
it in two sentences. Every person's mail client checks the mailbox every
CHECK_MINUTES, at evenly spread moments (with three people: at :00, :03:20,
:06:40, …); with POP3's default "delete after download", the first client
to check after a message arrives takes it and nobody else ever sees it.
That is then compared with who actually dealt with each message, according
to the activity log.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from teaminbox.domain import ANSWERED, INBOX
from teaminbox.services.history import ANSWERED_ELSEWHERE
from teaminbox.services.rights import RightsView
from teaminbox.services.sending import ANSWER_ACTIONS
from teaminbox.store.models import AuditRow, CachedMessage, FolderState, User, as_utc

# How often the replay's mail clients check for mail (Thunderbird's and
# Outlook's usual setting is about this).
CHECK_MINUTES = 10
# Days the replay covers; the page also counts arrivals over the last week.
REPLAY_DAYS = 30
WEEK_DAYS = 7
# Actions by which a person dealt with a message (the activity log's names).
HANDLING_ACTIONS = (
    *ANSWER_ACTIONS,
    "message.forward",
    "message.assign",
    "message.flag",
    "message.move",
    "message.delete",
    "message.note",
)
ALL_ANSWERS = (*ANSWER_ACTIONS, ANSWERED_ELSEWHERE)


@dataclass(frozen=True)
class FolderCount:
    folder: str
    messages: int


@dataclass(frozen=True)
class PersonReplay:
    """One person under POP: what their client would have downloaded, and
    how many of the messages they actually dealt with it would have missed."""

    name: str
    downloaded: int
    handled: int
    handled_but_elsewhere: int


@dataclass(frozen=True)
class Figures:
    staff: int
    arrived_week: int
    arrived_month: int
    in_inbox: int
    # Folders other than INBOX, with what they hold: POP3 sees none of it.
    elsewhere: tuple[FolderCount, ...]
    answered: int  # messages marked answered, now
    # Who answered (their names), per the activity log; "" for another mail client.
    answered_by: tuple[tuple[str, int], ...]
    replay: tuple[PersonReplay, ...]
    # Messages someone dealt with that POP would have given to someone else.
    misrouted: int
    handled: int
    # "Leave on server": answered messages a second person also dealt with,
    # who under POP could not have seen that it was answered.
    double_answer_risk: int

    @property
    def outside_inbox(self) -> int:
        return sum(f.messages for f in self.elsewhere)


def figures(
    session: Session,
    rights: RightsView,
    now: datetime,
    *,
    not_arrivals: Iterable[str] = (),
) -> Figures:
    """This mailbox's figures as `rights` may see them. `not_arrivals` names
    folders whose mail did not arrive from outside (Sent, Drafts)."""
    outgoing = set(not_arrivals)
    messages = [
        (folder, row)
        for folder, row in session.execute(
            select(FolderState.name, CachedMessage).join(
                CachedMessage, CachedMessage.folder_id == FolderState.id
            )
        )
        if rights.sees(folder)
    ]
    per_folder = Counter(folder for folder, _row in messages)
    arrivals = sorted(
        (
            (_key(row.message_id, row.uid, folder), as_utc(row.date))
            for folder, row in messages
            if folder not in outgoing and row.date
        ),
        key=lambda pair: pair[1],
    )
    month_start = now - timedelta(days=REPLAY_DAYS)
    recent = [(key, at) for key, at in arrivals if at >= month_start]
    staff = list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)))
    rows = [
        row
        for row in session.scalars(
            select(AuditRow)
            .where(AuditRow.action.in_((*HANDLING_ACTIONS, ANSWERED_ELSEWHERE)))
            .order_by(AuditRow.id)
        )
        if row.folder is not None and rights.sees(row.folder)
    ]
    handlers = _handlers(rows)
    taken_by = _pop_recipients(recent, [user.username for user in staff])
    replay, misrouted, handled = _replay(staff, taken_by, handlers)
    return Figures(
        staff=len(staff),
        arrived_week=sum(1 for _key_, at in arrivals if at >= now - timedelta(days=WEEK_DAYS)),
        arrived_month=len(recent),
        in_inbox=per_folder.get(INBOX, 0),
        elsewhere=tuple(
            FolderCount(folder, count)
            for folder, count in sorted(per_folder.items())
            if folder != INBOX and count
        ),
        answered=sum(1 for _folder, row in messages if ANSWERED in row.flags.split()),
        answered_by=_answered_by(rows, {u.username: u.name for u in session.scalars(select(User))}),
        replay=replay,
        misrouted=misrouted,
        handled=handled,
        double_answer_risk=_double_answer_risk(rows, {key for key, _at in recent}),
    )


def _key(message_id: str, uid: int | None, folder: str | None) -> str:
    """A message's identity in the log: its Message-ID, else where it is."""
    return message_id or f"{uid}:{folder}"


def _pop_recipients(arrivals: list[tuple[str, datetime]], staff: list[str]) -> dict[str, str]:
    """Whose client would have downloaded (and deleted) each message: the
    first to check after it arrived."""
    if not staff:
        return {}
    period = CHECK_MINUTES * 60
    offsets = [i * period / len(staff) for i in range(len(staff))]
    taken: dict[str, str] = {}
    for key, at in arrivals:
        moment = at.timestamp() % period
        waits = [(offset - moment) % period for offset in offsets]
        taken.setdefault(key, staff[waits.index(min(waits))])
    return taken


def _handlers(rows: list[AuditRow]) -> dict[str, str]:
    """Who dealt with each message first, per the log (people only)."""
    first: dict[str, str] = {}
    for row in rows:
        if row.actor_name and row.action in HANDLING_ACTIONS:
            first.setdefault(_key(row.message_id, row.uid, row.folder), row.actor_name)
    return first


def _replay(
    staff: list[User], taken_by: dict[str, str], handlers: dict[str, str]
) -> tuple[tuple[PersonReplay, ...], int, int]:
    downloaded = Counter(taken_by.values())
    handled: Counter[str] = Counter()
    elsewhere: Counter[str] = Counter()
    for key, person in handlers.items():
        if key not in taken_by:
            continue  # arrived before the replay, or in a folder the viewer cannot see
        handled[person] += 1
        if taken_by[key] != person:
            elsewhere[person] += 1
    people = tuple(
        PersonReplay(
            user.name, downloaded[user.username], handled[user.username], elsewhere[user.username]
        )
        for user in staff
    )
    return people, sum(elsewhere.values()), sum(handled.values())


def _answered_by(rows: list[AuditRow], names: dict[str, str]) -> tuple[tuple[str, int], ...]:
    answers: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.action in ALL_ANSWERS:
            answers[names.get(row.actor_name, row.actor_name)].add(
                _key(row.message_id, row.uid, row.folder)
            )
    ranked = sorted(answers.items(), key=lambda item: (-len(item[1]), item[0]))
    return tuple((name, len(keys)) for name, keys in ranked)


def _double_answer_risk(rows: list[AuditRow], recent: set[str]) -> int:
    """Answered messages of the replay's days that someone other than who
    answered also dealt with: over POP they would have looked unanswered."""
    answerers: dict[str, set[str]] = defaultdict(set)
    touchers: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        key = _key(row.message_id, row.uid, row.folder)
        if key not in recent or not row.actor_name:
            continue
        touchers[key].add(row.actor_name)
        if row.action in ANSWER_ACTIONS:
            answerers[key].add(row.actor_name)
    return sum(1 for key in answerers if len(touchers[key]) > 1)
