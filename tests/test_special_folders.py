"""Which folders hold outgoing mail: one rule for replying (Sent), the
history (a copy new in Sent is a reply sent elsewhere) and the POP figures
(what is in Sent or Drafts did not arrive)."""

from __future__ import annotations

from teaminbox.domain import DRAFTS, SENT, Folder, outgoing_folders, sent_folder


def folder(name: str, special_use: str | None = None, selectable: bool = True) -> Folder:
    return Folder(name, "/", selectable, special_use)


def test_the_marked_folders_are_outgoing_whatever_their_names() -> None:
    listed = [
        folder("INBOX"),
        folder("Éléments envoyés", SENT),
        folder("Brouillons", DRAFTS),
        folder("Sent"),  # a folder of that name, not the marked one
        folder("Archive", "\\Archive"),
    ]
    assert sent_folder(listed) == listed[1]
    assert outgoing_folders(listed) == {"Éléments envoyés", "Brouillons"}


def test_without_special_use_only_a_folder_named_sent_is() -> None:
    listed = [folder("INBOX"), folder("Sent"), folder("Drafts"), folder("sent-old")]
    assert outgoing_folders(listed) == {"Sent"}
    assert outgoing_folders([folder("INBOX"), folder("Sent", selectable=False)]) == set()


def test_under_a_namespace_prefix_sent_is_found_by_its_last_name() -> None:
    """A server without SPECIAL-USE whose folders live under INBOX: the
    history found replies there before the three places shared one rule."""
    listed = [
        Folder("INBOX", ".", True, None),
        Folder("INBOX.sent", ".", True, None),
        Folder("INBOX.Drafts", ".", True, None),
    ]
    assert sent_folder(listed) == listed[1]
    assert outgoing_folders(listed) == {"INBOX.sent"}
    named = [*listed, Folder("Sent", ".", True, None)]
    assert sent_folder(named) == named[-1]  # the plain name first
