"""The checks of the links between Tripod's knowledge files.

Each file passes its own model (``knowledge/clinical.py``, ``knowledge/wording.py``); what one file
names in another (a cut-off's sources, a root cause's findings, the chain picture's origins...) is
checked here, every broken link a problem line. ``knowledge/catalog.py`` calls it when it builds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from knowledge.clinical import ExamFlag, RedFlag, observation_of

if TYPE_CHECKING:
    from knowledge.catalog import Catalog


def _unknown(file: str, where: str, named: Any, known: Any, allowed: str) -> list[str]:
    """One problem line per name in ``named`` that is not in ``known``."""
    names = (named,) if isinstance(named, str) else tuple(named)
    return [f"knowledge/data/{file}.yaml: {where} = {name!r}: {allowed}" for name in names
            if name not in known]


def _broken_links(kb: Catalog) -> list[str]:
    """Every link between the knowledge files that names nothing, one line each: a cut-off's
    observation and sources, a finding's place, what root causes, constraints, red flags and the
    chain picture name. What the rules conclude is held to the texts by tests/test_knowledge_integrity.py,
    which reads the rule registry."""
    problems: list[str] = []
    sources, claims, findings = set(kb.sources), set(kb.claims), set(kb.texts.findings)
    measured = {observation_of(key) for key in kb.instruments}
    for key, threshold in kb.thresholds.items():
        if threshold.derived_from:
            problems += _unknown("thresholds", f"{key}.derived_from", threshold.derived_from, measured,
                                 "allowed an observation an instrument measures")
        else:
            problems += _unknown("thresholds", f"{key}.observation", threshold.observation, measured,
                                 "allowed an observation an instrument measures, or one with derived_from")
        problems += _unknown("thresholds", f"{key}.sources", threshold.sources, sources,
                             "allowed a key of sources.yaml")
    for key, instrument in kb.instruments.items():
        problems += _unknown("instruments", f"{key}.sources", instrument.sources, sources,
                             "allowed a key of sources.yaml")
    flags: dict[str, RedFlag | ExamFlag] = {**kb.red_flags.flags, **kb.red_flags.examination}
    for key, flag in flags.items():
        problems += _unknown("red_flags", f"{key}.sources", flag.sources, sources,
                             "allowed a key of sources.yaml")
        problems += _unknown("red_flags", f"{key}.group", flag.group, kb.red_flags.groups,
                             "allowed a key of groups")
    for key, flag in kb.red_flags.flags.items():
        problems += _unknown("red_flags", f"{key}.combine_with", flag.combine_with, kb.red_flags.flags,
                             "allowed a red flag")
    orders: dict[int, str] = {}
    for key, wording in kb.texts.findings.items():
        if wording.order in orders:
            problems.append(f"knowledge/data/texts.yaml: findings.{key}.order = {wording.order!r}: "
                            f"allowed a place no other finding has (findings.{orders[wording.order]})")
        orders.setdefault(wording.order, key)
    causes = kb.root_causes
    for key, model in causes.causes.items():
        problems += _unknown("root_causes", f"causes.{key}.claims", model.claims, claims,
                             "allowed a claim of claims.yaml")
        for field in ("supporting", "rejected_by"):
            problems += _unknown("root_causes", f"causes.{key}.{field}", getattr(model, field), findings,
                                 "allowed a finding of texts.yaml")
    problems += _unknown("root_causes", "finding_penalties", causes.finding_penalties, findings,
                         "allowed a finding of texts.yaml")
    problems += _unknown("texts", "root_causes", kb.texts.root_causes, causes.causes,
                         "allowed a root cause of root_causes.yaml")
    problems += _unknown("root_causes", "causes", causes.causes, kb.texts.root_causes,
                         "allowed a root cause with wording in texts.yaml")
    for key, cause_wording in kb.texts.root_causes.items():
        problems += _unknown("texts", f"root_causes.{key}.client_when", cause_wording.client_when,
                             causes.penalties, "allowed a penalty of root_causes.yaml")
    problems += _unknown("root_causes", "penalties", causes.penalties, kb.texts.labels,
                         "allowed a penalty with a label in texts.yaml")
    problems += _unknown("constraints", "", kb.constraints, kb.texts.constraints,
                         "allowed a constraint with wording in texts.yaml")
    problems += _unknown("texts", "constraints", kb.texts.constraints, kb.constraints,
                         "allowed a constraint of constraints.yaml")
    for key, constraint in kb.constraints.items():
        problems += _unknown("constraints", f"{key}.claims", constraint.claims, claims,
                             "allowed a claim of claims.yaml")
        problems += _unknown("constraints", f"{key}.sources", constraint.sources, sources,
                             "allowed a key of sources.yaml")
    problems += _unknown("handouts", "cards", kb.handouts.cards, kb.constraints,
                         "allowed a constraint of constraints.yaml")
    for key, card in kb.handouts.cards.items():
        problems += _unknown("handouts", f"cards.{key}.claims", card.claims, claims,
                             "allowed a claim of claims.yaml")
        problems += _unknown("handouts", f"cards.{key}.sources", card.sources, sources,
                             "allowed a source of sources.yaml")
    chain = kb.report_texts.pictures.chain
    drawn = [segment.id for segment in chain.segments]
    simple = kb.report_texts.pictures.client_chain.segments
    problems += _unknown("report_texts", "pictures.client_chain.segments", drawn, simple,
                         "allowed: a plain word for every segment of pictures.chain")
    problems += _unknown("report_texts", "pictures.chain.marks", chain.marks, findings,
                         "allowed a finding of texts.yaml")
    problems += _unknown("report_texts", "pictures.chain.links", chain.links, findings,
                         "allowed a finding of texts.yaml")
    problems += _unknown("report_texts", "pictures.chain.origins", chain.origins, causes.causes,
                         "allowed a root cause of root_causes.yaml")
    for watched in kb.observations:
        problems += _unknown("observations", f"{watched.path}.also_changes", watched.also_changes,
                             findings | {"root_cause", "status"},
                             "allowed a finding of texts.yaml, root_cause or status")
    return problems
