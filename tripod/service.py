"""The screening service: the one place where a case is assessed, judged for solidity (what-if),
stored and rendered.

Every front end goes through it: ``tripod assess``, ``whatif`` and ``report``, each case of
``tripod batch`` (in its worker process, with the worker's one engine), the intake when it finishes
and when it offers reports, and the record commands that show a stored assessment. A case is
assessed once: the what-if analysis starts from that assessment instead of making its own.

The engine, the store and the renderers are imported inside the functions that use them, so a
command that needs none of them (``tripod --help``) loads none of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from engine.history import Change, History
    from engine.inference import TripodEngine
    from engine.intake import Case
    from engine.trace import Assessment
    from engine.whatif import WhatIf
    from reports.progress import Progress
    from storage.clinic_config import Clinic
    from storage.records import AssessmentRecord, ClientSummary, StoredAssessment
    from storage.store import Store

ReportFormat = Literal["html", "pdf"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("html", "pdf")


AUDIENCES = ("practitioner", "client")


def report_name(client_id: str, assessed_on: str, audience: str, fmt: str, version: int = 1) -> str:
    """The one file name of a report, shared by the intake, ``tripod batch`` and anything else that
    names one: ``<client id>_<assessed on>[_v<version>]_<audience>.<format>`` (a corrected visit's
    later version carries its number)."""
    again = f"_v{version}" if version > 1 else ""
    return f"{client_id}_{assessed_on}{again}_{audience}.{fmt}"


def report_formats(names: Iterable[str]) -> tuple[ReportFormat, ...]:
    """The report formats among ``names``, once each, in the order given."""
    return tuple(fmt for name in dict.fromkeys(names) for fmt in REPORT_FORMATS if fmt == name)


@dataclass(frozen=True)
class Screening:
    """One case and what Tripod made of it; ``solidity`` only once it has been judged (and None
    when that analysis failed: an optional section never costs a report); ``progress`` only for a
    stored follow-up whose client has earlier visits (:func:`with_progress`)."""

    case: Case
    assessment: Assessment
    solidity: WhatIf | None = None
    progress: Progress | None = None


class Screener:
    """Screens cases with one rule engine, built on first use and reused for every case."""

    def __init__(self, engine: TripodEngine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> TripodEngine:
        if self._engine is None:
            from engine.inference import build_engine

            self._engine = build_engine()
        return self._engine

    def screen(self, case: Case, *, judge: bool = False) -> Screening:
        """Assess ``case``; with ``judge``, also say how solid the conclusion is."""
        from engine.inference import assess

        screening = Screening(case, assess(case, self.engine))
        return self.judge(screening) if judge else screening

    def judge(self, screening: Screening) -> Screening:
        """``screening`` with its what-if analysis, started from the assessment it already has."""
        from engine.whatif import solidity

        judged = solidity(screening.case, self.engine, baseline=screening.assessment)
        return dataclasses.replace(screening, solidity=judged)

    def analyse(self, case: Case) -> WhatIf:
        """The full what-if analysis of ``case`` (``tripod whatif``), failures raised."""
        from engine.whatif import analyse

        return analyse(case, self.engine)


def screen(case: Case, *, judge: bool = False) -> Screening:
    """Assess one case with a new engine; see :meth:`Screener.screen`."""
    return Screener().screen(case, judge=judge)


def from_store(stored: StoredAssessment) -> Screening:
    """A stored assessment with the case it was made from, as this version's models."""
    return Screening(stored.intake(), stored.assessment())


def judged_today(stored: StoredAssessment, screening: Screening) -> Screening:
    """``screening`` judged for solidity when today's rules made the stored assessment; as it is
    otherwise (an analysis by other rules would not explain it)."""
    from knowledge.catalog import catalog

    if stored.knowledge_version != catalog().version:
        return screening
    return Screener().judge(screening)


# -- rendering -------------------------------------------------------------------------------------


def as_text(assessment: Assessment) -> str:
    """The assessment as ``tripod assess`` prints it."""
    from reports.render import render_text

    return render_text(assessment)


def visit_text(case: Case) -> str:
    """The case's own account (visit sections and notes) as ``tripod show`` prints it."""
    from reports.render import render_visit_text

    return render_visit_text(case)


def whatif_text(analysis: WhatIf) -> str:
    """The what-if analysis as ``tripod whatif`` prints it."""
    from reports.render import render_whatif_text

    return render_whatif_text(analysis)


def clinic(path: Path | None = None) -> Clinic:
    """The clinic's details printed on every report: from ``path`` (``--clinic``), else
    ``clinic.yaml`` in the user's config folder (``storage/clinic_config.py``); InputError, one
    line, for a bad file, or for a ``path`` that does not exist."""
    from storage.clinic_config import read_clinic

    if path is not None and not path.exists():
        from engine.errors import InputError, Problem, show_value

        raise InputError([Problem("report", "--clinic", show_value(str(path)),
                                  "no such file; allowed a clinic YAML file")])
    return read_clinic(path)


def with_progress(records: Store, stored: StoredAssessment, screening: Screening) -> Screening:
    """``screening`` of the stored visit ``stored`` with its client's progress up to that visit
    (every earlier visit's outcome measures, the judged change and the verdict) when the client has
    earlier visits; as it is otherwise."""
    from reports.progress import progress

    found = client_history(records, stored.client_id)
    made = None if found is None else progress(found, stored.id, _reason)
    return dataclasses.replace(screening, progress=made)


def reports(screening: Screening, audience: str, formats: tuple[ReportFormat, ...],
            details: Clinic | None = None) -> dict[ReportFormat, str | bytes]:
    """The report of ``screening`` for ``audience`` in each of ``formats``, with the clinic's
    ``details`` (read from the config folder when not given): the HTML is rendered once, and the
    PDF is laid out from it. WeasyPrint's OSError (no Pango, no font) is raised."""
    from reports.render import render_report

    html = render_report(screening.assessment, screening.case, audience, screening.solidity,
                         progress=screening.progress,
                         clinic=clinic() if details is None else details)
    out: dict[ReportFormat, str | bytes] = {}
    for fmt in formats:
        if fmt == "html":
            out[fmt] = html
        else:
            from reports.pdf import html_to_pdf

            out[fmt] = html_to_pdf(html)
    return out


def pdf_available() -> bool:
    """Whether this installation can write PDF reports (an optional part of it)."""
    try:
        import reports.pdf  # noqa: F401
    except ImportError:
        return False
    return True


def fonts_embedded_slowly() -> bool:
    """Whether a PDF made in this process embedded its fonts without HarfBuzz subsetting."""
    from reports.pdf import fonts_embedded_slowly as slowly

    return slowly()


# -- the record store ------------------------------------------------------------------------------


def record(screening: Screening) -> AssessmentRecord:
    """What the store keeps of ``screening``, as plain data: it pickles, so a batch worker makes it
    and the batch's parent, the one writer, stores it without validating the case again."""
    from storage.records import AssessmentRecord

    return AssessmentRecord.of(screening.case, screening.assessment)


def keep(records: Store, screening: Screening | AssessmentRecord,
         draft_id: int | None = None) -> StoredAssessment:
    """Store a screening (or its record) in ``records``; see :meth:`Store.add_record`."""
    made = record(screening) if isinstance(screening, Screening) else screening
    return records.add_record(made, draft_id=draft_id)


# -- a client's history ----------------------------------------------------------------------------


def client_history(records: Store, client_id: str) -> History | None:
    """Every visit of ``client_id`` in ``records`` judged one against the next (``tripod-history/1``);
    None when the store holds no such client. A corrected screening is one visit: its latest version."""
    from engine.history import Visit, history

    rows = [row for row in records.history(client_id) if row.superseded_by is None]
    if not rows:
        return None
    return history(client_id, [Visit(row.id, row.version, row.case, row.intake(), row.assessment())
                               for row in rows])


def clients_document(rows: list[ClientSummary]) -> dict[str, object]:
    """``tripod clients --format json`` (``tripod-clients/1``, ARCHITECTURE.md): every client with its
    number of screenings and the date of the last one."""
    return {"format": "tripod-clients/1", "clients": [
        {"id": row.id, "name": row.name, "screenings": row.assessments,
         "last_assessed_on": row.last_assessed_on.isoformat() if row.last_assessed_on else None}
        for row in rows]}


def _say(key: str, **values: object) -> str:
    from knowledge.catalog import messages

    return messages().say(f"history.{key}", **values)


def _number(value: object) -> str:
    from reports.shown import shown

    return shown(value)


def _signed(value: float) -> str:
    return f"+{_number(value)}" if value > 0 else _number(value)


def history_text(found: History) -> str:
    """The judged history as ``tripod history`` prints it: each visit, then each change with its
    outcomes, observations beyond error, findings, root cause, confidence, notes and verdict."""
    from knowledge.catalog import catalog

    texts = catalog().texts
    lines = [_say("head", client=found.client_id, count=len(found.visits),
                  s="s" if len(found.visits) != 1 else "")]
    number = {visit.assessment_id: visit for visit in found.visits}
    for visit in found.visits:
        lines.append(_say("visit", id=visit.assessment_id, date=visit.assessed_on,
                          visit=visit.visit, version=visit.version,
                          corrected=_say("corrected") if visit.version > 1 else ""))
        status = texts.statuses[visit.status].title
        rc = visit.root_cause
        lines.append(_say("root", status=status) if rc is None else _say(
            "root_cause", status=status, title=texts.root_causes[rc.id].title,
            sides=f" ({', '.join(rc.sides)})" if rc.sides else "", confidence=rc.confidence))
        if visit.outcomes:
            lines.append(_say("outcomes", values=", ".join(
                f"{name} {_number(value)}" for name, value in visit.outcomes.items())))
    for change in found.changes:
        days = (number[change.to].assessed_on - number[change.from_].assessed_on).days
        lines.extend(_change_lines(change, days))
    return "\n".join(lines) + "\n"


def _change_lines(change: Change, days: int) -> list[str]:
    from knowledge.catalog import catalog

    words = catalog().follow_up.verdicts[change.hypothesis]
    lines = [_say("change", first=change.from_, then=change.to, days=days)]
    for outcome in change.outcomes:
        lines.append(_say("outcome", measure=outcome.measure, before=_number(outcome.before),
                          after=_number(outcome.after), change=_signed(outcome.change),
                          threshold=_number(outcome.threshold),
                          judgement=_say(f"judged_{outcome.judgement}")))
    if not change.outcomes:
        lines.append(_say("no_outcome"))
    if change.psfs_activities is not None:
        for activity in change.psfs_activities.new:
            lines.append(_say("psfs_new", activity=activity))
        for activity in change.psfs_activities.dropped:
            lines.append(_say("psfs_dropped", activity=activity))
    counted: dict[str, int] = {}
    carried = []
    for seen in change.observations:
        counted[seen.judgement] = counted.get(seen.judgement, 0) + 1
        if seen.judgement == "not_reassessed":
            carried.append(seen.path)
            continue
        if seen.judgement in ("within_error", "no_error_figure") and seen.before == seen.after \
                and not seen.note:
            continue
        extra = _say("error", error=_number(seen.error), status=seen.error_status) \
            if seen.error is not None else ""
        lines.append(_say("observation", path=seen.path, before=_value(seen.before),
                          after=_value(seen.after), error=extra,
                          judgement=_say(f"judged_{seen.judgement}")))
        if seen.note:
            lines.append(_say("observation_note", note=seen.note))
    still = sum(1 for seen in change.observations if seen.before == seen.after)
    if still:
        lines.append(_say("unmoved", count=still))
    if carried:
        lines.append(_say("not_reassessed", first=change.from_, paths=", ".join(carried)))
    for key, found in (("resolved", change.findings_resolved), ("new", change.findings_new),
                       ("not_reassessed", change.findings_not_reassessed)):
        if found:
            lines.append(_say(f"findings_{key}", findings=", ".join(found)))
    if change.root_cause_changed:
        lines.append(_say("root_changed"))
        lines.extend(_say("because", reason=reason) for reason in change.because)
    else:
        lines.append(_say("root_unchanged"))
    confidence = change.confidence
    if confidence is not None:
        key = "confidence_fell_improved" if confidence.fell_because_improved else "confidence_moved"
        lines.append(_say(key, before=confidence.before, after=confidence.after,
                          findings=", ".join(confidence.findings_resolved)))
    lines.extend(_say("note", note=note) for note in change.notes)
    lines.append(_say("hypothesis", title=words.title, text=words.text))
    for step in change.hypothesis_trace:
        lines.append(_say("hypothesis_step", rule=step.rule, claims=", ".join(step.claims),
                          sources=", ".join(step.sources) or "-"))
        lines.extend(_say("hypothesis_fact", fact=_reason(fact)) for fact in step.used)
    return lines


def _reason(fact: str) -> str:
    """A fact behind the verdict (as its trace names it, ``engine/verdict_facts.py``) in words,
    followed by its name."""
    from knowledge.catalog import catalog

    kind, _, rest = fact.partition(":")
    if kind == "since_last_visit.adherence":
        said = _say("reason_adherence", level=rest)
    elif kind == "elapsed_days":
        said = _say("reason_elapsed", days=rest, needed=catalog().follow_up.verdict.min_days)
    elif kind == "first_visit":
        said = _say("reason_first_visit")
    elif kind == "outcome":
        measure, judgement = rest.split(":")
        said = _say("reason_outcome", measure=measure, judgement=_say(f"judged_{judgement}"))
    else:  # finding:<id>[:<side>]:<state>
        finding, state = rest.rsplit(":", 1)
        said = _say(f"reason_finding_{state}", finding=finding)
    return _say("reason", said=said, fact=fact)


def _value(value: object) -> str:
    from reports.shown import shown

    return shown(value, unknown=_say("not_assessed"), brackets=True)
def amend(records: Store, original_id: int, case: Case,
          draft_id: int | None = None) -> StoredAssessment:
    """Store ``case``, the reviewed correction of stored assessment ``original_id``, as its next
    version (the store keeps every version: a correction is a new row that supersedes the latest).

    A correction keeps the client and the date it corrects: the store versions a visit by them, so
    either changed would store another visit instead. Each is a one-line problem (InputError).
    """
    from engine.errors import InputError, Problem, show_value

    original = records.assessment(original_id)
    if original is None:
        raise InputError([Problem("amend", "ASSESSMENT", str(original_id),
                                  f"no such assessment in {records.where}")])
    kept = [("client.id", case.client.id, original.client_id),
            ("assessed_on", case.assessed_on, original.assessed_on)]
    problems = [Problem("amend", name, show_value(str(now)),
                        f"a correction of assessment {original_id} keeps its {name}; allowed "
                        f"{show_value(str(then))}")
                for name, now, then in kept if now != then]
    if problems:
        raise InputError(problems)
    return keep(records, screen(case), draft_id=draft_id)
