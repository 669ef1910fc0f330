"""The model of ``knowledge/data/follow_up.yaml``: how a follow-up visit is judged against the visit
before it (shared/domain/outcomes.md). Each outcome measure's smallest change that counts and which way
is better, the factor that turns a published SEM into a derived MDC, the verdict's terms (adherence that
counts as followed, the days before a hypothesis can be refuted, each root cause's own findings) and
the verdict's wording. ``knowledge/catalog.py`` loads it; ``engine/history.py`` and
``knowledge/rules/verdict.py`` read it.
"""

# Annotations are evaluated as the module runs, not kept as text for pydantic to evaluate again when
# it makes each model (ARCHITECTURE.md, "Invariants"; tests/test_startup.py).
from typing import Literal

from knowledge.clinical import MeasurementError, Status, _Strict

Hypothesis = Literal["supported", "not_supported", "inconclusive", "untested"]
HYPOTHESES: tuple[Hypothesis, ...] = ("supported", "not_supported", "inconclusive", "untested")


class Measure(_Strict):
    """One outcome measure: which way is better and the smallest change that counts."""

    better: Literal["lower", "higher"]
    threshold: float
    kind: Literal["MCID", "MDC", "MID"]
    sources: tuple[str, ...]
    status: Status
    note: str


class DerivedError(_Strict):
    factor: float
    status: Status
    note: str


class VerdictTerms(_Strict):
    followed: tuple[Literal["all", "most", "some", "none", "unknown"], ...]
    min_days: int
    min_days_status: Status
    min_days_sources: tuple[str, ...]
    own_findings: dict[str, tuple[str, ...]]


class VerdictWording(_Strict):
    title: str
    text: str


class FollowUp(_Strict):
    measures: dict[str, Measure]
    derived_error: DerivedError
    verdict: VerdictTerms
    verdicts: dict[Hypothesis, VerdictWording]

    def change_that_counts(self, error: MeasurementError | None) -> tuple[float, Status] | None:
        """The change of an observation beyond its measurement error: an MDC or SDC as published, a
        SEM as the MDC95 derived from it (``derived``); None without a published figure."""
        if error is None:
            return None
        if error.kind == "SEM":
            # Not rounded to the figure shown: 2.77 x 2.5 mm is 6.925, and a change of 6.92 is within
            # it (only float noise is rounded off).
            return round(self.derived_error.factor * error.value, 6), self.derived_error.status
        return error.value, error.status
