"""The record store's SQLite file on disk: owner-only, and readable where it cannot be written.

- :func:`tighten_database`: a database file (and its ``-wal`` and ``-shm``) that already exists with
  permissions wider than 0600 is narrowed to 0600, and the store says so once.
- :func:`read_only_connector`: the reading commands (clients, history, show, export) open an
  existing database with SQLite's ``mode=ro``, so they work where nothing may be written (a
  read-only mount, a CD, someone else's folder). SQLite reads a WAL database only when it can make
  the ``-shm`` file beside it; where the file or its folder cannot be written and no ``-wal`` is
  left over, it is opened ``immutable`` (nothing else can be writing it there).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from storage.safe_output import tighten

SIDE_FILES = ("", "-wal", "-shm")


def tighten_database(path: Path) -> str | None:
    """Narrow the database file and its side files (which SQLite makes with the file's mode) to
    0600; one line saying so when any was wider, else None."""
    lines = []
    for suffix in SIDE_FILES:
        try:
            line = tighten(Path(f"{path}{suffix}"), 0o600)
        except OSError:  # read-only media, or not ours to change: reading still works
            continue
        if line:
            lines.append(line)
    return lines[0] if lines else None


def read_only_connector(path: Path, timeout: float) -> Callable[[], sqlite3.Connection]:
    """A function opening ``path`` read-only, as SQLAlchemy's ``creator`` wants."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)
    if not writable and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)

    return connect
