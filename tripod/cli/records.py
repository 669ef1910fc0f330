"""The commands that read the record store: ``clients``, ``history``, ``show`` and ``export``.
They open it read-only, so they work on read-only media; stored text is shown through
``tripod.terminal.for_terminal``."""

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tripod.cli.common import AssessmentArg, DbOption, Format, err, reported, say

if TYPE_CHECKING:  # for hints only: importing the store at run time would load SQLAlchemy
    from storage.records import StoredAssessment
    from storage.store import Store


FORMATS = ("text", "json")


def _format_option(help_text: str) -> Any:
    # A plain string checked by _format(), not click's choice: a bad value is one problem line
    # naming the value and the allowed ones (click's would be three lines of usage).
    return typer.Option("--format", help=help_text, show_default=True,
                        autocompletion=lambda: list(FORMATS))


def _format(command: str, value: str) -> str:
    from engine.errors import InputError, Problem, show_value

    if value not in FORMATS:
        raise InputError([Problem(command, "--format", show_value(value),
                                  f"allowed {' or '.join(FORMATS)}")])
    return value


def clients(fmt: Annotated[str, _format_option(
        "text for a person, json for tools (tripod-clients/1).")] = "text",
            db: DbOption = None) -> None:
    """List the clients in the record store, with their number of screenings and the last date."""
    with reported():
        _format("clients", fmt)
        from storage.store import open_store
        from tripod.service import client_list

        with open_store(db, read_only=True, say=err) as records:
            rows = client_list(records)
        if fmt == "json":
            from tripod.service import clients_document

            typer.echo(json.dumps(clients_document(rows), indent=2, ensure_ascii=False))
            return
        if not rows:
            typer.echo(say("cli.no_clients", where=records.where))
            return
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        from tripod.terminal import for_terminal

        table = Table("client", "name", "screenings", "last assessed", box=None, pad_edge=False)
        for row in rows:
            last = row.last_assessed_on.isoformat() if row.last_assessed_on else "-"
            # Text cells: a stored name is shown as it is, never read as rich markup or escapes.
            table.add_row(Text(for_terminal(row.id)), Text(for_terminal(row.name or "-")),
                          str(row.assessments), last)
        Console(highlight=False).print(table)


def history(
    client: Annotated[str, typer.Argument(help="A client id (see tripod clients).",
                                          show_default=False)],
    fmt: Annotated[str, _format_option(
        "text for a person, json for tools (tripod-history/1).")] = "text",
    db: DbOption = None,
) -> None:
    """Every visit of one client, oldest first, and each change judged: outcomes against their
    MCID, observations against their measurement error, findings resolved and new, the root cause,
    and the verdict on the hypothesis."""
    with reported():
        _format("history", fmt)
        from engine.errors import InputError, Problem, show_value
        from storage.store import open_store
        from tripod.service import client_history, history_text
        from tripod.terminal import for_terminal

        with open_store(db, read_only=True, say=err) as records:
            found = client_history(records, client)
            if found is None:
                raise InputError([Problem("history", "CLIENT", show_value(client),
                                          f"no such client in {records.where}; allowed an id "
                                          "that tripod clients lists")])
        if fmt == "json":
            typer.echo(json.dumps(found.to_document(), indent=2, ensure_ascii=False))
            return
        typer.echo(for_terminal(history_text(found), lines=True), nl=False)


def stored_or_fail(records: "Store", assessment_id: int, command: str) -> "StoredAssessment":
    from engine.errors import InputError, Problem
    from tripod.service import look_up

    stored = look_up(records, assessment_id, "export" if command in ("export", "report") else "view")
    if stored is None:
        raise InputError([Problem(command, "ASSESSMENT", str(assessment_id),
                                  f"no such assessment in {records.where}; "
                                  "allowed an id that tripod history lists")])
    return stored


def show(assessment: AssessmentArg, fmt: Annotated[Format, typer.Option(
        "--format", help="text for a person, json for tools (tripod-assessment/1).")] = Format.text,
         db: DbOption = None) -> None:
    """Print one stored assessment, as tripod assess prints it."""
    from storage.store import open_store

    with reported(), open_store(db, read_only=True, say=err) as records:
        stored = stored_or_fail(records, assessment, "show")
        if fmt is Format.json:
            typer.echo(stored.assessment_json)
            return
        from knowledge.catalog import catalog
        from tripod.service import as_text, visit_text
        from tripod.terminal import for_terminal

        head = say("cli.show_head", id=stored.id, client=for_terminal(stored.client_id),
                   date=stored.assessed_on, version=stored.version, stored=stored.created_at)
        if stored.signed_by is not None:  # stores made before accounts did not record it
            head += say("cli.show_signed_by", who=for_terminal(stored.signed_by))
        if stored.superseded_by is not None:
            head += say("cli.show_corrected_by", id=stored.superseded_by)
        typer.echo(head)
        if stored.knowledge_version != catalog().version:
            typer.echo(say("cli.other_knowledge", then=stored.knowledge_version,
                           now=catalog().version))
        typer.echo(for_terminal(as_text(stored.assessment()), lines=True), nl=False)
        typer.echo(for_terminal(visit_text(stored.intake()), lines=True), nl=False)


class ExportFormat(str, Enum):
    case = "case"
    fhir = "fhir"


def export(
    assessment: AssessmentArg,
    out: Annotated[Path, typer.Option("--out", show_default=False,
                                      help="The file to write (.yaml, .yml or .json; fhir: .json).")],
    fmt: Annotated[ExportFormat, typer.Option(
        "--format", help="case: the case file (tripod-case/2); fhir: the screening as a FHIR R4B "
                         "Bundle.")] = ExportFormat.case,
    with_name: Annotated[bool, typer.Option(
        "--with-name", help="fhir: put the client's name in the Patient (left out otherwise).")
        ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    db: DbOption = None,
) -> None:
    """Write the case a stored assessment was made from as a case file (tripod-case/2), or the
    screening as a FHIR Bundle."""
    from engine.errors import InputError, Problem, TripodError
    from storage.casefile import SUFFIXES, dump_case
    from storage.safe_output import output_problem, write_atomic
    from storage.store import open_store
    from tripod import service

    with reported():
        suffix = SUFFIXES.get(out.suffix.lower())
        if suffix is None or (fmt is ExportFormat.fhir and suffix != "json"):
            allowed = ("allowed a .json file name" if fmt is ExportFormat.fhir
                       else "allowed a .yaml, .yml or .json file name")
            raise InputError([Problem("export", "--out", repr(str(out)), allowed)])
        refused = output_problem("export", "--out", out, force)
        if refused is not None:
            raise InputError([refused])
        with open_store(db, read_only=True, say=err) as records:
            stored = stored_or_fail(records, assessment, "export")
            screening = service.from_store(stored) if fmt is ExportFormat.fhir else None
            case = stored.intake()
        text = (service.fhir_bundle(screening, with_name=with_name) if screening is not None
                else dump_case(case, suffix))
        try:
            write_atomic(out, text)
        except OSError as exc:
            raise TripodError(f"export: --out = {str(out)!r}: cannot be written "
                              f"({exc.strerror})") from None
        typer.echo(say("cli.exported", path=out, id=assessment, client=case.client.id,
                       date=case.assessed_on))
