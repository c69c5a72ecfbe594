"""A person logs in, opens a folder and an HTML mail in a real Chromium."""

from __future__ import annotations

import pytest
from imapclient import IMAPClient
from playwright.sync_api import Page, Request, expect

from tests import hostile_mail
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.imap_helpers import uid_of

pytestmark = pytest.mark.browser


def log_in(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#folder-title")).to_have_text("INBOX")


def test_read_html_mail_without_loading_remote_images(
    page: Page, live_url: str, imap: IMAPClient
) -> None:
    outside: list[str] = []
    errors: list[str] = []

    def watch(request: Request) -> None:
        if not request.url.startswith(live_url) and not request.url.startswith("data:"):
            outside.append(request.url)

    page.on("request", watch)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_url)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inbox.png"))

    page.get_by_role("link", name="Réclamations", exact=True).click()
    expect(page.locator("#folder-title")).to_have_text("Réclamations")
    expect(page.locator("tr.row").first).to_be_visible()

    page.get_by_role("link", name="Tests", exact=True).click()
    uid = uid_of(imap, hostile_mail.FOLDER, hostile_mail.message_id("html"))
    page.locator(f'tr[data-uid="{uid}"] .subject a').click()
    frame = page.frame_locator("iframe.mail-body")
    expect(frame.locator("#greeting")).to_contain_text("Bonjour")
    page.screenshot(path=str(SCREENSHOTS / "message.png"), full_page=True)

    # The logo comes from the message itself; the tracker was never asked for.
    logo = frame.locator("img[alt=logo]")
    expect(logo).to_have_js_property("complete", True)
    assert logo.evaluate("img => img.naturalWidth") > 0
    assert outside == []
    assert "\\Seen" not in imap.get_flags([uid])[uid]

    page.get_by_role("link", name="Load remote content").click()
    expect(
        page.frame_locator("iframe.mail-body").locator(f'img[src="{hostile_mail.TRACKER}"]')
    ).to_have_count(1)
    assert errors == []
