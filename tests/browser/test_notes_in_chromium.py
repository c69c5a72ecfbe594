"""Notes in two browsers on the same message: Claire writes a note that
mentions Alice, whose open message shows it at once, highlighted, with her
"Mentions" count; her history panel shows it too, and what she is typing
meanwhile stays in her form (Debian's Chromium, the app on a live port)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient
from playwright.sync_api import Browser, expect

from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_live_in_chromium import person, wait_for_stream
from tests.imap_helpers import add_message


@pytest.fixture
def folder(imap: IMAPClient) -> Iterator[str]:
    name = f"Notes-{uuid.uuid4().hex[:8]}"
    ensure_folders(imap, [name])
    yield name
    mailstore.leave_folder(imap)
    imap.delete_folder(name)


def test_a_note_and_its_mention_show_live_in_the_other_browser(
    browser: Browser, live_url: str, imap: IMAPClient, folder: str
) -> None:
    _, uid = add_message(imap, folder)
    message = f"{live_url}/folders/{folder}/messages/{uid}"
    claire = person(browser, live_url, "claire")
    alice = person(browser, live_url, "alice")
    errors: list[str] = []
    alice.on("pageerror", lambda error: errors.append(str(error)))
    alice.goto(message)
    wait_for_stream(alice)
    alice.fill("#note-body", "Half-written thought")

    claire.goto(message)
    claire.fill("#note-body", "@alice she called again <b>angry</b>\nCan you take it?")
    claire.get_by_role("button", name="Add note").click()
    expect(claire.locator("#note-body")).to_have_value("")  # the form is fresh again

    note = alice.locator(".note-list .note")
    expect(note).to_contain_text("she called again <b>angry</b>")
    expect(note.locator("mark.mention")).to_have_text("@alice")
    expect(note).to_have_class("note mentions-me")
    expect(alice.locator("#history")).to_contain_text("Note added")
    expect(alice.locator("#note-body")).to_have_value("Half-written thought")
    # Alice has the message open: once its notes loaded, the mention counts as seen.
    expect(alice.locator("#mentions-link")).to_have_text("Mentions")

    claire.get_by_role("button", name="Flag", exact=True).click()
    expect(alice.locator("#history li").last).to_contain_text("Flagged")
    alice.locator("#notes").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(SCREENSHOTS / "notes-and-history.png"), full_page=True)

    other_message = f"{live_url}/folders/{folder}"
    alice.goto(other_message)
    wait_for_stream(alice)
    claire.fill("#note-body", "@alice one more thing")
    claire.get_by_role("button", name="Add note").click()
    expect(alice.locator("#mentions-link .badge")).to_have_text("1")
    alice.screenshot(path=str(SCREENSHOTS / "notes-mentions-badge.png"))
    alice.locator("#mentions-link").click()
    expect(alice.locator(".note-list .note.unseen")).to_contain_text("one more thing")
    alice.screenshot(path=str(SCREENSHOTS / "notes-mentions.png"))
    assert errors == []
