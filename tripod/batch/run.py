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
  (``<name>.practitioner.html``, ``.pdf``) and are written before the JSON, so a present JSON means
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

import csv
import json
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any, Self

from engine.errors import (
    CaseFileError,
    InputError,
    InternalError,
    Problem,
    TripodError,
    internal_problem,
    show_value,
)
from engine.intake import CLIENT_ID
from storage.casefile import (
    SUFFIXES,
    case_to_document,
    load_case,
    make_private_folder,
    read_regular,
    write_atomic,
)
from storage.safe_output import refuse_special, remove_leftovers, temporary_file, tighten
from tripod.batch.parent_watch import exit_with_parent
from tripod.progress import NoProgress, Progress

SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
ERRORS = "errors.txt"
SUMMARY_FORMATS = ("csv", "json")
REPORT_FORMATS = ("html", "pdf")
# A batch is a practitioner's tool: its reports are the practitioner's, and say so in their names.
REPORT_AUDIENCE = "practitioner"
# (assessment, case, audience, what-if analysis) -> the report file's text or bytes; a module-level
# function, since it travels to the worker processes by name.
Renderer = Callable[[Any, Any, str, Any], "str | bytes"]
COLUMNS = ("client_id", "assessed_on", "source", "output", "status", "urgency", "root_cause",
           "confidence", "findings")
FAILED = "failed"
# Results waiting in the parent, per worker: enough to keep every worker busy, few enough that the
# memory held does not grow with the batch.
WINDOW_PER_JOB = 4


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


# --------------------------------------------------------------------------------------------------
# Input files and output names


def find_case_files(paths: Sequence[Path], skip: Sequence[Path] = ()) -> list[str]:
    """Every case file under ``paths``: directories walked recursively in sorted order, hidden files
    and folders skipped, only .yaml/.yml/.json taken; a file named directly is taken as it is (and
    reported if it is not a case file). ``skip`` folders (the output folder) are never entered;
    symbolic links to folders are not followed.

    This list and the output names taken are all a batch holds whole, as plain strings (a few
    hundred bytes a case); results are never held.
    """
    skipped = {os.path.realpath(p) for p in skip}
    found: list[str] = []
    seen: set[str] = set()

    def take(path: str) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            found.append(path)

    for path in paths:
        try:
            folder = path.is_dir()
        except OSError:  # a name too long for the system, say: load_case says why, for that file
            folder = False
        if not folder:
            take(str(path))
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and os.path.realpath(os.path.join(root, d)) not in skipped)
            for name in sorted(files):
                if not name.startswith(".") and os.path.splitext(name)[1].lower() in SUFFIXES:
                    take(os.path.join(root, name))
    return found


def output_name(client_id: str, assessed_on: str) -> str:
    """The output base name of a case, ``<client id>_<assessed on>``; ValueError for an id that
    could name anything but a plain file in the output folder."""
    if not CLIENT_ID.fullmatch(client_id) or not client_id.strip("."):
        raise ValueError("allowed 1 to 64 of A-Z a-z 0-9 . _ - with at least one letter, digit, "
                         "_ or - (it names the output file)")
    name = f"{client_id}_{assessed_on}"
    if os.path.basename(name) != name or os.sep in name or (os.altsep and os.altsep in name):
        raise ValueError("allowed a plain file name")  # pragma: no cover - the pattern forbids it
    return name


# --------------------------------------------------------------------------------------------------
# The worker side: one engine per process, reused for every case it is given


@dataclass(frozen=True)
class Settings:
    """What every worker needs to know about the batch."""

    out: str
    resume: bool
    reports: tuple[tuple[str, Renderer], ...] = ()
    with_case: bool = False  # send the case document back too (for the record store)
    parent: int = field(default_factory=os.getpid)  # the batch; its workers end with it


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one case file; the parent decides what to write."""

    source: str
    problems: str | None = None
    name: str | None = None
    row: dict[str, Any] | None = None
    document: str | None = None
    reports: dict[str, bytes] = field(default_factory=dict)
    done_before: bool = False
    case: dict[str, Any] | None = None
    internal: bool = False  # the problem is a fault in Tripod, not in the file


_ENGINE: Any = None
_SETTINGS: Settings | None = None


def _init_worker(settings: Settings) -> None:
    # Ctrl-C reaches the whole process group; the parent alone decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(settings.parent)  # a SIGKILL reaches the batch alone
    global _ENGINE, _SETTINGS
    from engine.inference import build_engine

    _ENGINE = build_engine()
    _SETTINGS = settings


def _work_in_worker(source: str) -> Outcome:
    assert _SETTINGS is not None
    return assess_file(source, _SETTINGS, _ENGINE)


def _row(source: str, output: str, client_id: str, assessed_on: str, document: dict[str, Any]
         ) -> dict[str, Any]:
    root = document.get("root_cause") or {}
    findings = [f"{f['id']}:{f['side']}" if f.get("side") else str(f["id"])
                for f in document.get("findings", ())]
    return {
        "client_id": client_id,
        "assessed_on": assessed_on,
        "source": source,
        "output": output,
        "status": document.get("status"),
        "urgency": (document.get("referral") or {}).get("urgency"),
        "root_cause": root.get("id"),
        "confidence": root.get("confidence"),
        "findings": findings,
    }


def assess_file(source: str, settings: Settings, engine: Any) -> Outcome:
    """Load, assess and render one case file; never raises for a bad file, nor for a fault no
    check foresaw: one file's failure is a line in errors.txt, and the batch goes on."""
    try:
        return _assess_file(source, settings, engine)
    except Exception as exc:  # noqa: BLE001 - one failing file must not stop the batch
        return Outcome(source=source, problems=_internal(source, exc, stage="reading"),
                       internal=True)


def _assess_file(source: str, settings: Settings, engine: Any) -> Outcome:
    from engine.inference import assess
    from engine.whatif import solidity as what_if

    try:
        case = load_case(source)
    except TripodError as exc:
        return Outcome(source=source, problems=str(exc), internal=isinstance(exc, InternalError))
    client_id, assessed_on = case.client.id, case.assessed_on.isoformat()
    try:
        name = output_name(client_id, assessed_on)
    except ValueError as exc:
        return Outcome(source=source, problems=str(Problem(source, "client.id", show_value(client_id),
                                                           str(exc))))
    target = Path(settings.out, f"{name}.json")
    if settings.resume and target.exists():
        try:
            # Read as a case file is: a FIFO or a device in its place must not block or flood.
            document = json.loads(read_regular(str(target), target).decode("utf-8"))
            row = _row(source, target.name, client_id, assessed_on, document)
        except CaseFileError as exc:
            return Outcome(source=source, name=name, problems=str(exc))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            # Not JSON, or JSON of another shape (a list, findings without ids): not ours to keep.
            return Outcome(source=source, name=name, problems=str(Problem(
                str(target), "(file)", "(not a tripod-assessment/1 document)",
                "allowed a finished assessment; --force replaces it")))
        return Outcome(source=source, name=name, done_before=True, row=row)
    try:
        assessment = assess(case, engine)
        text = assessment.to_json()
    except Exception as exc:  # noqa: BLE001 - one failing case must not stop the batch
        return Outcome(source=source, name=name, problems=_internal(source, exc), internal=True)
    try:
        # The practitioner's report says how solid its conclusion is, as `tripod report` does;
        # should that analysis fail, the report goes without it and the assessment is kept.
        solidity = what_if(case, engine) if settings.reports else None
        reports = {fmt: _bytes(render(assessment, case, REPORT_AUDIENCE, solidity))
                   for fmt, render in settings.reports}
    except Exception as exc:  # noqa: BLE001 - one failing case must not stop the batch
        return Outcome(source=source, name=name, problems=_internal(source, exc, "reporting"),
                       internal=True)
    document = assessment.model_dump(mode="json", include={"status", "referral", "root_cause",
                                                          "findings"})
    return Outcome(source=source, name=name, document=text, reports=reports,
                   row=_row(source, target.name, client_id, assessed_on, document),
                   case=case_to_document(case) if settings.with_case else None)


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def report_name(name: str, fmt: str) -> str:
    return f"{name}.{REPORT_AUDIENCE}.{fmt}"


# --------------------------------------------------------------------------------------------------
# The parent side: results in input order, a bounded window, writes


def _inline(sources: Iterable[str], settings: Settings) -> Iterator[Outcome]:
    from engine.inference import build_engine

    engine = build_engine()
    for source in sources:
        yield assess_file(source, settings, engine)


def _context() -> Any:
    import multiprocessing

    # forkserver: workers fork from a clean server that has the engine imported once, so they start
    # fast, share no state with the parent (no patient data copied, no progress thread forked).
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tripod.batch.run", "engine.inference"])
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _pooled(sources: Iterable[str], settings: Settings, jobs: int) -> Iterator[Outcome]:
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_init_worker,
                               initargs=(settings,))
    window: deque[tuple[str, Future[Outcome]]] = deque()
    try:
        for source in sources:
            window.append((source, pool.submit(_work_in_worker, source)))
            if len(window) >= jobs * WINDOW_PER_JOB:
                yield _result(*window.popleft())
        while window:
            yield _result(*window.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result(source: str, future: Future[Outcome]) -> Outcome:
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot travel back; not the batch's end
        return Outcome(source=source, problems=_internal(source, exc), internal=True)


def _internal(source: str, exc: BaseException, stage: str = "assessing") -> str:
    # The exception's text may quote the case; its type is enough to find the bug.
    return str(internal_problem(source, exc, stage))


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


class _Spool:
    """An output file written piece by piece to a temporary file, renamed into place on close."""

    def __init__(self, path: Path, head: str = "") -> None:
        self.path = path
        refuse_special(path)
        fd, self.tmp = temporary_file(path)
        # A file name whose bytes are not UTF-8 reaches Python with surrogates: written escaped.
        self.handle: IO[str] = os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace",
                                         newline="")
        self.handle.write(head)

    def discard(self) -> None:
        self.handle.close()
        Path(self.tmp).unlink(missing_ok=True)

    def close(self, tail: str = "") -> None:
        self.handle.write(tail)
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.chmod(self.tmp, 0o600)
        refuse_special(self.path)
        os.replace(self.tmp, self.path)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting = + - @ (a source path can) is quoted."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _inert_name(name: str | None) -> str | None:
    """An output file's name, made inert so that it still names the file: ./-12_2026-11-22.json
    (a client id may start with -), where a quote would name nothing."""
    if name is not None and name.startswith(_FORMULA_STARTS):
        return f"./{name}"
    return name


class _Sink:
    """The summary and errors files of one batch, written row by row."""

    def __init__(self, out: Path, formats: Sequence[str]) -> None:
        self.spools: list[_Spool] = []
        self.csv: Any = None
        self.json: _Spool | None = None
        self.rows = 0
        try:
            if "csv" in formats:
                spool = self._open(out / SUMMARY_CSV)
                self.csv = csv.DictWriter(spool.handle, fieldnames=COLUMNS)
                self.csv.writeheader()
            if "json" in formats:
                self.json = self._open(out / SUMMARY_JSON, "[")
            self.errors = self._open(out / ERRORS)
        except BaseException:
            for opened in self.spools:  # the ones opened before the failure leave nothing
                opened.discard()
            raise

    def _open(self, path: Path, head: str = "") -> _Spool:
        spool = _Spool(path, head)
        self.spools.append(spool)
        return spool

    def row(self, row: dict[str, Any]) -> None:
        if self.csv is not None:
            cells = {**row, "findings": " ".join(row["findings"])}
            self.csv.writerow({key: _inert_name(value) if key == "output" else _inert(value)
                               for key, value in cells.items()})
        if self.json is not None:
            self.json.handle.write(("\n" if not self.rows else ",\n") + json.dumps(row))
        self.rows += 1

    def error(self, source: str, problems: str, client_id: str | None = None,
              assessed_on: str | None = None) -> None:
        self.errors.handle.write(problems.rstrip("\n") + "\n")
        self.row({column: None for column in COLUMNS} | {
            "source": source, "status": FAILED, "findings": [], "client_id": client_id,
            "assessed_on": assessed_on})

    def close(self) -> None:
        for spool in self.spools:
            spool.close("\n]\n" if spool is self.json else "")


@dataclass
class BatchResult:
    total: int
    assessed: int = 0
    done_before: int = 0
    failed: int = 0
    internal: int = 0  # of the failed, those that met a fault in Tripod itself
    interrupted: bool = False
    seconds: float = 0.0

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
            or any(name.endswith(f".{REPORT_AUDIENCE}.{fmt}") for fmt in REPORT_FORMATS))


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
    reports: Mapping[str, Renderer] | None = None,
    jobs: int = 1,
    force: bool = False,
    resume: bool = False,
    progress: Progress | None = None,
    store: Callable[[Any, Any], object] | None = None,
    say: Callable[[str], object] = lambda line: None,
) -> BatchResult:
    """Assess every case file under ``paths`` into ``out``; see the module docstring.

    Raises InputError (exit 2) for bad options or when an output exists and neither ``force`` nor
    ``resume`` is given; TripodError (exit 1) naming the folder and the system's reason when an
    output cannot be written; a case file that fails is listed in errors.txt and counted, not raised.
    ``reports`` maps a file suffix (html, pdf) to the function that renders it, given by the
    caller (the CLI), so that ``engine/`` does not import ``reports/``; each runs in the worker.
    ``store`` is called with the Case and the Assessment of each case assessed in this run (not
    with those ``resume`` keeps: they were stored when they were assessed), before its JSON is
    written, so a case stored but interrupted before its JSON is assessed and offered again.
    ``say`` is given a line for the person running the batch when an existing ``out`` was open to
    others (it is made owner-only) or held a killed batch's temporary files (they are removed).
    """
    if force and resume:
        raise InputError([Problem("batch", "--force/--resume", "both given",
                                  "allowed one of them: --force redoes every case, --resume keeps "
                                  "finished ones")])
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
        sink = _Sink(out, formats)
    except OSError as exc:
        raise _unwritable(out, exc) from None
    progress = progress or NoProgress()
    settings = Settings(out=str(out), resume=resume, reports=tuple((reports or {}).items()),
                        with_case=store is not None)
    result = BatchResult(total=len(sources))
    claimed: dict[str, str] = {}
    began = time.monotonic()
    outcomes = _inline(sources, settings) if jobs == 1 else _pooled(sources, settings, jobs)
    progress.start(result.total)
    try:
        with _StopFlag() as stop:
            for outcome in outcomes:
                _take(outcome, out, sink, claimed, result, force=force, resume=resume, store=store)
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


def _take(outcome: Outcome, out: Path, sink: _Sink, claimed: dict[str, str], result: BatchResult,
          *, force: bool, resume: bool, store: Callable[[Any, Any], object] | None) -> None:
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
    written = [out / report_name(outcome.name, fmt) for fmt in outcome.reports]
    if not force:
        for path in [target] if resume else [target, *written]:
            if path.exists():
                raise _refuse(path, out, "exists; allowed --force to overwrite it or --resume "
                              "to keep it")
    for content, path in zip(outcome.reports.values(), written):
        _write(path, content)
    if store is not None:
        from engine.intake import Case
        from engine.trace import Assessment

        # Rebuilt from plain data: a validated Case does not pickle (its generic section models).
        store(Case.model_validate(outcome.case), Assessment.model_validate_json(outcome.document))
    # The JSON last: its presence is what marks the case finished for --resume.
    _write(target, outcome.document)
    result.assessed += 1
    sink.row(outcome.row)
