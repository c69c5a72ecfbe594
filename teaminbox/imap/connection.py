"""Opening one logged-in IMAP connection to the shared mailbox."""

from __future__ import annotations

import contextlib
import functools
import imaplib
import logging
import socket
import ssl
from dataclasses import dataclass

from imapclient import IMAPClient

from teaminbox.imap.errors import ImapUnavailable
from teaminbox.imap.qresync import enable_qresync

log = logging.getLogger(__name__)
_logged: set[str] = set()

# A connection failure is one of these: the socket, TLS, or the protocol.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    socket.timeout,
    ssl.SSLError,
    imaplib.IMAP4.abort,
)
# What closing an already broken connection may raise.
CLOSE_ERRORS: tuple[type[BaseException], ...] = (*NETWORK_ERRORS, imaplib.IMAP4.error)


@dataclass(frozen=True)
class ImapSettings:
    """Where the shared mailbox lives and how to log in to it."""

    host: str
    port: int
    security: str  # "ssl", "starttls" or "none"
    user: str
    password: str
    timeout: float = 30.0

    @property
    def mailbox_key(self) -> str:
        """Names the mailbox among others sharing a Redis or a database:
        for the watcher lease and the bus channel."""
        return f"imap://{self.user}@{self.host}:{self.port}"

    def __repr__(self) -> str:  # never print the password
        return f"ImapSettings({self.user}@{self.host}:{self.port}, {self.security})"


def open_connection(settings: ImapSettings) -> IMAPClient:
    """Connect, secure the line as configured, and log in.

    Raises ImapUnavailable with a sentence an operator can act on.
    """
    try:
        client = IMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.security == "ssl",
            ssl_context=_tls_context() if settings.security == "ssl" else None,
            timeout=settings.timeout,
        )
    except NETWORK_ERRORS as exc:
        raise ImapUnavailable(
            f"cannot reach the IMAP server {settings.host}:{settings.port}: {exc}"
        ) from exc
    try:
        if settings.security == "starttls":
            client.starttls(_tls_context())
        client.login(settings.user, settings.password)
        if not enable_qresync(client):
            _log_once("the IMAP server offers no QRESYNC: catching up compares flags")
    except imaplib.IMAP4.error as exc:
        _close_quietly(client)
        raise ImapUnavailable(
            f"the IMAP server refused the login of {settings.user}: {exc}"
        ) from exc
    except NETWORK_ERRORS as exc:
        _close_quietly(client)
        raise ImapUnavailable(f"the IMAP server dropped the connection: {exc}") from exc
    return client


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every connection: loading the system's
    certificates takes ~17 ms, which each new connection would pay again."""
    return ssl.create_default_context()


def _log_once(message: str) -> None:
    if message not in _logged:
        _logged.add(message)
        log.info(message)


def close_connection(client: IMAPClient) -> None:
    """Log out politely, and never raise: the connection may already be dead."""
    try:
        client.logout()
    except CLOSE_ERRORS:
        _close_quietly(client)


def _close_quietly(client: IMAPClient) -> None:
    with contextlib.suppress(*CLOSE_ERRORS):
        client.shutdown()
