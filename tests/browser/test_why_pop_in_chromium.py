"""The "Why not POP?" page in a real Chromium: reached from the top bar,
the POP3 demonstration shows its progress while the server holds the
second login, then the server's lock answer; the detector's warning sits on
top until dismissed (private Dovecot with pop3_lock_session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from teaminbox import close_app
from teaminbox.demo.dovecot import DovecotServer
from teaminbox.store.models import PopWarning
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.pop_history import LOCKED, office_app, seeded_office

pytestmark = pytest.mark.browser


@pytest.fixture
def office(tmp_path: Path) -> Iterator[DovecotServer]:
    with seeded_office(tmp_path / "dovecot", lock_session=True) as server:
        yield server


@pytest.fixture
def app(office: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("TEAMINBOX_INSTANCE_PATH", str(tmp_path / "instance"))
    app = office_app(office, tmp_path / "instance")
    yield app
    close_app(app)


def test_a_manager_sees_the_lock_for_herself(app: Flask, page: Page, live_url: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    removed = '[{"uid":1,"message_id":"<m0@pop-history.test>","subject":"Devis urgent"}]'
    with app.extensions["teaminbox.database"].session() as session:
        session.add(PopWarning(folder="INBOX", removed=removed))
        session.commit()
    page.goto(f"{live_url}/login")
    page.fill("#username", "claire")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="Why not POP?").first.click()
    expect(page.get_by_role("heading", name="Your mailbox in figures")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Something outside TeamInbox")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "why-pop.png"), full_page=True)

    page.get_by_role("button", name="Show the server's answers").click()
    expect(page.locator("#pop-run .waiting")).to_contain_text("waiting for the server")
    page.locator("#pop-run").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "why-pop-waiting.png"), full_page=False)
    expect(page.locator("#pop-run")).to_contain_text(LOCKED, timeout=30_000)
    expect(page.locator("#pop-run .pop-outcome")).to_be_visible()
    page.locator("#pop-run").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "why-pop-locked.png"), full_page=False)

    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("heading", name="Why not POP?")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    page.select_option("#language", "fr")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("heading", name="Pourquoi pas POP ?")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "why-pop-fr.png"), full_page=True)
    assert errors == []
