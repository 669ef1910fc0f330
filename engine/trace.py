"""The result of inference: an Assessment with its findings and the trace that explains them.

The JSON form is ``tripod-assessment/1`` of ``contract.md``: the fields of the contract, spelt as it
spells them, plus Tripod's own optional additions (``trace``, ``missing_detail``, and the
finer fields inside findings). Reports render from an Assessment and from nothing else; the store
keeps its JSON. A trace step is data: which rule fired, what it used, what it cites, what it declared.
"""

# Annotations are evaluated as the module runs, not kept as text for pydantic to evaluate again when
# it makes each model (ARCHITECTURE.md, "Invariants"; tests/test_startup.py).
import datetime as dt
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

FORMAT: Final = "tripod-assessment/1"

Side = Literal["left", "right"]
Status = Literal["complete", "incomplete", "referral"]
Urgency = Literal["emergency", "urgent", "routine"]
Confidence = Literal["low", "moderate", "high"]
RootCauseId = Literal["ascending_foot_chain", "descending_pelvic_chain", "no_chain_deficit"]


def ref(kind: str, name: str, side: str | None = None) -> str:
    """How a trace names a conclusion: ``finding:<id>`` or ``finding:<id>:<side>`` (likewise
    ``root_cause:``, ``constraint:``, ``referral:``, ``blocked:``); no side, no third part."""
    return f"{kind}:{name}:{side}" if side else f"{kind}:{name}"


class _Model(BaseModel):
    # Validators and serializers are built on first use (a stored assessment read, the JSON
    # written), for Assessment as a whole: `tripod assess` printing text makes its models with
    # trusted() and never needs them.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


M = TypeVar("M", bound=_Model)


def trusted(kind: type[M], **values: Any) -> M:
    """A model made from values already valid, naming every field: what pydantic's
    ``model_construct`` makes (the same fields, fields set and state), without its search for
    aliases and defaults. The trace builds one for every step of every assessment."""
    if len(values) != len(kind.__pydantic_fields__):
        missing = set(kind.__pydantic_fields__) - set(values)
        raise TypeError(f"{kind.__name__}: every field is given to trusted(), not {sorted(missing)}")
    model = kind.__new__(kind)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


class Observation(_Model):
    """One case-file value a rule used, with what the knowledge base says about it."""

    path: str
    value: str | int | float | list[str]
    instrument: str | None = None
    normal: str | None = None
    reliability: str | None = None


class ThresholdUse(_Model):
    """A cut-off a rule applied, with the status a report must carry (derived, unconfirmed...)."""

    key: str
    text: str
    met: bool = Field(description="whether the value met the cut-off (False: the rule needed it unmet)")
    status: str
    sources: tuple[str, ...]


class TraceStep(_Model):
    rule: str
    concluded: str = Field(description="what the step declared, as named by ref()")
    claims: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    used: tuple[str, ...] = Field(default=(), description="case-file paths and finding references")
    observations: tuple[Observation, ...] = ()
    thresholds: tuple[ThresholdUse, ...] = ()


class Referral(_Model):
    required: bool
    urgency: Urgency | None
    red_flags: tuple[str, ...]


class CaseRef(_Model):
    client_id: str
    assessed_on: dt.date


class SideCause(_Model):
    """The root cause one side's own foot and hip point to, and the rule that found it there."""

    side: Side
    id: RootCauseId
    rule: str
    penalties: tuple[str, ...] = ()


class RootCause(_Model):
    id: RootCauseId
    confidence: Confidence
    sides: tuple[Side, ...]
    rule: str
    claims: tuple[str, ...]
    supported_by: tuple[str, ...] = ()
    penalties: tuple[str, ...] = ()
    by_side: tuple[SideCause, ...] = Field(default=(), description=(
        "each side's own cause; when they differ, `id` is the better supported one and the other "
        "side's story is here, not among the alternatives"))


class Alternative(_Model):
    id: RootCauseId
    rejected_because: tuple[str, ...]


class Finding(_Model):
    id: str
    side: Side | None
    rule: str
    claims: tuple[str, ...]
    sources: tuple[str, ...]
    based_on: tuple[str, ...]
    strength: Literal["definite", "borderline"] = "definite"

    def ref(self) -> str:
        return ref("finding", self.id, self.side)


class Constraint(_Model):
    id: str
    order: int
    claims: tuple[str, ...]
    rule: str
    sides: tuple[Side, ...] = ()


class MissingDetail(_Model):
    path: str
    state: Literal["not_assessed", "unsure", "unknown", "contradictory"]
    could_change: tuple[str, ...]


class Assessment(_Model):
    format: Literal["tripod-assessment/1"] = FORMAT
    case: CaseRef
    knowledge_version: str
    status: Status
    referral: Referral
    root_cause: RootCause | None
    alternatives: tuple[Alternative, ...]
    findings: tuple[Finding, ...]
    constraints: tuple[Constraint, ...]
    missing: tuple[str, ...]
    missing_detail: tuple[MissingDetail, ...] = ()
    trace: tuple[TraceStep, ...] = ()

    def finding(self, finding_id: str, side: Side | None = None) -> Finding | None:
        for item in self.findings:
            if item.id == finding_id and (side is None or item.side == side):
                return item
        return None

    def steps_for(self, concluded: str) -> list[TraceStep]:
        return [step for step in self.trace if step.concluded == concluded]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)
