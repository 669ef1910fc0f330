"""A follow-up's progress, laid out for the reports: the outcome measures over every visit as small
charts (one per measure, so each keeps legible text on a narrow screen), the change that counts
(MCID) marked from the first visit's value, and the verdict of the last change with its reasons.

It reads the judged history (``engine/history.py``, gathered by the screening service) and
``follow_up.yaml``; it decides nothing: every judgement and the verdict are the history's own.
``reports/templates/_progress.html.j2`` turns these values into SVG and words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.history import Change, History
from engine.judged import OutcomeJudged
from engine.trace import TraceStep
from knowledge.catalog import catalog
from reports.shown import shown

# The measures charted, each with the instrument whose range is its axis (instruments.yaml).
CHARTED = (("nprs_now", "nprs_now"), ("psfs", "psfs_score"), ("lefs_total", "lefs_total"))

# Layout of one chart, in SVG user units (1 unit = 1 CSS px); mechanism, not wording.
WIDTH = 210
HEIGHT = 130
LEFT = 30
RIGHT = 14
TOP = 30
BOTTOM = 28


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: str
    date: str


@dataclass(frozen=True)
class Chart:
    """One outcome measure over the visits: its points, its axis and the change that counts."""

    measure: str
    better: str  # lower | higher
    points: tuple[Point, ...]
    top: str
    bottom: str
    mcid: str  # the threshold, as written
    mcid_y: float | None  # the first value moved by the threshold the better way (None off scale)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top_y: int = TOP
    bottom_y: int = HEIGHT - BOTTOM

    @property
    def line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Reason:
    """One step of the verdict's trace: its rule, claims and sources, and its facts in words."""

    rule: str
    claims: tuple[str, ...]
    sources: tuple[str, ...]
    facts: tuple[str, ...]


@dataclass(frozen=True)
class Progress:
    """What a follow-up's report shows of the client's history up to this visit."""

    charts: tuple[Chart, ...]
    change: Change  # the last change: from the visit before to this one
    outcomes: tuple[OutcomeJudged, ...]
    reasons: tuple[Reason, ...]
    visits: int
    days: int


def _chart(history: History, measure: str, instrument: str) -> Chart | None:
    kb = catalog()
    seen = [(visit.assessed_on, visit.outcomes[measure]) for visit in history.visits
            if measure in visit.outcomes]
    if len(seen) < 2:
        return None
    scale = kb.instruments[instrument]
    low, high = float(scale.min or 0), float(scale.max or 1)
    span = (high - low) or 1.0
    bottom_y, top_y = HEIGHT - BOTTOM, TOP
    first_day, last_day = seen[0][0], seen[-1][0]
    days = max((last_day - first_day).days, 1)

    def y(value: float) -> float:
        return bottom_y - (value - low) / span * (bottom_y - top_y)

    def x(day: int) -> float:
        return LEFT + 12 + day / days * (WIDTH - RIGHT - LEFT - 24)

    points = tuple(Point(x((on - first_day).days), y(float(value)), shown(value), on.strftime("%d %b"))
                   for on, value in seen)
    rule = kb.follow_up.measures[measure]
    step = rule.threshold if rule.better == "higher" else -rule.threshold
    target = float(seen[0][1]) + step
    return Chart(measure=measure, better=rule.better, points=points, top=shown(high),
                 bottom=shown(low), mcid=shown(rule.threshold),
                 mcid_y=y(target) if low <= target <= high else None)


def progress(history: History, assessment_id: int,
             explain: Callable[[str], str]) -> Progress | None:
    """The progress of the visit ``assessment_id`` of ``history``: every visit up to it charted and
    the change that ends at it; None when it is the client's first visit. ``explain`` says a fact
    of the verdict's trace in words (the service's, as ``tripod history`` says it)."""
    ids = [visit.assessment_id for visit in history.visits]
    if assessment_id not in ids or ids.index(assessment_id) == 0:
        return None
    upto = history.visits[: ids.index(assessment_id) + 1]
    shown_history = history.model_copy(update={"visits": upto})
    change = next(c for c in history.changes if c.to == assessment_id)
    charts = tuple(chart for measure, instrument in CHARTED
                   if (chart := _chart(shown_history, measure, instrument)) is not None)
    before = next(v for v in history.visits if v.assessment_id == change.from_)
    return Progress(charts=charts, change=change, outcomes=change.outcomes,
                    reasons=tuple(_reason(step, explain) for step in change.hypothesis_trace),
                    visits=len(upto), days=(upto[-1].assessed_on - before.assessed_on).days)


def _reason(step: TraceStep, explain: Callable[[str], str]) -> Reason:
    return Reason(rule=step.rule, claims=tuple(step.claims), sources=tuple(step.sources),
                  facts=tuple(explain(fact) for fact in step.used))
