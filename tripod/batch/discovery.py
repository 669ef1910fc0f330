"""Which files a batch reads, and the name each case's results get in the output folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from engine.intake import CLIENT_ID
from storage.casefile import SUFFIXES


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def find_case_files(paths: Sequence[Path], skip: Sequence[Path] = ()) -> list[str]:
    """Every case file under ``paths``: directories walked recursively in sorted order, hidden files
    and folders skipped, only .yaml/.yml/.json taken; a file named directly is taken as it is (and
    reported if it is not a case file). ``skip`` folders (the output folder) are never entered;
    symbolic links to folders are not followed.

    This list and the output names taken are all a batch holds whole, as plain strings (a few
    hundred bytes a case); results are never held.
    """
    skipped = {os.path.realpath(p) for p in skip}
    found: list[str] = []
    seen: set[str] = set()

    def take(path: str) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            found.append(path)

    for path in paths:
        try:
            folder = path.is_dir()
        except OSError:  # a name too long for the system, say: load_case says why, for that file
            folder = False
        if not folder:
            take(str(path))
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and os.path.realpath(os.path.join(root, d)) not in skipped)
            for name in sorted(files):
                if not name.startswith(".") and os.path.splitext(name)[1].lower() in SUFFIXES:
                    take(os.path.join(root, name))
    return found


def output_name(client_id: str, assessed_on: str) -> str:
    """The output base name of a case, ``<client id>_<assessed on>``; ValueError for an id that
    could name anything but a plain file in the output folder."""
    if not CLIENT_ID.fullmatch(client_id) or not client_id.strip("."):
        raise ValueError("allowed 1 to 64 of A-Z a-z 0-9 . _ - with at least one letter, digit, "
                         "_ or - (it names the output file)")
    name = f"{client_id}_{assessed_on}"
    if os.path.basename(name) != name or os.sep in name or (os.altsep and os.altsep in name):
        raise ValueError("allowed a plain file name")  # pragma: no cover - the pattern forbids it
    return name
