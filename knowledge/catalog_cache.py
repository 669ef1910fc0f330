"""The checked knowledge catalog kept between runs, in the user's cache folder.

Reading and checking every knowledge file (YAML, pydantic, the links between files) costs each
command that reasons a noticeable part of its start. A catalog checked once is kept, pickled, under
a key made of everything that decides it: every knowledge file's bytes, the source of the modules
that read and check them (``catalog.py``, ``clinical.py``, ``wording.py``, ``links.py``), and the
Python, pydantic and PyYAML versions. A changed file or model is a new key, so a kept catalog is
never stale; ``catalog()`` also compares its knowledge version with the files'. It holds the
knowledge base only, never a case or an assessment.

The cache only saves time. It is used only where it is the user's own: the folder (``tripod`` under
``$XDG_CACHE_HOME`` or ``~/.cache``) made 0700 and owned by the user, the file 0600 and owned by
the user, never through a symbolic link (a pickle another user could write would run their code).
Anything else (no home, a read-only disk, a damaged or foreign file) and the catalog is read from
the files as before; nothing is said.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

_MODULES = ("catalog", "clinical", "wording", "links")
_PREFIX = "catalog-"
_KEEP_OTHERS = 4


def key(raws: dict[str, bytes]) -> str | None:
    """The key of the catalog made from these knowledge files' bytes by this code; None when the
    code's source cannot be read (an installation without it: no cache then)."""
    import pydantic
    import yaml

    versions = f"tripod-catalog/1 {sys.version} {pydantic.VERSION} {yaml.__version__}"
    digest = hashlib.sha256(versions.encode())
    for name, raw in sorted(raws.items()):
        digest.update(b"\0data\0" + name.encode() + b"\0" + raw)
    here = Path(__file__).parent
    try:
        for module in _MODULES:
            digest.update(b"\0code\0" + module.encode() + b"\0" + (here / f"{module}.py").read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:32]


def _folder() -> Path | None:
    """The user's own cache folder for Tripod, made if missing; None unless it is theirs alone."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None
    folder = Path(base, "tripod")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
        return None
    return folder


def _path(key: str) -> Path | None:
    folder = _folder()
    return folder / f"{_PREFIX}{key}.pickle" if folder else None


def load(key: str | None) -> Any:
    """The catalog kept under ``key``, or None (none kept, not the user's own, unreadable)."""
    path = _path(key) if key else None
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as file:
            found = os.fstat(file.fileno())
            if (not stat.S_ISREG(found.st_mode) or found.st_uid != os.getuid()
                    or found.st_mode & 0o077):
                return None
            return pickle.load(file)
    except Exception:  # noqa: BLE001 - damaged, truncated or of other code: read the files instead
        return None


def save(key: str | None, catalog: Any) -> None:
    """Keep ``catalog`` under ``key`` (owner-only, written whole or not at all) and drop all
    but the newest few kept for other knowledge; a failure only means the next start reads the files."""
    path = _path(key) if key else None
    if path is None:
        return
    with contextlib.suppress(Exception):
        data = pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-catalog-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        # The catalogs of a few other versions stay (an upgrade and back, two checkouts); older go.
        others = sorted((p for p in path.parent.glob(f"{_PREFIX}*.pickle") if p != path),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for other in others[_KEEP_OTHERS:]:
            with contextlib.suppress(OSError):
                other.unlink()
