"""Answers to the intake's questions: how a typed answer is read, checked and shown back.

Every answer is checked by the intake model itself (``engine/intake.py``), so a bad answer is
refused with the same reason a case file would get. A list is typed with commas (``hamstrings,
lower back``: a choice may be written with spaces for its underscores); the PSFS's activities as
``activity = score`` separated by ``;``. Which questions there are is ``tripod/intake/questions.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from engine.errors import problems_from_validation
from engine.forms import number_from_text
from engine.intake import FORMAT, Case
from engine.paths import nested
from engine.visit import PSFS_ACTIVITIES
from reports.shown import shown
from tripod.intake.flags import SKIP

if TYPE_CHECKING:
    from tripod.intake.questions import Question


def _choose(token: str, choices: tuple[str, ...]) -> str:
    """A choice by its name, written with spaces for underscores (``lower back``), or an
    unambiguous start of it (``l`` for lost); else the token as typed, which the intake model then
    refuses naming the choices."""
    lowered = "_".join(token.lower().split())
    if lowered in choices:
        return lowered
    starting = [c for c in choices if c.startswith(lowered)]
    return starting[0] if len(starting) == 1 else token


class TooLong(ValueError):
    """A whole number with more digits than Python turns into a number (or a float holds)."""


class Unreadable(ValueError):
    """An answer whose form is wrong before any value can be checked; the message is the problem
    line (naming the field, never quoting what was typed)."""


# How an activity and its score are written in one answer: "deadlift = 4; lunges = 6".
ENTRY, SCORE = ";", "="


def _activities(question: Question, text: str) -> list[dict[str, Any]]:
    entries = [e for e in (part.strip() for part in text.split(ENTRY)) if e]
    out: list[dict[str, Any]] = []
    for index, entry in enumerate(entries, start=1):
        activity, equals, score = entry.rpartition(SCORE)
        if not equals or not activity.strip() or not score.strip():
            raise Unreadable(f"{question.key} = (activity {index} of {len(entries)} without "
                             f"'activity {SCORE} score'): allowed 1 to {PSFS_ACTIVITIES} activities, "
                             f"each written activity {SCORE} score, separated by {ENTRY}")
        try:
            value: Any = number_from_text(score.strip())
        except ValueError as exc:
            raise TooLong(score.strip()) from exc
        out.append({"activity": activity.strip(), "score": value})
    return out


ALL, NONE = "all", "none"


def _sections(question: Question, text: str) -> list[str]:
    """Examination sections picked by position (``1 3 4``), ``all`` or ``none``, in their order."""
    tokens = text.replace(",", " ").lower().split()
    if tokens == [ALL]:
        return list(question.choices)
    if tokens == [NONE]:
        return []
    count = len(question.choices)
    chosen: set[int] = set()
    for token in tokens:
        if not (token.isascii() and token.isdigit() and 1 <= int(token) <= count):
            shown_token = token if token.isascii() and token.isdigit() and len(token) < 6 \
                else "(not a section number)"
            raise Unreadable(f"{question.key} = {shown_token}: allowed section numbers 1 to "
                             f"{count} separated by spaces, {ALL} or {NONE}")
        chosen.add(int(token))
    return [question.choices[i - 1] for i in sorted(chosen)]


def parse(question: Question, text: str) -> Any:
    """The typed value of a non-empty answer, as a case file would hold it (not yet checked).

    A list is split at commas (``hamstrings, lower back``); activities at ``;``, each
    ``activity = score``. Raises TooLong for a whole number Python cannot hold (beyond any range a
    question has) and Unreadable for activities not written as that.
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
        return [_choose(token.strip(), question.choices) for token in text.split(",")
                if token.strip()]
    if question.kind == "activities":
        return _activities(question, text)
    if question.kind == "sections":
        return _sections(question, text)
    if question.kind == "date" and text.lower() == "today":
        return dt.date.today().isoformat()
    return text


def check(question: Question, value: Any) -> list[str]:
    """What is wrong with ``value`` for this question, worded exactly as for a case file.

    The answer is validated inside a case document by the intake model; only the problems at this
    field are kept (the rest of the document is not written yet). ``None`` means skipped.
    """
    if question.kind == "sections":  # no case-file field: the pick is checked by its choices
        if value is None:
            return [(f"{question.key} = skip: required, cannot be skipped; allowed section "
                     f"numbers, {ALL} or {NONE}")]
        unknown = [v for v in value if v not in question.choices] if isinstance(value, list) \
            else [value]
        return [f"{question.key} = {v}: allowed one of {', '.join(question.choices)}"
                for v in unknown]
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


def show(value: Any) -> str:
    """An answer as a person would type it back (activities as ``activity = score; ...``)."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return f"{ENTRY} ".join(f"{v.get('activity')} {SCORE} {shown(v.get('score'))}"
                                for v in value)
    return shown(value, unknown=SKIP)
