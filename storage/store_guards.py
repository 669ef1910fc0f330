"""Migration 2 of the record store: no statement form replaces a stored assessment.

Migration 1's triggers refuse UPDATE and DELETE. ``INSERT OR REPLACE`` and ``REPLACE INTO`` got
past them: on a conflict SQLite deletes the stored row and fires no DELETE trigger unless
``recursive_triggers`` is on, and a tool that opens the file itself leaves it off. So an insert
whose id, (client, date, version) or ``supersedes`` is already taken is refused before its conflict
can delete anything; upserts (``ON CONFLICT DO UPDATE``) meet the UPDATE trigger. On PostgreSQL,
which has no REPLACE, TRUNCATE (which fires no row trigger) is refused.

These guard against accidents and other tools, not against someone who can edit the file: such a
person can drop the triggers.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection


def refuse_replace(conn: Connection, message: str) -> None:
    """Add the triggers (``message`` is the refusal's text, without quotes)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE TRIGGER assessments_no_replace BEFORE INSERT ON assessments "
            "WHEN EXISTS (SELECT 1 FROM assessments WHERE id = NEW.id "
            "OR (client_id = NEW.client_id AND assessed_on = NEW.assessed_on "
            "AND version = NEW.version) OR supersedes = NEW.supersedes) "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
    else:
        conn.exec_driver_sql(
            "CREATE TRIGGER assessments_no_truncate BEFORE TRUNCATE ON assessments "
            "FOR EACH STATEMENT EXECUTE FUNCTION tripod_assessments_immutable()"
        )
