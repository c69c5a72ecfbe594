"""`flask --app app demo`: a private Dovecot with a seeded office mailbox,
demo users, and the app, all on 127.0.0.1. Ctrl-C stops the app and Dovecot.

Running it again reuses the mailbox and the users it made the first time.
"""

from __future__ import annotations

import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from teaminbox import build_imap_pool
from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.demo.mailbox import seed_office_mailbox
from teaminbox.demo.outbox import Outbox, start_outbox, stop_outbox
from teaminbox.domain import Role
from teaminbox.services import accounts
from teaminbox.store import migrate
from teaminbox.store.users import find_user
from teaminbox.web.access import IMAP_POOL, database

# Non-standard ports, so the demo runs beside any real mail server.
DEMO_IMAP_PORT = 10143
DEMO_POP3_PORT = 10110
DEMO_SMTP_PORT = 10025

DEMO_USERS = (
    ("claire", "claire-demo", Role.MANAGER, "Claire Moreau"),
    ("alice", "alice-demo", Role.STAFF, "Alice Martin"),
    ("bruno", "bruno-demo", Role.STAFF, "Bruno Petit"),
)


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, envvar="TEAMINBOX_DEMO_PORT")
def demo(host: str, port: int) -> None:
    """Run the demo: private Dovecot, seeded mailbox, demo users, the app."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    root = Path(app.instance_path) / "dovecot"
    server = start_dovecot(
        root,
        imap_port=_free_or_any(DEMO_IMAP_PORT),
        pop3_port=_free_or_any(DEMO_POP3_PORT),
        pop3_lock_session=True,
    )
    outbox: Outbox | None = None
    # A `kill` stops the demo as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        outbox = start_outbox(Path(app.instance_path) / "demo-outbox", _free_or_any(DEMO_SMTP_PORT))
        use_demo_server(server, outbox)
        added = seed_office_mailbox(server, datetime.now(UTC))
        click.echo(
            f"Mailbox {server.user}: {added} messages added"
            if added
            else f"Mailbox {server.user}: already seeded"
        )
        migrate.upgrade(database())
        _create_demo_users()
        _print_welcome(server, outbox, host, port)
        # Not app.run(): Flask ignores it inside `flask` commands.
        run_simple(host, port, app, threaded=True)
    finally:
        click.echo("Stopping the private Dovecot…")
        if outbox is not None:
            stop_outbox(outbox)
        stop_dovecot(server)


def use_demo_server(server: DovecotServer, outbox: Outbox | None = None) -> None:
    """Point the running app at the private Dovecot (and the outbox, for
    outgoing mail) instead of the configured servers."""
    config = current_app.config
    config.update(
        IMAP_HOST=server.host,
        IMAP_PORT=server.imap_port,
        IMAP_SECURITY="none",
        IMAP_USER=server.user,
        IMAP_PASSWORD=server.password,
        POP3_HOST=server.host,
        POP3_PORT=server.pop3_port,
        POP3_SECURITY="none",
    )
    if outbox is not None:
        config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=outbox.port,
            SMTP_SECURITY="none",
            SMTP_USER="",
            SMTP_PASSWORD="",
            SHARED_ADDRESS=server.user,
        )
    current_app.extensions[IMAP_POOL] = build_imap_pool(config)


def _create_demo_users() -> None:
    with database().session() as session:
        for username, password, role, name in DEMO_USERS:
            if find_user(session, username) is None:
                accounts.create_user(session, username, password, role, name)
        session.commit()


def _free_or_any(port: int) -> int:
    """`port` if nothing listens on it, else 0 (any free port)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return 0
    return port


def _print_welcome(server: DovecotServer, outbox: Outbox, host: str, port: int) -> None:
    lines = [
        "",
        f"TeamInbox demo: http://{host}:{port}/",
        "",
        "Log in as:",
        *(f"  {u:<8} {p:<14} ({r.value})" for u, p, r, _ in DEMO_USERS),
        "",
        f"Private Dovecot on {server.host}: IMAP {server.imap_port}, POP3 {server.pop3_port}",
        f"  account {server.user} / {server.password} (try it in Thunderbird too)",
        f"  state in {server.root}",
        f"Outgoing mail goes nowhere: SMTP on {outbox.port} keeps it in {outbox.directory}",
        "",
        "Press Ctrl-C to stop the app and the private Dovecot.",
        "",
    ]
    click.echo("\n".join(lines))
