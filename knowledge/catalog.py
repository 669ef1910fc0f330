"""The one door to Tripod's knowledge files.

Everything a person reads (claims, sources, instrument descriptions, red-flag questions, finding and
constraint wording) and every number a rule or validator uses (ranges, cut-offs) lives in YAML under
``knowledge/data/``. This module loads those files through ``importlib.resources``, checks them with
pydantic models that forbid unknown keys, and hands out one cached :class:`Catalog`. Nothing else in
Tripod opens a knowledge file.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Status = Literal["confirmed", "secondary", "unconfirmed", "derived", "convention"]
Reliability = Literal["high", "moderate", "low-moderate", "low", "unknown"]
Tier = Literal["emergency", "urgent", "routine"]

TIER_RANK: dict[str, int] = {"routine": 1, "urgent": 2, "emergency": 3}

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    citation: str


class MeasurementError(_Strict):
    """A published measurement error: how far a repeat measurement may plausibly differ."""

    value: float
    kind: Literal["SEM", "MDC", "SDC"]
    sources: tuple[str, ...]
    status: Status
    note: str


class Instrument(_Strict):
    label: str
    unit: str
    kind: Literal["integer", "number", "enum", "multi"]
    min: float | None = None
    max: float | None = None
    normal: str
    status: Status
    reliability: Reliability
    sources: tuple[str, ...]
    how: str
    error: MeasurementError | None = None

    @model_validator(mode="after")
    def _numbers_have_a_range(self) -> Instrument:
        numeric = self.kind in ("integer", "number")
        if numeric and (self.min is None or self.max is None or self.min > self.max):
            raise ValueError(f"{self.label}: a numeric instrument needs min <= max")
        return self

    def range_text(self) -> str:
        """The validator's range in words, e.g. ``-12 to 12 score``."""
        return f"{_num(self.min)} to {_num(self.max)} {self.unit}"


# The positions a hip rotation is measured in; an instrument's key names its position
# (hip_ir_seated_deg), and a cut-off names the observation without it (hip_ir_deg): seated and prone
# share their cut-offs.
POSITIONS = ("seated", "prone")


def observation_of(instrument: str) -> str:
    """The observation an instrument measures, as thresholds.yaml names it (``hip_ir_prone_deg`` is
    ``hip_ir_deg``)."""
    for position in POSITIONS:
        instrument = instrument.replace(f"_{position}", "")
    return instrument


class Threshold(_Strict):
    observation: str
    derived_from: tuple[str, ...] = ()
    op: Literal["<", "<=", ">", ">="]
    value: float
    unit: str
    sources: tuple[str, ...]
    status: Status
    meaning: str

    def holds(self, value: float | None) -> bool:
        """Whether ``value`` meets this cut-off; a value that was not entered never does."""
        return value is not None and _OPS[self.op](value, self.value)

    def text(self) -> str:
        return f"{self.op} {_num(self.value)} {self.unit}"


class RedFlag(_Strict):
    group: str
    tier: Tier
    tier_note: str | None = None
    effect: Literal["refer", "combine", "precaution"]
    required: bool = False
    combine_with: tuple[str, ...] = ()
    question: str
    # The client's own words where the tier's words would say too little (rf_scfe: same day, not
    # "in the next few days").
    client_title: str | None = None
    client: str | None = None
    sources: tuple[str, ...]


class ExamFlag(_Strict):
    """An examination finding that is a hip flag itself (instruments.md section 14i): read from the
    examination, not asked, so it is no field of the case file. ``refer`` refers like a red flag
    answered yes; ``incomplete`` holds the screening until the hip joint is assessed."""

    group: str
    effect: Literal["refer", "incomplete"]
    tier: Tier | None = None
    tier_note: str | None = None
    question: str = Field(description="what the examination showed, where a red flag shows its question")
    client_title: str | None = None
    client: str | None = None
    sources: tuple[str, ...]
    status: Status

    @model_validator(mode="after")
    def _a_referral_says_how_soon_and_why(self) -> ExamFlag:
        refers = self.effect == "refer"
        if refers != (self.tier is not None) or refers != (self.client is not None):
            raise ValueError(f"{self.question}: a tier and client wording go with effect refer, and "
                             "only with it")
        return self


class RedFlagBook(_Strict):
    groups: dict[str, str]
    flags: dict[str, RedFlag]
    examination: dict[str, ExamFlag] = {}

    def spec(self, flag: str) -> RedFlag | ExamFlag:
        """A red flag answered in the case file, or one the examination showed."""
        return self.flags[flag] if flag in self.flags else self.examination[flag]


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
    client_when: dict[str, ClientWording] = {}


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


class RootCauseModel(_Strict):
    """How the rule base weighs one root cause (see knowledge/data/root_causes.yaml)."""

    claims: tuple[str, ...]
    supporting: tuple[str, ...]
    rejected_by: tuple[str, ...]
    key_observations: tuple[str, ...]
    penalised_by: tuple[str, ...]


class Scoring(_Strict):
    high_at: int
    moderate_at: int


class Penalty(_Strict):
    points: int
    cap: Literal["low", "moderate", "high"]
    at_most: int = 1


class RootCauses(_Strict):
    scoring: Scoring
    penalties: dict[str, Penalty]
    finding_penalties: dict[str, str]
    causes: dict[str, RootCauseModel]

    @model_validator(mode="after")
    def _penalties_exist(self) -> RootCauses:
        for cause, model in self.causes.items():
            unknown = set(model.penalised_by) - set(self.penalties)
            if unknown:
                raise ValueError(f"{cause}: unknown penalties {sorted(unknown)}")
        unknown = set(self.finding_penalties.values()) - set(self.penalties)
        if unknown:
            raise ValueError(f"finding_penalties: unknown penalties {sorted(unknown)}")
        return self


class Constraint(_Strict):
    order: int
    claims: tuple[str, ...]
    sources: tuple[str, ...] = ()


class WatchedObservation(_Strict):
    """An observation the rules use; ``{side}`` in the path stands for left and right. What it could
    change is derived from the rules that read it (``knowledge/rules/reach.py``); ``also_changes``
    names what follows further."""

    path: str
    key: bool = False
    pelvic: bool = False
    optional: bool = False
    also_changes: tuple[str, ...] = ()

    def paths(self) -> list[str]:
        if "{side}" in self.path:
            return [self.path.format(side=side) for side in ("left", "right")]
        return [self.path]


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
    def _segments_exist(self) -> ChainPictureWords:
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


class PictureWords(_Strict):
    legend: str
    chain: ChainPictureWords
    tripod: TripodPictureWords


class ReportTexts(_Strict):
    """Report wording beyond one finding, root cause or constraint (report_texts.yaml)."""

    disclaimer: Disclaimer
    urgency: dict[Tier, Wording]
    practitioner: PractitionerReport
    client: ClientReport
    page: PageWords
    pictures: PictureWords


class Unless(_Strict):
    """Skip a question when another answer (``{side}``: the same side) is one of these values."""

    path: str
    values: tuple[str, ...] = Field(alias="is")


class QuestionField(_Strict):
    """One case-file field the questionnaire asks; wording here only when no instrument holds it."""

    path: str
    prompt: str | None = None
    how: str | None = None
    unless: Unless | None = None


class QuestionSection(_Strict):
    id: str
    title: str
    intro: str
    fields: tuple[QuestionField, ...] = ()
    prompt: str | None = None
    keys: str | None = None
    how: str | None = None


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
    messages: QuestionMessages


class Catalog(_Strict):
    claims: dict[str, str]
    sources: dict[str, Source]
    instruments: dict[str, Instrument]
    thresholds: dict[str, Threshold]
    red_flags: RedFlagBook
    texts: Texts
    root_causes: RootCauses
    constraints: dict[str, Constraint]
    observations: tuple[WatchedObservation, ...]
    questions: Questions
    report_texts: ReportTexts
    version: str = Field(description="Hash of the knowledge files, stored with every assessment")

    def threshold(self, key: str) -> Threshold:
        return self.thresholds[key]

    def instrument(self, key: str) -> Instrument:
        return self.instruments[key]


def _unknown(file: str, where: str, named: Any, known: Any, allowed: str) -> list[str]:
    """One problem line per name in ``named`` that is not in ``known``."""
    names = (named,) if isinstance(named, str) else tuple(named)
    return [f"knowledge/data/{file}.yaml: {where} = {name!r}: {allowed}" for name in names
            if name not in known]


def _broken_links(kb: Catalog) -> list[str]:
    """Every link between the knowledge files that names nothing, one line each: a cut-off's
    observation and sources, a finding's place, what root causes, constraints, red flags and the
    chain picture name. What the rules conclude is held to the texts by tests/test_knowledge_integrity.py,
    which reads the rule registry."""
    problems: list[str] = []
    sources, claims, findings = set(kb.sources), set(kb.claims), set(kb.texts.findings)
    measured = {observation_of(key) for key in kb.instruments}
    for key, threshold in kb.thresholds.items():
        if threshold.derived_from:
            problems += _unknown("thresholds", f"{key}.derived_from", threshold.derived_from, measured,
                                 "allowed an observation an instrument measures")
        else:
            problems += _unknown("thresholds", f"{key}.observation", threshold.observation, measured,
                                 "allowed an observation an instrument measures, or one with derived_from")
        problems += _unknown("thresholds", f"{key}.sources", threshold.sources, sources,
                             "allowed a key of sources.yaml")
    for key, instrument in kb.instruments.items():
        problems += _unknown("instruments", f"{key}.sources", instrument.sources, sources,
                             "allowed a key of sources.yaml")
    flags: dict[str, RedFlag | ExamFlag] = {**kb.red_flags.flags, **kb.red_flags.examination}
    for key, flag in flags.items():
        problems += _unknown("red_flags", f"{key}.sources", flag.sources, sources,
                             "allowed a key of sources.yaml")
        problems += _unknown("red_flags", f"{key}.group", flag.group, kb.red_flags.groups,
                             "allowed a key of groups")
    for key, flag in kb.red_flags.flags.items():
        problems += _unknown("red_flags", f"{key}.combine_with", flag.combine_with, kb.red_flags.flags,
                             "allowed a red flag")
    orders: dict[int, str] = {}
    for key, wording in kb.texts.findings.items():
        if wording.order in orders:
            problems.append(f"knowledge/data/texts.yaml: findings.{key}.order = {wording.order!r}: "
                            f"allowed a place no other finding has (findings.{orders[wording.order]})")
        orders.setdefault(wording.order, key)
    causes = kb.root_causes
    for key, model in causes.causes.items():
        problems += _unknown("root_causes", f"causes.{key}.claims", model.claims, claims,
                             "allowed a claim of claims.yaml")
        for field in ("supporting", "rejected_by"):
            problems += _unknown("root_causes", f"causes.{key}.{field}", getattr(model, field), findings,
                                 "allowed a finding of texts.yaml")
    problems += _unknown("root_causes", "finding_penalties", causes.finding_penalties, findings,
                         "allowed a finding of texts.yaml")
    problems += _unknown("texts", "root_causes", kb.texts.root_causes, causes.causes,
                         "allowed a root cause of root_causes.yaml")
    problems += _unknown("root_causes", "causes", causes.causes, kb.texts.root_causes,
                         "allowed a root cause with wording in texts.yaml")
    for key, cause_wording in kb.texts.root_causes.items():
        problems += _unknown("texts", f"root_causes.{key}.client_when", cause_wording.client_when,
                             causes.penalties, "allowed a penalty of root_causes.yaml")
    problems += _unknown("root_causes", "penalties", causes.penalties, kb.texts.labels,
                         "allowed a penalty with a label in texts.yaml")
    problems += _unknown("constraints", "", kb.constraints, kb.texts.constraints,
                         "allowed a constraint with wording in texts.yaml")
    problems += _unknown("texts", "constraints", kb.texts.constraints, kb.constraints,
                         "allowed a constraint of constraints.yaml")
    for key, constraint in kb.constraints.items():
        problems += _unknown("constraints", f"{key}.claims", constraint.claims, claims,
                             "allowed a claim of claims.yaml")
        problems += _unknown("constraints", f"{key}.sources", constraint.sources, sources,
                             "allowed a key of sources.yaml")
    chain = kb.report_texts.pictures.chain
    problems += _unknown("report_texts", "pictures.chain.marks", chain.marks, findings,
                         "allowed a finding of texts.yaml")
    problems += _unknown("report_texts", "pictures.chain.links", chain.links, findings,
                         "allowed a finding of texts.yaml")
    problems += _unknown("report_texts", "pictures.chain.origins", chain.origins, causes.causes,
                         "allowed a root cause of root_causes.yaml")
    for watched in kb.observations:
        problems += _unknown("observations", f"{watched.path}.also_changes", watched.also_changes,
                             findings | {"root_cause", "status"},
                             "allowed a finding of texts.yaml, root_cause or status")
    return problems


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


_FILES = (
    "claims",
    "sources",
    "instruments",
    "thresholds",
    "red_flags",
    "texts",
    "root_causes",
    "constraints",
    "observations",
    "questions",
    "report_texts",
)


# libyaml's safe loader, when PyYAML has it: the same data, a tenth of the time (about 0.1 s saved at
# every start of a command that reasons, and of every batch worker).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(name: str) -> tuple[Any, bytes]:
    raw = resources.files("knowledge").joinpath("data", f"{name}.yaml").read_bytes()
    return yaml.load(raw, Loader=_SafeLoader), raw


def load_data() -> dict[str, Any]:
    """Every knowledge file's data, numbers filled in, not yet checked; ``version`` its content hash."""
    data: dict[str, Any] = {}
    digest = hashlib.sha256()
    for name in _FILES:
        data[name], raw = _read(name)
        digest.update(name.encode() + b"\0" + raw)
    data["claims"] = {str(k): str(v) for k, v in data["claims"].items()}
    for name in _WORDED:  # the files a person reads: numbers written {cut:<key>} (see texts.yaml)
        data[name] = _with_numbers(data[name], data, name)
    data["version"] = f"kb-{digest.hexdigest()[:12]}"
    return data


def build(data: dict[str, Any]) -> Catalog:
    """The checked catalog of ``data``: each file against its model, then every link between the
    files; a broken link is a ValueError listing every one, a line each."""
    kb = Catalog(**data)
    problems = _broken_links(kb)
    if problems:
        raise ValueError("\n".join(problems))
    return kb


@cache
def catalog() -> Catalog:
    """Load and check every knowledge file once per process."""
    return build(load_data())


_WORDED = ("texts", "instruments", "questions", "report_texts", "red_flags")
_NUMBER = re.compile(r"\{(cut|error):([a-z0-9_]+)\}")


def _number(data: dict[str, Any], kind: str, key: str) -> str | None:
    """``{cut:<key>}``: a cut-off's value from thresholds.yaml; ``{error:<key>}``: an instrument's
    published measurement error from instruments.yaml. None if there is no such number."""
    if kind == "cut":
        entry = data["thresholds"].get(key)
    else:
        entry = (data["instruments"].get(key) or {}).get("error")
    if not isinstance(entry, dict) or entry.get("value") is None:
        return None
    return _num(entry["value"])


def _with_numbers(value: Any, data: dict[str, Any], file: str, where: str = "") -> Any:
    """``value`` (a knowledge file's data) with each ``{cut:<key>}`` and ``{error:<key>}`` in its
    text replaced by that number from thresholds.yaml or instruments.yaml, so that no wording
    repeats a number that could drift from the rule's or the instrument's own. An unknown key, or
    a ``{cut``/``{error`` left over, is an error naming the place."""
    if isinstance(value, dict):
        return {key: _with_numbers(item, data, file, f"{where}.{key}" if where else str(key))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_with_numbers(item, data, file, f"{where}[{index}]")
                for index, item in enumerate(value)]
    if not isinstance(value, str):
        return value

    def problem(text: str) -> ValueError:
        return ValueError(f"knowledge/data/{file}.yaml: {where} = {text!r}: unknown number; allowed "
                          "{cut:<key of thresholds.yaml>} or {error:<key of an instrument with an "
                          "error>}")

    def number(match: re.Match[str]) -> str:
        found = _number(data, match.group(1), match.group(2))
        if found is None:
            raise problem(match.group(0))
        return found

    text = _NUMBER.sub(number, value)
    for leftover in ("{cut", "{error"):
        if leftover in text:
            raise problem(text[text.index(leftover):][:40])
    return text


# -- The application's own sentences: knowledge/data/messages.yaml -----------------------------------
# What `tripod` and its intake say that is neither a problem line nor report wording, as format
# strings named by key. Kept out of the knowledge version (no conclusion depends on them), and read
# on first use, so that commands which never speak to a person do not load them.


class Messages(_Strict):
    """knowledge/data/messages.yaml: the command line's (``cli``) and the intake's sentences."""

    cli: dict[str, str]
    intake: dict[str, str]

    def say(self, key: str, **values: Any) -> str:
        """The sentence ``key`` (``cli.version``, ``intake.paused``...) with ``values`` filled in."""
        group, name = key.split(".", 1)
        template: str = getattr(self, group)[name]
        return template.format(**values)


@cache
def messages() -> Messages:
    """Load and check knowledge/data/messages.yaml once per process."""
    return Messages.model_validate(_read("messages")[0])
