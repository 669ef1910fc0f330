"""What-if analysis: how fragile a conclusion is, and what to measure next.

The real engine is re-run (one engine, reset between runs) on copies of the case with one observation
changed at a time. Which values are worth trying comes from the knowledge base, not from a grid: a
numeric observation only changes what the rules conclude where it crosses one of its cut-offs
(thresholds.yaml), so its candidates are the nearest values on the far side of each cut-off; an enum
observation tries each of its other values. Measurement error (SEM, MDC or SDC in instruments.yaml)
says which of those changes lie within a plausible repeat measurement; reliability tags say which
judgements are too unreliable to lean on.

Many changes give the engine exactly the facts it had already seen: a value no rule pattern can
match is not declared at all (``JoinMatcher.could_match``), so setting a field from one such value to
another declares the same facts as before. The inference is a function of the declared facts and,
for the root cause's confidence, of which observations are not assessed or unsure; a change that
leaves both as an earlier run had them takes that run's outcome instead of running again.
``analyse(..., reuse=False)`` runs every change: the reference the tests hold this to.

The result is data (:class:`WhatIf`); ``tripod whatif`` prints it and the practitioner report's
"How solid is this?" section renders it.
"""

from __future__ import annotations

import time
import typing
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.inference import TripodEngine, assess, build_engine, facts_for
from engine.intake import Case, instrument_of, literal_values
from engine.paths import field_at, instrument_for, observation_of, value_at, with_value
from engine.trace import Assessment
from knowledge.catalog import catalog
from knowledge.clinical import Instrument

FORMAT: Final = "tripod-whatif/1"
POOR_RELIABILITY = ("low", "low-moderate", "unknown")
_UNKNOWN = (None, "unsure")  # what caps a root cause's confidence when a key observation has it
_STEP = 1  # the resolution clinicians record: whole degrees, points, millimetres, months


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Outcome(_Model):
    status: str
    root_cause: str | None
    sides: tuple[str, ...] = ()
    confidence: str | None = None

    def label(self) -> str:
        if self.root_cause is None:
            return self.status
        sides = f" ({', '.join(self.sides)})" if self.sides else ""
        return f"{self.root_cause}{sides}, {self.confidence}"


class Change(_Model):
    """One observation set to one other value, and what the engine then concluded."""

    path: str
    old: Any
    new: Any
    outcome: Outcome
    flips_root_cause: bool
    findings_added: tuple[str, ...]
    findings_removed: tuple[str, ...]
    size: float | None = None
    in_errors: float | None = None


class ErrorUse(_Model):
    value: float
    kind: str
    status: str
    sources: tuple[str, ...]


class InputCheck(_Model):
    """How one entered observation bears on the conclusion."""

    path: str
    value: Any
    reliability: str
    poor_reliability: bool
    error: ErrorUse | None
    nearest_flip: Change | None
    nearest_other_change: Change | None = None
    survives_error: bool | None
    hinge: bool


class NextTest(_Model):
    path: str
    state: Literal["not_assessed", "unsure"]
    reliability: str
    outcomes: tuple[str, ...]
    changes_root_cause: bool
    changes_findings: bool


class WhatIf(_Model):
    format: Literal["tripod-whatif/1"] = FORMAT
    client_id: str
    baseline: Outcome
    smallest_flip: Change | None
    flips: tuple[Change, ...]
    robust: bool
    hinges: tuple[InputCheck, ...]
    inputs: tuple[InputCheck, ...]
    next_tests: tuple[NextTest, ...]
    runs: int
    seconds: float

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def _outcome(assessment: Assessment) -> Outcome:
    root = assessment.root_cause
    return Outcome(status=assessment.status, root_cause=root.id if root else None,
                   sides=root.sides if root else (), confidence=root.confidence if root else None)


def _finding_keys(assessment: Assessment) -> set[str]:
    return {f"{f.id}:{f.side}" if f.side else f.id for f in assessment.findings}


def _field_info(path: str) -> tuple[Any, str | None]:
    """The annotation and instrument id of the case-file field at ``path``."""
    found = field_at(path)
    if found is None:
        raise KeyError(path)
    model, name = found
    return model.model_fields[name].annotation, instrument_of(model, name)


def _instrument_for(path: str, instrument: str | None, document: dict[str, Any]) -> Instrument | None:
    measured = instrument_for(path, instrument, value_at(document, "hips.method"))
    return catalog().instruments.get(measured) if measured else None


def _numeric_candidates(path: str, instrument: str, current: float | None,
                        document: dict[str, Any]) -> list[float]:
    """Values on the far side of every cut-off that applies to this observation."""
    kb = catalog()
    spec = kb.instrument(instrument)
    base = observation_of(instrument)
    candidates: set[float] = set()
    for threshold in kb.thresholds.values():
        if threshold.observation == base:
            cut = threshold.value
            values = [cut - _STEP, cut, cut + _STEP]
            if current is None:
                candidates.update(values)
            else:
                candidates.update(v for v in values if threshold.holds(v) != threshold.holds(current))
        elif threshold.observation == f"{base}_asymmetry_deg" and current is not None:
            side = "left" if ".left." in path else "right"
            other = value_at(document, path.replace(f".{side}.", ".right." if side == "left" else ".left."))
            if isinstance(other, (int, float)):
                for sign in (-1, 1):
                    for v in (other + sign * threshold.value, other + sign * (threshold.value + _STEP)):
                        if threshold.holds(abs(v - other)) != threshold.holds(abs(current - other)):
                            candidates.add(v)
    low, high = spec.min, spec.max
    kept = sorted(v for v in candidates if low <= v <= high and v != current)  # type: ignore[operator]
    return [int(v) if spec.kind == "integer" else float(v) for v in kept]


def _candidates(path: str, document: dict[str, Any]) -> list[Any]:
    annotation, instrument = _field_info(path)
    current = value_at(document, path)
    values = literal_values(annotation)
    if values:
        return [v for v in values if v != current]
    if instrument and catalog().instrument(instrument).kind == "multi":
        return [[region] for region in _region_values() if [region] != current]
    if instrument:
        return _numeric_candidates(path, instrument, current, document)
    return []


def _region_values() -> tuple[str, ...]:
    from engine.intake import Region

    return typing.get_args(Region)


def _watched_paths(include_optional: bool = True) -> list[str]:
    paths: list[str] = []
    for watched in catalog().observations:
        if watched.optional and not include_optional:
            continue
        paths.extend(watched.paths())
    return paths


class _Runner:
    def __init__(self, case: Case, engine: TripodEngine, reuse: bool = True,
                 baseline: Assessment | None = None) -> None:
        self.document = case.model_dump(mode="json", exclude_none=True)
        self.engine = engine
        self.baseline = baseline if baseline is not None else assess(case, engine)
        self.outcome = _outcome(self.baseline)
        self.findings = _finding_keys(self.baseline)
        self.runs = 1
        self.reuse = reuse
        self.unknown = frozenset(p for p in _watched_paths() if value_at(self.document, p) in _UNKNOWN)
        self.seen: dict[Any, tuple[Outcome, set[str]]] = {}
        if reuse:
            self.seen[self._inputs(facts_for(case, engine), self.unknown)] = (self.outcome,
                                                                              self.findings)

    def _inputs(self, facts: tuple[list[Any], list[Any]], unknown: frozenset[str]) -> Any:
        """Everything the engine's answer depends on: the facts it is given, and which watched
        observations are unknown (the confidence cap reads them from the case)."""
        first, second = facts
        return tuple((type(f).__name__, tuple(sorted(f.items()))) for f in (*first, *second)), unknown

    def _run(self, case: Case, path: str, value: Any) -> tuple[Outcome, set[str]]:
        unknown = self.unknown | {path} if value in _UNKNOWN else self.unknown - {path}
        facts = facts_for(case, self.engine) if self.reuse else None
        key = self._inputs(facts, unknown) if facts is not None else None
        if key is not None and key in self.seen:
            return self.seen[key]
        result = assess(case, self.engine, facts)
        self.runs += 1
        answer = (_outcome(result), _finding_keys(result))
        if key is not None:
            self.seen[key] = answer
        return answer

    def change(self, path: str, value: Any) -> Change | None:
        document = with_value(self.document, path, value)
        try:
            case = Case.model_validate(document)
        except ValidationError:
            return None  # a value the intake would refuse is not a plausible observation
        outcome, found = self._run(case, path, value)
        old = value_at(self.document, path)
        size = abs(value - old) if isinstance(value, (int, float)) and isinstance(old, (int, float)) else None
        return Change(
            path=path, old=old, new=value, outcome=outcome,
            flips_root_cause=(outcome.status, outcome.root_cause) != (self.outcome.status,
                                                                      self.outcome.root_cause),
            findings_added=tuple(sorted(found - self.findings)),
            findings_removed=tuple(sorted(self.findings - found)),
            size=size,
        )


def solidity(case: Case, engine: TripodEngine | None = None, *,
             baseline: Assessment | None = None) -> WhatIf | None:
    """The analysis a practitioner report shows as "How solid is this?", or None should it fail:
    an optional section must never cost a report, nor a batch its assessment. ``baseline``: the
    assessment of ``case`` already made with ``engine``, so that it is not made twice."""
    try:
        return analyse(case, engine, baseline=baseline)
    except Exception:  # noqa: BLE001 - the report goes without the section
        return None


def analyse(case: Case, engine: TripodEngine | None = None, *, reuse: bool = True,
            baseline: Assessment | None = None) -> WhatIf:
    """Re-run the engine over each observation's plausible values; see the module docstring."""
    started = time.perf_counter()
    runner = _Runner(case, engine or build_engine(), reuse, baseline)
    if runner.outcome.status == "referral":
        # A red flag decides the outcome; no observation can change it.
        return WhatIf(client_id=case.client.id, baseline=runner.outcome, smallest_flip=None, flips=(),
                      robust=True, hinges=(), inputs=(), next_tests=(), runs=runner.runs,
                      seconds=round(time.perf_counter() - started, 3))
    unknown = {m.path: m.state for m in runner.baseline.missing_detail}
    inputs: list[InputCheck] = []
    flips: list[Change] = []
    next_tests: list[NextTest] = []
    for path in _watched_paths():
        current = value_at(runner.document, path)
        _, instrument_id = _field_info(path)
        spec = _instrument_for(path, instrument_id, runner.document)
        changes = [c for c in (runner.change(path, v) for v in _candidates(path, runner.document)) if c]
        reliability = spec.reliability if spec else "unknown"
        if current is None or current == "unsure":
            if path in unknown or current == "unsure":
                outcomes = tuple(dict.fromkeys([runner.outcome.label()] + [c.outcome.label() for c in changes]))
                next_tests.append(NextTest(
                    path=path, state="unsure" if current == "unsure" else "not_assessed",
                    reliability=reliability, outcomes=outcomes,
                    changes_root_cause=any(c.flips_root_cause for c in changes),
                    changes_findings=any(c.findings_added or c.findings_removed for c in changes)))
            if current is None:
                continue
        error = spec.error if spec else None
        if error:
            changes = [c.model_copy(update={"in_errors": round(c.size / error.value, 2)})
                       if c.size is not None else c for c in changes]
        flipping = sorted((c for c in changes if c.flips_root_cause),
                          key=lambda c: (c.in_errors if c.in_errors is not None else float("inf"),
                                         c.size if c.size is not None else float("inf")))
        flips.extend(flipping)
        nearest = flipping[0] if flipping else None
        others = sorted((c for c in changes if not c.flips_root_cause and (
            c.findings_added or c.findings_removed or c.outcome != runner.outcome)),
            key=lambda c: (c.in_errors if c.in_errors is not None else float("inf"),
                           c.size if c.size is not None else float("inf")))
        survives = None if error is None or not isinstance(current, (int, float)) else not any(
            c.size is not None and c.size <= error.value for c in flipping)
        poor = reliability in POOR_RELIABILITY
        inputs.append(InputCheck(
            path=path, value=current, reliability=reliability, poor_reliability=poor,
            error=ErrorUse(value=error.value, kind=error.kind, status=error.status, sources=error.sources)
            if error else None,
            nearest_flip=nearest, nearest_other_change=others[0] if others else None,
            survives_error=survives,
            hinge=bool(flipping) and (survives is False or (survives is None and nearest is not None
                                                            and nearest.size is None))))
    numeric_flips = [c for c in flips if c.size is not None]
    smallest = min(numeric_flips, key=lambda c: (c.in_errors if c.in_errors is not None else float("inf"),
                                                 c.size), default=None)
    # Rank: can it change the root cause, how many different conclusions can it lead to (root cause,
    # sides, confidence), can it change a finding, and is the test itself reliable.
    next_tests.sort(key=lambda t: (not t.changes_root_cause, -len(t.outcomes), not t.changes_findings,
                                   t.reliability in POOR_RELIABILITY))
    return WhatIf(
        client_id=case.client.id,
        baseline=runner.outcome,
        smallest_flip=smallest,
        flips=tuple(sorted(flips, key=lambda c: (c.path, str(c.new)))),
        robust=all(i.survives_error is not False for i in inputs),
        hinges=tuple(i for i in inputs if i.hinge),
        inputs=tuple(inputs),
        next_tests=tuple(next_tests),
        runs=runner.runs,
        seconds=round(time.perf_counter() - started, 3),
    )
