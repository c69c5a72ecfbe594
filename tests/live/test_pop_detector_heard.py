"""The POP3 detector on the live path (LIVE_UPDATES on, a private Dovecot):
when another client expunges the oldest messages of INBOX at once, as a
POP3 client's DELE + QUIT does, managers find the warning on their next page."""

from __future__ import annotations

import html

from flask import Flask
from flask.testing import FlaskClient
from imapclient import IMAPClient

from tests.conftest import log_in
from tests.event_stream import EventStreamReader
from tests.imap_helpers import add_message
from tests.live import test_supervisor as live
from tests.live.test_supervisor import READY_WITHIN, wait_until_heard

server, app, other, stream = live.server, live.app, live.other, live.stream


def test_a_download_and_delete_burst_warns_managers(
    app: Flask, alice: FlaskClient, stream: EventStreamReader, other: IMAPClient
) -> None:
    marker = wait_until_heard(stream, other)
    added = [add_message(other, "INBOX") for _ in range(3)]
    for _message_id, uid in added:
        stream.wait_for_fact("new", timeout=READY_WITHIN, folder="INBOX", uid=uid)
    gone = [marker, added[0][1], added[1][1]]  # the three oldest; the newest stays
    other.select_folder("INBOX")
    other.add_flags(gone, ["\\Deleted"], silent=True)
    other.uid_expunge(gone)
    for uid in gone:
        stream.wait_for_fact("expunged", timeout=READY_WITHIN, folder="INBOX", uid=uid)

    claire = app.test_client()
    log_in(claire, "claire")
    page = html.unescape(claire.get("/why-pop").get_data(as_text=True))
    assert "Something outside TeamInbox is removing mail from the INBOX" in page
    assert added[0][0] in page and added[1][0] in page and added[2][0] not in page
    staff_page = html.unescape(alice.get("/why-pop").get_data(as_text=True))
    assert "outside TeamInbox" not in staff_page
