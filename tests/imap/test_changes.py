"""Changes to the mailbox against the real Dovecot: MOVE where offered, the
COPY + \\Deleted + UID EXPUNGE fallback where not, and folders.

Each test works in folders of its own and removes them afterwards, so the
seeded counts other tests rely on stay as they are.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from imapclient import IMAPClient

from teaminbox.demo.dovecot import DovecotServer
from teaminbox.domain import DELETED, FLAGGED, SEEN, MessageRef
from teaminbox.imap import changes, mailstore
from teaminbox.imap.append import ensure_folders
from teaminbox.imap.connection import close_connection, open_connection
from teaminbox.imap.errors import FolderExists, FolderNotFound, MessageNotFound
from teaminbox.imap.pool import ConnectionPool
from tests.imap_helpers import add_message, flags_of, locate


@dataclass(frozen=True)
class Folders:
    source: str
    destination: str


@pytest.fixture
def folders(imap: IMAPClient) -> Iterator[Folders]:
    tag = uuid.uuid4().hex[:8]
    made = Folders(f"Changes-{tag}", f"Changes-{tag}-to")
    ensure_folders(imap, [made.source, made.destination])
    yield made
    # Dovecot drops a session whose selected folder is deleted: leave it first.
    mailstore.leave_folder(imap)
    for _flags, _delimiter, name in sorted(imap.list_folders(), key=lambda f: -len(f[2])):
        if name.startswith(f"Changes-{tag}"):
            imap.delete_folder(name)


@pytest.fixture
def client(dovecot: DovecotServer) -> Iterator[IMAPClient]:
    """A connection opened as the app opens its own (QRESYNC enabled)."""
    connection = open_connection(dovecot.imap_settings)
    yield connection
    close_connection(connection)


def without(client: IMAPClient, monkeypatch: pytest.MonkeyPatch, *missing: str) -> None:
    """Pretend the server does not offer `missing` capabilities."""
    offered = client.has_capability
    monkeypatch.setattr(
        client, "has_capability", lambda name: name.upper() not in missing and offered(name)
    )


def spy(client: IMAPClient, monkeypatch: pytest.MonkeyPatch, *commands: str) -> list[str]:
    """Record which of `commands` (imapclient methods) the code under test calls."""
    called: list[str] = []
    for name in commands:
        original = getattr(client, name)

        def recorded(*args: object, _name: str = name, _original: object = original) -> object:
            called.append(_name)
            return _original(*args)  # type: ignore[operator]

        monkeypatch.setattr(client, name, recorded)
    return called


def test_move_uses_move_and_returns_the_new_uid(
    client: IMAPClient,
    imap: IMAPClient,
    folders: Folders,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    message_id, uid = add_message(imap, folders.source, ["\\Seen"])
    called = spy(client, monkeypatch, "move", "copy", "uid_expunge")
    with caplog.at_level(logging.WARNING):
        new_uid = changes.move_message(client, MessageRef(folders.source, uid), folders.destination)
    assert called == ["move"]
    assert locate(imap, message_id, [folders.source, folders.destination]) == {
        folders.destination: [{"\\Seen"}]
    }
    assert new_uid == locate_uid(imap, folders.destination, message_id)
    assert not caplog.records


def test_without_move_it_copies_and_expunges_that_uid_alone(
    client: IMAPClient,
    imap: IMAPClient,
    folders: Folders,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    changes._log_once.cache_clear()
    without(client, monkeypatch, "MOVE")
    called = spy(client, monkeypatch, "move", "copy", "uid_expunge")
    # Thunderbird marked another message deleted: a move must not expunge it.
    bystander_id, _ = add_message(imap, folders.source, ["\\Deleted"])
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            message_id, uid = add_message(imap, folders.source)
            new_uid = changes.move_message(
                client, MessageRef(folders.source, uid), folders.destination
            )
            assert new_uid == locate_uid(imap, folders.destination, message_id)
            assert folders.source not in locate(imap, message_id, [folders.source])
    assert called == ["copy", "uid_expunge"] * 2
    assert locate(imap, bystander_id, [folders.source]) == {folders.source: [{"\\Deleted"}]}
    assert [r.getMessage() for r in caplog.records] == [
        "the IMAP server offers no MOVE: moving with COPY, \\Deleted and EXPUNGE"
    ]


def test_fallback_move_keeps_the_flags_and_leaves_no_copy_behind(
    client: IMAPClient, imap: IMAPClient, folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    without(client, monkeypatch, "MOVE")
    message_id, uid = add_message(imap, folders.source, ["\\Flagged", "\\Answered"])
    new_uid = changes.move_message(client, MessageRef(folders.source, uid), folders.destination)
    assert locate(imap, message_id, [folders.source, folders.destination]) == {
        folders.destination: [{"\\Flagged", "\\Answered"}]
    }
    assert new_uid == locate_uid(imap, folders.destination, message_id)


def test_without_uidplus_the_new_uid_is_found_by_message_id(
    client: IMAPClient, imap: IMAPClient, folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    without(client, monkeypatch, "UIDPLUS")
    message_id, uid = add_message(imap, folders.source)
    new_uid = changes.move_message(client, MessageRef(folders.source, uid), folders.destination)
    assert new_uid == locate_uid(imap, folders.destination, message_id)
    assert folders.source not in locate(imap, message_id, [folders.source])


def test_without_move_nor_uidplus_the_original_stays_marked_deleted(
    client: IMAPClient, imap: IMAPClient, folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    without(client, monkeypatch, "MOVE", "UIDPLUS")
    message_id, uid = add_message(imap, folders.source)
    new_uid = changes.move_message(client, MessageRef(folders.source, uid), folders.destination)
    assert new_uid == locate_uid(imap, folders.destination, message_id)
    assert locate(imap, message_id, [folders.source]) == {folders.source: [{"\\Deleted"}]}


@pytest.mark.parametrize("missing", [(), ("MOVE",)], ids=["move", "copy-expunge"])
def test_moving_a_message_that_is_gone_raises_and_copies_nothing(
    client: IMAPClient,
    imap: IMAPClient,
    folders: Folders,
    monkeypatch: pytest.MonkeyPatch,
    missing: tuple[str, ...],
) -> None:
    without(client, monkeypatch, *missing)
    message_id, uid = add_message(imap, folders.source)
    imap.select_folder(folders.source)
    imap.move([uid], "INBOX")  # another client was faster
    try:
        with pytest.raises(MessageNotFound):
            changes.move_message(client, MessageRef(folders.source, uid), folders.destination)
        assert locate(imap, message_id, [folders.source, folders.destination]) == {}
    finally:
        remove_from(imap, "INBOX", message_id)


@pytest.mark.parametrize("missing", [(), ("MOVE",)], ids=["move", "copy-expunge"])
def test_of_two_simultaneous_moves_exactly_one_wins(
    dovecot: DovecotServer,
    imap: IMAPClient,
    folders: Folders,
    monkeypatch: pytest.MonkeyPatch,
    missing: tuple[str, ...],
) -> None:
    # Dovecot lets both sessions copy the message before either expunges it.
    movers = [open_connection(dovecot.imap_settings) for _ in range(2)]
    try:
        for mover in movers:
            without(mover, monkeypatch, *missing)
        for _round in range(10):
            message_id, uid = add_message(imap, folders.source)
            outcomes = at_once(movers, MessageRef(folders.source, uid), folders.destination)
            assert sorted(outcomes) == ["lost", "moved"]
            assert locate(imap, message_id, [folders.source, folders.destination]) == {
                folders.destination: [set()]
            }
    finally:
        for mover in movers:
            close_connection(mover)


def at_once(movers: list[IMAPClient], ref: MessageRef, destination: str) -> list[str]:
    """Move `ref` from every connection at the same moment; each one's outcome."""
    for mover in movers:
        mover.select_folder(ref.folder)  # each session lists the message
    barrier = threading.Barrier(len(movers))
    outcomes: list[str] = []

    def move(mover: IMAPClient) -> None:
        barrier.wait()
        try:
            changes.move_message(mover, ref, destination)
            outcomes.append("moved")
        except MessageNotFound:
            outcomes.append("lost")

    threads = [threading.Thread(target=move, args=(mover,)) for mover in movers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_a_copy_already_in_the_destination_is_not_doubled(
    client: IMAPClient, imap: IMAPClient, folders: Folders
) -> None:
    message_id, uid = add_message(imap, folders.source)
    imap.select_folder(folders.source)
    imap.copy([uid], folders.destination)  # Thunderbird copied it there earlier
    with pytest.raises(MessageNotFound):
        changes.move_message(client, MessageRef(folders.source, uid), folders.destination)
    assert locate(imap, message_id, [folders.source, folders.destination]) == {
        folders.destination: [set()]
    }


def test_moving_to_a_missing_folder_leaves_the_message(
    client: IMAPClient, imap: IMAPClient, folders: Folders
) -> None:
    message_id, uid = add_message(imap, folders.source)
    with pytest.raises(FolderNotFound):
        changes.move_message(client, MessageRef(folders.source, uid), "Nowhere-at-all")
    assert folders.source in locate(imap, message_id, [folders.source])


def test_set_flag_twice_is_fine_and_a_gone_uid_is_not(
    client: IMAPClient, imap: IMAPClient, folders: Folders
) -> None:
    _message_id, uid = add_message(imap, folders.source)
    ref = MessageRef(folders.source, uid)
    flagged = changes.set_flag(client, ref, FLAGGED, True)
    assert flagged.flags == (FLAGGED,) and flagged.modseq is not None
    # Dovecot sends no FETCH when nothing changes: still an answer, not a 404.
    assert changes.set_flag(client, ref, FLAGGED, True) == flagged
    assert flags_of(imap, folders.source, uid) == {FLAGGED}
    unflagged = changes.set_flag(client, ref, FLAGGED, False)
    assert unflagged.flags == () and (unflagged.modseq or 0) > flagged.modseq
    with pytest.raises(MessageNotFound):
        changes.set_flag(client, MessageRef(folders.source, uid + 100), FLAGGED, True)


def test_set_flag_gives_the_modseq_on_a_connection_without_qresync(
    imap: IMAPClient, folders: Folders
) -> None:
    """A STORE's FETCH carries MODSEQ only once CONDSTORE is enabled: before
    that (a server without QRESYNC), set_flag fetches it, and the next STORE
    has it (asking for MODSEQ enabled CONDSTORE)."""
    _message_id, uid = add_message(imap, folders.source)
    ref = MessageRef(folders.source, uid)
    first = changes.set_flag(imap, ref, FLAGGED, True)
    second = changes.set_flag(imap, ref, SEEN, True)
    assert first.modseq is not None and second.modseq is not None
    assert second.modseq > first.modseq
    assert second.flags == (FLAGGED, SEEN)


def test_expunge_removes_only_what_is_marked_deleted(
    client: IMAPClient, imap: IMAPClient, folders: Folders
) -> None:
    _kept_id, kept = add_message(imap, folders.source)
    _gone_id, gone = add_message(imap, folders.source, [DELETED])
    assert changes.expunge_deleted(client, folders.source) == (gone,)
    imap.select_folder(folders.source, readonly=True)
    assert imap.search(["ALL"]) == [kept]
    assert changes.expunge_deleted(client, folders.source) == ()


def test_expunge_all_empties_the_folder(
    client: IMAPClient, imap: IMAPClient, folders: Folders
) -> None:
    uids = [add_message(imap, folders.source)[1] for _ in range(3)]
    assert changes.expunge_all(client, folders.source) == tuple(uids)
    imap.select_folder(folders.source, readonly=True)
    assert imap.search(["ALL"]) == []


def test_create_and_delete_a_folder_as_thunderbird_sees_it(
    client: IMAPClient, imap: IMAPClient, folders: Folders
) -> None:
    name = f"{folders.source}/Réunions"
    changes.create_folder(client, name)
    assert name in {n for _f, _d, n in imap.list_sub_folders()}
    with pytest.raises(FolderExists):
        changes.create_folder(client, name)
    client.select_folder(name)  # deleting the selected folder must not drop us
    changes.delete_folder(client, name)
    assert name not in {n for _f, _d, n in imap.list_folders()}
    assert name not in {n for _f, _d, n in imap.list_sub_folders()}
    client.noop()
    with pytest.raises(FolderNotFound):
        changes.delete_folder(client, name)


def test_after_a_folder_is_deleted_the_pool_drops_the_sessions_dovecot_ended(
    dovecot: DovecotServer, imap: IMAPClient, folders: Folders
) -> None:
    opened: list[IMAPClient] = []

    def connect() -> IMAPClient:
        opened.append(open_connection(dovecot.imap_settings))
        return opened[-1]

    pool = ConnectionPool(connect, size=2)
    try:
        with pool.borrow() as first, pool.borrow() as second:
            first.select_folder(folders.destination, readonly=True)
            second.select_folder("INBOX", readonly=True)
        changes.delete_folder(imap, folders.destination)  # from Thunderbird, say
        pool.check_idle()
        with pool.borrow() as one, pool.borrow() as two:
            one.noop()
            two.noop()
        # The session that had the folder selected was ended and replaced.
        assert len(opened) == 3
        assert first not in (one, two)
    finally:
        pool.close()


def locate_uid(client: IMAPClient, folder: str, message_id: str) -> int:
    client.select_folder(folder, readonly=True)
    found = client.search(["HEADER", "Message-ID", message_id])
    assert len(found) == 1, found
    return int(found[0])


def remove_from(client: IMAPClient, folder: str, message_id: str) -> None:
    client.select_folder(folder)
    uids = client.search(["HEADER", "Message-ID", message_id])
    if uids:
        client.add_flags(uids, [DELETED], silent=True)
        client.uid_expunge(uids)
    mailstore.leave_folder(client)
