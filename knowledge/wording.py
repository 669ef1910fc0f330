"""The models of the knowledge files a person reads, as ``knowledge/catalog.py`` checks them.

The wording of findings, root causes and constraints (texts.yaml), the reports' own words and the
pictures' (report_texts.yaml), the intake questionnaire (questions.yaml) and the application's
sentences (messages.yaml). Built on ``_Strict`` from ``knowledge/clinical.py``: unknown keys refused.
"""

# Annotations are evaluated as the module runs, not kept as text for pydantic to evaluate again when
# it makes each model (ARCHITECTURE.md, "Invariants"; tests/test_startup.py).
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from knowledge.clinical import Status, Tier, _Strict


class ClientWording(_Strict):
    """The client's words for a root cause reached on a weaker pattern (see ``Wording.client_when``)."""

    client_title: str
    client: str


class Wording(_Strict):
    """What a person reads about one finding, root cause or constraint. ``client_when``: the client's
    words for a root cause that carries a penalty (root_causes.yaml), chosen by the penalty's key, so
    that a pattern reached without its own evidence is not told as if it had it."""

    title: str
    practitioner: str
    client: str
    client_title: str | None = None
    # pydantic copies a default per model; ruff sees that only for a base defined in the same file
    # (astral-sh/ruff#13630), and _Strict is in knowledge/clinical.py.
    client_when: dict[str, ClientWording] = {}  # noqa: RUF012


class FindingWording(Wording):
    """A finding's wording, and its place among the findings of an assessment (``order``)."""

    order: int
    client_title: str


class Texts(_Strict):
    findings: dict[str, FindingWording]
    root_causes: dict[str, Wording]
    constraints: dict[str, Wording]
    statuses: dict[str, Wording]
    labels: dict[str, str]

    def title(self, identifier: str) -> str:
        """A finding, root-cause, constraint or reason id in words (``labels`` for the rest)."""
        for table in (self.findings, self.root_causes, self.constraints):
            if identifier in table:
                return table[identifier].title
        return self.labels[identifier]  # an id without wording fails loudly



class Disclaimer(_Strict):
    practitioner: str
    client: str
    client_referral: str


class PractitionerReport(_Strict):
    title: str
    audience: str
    headings: dict[str, str]
    labels: dict[str, str]
    missing_states: dict[Literal["unknown", "contradictory", "unsure", "not_assessed"], str]
    threshold_status: dict[Status, str]


class SeekHelp(_Strict):
    intro: str
    items: tuple[str, ...]


class ClientReport(_Strict):
    title: str
    headings: dict[str, str]
    labels: dict[str, str]
    why: dict[str, str]
    steps: dict[str, str]
    seek_help: SeekHelp
    # Findings that look fine, told in one line (a phrase each), and how many others the client reads.
    fine: dict[str, str]
    most_findings: int
    always: tuple[str, ...]
    # A follow-up in plain words: each outcome's judgement, and what comes next after each verdict.
    progress: dict[str, str]
    next: dict[str, str]


class PageWords(_Strict):
    page: str
    of: str


class ChainSegment(_Strict):
    id: str
    label: str
    sided: bool
    observed: tuple[str, ...]


class ChainLink(_Strict):
    start: str = Field(alias="from")
    to: str
    label: str


class PictureMark(_Strict):
    short: str
    tone: Literal["concern", "ok", "note"]


class ChainPictureWords(_Strict):
    """The chain picture's segments, marks and words (see report_texts.yaml)."""

    caption: str
    provisional: str
    side_left: str
    side_right: str
    both_sides: str
    not_assessed: str
    unsure: str
    nothing_found: str
    root_origin: str
    borderline: str
    segments: tuple[ChainSegment, ...]
    origins: dict[str, str]
    links: dict[str, ChainLink]
    marks: dict[str, PictureMark]
    tones: dict[str, str]

    @model_validator(mode="after")
    def _segments_exist(self) -> Self:
        ids = {s.id for s in self.segments}
        ends = {end for link in self.links.values() for end in (link.start, link.to)}
        named = set(self.origins.values()) | ends
        if named - ids:
            raise ValueError(f"unknown chain segments {sorted(named - ids)}")
        return self


class TripodPictureWords(_Strict):
    caption: str
    movements: dict[str, str]
    points: dict[Literal["heel", "first_met", "fifth_met"], str]
    states: dict[Literal["kept", "lost", "unsure", "not_assessed"], str]
    toes_lift: str
    weight_drift: str
    felt_in: str
    reps_finish: str
    movement_not_assessed: str


class ClientChainWords(_Strict):
    """The client's simplified chain picture (report_texts.yaml, pictures.client_chain)."""

    title: str
    caption: str
    side_left: str
    side_right: str
    origin: str
    segments: dict[str, str]
    states: dict[Literal["concern", "ok", "unassessed"], str]


class PictureWords(_Strict):
    legend: str
    chain: ChainPictureWords
    tripod: TripodPictureWords
    # The same picture in the client report, in plain words, and their chain simplified.
    client_tripod: TripodPictureWords
    client_chain: ClientChainWords


class ReportTexts(_Strict):
    """Report wording beyond one finding, root cause or constraint (report_texts.yaml)."""

    disclaimer: Disclaimer
    urgency: dict[Tier, Wording]
    practitioner: PractitionerReport
    client: ClientReport
    page: PageWords
    pictures: PictureWords


class HandoutCard(_Strict):
    """One constraint on the client's take-home handout (handouts.yaml)."""

    lifts: str
    change: str
    check: str
    stop: str
    claims: tuple[str, ...]
    sources: tuple[str, ...]


class HandoutLabels(_Strict):
    lifts: str
    change: str
    check: str
    stop: str


class Handouts(_Strict):
    """The client's take-home handout: a card per constraint (handouts.yaml)."""

    intro: str
    labels: HandoutLabels
    cards: dict[str, HandoutCard]


class Unless(_Strict):
    """Another answer (``{side}``: the same side) and the values of it that decide a question:
    ``unless`` skips the question when it holds, ``when`` asks it only then."""

    path: str
    values: tuple[str, ...] = Field(alias="is")


class QuestionField(_Strict):
    """One case-file field the questionnaire asks; wording here only when no instrument holds it."""

    path: str
    prompt: str | None = None
    how: str | None = None
    unless: Unless | None = None
    when: Unless | None = None
    default: str | None = None
    helper: str | None = None


class SharedFlagQuestion(_Strict):
    """One red-flag question several flags ask, asked once in ``group``; its answer answers each."""

    question: str
    group: str
    flags: tuple[str, ...] = Field(min_length=1)


class QuestionSection(_Strict):
    id: str
    title: str
    intro: str
    fields: tuple[QuestionField, ...] = ()
    by_side: bool = False
    prompt: str | None = None
    keys: str | None = None
    how: str | None = None
    shared: tuple[SharedFlagQuestion, ...] = ()
    reworded: dict[str, str] = {}  # noqa: RUF012 - pydantic copies it (see Wording.client_when)
    examination: bool = False  # a referral ends the questions before it; a follow-up picks it
    follow_up: Literal["ask", "carry", "skip"] = "ask"  # what a follow-up does with it
    when: Unless | None = None  # the section's own question (remeasure) asked only then


class ItemHelper(_Strict):
    """A total scored item by item: each item from ``min`` to ``max``, summed. ``items`` words them
    where the domain files do; otherwise ``count`` items named ``item`` and a number, and ``note``
    says why."""

    title: str
    scale: str
    min: int
    max: int
    items: tuple[str, ...] = ()
    count: int | None = None
    item: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _named_or_counted(self) -> Self:
        if bool(self.items) == (self.count is not None and self.item is not None):
            raise ValueError("give either items, or count and item")
        return self

    def labels(self) -> tuple[str, ...]:
        return self.items or tuple(f"{self.item} {n}" for n in range(1, (self.count or 0) + 1))


class QuestionMessages(_Strict):
    welcome: str
    referral: str
    referral_top: str
    pregnant: str
    keys: str
    done: str
    reports_offer: str


class Questions(_Strict):
    """The intake questionnaire's order and wording: knowledge/data/questions.yaml."""

    sections: tuple[QuestionSection, ...]
    helpers: dict[str, ItemHelper] = {}  # noqa: RUF012 - pydantic copies it
    messages: QuestionMessages

    @model_validator(mode="after")
    def _helpers_exist(self) -> Self:
        named = {f.helper for s in self.sections for f in s.fields if f.helper}
        if named - set(self.helpers):
            raise ValueError(f"unknown helpers {sorted(named - set(self.helpers))}")
        return self



class Messages(_Strict):
    """knowledge/data/messages.yaml: the command line's (``cli``), the intake's and its review's
    sentences."""

    cli: dict[str, str]
    clinic: dict[str, str]
    intake: dict[str, str]
    history: dict[str, str] = {}  # noqa: RUF012
    review: dict[str, str]
    fhir: dict[str, str] = {}  # noqa: RUF012
    follow_up: dict[str, str] = {}  # noqa: RUF012 - tripod intake --follow-up
    web: dict[str, str] = {}  # noqa: RUF012 - tripod serve
    web_intake: dict[str, str] = {}  # noqa: RUF012 - tripod serve's intake pages and API
    web_records: dict[str, str] = {}  # noqa: RUF012 - tripod serve: clients, visits, reports

    def say(self, key: str, **values: Any) -> str:
        """The sentence ``key`` (``cli.version``, ``intake.paused``...) with ``values`` filled in."""
        group, name = key.split(".", 1)
        template: str = getattr(self, group)[name]
        return template.format(**values)

