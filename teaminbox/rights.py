"""Rights on folders, modelled on IMAP ACL (RFC 4314), and how they combine.

Pure rules over plain values: no database, no IMAP. A grant gives a set of
rights on a folder pattern to a user or to a role; `effective_rights`
decides what one person may do in one folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Right(StrEnum):
    """The letters of RFC 4314 plus the team's own `assign`."""

    LOOKUP = "l"  # see that the folder exists
    READ = "r"  # open and read its messages
    SEEN = "s"  # mark read / unread
    WRITE = "w"  # set other flags: answered, flagged, keywords
    INSERT = "i"  # move or copy messages into it
    DELETE = "t"  # delete messages (move to Trash, flag \Deleted)
    EXPUNGE = "e"  # expunge, empty the Trash
    CREATE = "k"  # create subfolders
    DELETE_FOLDER = "x"  # delete the folder
    ADMINISTER = "a"  # change the rights on it
    ASSIGN = "assign"  # hand messages to colleagues


LETTERS = "lrswitekxa"
ALL_RIGHTS = frozenset(Right)
RIGHTS_FORMAT = re.compile(r"^[a-z]*$")


class RightsError(ValueError):
    """A rights string or folder pattern that means nothing."""


def parse_rights(text: str) -> frozenset[Right]:
    """`"lrsw"`, `"lrswi assign"`, `"lrsw,assign"` or `""` (deny) into rights.

    Letters are RFC 4314's; the word `assign` is the team right.
    """
    rights: set[Right] = set()
    for token in re.split(r"[\s,+]+", text.strip().lower()):
        if not token:
            continue
        if token == Right.ASSIGN.value:
            rights.add(Right.ASSIGN)
            continue
        unknown = sorted(set(token) - set(LETTERS))
        if unknown or not RIGHTS_FORMAT.match(token):
            raise RightsError(
                f"unknown right {''.join(unknown) or token!r}: use the letters "
                f"{LETTERS} and the word assign"
            )
        rights.update(Right(letter) for letter in token)
    return frozenset(rights)


def format_rights(rights: Iterable[Right]) -> str:
    """The canonical text: letters in RFC 4314 order, then ` assign`."""
    held = set(rights)
    letters = "".join(letter for letter in LETTERS if Right(letter) in held)
    return f"{letters} assign".strip() if Right.ASSIGN in held else letters


def check_pattern(pattern: str) -> str:
    """A folder pattern is a folder name, `NAME/*` (everything below NAME)
    or `*` (every folder). Returns it unchanged, or raises RightsError."""
    if not pattern or pattern != pattern.strip():
        raise RightsError("a folder pattern cannot be empty or start or end with a space")
    if (
        "*" in pattern
        and pattern != "*"
        and not (pattern.endswith("/*") and "*" not in pattern[:-2])
    ):
        raise RightsError("a pattern is a folder name, NAME/* or *")
    return pattern


def pattern_matches(pattern: str, folder: str, delimiter: str = "/") -> bool:
    """Whether a grant on `pattern` speaks about `folder`. INBOX is case-insensitive."""
    folder, pattern = _canonical(folder), _canonical(pattern)
    if pattern == "*":
        return True
    if pattern.endswith("/*"):
        return folder.startswith(pattern[:-2].replace("/", delimiter) + delimiter)
    return folder == pattern.replace("/", delimiter)


def specificity(pattern: str) -> tuple[int, int]:
    """Higher is more specific: an exact name beats `NAME/*`, a deeper
    `NAME/*` beats a shallower one, and `*` comes last."""
    if pattern == "*":
        return (0, 0)
    if pattern.endswith("/*"):
        return (1, len(pattern))
    return (2, len(pattern))


@dataclass(frozen=True)
class Grant:
    """Rights given on a folder pattern, to one user or to a role."""

    pattern: str
    rights: frozenset[Right]


def effective_rights(
    folder: str,
    user_grants: Iterable[Grant],
    role_grants: Iterable[Grant],
    delimiter: str = "/",
) -> frozenset[Right]:
    """What a person may do in `folder`.

    The person's own grants win over their role's; among one kind, the most
    specific matching pattern wins; a winning grant with no rights denies
    everything. No matching grant at all means no rights.
    """
    for grants in (user_grants, role_grants):
        matching = [g for g in grants if pattern_matches(g.pattern, folder, delimiter)]
        if matching:
            return max(matching, key=lambda g: specificity(g.pattern)).rights
    return frozenset()


def _canonical(name: str) -> str:
    head, sep, rest = name.partition("/")
    return ("INBOX" if head.upper() == "INBOX" else head) + sep + rest
