"""What changed in the shared mailbox, as small frozen facts.

Every change becomes one Event, whoever made it: this app, another app
process, or Thunderbird. Events carry facts, not HTML: browsers fetch the
re-rendered row through the same permission-checked routes as a page load.
Imports only the standard library.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The wire names of event kinds."""

    FLAGS = "flags"
    NEW = "new"
    EXPUNGED = "expunged"
    MOVED = "moved"
    ASSIGNED = "assigned"
    NOTE = "note"
    PRESENCE = "presence"
    # The app's own link to the mailbox: detail {"connected": bool}.
    STATUS = "status"
    # Folders were created or deleted: pages re-read their folder tree.
    FOLDERS = "folders"
    # A person's account or rights changed: open streams re-read them.
    # Never sent to browsers as such.
    ACCOUNT = "account"


# Kinds kept in the events table for replay; the others only matter now.
STORED_KINDS = frozenset(
    {Kind.FLAGS, Kind.NEW, Kind.EXPUNGED, Kind.MOVED, Kind.ASSIGNED, Kind.NOTE}
)


@dataclass(frozen=True)
class Event:
    """One change. `actor` is a username, or None for another mail client.

    `id` is the event's place in the stored sequence (0 until stored);
    `detail` holds the kind's own small facts (destination folder, new UID,
    assignee, …), JSON-serialisable.
    """

    kind: Kind
    folder: str
    uid: int | None = None
    flags: tuple[str, ...] = ()
    actor: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    id: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        data = json.loads(text)
        return cls(
            kind=Kind(data["kind"]),
            folder=str(data["folder"]),
            uid=data.get("uid"),
            flags=tuple(data.get("flags", ())),
            actor=data.get("actor"),
            detail=dict(data.get("detail", {})),
            id=int(data.get("id", 0)),
        )
