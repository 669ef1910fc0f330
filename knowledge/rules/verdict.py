"""The verdict on a hypothesis: did a follow-up bear out the root cause the visit before it
concluded? (shared/domain/outcomes.md section 3, with C20, the corrective order, and C1, the model's
scope.)

The rules run in an engine of their own (``engine/verdict.py``) over facts describing two visits
(``engine/verdict_facts.py``): what the first visit concluded, how well its constraints were
followed, the days between, each outcome's judged change and where the root cause's own findings
went. The first verdict that applies is the one reached: each rule is a tier of salience and waits
for no verdict yet. Each is registered like every screening rule (``@rule``: id, what it concludes,
claims, sources), and its step in the verdict's trace names the facts behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from experta import AS, NOT
from experta.fieldconstraint import P

from engine.trace import TraceStep, ref
from engine.verdict_facts import (
    Adherence,
    Elapsed,
    FirstVisit,
    OutcomeChange,
    OwnFinding,
    Verdict,
    reference,
)
from knowledge.catalog import catalog
from knowledge.rules.base import one_of
from knowledge.rules.registry import RuleInfo, rule

_TERMS = catalog().follow_up.verdict
_FOLLOWED = one_of(*_TERMS.followed)
_NOT_FOLLOWED = one_of(*(level for level in ("all", "most", "some", "none", "unknown")
                         if level not in _TERMS.followed))
# A pattern test reads only its value and the catalog (see knowledge/rules/base.py).
_TOO_EARLY = P(lambda days: days < _TERMS.min_days)
_LONG_ENOUGH = P(lambda days: days >= _TERMS.min_days)
_RE_MEASURED = one_of("moved", "not_moved")
_CLAIMS = ("C20", "C1")


class VerdictRules:
    """Mixin of the verdict rules; the verdict engine composes it with experta's KnowledgeEngine."""

    steps: list[TraceStep]
    firing: RuleInfo

    def reach(self, used: Iterable[Any]) -> None:
        """Declare the firing rule's verdict and record its step: the facts behind it, the rule's
        claims and sources with those of every outcome threshold it rests on."""
        info = self.firing
        assert info.verdict is not None, f"{info.id} concludes no verdict"
        facts = [fact for fact in used if fact is not None]
        sources = [*info.sources, *(s for f in facts if isinstance(f, OutcomeChange)
                                    for s in f["sources"])]
        self.steps.append(TraceStep(rule=info.id, concluded=ref("verdict", info.verdict),
                                    claims=info.claims, sources=tuple(dict.fromkeys(sources)),
                                    used=tuple(reference(fact) for fact in facts)))
        self.declare(Verdict(hypothesis=info.verdict))  # type: ignore[attr-defined]

    def every(self, kind: type, **fields: Any) -> list[Any]:
        """Every fact of ``kind`` with these field values: all that stand behind a verdict, where a
        pattern binds one."""
        return [fact for fact in self.facts.values()  # type: ignore[attr-defined]
                if isinstance(fact, kind)
                and all(fact.get(k) == v for k, v in fields.items())]  # type: ignore[attr-defined]

    @rule(AS.first << FirstVisit(complete="no"), NOT(Verdict()), salience=70,
          verdict="untested", claims=_CLAIMS)
    def hyp_01_untested_without_a_root_cause(self, first: FirstVisit) -> None:
        """The first visit reached no root cause (its screening was not complete): there was no
        hypothesis to test."""
        self.reach([first])

    @rule(FirstVisit(complete="yes"), AS.adherence << Adherence(level=_NOT_FOLLOWED), NOT(Verdict()),
          salience=60, verdict="untested", claims=_CLAIMS)
    def hyp_02_untested_when_the_constraints_were_not_followed(self, adherence: Adherence) -> None:
        """The constraints were followed only in part, not at all, or nobody knows: the corrective
        order (C20) was not tried, so the follow-up cannot speak for or against it."""
        self.reach([adherence])

    @rule(FirstVisit(complete="yes"), AS.adherence << Adherence(level=_FOLLOWED),
          NOT(OwnFinding(state=_RE_MEASURED)), NOT(OutcomeChange()), NOT(Verdict()),
          salience=50, verdict="untested", claims=_CLAIMS)
    def hyp_03_untested_when_nothing_was_measured_again(self, adherence: Adherence) -> None:
        """Neither the root cause's own findings nor any outcome measure was measured again: nothing
        at the follow-up bears on the hypothesis."""
        self.reach([adherence, *self.every(OwnFinding)])

    @rule(FirstVisit(complete="yes"), AS.adherence << Adherence(level=_FOLLOWED),
          OwnFinding(state="moved"), OutcomeChange(judgement="improved"),
          NOT(OutcomeChange(judgement="worse")), NOT(Verdict()),
          salience=40, verdict="supported", claims=_CLAIMS)
    def hyp_04_supported(self, adherence: Adherence) -> None:
        """The constraints were followed, a finding the root cause rests on moved as expected and
        an outcome improved with none worse: the follow-up agrees with the chain the model drew
        (C20). A hypothesis-level statement: many things change between visits."""
        self.reach([adherence, *self.every(OwnFinding, state="moved"),
                    *self.every(OutcomeChange, judgement="improved")])

    @rule(FirstVisit(complete="yes"), AS.adherence << Adherence(level=_FOLLOWED),
          AS.elapsed << Elapsed(days=_TOO_EARLY), NOT(OwnFinding(state="moved")),
          NOT(OutcomeChange(judgement="improved")), NOT(Verdict()),
          salience=30, verdict="untested", claims=_CLAIMS, sources=tuple(_TERMS.min_days_sources))
    def hyp_05_untested_when_too_early_to_refute(self, adherence: Adherence,
                                                 elapsed: Elapsed) -> None:
        """Nothing moved and nothing improved, but too few days have passed for that to count
        against the hypothesis (a convention)."""
        self.reach([adherence, elapsed, *self.every(OwnFinding), *self.every(OutcomeChange)])

    @rule(FirstVisit(complete="yes"), AS.adherence << Adherence(level=_FOLLOWED),
          AS.elapsed << Elapsed(days=_LONG_ENOUGH), NOT(OwnFinding(state="moved")),
          NOT(OutcomeChange(judgement="improved")), NOT(Verdict()),
          salience=20, verdict="not_supported", claims=_CLAIMS,
          sources=tuple(_TERMS.min_days_sources))
    def hyp_06_not_supported(self, adherence: Adherence, elapsed: Elapsed) -> None:
        """The constraints were followed for long enough, yet no finding the root cause rests on
        moved and no outcome improved: the model's other explanations (programme, execution, C1)
        come back into view."""
        self.reach([adherence, elapsed, *self.every(OwnFinding), *self.every(OutcomeChange)])

    @rule(AS.first << FirstVisit(), NOT(Verdict()), salience=10, verdict="inconclusive",
          claims=_CLAIMS)
    def hyp_07_inconclusive(self, first: FirstVisit) -> None:
        """Everything else: findings moved but no outcome improved, outcomes improved but no
        finding moved, or outcomes moved in opposite directions."""
        self.reach([*self.every(Adherence), *self.every(OwnFinding), *self.every(OutcomeChange)])
