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
from typing import Any

from experta import Fact, KnowledgeEngine
from experta.conditionalelement import ConditionalElement
from experta.matchers.rete.check import TypeCheck
from experta.matchers.rete.token import Token
from experta.strategies import DepthStrategy

from engine.facts import Advice, Blocked, Found, Obs, Referral, Root, Stage, answers, observations
from engine.intake import SIDES, Case
from engine.trace import (
    Alternative,
    Assessment,
    CaseRef,
    Constraint,
    Finding,
    MissingDetail,
    RootCause,
    TraceStep,
    ref,
)
from engine.trace import Referral as ReferralOut
from knowledge.catalog import TIER_RANK, catalog
from knowledge.rules.constraints import ConstraintRules
from knowledge.rules.foot import FootRules
from knowledge.rules.lateral_chain import LateralChainRules
from knowledge.rules.pelvis import PelvisRules
from knowledge.rules.programme import ProgrammeRules
from knowledge.rules.red_flags import RedFlagRules
from knowledge.rules.root_cause import RootCauseRules
from knowledge.rules.symptoms import SymptomRules
from knowledge.rules.tibia_femur import TibiaFemurRules


class _StableDepthStrategy(DepthStrategy):
    """experta's depth strategy, with the rule's name as the last tie-break.

    Two activations of equal salience over the same facts (e.g. CON-03 and CON-04 on one finding)
    otherwise keep the order they come out of a set in, which follows Python's per-process string
    hashing: the same case gave its trace steps in a different order in another process.
    """

    def get_key(self, activation: Any) -> Any:
        return (*super().get_key(activation), activation.rule._wrapped.__name__)


class TripodEngine(RedFlagRules, FootRules, TibiaFemurRules, PelvisRules, LateralChainRules,
                   SymptomRules, ProgrammeRules, RootCauseRules, ConstraintRules, KnowledgeEngine):
    """Every rule module composed into one experta engine."""

    __strategy__ = _StableDepthStrategy

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[TraceStep] = []
        _route_root_by_fact_type(self.matcher.root_node)
        _poll_only_changed_rules(self.matcher)
        self.matched_names = _matched_names(self.get_rules())

    def can_match(self, fact: Obs) -> bool:
        """Whether any rule's pattern could match this observation (by class and name)."""
        names = self.matched_names.get(type(fact))
        return names is not None and ("*" in names or fact["name"] in names)

    def reset(self, **kwargs: Any) -> None:
        # experta's reset clears the facts and the agenda; the trace is ours to clear.
        super().reset(**kwargs)
        self.steps = []


def _matched_names(rules: Any) -> dict[type, set[str]]:
    """For each fact class the rules mention, the observation names their patterns ask for
    ('*' when a pattern takes any name). An observation no pattern asks for can never change what
    the engine concludes, so it is not declared (heel and 5th-metatarsal contact, ER range, sex)."""
    names: dict[type, set[str]] = defaultdict(set)

    def walk(element: Any) -> None:
        if isinstance(element, Fact):
            name = element.get("name")
            names[type(element)].add(name if isinstance(name, str) else "*")
        elif isinstance(element, (tuple, list, ConditionalElement)):
            for part in element:
                walk(part)

    for rule in rules:
        walk(rule)
    return dict(names)


def _route_root_by_fact_type(root: Any) -> None:
    """Send each fact only to the root children that test for its exact type.

    experta 1.9.4's RETE root hands every fact to every first-level node, and each of those is a test
    of the fact's exact class (``type(fact) == cls``), so with seventeen fact classes every declare paid
    for seventeen token copies of which sixteen fail. Routing by type skips only tests that would fail:
    the network, its memories and what it matches are unchanged (the golden cases and the engine-reuse
    test pin this). A root child that is not a type test (none today) still sees every fact.
    """
    routes: dict[type, list[Any]] = defaultdict(list)
    others: list[Any] = []
    for child in root.children:
        matcher = getattr(child.node, "matcher", None)
        if isinstance(matcher, TypeCheck):
            routes[matcher.fact_type].append(child)
        else:
            others.append(child)

    def send(kind: type, token: Token) -> None:
        for child in routes.get(kind, ()):
            child.callback(token)
        for child in others:
            child.callback(token)

    root.add = lambda fact: send(type(fact), Token.valid(fact))
    root.remove = lambda fact: send(type(fact), Token.invalid(fact))


def _poll_only_changed_rules(matcher: Any) -> None:
    """Ask only the rules whose matches changed for their new activations.

    After every declare and every fired rule, experta 1.9.4 polls all ~55 conflict-set nodes, each
    handing back two fresh (mostly empty) sets. A node with nothing added or removed has nothing to
    say, so skipping it returns exactly the same activations, in the same order.
    """
    nodes = matcher._get_conflict_set_nodes()
    root = matcher.root_node

    def changes(adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        for fact in deleting or ():
            root.remove(fact)
        for fact in adding or ():
            root.add(fact)
        added: list[Any] = []
        removed: list[Any] = []
        for node in nodes:
            if node.added or node.removed:
                new, gone = node.get_activations()
                added.extend(new)
                removed.extend(gone)
        return added, removed

    matcher.changes = changes


def build_engine() -> TripodEngine:
    return TripodEngine()


def assess(case: Case, engine: TripodEngine | None = None) -> Assessment:
    """Reason from a validated case to an Assessment. ``engine`` may be reused between calls."""
    engine = engine or build_engine()
    engine.reset()
    everything = [fact for fact in observations(case) if engine.can_match(fact)]
    # Declared in two batches: experta updates its agenda once per declare call.
    engine.declare(*answers(case), *(f for f in everything if f["segment"] == "client"))
    engine.run()
    if not _facts(engine, Referral):
        engine.declare(*(f for f in everything if f["segment"] != "client"), Stage())
        engine.run()
    return _assemble(case, engine)


def _facts(engine: KnowledgeEngine, kind: type) -> list[Any]:
    return [fact for fact in engine.facts.values() if isinstance(fact, kind)]


def _assemble(case: Case, engine: TripodEngine) -> Assessment:
    kb = catalog()
    steps = list(engine.steps)
    referrals = _facts(engine, Referral)
    blocked = _facts(engine, Blocked)
    found = _facts(engine, Found)
    roots = _facts(engine, Root)
    if referrals:
        status = "referral"
    elif blocked:
        status = "incomplete"
    else:
        status = "complete"

    flags = sorted({r["flag"] for r in referrals} | {r["partner"] for r in referrals if r["partner"]},
                   key=lambda f: (-TIER_RANK[kb.red_flags.flags[f].tier], f))
    urgency = max((r["tier"] for r in referrals), key=TIER_RANK.__getitem__, default=None)
    referral = ReferralOut(required=bool(referrals), urgency=urgency, red_flags=tuple(flags))

    findings = tuple(_finding(fact, steps) for fact in sorted(found, key=_finding_order))
    root_cause = _root_cause(case, roots, findings, steps) if status == "complete" else None
    alternatives = _alternatives(root_cause, findings)
    constraints = _constraints(_facts(engine, Advice), steps) if root_cause else ()
    detail = _missing(case, blocked)
    if status == "referral":
        # No chain reasoning ran, so no observation is missing for it; a red flag left unanswered
        # still is, and the doctor the client is sent to should hear of it.
        detail = tuple(m for m in detail if m.state == "unknown")
    return Assessment(
        case=CaseRef(client_id=case.client.id, assessed_on=case.assessed_on),
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


def _finding_order(fact: Found) -> tuple[int, str, str]:
    order = list(catalog().texts.findings)
    finding = fact["finding"]
    return (order.index(finding) if finding in order else len(order), finding, fact["side"] or "")


def _merge(steps: list[TraceStep], field: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for step in steps for item in getattr(step, field)))


def _finding(fact: Found, steps: list[TraceStep]) -> Finding:
    own = [s for s in steps if s.concluded == ref("finding", fact["finding"], fact["side"])]
    return Finding(
        id=fact["finding"],
        side=fact["side"],
        rule=own[0].rule,
        claims=tuple(sorted(_merge(own, "claims"), key=lambda c: int(c[1:]))),
        sources=_merge(own, "sources"),
        based_on=_merge(own, "used"),
        strength=fact["strength"],
    )


def _present(findings: tuple[Finding, ...], finding_id: str, sides: tuple[str, ...]) -> list[Finding]:
    """The findings with this id on the given sides (any side if none given), or unsided."""
    return [f for f in findings
            if f.id == finding_id and (f.side is None or not sides or f.side in sides)]


_LEVELS = ("low", "moderate", "high")


def _root_cause(case: Case, roots: list[Root], findings: tuple[Finding, ...],
                steps: list[TraceStep]) -> RootCause | None:
    if not roots:
        return None
    kb = catalog().root_causes
    cause = roots[0]["cause"]
    sides = tuple(s for s in SIDES if any(r["side"] == s for r in roots))
    model = kb.causes[cause]
    support = [f for name in model.supporting for f in _present(findings, name, sides)]
    penalties = [r["penalty"] for r in roots if r["penalty"]]
    limited = [f for f in findings if f.id == "hip_ir_limited" and (not sides or f.side in sides)]
    if limited and all(f.strength == "borderline" for f in limited):
        penalties.append("borderline_hip_ir")
    if _present(findings, "programme_insufficient", ()):
        penalties.append("programme_insufficient")
    penalties.extend(penalty for finding, penalty in kb.finding_penalties.items()
                     if _present(findings, finding, sides))
    unknown = [p for p in _key_paths(model.key_observations, sides) if _value(case, p) in (None, "unsure")]
    penalties.extend(["missing_key_observation"] * len(unknown))
    applied = [p for p in penalties if p in model.penalised_by]
    points = len(support)
    for name in dict.fromkeys(applied):
        rule = kb.penalties[name]
        points -= rule.points * min(rule.at_most, applied.count(name))
    level = ("high" if points >= kb.scoring.high_at
             else "moderate" if points >= kb.scoring.moderate_at else "low")
    cap = min((_LEVELS.index(kb.penalties[p].cap) for p in applied), default=2)
    confidence = _LEVELS[min(_LEVELS.index(level), cap)]
    rule = next(s.rule for s in steps if s.concluded.split(":")[:2] == ["root_cause", cause])
    return RootCause(id=cause, confidence=confidence, sides=sides, rule=rule, claims=model.claims,
                     supported_by=tuple(dict.fromkeys(f.id for f in support)),
                     penalties=tuple(dict.fromkeys(applied)))


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


def _alternatives(root: RootCause | None, findings: tuple[Finding, ...]) -> tuple[Alternative, ...]:
    if root is None:
        return ()
    causes = catalog().root_causes.causes
    out = []
    for cause, model in causes.items():
        if cause == root.id:
            continue
        because = tuple(f for f in model.rejected_by if _present(findings, f, root.sides))
        # Empty when no finding rules it out: its own pattern was simply not found.
        out.append(Alternative(id=cause, rejected_because=because))
    return tuple(out)


def _constraints(advice: list[Advice], steps: list[TraceStep]) -> tuple[Constraint, ...]:
    table = catalog().constraints
    sides: dict[str, set[str]] = defaultdict(set)
    for fact in advice:
        sides[fact["constraint"]].update([fact["side"]] if fact["side"] else [])
    ordered = sorted(sides, key=lambda c: table[c].order)
    out = []
    for index, constraint in enumerate(ordered, start=1):
        rule = next(s.rule for s in steps if s.concluded.split(":")[:2] == ["constraint", constraint])
        out.append(Constraint(id=constraint, order=index, claims=table[constraint].claims, rule=rule,
                              sides=tuple(s for s in SIDES if s in sides[constraint])))
    return tuple(out)


def _value(case: Case, path: str) -> Any:
    current: Any = case
    for part in path.split("."):
        current = getattr(current, part, None)
        if current is None:
            return None
    return current


def _missing(case: Case, blocked: list[Blocked]) -> tuple[MissingDetail, ...]:
    kb = catalog()
    items: list[MissingDetail] = []
    for fact in blocked:
        if fact["reason"] == "red_flag_unknown":
            items.append(MissingDetail(path=fact["path"], state="unknown", could_change=("status",)))
    pregnant = case.red_flags.preg_current == "yes"  # type: ignore[attr-defined]
    for watched in kb.observations:
        if (watched.pelvic and pregnant) or watched.optional:
            continue
        for path in watched.paths():
            value = _value(case, path)
            if value is None:
                items.append(MissingDetail(path=path, state="not_assessed",
                                           could_change=watched.could_change))
            elif value == "unsure":
                items.append(MissingDetail(path=path, state="unsure",
                                           could_change=watched.could_change))
    return tuple(items)
