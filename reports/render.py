"""Rendering an Assessment for people: one jinja environment for every template.

Templates choose wording by id from the knowledge texts and lay out what the engine concluded; they
make no clinical decision. ``StrictUndefined`` makes a missing value fail loudly instead of printing a
blank; HTML templates are autoescaped, so a client name cannot inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from engine.trace import Assessment, Finding, Observation, ThresholdUse
from knowledge.catalog import Catalog, catalog


def _label(identifier: str) -> str:
    """A finding, root-cause, constraint or reason id in words, from the knowledge texts."""
    texts = catalog().texts
    for table in (texts.findings, texts.root_causes, texts.constraints):
        if identifier in table:
            return table[identifier].title
    return texts.labels.get(identifier, identifier.replace("_", " "))


def _value(value: Any) -> str:
    """An observed value as a person writes it: 22 not 22.0, lists joined."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Evidence:
    """What one finding rests on, merged over every step that concluded it, without repeats."""

    rules: tuple[str, ...]
    observations: tuple[Observation, ...]
    thresholds: tuple[ThresholdUse, ...]
    findings: tuple[str, ...]


def evidence(assessment: Assessment, finding: Finding) -> Evidence:
    steps = assessment.steps_for(f"finding:{finding.id}:{finding.side}")
    observations = {o.path: o for s in steps for o in s.observations}
    thresholds = {t.key: t for s in steps for t in s.thresholds}
    used = dict.fromkeys(u for s in steps for u in s.used if u.startswith("finding:"))
    return Evidence(
        rules=tuple(dict.fromkeys(s.rule for s in steps)),
        observations=tuple(sorted(observations.values(), key=lambda o: o.path)),
        thresholds=tuple(thresholds.values()),
        findings=tuple(used),
    )


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["label"] = _label
    env.filters["value"] = _value
    return env


def context(assessment: Assessment, **extra: Any) -> dict[str, Any]:
    """What every template gets: the assessment, the knowledge catalog and a few look-ups."""
    kb: Catalog = catalog()
    return {
        "a": assessment,
        "kb": kb,
        "texts": kb.texts,
        "evidence": lambda finding: evidence(assessment, finding),
        **extra,
    }


def render_text(assessment: Assessment) -> str:
    """The practitioner's plain-text summary printed by ``tripod assess --format text``."""
    return environment().get_template("assessment.txt.j2").render(context(assessment))
