"""Hearing every change to the shared mailbox on one connection.

Where the server offers NOTIFY (RFC 5465) and IDLE (RFC 2177), one NOTIFY SET
with no folder selected makes the server push a STATUS line for every folder
whose messages or flags change, and a LIST line for every folder created,
renamed or deleted. Elsewhere the listener IDLEs on INBOX (selected
read-only) and runs STATUS on every other folder each `poll_seconds`.

Why this module reads the socket itself: imapclient's `idle_check()` parses
every line with its generic parser, which knows nothing of the NOTIFY
responses, and reads through imaplib's buffered file in non-blocking mode,
where a line split across two TCP segments raises "unterminated line".
Worse, Dovecot 2.3.19 sends NOTIFY's folder names as raw UTF-8 (as literals
when they hold 8-bit characters, as atoms with a bare `&` otherwise), not in
modified UTF-7. So from `start()` on the listener owns the connection's
socket (imapclient's public `socket()`): it writes the commands, reads whole
responses (literals included) into its own buffer and parses them with
imap/notify_parser.py.
imaplib's reader is not used meanwhile; after `stop()` the connection takes
ordinary commands again.

Why the listener keeps re-arming (notes/notify-deafness.md): Dovecot 2.3.19
hears changes through inotify watches on two transaction logs,
`dovecot.list.index.log` (every folder but INBOX) and INBOX's own
`dovecot.index.log`, and a watch stays on the file it was set on. Once a log
is rotated (past 64 KiB for the list log and 1 MiB for a folder's, or past
8 and 32 KiB once 5 minutes old), the connection is deaf to it but for
Dovecot's own check every 30 s (`mailbox_idle_check_interval`). So:

- after every burst of heard changes, the listener sets NOTIFY anew
  (`_reset_notify`), which sets fresh watches. NOTIFY SET alone would not
  do: Dovecot drops the old watches after setting the new ones, and for a
  log that did not rotate both are the same inotify watch, so NOTIFY NONE
  must come first;
- every `poll_seconds`, a NOOP: Dovecot then looks at its logs itself and
  sends at once what a lost watch missed. Push alone would not lead to the
  re-arm: the change made just after a rotation is pushed or not depending
  on timing (the NOTIFY session itself often rotates the list log, in a
  write it makes while pushing a change), and on a quiet mailbox nothing
  else comes.

IDLE on a selected folder (the fallback) goes deaf in the same way when the
folder's log rotates; entering IDLE again, as the listener does after heard
changes and around every STATUS round, sets a fresh watch.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from imapclient import IMAPClient, imap_utf7

from teaminbox.imap.errors import ImapError, ImapUnavailable
from teaminbox.imap.notify_parser import (
    folder_status,
    listed_folder,
    notified_status,
    quoted,
    response_kind,
)
from teaminbox.imap.response_reader import ResponseReader

log = logging.getLogger(__name__)
# Strategy messages already logged: a watcher that reconnects says it once.
_logged: set[str] = set()

# personal: every folder of the user's own namespace, INBOX included.
# MessageNew and MessageExpunge must go together (RFC 5465 section 5);
# MailboxName brings LIST lines on create, rename and delete. STATUS: the
# server first sends every selectable folder's STATUS (with HIGHESTMODSEQ
# when CONDSTORE is enabled), before its OK.
NOTIFY_SET = b"NOTIFY SET STATUS (personal (MessageNew MessageExpunge FlagChange MailboxName))"
# Seconds without a new change before the listener re-arms (pushes come in
# bursts every 500 ms at most), and the least time between two re-arms.
REARM_QUIET_SECONDS = 0.2
REARM_MIN_SECONDS = 1.0
# What the fallback compares between two rounds: HIGHESTMODSEQ moves with
# every flag change, UNSEEN (without CONDSTORE) only with \Seen.
STATUS_WITH_MODSEQ = b"(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
STATUS_WITHOUT_MODSEQ = b"(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"
# Untagged responses that mean "the selected folder changed".
SELECTED_CHANGES = frozenset({b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED"})
# Seconds a reply may take when the socket has no timeout of its own.
DEFAULT_REPLY_SECONDS = 30.0


@dataclass(frozen=True)
class Changes:
    """What changed since the last `wait()`.

    `folder_list_changed` also means "the server lost track" (NOTIFY's
    NOTIFICATIONOVERFLOW): either way, every folder needs a look.
    """

    folders: frozenset[str] = frozenset()
    folder_list_changed: bool = False

    def __bool__(self) -> bool:
        return bool(self.folders) or self.folder_list_changed


class MailboxListener:
    """Listens for changes on a dedicated, logged-in connection.

    Needs IDLE for push; with NOTIFY too, one connection hears every folder,
    and a NOOP every `poll_seconds` catches what push missed. Without NOTIFY,
    INBOX is heard by IDLE and the other folders by STATUS rounds every
    `poll_seconds`; without IDLE, every folder by STATUS rounds. The
    connection must be used for nothing else from `start()` until `stop()`.
    Methods raise ImapUnavailable when the connection fails, ImapError when
    the server refuses what the listener needs; the connection is then
    unusable.
    """

    def __init__(
        self,
        client: IMAPClient,
        idle_seconds: float,
        poll_seconds: float,
        *,
        use_notify: bool = True,
    ) -> None:
        self._client = client
        self._idle_seconds = idle_seconds
        self._poll_seconds = poll_seconds
        self._use_notify = use_notify
        sock = client.socket()
        self._wire = ResponseReader(sock, sock.gettimeout() or DEFAULT_REPLY_SECONDS)
        self._tags = (f"TI{n}".encode() for n in itertools.count(1))
        self._can_idle = False
        self._notifying = False
        self._status_items = STATUS_WITHOUT_MODSEQ
        self._selected: str | None = None
        self._idle_tag: bytes | None = None
        self._renew_at = 0.0
        self._poll_at: float | None = None
        self._rearm_at: float | None = None
        self._rearmed_at = 0.0
        self._listed: dict[str, bool] | None = None
        self._statuses: dict[str, dict[str, str]] | None = None
        # Each folder's STATUS values as NOTIFY last gave them.
        self._notified: dict[str, dict[str, str]] = {}
        self._changed: set[str] = set()
        self._list_changed = False

    @property
    def uses_notify(self) -> bool:
        """True once `start()` has set up NOTIFY."""
        return self._notifying

    def start(self) -> None:
        """Choose the strategy the server allows and start listening."""
        client = self._client
        self._can_idle = bool(client.has_capability("IDLE"))
        if client.has_capability("CONDSTORE"):
            self._status_items = STATUS_WITH_MODSEQ
        if self._use_notify and self._can_idle and client.has_capability("NOTIFY"):
            self._notifying = self._set_notify()
        if self._notifying:
            self._compare_folder_list()
            self._poll_at = time.monotonic() + self._poll_seconds
        else:
            self._start_polling()
        if self._can_idle:
            self._enter_idle()

    def wait(self, timeout: float) -> Changes:
        """Block until something changed or `timeout` seconds passed.

        Renews IDLE, re-arms after heard changes, and runs NOOPs (with
        NOTIFY) or STATUS rounds as they fall due meanwhile. Returns empty
        Changes on timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            self._do_due_work()
            if self._changed or self._list_changed:
                return self._take_changes()
            now = time.monotonic()
            if now >= deadline:
                return Changes()
            response = self._wire.read(min(deadline, self._next_work_at()) - now)
            while response is not None:
                self._note(response)
                response = self._wire.read(0)

    def stop(self) -> None:
        """Leave IDLE, so that the connection takes ordinary commands
        (LOGOUT) again. Changes heard meanwhile are dropped."""
        self._leave_idle()

    # Strategies

    def _set_notify(self) -> bool:
        """NOTIFY SET; False (and one log line) if the server refuses it."""
        tag = self._send(NOTIFY_SET)
        untagged, results = self._await_tagged([tag])
        if not results[tag].startswith(b"OK"):
            self._note_all(untagged)
            _log_once(f"NOTIFY SET refused ({results[tag]!r}): polling folders with STATUS")
            return False
        for response in untagged:
            # The first STATUS values describe the folders, they are not changes.
            if response_kind(response) != b"STATUS":
                self._note(response)
            elif (status := self._read_notified(response)) is not None:
                self._notified[status[0]] = status[1]
        return True

    def _reset_notify(self) -> bool:
        """NOTIFY NONE, then NOTIFY SET: fresh watches (see the module
        docstring). What the old watches missed, or had not yet sent when
        NOTIFY NONE dropped them, shows in the STATUS indicator's values
        and in a LIST: the new NOTIFY takes the folders as they are when it
        starts, so it never announces a folder created, renamed or deleted
        before. True if the folder list changed."""
        tags = [self._send(b"NOTIFY NONE"), self._send(NOTIFY_SET)]
        untagged, results = self._await_tagged(tags)
        _check_ok(b"NOTIFY NONE", results[tags[0]])
        _check_ok(b"NOTIFY SET", results[tags[1]])
        self._note_all(untagged)
        listed = self._listed
        return self._compare_folder_list() != listed

    def _flush_notify(self) -> None:
        """NOOP: Dovecot then looks at its logs and sends at once what a
        lost watch missed."""
        tag = self._send(b"NOOP")
        untagged, results = self._await_tagged([tag])
        _check_ok(b"NOOP", results[tag])
        self._note_all(untagged)
        self._poll_at = time.monotonic() + self._poll_seconds

    def _start_polling(self) -> None:
        """EXAMINE INBOX when IDLE can watch it, and take the first STATUS round."""
        if self._can_idle:
            tag = self._send(b"EXAMINE INBOX")
            # EXAMINE's own EXISTS and FETCH describe INBOX, they are not changes.
            _untagged, results = self._await_tagged([tag])
            _check_ok(b"EXAMINE INBOX", results[tag])
            self._selected = "INBOX"
            _log_once(f"no NOTIFY: IDLE on INBOX, STATUS every {self._poll_seconds} s elsewhere")
        else:
            _log_once(f"no IDLE: STATUS every {self._poll_seconds} s on every folder")
        self._poll_round()

    def _do_due_work(self) -> None:
        now = time.monotonic()
        if self._poll_at is not None and now >= self._poll_at:
            self._leave_idle()
            if self._notifying:
                self._flush_notify()
            else:
                self._poll_round()
        if self._rearm_at is not None and now >= self._rearm_at:
            self._rearm()
        if self._can_idle and (self._idle_tag is None or now >= self._renew_at):
            self._leave_idle()
            self._enter_idle()

    def _next_work_at(self) -> float:
        times = [self._renew_at] if self._can_idle else []
        times += [t for t in (self._poll_at, self._rearm_at) if t is not None]
        return min(times, default=float("inf"))

    def _heard_change(self) -> None:
        """Plan a re-arm once the burst of pushes is over: a change may have
        rotated a log the server watches for us."""
        if self._can_idle:
            self._rearm_at = max(
                time.monotonic() + REARM_QUIET_SECONDS, self._rearmed_at + REARM_MIN_SECONDS
            )

    def _rearm(self) -> None:
        """Leave IDLE (entered again by the caller) and, with NOTIFY, set it
        anew. Changes heard meanwhile need no second re-arm, unless the
        folder list changed: Dovecot updates its folder index up to 1 s
        late, and a folder deleted right after a rename that a NOTIFY SET
        took in its stride is never announced; the next LIST sees it."""
        self._leave_idle()
        folders_changed = self._notifying and self._reset_notify()
        self._rearmed_at = time.monotonic()
        self._rearm_at = self._rearmed_at + REARM_MIN_SECONDS if folders_changed else None

    # IDLE

    def _enter_idle(self) -> None:
        tag = self._send(b"IDLE")
        deadline = time.monotonic() + self._wire.reply_seconds
        while (response := self._wire.read(deadline - time.monotonic())) is not None:
            if response.startswith(b"+"):
                self._idle_tag = tag
                self._renew_at = time.monotonic() + self._idle_seconds
                return
            if response.startswith(tag + b" "):
                raise ImapError(f"the IMAP server refused IDLE: {response!r}")
            self._note(response)
        raise ImapUnavailable("the IMAP server did not answer IDLE")

    def _leave_idle(self) -> None:
        if self._idle_tag is None:
            return
        tag, self._idle_tag = self._idle_tag, None
        self._wire.send(b"DONE\r\n")
        untagged, _results = self._await_tagged([tag])
        self._note_all(untagged)

    # STATUS rounds

    def _poll_round(self) -> None:
        """LIST, then STATUS every selectable folder but the one IDLE
        watches; compare both with the previous round."""
        listed = self._compare_folder_list()
        statuses = self._read_statuses(
            name for name, selectable in listed.items() if selectable and name != self._selected
        )
        if self._statuses is not None:
            previous = self._statuses
            self._changed.update(
                name for name, values in statuses.items() if previous.get(name, values) != values
            )
        self._statuses = statuses
        self._poll_at = time.monotonic() + self._poll_seconds

    def _compare_folder_list(self) -> dict[str, bool]:
        """LIST, compared with the previous answer (the first is not a
        change); the folders and whether each can be selected."""
        listed = self._list_folders()
        if self._listed is not None and listed != self._listed:
            self._list_changed = True
        self._listed = listed
        return listed

    def _list_folders(self) -> dict[str, bool]:
        """Every folder's decoded name, and whether it can be selected."""
        tag = self._send(b'LIST "" "*"')
        untagged, results = self._await_tagged([tag])
        _check_ok(b"LIST", results[tag])
        folders: dict[str, bool] = {}
        for response in untagged:
            if response_kind(response) == b"LIST":
                name, selectable = listed_folder(response)
                folders[name] = selectable
            else:
                self._note(response)
        return folders

    def _read_statuses(self, folders: Iterable[str]) -> dict[str, dict[str, str]]:
        """STATUS every folder, pipelined: one round trip for them all. A
        folder that vanished since LIST (NO) is left out."""
        tags = [
            self._send(b"STATUS " + quoted(imap_utf7.encode(name)) + b" " + self._status_items)
            for name in sorted(folders)
        ]
        untagged, _results = self._await_tagged(tags)
        statuses: dict[str, dict[str, str]] = {}
        for response in untagged:
            if response_kind(response) == b"STATUS":
                name, values = folder_status(response)
                statuses[name] = values
            else:
                self._note(response)
        return statuses

    # Responses

    def _note(self, response: bytes) -> None:
        """Record the change an unsolicited response announces."""
        kind = response_kind(response)
        if kind == b"BYE":
            raise ImapUnavailable(f"the IMAP server closed the connection: {response!r}")
        if self._idle_tag is not None and response.startswith(self._idle_tag + b" "):
            self._idle_tag = None  # the server ended IDLE; renewed on the next wait
        elif kind == b"STATUS":
            self._note_status(response)
            self._heard_change()
        elif kind == b"LIST" or b"[NOTIFICATIONOVERFLOW]" in response.upper():
            self._list_changed = True
            self._heard_change()
        elif kind in SELECTED_CHANGES and self._selected is not None:
            self._changed.add(self._selected)
            self._heard_change()

    def _note_all(self, responses: Iterable[bytes]) -> None:
        for response in responses:
            self._note(response)

    def _note_status(self, response: bytes) -> None:
        """A STATUS from NOTIFY, pushed (with the items that changed only)
        or from the STATUS indicator: the folder changed if a value moved.
        A push may repeat known values: Dovecot announces the folders it
        creates on first access (SPECIAL-USE `auto`) after the indicator."""
        if (status := self._read_notified(response)) is None:
            return
        name, values = status
        known = self._notified.get(name)
        updated = {**(known or {}), **values}
        if updated != known:
            self._changed.add(name)
            self._notified[name] = updated

    def _read_notified(self, response: bytes) -> tuple[str, dict[str, str]] | None:
        """The folder and items of a STATUS line from NOTIFY, or None (and
        every folder needs a look) if it is unreadable."""
        try:
            return notified_status(response)
        except ValueError:
            log.warning("unreadable NOTIFY STATUS %r: looking at every folder", response)
            self._list_changed = True
            return None

    def _take_changes(self) -> Changes:
        changes = Changes(frozenset(self._changed), self._list_changed)
        self._changed, self._list_changed = set(), False
        return changes

    # Commands

    def _send(self, command: bytes) -> bytes:
        tag = next(self._tags)
        self._wire.send(tag + b" " + command + b"\r\n")
        return tag

    def _await_tagged(self, tags: list[bytes]) -> tuple[list[bytes], dict[bytes, bytes]]:
        """Read until every tag has its completion; the untagged responses
        in order, and each tag's result ("OK …", "NO …", "BAD …")."""
        pending = set(tags)
        deadline = time.monotonic() + self._wire.reply_seconds
        untagged: list[bytes] = []
        results: dict[bytes, bytes] = {}
        while pending:
            response = self._wire.read(deadline - time.monotonic())
            if response is None:
                raise ImapUnavailable("the IMAP server did not answer in time")
            tag, _, result = response.partition(b" ")
            if tag in pending:
                pending.discard(tag)
                results[tag] = result
            elif tag == b"*":
                untagged.append(response)
        return untagged, results


def _log_once(message: str) -> None:
    if message not in _logged:
        _logged.add(message)
        log.info(message)


def _check_ok(command: bytes, result: bytes) -> None:
    if not result.startswith(b"OK"):
        raise ImapError(f"the IMAP server refused {command.decode()}: {result!r}")
