"""Inference: builds the rule engine from knowledge/rules, runs it on an intake, returns an Assessment.

Two passes over one experta engine. The first sees only the red-flag answers and the client's age: a
red flag that holds ends the screening there, so no chain reasoning ever runs for a referred client.
The second adds every entered observation and lets the segment, chain, root-cause and constraint rules
fire in salience order. What the rules declared (findings, root-cause candidates, constraints, blocks)
and the trace they recorded are then assembled into the Assessment; scoring and ordering read
root_causes.yaml and constraints.yaml.

An engine can be reused across cases: :func:`assess` resets it (facts and trace) before each run.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache, lru_cache
from typing import Any, cast

from experta import KnowledgeEngine
from experta.matchers import ReteMatcher
from pydantic import BaseModel

from engine.facts import (
    Advice,
    Blocked,
    Found,
    Referral,
    Root,
    Stage,
    Wanted,
    answers,
    examination,
    observations,
)
from engine.intake import SIDES, Case
from engine.matcher import JoinMatcher
from engine.paths import value_at
from engine.rete import LeanDepthStrategy, LeanLoop, StableDepthStrategy
from engine.trace import (
    FORMAT,
    Alternative,
    Assessment,
    CaseRef,
    Confidence,
    Constraint,
    Finding,
    MissingDetail,
    RootCause,
    RootCauseId,
    SideCause,
    Status,
    TraceStep,
    ref,
    trusted,
)
from engine.trace import Referral as ReferralOut
from knowledge.catalog import catalog
from knowledge.clinical import TIER_RANK
from knowledge.rules.constraints import ConstraintRules
from knowledge.rules.foot import FootRules
from knowledge.rules.hip_safety import HOLDS, HipSafetyRules
from knowledge.rules.lateral_chain import LateralChainRules
from knowledge.rules.pelvis import PelvisRules
from knowledge.rules.programme import ProgrammeRules
from knowledge.rules.reach import could_change, fields_read
from knowledge.rules.red_flags import RedFlagRules
from knowledge.rules.root_cause import RootCauseRules
from knowledge.rules.symptoms import SymptomRules
from knowledge.rules.tibia_femur import TibiaFemurRules


class TripodEngine(RedFlagRules, HipSafetyRules, FootRules, TibiaFemurRules, PelvisRules, LateralChainRules,
                   SymptomRules, ProgrammeRules, RootCauseRules, ConstraintRules, LeanLoop, KnowledgeEngine):
    """Every rule module composed into one experta engine."""

    __matcher__ = JoinMatcher
    __strategy__ = LeanDepthStrategy

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[TraceStep] = []
        self.worth_declaring: Wanted | None = None
        if isinstance(self.matcher, JoinMatcher):
            self.worth_declaring = self.matcher.could_match
        self._deffacts: list[Any] = super().get_deffacts()

    def get_deffacts(self) -> list[Any]:
        # experta finds them with inspect.getmembers on every reset, which cost more than a whole
        # assessment's rules; the class's deffacts (the initial fact alone) never change.
        return self._deffacts

    def reset(self, **kwargs: Any) -> None:
        # experta's reset clears the facts and the agenda; the trace is ours to clear.
        super().reset(**kwargs)
        self.steps = []


class ReferenceEngine(TripodEngine):
    """The same rules on experta's own matcher, every observation declared: the slow reference that
    tests hold the tuned engine to."""

    __matcher__ = ReteMatcher
    __strategy__ = StableDepthStrategy
    declare = KnowledgeEngine.declare
    run = KnowledgeEngine.run
    get_activations = KnowledgeEngine.get_activations

    def reset(self, **kwargs: Any) -> None:
        KnowledgeEngine.reset(self, **kwargs)
        self.steps = []


def build_engine(tuned: bool = True) -> TripodEngine:
    return TripodEngine() if tuned else ReferenceEngine()


def facts_for(case: Case, engine: TripodEngine) -> tuple[list[Any], list[Any]]:
    """What the engine is given for a case, in its two passes. The first holds what red flags are
    reasoned on: the answers, the client, and the hips' rotation for the examination findings that are
    hip flags themselves; the second every other entered observation. Everything the engine concludes
    follows from these facts alone (what-if relies on it to reuse a run)."""
    everything = list(observations(case, engine.worth_declaring))
    first = [*answers(case), *(f for f in everything if f["segment"] == "client"),
             *examination(case, engine.worth_declaring)]
    return first, [f for f in everything if f["segment"] != "client"]


def assess(case: Case, engine: TripodEngine | None = None,
           facts: tuple[list[Any], list[Any]] | None = None) -> Assessment:
    """Reason from a validated case to an Assessment. ``engine`` may be reused between calls;
    ``facts``: what ``facts_for(case, engine)`` gave, when the caller has just made them (what-if
    does, to tell whether a change gives the engine anything new), not yet declared."""
    engine = engine or build_engine()
    engine.reset()
    first, second = facts if facts is not None else facts_for(case, engine)
    # Declared in two batches: experta updates its agenda once per declare call.
    engine.declare(*first)
    engine.run()
    if not _facts(engine, Referral):
        engine.declare(*second, Stage())
        engine.run()
    return _assemble(case, engine)


def _facts(engine: KnowledgeEngine, kind: type) -> list[Any]:
    return [fact for fact in engine.facts.values() if isinstance(fact, kind)]


def _assemble(case: Case, engine: TripodEngine) -> Assessment:
    kb = catalog()
    steps = list(engine.steps)
    declared: dict[type, list[Any]] = defaultdict(list)
    for fact in engine.facts.values():
        declared[type(fact)].append(fact)
    referrals, blocked, found, roots = (declared[kind] for kind in (Referral, Blocked, Found, Root))
    status: Status
    if referrals:
        status = "referral"
    elif blocked:
        status = "incomplete"
    else:
        status = "complete"

    flags = sorted({r["flag"] for r in referrals} | {r["partner"] for r in referrals if r["partner"]},
                   key=lambda f: (-TIER_RANK[kb.red_flags.spec(f).tier or "routine"], f))
    urgency = max((r["tier"] for r in referrals), key=TIER_RANK.__getitem__, default=None)
    referral = trusted(ReferralOut, required=bool(referrals), urgency=urgency, red_flags=tuple(flags))

    by_conclusion: dict[str, list[TraceStep]] = defaultdict(list)
    first_rule: dict[str, str] = {}  # "constraint:<id>" (any side): the rule of its first step
    for step in steps:
        by_conclusion[step.concluded].append(step)
        if step.concluded.startswith("constraint:"):
            first_rule.setdefault(":".join(step.concluded.split(":")[:2]), step.rule)
    order = _finding_order(kb.version)
    findings = tuple(_finding(fact, by_conclusion) for fact in sorted(
        found, key=lambda fact: (order[fact["finding"]], fact["finding"], fact["side"] or "")))
    by_id = _ById(findings)
    root_cause = _root_cause(case, roots, by_id, by_conclusion) if status == "complete" else None
    alternatives = _alternatives(root_cause, by_id)
    constraints = _constraints(declared[Advice], first_rule) if root_cause else ()
    detail = _missing(case, blocked, found)
    if status == "referral":
        # No chain reasoning ran, so no observation is missing for it; a red flag left unanswered
        # still is, and the doctor the client is sent to should hear of it.
        detail = tuple(m for m in detail if m.state == "unknown")
    # Every part is made from values already valid (the checked case, the catalog, the engine's
    # own facts): the whole is put together as pydantic's model_construct would, unvalidated again.
    return trusted(
        Assessment,
        format=FORMAT,
        case=trusted(CaseRef, client_id=case.client.id, assessed_on=case.assessed_on),
        knowledge_version=kb.version,
        status=status,
        referral=referral,
        root_cause=root_cause,
        alternatives=alternatives,
        findings=findings,
        constraints=constraints,
        missing=tuple(item.path for item in detail),
        missing_detail=detail,
        trace=tuple(steps),
    )


@cache
def _finding_order(version: str) -> dict[str, int]:
    """Each finding's place in an assessment (texts.yaml), read once per knowledge version."""
    return {finding: wording.order for finding, wording in catalog().texts.findings.items()}


def _merge(steps: list[TraceStep], field: str) -> tuple[str, ...]:
    if len(steps) == 1:
        return tuple(dict.fromkeys(getattr(steps[0], field)))
    return tuple(dict.fromkeys([item for step in steps for item in getattr(step, field)]))


@lru_cache(maxsize=1_024)  # the merged claims of a few rules: a bounded set, held bounded all the same
def _in_claim_order(claims: tuple[str, ...]) -> tuple[str, ...]:
    """Claims in their numeric order (C2 before C10): the same few sets in every assessment."""
    return tuple(sorted(claims, key=lambda claim: int(claim[1:])))


def _finding(fact: Found, by_conclusion: dict[str, list[TraceStep]]) -> Finding:
    own = by_conclusion[ref("finding", fact["finding"], fact["side"])]
    return trusted(
        Finding,
        id=fact["finding"],
        side=fact["side"],
        rule=own[0].rule,
        claims=_in_claim_order(_merge(own, "claims")),
        sources=_merge(own, "sources"),
        based_on=_merge(own, "used"),
        strength=fact["strength"],
    )


class _ById(dict[str, list[Finding]]):
    """An assessment's findings by id, each id's in the assessment's order."""

    def __init__(self, findings: tuple[Finding, ...]) -> None:
        super().__init__()
        for finding in findings:
            self.setdefault(finding.id, []).append(finding)


def _present(findings: _ById, finding_id: str, sides: tuple[str, ...]) -> list[Finding]:
    """The findings with this id on the given sides (any side if none given), or unsided."""
    return [f for f in findings.get(finding_id, ()) if f.side is None or not sides or f.side in sides]


_LEVELS: tuple[Confidence, ...] = ("low", "moderate", "high")


def _root_cause(case: Case, roots: list[Root], by_id: _ById,
                by_conclusion: dict[str, list[TraceStep]]) -> RootCause | None:
    if not roots:
        return None
    kb = catalog().root_causes
    causes = [cause for cause in kb.causes if any(r["cause"] == cause for r in roots)]
    # Sides that reach different causes (a foot chain on one side, a pelvic chain on the other) are
    # reported side by side; the model expects foot and hip to share one root (C15), so each
    # cause's confidence is lowered, and the better supported one leads. On a tie the cause on a side
    # whose hip has lost IR leads, since the model turns on that loss (C8, C19); then
    # root_causes.yaml's order.
    scored = {cause: _score(case, cause, [r for r in roots if r["cause"] == cause], by_id,
                            disagree=len(causes) > 1) for cause in causes}
    limited = {f.side for f in by_id.get("hip_ir_limited", ())}
    lead = max(causes, key=lambda cause: (_LEVELS.index(scored[cause].confidence),
                                          bool(limited & set(scored[cause].sides))))
    by_side = tuple(trusted(SideCause, side=r["side"], id=r["cause"],
                            rule=by_conclusion[ref("root_cause", r["cause"], r["side"])][0].rule,
                            penalties=(r["penalty"],) if r["penalty"] else ())
                    for side in SIDES for r in roots if r["side"] == side)
    rule = by_conclusion[ref("root_cause", lead, scored[lead].sides[0] if scored[lead].sides else None)][0].rule
    return scored[lead].model_copy(update={"rule": rule, "by_side": by_side})


def _score(case: Case, cause: str, roots: list[Root], findings: _ById,
           disagree: bool) -> RootCause:
    """One cause weighed over the sides where its pattern holds. A side reaching it only with a
    weaker pattern (a penalty) beside a side reaching it in full adds no side and no penalty: the
    full pattern leads, and the weaker side is listed in ``by_side``."""
    kb = catalog().root_causes
    leading = [r for r in roots if r["penalty"] is None] or roots
    sides = tuple(s for s in SIDES if any(r["side"] == s for r in leading))
    model = kb.causes[cause]
    support = [f for name in model.supporting for f in _present(findings, name, sides)]
    penalties = [r["penalty"] for r in leading if r["penalty"]]
    if disagree:
        penalties.append("sides_disagree")
    limited = [f for f in findings.get("hip_ir_limited", ()) if not sides or f.side in sides]
    if limited and all(f.strength == "borderline" for f in limited):
        penalties.append("borderline_hip_ir")
    if _present(findings, "programme_insufficient", ()):
        penalties.append("programme_insufficient")
    penalties.extend(penalty for finding, penalty in kb.finding_penalties.items()
                     if _present(findings, finding, sides))
    unknown = [p for p in _key_paths(model.key_observations, sides) if value_at(case, p) in (None, "unsure")]
    penalties.extend(["missing_key_observation"] * len(unknown))
    applied = [p for p in penalties if p in model.penalised_by]
    points = len(support)
    for name in dict.fromkeys(applied):
        penalty = kb.penalties[name]
        points -= penalty.points * min(penalty.at_most, applied.count(name))
    level: Confidence = ("high" if points >= kb.scoring.high_at
                         else "moderate" if points >= kb.scoring.moderate_at else "low")
    cap = min((_LEVELS.index(kb.penalties[p].cap) for p in applied), default=2)
    confidence = _LEVELS[min(_LEVELS.index(level), cap)]
    return trusted(RootCause, id=cast(RootCauseId, cause), confidence=confidence, sides=sides, rule="",
                   claims=model.claims, supported_by=tuple(dict.fromkeys(f.id for f in support)),
                   penalties=tuple(dict.fromkeys(applied)), by_side=())


def _key_paths(templates: tuple[str, ...], sides: tuple[str, ...]) -> list[str]:
    paths: list[str] = []
    for template in templates:
        head, _, tail = template.partition(".")
        if template.startswith("movements."):
            movement, _, field = tail.partition(".")
            paths.extend(f"movements.{movement}.{s}.{field}" for s in sides or SIDES)
        elif head in ("feet", "hips", "tibia", "lateral_chain"):
            paths.extend(f"{head}.{s}.{tail}" for s in sides or SIDES)
        else:
            paths.append(template)
    return paths


def _alternatives(root: RootCause | None, findings: _ById) -> tuple[Alternative, ...]:
    if root is None:
        return ()
    causes = catalog().root_causes.causes
    told = {root.id, *(side.id for side in root.by_side)}
    out = []
    for cause, model in causes.items():
        if cause in told:  # the lead, or another side's own story: not an alternative
            continue
        because = tuple(f for f in model.rejected_by if _present(findings, f, root.sides))
        # Empty when no finding rules it out: its own pattern was simply not found.
        out.append(trusted(Alternative, id=cast(RootCauseId, cause), rejected_because=because))
    return tuple(out)


def _constraints(advice: list[Advice], first_rule: dict[str, str]) -> tuple[Constraint, ...]:
    table = catalog().constraints
    sides: dict[str, set[str]] = defaultdict(set)
    for fact in advice:
        sides[fact["constraint"]].update([fact["side"]] if fact["side"] else [])
    ordered = sorted(sides, key=lambda c: table[c].order)
    out = []
    for index, constraint in enumerate(ordered, start=1):
        rule = first_rule[ref("constraint", constraint)]
        out.append(trusted(Constraint, id=constraint, order=index, claims=table[constraint].claims,
                           rule=rule, sides=tuple(s for s in SIDES if s in sides[constraint])))
    return tuple(out)


def _could_change(path: str) -> tuple[str, ...]:
    return next((could_change(watched.path) for watched in catalog().observations if path in watched.paths()), ())


@cache
def _watched() -> tuple[tuple[str, tuple[str, ...], bool, tuple[str, ...]], ...]:
    """Each observation path ``missing`` lists when not assessed (optional ones are not), in
    observations.yaml's order: its parts, whether it is pelvic, and what it could change."""
    return tuple((path, tuple(path.split(".")), watched.pelvic, could_change(watched.path))
                 for watched in catalog().observations if not watched.optional
                 for path in watched.paths())


@cache
def _detail(path: str, state: str, changes: tuple[str, ...]) -> MissingDetail:
    """An observation left out or unsure (of the catalog's paths, so a few hundred at most): made
    once, shared by every assessment that lists it (the model is immutable)."""
    return trusted(MissingDetail, path=path, state=state, could_change=changes)


def _missing(case: Case, blocked: list[Blocked], found: list[Found]) -> tuple[MissingDetail, ...]:
    items: list[MissingDetail] = []
    for fact in blocked:
        if fact["reason"] == "red_flag_unknown":
            items.append(trusted(MissingDetail, path=fact["path"], state="unknown", could_change=("status",)))
        elif fact["reason"] in HOLDS:
            # What an examination flag waits for: the hip joint itself (hips.<side>, no field of the
            # case file), or a hip's ER (listed again below only once).
            items.append(trusted(MissingDetail, path=fact["path"], state="not_assessed", could_change=("status",)))
    # Entered values that contradict each other are to be measured again (FOOT-10): what to assess.
    contradicted = {fact["side"] for fact in found if fact["finding"] == "measurement_contradiction"}
    for side in SIDES:
        if side in contradicted:
            items.extend(trusted(MissingDetail, path=f"feet.{side}.{name}", state="contradictory",
                                       could_change=_could_change(f"feet.{side}.{name}"))
                         for name in fields_read("measurement_contradiction"))
    pregnant = case.red_flags.preg_current == "yes"
    for path, parts, pelvic, changes in _watched():
        if pelvic and pregnant:
            continue
        value: Any = case
        for part in parts:  # value_at(case, path), without splitting the path or a lookup each time
            value = value.__dict__.get(part) if isinstance(value, BaseModel) else None
            if value is None:
                break
        if value is None:
            items.append(_detail(path, "not_assessed", changes))
        elif value == "unsure":
            items.append(_detail(path, "unsure", changes))
    # What a rule is waiting for comes first, in the order above (red flags, then a hip flag's wait).
    waited = {fact["path"] for fact in blocked}
    items.sort(key=lambda item: item.path not in waited)
    first = {item.path: item for item in reversed(items)}
    return tuple(item for item in items if first[item.path] is item)
