"""Schema version 1, the tables as first released: clients, assessments, drafts and their answers,
and the triggers that refuse any UPDATE or DELETE of a stored assessment.

Written out in full here (not taken from ``storage/schema.py``), so that a later change of the
tables can never change what this revision makes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.migrations import mark

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

IMMUTABLE = "assessments are immutable; store a correction as a new version"


def upgrade() -> None:
    op.create_table(
        "tripod_schema",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("applied_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "assessments",
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
        sa.UniqueConstraint("client_id", "assessed_on", "version",
                            name="one_version_per_screening"),
        sa.UniqueConstraint("supersedes", name="one_correction_per_version"),
    )
    op.create_index("assessments_by_client", "assessments", ["client_id", "assessed_on"])
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("source", sa.String(1000)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id")),
        sa.CheckConstraint("status IN ('open', 'finished')", name="draft_status"),
    )
    op.create_table(
        "draft_answers",
        sa.Column("draft_id", sa.Integer, sa.ForeignKey("drafts.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.Column("prefill", sa.Boolean, nullable=False),
        sa.Column("answered_at", sa.String(40), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER assessments_no_{verb.lower()} BEFORE {verb} ON assessments "
                       f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END")
    else:
        op.execute("CREATE FUNCTION tripod_assessments_immutable() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{IMMUTABLE}'; END $$")
        op.execute("CREATE TRIGGER assessments_immutable BEFORE UPDATE OR DELETE ON assessments "
                   "FOR EACH ROW EXECUTE FUNCTION tripod_assessments_immutable()")
    mark(1)
