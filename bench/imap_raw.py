"""A few IMAP commands on a bare socket, for measuring the server's floor.

imapclient parses every response with a generic parser and keeps its own
buffers, which would put its time into the floor; here a tagged OK is seen
the moment its line arrives, and an IDLE connection's pushed FETCH is read
straight off the socket (the reader process selects on it with the SSE
streams). Needs IDLE (RFC 2177) and, for UIDs in pushed FETCH responses,
QRESYNC (RFC 7162).
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from dataclasses import dataclass

_FETCH = re.compile(rb"^\* \d+ FETCH \((?P<items>.*)\)\s*$")
_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
FLAGGED = "\\Flagged"


class ImapProtocolError(RuntimeError):
    """The server refused a command or closed the connection."""


@dataclass(frozen=True)
class PushedFlags:
    """A FETCH the server pushed: the message's UID and its flags now."""

    uid: int
    flags: frozenset[str]


def parse_pushed_flags(line: bytes) -> PushedFlags | None:
    """The UID and flags of an untagged FETCH line, or None for any other
    line (or a FETCH without UID, which only QRESYNC guarantees)."""
    match = _FETCH.match(line)
    if match is None:
        return None
    uid, flags = _UID.search(match["items"]), _FLAGS.search(match["items"])
    if uid is None or flags is None:
        return None
    return PushedFlags(int(uid[1]), frozenset(flags[1].decode().split()))


def quoted(value: str) -> str:
    """An IMAP quoted string (RFC 3501 section 4.3)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class RawImap:
    """One plain-text IMAP connection driven line by line (no literals)."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""
        self._counter = 0
        self.read_line()  # the greeting

    def read_line(self) -> bytes:
        """The next CRLF-terminated line, without its CRLF."""
        while b"\r\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ImapProtocolError("the server closed the connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line

    def command(self, text: str) -> list[bytes]:
        """Send one command; its untagged lines once the tagged OK came."""
        self._counter += 1
        tag = f"b{self._counter}"
        self.sock.sendall(f"{tag} {text}\r\n".encode())
        untagged: list[bytes] = []
        while True:
            line = self.read_line()
            if line.startswith(tag.encode() + b" "):
                if not line[len(tag) + 1 :].startswith(b"OK"):
                    raise ImapProtocolError(f"{text.split()[0]} refused: {line!r}")
                return untagged
            untagged.append(line)

    def log_in(self, user: str, password: str) -> None:
        self.command(f"LOGIN {quoted(user)} {quoted(password)}")

    def select_with_qresync(self, folder: str) -> None:
        """SELECT `folder` after ENABLE QRESYNC, so that pushed FETCH
        responses carry the UID. `folder` must be ASCII (no modified UTF-7)."""
        self.command("ENABLE QRESYNC")
        self.command(f"SELECT {quoted(folder)}")

    def start_idle(self) -> bytes:
        """Enter IDLE; return what was read past the continuation line, for
        the caller that reads the connection from now on."""
        self._counter += 1
        self.sock.sendall(f"b{self._counter} IDLE\r\n".encode())
        while not (line := self.read_line()).startswith(b"+"):
            if line.startswith(f"b{self._counter} ".encode()):
                raise ImapProtocolError(f"IDLE refused: {line!r}")
        rest, self._buffer = self._buffer, b""
        return rest

    def timed_flag_store(self, uid: int, flagged: bool) -> int:
        """`UID STORE uid ±FLAGS.SILENT (\\Flagged)`: nanoseconds from just
        before the command is sent to its tagged OK."""
        sign = "+" if flagged else "-"
        start = time.monotonic_ns()
        self.command(f"UID STORE {uid} {sign}FLAGS.SILENT ({FLAGGED})")
        return time.monotonic_ns() - start

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(b"z LOGOUT\r\n")
        self.sock.close()
