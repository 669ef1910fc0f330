"""The commands for a clinic's record store: ``users`` (add, list, disable), ``audit``, ``erase``
and ``backup``. Who is acting is ``tripod --user``/``TRIPOD_USER`` (``tripod/acting.py``); every
command goes through the screening service, which checks the account and records the act."""

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from tripod.cli.common import DbOption, Format, err, reported, say

users = typer.Typer(name="users", help="The accounts of a store: add, list, disable.",
                    no_args_is_help=True, rich_markup_mode=None)


class Role(str, Enum):
    practitioner = "practitioner"
    admin = "admin"


NameArg = Annotated[str, typer.Argument(help="The account's name (lower-case letters, digits, "
                                                ". _ -).", show_default=False)]


@users.command("add")
def add(name: NameArg,
        role: Annotated[Role, typer.Option("--role", help="practitioner or admin (the first "
                                                         "account of a store is an admin).")
                        ] = Role.practitioner,
        db: DbOption = None) -> None:
    """Add an account; its password is asked (twice at a terminal) or read from standard input
    with tripod --password-stdin (after the acting admin's, when the store has accounts)."""
    from storage.store import open_store
    from tripod import clinic_admin
    from tripod.acting import ask_password

    with reported(), open_store(db, say=err) as records:
        user = clinic_admin.add_account(records, name, role.value,
                                   lambda: ask_password(say("clinic.new_password", name=name),
                                                        new=True))
        typer.echo(say("clinic.user_added", name=user.name, role=user.role, where=records.where))


@users.command("list")
def list_users(db: DbOption = None) -> None:
    """List the accounts, their roles and whether they are active."""
    from storage.store import open_store
    from tripod import clinic_admin

    with reported(), open_store(db, read_only=True, say=err) as records:
        found = clinic_admin.accounts(records)
        if not found:
            typer.echo(say("clinic.no_users", where=records.where))
            return
        typer.echo(say("clinic.users_head", where=records.where))
        for user in found:
            typer.echo(say("clinic.user_row", name=user.name, role=user.role,
                           state=say("clinic.active" if user.active else "clinic.disabled"),
                           since=user.created_at[:10]))


@users.command("disable")
def disable(name: NameArg, db: DbOption = None) -> None:
    """Disable an account: it can no longer act; what it did stays in the audit trail."""
    from engine.errors import InputError, Problem, show_value
    from storage.store import open_store
    from tripod import clinic_admin

    with reported(), open_store(db, read_only=True, say=err) as records:
        if not clinic_admin.disable_account(records, name):
            raise InputError([Problem("users disable", "NAME", show_value(name),
                                      f"no such account in {records.where}; allowed an account "
                                      "that tripod users list shows")])
        typer.echo(say("clinic.user_disabled", name=name, where=records.where))


def audit(client: Annotated[str | None, typer.Option(
              "--client", help="Only this client's entries.", show_default=False)] = None,
          fmt: Annotated[Format, typer.Option("--format", help="text for a person, json for "
                                              "tools.")] = Format.text,
          db: DbOption = None) -> None:
    """The audit trail: who stored, viewed, exported, amended or erased which record, and when
    (ids only). For an admin."""
    import json

    from storage.store import open_store
    from tripod import clinic_admin
    from tripod.terminal import for_terminal

    with reported(), open_store(db, read_only=True, say=err) as records:
        entries = clinic_admin.audit_trail(records, client)
        if fmt is Format.json:
            typer.echo(json.dumps(clinic_admin.audit_document(entries), indent=2,
                                  ensure_ascii=False))
            return
        typer.echo(say("clinic.audit_head", where=records.where,
                       client=say("clinic.audit_client", client=for_terminal(client))
                       if client else ""))
        for e in entries:
            what = "".join(f"  {label} {value}" for label, value in (
                ("client", e.client_id), ("assessment", e.assessment_id),
                ("account", e.account), ("reason", e.reason)) if value is not None)
            typer.echo(for_terminal(say("clinic.audit_row", id=e.id, at=e.at, actor=e.actor,
                                        action=e.action, what=what)))
        if not entries:
            typer.echo(say("clinic.audit_empty"))


def erase(client: Annotated[str, typer.Argument(help="The client id to erase.",
                                                show_default=False)],
          reason: Annotated[str, typer.Option(
              "--reason", show_default=False,
              help="The ground for erasing (kept in the audit trail: write the ground and a "
              "request's reference, not the client's details).")],
          yes: Annotated[str | None, typer.Option(
              "--confirm", show_default=False,
              help="The client id again, to confirm without a prompt.")] = None,
          db: DbOption = None) -> None:
    """Erase a client: every assessment, intake and the name, in one transaction. For an admin;
    asks for the client id again to confirm."""
    from storage.store import open_store
    from tripod import clinic_admin
    from tripod.terminal import for_terminal

    def confirmed() -> bool:
        if yes is not None:
            return yes == client
        typed = typer.prompt(
            say("clinic.confirm_erase", client=for_terminal(client), where=records.where),
            default="", show_default=False, err=True)
        if not sys.stdin.isatty():  # read from a pipe: the prompt's line ends here, not after it
            err("")
        return bool(typed == client)

    with reported(), open_store(db, read_only=True, say=err) as records:
        erased = clinic_admin.erase(records, client, reason, confirmed)
        if erased is None:
            err(say("clinic.erase_cancelled"))
            raise typer.Exit(code=1)
        typer.echo(say("clinic.erased", client=for_terminal(client), where=records.where,
                       assessments=erased.assessments, drafts=erased.drafts))


def backup(out: Annotated[Path, typer.Argument(help="The copy to write (a new file).",
                                               show_default=False)],
           force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file."
                                               )] = False,
           db: DbOption = None) -> None:
    """A consistent copy of a SQLite store, even while it is in use; owner-only. For an admin."""
    from engine.errors import InputError
    from storage.safe_output import output_problem
    from storage.store import open_store
    from tripod import clinic_admin

    with reported():
        refused = output_problem("backup", "FILE", out, force)
        if refused is not None:
            raise InputError([refused])
        with open_store(db, read_only=True, say=err) as records:
            clinic_admin.backup(records, out)
            typer.echo(say("clinic.backed_up", path=out, where=records.where))
