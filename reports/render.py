"""Rendering an Assessment for people: one jinja environment for every template.

Templates choose wording by id from the knowledge texts and lay out what the engine concluded; they
make no clinical decision. ``StrictUndefined`` makes a missing value fail loudly instead of printing a
blank; HTML templates are autoescaped, so a client name cannot inject markup.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.bccache import Bucket
from markupsafe import Markup

from engine.intake import SIDES, Case, instrument_of
from engine.paths import field_at, instrument_for
from engine.trace import Assessment, Finding, Observation, ThresholdUse, ref
from knowledge.catalog import Catalog, catalog
from reports.shown import shown

AUDIENCES = ("practitioner", "client")


def _label(identifier: str) -> str:
    """A finding, root-cause, constraint or reason id in words, from the knowledge texts."""
    return catalog().texts.title(identifier)  # an id without wording fails loudly, as StrictUndefined does


@dataclass(frozen=True)
class Evidence:
    """What one finding rests on, merged over every step that concluded it, without repeats."""

    rules: tuple[str, ...]
    observations: tuple[Observation, ...]
    thresholds: tuple[ThresholdUse, ...]
    findings: tuple[str, ...]


def evidence(assessment: Assessment, finding: Finding) -> Evidence:
    steps = assessment.steps_for(finding.ref())
    observations = {o.path: o for s in steps for o in s.observations}
    thresholds = {t.key: t for s in steps for t in s.thresholds}
    used = dict.fromkeys(u for s in steps for u in s.used if u.startswith("finding:"))
    return Evidence(
        rules=tuple(dict.fromkeys(s.rule for s in steps)),
        observations=tuple(sorted(observations.values(), key=lambda o: o.path)),
        thresholds=tuple(thresholds.values()),
        findings=tuple(used),
    )


class _CompiledTemplates(FileSystemBytecodeCache):
    """Compiled templates in jinja's per-user folder under the system's temporary directory (made
    0700 and checked to be the user's own), keyed by each template's checksum, so a changed template
    is compiled again. Compiling costs a command about a tenth of its start. The cache only saves
    time: one that cannot be read or written is passed over, never a report's failure."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - unreadable or damaged (pickle, marshal): compile again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled_templates() -> _CompiledTemplates | None:
    try:
        return _CompiledTemplates()
    except (OSError, RuntimeError):  # no temporary folder, or one another user could have planted
        return None


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        bytecode_cache=_compiled_templates(),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["label"] = _label
    env.filters["value"] = shown
    env.filters["css_string"] = _css_string
    env.filters["words"] = _words
    return env


def stylesheet() -> str:
    """``report.css`` as every HTML report inlines it (``_base.html.j2``)."""
    return environment().get_template("report.css").render()


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


def render_visit_text(case: Case) -> str:
    """The case's visit sections (what the client says, outcome measures, since the last visit) and
    notes as text, for ``tripod show``; empty when it has none."""
    kb = catalog()
    text = environment().get_template("visit.txt.j2").render(case=case, kb=kb, rt=kb.report_texts)
    return text if not text or text.endswith("\n") else text + "\n"


def _css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string, safe inside <style>: no quote, backslash or tag left."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:-_()/" else f"\\{ord(ch):x} "
                      for ch in str(text))
    return Markup(f'"{escaped}"')


def _words(value: Any) -> str:
    """An entered enum value as words: ``lower_back`` -> ``lower back``."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_words(v) for v in value)
    return shown(value).replace("_", " ")


def path_label(path: str, case: Case | None = None) -> str:
    """What a case-file path measures, in the knowledge base's words (else the path itself)."""
    kb = catalog()
    head, _, rest = path.partition(".")
    if head == "red_flags" and rest in kb.red_flags.flags:
        return kb.red_flags.flags[rest].question
    if head == "hips" and rest in SIDES:
        # hips.<side> alone: the hip joint itself, which an examination flag asks to be assessed.
        return kb.report_texts.practitioner.labels["hip_joint"]
    found = field_at(path)
    if found is None:
        return path
    # The seated and prone instruments share a field; the case says which was used.
    instrument = instrument_for(path, instrument_of(*found), case.hips.method if case and case.hips else None)
    if instrument is None or instrument not in kb.instruments:
        return path
    return kb.instruments[instrument].label


def cited_sources(assessment: Assessment) -> list[str]:
    """The source keys the practitioner report cites, sorted: red flags when referred, else the
    findings' sources, their observations' instruments and cut-offs, and the claims' source."""
    kb = catalog()
    keys: set[str] = set()
    if assessment.status == "referral":
        for flag in assessment.referral.red_flags:
            keys.update(kb.red_flags.spec(flag).sources)
            keys.update(s for step in assessment.steps_for(ref("referral", flag))
                        for use in step.thresholds for s in use.sources)
        return sorted(keys)
    for finding in assessment.findings:
        keys.update(finding.sources)
        found = evidence(assessment, finding)
        for observation in found.observations:
            if observation.instrument in kb.instruments:
                keys.update(kb.instruments[observation.instrument].sources)
        for threshold in found.thresholds:
            keys.update(threshold.sources)
    claimed = any(f.claims for f in assessment.findings) or any(
        c.claims for c in assessment.constraints)
    if claimed or assessment.root_cause is not None:
        keys.add("CLAIMS")
    return sorted(keys)


def evidence_segments(assessment: Assessment) -> list[tuple[str, list[Finding]]]:
    """The findings grouped by the rule-base segment whose rules concluded them (the module of
    ``knowledge/rules/`` their rule is in: foot, tibia_femur, pelvis...), each group and each
    finding in the engine's order: the practitioner report's evidence appendix, a table a group.
    A rule today's registry does not know (an assessment stored by other rules) groups as ``other``."""
    import knowledge.rules.reach  # noqa: F401 - imports every rule module: the registry is whole
    from knowledge.rules.registry import REGISTRY

    groups: dict[str, list[Finding]] = {}
    for finding in assessment.findings:
        info = REGISTRY.get(finding.rule)
        groups.setdefault(info.module if info else "other", []).append(finding)
    return list(groups.items())


def cited_claims(assessment: Assessment) -> list[str]:
    """The claims the findings cite, each once, by number (C2 before C10)."""
    cited = {claim for finding in assessment.findings for claim in finding.claims}
    return sorted(cited, key=lambda claim: (len(claim), claim))


def grouped_findings(assessment: Assessment) -> list[tuple[str, tuple[str, ...]]]:
    """Each finding id once, in the engine's order, with the sides it was found on."""
    sides: dict[str, list[str]] = {}
    for finding in assessment.findings:
        sides.setdefault(finding.id, []).extend([finding.side] if finding.side else [])
    return [(finding_id, tuple(found)) for finding_id, found in sides.items()]


def render_report(assessment: Assessment, case: Case, audience: str, solidity: Any = None, *,
                  progress: Any = None, clinic: Any = None) -> str:
    """A self-contained HTML report for ``audience`` (practitioner or client) of one assessment.

    ``solidity`` is the what-if analysis of the same case (engine.whatif.WhatIf); when given, the
    practitioner report has a "How solid is this?" section. ``progress`` (reports.progress.Progress)
    is a follow-up's history up to this visit: both reports chart it, and say the verdict.
    ``clinic`` holds the clinic's name, address, phone and logo (a ``data:`` URI), printed on both.
    """
    from reports import handout, pictures
    from reports.client_picture import client_chain

    if audience not in AUDIENCES:
        raise ValueError(f"audience {audience!r}: allowed one of {', '.join(AUDIENCES)}")
    extra: dict[str, Any] = {"case": case, "rt": catalog().report_texts, "w": solidity,
                             "path_label": lambda path: path_label(path, case),
                             "progress": progress, "clinic": clinic}
    if audience == "client":
        extra["findings"] = grouped_findings(assessment)
        extra["matter"] = handout.findings_that_matter(assessment)
        extra["cards"] = handout.cards(assessment)
        extra["tripods"] = pictures.tripods(case, audience)
        extra["own_chain"] = client_chain(assessment, case)
    else:
        extra["chain"] = pictures.chain(assessment, case)
        extra["tripods"] = pictures.tripods(case)
        extra["references"] = cited_sources(assessment)
        extra["segments"] = evidence_segments(assessment)
        extra["claims"] = cited_claims(assessment)
    return environment().get_template(f"{audience}.html.j2").render(context(assessment, **extra))


def render_whatif_text(analysis: Any) -> str:
    """The what-if analysis as text, printed by ``tripod whatif``."""
    return environment().get_template("whatif.txt.j2").render(w=analysis)


def render_progress(progress: Any, audience: str = "practitioner") -> Markup:
    """A follow-up's progress (reports.progress.Progress) as both reports draw it, alone, for a page
    that shows a client's visits: the practitioner's verdict, charts and the verdict's reasons, or
    the client's charts and plain words. The same macros as the reports, so one chart code."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience {audience!r}: allowed one of {', '.join(AUDIENCES)}")
    kb = catalog()
    macros = environment().get_template("_progress.html.j2").make_module({"kb": kb})
    if audience == "client":
        return Markup(getattr(macros, "client")(progress, kb.report_texts.client))  # noqa: B009
    texts = kb.report_texts.practitioner
    return Markup("".join(str(getattr(macros, part)(progress, texts))
                          for part in ("practitioner", "reasons")))
