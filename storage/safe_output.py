"""The one writer of every output that holds patient data, what it may replace, and what it
leaves behind when stopped.

:class:`AtomicFile` writes through a temporary file in the same folder and a rename, mode 0o600
(:func:`write_atomic` for a whole text or bytes at once; a batch's summary files are written row by
row): no half-written file, and never readable by others, not even for a moment. A rename replaces
whatever has the target's name: a case file, a FIFO, a device node (run as root, ``/dev/full``). So
a target must be absent or a regular file (:func:`refuse_special`, checked with ``lstat``: a symbolic
link counts as what it points to), and the commands refuse an existing output without ``--force``
(:func:`output_problem`). A killed writer leaves its temporary file, hidden and named
``.<target>.<8 random characters>.tmp`` (:data:`TEMPORARY`); :func:`remove_leftovers` finds them by
that name. :func:`tighten` makes an existing folder or file its owner's alone.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Self

from engine.errors import Problem

# tempfile.mkstemp(prefix=".<name>.", suffix=".tmp"): eight characters of its own alphabet between.
TEMPORARY = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp")


class NotRegularFile(OSError):
    """The target of a write exists and is not a regular file (a FIFO, a device, a folder...)."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def special_kind(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file ("a FIFO", "a device"...), else
    None; a symbolic link is what it points to (a dangling one counts as absent)."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            mode = os.stat(path).st_mode
    except OSError:  # absent, or a path that cannot name a file: the writer says why
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


def refuse_special(path: Path) -> None:
    """Raise :class:`NotRegularFile` when ``path`` exists and is not a regular file."""
    kind = special_kind(path)
    if kind is not None:
        raise NotRegularFile(errno.EEXIST, f"is {kind}; allowed a regular file or a new name",
                             str(path))


def output_problem(command: str, option: str, path: Path, force: bool) -> Problem | None:
    """Why ``command`` may not write ``path`` (given as ``option``): not a regular file, even with
    ``force``; an existing file without it. None when it may."""
    kind = special_kind(path)
    if kind is not None:
        return Problem(command, option, repr(str(path)),
                       f"is {kind}; allowed a regular file or a new name")
    if os.path.lexists(path) and not force:
        return Problem(command, option, repr(str(path)),
                       "exists; allowed a new file, or --force to overwrite")
    return None


def temporary_file(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path`` named as :data:`TEMPORARY` says: (descriptor, name)."""
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")


def remove_leftovers(folder: Path, ours: Callable[[str], bool]) -> list[str]:
    """Remove the temporary files a killed writer left in ``folder``: regular files named as
    :data:`TEMPORARY` for a target name that ``ours`` accepts; the names removed."""
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        found = TEMPORARY.fullmatch(entry.name)
        if found is None or not entry.is_file(follow_symlinks=False):
            continue
        if not ours(found["target"]):
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            continue
        removed.append(entry.name)
    return removed


def tighten(path: Path, mode: int) -> str | None:
    """Give an existing ``path`` no more than ``mode`` (0o600 for a file, 0o700 for a folder);
    a line saying so when its permissions were wider, else None."""
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    if not current & ~mode & 0o777:
        return None
    os.chmod(path, current & mode)
    return (f"{path}: permissions were {current:04o}; now {current & mode:04o} "
            "(patient data is for its owner only)")


class AtomicFile:
    """An output written piece by piece to an owner-only temporary file beside ``path``, renamed
    into place by :meth:`commit`; :meth:`discard` (or an exception inside ``with``) leaves nothing.

    ``encoding``: a text file (a file name whose bytes are not UTF-8 reaches Python with
    surrogates: written escaped); None for bytes.
    """

    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self.path = path
        refuse_special(path)  # the rename would replace a FIFO or a device node as well as a file
        fd, self.tmp = temporary_file(path)
        self.handle: IO[str] | IO[bytes] = (
            os.fdopen(fd, "wb") if encoding is None else
            os.fdopen(fd, "w", encoding=encoding, errors="backslashreplace", newline=""))

    def write(self, data: str | bytes) -> None:
        self.handle.write(data)  # type: ignore[arg-type]

    def commit(self, mode: int = 0o600) -> None:
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.chmod(self.tmp, mode)
            refuse_special(self.path)  # again: it may have appeared while the data was written
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        self.handle.close()
        Path(self.tmp).unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_atomic(path: Path, content: str | bytes, mode: int = 0o600) -> None:
    """Write text (as UTF-8) or bytes to ``path`` through :class:`AtomicFile` (case files,
    assessments and reports hold patient data). A folder it has to make is its owner's alone: the
    file names say whose files they are."""
    refuse_special(path)
    make_private_folder(path.parent)
    atomic = AtomicFile(path)
    try:
        atomic.write(content.encode("utf-8") if isinstance(content, str) else content)
    except BaseException:
        atomic.discard()
        raise
    atomic.commit(mode)


def make_private_folder(folder: Path) -> None:
    """Make ``folder`` and every missing folder above it readable by their owner only (0700).

    ``Path.mkdir(parents=True)`` gives the folders above the last the default mode, and a folder
    named after a client would then be listable by anyone.
    """
    missing = []
    while not folder.exists():
        if folder.is_symlink():  # mkdir would say "File exists", which names nothing
            raise FileNotFoundError(errno.ENOENT, f"{str(folder)!r} is a symbolic link to nothing",
                                    str(folder))
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for each in reversed(missing):
        each.mkdir(mode=0o700, exist_ok=True)
        each.chmod(0o700)  # mkdir's mode passes through the umask
