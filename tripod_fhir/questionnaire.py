"""The intake as an SDC Questionnaire: one item per question, linkId its case path (a red-flag group
gives an item per flag), in the order asked; ``enableWhen`` carries the skip logic a question
declares (``unless``, ``when``, and a section's required field such as ``hips.method``), choices are
answerOptions, a measure's unit and range SDC extensions.

The questions come from the intake (``tripod/intake/questions.py``) through the screening service,
as anything shaped like ``Question``: this layer never imports a front end.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from engine.intake import Case, instrument_of, literal_values, sub_model
from engine.paths import field_at
from knowledge.catalog import catalog, fhir_codes
from tripod_fhir.common import coding, parsed
from tripod_fhir.observations import QUESTIONNAIRE, questionnaire_url

EXT = "http://hl7.org/fhir/StructureDefinition"
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
TYPES = {"integer": "integer", "number": "decimal", "enum": "choice", "multi": "choice",
         "text": "string", "date": "date", "activities": "group"}


class FlagItemLike(Protocol):
    @property
    def question(self) -> str: ...
    @property
    def flags(self) -> tuple[str, ...]: ...


class QuestionLike(Protocol):
    """What the Questionnaire reads of an intake question (``tripod.intake.questions.Question``)."""

    @property
    def key(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def choices(self) -> tuple[str, ...]: ...
    @property
    def prompt(self) -> str | None: ...
    @property
    def instrument(self) -> str | None: ...
    @property
    def required(self) -> bool: ...
    @property
    def unless(self) -> tuple[str, tuple[str, ...]] | None: ...
    @property
    def when(self) -> tuple[str, tuple[str, ...]] | None: ...
    @property
    def needs(self) -> tuple[str, ...]: ...
    @property
    def group(self) -> str | None: ...
    @property
    def items(self) -> Sequence[FlagItemLike]: ...


def _options(choices: Iterable[str]) -> list[dict[str, Any]]:
    return [{"valueCoding": coding("answer", c, c)} for c in choices]


def _enable_when(question: QuestionLike) -> dict[str, Any]:
    conditions: list[dict[str, Any]] = []
    behaviour = "all"
    if question.unless is not None:
        path, values = question.unless
        conditions += [{"question": path, "operator": "!=", "answerCoding": coding("answer", v)}
                       for v in values]
    if question.when is not None:
        path, values = question.when
        conditions += [{"question": path, "operator": "=", "answerCoding": coding("answer", v)}
                       for v in values]
        behaviour = "any" if question.unless is None else "all"
    conditions += [{"question": need, "operator": "exists", "answerBoolean": True}
                   for need in question.needs]
    if not conditions:
        return {}
    out: dict[str, Any] = {"enableWhen": conditions}
    if len(conditions) > 1:
        out["enableBehavior"] = behaviour
    return out


def _measure(instrument: str, kind: str) -> dict[str, Any]:
    spec = catalog().instrument(instrument)
    value = "valueInteger" if kind == "integer" else "valueDecimal"
    extensions: list[dict[str, Any]] = []
    if spec.min is not None and spec.max is not None:
        low, high = (int(spec.min), int(spec.max)) if kind == "integer" else (spec.min, spec.max)
        extensions += [{"url": f"{EXT}/minValue", value: low}, {"url": f"{EXT}/maxValue", value: high}]
    ucum = fhir_codes().units.get(spec.unit)
    if ucum is not None:
        extensions.append({"url": f"{EXT}/questionnaire-unit",
                           "valueCoding": coding("ucum", ucum, spec.unit)})
    return {"extension": extensions} if extensions else {}


def _text(question: QuestionLike) -> str:
    if question.prompt:
        return question.prompt
    if question.instrument:
        return catalog().instrument(question.instrument).label
    return question.key


def _item(question: QuestionLike) -> list[dict[str, Any]]:
    if question.group is not None:  # a red-flag group: one item per flag, its question's words
        return [{"linkId": f"red_flags.{flag}", "text": item.question, "type": "choice",
                 "required": True, "answerOption": _options(("yes", "no", "unknown"))}
                for item in question.items for flag in item.flags]
    out: dict[str, Any] = {"linkId": question.key, "text": _text(question),
                           "type": TYPES[question.kind]}
    if question.kind in ("integer", "number") and question.instrument:
        out.update(_measure(question.instrument, question.kind))
    if question.required:
        out["required"] = True
    if question.kind == "multi" or question.kind == "activities":
        out["repeats"] = True
    if question.choices:
        out["answerOption"] = _options(question.choices)
    if question.kind == "activities":
        out["item"] = [
            {"linkId": f"{question.key}.activity", "text": "Activity", "type": "string",
             "required": True},
            {"linkId": f"{question.key}.score", "text": "Score", "type": "integer",
             "required": True, **_measure(question.instrument, "integer")}
            if question.instrument else
            {"linkId": f"{question.key}.score", "text": "Score", "type": "integer"}]
    out.update(_enable_when(question))
    return [out]


def _leaves(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every case-file field's path (a list of entries, such as the PSFS, is one field)."""
    for name, info in model.model_fields.items():
        inner = sub_model(info.annotation)
        if inner is not None:
            yield from _leaves(inner, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def _unasked(path: str) -> dict[str, Any]:
    """An item for a case-file field the intake does not ask (heel contact, notes...), so that
    every answer of a response has its item."""
    held = field_at(path)
    assert held is not None
    model, name = held
    annotation = model.model_fields[name].annotation
    choices = tuple(str(c) for c in literal_values(annotation))
    instrument = instrument_of(model, name)
    out: dict[str, Any] = {"linkId": path, "text": path}
    if path == "assessed_on":
        out["type"] = "date"
    elif choices:
        out.update(type="choice", answerOption=_options(choices))
        if any(typing.get_origin(a) is list for a in (annotation, *typing.get_args(annotation))):
            out["repeats"] = True
    elif instrument is not None:
        kind = catalog().instrument(instrument).kind
        out.update(type="integer" if kind == "integer" else "decimal",
                   text=catalog().instrument(instrument).label,
                   **_measure(instrument, "integer" if kind == "integer" else "number"))
    else:
        out["type"] = "text" if path == "notes" else "string"
    return out


def questionnaire(questions: Iterable[QuestionLike]) -> dict[str, Any]:
    """The intake's questions as a Questionnaire (version: the knowledge base's), then the case
    fields it does not ask."""
    # The pick of the sections a follow-up measures again is a step of the intake, not a case
    # field: a response holds the sections' own answers, or leaves them out (not re-assessed).
    items = [item for question in questions if question.kind in TYPES or question.group
             for item in _item(question)]
    asked = {item["linkId"] for item in items}
    items += [_unasked(path) for path in _leaves(Case) if path not in asked
              and path != "format" and not path.startswith("red_flags.")
              and not any(path.startswith(f"{link}.") for link in asked)]
    return parsed({
        "resourceType": "Questionnaire", "id": QUESTIONNAIRE.split("/")[1],
        "meta": {"profile": [SDC]}, "url": questionnaire_url(),
        "version": catalog().version, "name": "TripodIntake",
        "title": "Tripod intake: foot-to-pelvis chain screening", "status": "active",
        "subjectType": ["Patient"], "item": items,
    })


def questionnaire_json(questions: Iterable[QuestionLike]) -> str:
    return json.dumps(questionnaire(questions), indent=2, ensure_ascii=False) + "\n"
