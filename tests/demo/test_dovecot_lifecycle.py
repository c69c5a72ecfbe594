"""Starting, restarting and stopping the private Dovecot; appending to it."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from imapclient import IMAPClient

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.imap.append import append_messages, ensure_folders

MESSAGE = (
    b"From: Test <test@example.org>\r\nTo: contact@office.test\r\n"
    b"Subject: lifecycle\r\nMessage-ID: <lifecycle@example.org>\r\n"
    b"Date: Sat, 22 Nov 2025 10:00:00 +0100\r\n\r\nHello.\r\n"
)
WHEN = datetime(2025, 11, 22, 9, 0, tzinfo=UTC)


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            # Read the greeting: a connection dropped unread (a reset) right
            # before SIGTERM delays Dovecot's shutdown from 1 s to 6 s.
            conn.recv(64)
            return False
    except OSError:
        return True


def master_pid(server: DovecotServer) -> int:
    return int(server.pid_file.read_text())


def alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def connect(server: DovecotServer) -> IMAPClient:
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.login(server.user, server.password)
    return client


def test_stop_closes_both_ports(tmp_path: Path) -> None:
    server = start_dovecot(tmp_path / "dc")
    assert not refuses(server.imap_port)
    pid = master_pid(server)
    stop_dovecot(server, purge=True)
    assert eventually(lambda: refuses(server.imap_port) and refuses(server.pop3_port))
    assert not alive(pid)


def test_stop_is_idempotent(tmp_path: Path) -> None:
    started = time.monotonic()
    stop_dovecot(tmp_path / "never-started")
    server = start_dovecot(tmp_path / "dc")
    stop_dovecot(server)
    stop_dovecot(server.root, purge=True)
    assert time.monotonic() - started < 15


def test_starting_again_replaces_the_server_and_keeps_the_mail(tmp_path: Path) -> None:
    first = start_dovecot(tmp_path / "dc")
    first_pid = master_pid(first)
    client = connect(first)
    ensure_folders(client, ["Clients/Dupont", "Réclamations"])
    append_messages(client, "Clients/Dupont", [(MESSAGE, ["\\Seen", "$Devis"], WHEN)])
    client.logout()

    second = start_dovecot(tmp_path / "dc")
    try:
        assert not alive(first_pid)
        assert alive(master_pid(second))
        client = connect(second)
        listed = {name: flags for flags, _delim, name in client.list_folders()}
        assert {"Clients", "Clients/Dupont", "Réclamations"} <= set(listed)
        client.select_folder("Clients/Dupont", readonly=True)
        fetched = client.fetch("1", ["FLAGS"])
        assert set(fetched[1][b"FLAGS"]) >= {b"\\Seen", b"$Devis"}
        client.logout()
    finally:
        stop_dovecot(second, purge=True)


def test_append_without_multiappend_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_dovecot(tmp_path / "dc")
    try:
        client = connect(server)
        monkeypatch.setattr(client, "has_capability", lambda name: name != "MULTIAPPEND")
        append_messages(client, "INBOX", [(MESSAGE, [], WHEN)] * 3)
        assert client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"] == 3
        client.logout()
    finally:
        stop_dovecot(server, purge=True)


def test_a_deep_root_gets_short_socket_paths(tmp_path: Path) -> None:
    root = tmp_path / ("very-long-directory-name-" * 4) / "dovecot"
    server = start_dovecot(root)
    try:
        assert len(os.fsencode(server.base_dir)) < 70
        connect(server).logout()
    finally:
        stop_dovecot(server, purge=True)
    assert not server.base_dir.exists()


def test_a_taken_port_fails_with_the_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match="Address already in use"):
            start_dovecot(tmp_path / "dc", imap_port=port)
    stop_dovecot(tmp_path / "dc", purge=True)
