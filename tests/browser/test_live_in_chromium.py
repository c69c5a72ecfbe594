"""Two people in two browsers on the same folder: what one does, the other
sees without reloading (Debian's Chromium, the app on a live port)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient
from playwright.sync_api import Browser, Page, expect

from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.imap_helpers import add_message


@pytest.fixture
def folders(imap: IMAPClient) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:8]
    source, destination = f"Live-{tag}", f"Live-{tag}-Factures"
    ensure_folders(imap, [source, destination])
    yield source, destination
    mailstore.leave_folder(imap)
    for name in (source, destination):
        imap.delete_folder(name)


def person(browser: Browser, live_url: str, username: str) -> Page:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    return page


def wait_for_stream(page: Page) -> None:
    """The page's event stream is open (htmx says so on the body)."""
    page.wait_for_function("() => window.htmx && document.body.getAttribute('sse-connect')")
    page.wait_for_load_state("networkidle")


def test_answered_moved_and_reading_show_in_the_other_browser(
    browser: Browser, live_url: str, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    source, destination = folders
    _, answered_uid = add_message(imap, source)
    _, moved_uid = add_message(imap, source)
    claire = person(browser, live_url, "claire")
    alice = person(browser, live_url, "alice")
    errors: list[str] = []
    alice.on("pageerror", lambda error: errors.append(str(error)))
    alice.goto(f"{live_url}/folders/{source}")
    answered_row = alice.locator(f'tr[data-uid="{answered_uid}"]')
    moved_row = alice.locator(f'tr[data-uid="{moved_uid}"]')
    expect(answered_row).to_have_attribute("data-flags", "")
    wait_for_stream(alice)

    claire.goto(f"{live_url}/folders/{source}/messages/{answered_uid}")
    expect(answered_row).to_contain_text("Claire Moreau is reading")
    claire.get_by_role("button", name="Mark answered").click()
    expect(answered_row).to_have_attribute("data-flags", "\\Answered")
    assert alice.url.endswith(f"/folders/{source}")  # no reload, no navigation

    claire.goto(f"{live_url}/folders/{source}/messages/{moved_uid}")
    expect(answered_row).not_to_contain_text("is reading")  # Claire left that message
    claire.select_option("#move-destination", destination)
    claire.get_by_role("button", name="Move", exact=True).click()
    expect(moved_row).to_contain_text(f"Moved to {destination} by Claire Moreau.")
    expect(moved_row).to_have_attribute("data-gone", "moved")
    # The tree's unread counts follow: the moved (unread) message now counts there.
    expect(alice.locator(f'.folders a[title="{destination}"] + .unread')).to_have_text("1")
    expect(alice.locator(f'.folders a[title="{source}"] + .unread')).to_have_text("1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(SCREENSHOTS / "live-two-people.png"))
    assert errors == []
    claire.context.close()
    alice.context.close()
