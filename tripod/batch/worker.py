"""One case of a batch, start to finish: read, name, assess, judge, render (``tripod batch``).

Runs in a worker process (or in the batch's own, with one job) with the worker's one
:class:`~tripod.service.Screener`, and never raises: whatever one file does wrong comes back as an
:class:`Outcome` with its problem lines, and the parent, the one writer, decides what to write.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import (
    CaseFileError,
    InternalError,
    Problem,
    TripodError,
    internal_problem,
    show_value,
)
from storage.casefile import load_case, read_regular
from storage.clinic_config import Clinic
from storage.records import AssessmentRecord
from tripod import service
from tripod.batch.discovery import output_name
from tripod.service import ReportFormat, Screener


@dataclass(frozen=True)
class Settings:
    """What every worker needs to know about the batch."""

    out: str
    resume: bool
    reports: tuple[ReportFormat, ...] = ()  # the reports, in these formats
    audiences: tuple[str, ...] = ("practitioner",)  # for these readers
    clinic: Clinic | None = None  # the clinic's details on every report, read once by the batch
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
    reports: dict[str, bytes] = field(default_factory=dict)  # by file name (service.report_name)
    done_before: bool = False
    record: AssessmentRecord | None = None  # what the record store keeps, made in the worker
    internal: bool = False  # the problem is a fault in Tripod, not in the file
    slow_fonts: bool = False  # its PDF's fonts were embedded without HarfBuzz subsetting


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


def assess_file(source: str, settings: Settings, screener: Screener) -> Outcome:
    """Load, assess and render one case file; never raises for a bad file, nor for a fault no
    check foresaw: one file's failure is a line in errors.txt, and the batch goes on."""
    try:
        return _assess_file(source, settings, screener)
    except Exception as exc:  # noqa: BLE001 - one failing file must not stop the batch
        return Outcome(source=source, problems=_internal(source, exc, stage="reading"),
                       internal=True)


def _assess_file(source: str, settings: Settings, screener: Screener) -> Outcome:
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
        screening = screener.screen(case)
        record = service.record(screening) if settings.with_case else None
        text = record.assessment_json if record is not None else screening.assessment.to_json()
    except Exception as exc:  # noqa: BLE001 - one failing case must not stop the batch
        return Outcome(source=source, name=name, problems=_internal(source, exc), internal=True)
    try:
        # The practitioner's report says how solid its conclusion is, as `tripod report` does;
        # should that analysis fail, the report goes without it and the assessment is kept.
        reports: dict[str, bytes] = {}
        judged = screener.judge(screening) if settings.reports else screening
        for audience in settings.audiences if settings.reports else ():
            rendered = service.reports(judged, audience, settings.reports, settings.clinic)
            reports.update({service.report_name(client_id, assessed_on, audience, fmt):
                            _bytes(content) for fmt, content in rendered.items()})
    except Exception as exc:  # noqa: BLE001 - one failing case must not stop the batch
        return Outcome(source=source, name=name, problems=_internal(source, exc, "reporting"),
                       internal=True)
    document = screening.assessment.model_dump(
        mode="json", include={"status", "referral", "root_cause", "findings"})
    return Outcome(source=source, name=name, document=text, reports=reports,
                   row=_row(source, target.name, client_id, assessed_on, document), record=record,
                   slow_fonts="pdf" in settings.reports and service.fonts_embedded_slowly())


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def _internal(source: str, exc: BaseException, stage: str = "assessing") -> str:
    # The exception's text may quote the case; its type is enough to find the bug.
    return str(internal_problem(source, exc, stage))
