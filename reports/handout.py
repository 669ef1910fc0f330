"""What the client report keeps of an assessment: the few findings that matter to the client, the
ones that look fine (said in one line), and the take-home handout's card for each constraint.

It chooses by id from the knowledge texts (``report_texts.yaml``: which findings look fine and how
many others the client reads, and the safety notes always told first; ``handouts.yaml``: the cards); it decides nothing clinical. Findings
the root cause rests on come first, in the engine's order; the rest follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.trace import Assessment
from knowledge.catalog import catalog
from knowledge.wording import HandoutCard
from reports.render import grouped_findings


@dataclass(frozen=True)
class Matter:
    """The client's findings: those shown (id, sides), how many more are left to the practitioner,
    and the phrases of those that look fine."""

    shown: tuple[tuple[str, tuple[str, ...]], ...]
    more: int
    fine: tuple[str, ...]


def findings_that_matter(assessment: Assessment) -> Matter:
    words = catalog().report_texts.client
    grouped = grouped_findings(assessment)
    fine = tuple(words.fine[fid] for fid, _ in grouped if fid in words.fine)
    rest = [(fid, sides) for fid, sides in grouped if fid not in words.fine]
    key = set(assessment.root_cause.supported_by) if assessment.root_cause else set()
    always = [item for item in rest if item[0] in words.always]
    others = [item for item in rest if item[0] not in words.always]
    ordered = [item for item in others if item[0] in key] + [item for item in others
                                                              if item[0] not in key]
    shown = (*always, *ordered[: max(words.most_findings - len(always), 0)])
    return Matter(shown=shown, more=len(rest) - len(shown), fine=fine)


def cards(assessment: Assessment) -> dict[str, HandoutCard]:
    """The handout's card of each constraint the assessment gives, by constraint id."""
    known = catalog().handouts.cards
    return {c.id: known[c.id] for c in assessment.constraints if c.id in known}
