"""Tripod's errors, and the one format every input problem is reported in.

Exception tree::

    TripodError                 anything Tripod reports to a person instead of a traceback
    +-- InputError              bad input: a case file, an answer, a CLI option (exit status 2)
    |   +-- CaseFileError       one case file, with every problem found in it
    +-- StoreError              the record store cannot be read or written (exit status 1)
    +-- InternalError           a fault in Tripod itself on one input (exit status 3): named by the
                                input and the exception's type alone, since its text could quote
                                patient data

A problem reads ``<where>: <field> = <value>: <what is allowed>``, one line per bad field, e.g.
``case alice.yaml: hips.left.ir_deg = 140: allowed -20 to 100 deg``. The allowed part comes from the
check that failed (pydantic's error context, or our validators' messages), never typed a second time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.forms import NumberForm

MISSING = "(missing)"


@dataclass(frozen=True)
class Problem:
    where: str
    field: str
    value: str
    allowed: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field} = {self.value}: {self.allowed}"


class TripodError(Exception):
    """Something Tripod explains to a person; the CLI prints it without a traceback."""

    exit_code = 1


class InputError(TripodError):
    exit_code = 2

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Withheld(ValueError):
    """A validator's refusal whose problem line shows ``shown`` in place of the value: the value
    holds free text (a client's words) that no message may quote."""

    def __init__(self, allowed: str, shown: str) -> None:
        super().__init__(allowed)
        self.shown = shown


class CaseFileError(InputError):
    """Every problem of one case file."""


class StoreError(TripodError):
    exit_code = 1


# What Tripod was doing when a fault no check foresaw struck: the field named, and the words.
_STAGES = {
    "reading": ("(file)", ("Tripod failed reading this file; allowed a file it can read "
                           "(please report it)")),
    "assessing": ("(assessment)", ("the engine failed on this case; allowed a case it can assess "
                                   "(please report it)")),
    "reporting": ("(report)", ("Tripod failed rendering this case's report; allowed a case it can "
                               "report on (please report it)")),
}


def internal_problem(where: str, exc: BaseException, stage: str = "assessing") -> Problem:
    """The one line for a fault in Tripod on one input: the exception's type names it, never its
    text, which could quote the case."""
    field, allowed = _STAGES[stage]
    return Problem(where, field, type(exc).__name__, allowed)


class InternalError(TripodError):
    """A fault in Tripod on one input, no check foresaw it: a bug to report, not bad input."""

    exit_code = 3

    def __init__(self, problem: Problem) -> None:
        self.problems = [problem]
        super().__init__(str(problem))


@contextmanager
def guarded(where: str, stage: str) -> Iterator[None]:
    """Bad input must not rely on the exceptions foreseen: anything else raised inside becomes an
    InternalError naming ``where``, so a person sees one line and no traceback."""
    try:
        yield
    except TripodError:
        raise
    except Exception as exc:  # the last resort on an input path
        raise InternalError(internal_problem(where, exc, stage)) from exc


def show_value(value: Any, limit: int = 60) -> str:
    """A short, unambiguous rendering of an input value for an error line."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, NumberForm):
        text = value.text  # as written: 030, 0x1E, 1:10
    elif isinstance(value, (dt.date, dt.datetime)):
        text = value.isoformat()
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            # A key a person cannot read as a field name (a line break, a control character) is
            # shown quoted, so that each problem stays one line.
            name = str(item) if str(item).isprintable() else repr(str(item))
            parts.append(("." if parts else "") + name)
    return "".join(parts) or "(document)"


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (for listing the allowed keys)."""
    from engine.intake import sub_model

    current: Any = model
    for item in loc:
        if isinstance(item, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(item))
        if info is None:
            return None
        current = sub_model(info.annotation) or info.annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_TYPE_WORDS = {
    "int_type": "allowed a whole number",
    "int_from_float": "allowed a whole number",
    "float_type": "allowed a number",
    "string_type": "allowed text",
    "string_unicode": "allowed Unicode text; found a lone surrogate",
    "bool_type": "allowed yes or no",
    "list_type": "allowed a list",
    "model_type": "allowed a mapping of fields",
    "model_attributes_type": "allowed a mapping of fields",
    "dict_type": "allowed a mapping",
    "date_type": "allowed a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "allowed a date as YYYY-MM-DD",
    "date_parsing": "allowed a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "allowed a date as YYYY-MM-DD",
}


def _allowed(error: Any, model: type[BaseModel]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        return f"allowed one of {ctx.get('expected', '').replace(' or ', ', ')}".replace("'", "")
    if kind == "missing":
        holder = _model_at(model, tuple(error["loc"][:-1]))
        info = holder.model_fields.get(str(error["loc"][-1])) if holder else None
        from engine.intake import literal_values

        choices = tuple(str(v) for v in literal_values(info.annotation)) if info else ()
        return f"required; allowed one of {', '.join(choices)}" if choices else "required"
    if kind == "extra_forbidden":
        holder = _model_at(model, tuple(error["loc"][:-1]))
        names = ", ".join(holder.model_fields) if holder else ""
        return f"unknown field; allowed: {names}" if names else "unknown field"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("string_too_short", "too_short"):
        return f"allowed at least {ctx.get('min_length', 1)} characters"
    if kind in ("string_too_long", "too_long"):
        return f"allowed at most {ctx.get('max_length')} characters"
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind]
    return str(error["msg"])


def problems_from_validation(where: str, exc: ValidationError, model: type[BaseModel],
                             data: Any) -> list[Problem]:
    """One :class:`Problem` per pydantic error, naming the field, the value and what is allowed."""
    from engine.intake import PregnancyItemsMissing  # late: intake imports the catalog at import
    from engine.visit import VisitProblems

    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, PregnancyItemsMissing):
            problems.extend(
                Problem(where, f"red_flags.{item}", MISSING,
                        f"required when client.sex is {cause.sex!r}; allowed one of yes, no, unknown")
                for item in cause.items
            )
            continue
        if isinstance(cause, VisitProblems):
            problems.extend(Problem(where, field, value if isinstance(value, str) else show_value(value),
                                    allowed) for field, value, allowed in cause.problems)
            continue
        loc = tuple(error["loc"])
        value = MISSING if error["type"] == "missing" else show_value(error.get("input"))
        if isinstance(cause, Withheld):
            value = cause.shown
        problems.append(Problem(where, _path(loc), value, _allowed(error, model)))
    return problems
