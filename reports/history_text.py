"""``tripod history`` in words: the judged history (``engine/history.py``) as a person reads it,
each visit, then each change with its outcomes, observations beyond error, findings, root cause,
confidence, notes and the verdict with its reasons. Wording: ``messages.yaml``, group ``history``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.catalog import sayer

if TYPE_CHECKING:
    from engine.history import Change, History


_say = sayer("history")


def _number(value: object) -> str:
    from reports.shown import shown

    return shown(value)


def _signed(value: float) -> str:
    return f"+{_number(value)}" if value > 0 else _number(value)


def history_text(found: History) -> str:
    """The judged history as ``tripod history`` prints it: each visit, then each change with its
    outcomes, observations beyond error, findings, root cause, confidence, notes and verdict."""
    from knowledge.catalog import catalog

    texts = catalog().texts
    lines = [_say("head", client=found.client_id, count=len(found.visits),
                  s="s" if len(found.visits) != 1 else "")]
    number = {visit.assessment_id: visit for visit in found.visits}
    for visit in found.visits:
        lines.append(_say("visit", id=visit.assessment_id, date=visit.assessed_on,
                          visit=visit.visit, version=visit.version,
                          corrected=_say("corrected") if visit.version > 1 else ""))
        status = texts.statuses[visit.status].title
        rc = visit.root_cause
        lines.append(_say("root", status=status) if rc is None else _say(
            "root_cause", status=status, title=texts.root_causes[rc.id].title,
            sides=f" ({', '.join(rc.sides)})" if rc.sides else "", confidence=rc.confidence))
        if visit.outcomes:
            lines.append(_say("outcomes", values=", ".join(
                f"{name} {_number(value)}" for name, value in visit.outcomes.items())))
    for change in found.changes:
        days = (number[change.to].assessed_on - number[change.from_].assessed_on).days
        lines.extend(_change_lines(change, days))
    return "\n".join(lines) + "\n"


def _change_lines(change: Change, days: int) -> list[str]:
    from knowledge.catalog import catalog

    words = catalog().follow_up.verdicts[change.hypothesis]
    lines = [_say("change", first=change.from_, then=change.to, days=days)]
    for outcome in change.outcomes:
        measure = outcome.measure
        if measure == "psfs" and change.psfs_activities is not None:
            # The judged PSFS is the mean of the activities both visits rated, which can differ
            # from each visit's own mean (shown above it) when an activity is new or dropped.
            count = len(change.psfs_activities.matched)
            measure = _say("psfs_matched", count=count,
                           activities="activity" if count == 1 else "activities")
        lines.append(_say("outcome", measure=measure, before=_number(outcome.before),
                          after=_number(outcome.after), change=_signed(outcome.change),
                          threshold=_number(outcome.threshold),
                          judgement=_say(f"judged_{outcome.judgement}")))
    if not change.outcomes:
        lines.append(_say("no_outcome"))
    if change.psfs_activities is not None:
        for activity in change.psfs_activities.new:
            lines.append(_say("psfs_new", activity=activity))
        for activity in change.psfs_activities.dropped:
            lines.append(_say("psfs_dropped", activity=activity))
    counted: dict[str, int] = {}
    carried = []
    for seen in change.observations:
        counted[seen.judgement] = counted.get(seen.judgement, 0) + 1
        if seen.judgement == "not_reassessed":
            carried.append(seen.path)
            continue
        if seen.judgement in ("within_error", "no_error_figure") and seen.before == seen.after \
                and not seen.note:
            continue
        extra = _say("error", error=_number(seen.error), status=seen.error_status) \
            if seen.error is not None else ""
        lines.append(_say("observation", path=seen.path, before=_value(seen.before),
                          after=_value(seen.after), error=extra,
                          judgement=_say(f"judged_{seen.judgement}")))
        if seen.note:
            lines.append(_say("observation_note", note=seen.note))
    still = sum(1 for seen in change.observations if seen.before == seen.after)
    if still:
        lines.append(_say("unmoved", count=still))
    if carried:
        lines.append(_say("not_reassessed", first=change.from_, paths=", ".join(carried)))
    for key, found in (("resolved", change.findings_resolved), ("new", change.findings_new),
                       ("not_reassessed", change.findings_not_reassessed)):
        if found:
            lines.append(_say(f"findings_{key}", findings=", ".join(found)))
    if change.root_cause_changed:
        lines.append(_say("root_changed"))
        lines.extend(_say("because", reason=reason) for reason in change.because)
    else:
        lines.append(_say("root_unchanged"))
    confidence = change.confidence
    if confidence is not None:
        key = "confidence_fell_improved" if confidence.fell_because_improved else "confidence_moved"
        lines.append(_say(key, before=confidence.before, after=confidence.after,
                          findings=", ".join(confidence.findings_resolved)))
    lines.extend(_say("note", note=note) for note in change.notes)
    lines.append(_say("hypothesis", title=words.title, text=words.text))
    for step in change.hypothesis_trace:
        lines.append(_say("hypothesis_step", rule=step.rule, claims=", ".join(step.claims),
                          sources=", ".join(step.sources) or "-"))
        lines.extend(_say("hypothesis_fact", fact=fact_in_words(fact)) for fact in step.used)
    return lines


def fact_in_words(fact: str) -> str:
    """A fact behind the verdict (as its trace names it, ``engine/verdict_facts.py``) in words,
    followed by its name."""
    from knowledge.catalog import catalog

    kind, _, rest = fact.partition(":")
    if kind == "since_last_visit.adherence":
        said = _say("reason_adherence", level=rest)
    elif kind == "elapsed_days":
        said = _say("reason_elapsed", days=rest, needed=catalog().follow_up.verdict.min_days)
    elif kind == "first_visit":
        said = _say("reason_first_visit")
    elif kind == "outcome":
        measure, judgement = rest.split(":")
        said = _say("reason_outcome", measure=measure, judgement=_say(f"judged_{judgement}"))
    else:  # finding:<id>[:<side>]:<state>
        finding, state = rest.rsplit(":", 1)
        said = _say(f"reason_finding_{state}", finding=finding)
    return _say("reason", said=said, fact=fact)


def _value(value: object) -> str:
    from reports.shown import shown

    return shown(value, unknown=_say("not_assessed"), brackets=True)
