"""A client's visits judged one against the next: ``tripod-history/1`` (contract.md, "History").

For each pair of consecutive visits: each outcome measure's change against its MCID or MDC, each
observation's change against its measurement error (``engine/judged.py``), the findings resolved, new
and not re-assessed, whether the root cause changed and because of which observations and rules (a
diff of the two traces), a change of confidence said for what it is (it falls when findings that
supported the root cause resolved: the client improved), and the verdict on the earlier visit's
hypothesis, reached by the verdict rules (``engine/verdict.py``) with its own trace
(shared/domain/outcomes.md sections 3 and 4).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.intake import Case
from engine.judged import (
    ObservationJudged,
    OutcomeJudged,
    PsfsActivities,
    judged_observations,
    judged_outcomes,
    plain,
    re_measured,
    toward_normal,
)
from engine.paths import value_at
from engine.trace import Assessment, Confidence, RootCauseId, Side, Status, TraceStep, ref
from engine.verdict import VerdictEngine, reach_verdict
from engine.verdict_facts import Adherence, Elapsed, FirstVisit, OutcomeChange, OwnFinding
from knowledge.catalog import catalog, sayer
from knowledge.follow_up import Hypothesis

FORMAT: Final = "tripod-history/1"
_LEVELS: tuple[Confidence, ...] = ("low", "moderate", "high")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RootCauseSeen(_Model):
    id: RootCauseId
    confidence: Confidence
    sides: tuple[Side, ...]


class VisitSeen(_Model):
    assessment_id: int
    version: int
    assessed_on: dt.date
    visit: Literal["initial", "follow_up"]
    status: Status
    root_cause: RootCauseSeen | None
    outcomes: dict[str, int | float]


class ConfidenceChange(_Model):
    """The root cause kept, its confidence moved; ``fell_because_improved``: it fell because
    findings that supported it resolved."""

    before: Confidence
    after: Confidence
    fell_because_improved: bool
    findings_resolved: tuple[str, ...]


class Change(_Model):
    """What changed from one visit to the next. The contract's fields first; then Tripod's optional
    additions (left out of the JSON when empty)."""

    from_: int = Field(alias="from")
    to: int
    outcomes: tuple[OutcomeJudged, ...]
    observations: tuple[ObservationJudged, ...]
    findings_resolved: tuple[str, ...]
    findings_new: tuple[str, ...]
    root_cause_changed: bool
    because: tuple[str, ...]
    hypothesis: Hypothesis
    findings_not_reassessed: tuple[str, ...] = ()
    psfs_activities: PsfsActivities | None = None
    confidence: ConfidenceChange | None = None
    notes: tuple[str, ...] = ()
    hypothesis_trace: tuple[TraceStep, ...] = ()


_OPTIONAL = ("findings_not_reassessed", "psfs_activities", "confidence", "notes")


class History(_Model):
    format: Literal["tripod-history/1"] = FORMAT
    client_id: str
    visits: tuple[VisitSeen, ...]
    changes: tuple[Change, ...]

    def to_document(self) -> dict[str, Any]:
        """The JSON document: contract fields always, optional additions only when they say
        something."""
        document = self.model_dump(mode="json", by_alias=True)
        for change in document["changes"]:
            for key in _OPTIONAL:
                if not change[key]:
                    del change[key]
            for step in change["hypothesis_trace"]:
                for key in ("observations", "thresholds"):
                    del step[key]
            for entry in change["observations"]:
                for key in ("error_status", "note"):
                    if entry[key] is None:
                        del entry[key]
        return document


@dataclass(frozen=True)
class Visit:
    """One stored visit: its assessment id and version, the case document as stored, the case and
    the assessment as this version's models."""

    assessment_id: int
    version: int
    document: Mapping[str, Any]
    case: Case
    assessment: Assessment


_say = sayer("history")


def finding_key(finding_id: str, side: str | None) -> str:
    """A finding as the history names it: ``first_met_unloaded:left``, or its id when unsided."""
    return f"{finding_id}:{side}" if side else finding_id


def _seen(visit: Visit) -> VisitSeen:
    assessment, outcomes = visit.assessment, visit.case.outcomes
    values: dict[str, int | float] = {}
    if outcomes is not None:
        for name in ("nprs_now", "nprs_worst_week", "psfs", "lefs_total", "groc"):
            value = outcomes.psfs_mean() if name == "psfs" else getattr(outcomes, name)
            if value is not None:
                values[name] = plain(value)
    rc = assessment.root_cause
    return VisitSeen(assessment_id=visit.assessment_id, version=visit.version,
                     assessed_on=visit.case.assessed_on, visit=visit.case.visit or "initial",
                     status=assessment.status, outcomes=values,
                     root_cause=RootCauseSeen(id=rc.id, confidence=rc.confidence, sides=rc.sides)
                     if rc else None)


def _findings(first: Visit, then: Visit) -> tuple[list[str], list[str], list[str]]:
    """Findings resolved (absent, their observations measured again), new, and not re-assessed."""
    before = {finding_key(f.id, f.side): f for f in first.assessment.findings}
    after = [finding_key(f.id, f.side) for f in then.assessment.findings]
    resolved: list[str] = []
    unseen: list[str] = []
    for key, finding in before.items():
        if key in after:
            continue
        # A referred client's screening stops before the chain: what it did not reason on is unseen.
        seen = then.assessment.status != "referral" and re_measured(finding, first.assessment,
                                                                     then.document)
        (resolved if seen else unseen).append(key)
    return resolved, [key for key in after if key not in before], unseen


def _conclusion_steps(assessment: Assessment) -> list[TraceStep]:
    """The steps behind the status and root cause: root causes, blocks and referrals, and the
    finding steps they rest on, followed through the findings they used."""
    heads = ("root_cause:", "blocked:", "referral:")
    chosen = [step for step in assessment.trace if step.concluded.startswith(heads)]
    wanted = {used for step in chosen for used in step.used if used.startswith("finding:")}
    seen: set[str] = set()
    while wanted - seen:
        seen |= wanted
        more = [step for step in assessment.trace if step.concluded in wanted and step not in chosen]
        chosen.extend(more)
        wanted |= {used for step in more for used in step.used if used.startswith("finding:")}
    return chosen


def _because(first: Visit, then: Visit) -> list[str]:
    """The observations and rules that changed the conclusion: the observations read by either
    visit's conclusion steps that changed, then those steps that stopped and started."""
    old, new = _conclusion_steps(first.assessment), _conclusion_steps(then.assessment)
    out = []
    paths = dict.fromkeys(used for step in (*old, *new) for used in step.used if ":" not in used)
    for path in paths:
        before, after = value_at(first.document, path), value_at(then.document, path)
        if before != after:
            out.append(_say("because_observation", path=path, before=_shown(before),
                            after=_shown(after)))
    # A step behind either conclusion counts as stopped or started only when the other visit's
    # whole trace lacks it (a finding found at both visits but used only by the new root cause is
    # no change).
    old_keys = {(s.rule, s.concluded) for s in first.assessment.trace}
    new_keys = {(s.rule, s.concluded) for s in then.assessment.trace}
    out.extend(_say("because_rule_stopped", rule=rule, concluded=concluded)
               for rule, concluded in dict.fromkeys((s.rule, s.concluded) for s in old)
               if (rule, concluded) not in new_keys)
    out.extend(_say("because_rule_started", rule=rule, concluded=concluded)
               for rule, concluded in dict.fromkeys((s.rule, s.concluded) for s in new)
               if (rule, concluded) not in old_keys)
    return out


def _shown(value: Any) -> str:
    if value is None:
        return _say("not_assessed")
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(plain(value)) if isinstance(value, float) else str(value)


def _root_changed(first: Assessment, then: Assessment) -> bool:
    def key(a: Assessment) -> tuple[str, str | None, tuple[str, ...]]:
        rc = a.root_cause
        return (a.status, rc.id if rc else None, tuple(rc.sides) if rc else ())

    return key(first) != key(then)


def _own_findings(first: Visit, then: Visit,
                  observations: tuple[ObservationJudged, ...]) -> list[OwnFinding]:
    """The findings the first root cause's rule needed (follow_up.yaml ``own_findings``), each with
    where it went (outcomes.md section 3, "moved as expected")."""
    rc = first.assessment.root_cause
    if rc is None:
        return []
    own = catalog().follow_up.verdict.own_findings.get(rc.id, ())
    used = dict.fromkeys(
        item for step in first.assessment.trace if step.concluded.startswith(f"root_cause:{rc.id}")
        for item in step.used if item.startswith("finding:") and item.split(":")[1] in own)
    after = {f.ref() for f in then.assessment.findings}
    facts = []
    for item in used:
        _, finding_id, *side = item.split(":")
        finding = first.assessment.finding(finding_id, side[0] if side else None)  # type: ignore[arg-type]
        if finding is None:
            continue
        measured = then.assessment.status != "referral" and re_measured(
            finding, first.assessment, then.document)
        if (item not in after and measured) or toward_normal(finding, first.assessment,
                                                             observations):
            state = "moved"
        elif item in after:
            state = "not_moved"
        else:
            state = "not_reassessed"
        facts.append(OwnFinding(finding=finding_id, side=side[0] if side else "none", state=state))
    return facts


def _notes(first: Visit, then: Visit) -> list[str]:
    """What the history states about the pair rather than judges."""
    notes = []
    if first.case.assessed_on == then.case.assessed_on:
        notes.append(_say("note_same_date", first=first.assessment_id, then=then.assessment_id,
                          date=then.case.assessed_on.isoformat()))
    since = then.case.since_last_visit
    given = {c.id for c in first.assessment.constraints}
    named = [c for c in (since.constraints_followed or ()) if c not in given] if since else []
    if named:
        notes.append(_say("note_constraints_not_given", ids=", ".join(named),
                          id=first.assessment_id))
    return notes


def _confidence(first: Assessment, then: Assessment, resolved: list[str],
                changed: bool) -> ConfidenceChange | None:
    before, after = first.root_cause, then.root_cause
    if changed or before is None or after is None or before.confidence == after.confidence:
        return None
    own = catalog().follow_up.verdict.own_findings.get(before.id, ())
    supporting = [key for key in resolved
                  if key.split(":")[0] in (*before.supported_by, *own)]
    fell = _LEVELS.index(after.confidence) < _LEVELS.index(before.confidence)
    return ConfidenceChange(before=before.confidence, after=after.confidence,
                            fell_because_improved=fell and bool(supporting),
                            findings_resolved=tuple(supporting) if fell else ())


def compare(first: Visit, then: Visit, engine: VerdictEngine | None = None) -> Change:
    """What changed from ``first`` to ``then``, judged, with the verdict on ``first``'s hypothesis."""
    outcomes, activities = judged_outcomes(first.case.outcomes, then.case.outcomes)
    observations = judged_observations(first.document, then.document)
    resolved, new, unseen = _findings(first, then)
    changed = _root_changed(first.assessment, then.assessment)
    rc = first.assessment.root_cause
    since = then.case.since_last_visit
    sources = {name: measure.sources for name, measure in catalog().follow_up.measures.items()}
    facts = [
        FirstVisit(complete="yes" if rc else "no", root=rc.id if rc else "none"),
        Adherence(level=(since.adherence if since else None) or "unknown"),
        Elapsed(days=(then.case.assessed_on - first.case.assessed_on).days),
        *(OutcomeChange(measure=o.measure, judgement=o.judgement, sources=sources[o.measure])
          for o in outcomes),
        *_own_findings(first, then, observations),
    ]
    hypothesis, steps = reach_verdict(facts, engine)
    return Change.model_validate({
        "from": first.assessment_id, "to": then.assessment_id, "outcomes": tuple(outcomes),
        "observations": observations, "findings_resolved": tuple(resolved),
        "findings_new": tuple(new), "root_cause_changed": changed,
        "because": tuple(_because(first, then)) if changed else (), "hypothesis": hypothesis,
        "findings_not_reassessed": tuple(unseen), "psfs_activities": activities,
        "confidence": _confidence(first.assessment, then.assessment, resolved, changed),
        "notes": tuple(_notes(first, then)), "hypothesis_trace": steps})


def history(client_id: str, visits: list[Visit]) -> History:
    """Every visit of one client, ordered by date then assessment id, and each change judged."""
    ordered = sorted(visits, key=lambda v: (v.case.assessed_on, v.assessment_id))
    engine = VerdictEngine()
    changes = [compare(a, b, engine) for a, b in itertools.pairwise(ordered)]
    return History(client_id=client_id, visits=tuple(_seen(v) for v in ordered),
                   changes=tuple(changes))


__all__ = ["FORMAT", "Change", "History", "Visit", "compare", "finding_key", "history", "ref"]
