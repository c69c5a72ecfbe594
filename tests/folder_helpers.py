"""Watching the helper processes that read a big folder's second half
(services/folder_fill.py), from the process that starts them."""

from __future__ import annotations

import pytest

from teaminbox.imap.pool import ConnectionPool
from teaminbox.services import folder_fill
from teaminbox.store import cache


class SeenHelper(folder_fill._Helper):
    """A helper whose rows are counted as they arrive; killed after its
    first rows when `kill` is set."""

    kill = False

    def __init__(self, pool: ConnectionPool, part: folder_fill._Part) -> None:
        super().__init__(pool, part)
        self.folder = part.folder
        self.received = 0

    def _receive(self) -> list[cache.Row]:
        rows = super()._receive()
        self.received += len(rows)
        if rows and self.kill and self._process.is_alive():
            self._process.kill()
            self._process.join()
        return rows


def watch_helpers(
    monkeypatch: pytest.MonkeyPatch, from_size: int, *, kill: bool = False
) -> list[SeenHelper]:
    """Folders of `from_size` messages count as big; every helper started
    from now on, in the order they start."""
    started: list[SeenHelper] = []

    class Seen(SeenHelper):
        def __init__(self, pool: ConnectionPool, part: folder_fill._Part) -> None:
            super().__init__(pool, part)
            self.kill = kill
            started.append(self)

    monkeypatch.setattr(folder_fill, "HELPER_FROM", from_size)
    monkeypatch.setattr(folder_fill, "_Helper", Seen)
    return started
