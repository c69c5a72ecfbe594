"""Sending mail through the office's SMTP server.

One connection per message: replies are a few a minute, and a connection
kept open would be dropped by the server long before the next one.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any


class SmtpError(Exception):
    """Sending failed; the message says why, for the log."""


class SmtpUnavailable(SmtpError):
    """The server cannot be reached, refused the login or dropped the line:
    nothing was sent."""


class SmtpRefused(SmtpError):
    """The server answered but refused the message or a recipient: nothing
    was sent (`recipients` names the refused addresses, if that was why)."""

    def __init__(self, text: str, recipients: Sequence[str] = ()) -> None:
        super().__init__(text)
        self.recipients = tuple(recipients)


@dataclass(frozen=True)
class SmtpSettings:
    """Where to send and how to log in; `security` is ssl, starttls or none.
    No user means no login (a relay that trusts the host)."""

    host: str
    port: int
    security: str
    user: str
    password: str
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        return cls(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            security=config["SMTP_SECURITY"],
            user=config["SMTP_USER"] or "",
            password=config["SMTP_PASSWORD"] or "",
            timeout=float(config["SMTP_TIMEOUT"]),
        )

    def __repr__(self) -> str:  # never print the password
        return f"SmtpSettings({self.user}@{self.host}:{self.port}, {self.security})"


def send_message(
    settings: SmtpSettings, message: EmailMessage, sender: str, recipients: Sequence[str]
) -> None:
    """Send `message` from the envelope address `sender` to `recipients`.

    All or nothing: a server that refuses any recipient gets the message to
    nobody (RSET), so that a retry never sends it twice to the others.
    Raises SmtpUnavailable or SmtpRefused.
    """
    try:
        with _connect(settings) as server:
            _send(server, message, sender, recipients)
    except SmtpError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpUnavailable(f"the SMTP server refused the login of {settings.user}") from exc
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
        raise SmtpUnavailable(f"the SMTP server {settings.host} dropped the line: {exc}") from exc
    except smtplib.SMTPException as exc:
        raise SmtpRefused(f"the SMTP server refused the message: {exc}") from exc
    except (OSError, ssl.SSLError) as exc:  # timeouts are OSErrors
        raise SmtpUnavailable(
            f"cannot reach the SMTP server {settings.host}:{settings.port}: {exc}"
        ) from exc


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    server: smtplib.SMTP
    if settings.security == "ssl":
        server = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        server.ehlo()
        if settings.security == "starttls":
            server.starttls(context=context)
            server.ehlo()
        if settings.user:
            server.login(settings.user, settings.password)
    except BaseException:
        server.close()
        raise
    return server


def _send(
    server: smtplib.SMTP, message: EmailMessage, sender: str, recipients: Sequence[str]
) -> None:
    """MAIL, every RCPT, then DATA only if the server took them all (the
    message is 7-bit clean, so it needs neither 8BITMIME nor SMTPUTF8)."""
    code, answer = server.mail(sender)
    if code != 250:
        raise SmtpRefused(f"the SMTP server refused the sender {sender}: {code} {answer!r}")
    refused = []
    for recipient in recipients:
        code, answer = server.rcpt(recipient)
        if code not in (250, 251):
            refused.append(recipient)
    if refused:
        server.rset()
        raise SmtpRefused(f"the SMTP server refused {', '.join(refused)}", refused)
    server.data(message.as_bytes())
