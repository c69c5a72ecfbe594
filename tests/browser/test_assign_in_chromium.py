"""A manager assigns a message in one browser; a staff member sees it in
another without reloading: the tag on the row, and her "Mine" view
(Debian's Chromium, the app on a live port)."""

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
from tests.imap_helpers import add_message, flags_of


@pytest.fixture
def folder(imap: IMAPClient) -> Iterator[str]:
    name = f"Assign-{uuid.uuid4().hex[:8]}"
    ensure_folders(imap, [name])
    yield name
    mailstore.leave_folder(imap)
    imap.delete_folder(name)


def test_a_manager_assigns_and_the_staff_member_sees_it_live(
    browser: Browser, live_url: str, imap: IMAPClient, folder: str
) -> None:
    _, uid = add_message(imap, folder)
    _, other_uid = add_message(imap, folder)
    claire = person(browser, live_url, "claire")
    alice = person(browser, live_url, "alice")
    errors: list[str] = []
    alice.on("pageerror", lambda error: errors.append(str(error)))
    claire.on("pageerror", lambda error: errors.append(str(error)))
    alice.goto(f"{live_url}/folders/{folder}")
    row = alice.locator(f'tr[data-uid="{uid}"]')
    expect(row).not_to_have_attribute("data-assignee", "alice")
    wait_for_stream(alice)
    mine = person(browser, live_url, "alice")  # Alice's second tab: her own view
    mine.goto(f"{live_url}/assignments?who=mine&folder={folder}")
    expect(mine.locator("#assignments")).to_contain_text("No message here.")
    wait_for_stream(mine)

    claire.goto(f"{live_url}/folders/{folder}/messages/{uid}")
    claire.select_option("#assignee", "alice")
    claire.fill("#assign-note", "Please call the customer back")
    claire.get_by_role("button", name="Assign", exact=True).click()
    expect(claire.locator("#message-status .assigned-to")).to_contain_text("Alice Martin")
    assert claire.url.endswith(f"/messages/{uid}"), "htmx swapped the bar in place"

    expect(row).to_have_attribute("data-assignee", "alice")
    expect(row.locator(".assignee-tag")).to_have_text("Alice Martin")
    expect(alice.locator(f'tr[data-uid="{other_uid}"]')).not_to_have_attribute(
        "data-assignee", "alice"
    )
    expect(mine.locator(f'#assignments tr[data-uid="{uid}"]')).to_be_visible()
    assert "$Assigned_alice" in flags_of(imap, folder, uid)
    assert alice.url.endswith(f"/folders/{folder}")  # no reload, no navigation

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(SCREENSHOTS / "assign-row-live.png"))
    mine.screenshot(path=str(SCREENSHOTS / "assign-mine-view.png"))
    claire.screenshot(path=str(SCREENSHOTS / "assign-form.png"))
    claire.goto(f"{live_url}/assignments?who=assigned")
    expect(claire.locator("h2.folder-group", has_text=folder)).to_be_visible()
    claire.screenshot(path=str(SCREENSHOTS / "assign-every-folder.png"))
    claire.goto(f"{live_url}/folders/{folder}/messages/{uid}")

    claire.select_option("#assignee", "")
    claire.get_by_role("button", name="Assign", exact=True).click()
    expect(row).not_to_have_attribute("data-assignee", "alice")
    expect(mine.locator("#assignments")).to_contain_text("No message here.")
    assert errors == []
    for page in (claire, alice, mine):
        page.context.close()
