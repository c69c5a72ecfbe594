"""The private Dovecot, seeded with the demo mailbox, as an IMAP client sees it."""

from __future__ import annotations

import email
import email.policy
import poplib
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from imapclient import IMAPClient

from teaminbox.demo.mailbox import FOLDERS, seed_office_mailbox

if TYPE_CHECKING:
    from conftest import SeededServer


@pytest.fixture
def imap_client(seeded: SeededServer) -> Iterator[IMAPClient]:
    server = seeded.server
    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.login(server.user, server.password)
    client.normalise_times = False  # keep the server's time zones
    yield client
    client.logout()


def test_seeding_appends_every_message(seeded: SeededServer) -> None:
    assert seeded.appended == len(seeded.messages)
    assert 250 <= seeded.appended <= 350


def test_folders_are_listed_decoded_with_special_uses(imap_client: IMAPClient) -> None:
    listed = {name: flags for flags, _delimiter, name in imap_client.list_folders()}
    assert set(FOLDERS) <= set(listed)
    assert {"Drafts", "Junk"} <= set(listed)
    assert b"\\Sent" in listed["Sent"]
    assert b"\\Archive" in listed["Archive"]
    assert b"\\Trash" in listed["Trash"]
    subscribed = {name for _flags, _delimiter, name in imap_client.list_sub_folders()}
    assert {"Réclamations", "Factures", "Sent", "Archive"} <= subscribed


def test_non_ascii_folder_is_modified_utf7_on_the_wire(imap_client: IMAPClient) -> None:
    imap_client.folder_encode = False
    names = {name for _flags, _delimiter, name in imap_client.list_folders()}
    assert b"R&AOk-clamations" in names


def test_message_counts_per_folder(seeded: SeededServer, imap_client: IMAPClient) -> None:
    expected = Counter(message.folder for message in seeded.messages)
    for folder in FOLDERS:
        status = imap_client.folder_status(folder, [b"MESSAGES"])
        assert status[b"MESSAGES"] == expected[folder], folder


def test_flags_and_internal_dates_as_seeded(seeded: SeededServer, imap_client: IMAPClient) -> None:
    for folder in FOLDERS:
        seeded_here = [m for m in seeded.messages if m.folder == folder]
        imap_client.select_folder(folder, readonly=True)
        uids = sorted(imap_client.search(["ALL"]))
        fetched = imap_client.fetch(uids, ["FLAGS", "INTERNALDATE"])
        # MULTIAPPEND keeps the order: UIDs follow the seeded order.
        for uid, message in zip(uids, seeded_here, strict=True):
            flags = {f.decode() for f in fetched[uid][b"FLAGS"] if f != b"\\Recent"}
            assert flags == set(message.flags), (folder, uid)
            assert fetched[uid][b"INTERNALDATE"] == message.internaldate, (folder, uid)


def test_a_message_shows_an_inline_cid_image(imap_client: IMAPClient) -> None:
    imap_client.select_folder("INBOX", readonly=True)
    uids = imap_client.search(["HEADER", "Content-Type", "multipart/alternative"])
    found = False
    for data in imap_client.fetch(uids, ["BODY.PEEK[]"]).values():
        message = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
        images = [p for p in message.walk() if p.get_content_type() == "image/png"]
        html = message.get_body(("html",))
        for image in images:
            cid = image["Content-ID"].strip("<>")
            assert html is not None
            assert f"cid:{cid}" in html.get_content()
            assert image.get_content().startswith(b"\x89PNG")
            found = True
    assert found


def test_capabilities_the_app_relies_on(imap_client: IMAPClient) -> None:
    capabilities = set(imap_client.capabilities())
    for name in (b"IDLE", b"QRESYNC", b"CONDSTORE", b"MOVE", b"NOTIFY", b"MULTIAPPEND",
                 b"UIDPLUS", b"SPECIAL-USE", b"METADATA", b"QUOTA", b"ACL"):  # fmt: skip
        assert name in capabilities, name


def test_seeding_twice_appends_nothing(seeded: SeededServer, imap_client: IMAPClient) -> None:
    before = imap_client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"]
    assert seed_office_mailbox(seeded.server, seeded.now) == 0
    assert imap_client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"] == before


def test_pop3_sees_inbox(seeded: SeededServer) -> None:
    server = seeded.server
    pop = poplib.POP3(server.host, server.pop3_port, timeout=10)
    try:
        assert pop.getwelcome().startswith(b"+OK")
        pop.user(server.user)
        pop.pass_(server.password)
        count, _size = pop.stat()
        assert count == sum(1 for m in seeded.messages if m.folder == "INBOX")
        uidl = pop.uidl(1)
        # %08Xu%08Xv: UID 1 then the UIDVALIDITY, in hex.
        assert uidl.split()[-1].startswith(b"00000001")
    finally:
        pop.quit()
