"""The screening service's part for a clinic's administrator: the audit trail, erasing a client,
backing a store up, and the accounts. Like ``tripod/service.py``, the one place a front end asks for
these; the account acting is checked here (``tripod/acting.py``), and what the audit trail records
is decided here and in the store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from storage.records import AuditEntry, Erased, User
    from storage.store import Store


def audit_trail(records: Store, client_id: str | None = None) -> list[AuditEntry]:
    """The audit trail (an admin's), oldest first; with ``client_id``, that client's entries."""
    from tripod.acting import actor

    actor(records, change=False, admin=True)
    return records.audit_entries(client_id)


def audit_document(entries: list[AuditEntry]) -> dict[str, object]:
    """The audit trail as ``tripod audit --format json`` and ``GET /api/v1/audit`` give it
    (``tripod-audit/1``): ids only, as the trail holds them."""
    return {"format": "tripod-audit/1", "entries": [
        {"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "client": e.client_id,
         "assessment": e.assessment_id, "account": e.account, "reason": e.reason}
        for e in entries]}


def erase(records: Store, client_id: str, reason: str,
          confirmed: Callable[[], bool]) -> Erased | None:
    """Erase a client's assessments and intakes (an admin's act), leaving an audit entry with the
    client id, who erased it and ``reason``; ``confirmed()`` is asked once the admin and the reason
    are checked (None, and nothing erased, when it says no)."""
    from engine.errors import InputError, Problem, show_value
    from tripod.acting import actor

    if not reason.strip() or len(reason) > 500 or not reason.isprintable():
        raise InputError([Problem("erase", "--reason", show_value(reason[:40]),
                                  "allowed 1 to 500 printable characters on one line")])
    who = actor(records, change=True, admin=True)
    if not records.client_exists(client_id):
        raise InputError([Problem("erase", "CLIENT", show_value(client_id),
                                  f"no such client in {records.where}; allowed an id that tripod "
                                  "clients lists")])
    if not confirmed():
        return None
    return records.erase_client(client_id, who, reason)


def backup(records: Store, path: Path) -> None:
    """A consistent copy of a SQLite store (an admin's act), recorded as ``backup``."""
    from tripod.acting import actor

    records.backup_to(path, actor(records, change=True, admin=True))


def accounts(records: Store) -> list[User]:
    """The store's accounts (an admin's view)."""
    from tripod.acting import actor

    actor(records, change=False, admin=True)
    return records.users()


def add_account(records: Store, name: str, role: str, password: Callable[[], str]) -> User:
    """Add an account; the first of a store must be an admin, added by whoever has the store (its
    owner, ``local:NAME``); any later one by an admin. ``password()`` gives the new password."""
    import re

    from engine.errors import InputError, Problem, show_value
    from tripod.acting import actor, password_hash

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name):
        raise InputError([Problem("users add", "NAME", show_value(name),
                                  "allowed 1 to 64 lower-case letters, digits, '.', '_' or '-', "
                                  "starting with a letter or digit")])
    first = not records.has_users()
    if first and role != "admin":
        raise InputError([Problem("users add", "--role", show_value(role),
                                  "allowed admin for the first account of a store")])
    who = actor(records, change=True, admin=True)
    return records.add_user(name, role, password_hash(password(), "users add: password"), who)


def disable_account(records: Store, name: str) -> bool:
    """Disable an account (an admin's act); False when there is none of that name."""
    from tripod.acting import actor

    return records.disable_user(name, actor(records, change=True, admin=True))
