"""A FHIR QuestionnaireResponse (JSON) filled in by another system, read as a case document.

Its items are answers to Tripod's Questionnaire (``tripod questionnaire --format fhir``), whose
linkIds are case-file paths: ``hips.left.ir_deg`` answered ``valueDecimal: 22`` is that field. A
coded answer is its code, a list field takes every answer, the PSFS's entries are its
``.activity``/``.score`` items in pairs. What cannot be a case field is one problem line naming the
linkId, the value and what is allowed; the case document is then checked by the intake model like
any case file's, so a value out of range names the linkId (its path) as well. Nothing is coerced.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from engine.errors import CaseFileError, Problem, show_value
from engine.intake import FORMAT
from engine.paths import models_on, nested

RESOURCE = "QuestionnaireResponse"
VALUES = ("valueCoding", "valueString", "valueInteger", "valueDecimal", "valueDate",
          "valueBoolean")
_LINK = "allowed a linkId of Tripod's Questionnaire (a case-file path)"


def is_response(document: Any) -> bool:
    return isinstance(document, dict) and document.get("resourceType") == RESOURCE


def _is_list(path: str) -> bool:
    found = models_on(path)
    if found is None:
        return False
    models, name = found
    annotation = models[-1].model_fields[name].annotation

    def listy(a: Any) -> bool:
        return typing.get_origin(a) is list or any(listy(x) for x in typing.get_args(a))

    return listy(annotation)


def _value(where: str, link: str, answer: Any, problems: list[Problem]) -> Any:
    if not isinstance(answer, dict):
        problems.append(Problem(where, link, f"({type(answer).__name__})",
                                f"allowed an answer with one of {', '.join(VALUES)}"))
        return None
    given = [key for key in answer if key.startswith("value")]
    if len(given) != 1 or given[0] not in VALUES:
        shown = ", ".join(given) or "no value"
        problems.append(Problem(where, link, shown,
                                f"allowed an answer with one of {', '.join(VALUES)}"))
        return None
    value = answer[given[0]]
    if given[0] == "valueCoding":
        code = value.get("code") if isinstance(value, dict) else None
        if not isinstance(code, str):
            problems.append(Problem(where, link, show_value(value), "allowed a Coding with a code"))
            return None
        return code
    return value


def _items(node: Any) -> Iterator[dict[str, Any]]:
    for item in node.get("item", []) if isinstance(node, dict) else []:
        if isinstance(item, dict):
            yield item


def _entries(where: str, item: dict[str, Any], problems: list[Problem]) -> list[dict[str, Any]]:
    """A list of entries (the PSFS): each ``<path>.<field>`` item starts or fills an entry."""
    link = item["linkId"]
    entries: list[dict[str, Any]] = []
    for child in _items(item):
        name = str(child.get("linkId", "")).removeprefix(f"{link}.")
        answers = child.get("answer", [])
        if len(answers) != 1:
            problems.append(Problem(where, str(child.get("linkId")), f"{len(answers)} answers",
                                    "allowed exactly one answer"))
            continue
        if not entries or name in entries[-1]:
            entries.append({})
        entries[-1][name] = _value(where, str(child.get("linkId")), answers[0], problems)
    return entries


def _walk(where: str, node: Any, flat: dict[str, Any], problems: list[Problem]) -> None:
    for item in _items(node):
        link = item.get("linkId")
        if not isinstance(link, str) or models_on(link) is None:
            if "item" in item and "answer" not in item:  # a group of Tripod's items
                _walk(where, item, flat, problems)
                continue
            problems.append(Problem(where, "linkId", show_value(link), _LINK))
            continue
        if "item" in item and "answer" not in item:
            flat[link] = _entries(where, item, problems)
            continue
        answers = item.get("answer", [])
        values = [_value(where, link, a, problems) for a in answers]
        if _is_list(link):
            flat[link] = values
        elif len(values) == 1:
            flat[link] = values[0]
        elif values:
            problems.append(Problem(where, link, f"{len(values)} answers",
                                    "allowed one answer"))


def case_document(where: str, response: dict[str, Any]) -> dict[str, Any]:
    """The case document a QuestionnaireResponse holds, or a CaseFileError listing every problem."""
    problems: list[Problem] = []
    flat: dict[str, Any] = {}
    _walk(where, response, flat, problems)
    if problems:
        raise CaseFileError(problems)
    document = nested(flat)
    document["format"] = FORMAT
    return document
