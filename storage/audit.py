"""The audit trail: who stored, viewed, exported, amended or erased which record, and when.

Append-only: the database refuses any UPDATE, DELETE, REPLACE or TRUNCATE of it, as it does for
assessments (revision 0003). An entry holds ids only: the acting account, the action, the client
id, the assessment id, the account a user action is about, and for an erasure the ground the admin
typed (``tripod erase --reason``; see the README on what to write there). Never a name, never a
stored value. The screening service decides what is recorded (``tripod/service.py``); an entry for
a new assessment is written in the transaction that stores it (``storage/assessments.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage import schema
from storage.database import Database
from storage.records import AuditEntry
from storage.schema import audit


class AuditTrail(Database):
    """The audit trail of an open database."""

    def _audit(self, conn: Connection, actor: str, action: str, *, client_id: str | None = None,
               assessment_id: int | None = None, account: str | None = None,
               reason: str | None = None) -> None:
        assert action in schema.ACTIONS, action
        conn.execute(audit.insert().values(
            at=schema.now(), actor=actor, action=action, client_id=client_id,
            assessment_id=assessment_id, account=account, reason=reason))

    def record_action(self, actor: str, action: str, *, client_id: str | None = None,
                      assessment_id: int | None = None) -> None:
        """Add one entry in its own transaction (a view, an export, a backup)."""
        with self._guard(), self._write() as conn:
            self._audit(conn, actor, action, client_id=client_id, assessment_id=assessment_id)

    def audit_entries(self, client_id: str | None = None) -> list[AuditEntry]:
        """The audit trail, oldest first; with ``client_id``, that client's entries only."""
        query = sa.select(audit).order_by(audit.c.id)
        if client_id is not None:
            query = query.where(audit.c.client_id == client_id)
        with self._read() as conn:
            return [AuditEntry(id=r["id"], at=r["at"], actor=r["actor"], action=r["action"],
                               client_id=r["client_id"], assessment_id=r["assessment_id"],
                               account=r["account"], reason=r["reason"])
                    for r in conn.execute(query).mappings()]
