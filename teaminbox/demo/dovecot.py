"""Starting and stopping a private Dovecot for the demo and the tests.

Everything the server needs lives under one directory, `root`: its
configuration, log, users and (usually) mail. Two things may have to live
elsewhere, in a private directory made under /tmp and remembered in
`root/dovecot-state.json`:

- `base_dir`, whose Unix sockets must stay under 108 bytes (a deep `root`
  would make them longer);
- when running as root, whatever Dovecot's unprivileged processes open (the
  users file, the mail): the `dovecot` and `mail` users must be able to walk
  down to it, and pytest's `tmp_path` sits under a mode-0700 directory that
  pytest resets on every run, so changing its mode would not last.

Requires the Debian `dovecot-imapd` and `dovecot-pop3d` packages; the system
Dovecot need not (and should not) be running.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from string import Template

from teaminbox.imap.connection import ImapSettings

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.05

_TEMPLATE = Path(__file__).with_name("dovecot.conf.in")
_STATE_FILE = "dovecot-state.json"
# The longest socket Dovecot 2.3 makes is base_dir + "/token-login/imap-urlauth"
# (25 bytes); keep a margin under the 108-byte limit of sun_path.
_MAX_BASE_DIR_BYTES = 100 - 32
_MAIL_USER = "mail"


class _ConfTemplate(Template):
    """`@{name}` placeholders, leaving Dovecot's own `$variables` alone."""

    delimiter = "@"


@dataclass(frozen=True)
class DovecotServer:
    """A running private Dovecot: where it listens and who may log in."""

    root: Path
    host: str
    imap_port: int
    pop3_port: int
    user: str
    password: str
    base_dir: Path
    mail_dir: Path

    @property
    def imap_settings(self) -> ImapSettings:
        """How to log in to this server's IMAP (plain text: loopback only)."""
        return ImapSettings(self.host, self.imap_port, "none", self.user, self.password)

    @property
    def config_file(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_file(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def pid_file(self) -> Path:
        return self.base_dir / "master.pid"

    def __repr__(self) -> str:  # never print the password
        return (
            f"DovecotServer({self.user} imap={self.host}:{self.imap_port} "
            f"pop3={self.host}:{self.pop3_port} root={self.root})"
        )


@dataclass(frozen=True)
class _Layout:
    """Where each part of one server lives; saved in root/dovecot-state.json."""

    base_dir: Path
    data_dir: Path  # holds the users file and the mail
    scratch_dir: Path | None  # the private /tmp directory, if one was needed
    imap_port: int = 0
    pop3_port: int = 0

    def save(self, root: Path) -> None:
        state = {
            "base_dir": str(self.base_dir),
            "data_dir": str(self.data_dir),
            "scratch_dir": str(self.scratch_dir) if self.scratch_dir else None,
            "imap_port": self.imap_port,
            "pop3_port": self.pop3_port,
        }
        (root / _STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    @classmethod
    def load(cls, root: Path) -> _Layout | None:
        try:
            state = json.loads((root / _STATE_FILE).read_text())
        except (OSError, ValueError):
            return None
        scratch = state.get("scratch_dir")
        return cls(
            base_dir=Path(state["base_dir"]),
            data_dir=Path(state["data_dir"]),
            scratch_dir=Path(scratch) if scratch else None,
            imap_port=int(state.get("imap_port", 0)),
            pop3_port=int(state.get("pop3_port", 0)),
        )


def start_dovecot(
    root: Path,
    *,
    user: str = "contact@office.test",
    password: str = "demo-password",  # noqa: S107 - a local demo account
    imap_port: int = 0,
    pop3_port: int = 0,
    pop3_lock_session: bool = True,
) -> DovecotServer:
    """Start a private Dovecot under `root` and return once IMAP greets.

    Port 0 picks a free port. A Dovecot left running under the same root is
    stopped first, and mail from earlier runs is kept, so calling this twice
    is safe. Listens on 127.0.0.1 only, without TLS. Raises RuntimeError,
    with the end of the log, if the server does not greet within
    START_TIMEOUT seconds.
    """
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    stop_dovecot(root)
    layout = _choose_layout(root, _Layout.load(root))
    # A port picked here may be taken by someone else before Dovecot binds
    # it; picking again is the only remedy.
    attempts = 3 if imap_port == 0 or pop3_port == 0 else 1
    for attempt in range(attempts):
        server = DovecotServer(
            root=root,
            host=HOST,
            imap_port=imap_port or _free_port(),
            pop3_port=pop3_port or _free_port(),
            user=user,
            password=password,
            base_dir=layout.base_dir,
            mail_dir=layout.data_dir / "mail",
        )
        _write_files(server, layout, pop3_lock_session=pop3_lock_session)
        try:
            _launch(server)
            return server
        except RuntimeError as exc:
            stop_dovecot(root)
            if attempt + 1 == attempts or "Address already in use" not in str(exc):
                raise
    raise AssertionError("unreachable")


def stop_dovecot(target: DovecotServer | Path, *, purge: bool = False) -> None:
    """Stop the Dovecot running under a root, if any, and wait until it is gone.

    SIGTERM to the master, then SIGKILL to its whole process group if any
    of it is still there after STOP_TIMEOUT seconds. Returns once every
    process of the server (the master and the imap/pop3 processes serving
    open connections, which outlive the master for a moment) has exited and
    its ports refuse connections. Does nothing when no server is
    running. With `purge`, also deletes the private /tmp directory, if one
    was needed, including any mail kept there (never anything under root).
    """
    root = target.root if isinstance(target, DovecotServer) else Path(target).resolve()
    layout = _Layout.load(root)
    base_dir = layout.base_dir if layout else root / "run"
    deadline = time.monotonic() + STOP_TIMEOUT
    pid = _read_pid(base_dir / "master.pid")
    if pid is not None and _is_dovecot(pid):
        os.kill(pid, signal.SIGTERM)
        # The master is a session leader (it daemonises with setsid): its
        # group holds the login and mail processes that share its sockets.
        if not _wait_until(lambda: not _group_alive(pid), deadline):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _wait_until(lambda: not _group_alive(pid), time.monotonic() + STOP_TIMEOUT)
        if layout is not None:
            for port in (layout.imap_port, layout.pop3_port):
                _wait_until(partial(_refuses, HOST, port), deadline)
    if purge and layout is not None and layout.scratch_dir is not None:
        shutil.rmtree(layout.scratch_dir, ignore_errors=True)
        (root / _STATE_FILE).unlink(missing_ok=True)


def _choose_layout(root: Path, previous: _Layout | None) -> _Layout:
    """Put base_dir and the data where Dovecot's processes can use them."""
    reachable = os.geteuid() != 0 or _traversable_by_others(root)
    short = len(os.fsencode(root / "run")) <= _MAX_BASE_DIR_BYTES
    scratch = previous.scratch_dir if previous else None
    if scratch is not None and not scratch.is_dir():
        scratch = None
    if scratch is None and not (reachable and short):
        scratch = Path(tempfile.mkdtemp(prefix="ti-"))
        # Others must be able to walk through it to the sockets and the mail.
        scratch.chmod(0o755)
    if scratch is not None and previous is not None and previous.data_dir == scratch:
        data_dir = scratch  # keep the mail where the last run left it
    else:
        data_dir = root if reachable else (scratch or root)
    base_dir = (root if scratch is None else scratch) / "run"
    return _Layout(base_dir=base_dir, data_dir=data_dir, scratch_dir=scratch)


def _traversable_by_others(path: Path) -> bool:
    """True if any user may walk down to `path` (every directory has o+x)."""
    return all(directory.stat().st_mode & stat.S_IXOTH for directory in (path, *path.parents))


def _write_files(server: DovecotServer, layout: _Layout, *, pop3_lock_session: bool) -> None:
    """Write the config, the users file and the state file; make the mail dir."""
    as_root = os.geteuid() == 0
    if as_root:
        mail = pwd.getpwnam(_MAIL_USER)
        mail_uid, mail_gid = mail.pw_uid, mail.pw_gid
        internal_user, internal_group, login_user = "dovecot", "dovecot", "dovenull"
    else:
        mail_uid, mail_gid = os.getuid(), os.getgid()
        internal_user = login_user = pwd.getpwuid(mail_uid).pw_name
        internal_group = grp.getgrgid(mail_gid).gr_name
    state_dir = server.root / "state"
    passwd_file = layout.data_dir / "passwd"
    for directory in (server.base_dir, state_dir, server.mail_dir):
        directory.mkdir(parents=True, exist_ok=True)

    passwd_file.write_text(f"{server.user}:{{PLAIN}}{server.password}::::::\n")
    passwd_file.chmod(0o640)
    if as_root:
        os.chown(passwd_file, 0, grp.getgrnam(internal_group).gr_gid)
        # Dovecot creates everything below as the mail user.
        os.chown(server.mail_dir, mail_uid, mail_gid)
    server.mail_dir.chmod(0o700)

    values = {
        "base_dir": server.base_dir,
        "state_dir": state_dir,
        "instance": os.path.basename(server.root),
        "log_path": server.log_file,
        "internal_user": internal_user,
        "internal_group": internal_group,
        "login_user": login_user,
        "mail_uid": mail_uid,
        "mail_gid": mail_gid,
        "passwd_file": passwd_file,
        "mail_dir": server.mail_dir,
        "pop3_lock_session": "yes" if pop3_lock_session else "no",
        # chroot needs root; "" disables it.
        "login_chroot": "login" if as_root else "",
        "empty_chroot": "empty" if as_root else "",
        "imap_port": server.imap_port,
        "pop3_port": server.pop3_port,
    }
    config = _ConfTemplate(_TEMPLATE.read_text()).substitute(values)
    server.config_file.write_text(config)
    layout_with_ports = _Layout(
        base_dir=layout.base_dir,
        data_dir=layout.data_dir,
        scratch_dir=layout.scratch_dir,
        imap_port=server.imap_port,
        pop3_port=server.pop3_port,
    )
    layout_with_ports.save(server.root)


def _launch(server: DovecotServer) -> None:
    """Run `dovecot -c` (it daemonises) and wait for the IMAP greeting."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    output_file = server.root / "dovecot.stderr"
    # A file, not a pipe: the daemon may keep its inherited stderr open,
    # and reading a pipe would then block until it exits.
    with output_file.open("wb") as output:
        result = subprocess.run(
            [binary, "-c", str(server.config_file)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=START_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(
            f"dovecot -c {server.config_file} exited with {result.returncode}:\n"
            + _log_tail(server)
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _greets(server.host, server.imap_port):
            return
        pid = _read_pid(server.pid_file)
        if pid is not None and not _is_dovecot(pid):
            raise RuntimeError(f"Dovecot exited right after starting:\n{_log_tail(server)}")
        time.sleep(POLL_INTERVAL)
    raise RuntimeError(
        f"Dovecot did not greet on {server.host}:{server.imap_port} within "
        f"{START_TIMEOUT:.0f} s:\n{_log_tail(server)}"
    )


def _greets(host: str, port: int) -> bool:
    """True if an IMAP server at host:port sends its `* OK` greeting."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as conn:
            return conn.recv(256).startswith(b"* OK")
    except OSError:
        return False


def _refuses(host: str, port: int) -> bool:
    """True once nothing listens on host:port any more."""
    try:
        conn = socket.create_connection((host, port), timeout=0.5)
    except OSError:
        return True
    with conn, contextlib.suppress(OSError):
        # Read the greeting: a connection reset before the server spoke
        # can hold up a Dovecot shutdown for five seconds.
        conn.recv(64)
    return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _group_alive(pgid: int) -> bool:
    """True while any process of group `pgid` runs (zombies have exited)."""
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat_line = stat_file.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
        fields = stat_line[stat_line.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def _is_dovecot(pid: int) -> bool:
    """True if `pid` is a live (not zombie) Dovecot master process."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    # Nobody may reap a daemon reparented to a container's init: a zombie
    # has exited all the same.
    return fields.get("Name", "").strip() == "dovecot" and not fields.get("State", "").startswith(
        "Z"
    )


def _wait_until(condition: Callable[[], bool], deadline: float) -> bool:
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)
    return True


def _log_tail(server: DovecotServer, lines: int = 20) -> str:
    parts = []
    for path in (server.root / "dovecot.stderr", server.log_file):
        with contextlib.suppress(OSError):
            text = path.read_text(errors="replace").strip()
            if text:
                parts.append(f"--- {path} ---\n" + "\n".join(text.splitlines()[-lines:]))
    return "\n".join(parts) or "(no log written)"


def main(argv: list[str] | None = None) -> None:
    """`python -m teaminbox.demo.dovecot start|stop ROOT`: for trying things by hand."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m teaminbox.demo.dovecot")
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("root", type=Path)
    parser.add_argument("--imap-port", type=int, default=0)
    parser.add_argument("--pop3-port", type=int, default=0)
    parser.add_argument("--purge", action="store_true", help="stop: also delete /tmp files")
    args = parser.parse_args(argv)
    if args.action == "stop":
        stop_dovecot(args.root, purge=args.purge)
        return
    server = start_dovecot(args.root, imap_port=args.imap_port, pop3_port=args.pop3_port)
    print(f"IMAP {server.host}:{server.imap_port}  POP3 {server.host}:{server.pop3_port}")
    print(f"user {server.user}  password {server.password}  log {server.log_file}")


if __name__ == "__main__":
    main()
