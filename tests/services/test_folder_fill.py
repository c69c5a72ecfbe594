"""What the fork server of the folder readers loads (services/folder_fill.py);
the readers themselves are proven in test_sync_rebuild.py."""

from __future__ import annotations

import multiprocessing.forkserver
import sys
import types
from importlib.machinery import ModuleSpec

import pytest

from teaminbox.services import folder_fill


@pytest.mark.parametrize(
    ("main", "loaded"),
    [
        (None, ["teaminbox.services.folder_fill"]),  # a console script: flask, gunicorn
        ("bench.scale", ["teaminbox.services.folder_fill", "bench.scale"]),
        # `python -m flask run`: loading it would start a second app
        ("flask.__main__", ["teaminbox.services.folder_fill"]),
    ],
)
def test_the_fork_server_loads_the_app_and_a_main_module_run_with_m(
    monkeypatch: pytest.MonkeyPatch, main: str | None, loaded: list[str]
) -> None:
    program = types.ModuleType("__main__")
    program.__spec__ = ModuleSpec(main, None) if main else None
    monkeypatch.setitem(sys.modules, "__main__", program)
    preloads: list[list[str]] = []
    monkeypatch.setattr(folder_fill._CONTEXT, "set_forkserver_preload", preloads.append)
    monkeypatch.setattr(multiprocessing.forkserver, "ensure_running", lambda: None)
    folder_fill.prepare()
    assert preloads == [loaded]
