"""Where the record store is: ``--db``, ``TRIPOD_DB`` or the default file, as an SQLAlchemy URL.

A location is a file path or a URL (``sqlite:///PATH``, ``postgresql://USER:PASSWORD@HOST/DB``;
a plain ``postgresql://`` is read with psycopg 3, Tripod's PostgreSQL driver).
Whatever is wrong with it is one problem line, and that line never shows a password
(:func:`hide_password`): a port that is not a number or a database kind Tripod does not take once
put ``mysql://alice:S3cretPW@...`` on the screen, or a traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from engine.errors import InputError, Problem, show_value

ENV = "TRIPOD_DB"
DIALECTS = ("sqlite", "postgresql")


def location_url(location: str | os.PathLike[str] | None) -> URL:
    """The database URL for ``--db``/``TRIPOD_DB`` (a path or a URL), or the default file."""
    if location is None:
        location = os.environ.get(ENV) or None
    if location is None:
        from platformdirs import user_data_dir

        return URL.create("sqlite", database=str(Path(user_data_dir("tripod")) / "tripod.db"))
    text = os.fspath(location)
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser()))
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise _bad_location(text) from None  # from None: the cause quotes the URL
    if url.get_backend_name() not in DIALECTS:
        raise _bad_location(text)
    if url.drivername == "postgresql":  # SQLAlchemy's default driver would be psycopg2
        url = url.set(drivername="postgresql+psycopg")
    return url


def hide_password(location: str) -> str:
    """A database location as it may be shown: a URL's password replaced by ***."""
    return _PASSWORD.sub(r"\g<1>***@", location)


# scheme://user:PASSWORD@host: the password runs to the last @ before the path.
_PASSWORD = re.compile(r"^([^:/?#]+://[^:/?#@]*:)[^/?#]*@")


def _bad_location(text: str) -> InputError:
    return InputError([Problem("tripod", "--db/TRIPOD_DB", show_value(hide_password(text)),
                               "allowed a file path, sqlite:///PATH or postgresql://USER@HOST/DB")])
