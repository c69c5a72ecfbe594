"""The mailbox listener hears what another mail client changes, in any folder,
with NOTIFY and without it, against a private Dovecot."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterator

import pytest
from imapclient import IMAPClient

from teaminbox.demo.dovecot import DovecotServer, start_dovecot, stop_dovecot
from teaminbox.imap.append import ensure_folders
from teaminbox.imap.connection import close_connection, open_connection
from teaminbox.imap.errors import ImapUnavailable
from teaminbox.imap.notify import Changes, MailboxListener, notified_folder_name, parse_tokens
from tests.imap_helpers import add_message

ARCHIVES = "Archives"
CLAIMS = "Réclamations & litiges"
# Dovecot pushes 500 ms after a change; renames and deletes sometimes 1.5 s.
HEARD_WITHIN = 1.5
LIST_HEARD_WITHIN = 2.5
POLL_SECONDS = 0.3


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

    def listen(idle_seconds: float = 60) -> MailboxListener:
        client = open_connection(server.imap_settings)
        listener = MailboxListener(
            client, idle_seconds, POLL_SECONDS, use_notify=request.param == "notify"
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
