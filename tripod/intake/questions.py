"""The intake's questions: which to ask, in which order, and how an answer is read and checked.

Order and wording come from ``knowledge/data/questions.yaml``; units, ranges, normal bands, how-to
and sources from the instruments the intake model names; red-flag questions from
``red_flags.yaml``, grouped and each asked once by ``tripod/intake/flags.py``. Every answer is
checked by the intake model itself, so a bad answer is refused with the same reason a case file
would get. Skip logic only decides what to *ask*: red flags are screened after the history and a
referral ends the questions; the engine still makes every decision. A question is numbered by its
place among every question (``number``), so the count never changes mid-intake: a question that an
earlier answer makes unnecessary counts as settled. Nothing here talks to a terminal or a database:
that is ``tripod/intake/questionnaire.py``.
"""


from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel

from engine.intake import FORMAT, SIDES, Case, instrument_of, literal_values, sub_model
from engine.paths import models_on, nested
from engine.visit import FOLLOW_UP
from knowledge.catalog import catalog
from knowledge.wording import QuestionField, QuestionSection
from storage.casefile import case_to_document, parse_case
from tripod.intake.answers import ENTRY, SCORE, TooLong, Unreadable, check, parse, show
from tripod.intake.flags import (
    RED_FLAGS,
    SKIP,
    FlagItem,
    group_flags,
    group_items,
    parse_flags,
    pregnant,
    referral_tier,
    show_flags,
    top_tier,
)

Kind = Literal["integer", "number", "enum", "multi", "text", "date", "activities", "sections"]
BACK = "back"
HELP = "?"
ITEMS = "items"  # typed at a total that has a helper: score it item by item
# A follow-up's pick of the examination sections to measure again: a draft key, no case-file field.
REMEASURE = "remeasure"
# Its choices are the constraint ids (constraints.yaml); a follow-up narrows them to the last visit's.
CONSTRAINTS_FOLLOWED = "since_last_visit.constraints_followed"
# tripod/intake/flags.py holds the red-flag questions and answers.py how an answer is read and
# checked; these names are the intake's interface too.
__all__ = ["BACK", "CONSTRAINTS_FOLLOWED", "ENTRY", "HELP", "ITEMS", "MISSING", "RED_FLAGS",
           "REMEASURE", "SCORE", "SKIP", "Question", "TooLong", "Unreadable", "answered",
           "build_document", "check", "examination", "finish", "follow_up", "number", "parse",
           "parse_flags", "picked", "picked_from", "plan", "prefill_from", "pregnant", "progress",
           "question_paths", "questions", "referral_tier", "settled", "show", "show_flags"]


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
    # Asked only when another answer is one of these values (GROC on a follow-up).
    when: tuple[str, tuple[str, ...]] | None = None
    default: str | None = None  # what Enter records when nothing was answered before
    helper: str | None = None  # a total that can be scored item by item (questions.yaml helpers)
    items: tuple[FlagItem, ...] = ()  # a red-flag group's numbered questions

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


def _condition(spec: Any, side: str | None) -> tuple[str, tuple[str, ...]] | None:
    if spec is None:
        return None
    return (spec.path.format(side=side) if side else spec.path, tuple(spec.values))


def _question(section: QuestionSection, spec: QuestionField, side: str | None) -> Question:
    path = spec.path.format(side=side) if side else spec.path
    models, name = _field(path)
    info = models[-1].model_fields[name]
    instrument = instrument_of(models[-1], name)
    choices = tuple(str(v) for v in literal_values(info.annotation))
    if path == CONSTRAINTS_FOLLOWED:
        choices = tuple(catalog().constraints)
    kind: Kind
    if path == "assessed_on":
        kind = "date"
    elif choices:
        kind = "multi" if _is_list(info.annotation) else "enum"
    elif _is_list(info.annotation) and (item := sub_model(info.annotation)) is not None:
        kind = "activities"
        # Its help is the instrument that scores each entry (the PSFS's, for an activity).
        instrument = next((found for name in item.model_fields
                           if (found := instrument_of(item, name)) is not None), None)
    elif instrument is not None:
        kind = "integer" if catalog().instrument(instrument).kind == "integer" else "number"
    else:
        kind = "text"
    parts = path.split(".")
    # A field is required when every step of its path is: client.age is, hips.method is not (no
    # hips, no method).
    required = all(m.model_fields[p].is_required() for m, p in zip(models, parts, strict=True))
    return Question(key=path, section=section, kind=kind, choices=choices, side=side,
                    prompt=spec.prompt, how=spec.how, instrument=instrument, required=required,
                    unless=_condition(spec.unless, side), needs=_needs(path),
                    when=_condition(spec.when, side), default=spec.default, helper=spec.helper)


def _section_questions(section: QuestionSection) -> list[Question]:
    """A section's questions: each sided field left then right, or with ``by_side`` every sided
    field of a run for the left side, then for the right (hip IR, then ER of the same hip)."""
    out: list[Question] = []
    run: list[QuestionField] = []

    def flush() -> None:
        for side in SIDES:
            out.extend(_question(section, spec, side) for spec in run)
        run.clear()

    for spec in section.fields:
        if "{side}" not in spec.path:
            flush()
            out.append(_question(section, spec, None))
        elif section.by_side:
            run.append(spec)
        else:
            out.extend(_question(section, spec, side) for side in SIDES)
    flush()
    return out


@cache
def questions() -> tuple[Question, ...]:
    """Every question in the order asked, sides expanded, before any skip logic."""
    kb = catalog()
    out: list[Question] = []
    for section in kb.questions.sections:
        if section.id == RED_FLAGS:
            for group in kb.red_flags.groups:
                items = group_items(group)
                if not items:
                    continue
                out.append(Question(key=f"{RED_FLAGS}:{group}", section=section, kind="enum",
                                    group=group, flags=group_flags(items), prompt=section.prompt,
                                    how=section.how, items=items))
            continue
        if section.id == REMEASURE:
            out.append(Question(key=REMEASURE, section=section, kind="sections",
                                choices=tuple(sorted(examination(), key=_position)),
                                prompt=section.prompt, how=section.how, required=True,
                                when=_condition(section.when, None)))
            continue
        out.extend(_section_questions(section))
    return tuple(out)


def number(question: Question) -> int:
    """The question's place among every question (1 to ``len(questions())``): the same whatever
    was answered, so the count shown never changes."""
    return next(i for i, q in enumerate(questions(), start=1) if q.key == question.key)


def question_paths() -> set[str]:
    """Every case-file path some question asks (red flags included)."""
    return {key for q in questions() for key in q.keys}


# -- skip logic ----------------------------------------------------------------------------------


def _pelvic_paths() -> set[str]:
    return {p for w in catalog().observations if w.pelvic for p in w.paths()}


def _settles(question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether an earlier answer already settles what this question could change (``unless``; for
    a sided one, on both sides, so that an alternative measure is not taken on one side only)."""
    if question.unless is None:
        return False
    path, values = question.unless
    if answers.get(path) not in values:
        return False
    if question.side is None:
        return True
    other = path.replace(f".{question.side}.", ".left." if question.side == "right" else ".right.")
    return answers.get(other) in values


def plan(answers: Mapping[str, Any]) -> list[Question]:
    """The questions to ask given the answers so far, in order.

    A referral ends the questions after the red flags (at once for the top tier, which nothing can
    raise); pregnancy items are not asked of a male client; pelvic items are not asked during
    pregnancy; GROC, since_last_visit and the pick of sections to measure again only on a
    follow-up, whose examination is the sections picked and which skips the history of the
    problem (``follow_up: skip``); a question whose ``unless`` answer holds (on both sides),
    or whose section's required field (hips.method) was skipped, is not asked.
    """
    top = top_tier()
    sections = examination()
    pelvic = _pelvic_paths()
    following = follow_up(answers)
    chosen = picked(answers)
    tier = referral_tier(answers)
    out: list[Question] = []
    for question in questions():
        if question.kind == "sections" and tier is not None:
            continue  # a referral ends the questions: nothing is measured again
        if question.group is not None:
            if question.group == "pregnancy" and answers.get("client.sex") == "male":
                continue
            if tier == top and not answered(question, answers):
                continue
            out.append(question)
            continue
        if question.section.id in sections and (tier is not None or question.section.id
                                                  not in chosen):
            continue
        if following and question.section.follow_up == "skip":
            continue
        if question.key in pelvic and pregnant(answers):
            continue
        if _settles(question, answers):
            continue
        if question.when and answers.get(question.when[0]) not in question.when[1]:
            continue
        if any(answers.get(need, MISSING) is None for need in question.needs):
            continue
        out.append(question)
    return out


@cache
def examination() -> frozenset[str]:
    """The examination's sections (``examination: true``): a referral ends the questions before
    them, and a follow-up asks only those picked (``REMEASURE``)."""
    return frozenset(s.id for s in catalog().questions.sections if s.examination)


def _position(section: str) -> int:
    return [s.id for s in catalog().questions.sections].index(section)


def follow_up(answers: Mapping[str, Any]) -> bool:
    return answers.get("visit") == FOLLOW_UP


def picked(answers: Mapping[str, Any]) -> frozenset[str]:
    """The examination sections this visit measures: all of them on a first visit, the ones picked
    on a follow-up (all until the pick is made)."""
    chosen = answers.get(REMEASURE)
    if not follow_up(answers) or not isinstance(chosen, list):
        return examination()
    return frozenset(chosen) & examination()


def picked_from(values: Mapping[str, Any]) -> list[str]:
    """The examination sections a case's values (draft keys) hold a value of, in order: the pick
    of a follow-up read from its case (``tripod amend``, ``--from``)."""
    held = {q.section.id for q in questions() if q.section.id in examination()
            and any(values.get(key) is not None for key in q.keys)}
    return sorted(held, key=_position)


def answered(question: Question, answers: Mapping[str, Any]) -> bool:
    return all(key in answers for key in question.keys)


def settled(answers: Mapping[str, Any]) -> int:
    """How many questions are behind the intake: those before the first planned question still
    unanswered, whether answered or made unnecessary by an earlier answer."""
    pending = next((q for q in plan(answers) if not answered(q, answers)), None)
    return len(questions()) if pending is None else number(pending) - 1


def progress(answers: Mapping[str, Any]) -> tuple[int, int]:
    """How many questions are settled (answered, or not needed given the answers) and how many
    there are: the total is the same from the first question to the last."""
    return settled(answers), len(questions())


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
    # A follow-up does not ask the history of the problem; a case it was pre-filled from keeps it.
    kept = {q.key for q in questions() if q.section.follow_up == "skip"} \
        if follow_up(answers) else set()
    for path, value in prefill.items():
        if (path not in asked_anywhere or path in kept) and path != "format":
            flat[path] = value
    for question in planned:
        if question.kind == "sections":
            continue  # the pick decides what is asked; the case holds what was measured
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
        elif path.startswith("since_last_visit.") and flat.get("visit") != FOLLOW_UP:
            del flat[path]  # what only a follow-up has, carried from a follow-up's case file
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
