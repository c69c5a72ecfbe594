"""Flag and move a message in a real Chromium: htmx under the strict CSP,
and plain forms, with Thunderbird's view checked over IMAP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from imapclient import IMAPClient
from playwright.sync_api import Page, expect

from teaminbox.events import Event, Kind
from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from teaminbox.services import feed
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.imap_helpers import add_message, locate

pytestmark = pytest.mark.browser


@pytest.fixture
def folders(imap: IMAPClient) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:8]
    source, destination = f"Browser-{tag}", f"Browser-{tag}-to"
    ensure_folders(imap, [source, destination])
    yield source, destination
    mailstore.leave_folder(imap)
    for name in (source, destination):
        imap.delete_folder(name)


def test_flag_in_place_then_move_back_to_the_list(
    page: Page, live_url: str, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    source, destination = folders
    message_id, uid = add_message(imap, source)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The strict CSP refuses inline scripts and styles with a console error.
    page.on("console", lambda m: errors.append(m.text) if "Security Policy" in m.text else None)
    page.goto(f"{live_url}/login")
    page.fill("#username", "claire")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_url}/folders/{source}/messages/{uid}")

    page.get_by_role("button", name="Flag", exact=True).click()
    expect(page.locator("#message-status")).to_have_attribute("data-flags", "\\Flagged")
    expect(page.get_by_role("button", name="Unflag")).to_be_visible()
    assert page.url.endswith(f"/messages/{uid}")  # swapped in place, no navigation
    assert locate(imap, message_id, [source]) == {source: [{"\\Flagged"}]}
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "message-actions.png"))

    page.select_option("#move-destination", destination)
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator("#folder-title")).to_have_text(source)
    expect(page.locator(".flash")).to_have_text(f"Message moved to {destination}.")
    assert locate(imap, message_id, [source, destination]) == {destination: [{"\\Flagged"}]}
    page.locator(".folder-actions summary").click()
    page.screenshot(path=str(SCREENSHOTS / "folder-actions.png"))
    assert errors == []


def test_the_not_found_page_names_who_was_first_once_their_move_is_stored(
    app: Flask, page: Page, live_url: str, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    """The loser of a race gets its page before the winner's request has
    stored the move: the notice fills in when the winner's event arrives."""
    source, destination = folders
    message_id, uid = add_message(imap, source)
    imap.select_folder(source)
    imap.move(imap.search(["HEADER", "Message-ID", message_id]), destination)
    mailstore.leave_folder(imap)
    page.goto(f"{live_url}/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_url}/folders/{source}/messages/{uid}")
    notice = page.locator(".gone-live")
    expect(notice).to_contain_text("someone may have moved or deleted it")

    moved = Event(Kind.MOVED, source, uid, actor="claire", detail={"to_folder": destination})
    with app.extensions["teaminbox.database"].session() as session:
        stored = feed.record_own(session, [moved])
        session.commit()
    feed.publish(app.extensions["teaminbox.bus"], stored)

    expect(notice).to_have_text(f"Moved to {destination} by Claire Moreau.")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "gone-named-live.png"))
