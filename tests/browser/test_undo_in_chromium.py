"""Delete, then Undo, in a real Chromium: the message is back in its folder
with its flags, as Thunderbird sees it over IMAP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient
from playwright.sync_api import Page, expect

from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.imap_helpers import add_message, locate

pytestmark = pytest.mark.browser


@pytest.fixture
def folder(imap: IMAPClient) -> Iterator[str]:
    name = f"Undo-{uuid.uuid4().hex[:8]}"
    ensure_folders(imap, [name])
    yield name
    mailstore.leave_folder(imap)
    imap.delete_folder(name)


def test_delete_then_undo(page: Page, live_url: str, imap: IMAPClient, folder: str) -> None:
    message_id, uid = add_message(imap, folder, ["\\Flagged"])
    page.goto(f"{live_url}/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_url}/folders/{folder}/messages/{uid}")

    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator(".flash").first).to_have_text("Message moved to Trash.")
    assert locate(imap, message_id, [folder, "Trash"]) == {"Trash": [{"\\Flagged"}]}
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "undo-offered.png"))

    page.get_by_role("button", name="Undo").click()
    expect(page.locator(".flash").first).to_have_text(f"Message restored to {folder}.")
    expect(page.locator("#message-status")).to_have_attribute("data-flags", "\\Flagged")
    assert locate(imap, message_id, [folder, "Trash"]) == {folder: [{"\\Flagged"}]}
    page.screenshot(path=str(SCREENSHOTS / "undo-done.png"))
