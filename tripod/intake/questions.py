"""The intake's questions: which to ask, in which order, and how an answer is read and checked.

Order and wording come from ``knowledge/data/questions.yaml``; units, ranges, normal bands, how-to
and sources from the instruments the intake model names; red-flag questions from
``red_flags.yaml``. Every answer is checked by the intake model itself, so a bad answer is refused
with the same reason a case file would get. Skip logic only decides what to *ask*: red flags are
screened first and a referral ends the questions; the engine still makes every decision. Nothing
here talks to a terminal or a database: that is ``tripod/intake/questionnaire.py``.
"""


from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from engine.errors import problems_from_validation, show_value
from engine.forms import number_from_text
from engine.intake import FORMAT, SIDES, Case, instrument_of, literal_values
from engine.paths import models_on, nested
from knowledge.catalog import catalog
from knowledge.clinical import TIER_RANK
from knowledge.wording import QuestionSection
from reports.shown import shown
from storage.casefile import case_to_document, parse_case

Kind = Literal["integer", "number", "enum", "multi", "text", "date"]
BACK = "back"
SKIP = "skip"
HELP = "?"
RED_FLAGS = "red_flags"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Question:
    """One prompt: a case-file field (``key`` is its dotted path) or one group of red flags."""

    key: str
    section: QuestionSection
    kind: Kind
    choices: tuple[str, ...] = ()
    side: str | None = None
    prompt: str | None = None
    how: str | None = None
    instrument: str | None = None
    required: bool = False
    unless: tuple[str, tuple[str, ...]] | None = None
    needs: tuple[str, ...] = ()
    group: str | None = None
    flags: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        """The draft keys this question answers."""
        return tuple(f"{RED_FLAGS}.{f}" for f in self.flags) if self.group else (self.key,)


# -- the questions -------------------------------------------------------------------------------


def _field(path: str) -> tuple[tuple[type[BaseModel], ...], str]:
    """The models along a case-file path (outermost first) and the field's name in the last."""
    found = models_on(path)
    if found is None:
        raise KeyError(path)
    return found


def _is_list(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) is list or any(_is_list(a) for a in args)


@cache
def _needs(path: str) -> tuple[str, ...]:
    """The required fields of the optional sections around ``path``: hips.left.ir_deg needs
    hips.method. A field is not asked, nor carried over, once what it needs was skipped."""
    models, _ = _field(path)
    parts = path.split(".")
    if Case.model_fields[parts[0]].is_required():
        return ()
    return tuple(
        ".".join([*parts[:depth], other])
        for depth in range(1, len(models))
        for other, info in models[depth].model_fields.items()
        if other != parts[depth] and info.is_required()
    )


def _question(section: QuestionSection, spec: Any, side: str | None) -> Question:
    path = spec.path.format(side=side) if side else spec.path
    models, name = _field(path)
    info = models[-1].model_fields[name]
    instrument = instrument_of(models[-1], name)
    choices = tuple(str(v) for v in literal_values(info.annotation))
    kind: Kind
    if path == "assessed_on":
        kind = "date"
    elif choices:
        kind = "multi" if _is_list(info.annotation) else "enum"
    elif instrument is not None:
        kind = "integer" if catalog().instrument(instrument).kind == "integer" else "number"
    else:
        kind = "text"
    parts = path.split(".")
    # A field is required when every step of its path is: client.age is, hips.method is not (no
    # hips, no method).
    required = all(m.model_fields[p].is_required() for m, p in zip(models, parts, strict=True))
    unless = None
    if spec.unless is not None:
        other = spec.unless.path.format(side=side) if side else spec.unless.path
        unless = (other, tuple(spec.unless.values))
    return Question(key=path, section=section, kind=kind, choices=choices, side=side,
                    prompt=spec.prompt, how=spec.how, instrument=instrument, required=required,
                    unless=unless, needs=_needs(path))


@cache
def questions() -> tuple[Question, ...]:
    """Every question in the order asked, sides expanded, before any skip logic."""
    kb = catalog()
    out: list[Question] = []
    for section in kb.questions.sections:
        if section.id == RED_FLAGS:
            for group in kb.red_flags.groups:
                flags = tuple(f for f, spec in kb.red_flags.flags.items() if spec.group == group)
                out.append(Question(key=f"{RED_FLAGS}:{group}", section=section, kind="enum",
                                    group=group, flags=flags, prompt=section.prompt,
                                    how=section.how))
            continue
        for spec in section.fields:
            for side in SIDES if "{side}" in spec.path else (None,):
                out.append(_question(section, spec, side))
    return tuple(out)


def question_paths() -> set[str]:
    """Every case-file path some question asks (red flags included)."""
    return {key for q in questions() for key in q.keys}


# -- skip logic ----------------------------------------------------------------------------------


def referral_tier(answers: Mapping[str, Any]) -> str | None:
    """The highest tier among red flags answered yes that refer (alone, or combined as the knowledge
    base says), or None. It only stops the questions; the engine decides the referral itself."""
    flags = catalog().red_flags.flags
    tiers = []
    for flag, spec in flags.items():
        if answers.get(f"{RED_FLAGS}.{flag}") != "yes":
            continue
        combined = any(answers.get(f"{RED_FLAGS}.{o}") == "yes" for o in spec.combine_with)
        if spec.effect == "refer" or (spec.effect == "combine" and combined):
            tiers.append(spec.tier)
    return max(tiers, key=TIER_RANK.__getitem__) if tiers else None


def _pelvic_paths() -> set[str]:
    return {p for w in catalog().observations if w.pelvic for p in w.paths()}


def pregnant(answers: Mapping[str, Any]) -> bool:
    return answers.get(f"{RED_FLAGS}.preg_current") == "yes"


def plan(answers: Mapping[str, Any]) -> list[Question]:
    """The questions to ask given the answers so far, in order.

    A referral ends the questions after the red flags (at once for the top tier, which nothing can
    raise); pregnancy items are not asked of a male client; pelvic items are not asked during
    pregnancy; a question whose ``unless`` answer holds, or whose section's required field
    (hips.method) was skipped, is not asked.
    """
    top_tier = max(TIER_RANK, key=TIER_RANK.__getitem__)
    pelvic = _pelvic_paths()
    out: list[Question] = []
    for question in questions():
        if question.group is not None:
            if question.group == "pregnancy" and answers.get("client.sex") == "male":
                continue
            if referral_tier(answers) == top_tier and not all(k in answers for k in question.keys):
                continue
            out.append(question)
            continue
        if question.section.id != "client" and referral_tier(answers) is not None:
            break
        if question.key in pelvic and pregnant(answers):
            continue
        if question.unless and answers.get(question.unless[0]) in question.unless[1]:
            continue
        if any(answers.get(need, MISSING) is None for need in question.needs):
            continue
        out.append(question)
    return out


def answered(question: Question, answers: Mapping[str, Any]) -> bool:
    return all(key in answers for key in question.keys)


def progress(answers: Mapping[str, Any]) -> tuple[int, int]:
    """How many of the planned questions are answered, and how many there are now."""
    steps = plan(answers)
    return sum(answered(q, answers) for q in steps), len(steps)


# -- answers: parse, check, show -----------------------------------------------------------------


def _choose(token: str, choices: tuple[str, ...]) -> str:
    """A choice by its name or an unambiguous start of it (``l`` for lost); else the token as typed,
    which the intake model then refuses naming the choices."""
    lowered = token.lower()
    if lowered in choices:
        return lowered
    starting = [c for c in choices if c.startswith(lowered)]
    return starting[0] if len(starting) == 1 else token


class TooLong(ValueError):
    """A whole number with more digits than Python turns into a number (or a float holds)."""


def parse(question: Question, text: str) -> Any:
    """The typed value of a non-empty answer, as a case file would hold it (not yet checked).

    Raises TooLong for a whole number Python cannot hold: beyond any range a question has.
    """
    text = text.strip()
    if question.kind in ("integer", "number"):
        # Plain decimal only: int() and float() would take 2_2 as 22 and ３０ as 30.
        try:
            return number_from_text(text)
        except ValueError as exc:  # over 4300 digits
            raise TooLong(text) from exc
    if question.kind == "enum":
        return _choose(text, question.choices)
    if question.kind == "multi":
        return [_choose(token, question.choices) for token in re.split(r"[\s,]+", text) if token]
    if question.kind == "date" and text.lower() == "today":
        return dt.date.today().isoformat()
    return text


def check(question: Question, value: Any) -> list[str]:
    """What is wrong with ``value`` for this question, worded exactly as for a case file.

    The answer is validated inside a case document by the intake model; only the problems at this
    field are kept (the rest of the document is not written yet). ``None`` means skipped.
    """
    document = nested({question.key: value})
    if value is None:  # skipped: the field is left out, its section stays (client.age, not client)
        *parents, leaf = question.key.split(".")
        node = document
        for part in parents:
            node = node[part]
        del node[leaf]
    document["format"] = FORMAT
    key = question.key
    try:
        Case.model_validate(document)
    except ValidationError as exc:
        problems = problems_from_validation("answer", exc, Case, document)
        return [f"{p.field} = {p.value}: {p.allowed}" for p in problems
                if p.field == key or p.field.startswith((f"{key}[", f"{key}."))]
    except Exception as exc:  # noqa: BLE001 - bad input must not rely on the exceptions foreseen
        # Named by its type alone: its text could quote the answer. The question is asked again.
        return [(f"{key} = {type(exc).__name__}: Tripod failed checking this answer; allowed "
                 "another answer, or skip (please report it)")]
    return []


def parse_flags(question: Question, text: str) -> dict[str, str] | str:
    """A red-flag group's answer as ``{draft key: yes|no|unknown}``, or what was wrong with it."""
    count = len(question.flags)
    tokens = [t for t in re.split(r"[\s,]+", text.strip().lower()) if t]
    keys = question.keys
    if tokens in (["n"], ["no"], ["none"]):
        return dict.fromkeys(keys, "no")
    if tokens in (["u"], ["unknown"], [SKIP]):
        return dict.fromkeys(keys, "unknown")
    answers = dict.fromkeys(keys, "no")
    for token in tokens:
        # ASCII digits only (\d would take a full-width 1 for item 1); more are never an item.
        match = re.fullmatch(r"(u?)([0-9]{1,9})", token)
        if match is None or not 1 <= int(match[2]) <= count:
            return (f"{question.key} = {show_value(text.strip())}: allowed n (none), u (all "
                    f"unknown), or numbers 1 to {count} for yes, with u before a number for "
                    f"unknown (e.g. 1 u{count})")
        answers[keys[int(match[2]) - 1]] = "unknown" if match[1] else "yes"
    return answers


def show(value: Any) -> str:
    """An answer as a person would type it back."""
    return shown(value, unknown=SKIP)


def show_flags(question: Question, values: Mapping[str, Any]) -> str:
    """A red-flag group's answers as the tokens that would give them (``n``, ``1 u3``, ``u``)."""
    states = [values.get(key) for key in question.keys]
    if all(s == "no" for s in states):
        return "n"
    if all(s == "unknown" for s in states):
        return "u"
    return " ".join(("u" if s == "unknown" else "") + str(i)
                    for i, s in enumerate(states, start=1) if s in ("yes", "unknown"))


# -- building the case ---------------------------------------------------------------------------


def build_document(answers: Mapping[str, Any], prefill: Mapping[str, Any]) -> dict[str, Any]:
    """The case document the answers make.

    Questions not in the plan leave their fields out; red flags left unasked after a top-tier
    referral are ``unknown`` (not asked is not "no"); prefilled values of fields the questionnaire
    never asks (notes, heel contact, hip ER...) are carried over unchanged.
    """
    planned = plan(answers)
    flat: dict[str, Any] = {}
    asked_anywhere = question_paths()
    for path, value in prefill.items():
        if path not in asked_anywhere and path != "format":
            flat[path] = value
    for question in planned:
        for key in question.keys:
            if answers.get(key) is not None:
                flat[key] = answers[key]
    sex = answers.get("client.sex")
    for question in questions():
        if question.group and not (question.group == "pregnancy" and sex == "male"):
            for key in question.keys:
                flat.setdefault(key, "unknown")
    for path in [p for p in flat if p not in asked_anywhere]:
        if any(need not in flat for need in _needs(path)):
            del flat[path]
    document = nested(flat)
    document["format"] = FORMAT
    return document


def prefill_from(case: Case) -> dict[str, Any]:
    """A case file's values as draft keys (dotted paths), for ``tripod intake --from``."""
    out: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, Mapping):
                walk(value, f"{prefix}{key}.")
            else:
                out[f"{prefix}{key}"] = value

    walk(case_to_document(case), "")
    out.pop("format", None)
    return out


def finish(document: dict[str, Any]) -> Case:
    """The case the answers make, checked as a whole by the intake model."""
    return parse_case("intake", document)
