"""The commands that read the record store: ``clients``, ``history``, ``show`` and ``export``.
They open it read-only, so they work on read-only media; stored text is shown through
``tripod.terminal.for_terminal``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tripod.cli.common import AssessmentArg, DbOption, Format, err, reported, say

if TYPE_CHECKING:  # for hints only: importing the store at run time would load SQLAlchemy
    from storage.records import StoredAssessment
    from storage.store import Store


def _root_text(stored: StoredAssessment) -> str:
    """A stored assessment's status and root cause in words (the knowledge texts' titles)."""
    from knowledge.catalog import catalog

    texts = catalog().texts
    assessment = stored.assessment()
    status = texts.statuses[assessment.status].title
    rc = assessment.root_cause
    if rc is None:
        return status
    sides = f" ({', '.join(rc.sides)})" if rc.sides else ""
    title = texts.root_causes[rc.id].title
    return say("cli.root_cause", status=status, title=title, sides=sides, confidence=rc.confidence)


def _root_key(stored: StoredAssessment) -> tuple[str | None, tuple[str, ...]]:
    rc = stored.assessment().root_cause
    return (rc.id, tuple(rc.sides)) if rc else (None, ())


def clients(db: DbOption = None) -> None:
    """List the clients in the record store, with their number of screenings and the last date."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from storage.store import open_store
    from tripod.service import client_list
    from tripod.terminal import for_terminal

    with reported(), open_store(db, read_only=True, say=err) as records:
        rows = client_list(records)
        if not rows:
            typer.echo(say("cli.no_clients", where=records.where))
            return
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
    db: DbOption = None,
) -> None:
    """Every assessment of one client, oldest first, with what changed since the one before."""
    from engine.errors import InputError, Problem, show_value
    from engine.visits import case_changes
    from reports.shown import shown
    from storage.store import open_store
    from tripod.service import client_history
    from tripod.terminal import for_terminal

    with reported(), open_store(db, read_only=True, say=err) as records:
        rows = client_history(records, client)
        if not rows:
            raise InputError([Problem("history", "CLIENT", show_value(client),
                                      f"no such client in {records.where}; allowed an id that "
                                      "tripod clients lists")])
        typer.echo(say("cli.history_head", client=for_terminal(client), count=len(rows),
                       s="s" if len(rows) != 1 else ""))
        previous = None
        for row in rows:
            note = ""
            if row.supersedes is not None:
                note += say("cli.history_corrects", id=row.supersedes)
            if row.superseded_by is not None:
                note += say("cli.history_corrected_by", id=row.superseded_by)
            typer.echo(say("cli.history_row", id=row.id, date=row.assessed_on, version=row.version,
                           note=note, knowledge=row.knowledge_version))
            typer.echo(f"  {_root_text(row)}")
            if previous is None:
                previous = row
                continue
            if _root_key(row) == _root_key(previous):
                typer.echo(say("cli.root_unchanged", id=previous.id))
            else:
                typer.echo(say("cli.root_changed", id=previous.id))
            moved = case_changes(previous.case, row.case)
            if moved:
                typer.echo(say("cli.observations_changed", id=previous.id))
                for path, old, new in moved:
                    before, after = (shown(v, unknown=say("cli.not_assessed"), brackets=True)
                                     for v in (old, new))
                    typer.echo(for_terminal(say("cli.observation_changed", path=path, old=before,
                                                new=after)))
            else:
                typer.echo(say("cli.no_observation_changed", id=previous.id))
            previous = row


def _stored_or_fail(records: Store, assessment_id: int, command: str) -> StoredAssessment:
    from engine.errors import InputError, Problem
    from tripod.service import look_up

    stored = look_up(records, assessment_id, "export" if command == "export" else "view")
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
        stored = _stored_or_fail(records, assessment, "show")
        if fmt is Format.json:
            typer.echo(stored.assessment_json)
            return
        from knowledge.catalog import catalog
        from tripod.service import as_text, visit_text
        from tripod.terminal import for_terminal

        head = say("cli.show_head", id=stored.id, client=for_terminal(stored.client_id),
                   date=stored.assessed_on, version=stored.version, stored=stored.created_at)
        if stored.superseded_by is not None:
            head += say("cli.show_corrected_by", id=stored.superseded_by)
        typer.echo(head)
        if stored.knowledge_version != catalog().version:
            typer.echo(say("cli.other_knowledge", then=stored.knowledge_version,
                           now=catalog().version))
        typer.echo(for_terminal(as_text(stored.assessment()), lines=True), nl=False)
        typer.echo(for_terminal(visit_text(stored.intake()), lines=True), nl=False)


def export(
    assessment: AssessmentArg,
    out: Annotated[Path, typer.Option("--out", show_default=False,
                                      help="The case file to write (.yaml, .yml or .json).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    db: DbOption = None,
) -> None:
    """Write the case a stored assessment was made from as a case file (tripod-case/2)."""
    from engine.errors import InputError, Problem, TripodError
    from storage.casefile import SUFFIXES, dump_case
    from storage.safe_output import output_problem, write_atomic
    from storage.store import open_store

    with reported():
        fmt = SUFFIXES.get(out.suffix.lower())
        if fmt is None:
            raise InputError([Problem("export", "--out", repr(str(out)),
                                      "allowed a .yaml, .yml or .json file name")])
        refused = output_problem("export", "--out", out, force)
        if refused is not None:
            raise InputError([refused])
        with open_store(db, read_only=True, say=err) as records:
            stored = _stored_or_fail(records, assessment, "export")
            case = stored.intake()
        try:
            write_atomic(out, dump_case(case, fmt))
        except OSError as exc:
            raise TripodError(f"export: --out = {str(out)!r}: cannot be written "
                              f"({exc.strerror})") from None
        typer.echo(say("cli.exported", path=out, id=assessment, client=case.client.id,
                       date=case.assessed_on))
