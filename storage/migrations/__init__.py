"""The record store's migrations (Alembic), run from Python when a store is opened.

Each file in ``versions/`` is one Alembic revision, ``0001`` to the newest, and is never changed
once released: a new shape is a new revision. :func:`upgrade` applies the missing ones inside the
caller's transaction (SQLite and PostgreSQL both change their schema transactionally, so a failure
leaves the store as it was); no ``alembic.ini`` and no ``env.py`` are needed at run time.

Two tables say how far a store has come. ``tripod_revision`` is Alembic's version table. Every
revision also adds its number to ``tripod_schema``, the version table of the releases before
Alembic: a store they made (no ``tripod_revision`` yet) is stamped at its number and upgraded from
there, and such a release, opening a newer store, refuses it as newer instead of as foreign.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

VERSION_TABLE = "tripod_revision"
FOLDER = Path(__file__).resolve().parent


def mark(number: int) -> None:
    """Inside a revision: record schema version ``number`` in ``tripod_schema`` as well."""
    table = sa.table("tripod_schema", sa.column("version", sa.Integer),
                     sa.column("applied_at", sa.String))
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    op.bulk_insert(table, [{"version": number, "applied_at": at}])


def revision_of(number: int) -> str:
    """The Alembic revision id of schema version ``number`` (``0003`` for 3)."""
    return f"{number:04d}"


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(FOLDER))


def head() -> int:
    """The newest schema version this Tripod knows."""
    newest = _script().get_current_head()
    assert newest is not None
    return int(newest)


def current(conn: Connection) -> int | None:
    """The schema version Alembic recorded (None before any); a revision this Tripod does not
    know is returned as it is numbered, for the caller to refuse as newer."""
    found = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    revision = found.get_current_revision()
    return int(revision) if revision is not None else None


def upgrade(conn: Connection, start: int, target: int | None = None) -> None:
    """Apply the revisions after ``start`` (0 for an empty database) up to ``target`` (the newest
    by default), in ``conn``'s transaction."""
    script = _script()
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    if start and context.get_current_revision() is None:
        context.stamp(script, revision_of(start))  # a store made before Alembic
    upper = revision_of(target) if target is not None else "heads"
    lower = revision_of(start) if start else "base"
    for revision in reversed(list(script.iterate_revisions(upper, lower))):
        if start and revision.revision == revision_of(start):
            continue
        with Operations.context(context):
            revision.module.upgrade()
        context.stamp(script, revision.revision)
