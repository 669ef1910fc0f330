"""The commands that work on case files: ``validate``, ``assess``, ``batch``, ``whatif`` and
``report``. They read input through ``storage.casefile`` and hand it to the screening service
(``tripod/service.py``); heavy modules are imported inside them, so that ``tripod --help`` stays
fast."""

import sys
from contextlib import ExitStack
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tripod.cli.common import CaseArgs, DbOption, Format, err, hint_slow_fonts, reported, say

if TYPE_CHECKING:  # for hints only: importing the store at run time would load SQLAlchemy
    from storage.records import AssessmentRecord
    from storage.store import Store
    from tripod.service import Screening


def validate(cases: CaseArgs) -> None:
    """Check case files and print every problem of every file at once."""
    from engine.errors import TripodError
    from storage.casefile import load_case

    failed = 0
    code = 0
    with reported():
        for path in cases:
            try:
                case = load_case(path)
            except TripodError as exc:
                failed += 1
                code = max(code, exc.exit_code)  # 3, a fault in Tripod, outranks 2, bad input
                err(str(exc))
                continue
            typer.echo(say("cli.valid", path=path, client=case.client.id,
                                      date=case.assessed_on.isoformat()))
    if failed:
        err(say("cli.invalid", failed=failed, total=len(cases),
                           s="s" if len(cases) != 1 else ""))
        raise typer.Exit(code=code)


class AssessFormat(str, Enum):
    text = "text"
    json = "json"
    fhir = "fhir"


def assess(
    case: Annotated[Path, typer.Argument(
        help="A case file (tripod-case/1 or /2), or a FHIR QuestionnaireResponse (.json) of "
             "Tripod's Questionnaire.", show_default=False)],
    fmt: Annotated[AssessFormat, typer.Option("--format", help="text for a person, json for tools "
                                              "(tripod-assessment/1), fhir for a FHIR R4B Bundle."
                                              )] = AssessFormat.text,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the result to this file (owner-only) instead of printing it.",
        show_default=False)] = None,
    with_name: Annotated[bool, typer.Option(
        "--with-name", help="fhir: put the client's name in the Patient (left out otherwise).")
        ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out file.")
                     ] = False,
    store: Annotated[bool, typer.Option(
        "--store", help="Also keep the assessment in the record store.")] = False,
    db: DbOption = None,
) -> None:
    """Assess one case file and print the result with the reasoning behind it."""
    from engine.errors import guarded
    from storage.casefile import load_case
    from tripod import service

    with reported():
        if out is not None:
            _may_write("assess", out, force)
        loaded = load_case(case)
        with guarded(str(case), "assessing"):
            screening = service.screen(loaded)
        if fmt is AssessFormat.fhir:
            _emit(service.fhir_bundle(screening, with_name=with_name), out, "assess")
        elif fmt is AssessFormat.json:
            _emit(screening.assessment.to_json() + "\n", out, "assess")
        elif out is not None:
            _emit(service.as_text(screening.assessment), out, "assess")
        else:
            typer.echo(service.as_text(screening.assessment), nl=False)
        if store:
            _store(screening, db)


def _may_write(command: str, out: Path, force: bool) -> None:
    from engine.errors import InputError
    from storage.safe_output import output_problem

    refused = output_problem(command, "--out", out, force)
    if refused is not None:
        raise InputError([refused])


def _emit(text: str, out: Path | None, command: str) -> None:
    """``text`` on stdout, or into ``out`` (owner-only, atomic) and a line saying so on stderr."""
    from engine.errors import TripodError
    from storage.safe_output import write_atomic

    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        write_atomic(out, text)
    except OSError as exc:
        raise TripodError(f"{command}: --out = {str(out)!r}: cannot be written "
                          f"({exc.strerror})") from None
    err(say("fhir.saved", path=out))


def _store(screening: "Screening", db: str | None) -> None:
    """Keep a screening in the record store and say where (on stderr: stdout may be JSON)."""
    from storage.store import open_store
    from tripod import service

    with open_store(db, say=err) as records:
        stored = service.keep(records, screening)
        err(say("cli.stored" if stored.created else "cli.already_stored",
                           id=stored.id, client=stored.client_id, date=stored.assessed_on,
                           version=stored.version, where=records.where))


class SummaryFormat(str, Enum):
    csv = "csv"
    json = "json"
    both = "both"


ClinicOption = Annotated[Path | None, typer.Option(
    "--clinic", show_default=False,
    help="The clinic's details (name, address, phone, logo) from this YAML file instead of "
    "clinic.yaml in the user's config folder.")]


class ReportReaders(str, Enum):
    practitioner = "practitioner"
    client = "client"
    both = "both"


def batch(
    paths: Annotated[list[Path], typer.Argument(
        help="Case files, or folders walked recursively (sorted; hidden files skipped).",
        show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Folder for the results (created if missing).",
                                      show_default=False)],
    summary: Annotated[SummaryFormat, typer.Option(
        "--format", help="Summary table: summary.csv, summary.json, or both.")] = SummaryFormat.both,
    reports: Annotated[str, typer.Option(
        "--reports", help="Reports beside each assessment, comma-separated: html,pdf.")] = "",
    readers: Annotated[ReportReaders, typer.Option(
        "--audience", help="Whose reports --reports writes: practitioner, client or both."
    )] = ReportReaders.practitioner,
    clinic: ClinicOption = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", help="Worker processes; one per CPU when left out.", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the results of an earlier batch.")
                     ] = False,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Keep the cases an interrupted batch finished and do the rest.")] = False,
    store: Annotated[bool, typer.Option(
        "--store", help="Also keep each new assessment in the record store.")] = False,
    db: DbOption = None,
) -> None:
    """Assess many case files in parallel: one assessment JSON per case, a summary table, errors.txt.

    Exit status 0 when every file was assessed, 1 when any failed (listed in errors.txt), 2 for bad
    options or when results exist (see --force and --resume), 3 when Tripod itself failed on a
    file (a fault to report, listed in errors.txt), 130 when stopped with Ctrl-C.
    """
    from engine.errors import InputError, Problem
    from tripod import service
    from tripod.batch.discovery import default_jobs
    from tripod.batch.run import run_batch
    from tripod.progress import PlainProgress, RichProgress
    from tripod.service import REPORT_FORMATS, report_formats

    with reported():
        wanted = [part.strip() for part in reports.split(",") if part.strip()]
        if any(fmt not in REPORT_FORMATS for fmt in wanted):
            raise InputError([Problem("batch", "--reports", repr(reports),
                                      f"allowed a comma-separated list of {', '.join(REPORT_FORMATS)}")])
        workers = default_jobs() if jobs is None else jobs
        if not 1 <= workers <= 256:
            raise InputError([Problem("batch", "--jobs", str(workers), "allowed 1 to 256")])
        formats = ("csv", "json") if summary is SummaryFormat.both else (summary.value,)
        progress = RichProgress() if sys.stderr.isatty() else PlainProgress()
        stored: list[str] = []
        records: Store | None = None
        with ExitStack() as stack:
            if store:
                from storage.store import open_store

                records = stack.enter_context(open_store(db, say=err))

            def keep(record: "AssessmentRecord") -> None:
                assert records is not None
                if service.keep(records, record).created:
                    stored.append(record.client_id)

            audiences = service.AUDIENCES if readers is ReportReaders.both else (readers.value,)
            result = run_batch(paths, out, formats=formats, reports=report_formats(wanted),
                               audiences=audiences,
                               clinic=service.clinic(clinic) if clinic and wanted else None,
                               jobs=workers, force=force, resume=resume, progress=progress,
                               store=keep if records is not None else None, say=err)
    rate = result.finished / result.seconds if result.seconds else 0.0
    line = say("cli.batch_done", finished=result.finished, total=result.total,
               assessed=result.assessed, done_before=result.done_before, failed=result.failed,
               seconds=result.seconds, rate=rate)
    if records is not None:
        line += say("cli.batch_stored", stored=len(stored), where=records.where)
    if result.interrupted:
        err(say("cli.batch_interrupted", line=line, out=out))
    else:
        typer.echo(line)
        if result.failed:
            err(say("cli.batch_failed", failed=result.failed,
                    s="s" if result.failed != 1 else "", errors=out / "errors.txt"))
    hint_slow_fonts(result.slow_fonts)
    if result.exit_code:
        raise typer.Exit(code=result.exit_code)


def whatif(
    case: Annotated[Path, typer.Argument(help="A case file (tripod-case/1 or /2).", show_default=False)],
    fmt: Annotated[Format, typer.Option("--format", help="text for a person, json for scripts "
                                        "(tripod-whatif/1).")] = Format.text,
) -> None:
    """How solid is the conclusion: what would flip it, and what to measure next."""
    from storage.casefile import load_case
    from tripod import service

    with reported():
        analysis = service.Screener().analyse(load_case(case))
        if fmt is Format.json:
            typer.echo(analysis.to_json())
        else:
            typer.echo(service.whatif_text(analysis), nl=False)


class Audience(str, Enum):
    practitioner = "practitioner"
    client = "client"


def _stored_id(case: Path) -> int | None:
    """The assessment id ``tripod report`` was given instead of a case file: ASCII digits that name
    no file."""
    text = str(case)
    return int(text) if text.isascii() and text.isdigit() and not case.exists() else None


def report(
    case: Annotated[Path, typer.Argument(
        metavar="CASE_OR_ID", show_default=False,
        help="A case file (tripod-case/1 or /2), or a stored assessment's id (digits, as tripod "
        "history lists it) to render a stored visit from the record store; a file of that name "
        "comes first.")],
    audience: Annotated[Audience, typer.Option(
        "--audience", show_default=False,
        help="practitioner: the reasoning, evidence and references; client: plain language.")],
    html: Annotated[Path | None, typer.Option(
        "--html", show_default=False, help="Write it as one self-contained HTML file.")] = None,
    pdf: Annotated[Path | None, typer.Option(
        "--pdf", show_default=False, help="Write the report as an A4 PDF.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    clinic: ClinicOption = None,
    db: DbOption = None,
) -> None:
    """Write a practitioner or client report of one case, or of one stored visit, as HTML and/or PDF
    (owner-only files).

    tripod report 12 --audience client --pdf client.pdf renders stored assessment 12 as it was
    stored (tripod history lists the ids); a case file is assessed first.
    """
    from engine.errors import InputError, Problem, TripodError
    from storage.safe_output import output_problem, write_atomic
    from tripod import service
    from tripod.service import report_formats

    with reported():
        if html is None and pdf is None:
            raise InputError([Problem("report", "--html, --pdf", "(neither given)",
                                      "allowed --html FILE, --pdf FILE or both")])
        stored_id = _stored_id(case)
        outputs = [(name, path) for name, path in (("--html", html), ("--pdf", pdf)) if path]
        problems = [Problem("report", name, repr(str(path)), "is a directory; allowed a file name")
                    for name, path in outputs if path.is_dir()]
        if html and pdf and html.resolve() == pdf.resolve():
            problems.append(Problem("report", "--pdf", repr(str(pdf)),
                                    "is the --html file; allowed a different file"))
        for name, path in outputs:
            refused = None if path.is_dir() else output_problem("report", name, path, force)
            if stored_id is None and path.resolve() == case.resolve():
                refused = Problem("report", name, repr(str(path)),
                                  "is the case file; allowed a different file")
            if refused is not None:
                problems.append(refused)
        if problems:
            raise InputError(problems)
        details = service.clinic(clinic)
        # The practitioner's report says how solid its conclusion is; the client's does not.
        judge = audience is Audience.practitioner
        screening = (_screening_of(case, judge) if stored_id is None
                     else _stored_screening(stored_id, judge, db))
        formats = report_formats(name[2:] for name, _ in outputs)
        try:
            files = service.reports(screening, audience.value, formats, details)
        except OSError as exc:  # WeasyPrint could not load Pango or a font
            if not pdf:
                raise
            raise TripodError(f"report: --pdf: cannot render PDF ({exc}); install Pango "
                              "(apt-get install libpango-1.0-0 libpangoft2-1.0-0)") from None
        for name, path in outputs:
            try:
                write_atomic(path, files["html" if name == "--html" else "pdf"])
            except OSError as exc:
                raise TripodError(f"report: {name} = {str(path)!r}: cannot be written "
                                  f"({exc.strerror})") from None
            typer.echo(say("cli.report_written", path=path, audience=audience.value,
                                      format=name[2:].upper()))
        if pdf:
            hint_slow_fonts()


def _screening_of(case: Path, judge: bool) -> "Screening":
    """A case file, assessed (and judged for solidity with ``judge``)."""
    from storage.casefile import load_case
    from tripod import service

    return service.screen(load_case(case), judge=judge)


def _stored_screening(assessment_id: int, judge: bool, db: str | None) -> "Screening":
    """A stored visit as it was stored; with ``judge``, how solid it is when today's rules made it."""
    from storage.store import open_store
    from tripod import service
    from tripod.cli.records import stored_or_fail

    with open_store(db, read_only=True, say=err) as records:
        stored = stored_or_fail(records, assessment_id, "report")
        # A follow-up's reports chart its client's visits so far and say the verdict.
        return service.stored_screening(records, stored, judge)
