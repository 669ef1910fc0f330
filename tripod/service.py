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
    from markupsafe import Markup

    from engine.history import History
    from engine.inference import TripodEngine
    from engine.intake import Case
    from engine.trace import Assessment
    from engine.whatif import WhatIf
    from reports.progress import Progress
    from storage.clinic_config import Clinic
    from storage.records import AssessmentRecord, ClientSummary, StoredAssessment
    from storage.store import Store
    from tripod_fhir.questionnaire import QuestionLike

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
    return with_history(client_history(records, stored.client_id), stored.id, screening)


def with_history(found: History | None, stored_id: int, screening: Screening) -> Screening:
    """``screening`` with the progress that the judged history ``found`` gives up to the visit
    ``stored_id`` (none without earlier visits)."""
    from reports.history_text import fact_in_words
    from reports.progress import progress

    made = None if found is None else progress(found, stored_id, fact_in_words)
    return dataclasses.replace(screening, progress=made)


def stored_screening(records: Store, stored: StoredAssessment, judge: bool) -> Screening:
    """The screening a report of the stored visit ``stored`` shows (``tripod report ID``, the web's
    report of a visit): as it was stored, a follow-up's with its client's progress up to that visit;
    with ``judge`` (the practitioner's), how solid it is when today's rules made it."""
    screening = with_progress(records, stored, from_store(stored))
    return judged_today(stored, screening) if judge else screening


def progress_html(found: History, audience: str = "practitioner") -> Markup | None:
    """The progress of a client's judged history ``found`` up to its last visit as the reports draw
    it (``reports.render.render_progress``), for a page: SVG with no style attribute; None for a
    client with one visit."""
    from reports.history_text import fact_in_words
    from reports.progress import progress
    from reports.render import render_progress

    made = progress(found, found.visits[-1].assessment_id, fact_in_words)
    return None if made is None else render_progress(made, audience)


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
    """Store a screening (or its record) in ``records``, signed by the account acting, and
    recorded in the audit trail (``store``, or ``amend`` for a correction); see
    :meth:`Store.add_record` and ``tripod/acting.py``."""
    from tripod.acting import actor

    made = record(screening) if isinstance(screening, Screening) else screening
    return records.add_record(made, draft_id=draft_id, signed_by=actor(records, change=True))


# -- the audit trail: what is recorded, here for every front end ---------------------------------
# A stored assessment read for a person (tripod show, history, export, a report of a stored id)
# is a ``view`` or an ``export``; storing is recorded by keep(), erasing by erase(). Ids only.


def may_change(records: Store) -> str:
    """The account acting, checked (its password asked once) as one that may change records:
    an intake calls it before its first answer is saved, so no one unknown writes even a draft."""
    from tripod.acting import actor

    return actor(records, change=True)


def look_up(records: Store, assessment_id: int, action: str = "view") -> StoredAssessment | None:
    """A stored assessment by id, its reading recorded as ``action`` (``view`` or ``export``)."""
    from tripod.acting import actor

    who = actor(records, change=False)
    stored = records.assessment(assessment_id)
    if stored is not None:
        _read(records, who, action, stored.client_id, stored.id)
    return stored


def client_history(records: Store, client_id: str) -> History | None:
    """Every visit of ``client_id`` in ``records`` judged one against the next (``tripod-history/1``),
    recorded as a ``view``; None when the store holds no such client. A corrected screening is one
    visit: its latest version."""
    found = client_record(records, client_id)
    return None if found is None else found.history


@dataclass(frozen=True)
class ClientRecord:
    """A client's stored visits (each one's latest version, oldest first) and their judged history
    (``tripod-history/1``)."""

    history: History
    visits: tuple[StoredAssessment, ...]


def client_record(records: Store, client_id: str) -> ClientRecord | None:
    """The visits of ``client_id`` and their judged history, recorded as a ``view``; None when the
    store holds no such client (:func:`client_history`)."""
    from engine.history import Visit, history
    from tripod.acting import actor

    who = actor(records, change=False)
    rows = [row for row in records.history(client_id) if row.superseded_by is None]
    if not rows:
        return None
    _read(records, who, "view", client_id, None)
    judged = history(client_id, [Visit(row.id, row.version, row.case, row.intake(),
                                       row.assessment()) for row in rows])
    return ClientRecord(judged, tuple(rows))


def history_text(found: History) -> str:
    """The judged history as ``tripod history`` prints it (``reports/history_text.py``)."""
    from reports.history_text import history_text as text

    return text(found)


def client_list(records: Store, matching: str = "") -> list[ClientSummary]:
    """The store's clients (:meth:`Store.clients`), for an account of the store; with
    ``matching``, those whose id or name holds it (letter case aside)."""
    from tripod.acting import actor

    actor(records, change=False)
    rows = records.clients()
    wanted = matching.strip().casefold()
    if not wanted:
        return rows
    return [row for row in rows
            if wanted in row.id.casefold() or wanted in (row.name or "").casefold()]


def last_visit(records: Store, client_id: str) -> StoredAssessment | None:
    """The client's last stored visit (the latest date; of a corrected one, its latest version), the
    one a follow-up starts from; None when the store holds no visit of ``client_id``. Read for a
    person, so recorded as a ``view``."""
    from tripod.acting import actor

    who = actor(records, change=False)
    rows = [row for row in records.history(client_id) if row.superseded_by is None]
    if rows:
        _read(records, who, "view", client_id, rows[-1].id)
    return rows[-1] if rows else None


def clients_document(rows: list[ClientSummary]) -> dict[str, object]:
    """``tripod clients --format json`` (``tripod-clients/1``, ARCHITECTURE.md): every client with its
    number of screenings and the date of the last one."""
    return {"format": "tripod-clients/1", "clients": [
        {"id": row.id, "name": row.name, "screenings": row.assessments,
         "last_assessed_on": row.last_assessed_on.isoformat() if row.last_assessed_on else None}
        for row in rows]}


def _read(records: Store, who: str, action: str, client_id: str,
          assessment_id: int | None) -> None:
    if records.read_only:  # read-only media: nothing can be written there, an entry neither
        if records.say is not None:
            from knowledge.catalog import messages

            records.say(messages().say("clinic.view_not_audited", where=records.where))
        return
    records.record_action(who, action, client_id=client_id, assessment_id=assessment_id)


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


# -- FHIR ------------------------------------------------------------------------------------------


def tripod_version() -> str:
    """The installed package's version (``unknown`` when run from a tree that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tripod")
    except PackageNotFoundError:
        return "unknown"


def fhir_bundle(screening: Screening, *, with_name: bool = False) -> str:
    """A screening as a FHIR R4B Bundle's JSON (``tripod_fhir/bundle.py``); the client's name only
    ``with_name``."""
    from tripod_fhir.bundle import bundle_json

    return bundle_json(screening.case, screening.assessment, tripod_version=tripod_version(),
                       with_name=with_name)


def fhir_questionnaire(questions: Iterable[QuestionLike]) -> str:
    """The intake's questions (``tripod/intake/questions.py``) as an SDC Questionnaire's JSON."""
    from tripod_fhir.questionnaire import questionnaire_json

    return questionnaire_json(questions)
