"""The record store: clients, unfinished intakes and immutable assessments, in SQL.

The ``store`` step of the flow (intake -> facts -> rules -> findings + trace -> store -> report).
:class:`Store` is the two repositories (``storage/assessments.py``, ``storage/drafts.py``) over one
open database (``storage/database.py``), the only code that talks to one; the tables and migrations
are ``storage/schema.py``, and what goes in and comes out is typed (``storage/records.py``). The default is one SQLite file under the user's data
directory; ``--db`` or ``TRIPOD_DB`` names another file or an SQLAlchemy URL (``sqlite:///...``,
``postgresql://...``).

What is kept:

- ``clients``: one row per pseudonymous client id, with the latest name given.
- ``drafts`` and ``draft_answers``: a questionnaire in progress, one row per answer, each committed
  as it is given, so an interrupted or killed intake loses nothing and can be resumed.
- ``assessments``: immutable. Each row holds the case document, the full ``tripod-assessment/1``
  JSON, the trace, the knowledge version and the time it was stored. A correction of the same
  client and date is a new row with the next ``version`` that ``supersedes`` the previous one;
  triggers refuse any UPDATE or DELETE, and any REPLACE (``storage.store_guards``).

The schema is versioned in ``tripod_schema``; missing migrations are applied on open, and a database
written by a newer Tripod is refused. Every database failure (not a database, someone else's
tables, locked, disk full) becomes a :class:`~engine.errors.StoreError` with one readable line, and
every write runs in one transaction, so a failure leaves no half-written record. Error messages
never carry SQL parameters: they would be patient data.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from storage.accounts import Accounts
from storage.database import DEFAULT_TIMEOUT
from storage.drafts import Drafts
from storage.erasure import Erasure
from storage.store_location import location_url


class Store(Erasure, Accounts, Drafts):
    """An open record store. Use :func:`open_store`; close it (or use ``with``) when done."""


def open_store(location: str | os.PathLike[str] | None = None,
               timeout: float = DEFAULT_TIMEOUT, *, read_only: bool = False,
               say: Callable[[str], object] | None = None) -> Store:
    """Open the store at ``location``, else ``TRIPOD_DB``, else the default; create, migrate.

    ``read_only`` (for commands that only read) opens an existing SQLite file with ``mode=ro``,
    so it reads on read-only media; ``say`` is given a line when an existing database file was
    open to others and has been made owner-only (``storage.store_files``).
    """
    return Store(location_url(location), timeout=timeout, read_only=read_only, say=say)
