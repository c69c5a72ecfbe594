"""What can go wrong when talking to the IMAP server, in the app's words."""

from __future__ import annotations


class ImapError(Exception):
    """Base class; the message says what was being done."""


class ImapUnavailable(ImapError):
    """The server cannot be reached, refused the login, or dropped the line."""


class FolderNotFound(ImapError):
    """The folder does not exist (or cannot be selected)."""


class MessageNotFound(ImapError):
    """No message with that UID in that folder (any more)."""


class ServerRefused(ImapError):
    """The server answered NO to a change; nothing was changed."""


class FolderExists(ServerRefused):
    """A folder with that name already exists (CREATE got [ALREADYEXISTS])."""
