"""What the rule registry says beyond one rule: which conclusions assessing an observation could change,
and in which segment of the report's chain picture a finding is drawn.

Both were hand-kept lists in the data files (``could_change`` in observations.yaml, each segment's
``findings`` in report_texts.yaml) that a new rule had to remember to update. They follow from what
each rule reads and concludes (``knowledge/rules/registry.py``):

- an observation could change what the rules that read it conclude (a NOT counts: an observation that
  rules a finding out can change it too), and the screening's status when such a rule blocks or
  refers. What follows further (the root cause, a chain finding) stays a short list in
  observations.yaml (``also_changes``): following every finding through every rule would name nearly
  the whole rule base for every observation;
- a finding with a picture mark (report_texts.yaml) is drawn in the segment whose case-file sections
  the rules that conclude it read.
"""

from __future__ import annotations

from functools import cache

from engine.facts import SECTION_FACTS, ExamFact
from knowledge.catalog import catalog

# Every rule module, so that the registry is whole whoever asks first (the verdict rules run in an
# engine of their own, engine/verdict.py, and read no observation).
from knowledge.rules import (  # noqa: F401
    constraints,
    foot,
    hip_safety,
    lateral_chain,
    pelvis,
    programme,
    red_flags,
    root_cause,
    symptoms,
    tibia_femur,
    verdict,
)
from knowledge.rules.registry import REGISTRY, Read, RuleInfo

# The case-file section each kind of observation fact comes from (an ExamFact is a hip value read
# again for the examination flags).
_SECTION: dict[type, str] = {kind: section for section, kind in SECTION_FACTS.items()}
_SECTION[ExamFact] = "hips"


def _reads(read: Read, path: str) -> bool:
    """Whether a fact pattern reads the observation at ``path`` (``{side}`` stands for either side)."""
    parts = path.split(".")
    section, name = parts[0], parts[-1]
    if _SECTION.get(read.kind) != section:
        return False
    names, movements = read.field("name"), read.field("movement")
    movement = parts[1] if section == "movements" and len(parts) > 2 else None
    return (not names or name in names) and (not movements or movement is None or movement in movements)


def _readers(path: str) -> list[RuleInfo]:
    return [info for info in REGISTRY.values() if any(_reads(read, path) for read in info.reads)]


@cache
def could_change(path: str) -> tuple[str, ...]:
    """What assessing the observation at ``path`` (a path of observations.yaml, ``{side}`` and all)
    could change: what the rules that read it conclude (findings a pattern needs first, then those
    it rules out under a NOT, each in their declared order), then what observations.yaml says follows
    further (``also_changes``), then the screening's status when such a rule blocks or refers."""
    readers = _readers(path)
    order = {finding: wording.order for finding, wording in catalog().texts.findings.items()}

    def concluded(negated: bool) -> list[str]:
        return sorted({info.finding for info in readers if info.finding and any(
            _reads(read, path) and read.negated == negated for read in info.reads)}, key=order.__getitem__)

    watched = next(w for w in catalog().observations if w.path == path)
    out = [*concluded(False), *concluded(True), *watched.also_changes]
    if any(info.block or info.refers for info in readers):
        out.append("status")
    return tuple(dict.fromkeys(out))


@cache
def segment_findings() -> dict[str, tuple[str, ...]]:
    """The findings each chain-picture segment draws: those with a picture mark whose rules read the
    case-file sections the segment observes."""
    words = catalog().report_texts.pictures.chain
    drawn: dict[str, list[str]] = {segment.id: [] for segment in words.segments}
    for finding in words.marks:
        sections = {_SECTION.get(read.kind) for info in REGISTRY.values() if info.finding == finding
                    for read in info.reads if not read.negated}
        for segment in words.segments:
            if sections & {path.split(".")[0] for path in segment.observed}:
                drawn[segment.id].append(finding)
    return {segment: tuple(findings) for segment, findings in drawn.items()}


@cache
def fields_read(finding: str) -> tuple[str, ...]:
    """The observation fields (by name) that the rules concluding ``finding`` read, in their order:
    what to measure again when the finding says entered values contradict each other."""
    names = (name for info in REGISTRY.values() if info.finding == finding
             for read in info.reads if not read.negated and read.kind in _SECTION
             for name in read.field("name"))
    return tuple(dict.fromkeys(names))
