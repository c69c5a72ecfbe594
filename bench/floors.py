"""The IMAP server's own floor for each scale measurement, on a bare socket.

Each floor is the same IMAP work the app asks for, read off the socket
until its tagged OK and not parsed: what no client on this server can beat.
A catch-up also has the database's floor: rewriting the same rows in one
statement and committing, with nothing of the app around it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from sqlalchemy import text

from bench.imap_raw import RawImap, quoted
from teaminbox.store.db import Database

ENVELOPE_ITEMS = "(ENVELOPE FLAGS INTERNALDATE RFC822.SIZE)"


class RawBulk(RawImap):
    """RawImap that also reads answers carrying literals (ENVELOPE bodies
    with `{n}` strings) at socket speed: it only looks for the tagged line,
    skipping literal bytes by count."""

    def drain(self, text: str) -> int:
        """Send one command; the bytes of its answer, once the tagged OK came."""
        self._counter += 1
        tag = f"f{self._counter}".encode()
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        total = 0
        buffer = self._buffer
        while True:
            end = buffer.find(b"\r\n")
            while end < 0:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("the server closed the connection")
                total += len(chunk)
                buffer += chunk
                end = buffer.find(b"\r\n")
            line, buffer = buffer[:end], buffer[end + 2 :]
            if line.endswith(b"}") and b"{" in line:
                size = int(line[line.rindex(b"{") + 1 : -1])
                while len(buffer) < size:
                    chunk = self.sock.recv(1 << 20)
                    if not chunk:
                        raise ConnectionError("the server closed the connection")
                    total += len(chunk)
                    buffer += chunk
                buffer = buffer[size:]
                continue
            if line.startswith(tag + b" "):
                self._buffer = buffer
                if not line[len(tag) + 1 :].startswith(b"OK"):
                    raise RuntimeError(f"{text.split()[0]} refused: {line[:200]!r}")
                return total


def timed(action: Callable[[], object]) -> int:
    """Nanoseconds `action()` takes."""
    start = time.monotonic_ns()
    action()
    return time.monotonic_ns() - start


def full_envelope_fetch(raw: RawBulk, folder: str) -> int:
    """SELECT, then `UID FETCH 1:* (ENVELOPE FLAGS INTERNALDATE RFC822.SIZE)`."""
    raw.command(f"EXAMINE {quoted(folder)}")
    elapsed = timed(lambda: raw.drain(f"UID FETCH 1:* {ENVELOPE_ITEMS}"))
    raw.command("UNSELECT")
    return elapsed


def page_uids(raw: RawBulk, folder: str, size: int = 50) -> list[int]:
    """The UIDs of a folder's first page, newest arrival first (as the app)."""
    raw.command(f"EXAMINE {quoted(folder)}")
    line = next(x for x in raw.command("UID SORT (REVERSE ARRIVAL) UTF-8 ALL") if b"SORT" in x)
    raw.command("UNSELECT")
    return [int(u) for u in line.split()[2 : 2 + size]]


def page_fetch(raw: RawBulk, folder: str, uids: list[int]) -> tuple[int, int]:
    """(50 envelopes by UID alone, SELECT + SORT + those 50 envelopes), in ns."""
    wanted = ",".join(map(str, uids))
    start = time.monotonic_ns()
    raw.command(f"EXAMINE {quoted(folder)}")
    raw.command("UID SORT (REVERSE ARRIVAL) UTF-8 ALL")
    fetch_start = time.monotonic_ns()
    raw.drain(f"UID FETCH {wanted} {ENVELOPE_ITEMS}")
    end = time.monotonic_ns()
    raw.command("UNSELECT")
    return end - fetch_start, end - start


def changed_since(raw: RawBulk, folder: str, modseq: int) -> int:
    """SELECT + `UID FETCH 1:* (FLAGS) (CHANGEDSINCE m VANISHED)` (QRESYNC on)."""
    start = time.monotonic_ns()
    raw.command(f"EXAMINE {quoted(folder)}")
    raw.drain(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq} VANISHED)")
    elapsed = time.monotonic_ns() - start
    raw.command("UNSELECT")
    return elapsed


def open_message(raw: RawBulk, folder: str, uid: int) -> int:
    """What opening a message needs: its envelope and structure, then its
    first text part (the app fetches BODY.PEEK[1] of such a message)."""
    start = time.monotonic_ns()
    raw.command(f"EXAMINE {quoted(folder)}")
    raw.drain(f"UID FETCH {uid} (ENVELOPE FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE)")
    raw.drain(f"UID FETCH {uid} (BODY.PEEK[1]<0.2097152>)")
    elapsed = time.monotonic_ns() - start
    raw.command("UNSELECT")
    return elapsed


def rewrite_rows(database: Database, folder_id: int, uids: Sequence[int], mark: bool) -> int:
    """The header cache's rows of `uids` given a new flag (`mark`) or rid
    of it again, by one UPDATE run for each (as a catch-up's) and a commit,
    in ns. (Rows rewritten as they were would cost nothing: SQLite skips
    an update that changes nothing.)"""
    rows = [{"folder": folder_id, "uid": uid} for uid in uids]
    flags = "flags || ' $Floor'" if mark else "replace(flags, ' $Floor', '')"
    update = text(
        f"UPDATE message_cache SET flags = {flags} WHERE folder_id = :folder AND uid = :uid"  # noqa: S608 - constant text
    )
    with database.engine.connect() as connection:
        start = time.monotonic_ns()
        connection.execute(update, rows)
        connection.commit()
        return time.monotonic_ns() - start
