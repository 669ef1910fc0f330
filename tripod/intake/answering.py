"""One answer to one question, read the same way by every front end (the terminal's
:class:`~tripod.intake.questionnaire.Interview`, the web pages and the JSON API of ``tripod serve``).

:class:`Answering` holds what an answer is read against: the answers so far, the values pre-filled
from a case file, and the last visit a follow-up bounds its answers by. Given a question and the
text typed (or the value picked, written as it would be typed), :meth:`Answering.read` gives the
draft values to save, or the one-line problems (nothing is saved then); an empty answer takes the
default shown (:meth:`Answering.default`); a red-flag group answered yes needs confirming first
(:meth:`Answering.to_confirm`, what a yes does: ``help.confirmation``). A screen that shows several
parts of one answer at once gives them apart: a total's items (:meth:`Answering.read_items`) and a
follow-up's PSFS, each activity of the last visit rated again and new ones typed
(:meth:`Answering.read_psfs`). Nothing here talks to a terminal, a browser or a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.paths import instrument_for
from knowledge.catalog import catalog, messages
from tripod.intake import help as shown_help
from tripod.intake.flags import YES, parse_items
from tripod.intake.items import helper_of, item_problem, item_score, items_key, items_total
from tripod.intake.questions import (
    MISSING,
    SKIP,
    Question,
    TooLong,
    Unreadable,
    answered,
    check,
    parse,
    parse_flags,
    show,
    show_flags,
)

if TYPE_CHECKING:
    from tripod.intake.follow_up import FollowUp


@dataclass(frozen=True)
class Reading:
    """What an answer gives: the draft values to save, or the one-line problems (``values`` None).

    ``recorded`` is the value as recorded when it is not what was typed (``l`` read as ``lost``).
    """

    values: dict[str, Any] | None
    problems: tuple[str, ...] = ()
    recorded: str | None = None


@dataclass
class Answering:
    """The answers one intake holds, as every front end reads a new answer against them."""

    answers: Mapping[str, Any]
    prefill: Mapping[str, Any] = field(default_factory=dict)
    follow_up: FollowUp | None = None
    # The front end scores a total item by item (the terminal's `items`); the web's does not.
    items: bool = False

    def instrument(self, question: Question) -> str | None:
        """The instrument that measures the question (the hips' method picks the goniometer's or
        the inclinometer's)."""
        method = self.answers.get("hips.method")
        return instrument_for(question.key, question.instrument, str(method) if method else None)

    def label(self, question: Question) -> str:
        """The question's wording: its prompt, else its instrument's label; a red-flag group's
        name (what it screens for)."""
        if question.group:
            return catalog().red_flags.groups[question.group]
        instrument = self.instrument(question)
        spec = catalog().instrument(instrument) if instrument else None
        return question.prompt or (spec.label if spec else question.key)

    def allowed(self, question: Question) -> str:
        """What an answer may be, in a few words (a follow-up's own bound where it has one)."""
        bounded = self.follow_up.allowed(question) if self.follow_up else None
        return bounded or shown_help.allowed(question, self.instrument(question),
                                             items=self.items)

    def default(self, question: Question) -> Any:
        """The value an empty answer takes: the answer already given, else the pre-filled one (a
        field the case file left out: not assessed), else today's date for the date, else the
        question's own default (an initial visit); ``MISSING`` when there is none."""
        if question.group:
            source = self.answers if answered(question, self.answers) else self.prefill
            if all(key in source for key in question.keys):
                return show_flags(question, source)
            return MISSING
        for source in (self.answers, self.prefill):
            if question.key in source:
                return source[question.key]
        if question.kind == "date":
            return dt.date.today().isoformat()
        if self.prefill and not question.required:
            return None  # left out of the case file it was pre-filled from: not assessed
        if question.default is not None:
            return question.default
        return MISSING

    def to_confirm(self, question: Question, text: str) -> list[str] | None:
        """Each item's answer (yes, no, unknown) when a red-flag group's answer says yes to one:
        a yes counts only once confirmed; None when nothing needs confirming."""
        if not question.group:
            return None
        default = self.default(question)
        states = parse_items(question, text or ("" if default is MISSING else str(default)))
        return None if isinstance(states, str) or YES not in states else states

    def _problems(self, question: Question, value: Any) -> list[str]:
        """What is wrong with ``value``: a follow-up's own bound first, which says more than the
        case file's check (the constraints the last visit gave, not every constraint there is)."""
        bounded = self.follow_up.problems(question, value) if self.follow_up else []
        return bounded or check(question, value)

    def read(self, question: Question, text: str) -> Reading:
        """The answer ``text`` (stripped; empty: the default) as draft values, or its problems; a
        total typed while item scores are kept for it sets them aside (the total typed counts)."""
        reading = self._read(question, text)
        if reading.values is None or not question.helper or \
                self.answers.get(items_key(question)) is None:
            return reading
        return Reading({**reading.values, items_key(question): None}, recorded=reading.recorded)

    def _read(self, question: Question, text: str) -> Reading:
        text = text.strip()
        default = self.default(question)
        if not text:
            if default is not MISSING and question.group:
                text = default
            elif default is not MISSING:
                problems = self._problems(question, default)
                return _refused(problems) if problems else Reading({question.key: default})
            elif question.kind == "text" and not question.required:
                return Reading({question.key: None})
            else:
                return _refused([messages().say("intake.needed")])
        if question.group:
            flags = parse_flags(question, text)
            return _refused([flags]) if isinstance(flags, str) else Reading(dict(flags))
        try:
            value = None if text.lower() == SKIP else (
                self.follow_up.parse(question, text) if self.follow_up else parse(question, text))
        except TooLong:
            shown = text if len(text) <= 60 else text[:57] + "..."
            return _refused([f"{question.key} = {shown}: allowed {self.allowed(question)}"])
        except Unreadable as exc:
            return _refused([str(exc)])
        problems = self._problems(question, value)
        if problems:
            return _refused([p.replace(" = (missing): required",
                                       " = skip: required, cannot be skipped") for p in problems])
        recorded = show(value) if value is not None and show(value) != text else None
        return Reading({question.key: value}, recorded=recorded)


    def read_items(self, question: Question, typed: Sequence[str]) -> Reading:
        """A total's items scored on one screen (``typed``, one per item; empty: not scored yet),
        as the total their sum gives and the scores kept beside it; only the scores while some
        item is not scored; or each refused item's problem (nothing saved)."""
        helper = helper_of(question)
        count = len(helper.labels())
        if not question.helper or len(typed) != count:
            return _refused([messages().say("web_intake.items_count", field=question.key,
                                            value=len(typed), count=count)])
        scores: list[int | None] = []
        problems = []
        for index, text in enumerate(typed, start=1):
            score = item_score(text.strip(), helper) if text.strip() else None
            if text.strip() and score is None:
                problems.append(item_problem(question, index, text.strip(),
                                             "web_intake.item_bad"))
            scores.append(score)
        if problems:
            return _refused(problems)
        kept = {items_key(question): scores}
        if any(score is None for score in scores):
            return Reading(kept)
        total = items_total([score for score in scores if score is not None])
        problems = self._problems(question, total)
        return _refused(problems) if problems else Reading({question.key: total, **kept})

    def read_psfs(self, question: Question, scores: Sequence[str], new: str) -> Reading:
        """A follow-up's PSFS on one screen: each activity of the last visit rated again
        (``scores``, empty: not rated again) and any new ones typed (``new``), refused as the
        terminal refuses them (``FollowUp.read_again``)."""
        if self.follow_up is None or not self.follow_up.asks(question):
            return self.read(question, new)
        value, problems = self.follow_up.read_again(question, scores, new)
        return _refused(problems) if problems else Reading({question.key: value})


def _refused(problems: list[str]) -> Reading:
    return Reading(None, tuple(problems))
