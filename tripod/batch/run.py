"""Batch assessment: every case file under some paths, assessed in parallel, written to one folder.

This is ``tripod batch``. The parent process finds the case files (sorted, hidden ones skipped),
hands them to worker processes that each build one rule engine and reuse it, and takes the results
back *in input order* through a bounded window, so memory stays flat however many cases there are
and every decision that depends on order (which of two same-named cases wins) is deterministic.
Only the parent writes, so it alone decides what may be written.

What lands in the output folder:

- ``<client id>_<assessed on>.json``: one ``tripod-assessment/1`` per case. The name comes from the
  validated client id only (never from a path inside a case file); an id made of dots alone is
  refused. A later case (in input order) that maps to a name already taken in this batch fails as a
  duplicate; the first keeps the name. Reports asked for go beside it
  (``<name>_practitioner.html``, ``_client.pdf``...: ``service.report_name``) and are written before the JSON, so a present JSON means
  the case is finished, reports included.
- ``summary.csv`` and/or ``summary.json`` (a JSON array): one row per case file, in input order,
  written row by row to a temporary file that replaces the old one when the batch stops.
- ``errors.txt``: every problem of every file that failed, worded as ``tripod validate`` words it;
  a fault in Tripod itself on one file is named by its type alone (its text could quote the case),
  the batch goes on, and its exit status is 3 instead of 1.

With ``--store``, every case assessed in the run is also kept in the record store (by the parent,
the one writer), before its JSON is written.

Every file is written through a temporary file in the same folder and a rename, mode 0o600, into a
folder of mode 0o700 (an existing one is narrowed to it); a killed batch's temporary files are
removed by the next run. Nothing is overwritten without ``force``; ``resume`` keeps every case whose JSON is present and does the rest.
Ctrl-C is turned into a request to stop: the case in hand is finished, the summary and errors files
are closed, and the run can be resumed.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Self

from engine.errors import InputError, Problem, TripodError, show_value
from storage.clinic_config import Clinic
from storage.records import AssessmentRecord
from storage.safe_output import make_private_folder, remove_leftovers, tighten, write_atomic
from tripod import service
from tripod.batch import pool
from tripod.batch.discovery import find_case_files
from tripod.batch.sink import ERRORS, SUMMARY_CSV, SUMMARY_FORMATS, SUMMARY_JSON, Sink
from tripod.batch.worker import Outcome, Settings
from tripod.progress import NoProgress, Progress
from tripod.service import AUDIENCES, REPORT_FORMATS, ReportFormat


class _StopFlag:
    """Ctrl-C as a request: the parent finishes the case in hand, closes its files and stops."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None
        self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:  # a second Ctrl-C: stop now, files are still closed on the way out
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> Self:
        # Signal handlers can only be set from the main thread; elsewhere Ctrl-C stays as it is.
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)


@dataclass
class BatchResult:
    total: int
    assessed: int = 0
    done_before: int = 0
    failed: int = 0
    internal: int = 0  # of the failed, those that met a fault in Tripod itself
    interrupted: bool = False
    seconds: float = 0.0
    slow_fonts: bool = False  # a PDF's fonts were embedded without HarfBuzz subsetting (a speed note)

    @property
    def finished(self) -> int:
        return self.assessed + self.done_before + self.failed

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        if self.internal:
            return 3
        return 1 if self.failed else 0


def _ours(name: str) -> bool:
    """Whether a batch writes a file of this name (summaries, errors, assessments, reports)."""
    return (name in (SUMMARY_CSV, SUMMARY_JSON, ERRORS) or name.endswith(".json")
            or any(name.endswith(f"_{audience}.{fmt}") for audience in AUDIENCES
                   for fmt in REPORT_FORMATS))


def _clear_leftovers(out: Path) -> str | None:
    removed = remove_leftovers(out, _ours)
    if not removed:
        return None
    return (f"{out}: removed {len(removed)} temporary file{'s' if len(removed) != 1 else ''} "
            "left by a batch that was killed")


def _unwritable(out: Path, exc: OSError, name: str | None = None) -> TripodError:
    what = f"{name} cannot be written" if name else "cannot be written"
    end = "; the finished results are kept; rerun with --resume to finish" if name else ""
    return TripodError(f"batch: --out = {str(out)!r}: {what} "
                       f"({exc.strerror or type(exc).__name__}){end}")


def _write(path: Path, content: str | bytes) -> None:
    try:
        write_atomic(path, content)
    except OSError as exc:
        raise _unwritable(path.parent, exc, path.name) from None


def _refuse(path: Path, out: Path, what: str) -> InputError:
    return InputError([Problem(str(path), "--out", repr(str(out)), what)])


def _check_out(out: Path, force: bool, resume: bool) -> None:
    if out.is_symlink() and not out.exists():
        raise InputError([Problem("batch", "--out", repr(str(out)),
                                  f"is a symbolic link to {str(out.readlink())!r}, which does not "
                                  "exist; allowed a folder (it is created if missing) or a link "
                                  "to one")])
    if out.exists() and not out.is_dir():
        raise InputError([Problem("batch", "--out", repr(str(out)),
                                  "is a file; allowed a folder (it is created if missing)")])
    if force or resume:
        return
    for name in (SUMMARY_CSV, SUMMARY_JSON, ERRORS):
        if (out / name).exists():
            raise _refuse(out / name, out, "holds the results of an earlier batch; allowed "
                          "--force to overwrite them or --resume to finish that batch")


def run_batch(
    paths: Sequence[Path],
    out: Path,
    *,
    formats: Sequence[str] = SUMMARY_FORMATS,
    reports: Sequence[ReportFormat] = (),
    audiences: Sequence[str] = ("practitioner",),
    clinic: Clinic | None = None,
    jobs: int = 1,
    force: bool = False,
    resume: bool = False,
    progress: Progress | None = None,
    store: Callable[[AssessmentRecord], object] | None = None,
    say: Callable[[str], object] = lambda line: None,
) -> BatchResult:
    """Assess every case file under ``paths`` into ``out``; see the module docstring.

    Raises InputError (exit 2) for bad options or when an output exists and neither ``force`` nor
    ``resume`` is given; TripodError (exit 1) naming the folder and the system's reason when an
    output cannot be written; a case file that fails is listed in errors.txt and counted, not raised.
    ``reports``: each case's report for each of ``audiences`` (practitioner, client) in these
    formats (html, pdf), rendered in the worker by the screening service and named by
    ``service.report_name``, with ``clinic``'s details (else those of the user's config folder,
    read once here: a bad clinic file stops the batch before any case, as a bad option does).
    ``store`` is called with the record of each case assessed in this run (not
    with those ``resume`` keeps: they were stored when they were assessed), before its JSON is
    written, so a case stored but interrupted before its JSON is assessed and offered again.
    ``say`` is given a line for the person running the batch when an existing ``out`` was open to
    others (it is made owner-only) or held a killed batch's temporary files (they are removed).
    """
    if force and resume:
        raise InputError([Problem("batch", "--force/--resume", "both given",
                                  "allowed one of them: --force redoes every case, --resume keeps "
                                  "finished ones")])
    if reports and clinic is None:
        clinic = service.clinic()
    _check_out(out, force, resume)
    sources = find_case_files(paths, skip=[out])
    if not sources:
        raise InputError([Problem("batch", "PATH", show_value(" ".join(map(str, paths))),
                                  "no case files found; allowed case files (.yaml, .yml, .json) "
                                  "or folders holding them")])
    try:
        make_private_folder(out)
        for line in (tighten(out, 0o700), _clear_leftovers(out)):
            if line:
                say(line)
        sink = Sink(out, formats)
    except OSError as exc:
        raise _unwritable(out, exc) from None
    progress = progress or NoProgress()
    settings = Settings(out=str(out), resume=resume, reports=tuple(reports),
                        audiences=tuple(audiences), clinic=clinic,
                        with_case=store is not None)
    result = BatchResult(total=len(sources))
    claimed: dict[str, str] = {}
    began = time.monotonic()
    outcomes = (pool.inline(sources, settings) if jobs == 1
                else pool.pooled(sources, settings, jobs))
    progress.start(result.total)
    try:
        with _StopFlag() as stop:
            for outcome in outcomes:
                _take(outcome, out, sink, claimed, result, force=force, resume=resume, store=store)
                result.slow_fonts = result.slow_fonts or outcome.slow_fonts
                progress.advance(result.finished, result.failed)
                if stop.requested:
                    result.interrupted = result.finished < result.total
                    break
    except KeyboardInterrupt:
        result.interrupted = True
    except BrokenProcessPool as exc:
        raise TripodError("batch: a worker process stopped unexpectedly; the finished results are "
                          "kept; rerun with --resume to finish") from exc
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()
        progress.stop()
        result.seconds = time.monotonic() - began
        try:
            sink.close()
        except OSError as exc:
            raise _unwritable(out, exc) from None
    return result


def _take(outcome: Outcome, out: Path, sink: Sink, claimed: dict[str, str], result: BatchResult,
          *, force: bool, resume: bool, store: Callable[[AssessmentRecord], object] | None
          ) -> None:
    source = outcome.source
    row = outcome.row or {}
    if outcome.name is not None:
        # Case-insensitive file systems would make TR-1 and tr-1 one file: compare as they would.
        key = outcome.name.casefold()
        first = claimed.setdefault(key, source)
        if first != source:
            result.failed += 1
            sink.error(source, str(Problem(
                source, "client.id", show_value(row.get("client_id") or outcome.name),
                f"same client and date as {first} (output {outcome.name}.json); allowed one case "
                "per client and date in a batch")), row.get("client_id"), row.get("assessed_on"))
            return
    if outcome.problems is not None:
        result.failed += 1
        result.internal += outcome.internal
        sink.error(source, outcome.problems, row.get("client_id"), row.get("assessed_on"))
        return
    assert outcome.name is not None and outcome.row is not None
    target = out / f"{outcome.name}.json"
    if outcome.done_before or (resume and target.exists()):
        result.done_before += 1
        sink.row(outcome.row)
        return
    assert outcome.document is not None
    written = [out / name for name in outcome.reports]
    if not force:
        for path in [target] if resume else [target, *written]:
            if path.exists():
                raise _refuse(path, out, "exists; allowed --force to overwrite it or --resume "
                              "to keep it")
    for content, path in zip(outcome.reports.values(), written):
        _write(path, content)
    if store is not None:
        assert outcome.record is not None
        store(outcome.record)
    # The JSON last: its presence is what marks the case finished for --resume.
    _write(target, outcome.document)
    result.assessed += 1
    sink.row(outcome.row)
