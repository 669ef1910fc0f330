"""The ``tripod`` command line.

Commands are thin: they read input through ``storage.casefile``, call the engine, and print. Bad input
exits 2 with one line per problem and no traceback; other reported failures exit 1. Heavy modules (the
rule engine, report rendering, WeasyPrint) are imported inside the commands that need them so that
``tripod --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

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

    try:
        package = version("tripod")
    except PackageNotFoundError:  # run from a checkout that was never installed
        package = "unknown"
    typer.echo(f"tripod {package}, knowledge {catalog().version}")
    raise typer.Exit()


@app.callback(invoke_without_command=True)
def _tripod(
    ctx: typer.Context,
    _: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print Tripod's version and its knowledge base's, then exit.")] = False,
) -> None:
    """Tripod: a screening aid built on one practitioner's model, not a diagnosis.

    Run with no command at a terminal, it starts a new intake (tripod intake).
    """
    if ctx.invoked_subcommand is not None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        intake()
        return
    typer.echo(ctx.get_help())
    raise typer.Exit(code=2)


CaseArgs = Annotated[
    list[Path],
    typer.Argument(help="Case files (tripod-case/1, YAML or JSON).", show_default=False),
]


def _err(text: str) -> None:
    typer.echo(text, err=True)


@contextmanager
def reported() -> Iterator[None]:
    """Turn Tripod's own errors, a file that cannot be read or written, and Ctrl-C into a message
    and an exit status, never a traceback."""
    # Imported here: engine.errors brings in pydantic, which `tripod --help` does not need.
    from engine.errors import TripodError

    try:
        yield
    except TripodError as exc:
        _err(str(exc))
        raise typer.Exit(code=exc.exit_code) from None
    except BrokenPipeError:
        raise  # the reader of the output stopped (| head): click ends quietly with status 1
    except OSError as exc:
        # A file no check foresaw failing: its name and the system's reason, never what it held.
        where = repr(exc.filename) if exc.filename else "a file"
        _err(f"tripod: {where}: cannot be read or written ({exc.strerror or type(exc).__name__})")
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        _err("tripod: interrupted")
        raise typer.Exit(code=130) from None


@app.command()
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
                _err(str(exc))
                continue
            typer.echo(f"{path}: ok ({case.client.id}, assessed {case.assessed_on.isoformat()})")
    if failed:
        _err(f"{failed} of {len(cases)} case file{'s' if len(cases) != 1 else ''} invalid")
        raise typer.Exit(code=code)


class Format(str, Enum):
    text = "text"
    json = "json"


DbOption = Annotated[str | None, typer.Option(
    "--db", envvar="TRIPOD_DB", show_default=False,
    help="Record store: a file path or an SQLAlchemy URL "
    "[default: tripod.db in the user data folder].")]


@app.command()
def assess(
    case: Annotated[Path, typer.Argument(help="A case file (tripod-case/1).", show_default=False)],
    fmt: Annotated[Format, typer.Option("--format", help="text for a person, json for tools "
                                        "(tripod-assessment/1).")] = Format.text,
    store: Annotated[bool, typer.Option(
        "--store", help="Also keep the assessment in the record store.")] = False,
    db: DbOption = None,
) -> None:
    """Assess one case file and print the result with the reasoning behind it."""
    from engine.errors import guarded
    from engine.inference import assess as run_assessment
    from storage.casefile import load_case

    with reported():
        loaded = load_case(case)
        with guarded(str(case), "assessing"):
            assessment = run_assessment(loaded)
        if fmt is Format.json:
            typer.echo(assessment.to_json())
        else:
            from reports.render import render_text

            typer.echo(render_text(assessment), nl=False)
        if store:
            _store_assessment(loaded, assessment, db)


class SummaryFormat(str, Enum):
    csv = "csv"
    json = "json"
    both = "both"


@app.command()
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

                records = stack.enter_context(open_store(db, say=_err))

            def keep(record: AssessmentRecord) -> None:
                assert records is not None
                if records.add_record(record).created:
                    stored.append(record.client_id)

            result = run_batch(paths, out, formats=formats, reports=report_formats(wanted),
                               jobs=workers, force=force, resume=resume, progress=progress,
                               store=keep if records is not None else None, say=_err)
    rate = result.finished / result.seconds if result.seconds else 0.0
    line = (f"{result.finished} of {result.total} case files: {result.assessed} assessed, "
            f"{result.done_before} already done, {result.failed} failed; "
            f"{result.seconds:.1f} s ({rate:.1f} cases/s)")
    if records is not None:
        line += f"; {len(stored)} new in the record store {records.where}"
    if result.interrupted:
        _err(f"tripod: interrupted; {line}; finished results kept in {out}, "
             "rerun with --resume to finish")
    else:
        typer.echo(line)
        if result.failed:
            _err(f"{result.failed} case file{'s' if result.failed != 1 else ''} failed: "
                 f"see {out / 'errors.txt'}")
    if result.exit_code:
        raise typer.Exit(code=result.exit_code)


if TYPE_CHECKING:  # for hints only: importing the store at run time would load SQLAlchemy
    from collections.abc import Callable

    from engine.intake import Case
    from engine.trace import Assessment
    from storage.records import AssessmentRecord, Draft, StoredAssessment
    from storage.store import Store


def _store_assessment(case: Case, assessment: Assessment, db: str | None) -> None:
    """Keep an assessment in the record store and say where (on stderr: stdout may be JSON)."""
    from storage.store import open_store

    with open_store(db, say=_err) as records:
        stored = records.add_assessment(case, assessment)
        if stored.created:
            _err(f"stored as assessment {stored.id} ({stored.client_id}, {stored.assessed_on}, "
                 f"version {stored.version}) in {records.where}")
        else:
            _err(f"already stored as assessment {stored.id} ({stored.client_id}, "
                 f"{stored.assessed_on}, version {stored.version}) in {records.where}")


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
    return f"{status}; root cause: {title}{sides}, confidence {rc.confidence}"


def _root_key(stored: StoredAssessment) -> tuple[str | None, tuple[str, ...]]:
    rc = stored.assessment().root_cause
    return (rc.id, tuple(rc.sides)) if rc else (None, ())


def _shown(value: object) -> str:
    if value is None:
        return "(not assessed)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


@app.command()
def clients(db: DbOption = None) -> None:
    """List the clients in the record store, with their number of screenings and the last date."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from storage.store import open_store
    from tripod.terminal import for_terminal

    with reported(), open_store(db, read_only=True, say=_err) as records:
        rows = records.clients()
        if not rows:
            typer.echo(f"no clients yet in {records.where}")
            return
        table = Table("client", "name", "screenings", "last assessed", box=None, pad_edge=False)
        for row in rows:
            last = row.last_assessed_on.isoformat() if row.last_assessed_on else "-"
            # Text cells: a stored name is shown as it is, never read as rich markup or escapes.
            table.add_row(Text(for_terminal(row.id)), Text(for_terminal(row.name or "-")),
                          str(row.assessments), last)
        Console(highlight=False).print(table)


@app.command()
def history(
    client: Annotated[str, typer.Argument(help="A client id (see tripod clients).",
                                          show_default=False)],
    db: DbOption = None,
) -> None:
    """Every assessment of one client, oldest first, with what changed since the one before."""
    from engine.errors import InputError, Problem, show_value
    from engine.visits import case_changes
    from storage.store import open_store
    from tripod.terminal import for_terminal

    with reported(), open_store(db, read_only=True, say=_err) as records:
        rows = records.history(client)
        if not rows:
            raise InputError([Problem("history", "CLIENT", show_value(client),
                                      f"no such client in {records.where}; allowed an id that "
                                      "tripod clients lists")])
        typer.echo(f"{for_terminal(client)}: {len(rows)} stored assessment"
                   f"{'s' if len(rows) != 1 else ''}")
        previous = None
        for row in rows:
            note = ""
            if row.supersedes is not None:
                note += f", corrects {row.supersedes}"
            if row.superseded_by is not None:
                note += f", corrected by {row.superseded_by}"
            typer.echo(f"\n[{row.id}] {row.assessed_on}  version {row.version}{note}  "
                       f"(knowledge {row.knowledge_version})")
            typer.echo(f"  {_root_text(row)}")
            if previous is None:
                previous = row
                continue
            if _root_key(row) == _root_key(previous):
                typer.echo(f"  root cause unchanged since [{previous.id}]")
            else:
                typer.echo(f"  root cause CHANGED since [{previous.id}]")
            moved = case_changes(previous.case, row.case)
            if moved:
                typer.echo(f"  observations changed since [{previous.id}]:")
                for path, old, new in moved:
                    typer.echo(for_terminal(f"    {path}: {_shown(old)} -> {_shown(new)}"))
            else:
                typer.echo(f"  no observation changed since [{previous.id}]")
            previous = row


def _stored_or_fail(records: Store, assessment_id: int, command: str) -> StoredAssessment:
    from engine.errors import InputError, Problem

    stored = records.assessment(assessment_id)
    if stored is None:
        raise InputError([Problem(command, "ASSESSMENT", str(assessment_id),
                                  f"no such assessment in {records.where}; "
                                  "allowed an id that tripod history lists")])
    return stored


AssessmentArg = Annotated[int, typer.Argument(help="An assessment id (see tripod history).",
                                              show_default=False)]


@app.command()
def show(assessment: AssessmentArg, fmt: Annotated[Format, typer.Option(
        "--format", help="text for a person, json for tools (tripod-assessment/1).")] = Format.text,
         db: DbOption = None) -> None:
    """Print one stored assessment, as tripod assess prints it."""
    from storage.store import open_store

    with reported(), open_store(db, read_only=True, say=_err) as records:
        stored = _stored_or_fail(records, assessment, "show")
        if fmt is Format.json:
            typer.echo(stored.assessment_json)
            return
        from knowledge.catalog import catalog
        from reports.render import render_text
        from tripod.terminal import for_terminal

        head = (f"assessment {stored.id}: {for_terminal(stored.client_id)}, "
                f"{stored.assessed_on}, version {stored.version}, stored {stored.created_at}")
        if stored.superseded_by is not None:
            head += f"; corrected by assessment {stored.superseded_by}"
        typer.echo(head)
        if stored.knowledge_version != catalog().version:
            typer.echo(f"(reasoned with knowledge {stored.knowledge_version}; "
                       f"wording below is from {catalog().version})")
        typer.echo(for_terminal(render_text(stored.assessment()), lines=True), nl=False)


@app.command()
def export(
    assessment: AssessmentArg,
    out: Annotated[Path, typer.Option("--out", show_default=False,
                                      help="The case file to write (.yaml, .yml or .json).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    db: DbOption = None,
) -> None:
    """Write the case a stored assessment was made from as a case file (tripod-case/1)."""
    from engine.errors import InputError, Problem, TripodError
    from storage.casefile import SUFFIXES, dump_case, parse_case
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
        with open_store(db, read_only=True, say=_err) as records:
            stored = _stored_or_fail(records, assessment, "export")
            case = parse_case(f"assessment {assessment}", stored.case)
        try:
            write_atomic(out, dump_case(case, fmt))
        except OSError as exc:
            raise TripodError(f"export: --out = {str(out)!r}: cannot be written "
                              f"({exc.strerror})") from None
        typer.echo(f"{out}: case of assessment {assessment} ({case.client.id}, {case.assessed_on})")


@app.command()
def whatif(
    case: Annotated[Path, typer.Argument(help="A case file (tripod-case/1).", show_default=False)],
    fmt: Annotated[Format, typer.Option("--format", help="text for a person, json for scripts "
                                        "(tripod-whatif/1).")] = Format.text,
) -> None:
    """How solid is the conclusion: what would flip it, and what to measure next."""
    from engine.whatif import analyse
    from storage.casefile import load_case

    with reported():
        analysis = analyse(load_case(case))
        if fmt is Format.json:
            typer.echo(analysis.to_json())
        else:
            from reports.render import render_whatif_text

            typer.echo(render_whatif_text(analysis), nl=False)


class Audience(str, Enum):
    practitioner = "practitioner"
    client = "client"


@app.command()
def report(
    case: Annotated[Path, typer.Argument(help="A case file (tripod-case/1).", show_default=False)],
    audience: Annotated[Audience, typer.Option(
        "--audience", show_default=False,
        help="practitioner: the reasoning, evidence and references; client: plain language.")],
    html: Annotated[Path | None, typer.Option(
        "--html", show_default=False, help="Write it as one self-contained HTML file.")] = None,
    pdf: Annotated[Path | None, typer.Option(
        "--pdf", show_default=False, help="Write the report as an A4 PDF.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write a practitioner or client report of one case as HTML and/or PDF (owner-only files)."""
    from engine.errors import InputError, Problem, TripodError
    from engine.inference import assess as run_assessment
    from storage.casefile import load_case
    from storage.safe_output import output_problem, write_atomic

    with reported():
        if html is None and pdf is None:
            raise InputError([Problem("report", "--html, --pdf", "(neither given)",
                                      "allowed --html FILE, --pdf FILE or both")])
        outputs = [(name, path) for name, path in (("--html", html), ("--pdf", pdf)) if path]
        problems = [Problem("report", name, repr(str(path)), "is a directory; allowed a file name")
                    for name, path in outputs if path.is_dir()]
        if html and pdf and html.resolve() == pdf.resolve():
            problems.append(Problem("report", "--pdf", repr(str(pdf)),
                                    "is the --html file; allowed a different file"))
        for name, path in outputs:
            refused = None if path.is_dir() else output_problem("report", name, path, force)
            if path.resolve() == case.resolve():
                refused = Problem("report", name, repr(str(path)),
                                  "is the case file; allowed a different file")
            if refused is not None:
                problems.append(refused)
        if problems:
            raise InputError(problems)
        intake = load_case(case)
        from reports.render import render_report

        solidity = None
        if audience is Audience.practitioner:
            from engine.inference import build_engine
            from engine.whatif import solidity as what_if

            engine = build_engine()
            solidity = what_if(intake, engine)
            assessment = run_assessment(intake, engine)
        else:
            assessment = run_assessment(intake)
        text = render_report(assessment, intake, audience.value, solidity)
        data = None
        if pdf:
            from reports.pdf import html_to_pdf

            try:
                data = html_to_pdf(text)
            except OSError as exc:  # WeasyPrint could not load Pango or a font
                raise TripodError(f"report: --pdf: cannot render PDF ({exc}); install Pango "
                                  "(apt-get install libpango-1.0-0 libpangoft2-1.0-0)") from None
        for name, path in outputs:
            try:
                if name == "--html":
                    write_atomic(path, text)
                else:
                    write_atomic(path, data or b"")
            except OSError as exc:
                raise TripodError(f"report: {name} = {str(path)!r}: cannot be written "
                                  f"({exc.strerror})") from None
            typer.echo(f"{path}: {audience.value} report ({name[2:].upper()})")
        if pdf:
            _hint_slow_fonts()


# WeasyPrint's own warning about it never reaches the clinician (reports/pdf.py); this line does.
SLOW_FONTS = ("tripod: note: PDF fonts were embedded without HarfBuzz subsetting, which is slower; "
              "install it for faster reports (Debian: apt-get install libharfbuzz-subset0)")


def _hint_slow_fonts() -> None:
    from reports.pdf import fonts_embedded_slowly

    if fonts_embedded_slowly():
        _err(SLOW_FONTS)


def _draft_to_resume(records: Store, draft: int | None) -> int:
    """The unfinished intake --resume continues: DRAFT, or the only one there is."""
    from engine.errors import InputError, Problem

    if draft is not None:
        found = records.draft(draft)
        if found is None or found.status != "open":
            state = "no such intake" if found is None else (
                f"finished (assessment {found.assessment_id})")
            raise InputError([Problem("intake", "DRAFT", str(draft),
                                      f"{state} in {records.where}; allowed an unfinished intake "
                                      "(tripod intake --resume lists them)")])
        return draft
    unfinished = records.drafts()
    if len(unfinished) == 1:
        return unfinished[0].id
    if not unfinished:
        raise InputError([Problem("intake", "--resume", "(no DRAFT)",
                                  f"no unfinished intake in {records.where}")])
    for item in unfinished:
        _err(_draft_line(item))
    raise InputError([Problem("intake", "--resume", "(no DRAFT)", "several unfinished intakes; "
                              "allowed --resume DRAFT with one of "
                              + ", ".join(str(d.id) for d in unfinished))])


def _draft_line(item: Draft) -> str:
    from tripod.terminal import for_terminal

    client = for_terminal(str(item.client_id)) if item.client_id else "(no client id yet)"
    source = f"  from {for_terminal(item.source)}" if item.source else ""
    return (f"  intake {item.id}  {client}  {item.answered} answers  "
            f"last saved {item.updated_at[:16].replace('T', ' ')} UTC{source}")


def _fit(text: str, width: int) -> str:
    """Text re-wrapped at word boundaries for a terminal ``width`` wide, each wrapped line indented
    under its own first line, so the terminal does not cut a long line mid-word. Same words."""
    import textwrap

    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        out.append(textwrap.fill(line.strip(), width, initial_indent=indent,
                                 subsequent_indent=indent + "  ", break_long_words=False,
                                 break_on_hyphens=False))
    return "\n".join(out)


def _offer_reports(stored: StoredAssessment, read: Callable[[str], str]) -> None:
    """Offer the practitioner and client PDF reports of a finished intake."""
    try:
        from reports.pdf import render_pdf
        from storage.safe_output import write_atomic
    except ImportError:  # PDF reports are an optional part of an installation
        return
    from knowledge.catalog import catalog
    from storage.casefile import parse_case

    case = parse_case(f"assessment {stored.id}", stored.case)
    assessment = stored.assessment()
    solidity: Any = None
    analysed = False
    while True:
        folder = read(catalog().questions.messages.reports_offer).strip()
        if not folder:
            return
        if not analysed and stored.knowledge_version == catalog().version:
            # How solid the conclusion is, as `tripod report` says it, when today's rules made the
            # stored assessment (once, however often a folder is refused).
            from engine.whatif import solidity as what_if

            solidity, analysed = what_if(case), True
        try:
            for audience in ("practitioner", "client"):
                path = Path(folder).expanduser() / (
                    f"{stored.client_id}_{stored.assessed_on}_{audience}.pdf")
                write_atomic(path, render_pdf(assessment, case, audience, solidity))
                typer.echo(f"  {path}")
        except OSError as exc:
            _err(f"intake: reports folder = {folder!r}: {exc.strerror}; allowed a writable folder")
            continue
        _hint_slow_fonts()
        return


@app.command()
def intake(
    draft: Annotated[int | None, typer.Argument(
        show_default=False, help="With --resume: the unfinished intake to continue.")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue an unfinished intake where it stopped: the only one, or "
        "DRAFT.")] = False,
    from_: Annotated[Path | None, typer.Option(
        "--from", show_default=False,
        help="Pre-fill the answers from a case file; Enter keeps each one.")] = None,
    db: DbOption = None,
) -> None:
    """Screen a client by answering questions in the terminal; each answer is saved as it is given.

    Red flags come first; then only the questions that can change the result. Type skip (not
    assessed), back (previous question) or ? (how to measure, normal band, sources) at any question.
    At the end the case is assessed, printed as tripod assess prints it, and stored.
    """
    import os
    import shutil

    from rich.console import Console

    from engine.errors import InputError, Problem
    from storage.casefile import load_case
    from storage.store import open_store
    from storage.store_location import hide_password
    from tripod.intake.questionnaire import Session
    from tripod.intake.questions import progress

    console = Console(highlight=False)
    session: Session | None = None
    where = (f" --db {hide_password(db)}" if db is not None and db != os.environ.get("TRIPOD_DB")
             else "")
    with reported():
        if draft is not None and not resume:
            raise InputError([Problem("intake", "DRAFT", str(draft), "allowed only with --resume")])
        if resume and from_ is not None:
            raise InputError([Problem("intake", "--from", repr(str(from_)),
                                      "allowed only for a new intake, not with --resume")])
        prefill = load_case(from_) if from_ is not None else None
        if sys.stdin.isatty():
            import readline  # noqa: F401 - line editing and history for input()
        with open_store(db, say=_err) as records:
            try:
                if resume:
                    chosen = _draft_to_resume(records, draft)
                    session = Session.resume(records, chosen, console)
                    done, total = progress(session.answers)
                    typer.echo(f"resuming intake {chosen}: {done} of {total} questions answered")
                elif prefill is not None:
                    session = Session.prefilled(records, prefill, str(from_), console)
                else:
                    unfinished = records.drafts()
                    if unfinished:
                        typer.echo("unfinished intakes (continue one with tripod intake --resume "
                                   "DRAFT):")
                        for item in unfinished:
                            typer.echo(_draft_line(item))
                    session = Session(records, console)
                stored = session.run()
            except (KeyboardInterrupt, EOFError) as stop:
                typer.echo()
                if session is None or session.draft_id is None:
                    _err("intake stopped before any answer; nothing was saved")
                else:
                    _err(f"intake paused: every answer so far is saved as intake "
                         f"{session.draft_id}; continue with: tripod intake --resume "
                         f"{session.draft_id}{where}")
                raise typer.Exit(code=130 if isinstance(stop, KeyboardInterrupt) else 1) from None
            from reports.render import render_text

            text = render_text(stored.assessment())
            if sys.stdout.isatty():
                text = _fit(text, shutil.get_terminal_size().columns)
            typer.echo()
            typer.echo(text, nl=False)
            verb = "stored" if stored.created else "already stored"
            typer.echo(f"\n{verb} as assessment {stored.id} ({stored.client_id}, "
                       f"{stored.assessed_on}, version {stored.version}) in {records.where}")
        try:
            _offer_reports(stored, input)
        except (KeyboardInterrupt, EOFError):
            typer.echo()
            _err(f"stopped; assessment {stored.id} is stored (tripod show {stored.id})")
            raise typer.Exit(code=130) from None


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m tripod.cli.app`
    main()
