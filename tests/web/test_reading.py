"""Reading the shared mailbox from the browser, against the real Dovecot."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from imapclient import IMAPClient

from tests import hostile_mail
from tests.conftest import SEED_TIME
from tests.imap_helpers import flags_of, uid_of

ROW = re.compile(
    r'<tr id="row-(\d+)"[^>]*data-uid="(\d+)" data-folder="([^"]*)" data-flags="([^"]*)"'
)


def rows(page: str) -> list[tuple[int, str, str]]:
    return [(int(uid), folder, flags) for _, uid, folder, flags in ROW.findall(page)]


def test_folder_tree_shows_decoded_names_and_unread_counts(
    alice: FlaskClient, imap: IMAPClient
) -> None:
    page = alice.get("/folders/INBOX").get_data(as_text=True)
    assert ">Réclamations</a>" in page
    assert 'href="/folders/R%C3%A9clamations"' in page
    for name in ("INBOX", "Sent", "Trash", "Archive", "Factures"):
        assert f">{name}</a>" in page
    unseen = imap.folder_status("INBOX", [b"UNSEEN"])[b"UNSEEN"]
    assert unseen > 0
    assert f'{unseen} unread">{unseen}</span>' in page


def test_folder_lists_the_fifty_latest_arrivals_first(
    alice: FlaskClient, imap: IMAPClient, office_counts: dict[str, int]
) -> None:
    page = alice.get("/folders/INBOX").get_data(as_text=True)
    listed = rows(page)
    assert len(listed) == 50
    assert all(folder == "INBOX" for _, folder, _ in listed)
    imap.select_folder("INBOX", readonly=True)
    newest = sorted(imap.search(["ALL"]), reverse=True)[:50]
    assert [uid for uid, _, _ in listed] == newest
    assert f"{office_counts['INBOX']} messages" in page


def test_rows_carry_the_imap_flags(alice: FlaskClient, imap: IMAPClient) -> None:
    listed = rows(alice.get("/folders/INBOX").get_data(as_text=True))
    uids = [uid for uid, _, _ in listed]
    imap.select_folder("INBOX", readonly=True)
    server = imap.get_flags(uids)
    for uid, _, flags in listed:
        # \Recent goes to the first session that sees a message: not a flag
        # the app shows (this session may be the first to select INBOX).
        assert set(flags.split()) == {f.decode() for f in server[uid]} - {"\\Recent"}


def test_pages_follow_each_other_without_overlap(
    alice: FlaskClient, office_counts: dict[str, int]
) -> None:
    seen: list[int] = []
    page_number = 1
    while True:
        response = alice.get(f"/folders/INBOX?page={page_number}")
        if response.status_code == 404:
            break
        seen.extend(uid for uid, _, _ in rows(response.get_data(as_text=True)))
        page_number += 1
    assert len(seen) == len(set(seen)) == office_counts["INBOX"]


def test_htmx_page_swap_sends_only_the_list(alice: FlaskClient) -> None:
    response = alice.get(
        "/folders/INBOX?page=2", headers={"HX-Request": "true", "HX-Target": "message-list"}
    )
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="message-list"')
    assert "<html" not in body
    assert len(rows(body)) == 50


def test_unknown_folder_and_uid_get_a_clear_404(alice: FlaskClient) -> None:
    response = alice.get("/folders/Nowhere")
    assert response.status_code == 404
    assert "This folder does not exist." in response.get_data(as_text=True)
    response = alice.get("/folders/INBOX/messages/999999")
    assert response.status_code == 404
    assert "no longer in this folder" in response.get_data(as_text=True)
    assert alice.get("/folders/INBOX?page=999").status_code == 404


def test_opening_a_message_does_not_mark_it_read(alice: FlaskClient, imap: IMAPClient) -> None:
    imap.select_folder("INBOX")
    unseen = imap.search(["UNSEEN"])[0]
    response = alice.get(f"/folders/INBOX/messages/{unseen}")
    assert response.status_code == 200
    assert "\\Seen" not in flags_of(imap, "INBOX", unseen)
    alice.get(f"/folders/INBOX/messages/{unseen}/body")
    assert "\\Seen" not in flags_of(imap, "INBOX", unseen)


def test_mark_read_and_unread_are_explicit_stores(alice: FlaskClient, imap: IMAPClient) -> None:
    imap.select_folder("INBOX")
    uid = imap.search(["UNSEEN"])[-1]
    page = alice.get(f"/folders/INBOX/messages/{uid}").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert token
    url = f"/folders/INBOX/messages/{uid}/seen"
    assert alice.post(url, data={"seen": "1"}).status_code == 400  # no token: refused
    assert "\\Seen" not in flags_of(imap, "INBOX", uid)
    response = alice.post(
        url, data={"seen": "1"}, headers={"X-CSRFToken": token.group(1), "HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Mark unread" in response.get_data(as_text=True)
    assert "\\Seen" in flags_of(imap, "INBOX", uid)
    alice.post(url, data={"seen": "0", "csrf_token": token.group(1)})
    assert "\\Seen" not in flags_of(imap, "INBOX", uid)


def test_plain_text_is_escaped_and_linkified(alice: FlaskClient, imap: IMAPClient) -> None:
    uid = uid_of(imap, hostile_mail.FOLDER, hostile_mail.message_id("plain"))
    page = alice.get(f"/folders/Tests/messages/{uid}").get_data(as_text=True)
    assert "<script>alert('text')</script>" not in page
    assert "&lt;script&gt;" in page
    assert 'href="https://example.com/devis?id=4"' in page
    assert "Plain text with &lt;tags&gt;" in page


def test_unknown_charset_and_broken_mime_still_show(alice: FlaskClient, imap: IMAPClient) -> None:
    uid = uid_of(imap, hostile_mail.FOLDER, hostile_mail.message_id("charset"))
    response = alice.get(f"/folders/Tests/messages/{uid}")
    assert response.status_code == 200
    assert "Caf" in response.get_data(as_text=True)
    uid = uid_of(imap, hostile_mail.FOLDER, hostile_mail.message_id("malformed"))
    response = alice.get(f"/folders/Tests/messages/{uid}")
    assert response.status_code == 200
    assert "Broken MIME" in response.get_data(as_text=True)
    listing = alice.get("/folders/Tests")
    assert listing.status_code == 200
    assert len(rows(listing.get_data(as_text=True))) == len(hostile_mail.messages(SEED_TIME))
