"""Whole IMAP responses read off a socket, literals included, with deadlines.

The listener of imap/notify.py owns its connection's socket (see there why
imaplib's reader will not do): this is how it writes commands and reads
each response, a line and the literals it announces, into a buffer of its
own.
"""

from __future__ import annotations

import re
import select
import socket
import ssl
import time

from teaminbox.imap.errors import ImapError, ImapUnavailable

# More than this in one response is not a folder name or a STATUS.
MAX_RESPONSE_BYTES = 1 << 20

# A line that ends in a literal's announcement, `{n}` (or `{n+}`).
_LITERAL = re.compile(rb"\{(\d+)\+?\}\Z")


class ResponseReader:
    """Whole responses from the socket, with deadlines, in our own buffer."""

    def __init__(self, sock: socket.socket, reply_seconds: float) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._poller = select.poll()
        self._poller.register(sock, select.POLLIN)
        self.reply_seconds = reply_seconds

    def send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise ImapUnavailable(f"the IMAP connection failed: {exc}") from exc

    def read(self, timeout: float) -> bytes | None:
        """The next response without its final CRLF, or None if none is
        complete within `timeout` seconds (0: only what has arrived)."""
        deadline = time.monotonic() + timeout
        while (end := self._response_end()) is None:
            if not self._readable(max(0.0, deadline - time.monotonic())):
                return None
            self._receive()
        response = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return response

    def _response_end(self) -> int | None:
        """Where the CRLF ending the first complete response is: a line
        ending in `{n}` continues after the n bytes of its literal."""
        start = 0
        while (crlf := self._buffer.find(b"\r\n", start)) >= 0:
            literal = _LITERAL.search(self._buffer, start, crlf)
            if literal is None:
                return crlf
            start = crlf + 2 + int(literal.group(1))
        if len(self._buffer) > MAX_RESPONSE_BYTES:
            raise ImapError("the IMAP server sent a response longer than 1 MiB")
        return None

    def _readable(self, timeout: float) -> bool:
        # TLS may hold decrypted bytes the socket no longer shows as readable.
        if isinstance(self._sock, ssl.SSLSocket) and self._sock.pending():
            return True
        return bool(self._poller.poll(timeout * 1000))

    def _receive(self) -> None:
        try:
            data = self._sock.recv(65536)
        except OSError as exc:
            raise ImapUnavailable(f"the IMAP connection failed: {exc}") from exc
        if not data:
            raise ImapUnavailable("the IMAP server closed the connection")
        self._buffer += data
