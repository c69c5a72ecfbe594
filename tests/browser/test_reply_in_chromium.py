"""Two staff members reply to the same customer in two Chromiums: the
second sees "Alice Martin is replying", the draft survives a reload, the
reply goes out through the SMTP server, and the second's send is held
because the message was answered meanwhile."""

# The fixtures imported from tests.replying are parameters of the tests below.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from flask import Flask
from imapclient import IMAPClient
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_live_in_chromium import person, wait_for_stream
from tests.replying import (  # noqa: F401 (fixtures, imported to be used by name)
    Originals,
    originals,
    reply_app,
    sent_copies,
    smtp,
)
from tests.smtp_server import SmtpSink

pytestmark = pytest.mark.browser


@pytest.fixture
def app(reply_app: Flask) -> Flask:
    """The live server runs the app wired to the test's SMTP server."""
    return reply_app


def csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Security Policy" in m.text else None)
    return errors


def test_a_staff_member_replies_while_a_colleague_is_held(
    browser: Browser,
    live_url: str,
    smtp: SmtpSink,
    imap: IMAPClient,
    originals: Originals,
) -> None:
    _, uid = originals.add(subject="Colis abîmé")
    message_url = f"{live_url}/folders/{originals.folder}/messages/{uid}"
    alice = person(browser, live_url, "alice")
    claire = person(browser, live_url, "claire")
    errors = csp_errors(alice) + csp_errors(claire)

    alice.get_by_role("link", name="Preferences").click()
    alice.fill("#signature", "Alice Martin\nService client")
    alice.get_by_role("button", name="Save the signature").click()
    expect(alice.locator(".flash")).to_have_text("Signature saved.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(SCREENSHOTS / "preferences-signature.png"))

    claire.goto(message_url)
    wait_for_stream(claire)
    alice.goto(message_url)
    alice.get_by_role("link", name="Reply", exact=True).click()
    expect(alice.locator("h1")).to_have_text("Reply")
    expect(alice.locator("#compose-to")).to_have_value("Jean Dupont <jean.dupont@example.com>")
    expect(alice.locator("#compose-subject")).to_have_value("Re: Colis abîmé")
    expect(claire.locator("#message-status")).to_contain_text("Alice Martin is replying")

    claire.get_by_role("link", name="Reply", exact=True).click()
    wait_for_stream(claire)
    expect(claire.locator("#compose-status")).to_contain_text("Alice Martin is replying")

    body = alice.locator("#compose-body")
    body.press("Control+Home")
    body.type("Bonjour Jean, un nouveau colis part demain.")
    expect(alice.locator("#draft-status")).to_contain_text("Draft saved at")
    alice.reload()
    expect(body).to_have_value(re.compile(r"^Bonjour Jean, un nouveau colis part demain\.\n"))
    expect(body).to_have_value(re.compile(r"\n-- \nAlice Martin\nService client\n"))
    expect(body).to_have_value(re.compile(r"\n> where is my parcel\?\n"))
    expect(alice.locator("#draft-status")).to_contain_text("Draft saved at")
    alice.screenshot(path=str(SCREENSHOTS / "reply-compose.png"), full_page=True)

    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.locator(".flash").first).to_have_text("Reply sent to jean.dupont@example.com.")
    expect(alice.locator("#message-status")).to_have_attribute("data-flags", "\\Answered")
    received = smtp.wait_for()
    assert received.text.startswith("Bonjour Jean, un nouveau colis part demain.\n")
    assert sent_copies(imap, received.message["Message-ID"]) == [{"\\Seen"}]

    expect(claire.locator("#compose-status")).to_contain_text("Answered meanwhile")
    claire.get_by_role("button", name="Send", exact=True).click()
    expect(claire.locator(".held")).to_contain_text("Alice Martin answered it at")
    expect(claire.get_by_role("button", name="Send anyway")).to_be_visible()
    claire.screenshot(path=str(SCREENSHOTS / "reply-held.png"), full_page=True)
    smtp.assert_nothing_arrived()
    assert errors == []
    alice.context.close()
    claire.context.close()
