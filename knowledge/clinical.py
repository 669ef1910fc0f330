"""The models of Tripod's clinical knowledge files, as ``knowledge/catalog.py`` checks them.

Sources, instruments and their measurement errors, cut-offs (thresholds.yaml), red flags and the
examination's hip flags, how root causes are weighed, constraints and the observations the rules
watch. Each model forbids unknown keys (``_Strict``, the base of every knowledge model, wording's
too: ``knowledge/wording.py``). The catalog loads the files; this module only says their shape.
"""

# Annotations are evaluated as the module runs, not kept as text for pydantic to evaluate again when
# it makes each model (ARCHITECTURE.md, "Invariants"; tests/test_startup.py).
import operator
from collections.abc import Callable
from typing import Any, Literal, Self

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
    # Validators are built on first use: a catalog taken from the cache (knowledge/catalog_cache.py)
    # is never validated again, so a command that reasons need not build them at all.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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
    def _numbers_have_a_range(self) -> Self:
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
    def _a_referral_says_how_soon_and_why(self) -> Self:
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
    def _penalties_exist(self) -> Self:
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



def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)

