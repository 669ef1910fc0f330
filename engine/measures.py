"""Measured fields of the intake model: a number whose type and range come from the instrument's
entry in ``knowledge/data/instruments.yaml``, and an enum marked with the instrument that observes it.

``engine/intake.py`` (the observations) and ``engine/visit.py`` (the outcome measures) build their
fields with these, so no bound is typed in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Strict

from engine.forms import refuse_number_form
from knowledge.catalog import catalog


@dataclass(frozen=True)
class Measured:
    """Marks a field with the instrument that measures it (range, normal band, how, sources)."""

    instrument: str


def yes_no(value: Any) -> Any:
    # The contract: YAML 1.1 reads unquoted yes/no as booleans, JSON may send true/false.
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


def _in_range(instrument: str) -> Any:
    spec = catalog().instrument(instrument)

    def check(value: float) -> float:
        # An int is compared exactly: math.isfinite() would turn it into a float and overflow
        # past 308 digits.
        finite = isinstance(value, int) or math.isfinite(value)
        if not finite or not (spec.min <= value <= spec.max):  # type: ignore[operator]
            raise ValueError(f"allowed {spec.range_text()}")
        return value

    return AfterValidator(check)


def measure(instrument: str) -> Any:
    """A numeric field whose type and range come from the instrument's entry in the catalog."""
    spec = catalog().instrument(instrument)
    base = int if spec.kind == "integer" else float

    def before(value: Any) -> Any:
        value = refuse_number_form(value)
        if base is float and isinstance(value, int) and not isinstance(value, bool):
            try:
                float(value)
            except OverflowError:  # past 308 digits: beyond the range, not "not a number"
                raise ValueError(f"allowed {spec.range_text()}") from None
        return value

    return Annotated[base, Strict(), _in_range(instrument), BeforeValidator(before),
                     Measured(instrument)]


def observed(instrument: str, values: Any) -> Any:
    """An enum field measured by ``instrument``; booleans stand for yes/no where yes/no is allowed."""
    return Annotated[values, BeforeValidator(yes_no), Measured(instrument)]


def at_most_once(what: str) -> AfterValidator:
    """A list field's check that each item comes at most once; the problem names ``what`` they are
    (regions felt, constraint ids) and the repeated ones."""

    def check(items: list[str]) -> list[str]:
        repeated = sorted({item for item in items if items.count(item) > 1})
        if repeated:
            raise ValueError(f"each {what} at most once; repeated: {', '.join(repeated)}")
        return items

    return AfterValidator(check)
