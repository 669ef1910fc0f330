"""The verdict engine: runs the verdict rules (``knowledge/rules/verdict.py``) over the facts that
describe two visits (``engine/verdict_facts.py``) and returns the verdict with its trace.

An engine of its own, apart from the screening's (``engine/inference.py``): the screening rules and
their golden cases never see these facts, and the verdict rules never see an observation. It uses
the screening engine's agenda strategy (``engine/rete.py``), so ties never depend on hashing.
"""

from __future__ import annotations

from typing import Any

from experta import KnowledgeEngine

from engine.rete import StableDepthStrategy
from engine.trace import TraceStep
from engine.verdict_facts import Verdict
from knowledge.follow_up import Hypothesis
from knowledge.rules.verdict import VerdictRules


class VerdictEngine(VerdictRules, KnowledgeEngine):  # type: ignore[misc]  # experta is untyped
    """The verdict rules composed into one experta engine."""

    __strategy__ = StableDepthStrategy

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[TraceStep] = []

    def reset(self, **kwargs: Any) -> None:
        super().reset(**kwargs)
        self.steps = []


def reach_verdict(facts: list[Any], engine: VerdictEngine | None = None) -> tuple[Hypothesis,
                                                                                  tuple[TraceStep, ...]]:
    """The verdict on the hypothesis of two visits described by ``facts``, and the steps that
    reached it."""
    engine = engine or VerdictEngine()
    engine.reset()
    engine.declare(*facts)
    engine.run()
    reached = [fact["hypothesis"] for fact in engine.facts.values() if isinstance(fact, Verdict)]
    assert len(reached) == 1, f"the verdict rules reached {reached}"
    hypothesis: Hypothesis = reached[0]
    return hypothesis, tuple(engine.steps)
