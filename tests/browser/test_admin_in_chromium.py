"""The manager edits a rights cell in place, in a real Chromium, and the
person concerned feels it on their next click."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from teaminbox.rights import format_rights
from teaminbox.services.rights import RightsView
from teaminbox.store.users import find_user
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in_as(page: Page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#folder-title")).to_have_text("INBOX")


def rights_of(app: Flask, username: str, folder: str) -> str:
    with app.extensions["teaminbox.database"].session() as session:
        user = find_user(session, username)
        assert user is not None
        return format_rights(RightsView.load(session, user).on(folder))


def test_manager_edits_a_rights_cell_in_place(app: Flask, page: Page, live_url: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors but the browser's own lines about a 404 favicon or a 422 answer.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    log_in_as(page, live_url, "claire")
    SCREENSHOTS.mkdir(exist_ok=True)

    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    expect(page.locator('tr[data-username="alice"]')).to_contain_text("Alice Martin")
    page.screenshot(path=str(SCREENSHOTS / "admin-users.png"), full_page=True)

    page.get_by_role("link", name="Rights", exact=True).click()
    expect(page.get_by_role("heading", name="Who may do what")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "admin-rights.png"), full_page=True)

    cell = page.locator('td[data-subject="user:alice"][data-folder="Factures"]')
    expect(cell).to_have_attribute("data-rights", "lrswit")
    # A marker on the page that a full navigation would wipe out.
    page.evaluate("window.__stillTheSamePage = true")
    url = page.url

    cell.get_by_role("link").click()
    editor = cell.locator("input[name=rights]")
    expect(editor).to_be_visible()
    expect(editor).to_have_value("lrswit")
    page.screenshot(path=str(SCREENSHOTS / "admin-rights-editing.png"), full_page=True)
    editor.fill("lr")
    cell.get_by_role("button", name="Save").click()

    expect(cell).to_have_attribute("data-rights", "lr")
    expect(cell).to_have_class("cell own")
    assert page.url == url
    assert page.evaluate("window.__stillTheSamePage") is True
    assert rights_of(app, "alice", "Factures") == "lr"

    # Letters that mean nothing: the editor stays, with the reason, in place.
    cell.get_by_role("link").click()
    cell.locator("input[name=rights]").fill("lrz")
    cell.get_by_role("button", name="Save").click()
    expect(cell.locator(".form-error")).to_contain_text("Rights are the letters")
    page.screenshot(path=str(SCREENSHOTS / "admin-rights-refused.png"), full_page=True)
    assert rights_of(app, "alice", "Factures") == "lr"

    # Back to what the role gives.
    cell.get_by_role("button", name="Remove own grant (inherit)").click()
    expect(cell).to_have_attribute("data-rights", "lrswit")
    expect(cell).to_have_class("cell")
    assert rights_of(app, "alice", "Factures") == "lrswit"
    assert page.evaluate("window.__stillTheSamePage") is True
    assert errors == []

    page.get_by_role("link", name="Activity", exact=True).click()
    expect(page.locator('tr[data-action="rights.remove"]')).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "admin-activity.png"), full_page=True)
