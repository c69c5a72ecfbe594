"""Who did what, through the live path (LIVE_UPDATES on, a private Dovecot):
what another mail client does is in the message's history as "another mail
client" as soon as the stream has told of it, follows the message when it
moves, and a reply another client saved in Sent joins the history of the
message it answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask.testing import FlaskClient
from imapclient import IMAPClient

from teaminbox.imap.append import append_messages
from tests.event_stream import EventStreamReader
from tests.imap_helpers import add_message, uid_of
from tests.live import test_supervisor as live
from tests.live.test_supervisor import READY_WITHIN, wait_until_heard

# The live app on a private Dovecot, Thunderbird beside it, Alice's stream.
server, app, other, stream = live.server, live.app, live.other, live.stream
SENT = "Sent"


def history_of(client: FlaskClient, folder: str, uid: int) -> str:
    response = client.get(f"/folders/{folder}/messages/{uid}/history")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_another_clients_flag_and_move_are_in_the_history(
    alice: FlaskClient, stream: EventStreamReader, other: IMAPClient
) -> None:
    wait_until_heard(stream, other)
    message_id, uid = add_message(other, "Factures")
    stream.wait_for_fact("new", timeout=READY_WITHIN, folder="Factures", uid=uid)

    other.select_folder("Factures")
    other.add_flags([uid], ["\\Flagged"])
    stream.wait_for_fact("flags", timeout=READY_WITHIN, folder="Factures", uid=uid)
    panel = history_of(alice, "Factures", uid)
    assert 'data-action="message.flag" class="elsewhere"' in panel
    assert "another mail client" in panel

    other.move([uid], "INBOX")
    stream.wait_for_fact("moved", timeout=READY_WITHIN, folder="Factures", uid=uid)
    moved = uid_of(other, "INBOX", message_id)
    panel = history_of(alice, "INBOX", moved)
    assert panel.index('data-action="message.flag"') < panel.index('data-action="message.move"')
    assert "Factures → INBOX" in panel
    assert panel.count("another mail client") == 2


def test_a_reply_saved_in_sent_by_another_client_joins_the_originals_history(
    alice: FlaskClient, stream: EventStreamReader, other: IMAPClient
) -> None:
    wait_until_heard(stream, other)
    original_id, uid = add_message(other, "INBOX")
    stream.wait_for_fact("new", timeout=READY_WITHIN, folder="INBOX", uid=uid)

    reply_id = f"<{uuid.uuid4().hex}@thunderbird.test>"
    raw = (
        "From: Contact <contact@office.test>\r\n"
        "To: Test <test@example.com>\r\n"
        "Subject: Re: your invoice\r\n"
        "Date: Fri, 20 Nov 2026 10:30:00 +0000\r\n"
        f"Message-ID: {reply_id}\r\n"
        f"In-Reply-To: {original_id}\r\n"
        "\r\n"
        "Answered from the office PC.\r\n"
    ).encode()
    append_messages(other, SENT, [(raw, ["\\Seen"], datetime(2026, 11, 20, 10, 30, tzinfo=UTC))])
    stream.wait_for_fact("new", timeout=READY_WITHIN, folder=SENT)

    panel = history_of(alice, "INBOX", uid)
    assert 'data-action="message.answered_elsewhere" class="elsewhere"' in panel
    assert "Re: your invoice" in panel
