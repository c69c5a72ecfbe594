"""The mailbox listener hears what another mail client changes, in any folder,
with NOTIFY and without it, against a private Dovecot."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.imap.append import ensure_folders
from teaminbox.imap.connection import close_connection, open_connection
from teaminbox.imap.errors import ImapUnavailable
from teaminbox.imap.notify import Changes, MailboxListener
from teaminbox.imap.notify_parser import notified_folder_name, parse_tokens
from tests.imap_helpers import add_message

ARCHIVES = "Archives"
CLAIMS = "Réclamations & litiges"
# Dovecot pushes 500 ms after a change; renames and deletes sometimes 1.5 s.
HEARD_WITHIN = 1.5
LIST_HEARD_WITHIN = 2.5
POLL_SECONDS = 0.3
# Dovecot rotates its folder index log past 64 KiB (8 KiB once it is 5
# minutes old); a flag change outside INBOX adds 120-200 bytes to it.
LIST_LOG_ROTATES_AT = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    server = start_dovecot(tmp_path_factory.mktemp("notify"))
    # Create the folders before anyone listens: on a new mailbox Dovecot
    # also announces the INBOX it creates.
    client = connect(server)
    ensure_folders(client, [ARCHIVES, CLAIMS])
    client.logout()
    yield server
    stop_dovecot(server, purge=True)


def connect(server: DovecotServer) -> IMAPClient:
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.login(server.user, server.password)
    return client


@pytest.fixture
def thunderbird(server: DovecotServer) -> Iterator[IMAPClient]:
    """Another mail client on the same account, making the changes."""
    client = connect(server)
    yield client
    client.logout()


Listen = Callable[..., MailboxListener]


@pytest.fixture(params=["notify", "fallback"])
def listen(request: pytest.FixtureRequest, server: DovecotServer) -> Iterator[Listen]:
    """Starts a listener, with NOTIFY or in the fallback, once the test has
    prepared the mailbox, so that only the change under test is heard."""
    started: list[tuple[MailboxListener, IMAPClient]] = []

    def listen(idle_seconds: float = 60, poll_seconds: float = POLL_SECONDS) -> MailboxListener:
        client = open_connection(server.imap_settings)
        listener = MailboxListener(
            client, idle_seconds, poll_seconds, use_notify=request.param == "notify"
        )
        listener.start()
        assert listener.uses_notify is (request.param == "notify")
        started.append((listener, client))
        return listener

    yield listen
    for listener, client in started:
        with contextlib.suppress(ImapUnavailable):
            listener.stop()
        close_connection(client)


def heard(
    listener: MailboxListener,
    folders: set[str] | None = None,
    *,
    list_changed: bool = False,
    timeout: float = HEARD_WITHIN,
) -> Changes:
    """Everything the listener reports until it has reported `folders` (and
    a folder list change, if asked), or until `timeout` seconds passed."""
    wanted = folders or set()
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    seen_list_change = False
    while time.monotonic() < deadline:
        changes = listener.wait(deadline - time.monotonic())
        seen |= changes.folders
        seen_list_change |= changes.folder_list_changed
        if wanted <= seen and seen_list_change >= list_changed:
            break
    return Changes(frozenset(seen), seen_list_change)


@pytest.mark.parametrize("folder", ["INBOX", CLAIMS])
def test_flag_changes_are_heard(listen: Listen, thunderbird: IMAPClient, folder: str) -> None:
    flags = ["\\Answered", "\\Flagged", "\\Seen", "\\Deleted"]
    uids = [add_message(thunderbird, folder)[1] for _flag in flags]
    thunderbird.select_folder(folder)
    listener = listen()

    for flag, uid in zip(flags, uids, strict=True):
        thunderbird.add_flags([uid], [flag])

        assert heard(listener, {folder}).folders == {folder}, flag


def test_arrivals_are_heard_in_every_folder(listen: Listen, thunderbird: IMAPClient) -> None:
    listener = listen()

    for folder in ("INBOX", ARCHIVES, CLAIMS):
        add_message(thunderbird, folder)

        assert heard(listener, {folder}).folders == {folder}


def test_a_move_is_heard_in_both_folders(listen: Listen, thunderbird: IMAPClient) -> None:
    _message_id, uid = add_message(thunderbird, "INBOX")
    thunderbird.select_folder("INBOX")
    listener = listen()

    thunderbird.move([uid], CLAIMS)

    assert heard(listener, {"INBOX", CLAIMS}).folders == {"INBOX", CLAIMS}


def test_an_expunge_is_heard(listen: Listen, thunderbird: IMAPClient) -> None:
    _message_id, uid = add_message(thunderbird, ARCHIVES)
    thunderbird.select_folder(ARCHIVES)
    thunderbird.add_flags([uid], ["\\Deleted"])
    listener = listen()

    thunderbird.uid_expunge([uid])

    assert heard(listener, {ARCHIVES}).folders == {ARCHIVES}


def test_folder_creation_renaming_and_deletion_are_heard(
    listen: Listen, thunderbird: IMAPClient
) -> None:
    listener = listen()
    steps = [
        lambda: thunderbird.create_folder("Fournisseurs & co/Été"),
        lambda: thunderbird.rename_folder("Fournisseurs & co/Été", "Fournisseurs & co/Hiver"),
        lambda: thunderbird.delete_folder("Fournisseurs & co/Hiver"),
        lambda: thunderbird.delete_folder("Fournisseurs & co"),
    ]
    for step in steps:
        step()

        assert heard(listener, list_changed=True, timeout=LIST_HEARD_WITHIN).folder_list_changed


def test_a_quiet_mailbox_reports_nothing(listen: Listen) -> None:
    listener = listen()
    started = time.monotonic()

    assert not listener.wait(0.5)
    assert time.monotonic() - started == pytest.approx(0.5, abs=0.2)


def test_idle_is_renewed_and_keeps_listening(
    listen: Listen, thunderbird: IMAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[bytes] = []
    send = MailboxListener._send

    def recording_send(self: MailboxListener, command: bytes) -> bytes:
        sent.append(command)
        return send(self, command)

    monkeypatch.setattr(MailboxListener, "_send", recording_send)
    listener = listen(idle_seconds=0.3)

    assert not listener.wait(1.0)
    assert sent.count(b"IDLE") >= 3
    add_message(thunderbird, "INBOX")
    assert heard(listener, {"INBOX"}).folders == {"INBOX"}


@dataclass
class FlagToggler:
    """Another client flagging and unflagging one message in ARCHIVES, and
    Dovecot's folder index log, which every such change makes grow."""

    client: IMAPClient
    uid: int
    log_file: Path
    first_log: int
    flagged: bool = False

    @classmethod
    def on_new_message(cls, client: IMAPClient, server: DovecotServer) -> FlagToggler:
        _message_id, uid = add_message(client, ARCHIVES)
        client.select_folder(ARCHIVES)
        log_file = server.mail_dir / server.user / "dovecot.list.index.log"
        return cls(client, uid, log_file, log_file.stat().st_ino)

    def toggle(self) -> bool:
        """Flag or unflag the message; True once the log has rotated."""
        change = self.client.remove_flags if self.flagged else self.client.add_flags
        change([self.uid], ["\\Flagged"])
        self.flagged = not self.flagged
        return self.log_file.stat().st_ino != self.first_log

    def toggle_until(self, log_size: int) -> bool:
        """Toggle quickly until the log has rotated (True) or grown to
        `log_size` (False)."""
        for _change in range(5000):
            if self.log_file.stat().st_size >= log_size:
                return False
            if self.toggle():
                return True
        return False


def quieten(listener: MailboxListener) -> None:
    """Let the listener take in whatever has been pushed so far."""
    while listener.wait(0.7):
        pass


@pytest.mark.parametrize("listen", ["notify"], indirect=True)
def test_every_change_is_heard_as_the_folder_index_log_rotates(
    listen: Listen, thunderbird: IMAPClient, server: DovecotServer
) -> None:
    """Dovecot hears folders other than INBOX through an inotify watch on its
    folder index log, and the watch stays on the old file when the log is
    rotated. The change that rotates the log, which Dovecot does not always
    push, and the changes after it must be heard all the same."""
    toggler = FlagToggler.on_new_message(thunderbird, server)
    listener = listen()
    toggler.toggle_until(LIST_LOG_ROTATES_AT - 1000)
    quieten(listener)

    after_rotation = 0
    for _change in range(30):
        after_rotation += toggler.toggle()

        assert heard(listener, {ARCHIVES}).folders == {ARCHIVES}, f"{after_rotation} after"
        if after_rotation == 3:
            break
    assert after_rotation == 3, "the folder index log did not rotate"


@pytest.mark.parametrize("listen", ["notify"], indirect=True)
def test_pushes_resume_after_the_folder_index_log_rotated(
    listen: Listen, thunderbird: IMAPClient, server: DovecotServer
) -> None:
    """Without the NOOPs that catch what push missed, the server must push
    again once the listener has re-armed after the changes it heard, for
    INBOX too, whose log did not rotate."""
    toggler = FlagToggler.on_new_message(thunderbird, server)
    listener = listen(poll_seconds=60)
    assert toggler.toggle_until(LIST_LOG_ROTATES_AT * 2), "the folder index log did not rotate"
    quieten(listener)

    for change in range(3):
        toggler.toggle()

        assert heard(listener, {ARCHIVES}).folders == {ARCHIVES}, f"change {change}"
    other = connect(server)
    add_message(other, "INBOX")
    assert heard(listener, {"INBOX"}).folders == {"INBOX"}
    other.logout()


def test_a_deaf_connection_still_hears_every_change(
    server: DovecotServer, thunderbird: IMAPClient
) -> None:
    """A NOTIFY SET over another leaves Dovecot 2.3.19 deaf to every log that
    did not rotate (the two share one inotify watch, and the old NOTIFY takes
    it away): the state a rotation leaves the connection in, made at will."""
    client = open_connection(server.imap_settings)
    listener = MailboxListener(client, idle_seconds=60, poll_seconds=POLL_SECONDS)
    listener.start()
    listener.stop()
    client.socket().sendall(
        b"DEAF NOTIFY SET (personal (MessageNew MessageExpunge FlagChange MailboxName))\r\n"
    )

    for folder in ("INBOX", ARCHIVES, "INBOX"):
        add_message(thunderbird, folder)

        assert heard(listener, {folder}).folders == {folder}
    close_connection(client)


def test_a_dropped_connection_raises(server: DovecotServer) -> None:
    client = open_connection(server.imap_settings)
    listener = MailboxListener(client, idle_seconds=60, poll_seconds=60)
    listener.start()

    client.socket().shutdown(socket.SHUT_RDWR)

    with pytest.raises(ImapUnavailable):
        listener.wait(2)
    client.shutdown()


def test_without_idle_every_folder_is_polled(
    server: DovecotServer, thunderbird: IMAPClient
) -> None:
    client = open_connection(server.imap_settings)
    offered = client.has_capability
    client.has_capability = lambda name: name != "IDLE" and offered(name)
    listener = MailboxListener(client, idle_seconds=60, poll_seconds=POLL_SECONDS)
    listener.start()

    for folder in ("INBOX", CLAIMS):
        add_message(thunderbird, folder)
        assert heard(listener, {folder}).folders == {folder}
    assert not listener.uses_notify
    close_connection(client)


@pytest.mark.parametrize(
    ("response", "tokens"),
    [
        (
            b"* STATUS INBOX (HIGHESTMODSEQ 3)",
            [b"*", b"STATUS", b"INBOX", [b"HIGHESTMODSEQ", b"3"]],
        ),
        (
            b'* LIST (\\HasNoChildren) "/" "A \\"quoted\\" \\\\ name"',
            [b"*", b"LIST", [b"\\HasNoChildren"], b"/", b'A "quoted" \\ name'],
        ),
        (
            b"* STATUS {23}\r\nR\xc3\xa9clamations & litiges (MESSAGES 1 UNSEEN 0)",
            [
                b"*",
                b"STATUS",
                "Réclamations & litiges".encode(),
                [b"MESSAGES", b"1", b"UNSEEN", b"0"],
            ],
        ),
        (
            b'* LIST () "/" Eps/Sub ("OLDNAME" ({5}\r\nDelta))',
            [b"*", b"LIST", [], b"/", b"Eps/Sub", [b"OLDNAME", [b"Delta"]]],
        ),
        (b"* LIST (\\Noselect) NIL {3+}\r\na b", [b"*", b"LIST", [b"\\Noselect"], b"NIL", b"a b"]),
    ],
)
def test_parse_tokens(response: bytes, tokens: list[object]) -> None:
    assert parse_tokens(response) == tokens


@pytest.mark.parametrize(
    "response", [b'* STATUS "open', b"* STATUS (a", b"* STATUS a)", b"* STATUS {9}\r\nshort"]
)
def test_parse_tokens_refuses_broken_responses(response: bytes) -> None:
    with pytest.raises(ValueError):
        parse_tokens(response)


@pytest.mark.parametrize(
    ("token", "name"),
    [
        (b"INBOX", "INBOX"),
        ("Réclamations & litiges".encode(), "Réclamations & litiges"),
        (b"Sales & Co", "Sales & Co"),
    ],
)
def test_notified_folder_names_are_raw_utf8(token: bytes, name: str) -> None:
    assert notified_folder_name(token) == name
