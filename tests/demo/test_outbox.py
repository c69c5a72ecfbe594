"""The demo's outgoing mail server keeps what it receives as .eml files."""

from __future__ import annotations

import email
import smtplib
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from teaminbox.demo.outbox import start_outbox, stop_outbox
from tests.smtp_server import free_port


def test_a_mail_sent_to_the_outbox_lands_in_its_folder(tmp_path: Path) -> None:
    outbox = start_outbox(tmp_path / "outbox", free_port())
    try:
        message = EmailMessage()
        message["From"] = "contact@office.test"
        message["To"] = "client@example.com"
        message["Subject"] = "Réponse"
        message.set_content("Bonjour")
        with smtplib.SMTP("127.0.0.1", outbox.port, timeout=10) as server:
            server.send_message(message)
    finally:
        stop_outbox(outbox)
    [kept] = list((tmp_path / "outbox").glob("*.eml"))
    parsed = email.message_from_bytes(kept.read_bytes(), policy=default)
    assert (parsed["Subject"], parsed.get_content().strip()) == ("Réponse", "Bonjour")
