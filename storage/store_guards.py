"""What lifts the record store's guards, and only for one erasure.

The triggers themselves are made by the revisions (``storage/migrations/versions/``): a stored
assessment refuses UPDATE, DELETE, REPLACE and upserts (and TRUNCATE on PostgreSQL); the audit
trail refuses the same. ``tripod erase`` alone may delete one client's assessments, inside its
one transaction:

- SQLite: the DELETE trigger lets a row go while ``tripod_erasure`` holds its client, and a row
  can be put there only by a connection that has defined the SQL function ``tripod_erasing()``.
  :func:`erasure_permit` defines it on its own connection for that transaction and removes it
  (and the permit) before the commit; any other connection's insert fails on the unknown function.
- PostgreSQL: the DELETE trigger lets a row go while the transaction-local setting
  ``tripod.erasing`` names its client; :func:`erasure_permit` sets it for that transaction.

These guard against accidents and other tools, not against someone who can edit the file or owns
the database: such a person can drop the triggers, or set what ``tripod erase`` sets.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.schema import erasure_permits


@contextmanager
def erasure_permit(conn: Connection, client_id: str) -> Iterator[None]:
    """Inside ``conn``'s transaction: the client's assessments may be deleted until the end of
    the ``with`` block."""
    if conn.dialect.name != "sqlite":
        conn.execute(sa.text("SELECT set_config('tripod.erasing', :client, true)"),
                     {"client": client_id})
        yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None

    def erasing(client: object) -> int | None:
        return 1 if client == client_id else None

    raw.create_function("tripod_erasing", 1, erasing)
    try:
        conn.execute(erasure_permits.insert().values(client_id=client_id))
        yield
        conn.execute(erasure_permits.delete().where(erasure_permits.c.client_id == client_id))
    finally:
        raw.create_function("tripod_erasing", 1, None)
