"""Who is acting on a record store, for the screening service to sign and audit what is done.

The rule (README, "Records for a clinic"):

- A store with no accounts (one practitioner's own SQLite file, and every store until
  ``tripod users add`` makes its first account, which must be an admin) asks no one to log in:
  the person acting is the operating system's login, recorded as ``local:NAME``. Naming an
  account (``--user``/``TRIPOD_USER``) there is refused: it has none.
- A store with accounts needs an active account named by ``tripod --user NAME`` or
  ``TRIPOD_USER``. Commands that change records (storing, erasing) and the admin commands
  (``users``, ``audit``, ``backup``) also ask its password, at a prompt or as a line of standard
  input (``--password-stdin``), checked against the Argon2id hash; reading a record needs the name
  only, so the reading commands stay usable in scripts. The admin commands need an admin.

A front end says how to ask for the password (:func:`sign_in_with`); a checked account is
remembered for the rest of the process, so an intake or a batch asks once. The web front end
checks the password at its login and then acts for one request at a time as that account
(:func:`acting_as`): who is acting is a context variable, so two requests served at once never
act as each other; the account is still looked up, and refused once disabled, at every call.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.errors import TripodError

if TYPE_CHECKING:
    from storage.store import Store

USER_OPTION = "--user/TRIPOD_USER"
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Credentials:
    """The account the front end names, and how to ask its password (None: cannot ask)."""

    name: str | None = None
    # password(prompt, new): new asks a new account's password (confirmed at a terminal)
    password: Callable[[str, bool], str] | None = None
    # The front end has checked the password itself (the web's login): none is asked here.
    verified: bool = False


# Credentials is frozen: the default is never changed, only replaced.
_given: ContextVar[Credentials] = ContextVar("tripod_acting", default=Credentials())  # noqa: B039
_checked: dict[tuple[str, str], str] = {}


def sign_in_with(name: str | None, password: Callable[[str, bool], str] | None) -> None:
    """Set who the front end says is acting: ``password(prompt, new)`` is asked only when
    needed."""
    _given.set(Credentials(name, password))
    _checked.clear()


@contextmanager
def acting_as(name: str) -> Iterator[None]:
    """Act as account ``name``, whose password the front end has checked, inside the block (one
    web request); who acted before is restored after it."""
    token = _given.set(Credentials(name, None, verified=True))
    try:
        yield
    finally:
        _given.reset(token)


def ask_password(prompt: str, *, new: bool = False) -> str:
    """A password, asked through the front end's reader with ``prompt``."""
    given = _given.get()
    if given.password is None:
        raise TripodError(f"tripod: {USER_OPTION} = {given.name!r}: no way to ask the password "
                          "here; allowed a terminal, or --password-stdin")
    return given.password(prompt, new)


def local_actor() -> str:
    return f"local:{getpass.getuser()}"


def actor(records: Store, *, change: bool, admin: bool = False) -> str:
    """The name of the account acting on ``records``; refuses an unknown or disabled account, a
    wrong password, and a practitioner where an admin is needed. See the module docstring."""
    given = _given.get()
    name = given.name
    if not records.has_users():
        if name is not None:
            raise TripodError(f"tripod: {USER_OPTION} = {name!r}: no such account in "
                              f"{records.where} (it has none yet); allowed no --user there, or "
                              "an account that tripod users list shows")
        return local_actor()
    if name is None:
        raise TripodError(f"tripod: {USER_OPTION} = (none): {records.where} has accounts; "
                          "allowed an account name (tripod users list), given with --user or "
                          "TRIPOD_USER")
    user = records.user(name)
    if user is None or not user.active:
        state = "no such account" if user is None else "disabled"
        raise TripodError(f"tripod: {USER_OPTION} = {name!r}: {state} in {records.where}; "
                          "allowed an active account (tripod users list)")
    if admin and user.role != "admin":
        raise TripodError(f"tripod: {USER_OPTION} = {name!r}: a {user.role}; allowed an admin "
                          "for this command")
    if given.verified:
        return name
    if (change or admin) and _checked.get((records.where, name)) != user.password_hash:
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error

        try:
            from knowledge.catalog import messages

            typed = ask_password(messages().say("clinic.password", name=name))
            PasswordHasher().verify(user.password_hash, typed)
        except Argon2Error:
            raise TripodError(f"tripod: {USER_OPTION} = {name!r}: wrong password; nothing was "
                              "changed") from None
        _checked[(records.where, name)] = user.password_hash
    return name


def password_hash(password: str, field: str) -> str:
    """The Argon2id hash of a new account's password, after checking its length."""
    if len(password) < MIN_PASSWORD or len(password) > 1024 or "\n" in password:
        raise TripodError(f"{field} = (hidden): allowed {MIN_PASSWORD} to 1024 characters on "
                          "one line")
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)
