"""The record store's tables and their versioned migrations (``tripod_schema``).

A database holds the version of every migration applied; :class:`storage.database.Database` applies
the missing ones on open and refuses a database written by a newer Tripod. A migration is never
changed once released: a new shape is a new migration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.store_guards import refuse_replace

SCHEMA_TABLE = "tripod_schema"
IMMUTABLE = "assessments are immutable; store a correction as a new version"

metadata = sa.MetaData()

schema_versions = sa.Table(
    SCHEMA_TABLE, metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.String(40), nullable=False),
)

clients = sa.Table(
    "clients", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200)),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)

assessments = sa.Table(
    "assessments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("assessed_on", sa.Date, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("supersedes", sa.Integer, sa.ForeignKey("assessments.id")),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("knowledge_version", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("root_cause", sa.String(64)),
    sa.Column("case_json", sa.Text, nullable=False),
    sa.Column("assessment_json", sa.Text, nullable=False),
    sa.Column("trace_json", sa.Text, nullable=False),
    sa.UniqueConstraint("client_id", "assessed_on", "version", name="one_version_per_screening"),
    sa.UniqueConstraint("supersedes", name="one_correction_per_version"),
    sa.Index("assessments_by_client", "client_id", "assessed_on"),
)

drafts = sa.Table(
    "drafts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("source", sa.String(1000)),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id")),
    sa.CheckConstraint("status IN ('open', 'finished')", name="draft_status"),
)

draft_answers = sa.Table(
    "draft_answers", metadata,
    sa.Column("draft_id", sa.Integer, sa.ForeignKey("drafts.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value_json", sa.Text, nullable=False),
    # A value read from a case file by ``tripod intake --from``: the default, not yet confirmed.
    sa.Column("prefill", sa.Boolean, nullable=False),
    sa.Column("answered_at", sa.String(40), nullable=False),
)


def _migration_1(conn: Connection) -> None:
    # Migration 1 creates the tables as first released. When a later migration alters a table,
    # freeze this one's DDL first, or a fresh database would get the new shape and then fail.
    for table in (clients, assessments, drafts, draft_answers):
        table.create(conn)
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER assessments_no_{verb.lower()} BEFORE {verb} ON assessments "
                f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END"
            )
    else:
        conn.exec_driver_sql(
            "CREATE FUNCTION tripod_assessments_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{IMMUTABLE}'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER assessments_immutable BEFORE UPDATE OR DELETE ON assessments "
            "FOR EACH ROW EXECUTE FUNCTION tripod_assessments_immutable()"
        )


def _migration_2(conn: Connection) -> None:
    refuse_replace(conn, IMMUTABLE)


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_migration_1, _migration_2)
SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")

