"""The assessments repository: clients and their immutable assessments.

A correction of the same client and date is a new row with the next ``version`` that
``supersedes`` the previous one; the database refuses any UPDATE, DELETE or REPLACE of a stored
assessment (``storage/schema.py``, ``storage/store_guards.py``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine.errors import StoreError
from engine.intake import Case
from engine.trace import Assessment
from storage import schema
from storage.audit import AuditTrail
from storage.records import AssessmentRecord, ClientSummary, StoredAssessment
from storage.schema import assessments, clients, drafts


class Assessments(AuditTrail):
    """Clients and assessments in an open database."""

    def add_assessment(self, case: Case, assessment: Assessment,
                       draft_id: int | None = None) -> StoredAssessment:
        """Store an assessment with its case; see :meth:`add_record`."""
        return self.add_record(AssessmentRecord.of(case, assessment), draft_id)

    def add_record(self, record: AssessmentRecord, draft_id: int | None = None,
                   signed_by: str | None = None) -> StoredAssessment:
        """Store an assessment with its case; the same client and date again is a new version.

        Storing exactly what the latest version already holds (same case, same knowledge version)
        adds nothing and returns that version with ``created`` False. With ``draft_id``, the draft
        is marked finished in the same transaction. With ``signed_by`` (the account storing it), a
        new version carries it and the audit trail records it (``store``, or ``amend`` for a
        correction) in the same transaction.
        """
        now = schema.now()
        with self._guard(), self._write() as conn:
            self._upsert_client(conn, record.client_id, record.client_name, now)
            latest = conn.execute(
                sa.select(assessments)
                .where(assessments.c.client_id == record.client_id,
                       assessments.c.assessed_on == record.assessed_on)
                .order_by(assessments.c.version.desc()).limit(1)
            ).mappings().first()
            if (latest is not None and latest["case_json"] == record.case_json
                    and latest["knowledge_version"] == record.knowledge_version):
                self._finish_draft(conn, draft_id, latest["id"], now)
                return self._stored(conn, latest, created=False)
            inserted = conn.execute(assessments.insert().values(
                client_id=record.client_id,
                assessed_on=record.assessed_on,
                version=(latest["version"] + 1) if latest is not None else 1,
                supersedes=latest["id"] if latest is not None else None,
                created_at=now,
                knowledge_version=record.knowledge_version,
                status=record.status,
                root_cause=record.root_cause,
                case_json=record.case_json,
                assessment_json=record.assessment_json,
                trace_json=record.trace_json,
                signed_by=signed_by,
            )).inserted_primary_key
            assert inserted is not None
            new_id = inserted[0]
            if signed_by is not None:
                self._audit(conn, signed_by, "amend" if latest is not None else "store",
                            client_id=record.client_id, assessment_id=new_id)
            self._finish_draft(conn, draft_id, new_id, now)
            row = conn.execute(
                sa.select(assessments).where(assessments.c.id == new_id)).mappings().one()
            return self._stored(conn, row)

    def _upsert_client(self, conn: Connection, client_id: str, name: str | None, now: str) -> None:
        # A new client is inserted unless another writer just did (ON CONFLICT DO NOTHING); then
        # FOR UPDATE locks its row on PostgreSQL until the commit, so writers for one client take
        # turns numbering versions. SQLite already holds the write lock.
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(dialect_insert(clients).values(id=client_id, name=name, created_at=now,
                                                    updated_at=now).on_conflict_do_nothing())
        found = conn.execute(
            sa.select(clients.c.name).where(clients.c.id == client_id).with_for_update()
        ).one()
        if name is not None and found.name != name:
            conn.execute(clients.update().where(clients.c.id == client_id)
                         .values(name=name, updated_at=now))

    def _stored(self, conn: Connection, row: Any, created: bool = True) -> StoredAssessment:
        successor = conn.execute(
            sa.select(assessments.c.id).where(assessments.c.supersedes == row["id"])
        ).scalar()
        return StoredAssessment(
            id=row["id"], client_id=row["client_id"], assessed_on=row["assessed_on"],
            version=row["version"], supersedes=row["supersedes"], superseded_by=successor,
            created_at=row["created_at"], knowledge_version=row["knowledge_version"],
            status=row["status"], root_cause=row["root_cause"], case_json=row["case_json"],
            assessment_json=row["assessment_json"], created=created, where=self.where,
            signed_by=row["signed_by"],
        )

    def assessment(self, assessment_id: int) -> StoredAssessment | None:
        if not -(2**63) <= assessment_id < 2**63:  # beyond a 64-bit SQL integer: no such row
            return None
        with self._read() as conn:
            row = conn.execute(
                sa.select(assessments).where(assessments.c.id == assessment_id)
            ).mappings().first()
            return self._stored(conn, row) if row is not None else None

    def history(self, client_id: str) -> list[StoredAssessment]:
        """Every assessment of one client, corrections included, oldest screening first."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(assessments).where(assessments.c.client_id == client_id)
                .order_by(assessments.c.assessed_on, assessments.c.version, assessments.c.id)
            ).mappings().all()
            return [self._stored(conn, row) for row in rows]

    def clients(self) -> list[ClientSummary]:
        """Every client, its number of screenings (corrections not counted) and the last date."""
        query = (
            sa.select(clients.c.id, clients.c.name,
                      sa.func.count(sa.distinct(assessments.c.assessed_on)),
                      sa.func.max(assessments.c.assessed_on))
            .select_from(clients.outerjoin(assessments, assessments.c.client_id == clients.c.id))
            .group_by(clients.c.id, clients.c.name)
            .order_by(clients.c.id)
        )
        with self._read() as conn:
            return [ClientSummary(id=r[0], name=r[1], assessments=r[2], last_assessed_on=r[3])
                    for r in conn.execute(query)]

    def client_exists(self, client_id: str) -> bool:
        with self._read() as conn:
            return conn.execute(
                sa.select(clients.c.id).where(clients.c.id == client_id)
            ).first() is not None

    def _finish_draft(self, conn: Connection, draft_id: int | None, assessment_id: int,
                      now: str) -> None:
        if draft_id is None:
            return
        done = conn.execute(
            drafts.update().where(drafts.c.id == draft_id, drafts.c.status == "open")
            .values(status="finished", assessment_id=assessment_id, updated_at=now)
        )
        if done.rowcount != 1:
            raise StoreError(f"{self.where}: intake {draft_id} is not open; nothing was written")
