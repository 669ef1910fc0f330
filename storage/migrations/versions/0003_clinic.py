"""Schema version 3, records for a clinic: practitioners' accounts, who signed each assessment,
the audit trail (append-only like the assessments), and erasure of one client by ``tripod erase``
alone (``storage/store_guards.py``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.migrations import mark

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

IMMUTABLE = "assessments are immutable; store a correction as a new version"
APPEND_ONLY = "the audit trail is append-only"
ERASURE = "only tripod erase erases a client"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("disabled_at", sa.String(40)),
        sa.CheckConstraint("role IN ('practitioner', 'admin')", name="user_role"),
    )
    # The account that signed a stored assessment; "local:NAME" for a store without accounts.
    op.add_column("assessments", sa.Column("signed_by", sa.String(80)))
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("client_id", sa.String(64)),
        sa.Column("assessment_id", sa.Integer),
        sa.Column("account", sa.String(64)),  # the account a user_add or user_disable is about
        sa.Column("reason", sa.String(500)),  # an erasure's ground, as the admin typed it
    )
    op.create_index("audit_by_client", "audit", ["client_id", "id"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite()
    else:
        _postgresql()
    mark(3)


def _sqlite() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    op.execute("CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit "
               "WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id) "
               f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    # An erasure's permit: a row here lets the client's assessments be deleted. Only a connection
    # that has defined tripod_erasing() (tripod erase, for one transaction) can write one; any
    # other fails on the unknown function.
    op.create_table("tripod_erasure", sa.Column("client_id", sa.String(64), primary_key=True))
    op.execute("CREATE TRIGGER erasure_by_tripod_only BEFORE INSERT ON tripod_erasure "
               f"WHEN tripod_erasing(NEW.client_id) IS NOT 1 BEGIN SELECT RAISE(ABORT, '{ERASURE}'); END")
    op.execute("CREATE TRIGGER erasure_permit_fixed BEFORE UPDATE ON tripod_erasure "
               f"BEGIN SELECT RAISE(ABORT, '{ERASURE}'); END")
    op.execute("DROP TRIGGER assessments_no_delete")
    op.execute("CREATE TRIGGER assessments_no_delete BEFORE DELETE ON assessments "
               "WHEN NOT EXISTS (SELECT 1 FROM tripod_erasure WHERE client_id = OLD.client_id) "
               f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END")


def _postgresql() -> None:
    op.execute("CREATE FUNCTION tripod_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
               f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$")
    op.execute("CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
               "FOR EACH ROW EXECUTE FUNCTION tripod_audit_append_only()")
    op.execute("CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
               "FOR EACH STATEMENT EXECUTE FUNCTION tripod_audit_append_only()")
    # A row is deleted only inside tripod erase's transaction, which names its client in the
    # transaction-local setting tripod.erasing.
    op.execute(
        "CREATE FUNCTION tripod_assessments_erasable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF current_setting('tripod.erasing', true) = OLD.client_id THEN RETURN OLD; "
        f"END IF; RAISE EXCEPTION '{IMMUTABLE}'; END $$")
    op.execute("DROP TRIGGER assessments_immutable ON assessments")
    op.execute("CREATE TRIGGER assessments_no_update BEFORE UPDATE ON assessments "
               "FOR EACH ROW EXECUTE FUNCTION tripod_assessments_immutable()")
    op.execute("CREATE TRIGGER assessments_no_delete BEFORE DELETE ON assessments "
               "FOR EACH ROW EXECUTE FUNCTION tripod_assessments_erasable()")
