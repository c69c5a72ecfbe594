"""The precedence rules of rights, as a table."""

from __future__ import annotations

import pytest

from teaminbox.rights import (
    Grant,
    Right,
    RightsError,
    check_pattern,
    effective_rights,
    format_rights,
    parse_rights,
    pattern_matches,
)


def g(pattern: str, rights: str) -> Grant:
    return Grant(pattern, parse_rights(rights))


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("lrsw", "lrsw"),
        ("wsrl", "lrsw"),
        ("lrswitekxa assign", "lrswitekxa assign"),
        ("assign,lr", "lr assign"),
        ("lr+assign", "lr assign"),
        ("", ""),
        ("  ", ""),
        ("LRS", "lrs"),
    ],
)
def test_rights_text_round_trips(text: str, canonical: str) -> None:
    assert format_rights(parse_rights(text)) == canonical


@pytest.mark.parametrize("text", ["lrz", "admin", "l r 9", "assignx"])
def test_unknown_rights_are_refused(text: str) -> None:
    with pytest.raises(RightsError):
        parse_rights(text)


@pytest.mark.parametrize(
    ("pattern", "folder", "matches"),
    [
        ("*", "INBOX", True),
        ("*", "Clients/Dupont", True),
        ("Factures", "Factures", True),
        ("Factures", "Factures/2026", False),
        ("Factures/*", "Factures/2026", True),
        ("Factures/*", "Factures/2026/Q1", True),
        ("Factures/*", "Factures", False),
        ("Factures/*", "FacturesX/1", False),
        ("inbox", "INBOX", True),
        ("INBOX/*", "inbox/Urgent", True),
        ("Réclamations", "Réclamations", True),
        ("Réclamations", "Reclamations", False),
    ],
)
def test_pattern_matching(pattern: str, folder: str, matches: bool) -> None:
    assert pattern_matches(pattern, folder) is matches


def test_patterns_use_the_servers_delimiter() -> None:
    assert pattern_matches("Factures/*", "Factures.2026", delimiter=".")
    assert pattern_matches("Clients/Dupont", "Clients.Dupont", delimiter=".")


@pytest.mark.parametrize("pattern", ["", " Factures", "Fac*", "*/Factures", "a/*/b", "**"])
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(RightsError):
        check_pattern(pattern)


@pytest.mark.parametrize(
    ("folder", "user", "role", "expected"),
    [
        # No grant at all: nothing.
        ("INBOX", [], [], ""),
        # Role default applies when the user has nothing of their own.
        ("INBOX", [], [g("*", "lrswit")], "lrswit"),
        # The user's own grant wins over the role's, even a wider one.
        ("Factures", [g("*", "lr")], [g("Factures", "lrswitekxa")], "lr"),
        # Most specific pattern wins within the user's grants.
        ("Factures", [g("*", "lr"), g("Factures", "lrsw")], [], "lrsw"),
        ("Factures/2026", [g("*", "lr"), g("Factures/*", "lrswi")], [], "lrswi"),
        ("Factures/2026/Q1", [g("Factures/*", "lr"), g("Factures/2026/*", "lrsw")], [], "lrsw"),
        # An exact name beats a pattern of the same folder's parent.
        ("Factures/2026", [g("Factures/*", "lr"), g("Factures/2026", "l")], [], "l"),
        # Within the role's grants too.
        ("RH", [], [g("*", "lrswit"), g("RH", "")], ""),
        # An explicit empty grant of the user denies despite the role.
        ("RH", [g("RH", "")], [g("*", "lrswitekxa assign")], ""),
        # A user grant on another folder does not shadow the role for this one.
        ("INBOX", [g("RH", "lr")], [g("*", "lrs")], "lrs"),
        # INBOX is case-insensitive.
        ("INBOX", [g("inbox", "lr")], [], "lr"),
    ],
)
def test_effective_rights(folder: str, user: list[Grant], role: list[Grant], expected: str) -> None:
    assert format_rights(effective_rights(folder, user, role)) == expected


def test_assign_is_a_right_like_the_others() -> None:
    rights = effective_rights("INBOX", [], [g("*", "lr assign")])
    assert Right.ASSIGN in rights and Right.SEEN not in rights
