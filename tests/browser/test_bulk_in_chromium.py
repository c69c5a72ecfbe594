"""Bulk actions in a real Chromium under the strict CSP: tick rows (one by
one, or all on the page), move them, see them leave the list, with
Thunderbird's view checked over IMAP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient
from playwright.sync_api import Browser, Page, expect

from teaminbox.imap import mailstore
from teaminbox.imap.append import ensure_folders
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_live_in_chromium import person, wait_for_stream
from tests.conftest import PASSWORD
from tests.imap_helpers import add_message, locate

pytestmark = pytest.mark.browser


@pytest.fixture
def folders(imap: IMAPClient) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:8]
    source, destination = f"Bulk-{tag}", f"Bulk-{tag}-to"
    ensure_folders(imap, [source, destination])
    yield source, destination
    mailstore.leave_folder(imap)
    for name in (source, destination):
        imap.delete_folder(name)


def test_tick_two_rows_move_them_and_they_leave_the_list(
    page: Page, live_url: str, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    source, destination = folders
    made = [add_message(imap, source) for _ in range(3)]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Security Policy" in m.text else None)
    page.goto(f"{live_url}/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_url}/folders/{source}")

    actions = page.locator(".bulk-actions")
    expect(actions).to_be_hidden()  # nothing ticked, nothing offered
    (_first, uid1), (_second, uid2), (_kept, kept_uid) = made
    page.locator(f'tr[data-uid="{uid1}"] input[name="uid"]').check()
    page.locator(f'tr[data-uid="{uid2}"] input[name="uid"]').check()
    expect(actions).to_be_visible()
    expect(page.locator(".bulk-count")).to_have_text("2 messages selected")
    expect(page.locator("[data-select-all]")).to_have_js_property("indeterminate", True)
    page.select_option("#bulk-destination", destination)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bulk-bar.png"))

    page.locator(".bulk-actions").get_by_role("button", name="Move", exact=True).click()

    expect(page.locator(".flash").first).to_have_text(f"2 messages moved to {destination}.")
    expect(page.locator("tr.row[data-uid]")).to_have_count(1)
    expect(page.locator(f'tr[data-uid="{kept_uid}"]')).to_be_visible()
    for message_id, _uid in made[:2]:
        assert list(locate(imap, message_id, [source, destination])) == [destination]
    assert list(locate(imap, made[2][0], [source, destination])) == [source]
    page.screenshot(path=str(SCREENSHOTS / "bulk-after-move.png"))

    # "Select all on this page" ticks what is left; the count follows.
    page.locator("[data-select-all]").check()
    expect(page.locator(f'tr[data-uid="{kept_uid}"] input[name="uid"]')).to_be_checked()
    expect(page.locator(".bulk-count")).to_have_text("1 message selected")
    page.locator("[data-select-all]").uncheck()
    expect(actions).to_be_hidden()
    assert errors == []


def test_ticks_stay_while_a_colleagues_bulk_action_updates_the_list(
    browser: Browser, live_url: str, imap: IMAPClient, folders: tuple[str, str]
) -> None:
    source, destination = folders
    (_a, uid_a), (_b, uid_b), (_c, uid_c) = [add_message(imap, source) for _ in range(3)]
    alice = person(browser, live_url, "alice")
    claire = person(browser, live_url, "claire")
    errors: list[str] = []
    alice.on("pageerror", lambda error: errors.append(str(error)))
    alice.goto(f"{live_url}/folders/{source}")
    wait_for_stream(alice)
    for uid in (uid_a, uid_b):
        alice.locator(f'tr[data-uid="{uid}"] input[name="uid"]').check()
    expect(alice.locator(".bulk-count")).to_have_text("2 messages selected")

    # Claire flags A and moves C away, with her own bar, in her own browser.
    claire.goto(f"{live_url}/folders/{source}")
    claire.locator(f'tr[data-uid="{uid_a}"] input[name="uid"]').check()
    claire.locator(".bulk-actions").get_by_role("button", name="Flag", exact=True).click()
    expect(claire.locator(".flash").first).to_have_text("1 message flagged.")
    claire.locator(f'tr[data-uid="{uid_c}"] input[name="uid"]').check()
    claire.select_option("#bulk-destination", destination)
    claire.locator(".bulk-actions").get_by_role("button", name="Move", exact=True).click()
    expect(claire.locator(".flash").first).to_have_text(f"1 message moved to {destination}.")

    # Alice's list follows live; her ticks on A and B are still there.
    expect(alice.locator(f'tr[data-uid="{uid_a}"]')).to_have_attribute("data-flags", "\\Flagged")
    expect(alice.locator(f'tr[data-uid="{uid_c}"]')).to_contain_text(
        f"Moved to {destination} by Claire Moreau."
    )
    expect(alice.locator(f'tr[data-uid="{uid_a}"] input[name="uid"]')).to_be_checked()
    expect(alice.locator(f'tr[data-uid="{uid_b}"] input[name="uid"]')).to_be_checked()
    expect(alice.locator(".bulk-count")).to_have_text("2 messages selected")
    expect(alice.locator("[data-select-all]")).to_be_checked()  # A and B are all that is left
    alice.screenshot(path=str(SCREENSHOTS / "bulk-ticks-kept-live.png"))
    assert errors == []
    claire.context.close()
    alice.context.close()
