"""Every configuration key once, with its default and the reason it exists.

Values come, in increasing priority, from these defaults, `instance/config.py`
and `TEAMINBOX_*` environment variables (`TEAMINBOX_IMAP_HOST=…`).
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    # Signs sessions and CSRF tokens. Must be set in production; the demo
    # writes a random one into instance/config.py.
    "SECRET_KEY": None,
    # SQLAlchemy URL; the embedded default is SQLite (WAL) in instance/.
    "DATABASE_URL": None,
    # Redis pub/sub for the event bus when several processes serve the app.
    "REDIS_URL": None,
    # The shared mailbox. IMAP_SECURITY is ssl, starttls or none.
    "IMAP_HOST": "127.0.0.1",
    "IMAP_PORT": 993,
    "IMAP_SECURITY": "ssl",
    "IMAP_USER": "",
    "IMAP_PASSWORD": "",
    # Seconds before an IMAP command or connect gives up.
    "IMAP_TIMEOUT": 30.0,
    # Connections the app may hold in total (pool plus watchers): servers cap
    # connections per user and IP (Dovecot: 10, shared with Thunderbird).
    "IMAP_MAX_CONNECTIONS": 4,
    # Watch the mailbox and push every change to open browsers. The watcher
    # takes one connection of IMAP_MAX_CONNECTIONS; the pool gets the rest.
    "LIVE_UPDATES": True,
    # Seconds between STATUS rounds on servers without NOTIFY (RFC 5465);
    # with NOTIFY, between NOOPs that catch what a push missed (Dovecot's
    # pushes stop when it rotates an index log: notes/notify-deafness.md).
    "WATCH_POLL_SECONDS": 2.0,
    # Seconds an IDLE lasts before it is renewed (servers end it at 29 min,
    # NAT boxes often sooner).
    "WATCH_IDLE_SECONDS": 240.0,
    # Longest wait between two reconnection attempts (back-off with jitter).
    "WATCH_BACKOFF_MAX_SECONDS": 30.0,
    # Seconds a watcher lease lasts without renewal: when the process that
    # watches dies, another takes over after this long.
    "WATCH_LEASE_SECONDS": 15.0,
    # Hours events are kept for browsers that reconnect and replay them.
    "EVENTS_KEEP_HOURS": 24,
    # Seconds between keep-alive comments on an idle event stream.
    "EVENTS_KEEPALIVE_SECONDS": 15.0,
    # Seconds "Alice is reading" lasts without a heartbeat from her tab.
    "PRESENCE_SECONDS": 60.0,
    # Outgoing mail, same meaning as the IMAP keys.
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": 465,
    "SMTP_SECURITY": "ssl",
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    # Seconds before an SMTP connect or command gives up.
    "SMTP_TIMEOUT": 30.0,
    # The address replies come from (and which reply all leaves out); None:
    # the IMAP login when it is an address.
    "SHARED_ADDRESS": None,
    # Put after the writer's name and an en dash in From, as in "Alice
    # Martin - Contact"; None: the shared address's local part, capitalised;
    # "" for the writer's name alone.
    "SHARED_NAME": None,
    # Files of one reply or forward, uploads and forwarded ones together
    # (bytes). Base64 adds a third on the wire: 15 MiB stays under the
    # 25 MB most mail servers accept.
    "ATTACHMENTS_MAX_BYTES": 15 * 1024 * 1024,
    # Optional: a POP3 server for the "Why not POP" demonstration, logged in
    # to with the IMAP account. POP3_SECURITY None means ssl; POP3_PORT None
    # means 995 with ssl, else 110.
    "POP3_HOST": None,
    "POP3_PORT": None,
    "POP3_SECURITY": None,
    # Rows per page in a folder listing.
    "PAGE_SIZE": 50,
    # Dates are shown in this time zone (the office's).
    "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
    # UI languages offered; the first is the fallback.
    "LANGUAGES": ["en", "fr"],
    # Cookies: HttpOnly always, Secure when served over HTTPS (set True then).
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Rate limits storage for Flask-Limiter (memory:// in one process; the
    # Redis of REDIS_URL when that is set, so that processes count together).
    "RATELIMIT_STORAGE_URI": "memory://",
    # Uploads and form posts larger than this are refused (bytes).
    "MAX_CONTENT_LENGTH": 30 * 1024 * 1024,
}

INTEGER_KEYS = (
    "IMAP_PORT",
    "SMTP_PORT",
    "POP3_PORT",
    "IMAP_MAX_CONNECTIONS",
    "PAGE_SIZE",
    "ATTACHMENTS_MAX_BYTES",
)
SECURITY_MODES = ("ssl", "starttls", "none")


def check(config: dict[str, Any]) -> None:
    """Normalise types and refuse a configuration the app cannot run with."""
    for key in INTEGER_KEYS:
        if config.get(key) is not None:
            config[key] = int(config[key])
    config["IMAP_TIMEOUT"] = float(config["IMAP_TIMEOUT"])
    config["SMTP_TIMEOUT"] = float(config["SMTP_TIMEOUT"])
    for key in ("IMAP_SECURITY", "SMTP_SECURITY"):
        if config[key] not in SECURITY_MODES:
            raise ValueError(f"{key} must be one of {', '.join(SECURITY_MODES)}")
    if config.get("POP3_SECURITY") not in (None, *SECURITY_MODES):
        raise ValueError(f"POP3_SECURITY must be one of {', '.join(SECURITY_MODES)}")
    if config["IMAP_MAX_CONNECTIONS"] < 1:
        raise ValueError("IMAP_MAX_CONNECTIONS must be at least 1")
    for key in (
        "WATCH_POLL_SECONDS",
        "WATCH_IDLE_SECONDS",
        "WATCH_BACKOFF_MAX_SECONDS",
        "WATCH_LEASE_SECONDS",
        "EVENTS_KEEPALIVE_SECONDS",
        "PRESENCE_SECONDS",
    ):
        config[key] = float(config[key])
    config["EVENTS_KEEP_HOURS"] = int(config["EVENTS_KEEP_HOURS"])
    if isinstance(config["LIVE_UPDATES"], str):
        config["LIVE_UPDATES"] = config["LIVE_UPDATES"].lower() in ("1", "true", "yes", "on")
    if config["LIVE_UPDATES"] and config["IMAP_MAX_CONNECTIONS"] < 2:
        raise ValueError("LIVE_UPDATES needs IMAP_MAX_CONNECTIONS of at least 2 (pool + watcher)")
    if not config.get("SECRET_KEY"):
        raise ValueError(
            "SECRET_KEY is not set: put it in instance/config.py or TEAMINBOX_SECRET_KEY"
        )
