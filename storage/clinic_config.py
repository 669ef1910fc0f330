"""The clinic's details printed on every report: set once, in ``clinic.yaml`` in the user's config
folder (``platformdirs.user_config_dir("tripod")``, e.g. ``~/.config/tripod/clinic.yaml``).

```yaml
name: Northside Strength Clinic
address: 12 Harbour Road, Leith
phone: "+44 131 555 0100"
logo: ~/clinic/logo.png      # a local PNG or SVG file, at most 256 kB
```

Every field is optional; no file means reports carry no clinic details. The logo is read here, once,
and handed to the reports as a ``data:`` URI, so the report stays one self-contained file and the PDF
renderer is never asked to fetch anything: a logo given as a URL (``https://...``) is refused, as is
any file that is not a regular PNG or SVG file of this size. A problem is one line naming the file,
the field, the value and what is allowed (``InputError``); nothing is silently dropped.
"""

from __future__ import annotations

import base64
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import InputError, Problem, show_value

FILE_NAME = "clinic.yaml"
LOGO_MAX_BYTES = 256 * 1024
TEXT_MAX = 200
_LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}
_FIELDS = ("name", "address", "phone", "logo")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # any scheme: http:, https:, file:, data:...


@dataclass(frozen=True)
class Clinic:
    """The clinic's details as the reports print them; ``logo`` is a ``data:`` URI or None."""

    name: str | None = None
    address: str | None = None
    phone: str | None = None
    logo: str | None = None

    def __bool__(self) -> bool:
        return any((self.name, self.address, self.phone, self.logo))


def config_path() -> Path:
    """Where the clinic's details are kept: ``clinic.yaml`` in the user's config folder."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("tripod")) / FILE_NAME


def _problem(where: str, field: str, value: object, allowed: str) -> InputError:
    return InputError([Problem(where, field, show_value(str(value)), allowed)])


def _text(where: str, field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT_MAX or any(
            ord(ch) < 32 for ch in value):
        raise _problem(where, field, value, f"allowed one line of text, 1 to {TEXT_MAX} characters")
    return value.strip()


def logo_uri(where: str, value: str, base: Path) -> str:
    """The logo file ``value`` (relative to ``base``) as a ``data:`` URI; a URL, a missing or
    special file, another type or a file over the size limit is a one-line problem."""
    allowed = f"allowed a local PNG or SVG file of at most {LOGO_MAX_BYTES // 1024} kB"
    if _URL.match(value) and not re.match(r"^[A-Za-z]:[\\/]", value):
        raise _problem(where, "logo", value, f"{allowed}; a URL is never fetched")
    path = (base / Path(value).expanduser()).resolve()
    kind = _LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        raise _problem(where, "logo", value, allowed)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _problem(where, "logo", value, f"{allowed} ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > LOGO_MAX_BYTES:
            raise _problem(where, "logo", value, allowed)
        content = file.read(LOGO_MAX_BYTES + 1)
    if len(content) > LOGO_MAX_BYTES:
        raise _problem(where, "logo", value, allowed)
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"


def read_clinic(path: Path | None = None) -> Clinic:
    """The clinic's details from ``path`` (else the config folder's ``clinic.yaml``); no file, no
    details. InputError for an unreadable file, unknown keys or a bad value."""
    path = config_path() if path is None else path
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Clinic()
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(where, "(file)", path.name, f"allowed a readable UTF-8 YAML file ({exc})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        raise _problem(where, "(file)", path.name, "allowed YAML: a mapping of "
                       + ", ".join(_FIELDS)) from None
    if document is None:
        return Clinic()
    if not isinstance(document, dict):
        raise _problem(where, "(file)", type(document).__name__, "allowed a mapping of "
                       + ", ".join(_FIELDS))
    unknown = [key for key in document if key not in _FIELDS]
    if unknown:
        raise InputError([Problem(where, str(key), show_value(str(document[key])),
                                  "unknown key; allowed " + ", ".join(_FIELDS)) for key in unknown])
    logo = document.get("logo")
    if logo is not None and not isinstance(logo, str):
        raise _problem(where, "logo", logo, "allowed a file path")
    return Clinic(name=_text(where, "name", document.get("name")),
                  address=_text(where, "address", document.get("address")),
                  phone=_text(where, "phone", document.get("phone")),
                  logo=logo_uri(where, logo, path.parent) if logo else None)
