"""The ``tripod`` command line.

Commands are thin: they read input through ``engine.casefile``, call the engine, and print. Bad input
exits 2 with one line per problem and no traceback; other reported failures exit 1. Heavy modules (the
rule engine, report rendering, WeasyPrint) are imported inside the commands that need them so that
``tripod --help`` stays fast.
"""

from __future__ import annotations

import sys
from enum import Enum
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from engine.errors import TripodError

app = typer.Typer(
    name="tripod",
    help="Tripod: a screening aid for the foot-to-pelvis chain behind glutes that do not grow. "
    "Built on one practitioner's model; it suggests hypotheses, it does not diagnose.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

@app.callback()
def _tripod() -> None:
    """Tripod: a screening aid built on one practitioner's model, not a diagnosis."""


CaseArgs = Annotated[
    list[Path],
    typer.Argument(help="Case files (tripod-case/1, YAML or JSON).", show_default=False),
]


def _err(text: str) -> None:
    typer.echo(text, err=True)


@contextmanager
def reported() -> Iterator[None]:
    """Turn Tripod's own errors and Ctrl-C into a message and an exit status, never a traceback."""
    try:
        yield
    except TripodError as exc:
        _err(str(exc))
        raise typer.Exit(code=exc.exit_code) from None
    except KeyboardInterrupt:
        _err("tripod: interrupted")
        raise typer.Exit(code=130) from None


@app.command()
def validate(cases: CaseArgs) -> None:
    """Check case files and print every problem of every file at once."""
    from engine.casefile import load_case

    failed = 0
    with reported():
        for path in cases:
            try:
                case = load_case(path)
            except TripodError as exc:
                failed += 1
                _err(str(exc))
                continue
            typer.echo(f"{path}: ok ({case.client.id}, assessed {case.assessed_on.isoformat()})")
    if failed:
        _err(f"{failed} of {len(cases)} case file{'s' if len(cases) != 1 else ''} invalid")
        raise typer.Exit(code=2)


class Format(str, Enum):
    text = "text"
    json = "json"


@app.command()
def assess(
    case: Annotated[Path, typer.Argument(help="A case file (tripod-case/1).", show_default=False)],
    fmt: Annotated[Format, typer.Option("--format", help="text for a person, json for tools "
                                        "(tripod-assessment/1).")] = Format.text,
) -> None:
    """Assess one case file and print the result with the reasoning behind it."""
    from engine.casefile import load_case
    from engine.inference import assess as run_assessment

    with reported():
        assessment = run_assessment(load_case(case))
        if fmt is Format.json:
            typer.echo(assessment.to_json())
        else:
            from reports.render import render_text

            typer.echo(render_text(assessment), nl=False)


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
        "--jobs", help="Worker processes [default: one per CPU].", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the results of an earlier batch.")
                     ] = False,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Keep the cases an interrupted batch finished and do the rest.")] = False,
) -> None:
    """Assess many case files in parallel: one assessment JSON per case, a summary table, errors.txt.

    Exit status 0 when every file was assessed, 1 when any failed (listed in errors.txt), 2 for bad
    options or when results exist (see --force and --resume), 130 when stopped with Ctrl-C.
    """
    from engine.batch import REPORT_FORMATS, PlainProgress, RichProgress, default_jobs, run_batch
    from engine.errors import InputError, Problem

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
        result = run_batch(paths, out, formats=formats, reports=tuple(dict.fromkeys(wanted)),
                           jobs=workers, force=force, resume=resume, progress=progress)
    rate = result.finished / result.seconds if result.seconds else 0.0
    line = (f"{result.finished} of {result.total} case files: {result.assessed} assessed, "
            f"{result.done_before} already done, {result.failed} failed; "
            f"{result.seconds:.1f} s ({rate:.1f} cases/s)")
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


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m engine.cli`
    sys.exit(main())
