"""What every rule module shares: salience tiers, cut-off patterns, and ``conclude``.

A rule's left-hand side is clinical logic and stays in its segment module; its decorator
(``knowledge/rules/registry.py``) states what it concludes and the claims and sources it cites, and
its right-hand side calls :meth:`TripodRules.conclude` (or ``block``, ``root``, ``advise``,
``refer``) with the side and the facts it used: the id, claims, sources and cut-offs come from the
firing rule's registry entry. Those calls build the trace as data: every step names the rule, the facts it used (with their case-file
paths and what the knowledge base says about them), the cut-offs it applied and the claims and sources
it cites. Nothing is parsed from experta's log.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable
from typing import Any

from experta import TEST

from engine.facts import Advice, Blocked, Found, Obs, Referral, Root, built
from engine.trace import Observation, ThresholdUse, TraceStep, ref, trusted
from knowledge.catalog import catalog
from knowledge.rules.registry import Among, Cut, RuleInfo

# Rules fire in tiers: red flags and context first, then what each segment shows, then findings that
# need other findings, then the gate and the root cause, then the constraints that follow from it.
RED_FLAG = 100
CONTEXT = 90
SEGMENT = 50
DEPENDENT = 45
SUPPORT = 40
CHAIN = 30
GATE = 10
ROOT = 0
CONSTRAINT = -10


# A pattern test must be a pure function of the value it is given: the engine remembers each test's
# answer by value across cases (engine/rete.py). These read only the value and the catalog, which is
# loaded once per process. Each carries its cut-off's key, which the rule decorator records
# (knowledge/rules/registry.py): the trace's cut-offs come from the patterns, never typed twice.
def _cut(key: str, met: bool) -> Cut:
    threshold = catalog().threshold(key)
    if met:
        pattern = Cut(lambda value: isinstance(value, (int, float)) and threshold.holds(value))
    else:
        pattern = Cut(lambda value: isinstance(value, (int, float)) and not threshold.holds(value))
    pattern.key, pattern.met = key, met
    return pattern


def meets(key: str) -> Any:
    """A pattern value that holds when an entered value meets the cut-off ``key``."""
    return _cut(key, True)


def misses(key: str) -> Any:
    """A pattern value that holds when an entered value does not meet the cut-off ``key``."""
    return _cut(key, False)


def one_of(*values: str) -> Any:
    pattern = Among(lambda value: value in values)
    pattern.values = values
    return pattern


def apart(key: str, first: str, second: str, *, either_way: bool = False) -> Any:
    """A TEST that holds when the bound value ``first`` minus the bound value ``second`` (or their
    distance, ``either_way``) meets the cut-off ``key``: a cut-off on a difference of two
    observations, such as left against right or ER against IR."""
    threshold = catalog().threshold(key)

    def check(**bound: float) -> bool:
        difference = bound[first] - bound[second]
        return threshold.holds(abs(difference) if either_way else difference)

    # experta passes a TEST the bound variables its signature names.
    check.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in (first, second)])
    check.cut_key = key  # type: ignore[attr-defined]
    return TEST(check)


# What the foot shows in the lifts when it cannot load its medial side: the three faults C3 and C16
# name (1st metatarsal head off the floor, weight drifting to the outside of the foot, toes lifting).
# Medial loading is pressure through the inside of the foot, not 1st-metatarsal contact alone
# (claims.md, terms), and the toe-biased constraint answers all three (C18).
MEDIAL_LOADING_LOST = ("first_met_unloaded", "lateral_weight_shift", "toes_lift")
# A foot on the ascending chain's path: one of those, or a foot that looks pronated without the
# motions of true pronation (C4-C6; contract.md, ascending_foot_chain).
FOOT_DEFICITS = (*MEDIAL_LOADING_LOST, "compensatory_pronation")


# The trace is built from the engine's own facts and the checked catalog, thousands of times in a
# batch: trusted() skips re-validating what is already valid.
def _observation(fact: Obs) -> Observation:
    value = fact["value"]
    if isinstance(value, tuple):  # shown as a list, which no two steps share
        return _observed.__wrapped__(fact["path"], list(value), fact["instrument"])
    return _observed(fact["path"], value, fact["instrument"])


@functools.lru_cache(maxsize=4_096, typed=True)
def _observed(path: str, value: Any, instrument: str | None) -> Observation:
    """How a step shows an observation: made once per path, value (of its own type: 30 is not 30.0)
    and instrument, and shared by every step that used it (the model is immutable)."""
    normal, reliability = _instrument_words(instrument)
    return trusted(Observation, path=path, value=value, instrument=instrument, normal=normal,
                   reliability=reliability)


@functools.cache
def _instrument_words(instrument: str | None) -> tuple[str | None, str | None]:
    """What the knowledge base says of an instrument in a trace: its normal band and reliability."""
    spec = catalog().instruments.get(instrument) if instrument else None
    return (spec.normal, spec.reliability) if spec else (None, None)


@functools.cache
def _threshold_use(key: str) -> ThresholdUse:
    """How a step records the cut-off ``key``; written "!key", one the rule needed NOT met. The entry
    is immutable and the catalog fixed for the process, so each is built once."""
    threshold = catalog().threshold(key.lstrip("!"))
    return ThresholdUse.model_construct(key=key.lstrip("!"), text=threshold.text(),
                                        met=not key.startswith("!"), status=threshold.status,
                                        sources=threshold.sources)


@functools.cache
def _citing(thresholds: tuple[str, ...], sources: tuple[str, ...]
            ) -> tuple[tuple[ThresholdUse, ...], tuple[str, ...]]:
    """The cut-offs a step records and the sources it cites (its own, then its cut-offs'): the
    same for every firing of a rule, so made once."""
    uses = tuple(_threshold_use(key) for key in thresholds)
    return uses, tuple(dict.fromkeys([*sources, *(s for use in uses for s in use.sources)]))


def reference(fact: Any) -> str:
    """How a trace names a used fact: its case-file path, or a ref() such as ``finding:<id>:<side>``."""
    if isinstance(fact, Obs):
        return str(fact["path"])
    if isinstance(fact, Found):
        return ref("finding", fact["finding"], fact["side"])
    if isinstance(fact, Root):
        return ref("root_cause", fact["cause"])
    return f"red_flags.{fact['flag']}"


class TripodRules:
    """Mixin base of every rule module; the engine class composes them with experta's KnowledgeEngine.

    ``firing`` is the rule whose right-hand side runs (set by the rule decorator): what the methods
    below record comes from its registry entry."""

    steps: list[TraceStep]
    firing: RuleInfo

    def record(self, concluded: str, claims: tuple[str, ...] = (), used: Iterable[Any] = (),
               thresholds: tuple[str, ...] = (), sources: tuple[str, ...] = ()) -> None:
        uses, cited = _citing(thresholds, sources)
        refs: list[str] = []
        observed: list[Observation] = []
        for fact in used:  # one pass: what the step names, and the observations among them
            if fact is None:
                continue
            if isinstance(fact, Obs):
                refs.append(fact["path"])
                observed.append(_observation(fact))
            else:
                refs.append(reference(fact))
        self.steps.append(trusted(
            TraceStep,
            rule=self.firing.id,
            concluded=concluded,
            claims=claims,
            sources=cited,
            used=tuple(refs),
            observations=tuple(observed),
            thresholds=uses,
        ))

    def conclude(self, side: str | None, used: Iterable[Any] = (), *, strength: str = "definite",
                 sources: Iterable[str] = ()) -> None:
        """Declare the firing rule's finding and record the step that found it. ``sources``: those
        that depend on the matched fact (a red flag's own), beside the rule's."""
        info = self.firing
        finding = info.finding
        assert finding is not None, f"{info.id} concludes no finding"
        self.record(ref("finding", finding, side), info.claims, used, info.thresholds,
                    (*info.sources, *sources) if sources else info.sources)
        self.declare(built(Found, {"finding": finding, "side": side, "strength": strength}))  # type: ignore[attr-defined]

    def refer(self, flag: str, used: Iterable[Any], partner: str | None = None) -> None:
        spec = catalog().red_flags.flags[flag]
        self.record(ref("referral", flag), (), used, (), spec.sources)
        self.declare(built(Referral, {"flag": flag, "tier": spec.tier, "partner": partner}))  # type: ignore[attr-defined]

    def block(self, path: str, used: Iterable[Any] = (), sources: Iterable[str] = ()) -> None:
        """Declare that no root cause can be reached, and record why (the claims whose pattern
        cannot be told apart without what is missing). ``sources`` as for :meth:`conclude`."""
        info = self.firing
        reason = info.block
        assert reason is not None, f"{info.id} concludes no block"
        self.record(ref("blocked", reason, path), info.claims, used, (),
                    (*info.sources, *sources) if sources else info.sources)
        self.declare(built(Blocked, {"reason": reason, "path": path}))  # type: ignore[attr-defined]

    def root(self, side: str | None, used: Iterable[Any], penalty: str | None = None) -> None:
        info = self.firing
        cause = info.root
        assert cause is not None, f"{info.id} concludes no root cause"
        self.record(ref("root_cause", cause, side), info.claims, used)
        self.declare(built(Root, {"cause": cause, "side": side, "penalty": penalty}))  # type: ignore[attr-defined]

    def advise(self, side: str | None, used: Iterable[Any]) -> None:
        info = self.firing
        constraint = info.constraint
        assert constraint is not None, f"{info.id} concludes no constraint"
        self.record(ref("constraint", constraint, side), info.claims, used, (), info.sources)
        self.declare(built(Advice, {"constraint": constraint, "side": side}))  # type: ignore[attr-defined]
