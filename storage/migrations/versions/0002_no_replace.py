"""Schema version 2: no statement form replaces a stored assessment (``storage/store_guards.py``):
SQLite's REPLACE deletes without firing DELETE triggers, PostgreSQL's TRUNCATE fires no row
trigger."""

from __future__ import annotations

from alembic import op

from storage.migrations import mark

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

IMMUTABLE = "assessments are immutable; store a correction as a new version"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER assessments_no_replace BEFORE INSERT ON assessments "
            "WHEN EXISTS (SELECT 1 FROM assessments WHERE id = NEW.id "
            "OR (client_id = NEW.client_id AND assessed_on = NEW.assessed_on "
            "AND version = NEW.version) OR supersedes = NEW.supersedes) "
            f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END")
    else:
        op.execute("CREATE TRIGGER assessments_no_truncate BEFORE TRUNCATE ON assessments "
                   "FOR EACH STATEMENT EXECUTE FUNCTION tripod_assessments_immutable()")
    mark(2)
