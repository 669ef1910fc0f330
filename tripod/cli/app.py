"""The ``tripod`` command line (typer): the app, its version and its commands, in the order
``tripod --help`` lists them. The commands live in ``cases.py`` (case files), ``records.py`` (the
record store) and ``intake.py``; what they share in ``common.py``. Every one goes through the
screening service (``tripod/service.py``) to assess, judge, store or render.
"""

import os
import sys
from typing import Annotated

import typer

from tripod.cli import cases, clinic, questionnaire, records, serve
from tripod.cli import intake as intake_command

app = typer.Typer(
    name="tripod",
    help="Tripod: a screening aid for the foot-to-pelvis chain behind glutes that do not grow. "
    "Built on one practitioner's model; it suggests hypotheses, it does not diagnose.",
    # No arguments at a terminal starts an intake (see _tripod); anywhere else it prints the help.
    no_args_is_help=False,
    # --install-completion / --show-completion, and the _TRIPOD_COMPLETE protocol behind them.
    add_completion=True,
    # Plain help and usage errors: typer's rich formatter imports rich's markdown and syntax
    # highlighting, about 0.2 s, which alone would put `tripod --help` over its 0.3 s budget.
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)


def _version(wanted: bool) -> None:
    """``--version``: the package and the knowledge base, which together decide every conclusion."""
    if not wanted:
        return
    from importlib.metadata import PackageNotFoundError, version

    from knowledge.catalog import catalog
    from tripod.cli.common import say

    try:
        package = version("tripod")
    except PackageNotFoundError:  # run from a checkout that was never installed
        package = "unknown"
    typer.echo(say("cli.version", package=package, knowledge=catalog().version))
    raise typer.Exit()


@app.callback(invoke_without_command=True)
def _tripod(
    ctx: typer.Context,
    _: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print Tripod's version and its knowledge base's, then exit.")] = False,
    user: Annotated[str | None, typer.Option(
        "--user", envvar="TRIPOD_USER", show_default=False,
        help="The account acting, in a store that has accounts (tripod users).")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read passwords from standard input, one line each, instead "
        "of a prompt.")] = False,
) -> None:
    """Tripod: a screening aid built on one practitioner's model, not a diagnosis.

    Run with no command at a terminal, it starts a new intake (tripod intake).
    """
    _sign_in(user, password_stdin)
    ctx.call_on_close(_sign_out)  # an in-process caller (a test, a host) starts from no one
    if ctx.invoked_subcommand is not None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        intake_command.intake()
        return
    typer.echo(ctx.get_help())
    raise typer.Exit(code=2)


app.command()(cases.validate)
app.command()(cases.assess)
app.command()(cases.batch)
app.command()(records.clients)
app.command()(records.history)
app.command()(records.show)
app.command()(records.export)
app.command()(questionnaire.questionnaire)
app.command()(cases.whatif)
app.command()(cases.report)
app.command()(intake_command.intake)
app.command()(intake_command.amend)
app.add_typer(clinic.users)
app.command()(clinic.audit)
app.command()(clinic.erase)
app.command()(clinic.backup)
app.command()(serve.serve)


def _sign_in(user: str | None, password_stdin: bool) -> None:
    """Tell the service who is acting and how to ask a password (tripod/acting.py)."""
    from tripod.acting import sign_in_with

    def password(prompt: str, new: bool) -> str:
        if password_stdin:
            return sys.stdin.readline().rstrip("\r\n")
        return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=new, err=True))

    sign_in_with(user or None, password)


def _sign_out() -> None:
    from tripod.acting import sign_in_with

    sign_in_with(None, None)


def main() -> None:
    """Console-script entry point."""
    # No pydantic plugins: one would see every value the intake validates (patient data), and
    # looking for them scans every installed package's metadata at each start. Set before any
    # model is built; the batch's worker processes inherit it.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m tripod.cli.app`
    main()
