"""The drafts repository: intakes in progress, one row per answer, each committed as it is given,
so an interrupted or killed intake loses nothing and can be resumed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from engine.errors import StoreError
from storage import schema
from storage.database import Database
from storage.records import Draft, DraftAnswer
from storage.schema import draft_answers, drafts


class Drafts(Database):
    """Intakes in progress in an open database."""

    def new_draft(self, source: str | None = None, owner: str | None = None) -> int:
        """A new open intake; ``owner`` is the account that starts it (None without accounts)."""
        now = schema.now()
        with self._guard(), self._write() as conn:
            inserted = conn.execute(drafts.insert().values(
                created_at=now, updated_at=now, source=source, status="open", owner=owner
            )).inserted_primary_key
            assert inserted is not None
            draft_id: int = inserted[0]
            return draft_id

    def save_answers(self, draft_id: int, answers: Mapping[str, Any],
                     prefill: bool = False) -> None:
        """Record answers (JSON values; None for "not assessed") in one transaction."""
        if not answers:
            return
        now = schema.now()
        with self._guard(), self._write() as conn:
            status = conn.execute(
                sa.select(drafts.c.status).where(drafts.c.id == draft_id)
            ).scalar()
            if status != "open":
                raise StoreError(f"{self.where}: intake {draft_id} is "
                                 f"{'finished' if status else 'not there'}; nothing was written")
            conn.execute(draft_answers.delete().where(draft_answers.c.draft_id == draft_id,
                                                      draft_answers.c.key.in_(list(answers))))
            conn.execute(draft_answers.insert(), [
                {"draft_id": draft_id, "key": key, "value_json": json.dumps(value),
                 "prefill": prefill, "answered_at": now}
                for key, value in answers.items()
            ])
            conn.execute(drafts.update().where(drafts.c.id == draft_id).values(updated_at=now))

    def draft_answers(self, draft_id: int) -> dict[str, DraftAnswer]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(draft_answers.c.key, draft_answers.c.value_json, draft_answers.c.prefill)
                .where(draft_answers.c.draft_id == draft_id)
            ).all()
        return {key: DraftAnswer(json.loads(value), bool(prefill)) for key, value, prefill in rows}

    def drafts(self, only_open: bool = True, owner: str | None = None,
               draft_id: int | None = None) -> list[Draft]:
        """Intakes, newest first; by default only the unfinished ones; with ``owner``, only those
        that account started; with ``draft_id``, that one alone."""
        client_id = (
            sa.select(draft_answers.c.value_json)
            .where(draft_answers.c.draft_id == drafts.c.id, draft_answers.c.key == "client.id")
            .scalar_subquery()
        )
        answered = (
            sa.select(sa.func.count()).select_from(draft_answers)
            .where(draft_answers.c.draft_id == drafts.c.id, draft_answers.c.prefill.is_(False))
            .scalar_subquery()
        )
        query = sa.select(drafts, client_id.label("client_json"), answered.label("answered"))
        if only_open:
            query = query.where(drafts.c.status == "open")
        if owner is not None:
            query = query.where(drafts.c.owner == owner)
        if draft_id is not None:
            query = query.where(drafts.c.id == draft_id)
        with self._read() as conn:
            rows = conn.execute(query.order_by(drafts.c.id.desc())).mappings().all()
        return [Draft(id=r["id"], created_at=r["created_at"], updated_at=r["updated_at"],
                      source=r["source"], status=r["status"],
                      client_id=json.loads(r["client_json"]) if r["client_json"] else None,
                      answered=r["answered"], assessment_id=r["assessment_id"],
                      owner=r["owner"]) for r in rows]

    def draft(self, draft_id: int) -> Draft | None:
        found = self.drafts(only_open=False, draft_id=draft_id)
        return found[0] if found else None
