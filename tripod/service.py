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
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from engine.inference import TripodEngine
    from engine.intake import Case
    from engine.trace import Assessment
    from engine.whatif import WhatIf
    from storage.records import AssessmentRecord, StoredAssessment
    from storage.store import Store

ReportFormat = Literal["html", "pdf"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("html", "pdf")


def report_formats(names: Iterable[str]) -> tuple[ReportFormat, ...]:
    """The report formats among ``names``, once each, in the order given."""
    return tuple(fmt for name in dict.fromkeys(names) for fmt in REPORT_FORMATS if fmt == name)


@dataclass(frozen=True)
class Screening:
    """One case and what Tripod made of it; ``solidity`` only once it has been judged (and None
    when that analysis failed: an optional section never costs a report)."""

    case: Case
    assessment: Assessment
    solidity: WhatIf | None = None


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


def reports(screening: Screening, audience: str,
            formats: tuple[ReportFormat, ...]) -> dict[ReportFormat, str | bytes]:
    """The report of ``screening`` for ``audience`` in each of ``formats``: the HTML is rendered
    once, and the PDF is laid out from it. WeasyPrint's OSError (no Pango, no font) is raised."""
    from reports.render import render_report

    html = render_report(screening.assessment, screening.case, audience, screening.solidity)
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
