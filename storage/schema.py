"""The record store's tables as this version of Tripod reads and writes them.

They are made and changed by the Alembic revisions in ``storage/migrations/`` (which
:class:`storage.database.Database` applies on open); these definitions are for queries only and
must match the newest revision, :data:`SCHEMA_VERSION` (``tests/test_store.py`` compares them).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

SCHEMA_TABLE = "tripod_schema"
SCHEMA_VERSION = 4
IMMUTABLE = "assessments are immutable; store a correction as a new version"
ROLES = ("practitioner", "admin")
# What the audit trail records (ids only, never a name or a value); "login", "logout" and
# "login_refused" are the web's (tripod serve).
ACTIONS = ("store", "amend", "view", "export", "erase", "user_add", "user_disable", "backup",
           "login", "logout", "login_refused")

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
    sa.Column("signed_by", sa.String(80)),
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
    # The account that started the intake (schema version 4); None where the store had none.
    sa.Column("owner", sa.String(64)),
    sa.CheckConstraint("status IN ('open', 'finished')", name="draft_status"),
    sa.Index("drafts_by_owner", "owner", "status"),
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


users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("disabled_at", sa.String(40)),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("client_id", sa.String(64)),
    sa.Column("assessment_id", sa.Integer),
    sa.Column("account", sa.String(64)),
    sa.Column("reason", sa.String(500)),
)

erasure_permits = sa.Table(  # SQLite only (storage/store_guards.py)
    "tripod_erasure", metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")

