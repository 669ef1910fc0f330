"""The accounts repository: practitioners and admins who may use a store.

A password is kept only as the Argon2id hash the screening service made of it; an account is never
deleted (the audit trail names it), only disabled. Adding or disabling one writes its audit entry
in the same transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.errors import StoreError
from storage import schema
from storage.audit import AuditTrail
from storage.records import User
from storage.schema import users


class Accounts(AuditTrail):
    """The accounts of an open database."""

    def has_users(self) -> bool:
        """Whether the store has any account (then every command names who is acting)."""
        with self._read() as conn:
            return conn.execute(sa.select(users.c.id).limit(1)).first() is not None

    def add_user(self, name: str, role: str, password_hash: str, actor: str) -> User:
        now = schema.now()
        with self._guard(), self._write() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
                raise StoreError(f"users add: NAME = {name!r}: already an account in "
                                 f"{self.where}; allowed a new name")
            conn.execute(users.insert().values(name=name, role=role, password_hash=password_hash,
                                               active=True, created_at=now))
            self._audit(conn, actor, "user_add", account=name)
        return User(name=name, role=role, active=True, created_at=now, password_hash=password_hash)

    def disable_user(self, name: str, actor: str) -> bool:
        """Disable ``name``; False when there is no such account."""
        with self._guard(), self._write() as conn:
            done = conn.execute(users.update().where(users.c.name == name)
                                .values(active=False, disabled_at=schema.now()))
            if done.rowcount != 1:
                return False
            self._audit(conn, actor, "user_disable", account=name)
            return True

    def user(self, name: str) -> User | None:
        with self._read() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).mappings().first()
        return _user(row) if row is not None else None

    def users(self) -> list[User]:
        with self._read() as conn:
            return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.name))
                    .mappings()]


def _user(row: Any) -> User:
    return User(name=row["name"], role=row["role"], active=bool(row["active"]),
                created_at=row["created_at"], password_hash=row["password_hash"])
