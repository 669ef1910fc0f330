"""Case paths: the one place that reads and writes a dotted case-file path (``hips.left.ir_deg``) on a
case document or a Case model, turns a document into values by path and back, finds the model field
behind a path, and names the instrument that measured an observation.

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
def models_on(path: str) -> tuple[tuple[type[BaseModel], ...], str] | None:
    """The models along the case-file field at a dotted ``path`` (the Case first, the one holding
    the field last), and the field's name there; None when the path names no field."""
    models: list[type[BaseModel]] = [Case]
    *parents, name = path.split(".")
    for part in parents:
        if part not in models[-1].model_fields:
            return None
        model = sub_model(models[-1].model_fields[part].annotation)
        if model is None:
            return None
        models.append(model)
    if name not in models[-1].model_fields:
        return None
    return tuple(models), name


def field_at(path: str) -> tuple[type[BaseModel], str] | None:
    """The model that holds the case-file field at a dotted ``path``, and the field's name there."""
    found = models_on(path)
    return None if found is None else (found[0][-1], found[1])


def flattened(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested case document as ``{dotted.path: value}``; lists stay values."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flattened(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` as ``{"a": {"b": 1}}``: a case document from values by dotted path."""
    document: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".")
        node = document
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return document


def instrument_for(path: str, instrument: str | None, method: str | None) -> str | None:
    """The instrument that measured the observation at ``path``, whose field names ``instrument``:
    for a hip value, the one of the position ``hips.method`` names."""
    if instrument is None or not method or not path.startswith("hips."):
        return instrument
    return instrument.replace(_DEFAULT_POSITION, method)


__all__ = ["field_at", "flattened", "instrument_for", "models_on", "nested", "observation_of",
           "value_at", "with_value"]
