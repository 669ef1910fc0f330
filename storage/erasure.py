"""Erasure of one client, and a consistent copy of a SQLite store.

:meth:`Erasure.erase_client` removes a client's assessments, intakes and client row in one
transaction, the only path by which a stored assessment is ever deleted (``storage/store_guards.py``
lifts the guard for that transaction alone), and leaves an audit entry with the client id, who
erased it and the ground given. :meth:`Erasure.backup_to` copies a SQLite store with SQLite's
backup API, consistent while other processes write to it, to an owner-only file written atomically.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from engine.errors import StoreError
from storage.assessments import Assessments
from storage.records import Erased
from storage.safe_output import AtomicFile, make_private_folder, refuse_special
from storage.schema import assessments, clients, draft_answers, drafts
from storage.store_guards import erasure_permit


class Erasure(Assessments):
    """Erasing a client and copying the store."""

    def erase_client(self, client_id: str, actor: str, reason: str) -> Erased:
        with self._guard(), self._write() as conn:
            if conn.execute(sa.select(clients.c.id).where(clients.c.id == client_id)
                            .with_for_update()).first() is None:
                raise StoreError(f"erase: CLIENT = {client_id!r}: no such client in "
                                 f"{self.where}; nothing was erased")
            ids = sa.select(assessments.c.id).where(assessments.c.client_id == client_id)
            by_answer = sa.select(draft_answers.c.draft_id).where(
                draft_answers.c.key == "client.id",
                draft_answers.c.value_json == json.dumps(client_id))
            doomed = sa.or_(drafts.c.assessment_id.in_(ids), drafts.c.id.in_(by_answer))
            draft_ids = [r[0] for r in conn.execute(sa.select(drafts.c.id).where(doomed))]
            conn.execute(draft_answers.delete().where(draft_answers.c.draft_id.in_(draft_ids)))
            conn.execute(drafts.delete().where(drafts.c.id.in_(draft_ids)))
            with erasure_permit(conn, client_id):
                gone = conn.execute(assessments.delete()
                                    .where(assessments.c.client_id == client_id)).rowcount
            conn.execute(clients.delete().where(clients.c.id == client_id))
            self._audit(conn, actor, "erase", client_id=client_id, reason=reason)
        return Erased(client_id=client_id, assessments=gone, drafts=len(draft_ids))

    def backup_to(self, path: Path, actor: str) -> None:
        """Copy this SQLite store to ``path`` (a new owner-only file, renamed into place)."""
        if self.path is None:
            raise StoreError(f"{self.where}: tripod backup copies a SQLite store; allowed a "
                             "SQLite store (back up PostgreSQL with pg_dump)")
        refuse_special(path)
        make_private_folder(path.parent)
        atomic = AtomicFile(path)
        try:
            with self._guard(), self.engine.connect() as conn:
                source = conn.connection.driver_connection
                assert isinstance(source, sqlite3.Connection)
                target = sqlite3.connect(atomic.tmp)
                try:
                    source.backup(target)
                    # A copy that reads on its own: one file, no -wal beside it.
                    target.execute("PRAGMA journal_mode = DELETE")
                finally:
                    target.close()
        except BaseException:
            atomic.discard()
            raise
        atomic.commit()
        self.record_action(actor, "backup")
