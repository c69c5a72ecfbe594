"""The team at work in three Chromiums: Claire (manager) assigns a customer's
message to Alice, Alice replies from her browser, and Bruno, with the folder
open, sees the assignment and the answer arrive without a reload."""

# The fixtures imported from tests.replying are parameters of the tests below.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from flask import Flask
from imapclient import IMAPClient
from playwright.sync_api import Browser, expect

from teaminbox.domain import Role
from teaminbox.services import accounts
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_live_in_chromium import person, wait_for_stream
from tests.conftest import PASSWORD
from tests.imap_helpers import flags_of
from tests.replying import (  # noqa: F401 (fixtures, imported to be used by name)
    Originals,
    originals,
    reply_app,
    smtp,
)
from tests.smtp_server import SmtpSink

pytestmark = pytest.mark.browser


@pytest.fixture
def app(reply_app: Flask) -> Flask:
    """The live server runs the app wired to the test's SMTP server, with a
    third colleague."""
    with reply_app.extensions["teaminbox.database"].session() as session:
        accounts.create_user(session, "bruno", PASSWORD, Role.STAFF, "Bruno Petit")
        session.commit()
    return reply_app


def test_assigned_by_the_manager_answered_by_staff_seen_live_by_a_third(
    browser: Browser, live_url: str, smtp: SmtpSink, imap: IMAPClient, originals: Originals
) -> None:
    _, uid = originals.add(subject="Facture en double")
    message_url = f"{live_url}/folders/{originals.folder}/messages/{uid}"
    claire = person(browser, live_url, "claire")
    alice = person(browser, live_url, "alice")
    bruno = person(browser, live_url, "bruno")
    bruno.goto(f"{live_url}/folders/{originals.folder}")
    row = bruno.locator(f'tr[data-uid="{uid}"]')
    expect(row).to_be_visible()
    wait_for_stream(bruno)

    claire.goto(message_url)
    claire.select_option("#assignee", "alice")
    claire.get_by_role("button", name="Assign", exact=True).click()
    expect(row).to_have_attribute("data-assignee", "alice")

    alice.goto(message_url)
    alice.get_by_role("link", name="Reply", exact=True).click()
    alice.locator("#compose-body").press("Control+Home")
    alice.locator("#compose-body").type("Bonjour, la facture en double est annulée.")
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.locator(".flash").first).to_contain_text("Reply sent to")

    expect(row).to_have_attribute("data-flags", re.compile(r"(^| )\\Answered( |$)"))
    expect(row).to_have_attribute("data-assignee", "alice")
    assert bruno.url.endswith(f"/folders/{originals.folder}"), "no reload, no navigation"
    assert smtp.wait_for().text.startswith("Bonjour, la facture en double est annulée.")
    assert "\\Answered" in flags_of(imap, originals.folder, uid)
    assert "$Assigned_alice" in flags_of(imap, originals.folder, uid)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    bruno.screenshot(path=str(SCREENSHOTS / "team-workflow-third-user.png"))
    for page in (claire, alice, bruno):
        page.context.close()
