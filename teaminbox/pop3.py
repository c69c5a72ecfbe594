"""Two POP3 sessions on the shared account, side by side, to show what the
server answers the second one (for the "Why not POP" page).

Only commands that change nothing are sent: USER, PASS, LIST, UIDL and
QUIT (LIST's status line says what STAT would, and poplib keeps STAT's
literal answer to itself). RETR would set `\\Seen` at QUIT and DELE would expunge for
everyone; TOP is left out too. A session dropped without QUIT commits
nothing either (RFC 1939 §6), so an error halfway leaves the mailbox as it
was. Imports only the standard library.
"""

from __future__ import annotations

import contextlib
import copy
import poplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

# Lines of a multi-line answer (LIST, UIDL) worth showing; the rest are counted.
SHOWN_LINES = 3


@dataclass(frozen=True)
class Pop3Settings:
    host: str
    port: int
    security: str  # ssl, starttls or none
    user: str
    password: str
    # Longer than Dovecot's ~10 s wait for a locked maildrop.
    timeout: float = 30.0


@dataclass
class Exchange:
    """One command of one session and the server's answer (None while the
    server has not answered yet). The password is never kept."""

    session: int
    command: str
    started: float  # time.monotonic() when the command was sent
    answer: list[str] | None = None
    more_lines: int = 0  # lines of a long answer left out
    seconds: float | None = None


class Outcome(StrEnum):
    LOCKED = "locked"  # the second login was refused while the first held the maildrop
    SHARED = "shared"  # both sessions were let in and list the same messages
    FAILED = "failed"  # the first session could not log in: nothing shown


@dataclass
class Transcript:
    """What was said so far; `outcome` is set when it is over."""

    exchanges: list[Exchange] = field(default_factory=list)
    outcome: Outcome | None = None
    error: str = ""


Report = Callable[[Transcript], None]
Say = Callable[[int, str, Callable[[], object]], None]


def demonstrate_two_sessions(settings: Pop3Settings, report: Report) -> Transcript:
    """Log in twice to the same maildrop and record every answer, calling
    `report` after each change so that a page can show the progress (the
    second PASS may wait about 10 s on a server that locks the maildrop)."""
    transcript = Transcript()

    def tell() -> None:
        # A copy: the reader lives in another thread and never sees a half-made change.
        report(copy.deepcopy(transcript))

    def say(number: int, command: str, send: Callable[[], object]) -> None:
        exchange = Exchange(number, command, started=time.monotonic())
        transcript.exchanges.append(exchange)
        tell()
        try:
            answer = send()
        except poplib.error_proto as exc:
            exchange.answer = [_text(exc.args[0] if exc.args else b"-ERR")]
            raise
        else:
            _record(exchange, answer)
        finally:
            exchange.seconds = time.monotonic() - exchange.started
            tell()

    first: poplib.POP3 | None = None
    second: poplib.POP3 | None = None
    try:
        try:
            first = _connect(settings)
            _log_in(say, 1, first, settings)
            say(1, "LIST", first.list)
            say(1, "UIDL", first.uidl)
        except (OSError, poplib.error_proto) as exc:  # ssl.SSLError is an OSError
            transcript.outcome, transcript.error = Outcome.FAILED, str(exc)
            return transcript
        try:
            second = _connect(settings)
            _log_in(say, 2, second, settings)
        except poplib.error_proto:
            _close(second)  # refused: Dovecot resets the connection too
            second = None
            transcript.outcome = Outcome.LOCKED
        except OSError as exc:
            _close(second)
            second = None
            transcript.outcome, transcript.error = Outcome.FAILED, str(exc)
        else:
            say(2, "LIST", second.list)
            say(2, "UIDL", second.uidl)
            transcript.outcome = Outcome.SHARED
        for number, session in ((2, second), (1, first)):
            if session is not None:
                say(number, "QUIT", session.quit)
        first = second = None
        return transcript
    except (OSError, poplib.error_proto) as exc:
        transcript.outcome, transcript.error = Outcome.FAILED, str(exc)
        return transcript
    finally:
        _close(second)
        _close(first)
        tell()


def _log_in(say: Say, number: int, session: poplib.POP3, s: Pop3Settings) -> None:
    say(number, "USER " + s.user, lambda: session.user(s.user))
    say(number, "PASS ********", lambda: session.pass_(s.password))


def _connect(settings: Pop3Settings) -> poplib.POP3:
    if settings.security == "ssl":
        return poplib.POP3_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    session = poplib.POP3(settings.host, settings.port, timeout=settings.timeout)
    if settings.security == "starttls":
        session.stls(ssl.create_default_context())
    return session


def _record(exchange: Exchange, answer: object) -> None:
    """poplib answers a bytes status line, or (status, lines, octets)."""
    if isinstance(answer, tuple):
        status, lines = answer[0], list(answer[1])
        exchange.answer = [_text(status), *(_text(line) for line in lines[:SHOWN_LINES])]
        exchange.more_lines = max(0, len(lines) - SHOWN_LINES)
    else:
        exchange.answer = [_text(answer if isinstance(answer, bytes) else b"+OK")]


def _close(session: poplib.POP3 | None) -> None:
    """Drop a connection without QUIT: the server commits nothing."""
    if session is None:
        return
    with contextlib.suppress(OSError):
        session.close()


def _text(raw: object) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return str(raw)
