"""Each change between two visits judged against the smallest change that counts
(shared/domain/outcomes.md sections 1 and 4).

An outcome measure against its MCID or MDC (``knowledge/data/follow_up.yaml``), in its own direction
(NPRS: lower is better; PSFS and LEFS: higher), a change exactly at the threshold counting; the PSFS
activity by activity, matched by their text. A numeric observation against its instrument's
measurement error (``instruments.yaml``: an MDC or SDC as published, a SEM as the MDC95 derived from
it), beyond it only when the change exceeds it; an enumerated one listed when it changed; what the
later visit left out is not re-assessed, never unchanged. Also: whether a finding's observations
were measured again, and whether one of them moved toward normal beyond its error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from engine.intake import instrument_of
from engine.paths import field_at, flattened, instrument_for, value_at
from engine.trace import Assessment, Finding
from engine.visit import Outcomes
from engine.visits import observed
from knowledge.catalog import catalog, messages
from knowledge.clinical import observation_of

OutcomeJudgement = Literal["improved", "worse", "no_clear_change"]
ObservationJudgement = Literal["beyond_error", "within_error", "not_reassessed", "no_error_figure",
                               "changed"]
# A change is compared with its threshold to this tolerance: 2.3 - 0.0 is 2.3 in decimal, not in
# binary floating point.
_TOLERANCE = 1e-9
_SCALAR = ("nprs_now", "nprs_worst_week", "lefs_total")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeJudged(_Model):
    measure: str
    before: int | float
    after: int | float
    change: int | float
    threshold: int | float
    judgement: OutcomeJudgement


class ObservationJudged(_Model):
    path: str
    before: Any
    after: Any
    error: int | float | None
    judgement: ObservationJudgement
    error_status: str | None = None
    note: str | None = None


class PsfsActivities(_Model):
    """The PSFS activities of the two visits, matched by their text: those both rate (judged on
    their mean), those new at the later visit and those it dropped (neither judged)."""

    matched: tuple[str, ...]
    new: tuple[str, ...]
    dropped: tuple[str, ...]


def plain(value: float) -> int | float:
    """A number as the history writes it: 2 rather than 2.0."""
    return int(value) if float(value).is_integer() else value


def _judge(measure: str, before: float, after: float) -> OutcomeJudged:
    """The change judged on the exact values (a PSFS mean of 5.25 is not 5.2: rounded first, a
    +2.25 would pass for the +2.3 that counts); shown to two decimals at most."""
    spec = catalog().follow_up.measures[measure]
    exact = after - before
    change = round(exact, 2)
    better = -exact if spec.better == "lower" else exact
    judgement: OutcomeJudgement = "no_clear_change"
    if better >= spec.threshold - _TOLERANCE:
        judgement = "improved"
    elif -better >= spec.threshold - _TOLERANCE:
        judgement = "worse"
    return OutcomeJudged(measure=measure, before=plain(round(before, 2)),
                         after=plain(round(after, 2)),
                         change=plain(change), threshold=plain(spec.threshold), judgement=judgement)


def _text(activity: str) -> str:
    return activity.strip().casefold()


def judged_outcomes(before: Outcomes | None,
                    after: Outcomes | None) -> tuple[list[OutcomeJudged], PsfsActivities | None]:
    """Each outcome measure both visits took, judged; the PSFS on the mean of the activities both
    rate (each visit's mean over those, judged exact and shown to two decimals at most), with its
    activities matched."""
    if before is None or after is None:
        return [], None
    judged = [_judge(name, getattr(before, name), getattr(after, name)) for name in _SCALAR
              if getattr(before, name) is not None and getattr(after, name) is not None]
    activities = None
    if before.psfs and after.psfs:
        earlier = {_text(a.activity): a for a in before.psfs}
        later = {_text(a.activity): a for a in after.psfs}
        both = [key for key in later if key in earlier]
        activities = PsfsActivities(
            matched=tuple(later[key].activity for key in both),
            new=tuple(a.activity for key, a in later.items() if key not in earlier),
            dropped=tuple(a.activity for key, a in earlier.items() if key not in later))
        if both:
            mean_before = sum(earlier[key].score for key in both) / len(both)
            mean_after = sum(later[key].score for key in both) / len(both)
            judged.insert(sum(1 for j in judged if j.measure.startswith("nprs")),
                          _judge("psfs", mean_before, mean_after))
    return judged, activities


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def error_for(path: str, method: str | None) -> tuple[float, str] | None:
    """The change of the observation at ``path`` beyond its measurement error, with its status;
    None when no figure is published."""
    found = field_at(path)
    if found is None:
        return None
    instrument = instrument_for(path, instrument_of(*found), method)
    spec = catalog().instruments.get(instrument) if instrument else None
    return catalog().follow_up.change_that_counts(spec.error if spec else None)


def _observation(path: str, before: Any, after: Any, methods: tuple[Any, Any]) -> ObservationJudged:
    if after is None:
        return ObservationJudged(path=path, before=before, after=None, error=None,
                                 judgement="not_reassessed")
    if not (_numeric(before) and _numeric(after)):
        return ObservationJudged(path=path, before=before, after=after, error=None,
                                 judgement="changed")
    if path.startswith("hips.") and methods[0] != methods[1]:
        # Seated and prone ranges differ: never compared across positions (instruments.md 9).
        note = messages().say("history.note_positions", before=methods[0], after=methods[1])
        return ObservationJudged(path=path, before=before, after=after, error=None,
                                 judgement="no_error_figure", note=note)
    error = error_for(path, methods[1])
    if error is None:
        return ObservationJudged(path=path, before=before, after=after, error=None,
                                 judgement="no_error_figure")
    value, status = error
    beyond = abs(after - before) > value + _TOLERANCE
    return ObservationJudged(path=path, before=before, after=after, error=plain(value),
                             judgement="beyond_error" if beyond else "within_error",
                             error_status=status)


def judged_observations(before: Mapping[str, Any],
                        after: Mapping[str, Any]) -> tuple[ObservationJudged, ...]:
    """Every numeric observation both visits assessed, changed or not; every other one that
    changed; what the later visit left out as not re-assessed. Who and when, the client's age and
    sex, and the visit sections are not observations of change."""
    old, new = flattened(before), flattened(after)
    methods = (value_at(before, "hips.method"), value_at(after, "hips.method"))
    out = []
    for path in dict.fromkeys([*old, *new]):
        if not observed(path) or path.startswith("client."):
            continue
        was, now = old.get(path), new.get(path)
        if was is None and now is None:
            continue
        if not (_numeric(was) and _numeric(now)) and was == now:
            continue  # an enumerated observation is listed when it changed
        # A stored number of a decimal field reads back as 22.0: written as the case file has it.
        was, now = (plain(v) if _numeric(v) else v for v in (was, now))  # type: ignore[arg-type]
        out.append(_observation(path, was, now, methods))
    return tuple(out)


def observation_paths(finding: Finding, assessment: Assessment) -> list[str]:
    """The case-file paths a finding rests on, followed through the findings it used."""
    paths: list[str] = []
    todo, seen = [finding], set()
    while todo:
        current = todo.pop()
        if current.ref() in seen:
            continue
        seen.add(current.ref())
        for item in current.based_on:
            if item.startswith("finding:"):
                _, finding_id, *side = item.split(":")
                found = assessment.finding(finding_id, side[0] if side else None)  # type: ignore[arg-type]
                if found is not None:
                    todo.append(found)
            elif ":" not in item:
                paths.append(item)
    return list(dict.fromkeys(paths))


def re_measured(finding: Finding, assessment: Assessment, later: Mapping[str, Any]) -> bool:
    """Whether the later visit assessed every observation the finding rests on (unsure is not)."""
    paths = observation_paths(finding, assessment)
    return bool(paths) and all(value_at(later, p) not in (None, "unsure") for p in paths)


def toward_normal(finding: Finding, assessment: Assessment,
                  judged: tuple[ObservationJudged, ...]) -> bool:
    """Whether a numeric observation the finding read moved beyond its error away from the cut-off
    its rule needed met (hip IR < 15 deg: upward)."""
    beyond = {o.path: o.after - o.before for o in judged if o.judgement == "beyond_error"}
    for step in assessment.steps_for(finding.ref()):
        for seen in step.observations:
            if seen.path not in beyond or seen.instrument is None:
                continue
            for use in step.thresholds:
                threshold = catalog().threshold(use.key)
                if not use.met or threshold.observation != observation_of(seen.instrument):
                    continue
                upward = threshold.op in ("<", "<=")
                if (beyond[seen.path] > 0) == upward:
                    return True
    return False
