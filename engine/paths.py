"""Case paths: the one place that reads and writes a dotted case-file path (``hips.left.ir_deg``) on a
case document or a Case model, finds the model field behind a path, and names the instrument that
measured an observation.

A path reads the same on a parsed case file (nested dicts) and on a validated :class:`Case` (nested
models): a part that is absent, or a value left out, gives None. The hips' rotation fields name the
seated instrument in the intake model; which position was used is ``hips.method``, so the instrument
behind a hip value is the one of that position, and a cut-off in thresholds.yaml names the observation
without the position (``hip_ir_deg``), since seated and prone share it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel

from engine.intake import Case, sub_model
from knowledge.clinical import POSITIONS, observation_of

# The position a hip rotation is measured in by default (``hips.method``); the intake model's fields
# name its instruments.
_DEFAULT_POSITION = POSITIONS[0]


def value_at(source: BaseModel | Mapping[str, Any] | None, path: str) -> Any:
    """The value at ``path`` in a case document or model, or None when any part of it is absent."""
    current: Any = source
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, BaseModel):
            current = getattr(current, part, None)
        else:
            return None
        if current is None:
            return None
    return current


def with_value(document: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of a case document with ``path`` set to ``value`` (the sections on the way made as
    needed). A hip value needs a measuring position: a document without one gets the seated test,
    the default."""
    changed: dict[str, Any] = copy.deepcopy(dict(document))
    current = changed
    *parents, name = path.split(".")
    for part in parents:
        current = current.setdefault(part, {})
    current[name] = value
    if parents and parents[0] == "hips":
        changed["hips"].setdefault("method", _DEFAULT_POSITION)
    return changed


@cache
def field_at(path: str) -> tuple[type[BaseModel], str] | None:
    """The model that holds the case-file field at a dotted ``path``, and the field's name there."""
    model: type[BaseModel] | None = Case
    *parents, name = path.split(".")
    for part in parents:
        if model is None or part not in model.model_fields:
            return None
        model = sub_model(model.model_fields[part].annotation)
    if model is None or name not in model.model_fields:
        return None
    return model, name


def instrument_for(path: str, instrument: str | None, method: str | None) -> str | None:
    """The instrument that measured the observation at ``path``, whose field names ``instrument``:
    for a hip value, the one of the position ``hips.method`` names."""
    if instrument is None or not method or not path.startswith("hips."):
        return instrument
    return instrument.replace(_DEFAULT_POSITION, method)


__all__ = ["field_at", "instrument_for", "observation_of", "value_at", "with_value"]
