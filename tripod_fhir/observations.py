"""The case as FHIR: the Patient, the Encounter, the intake's answers as a QuestionnaireResponse,
and one Observation per assessed observation and per outcome measure.

An Observation's code is Tripod's own (the case path without its side, ``hips.ir_deg``) beside a
standard one where ``fhir_codes.yaml`` holds it; its side is the bodySite's laterality, the hip's
position (``hips.method``) its method, a number's unit UCUM. Who and when (client id and name, date,
practitioner, notes), the red flags (DetectedIssue), the visit sections other than the outcomes
and ``hips.method`` itself are no Observation.
"""

from __future__ import annotations

import re
from typing import Any

from engine.intake import Case, instrument_of
from engine.paths import field_at, flattened, instrument_for
from engine.visits import observed
from knowledge.catalog import catalog, fhir_codes
from tripod_fhir.common import Made, Resource, coding, concept, number, standard

GENDER = {"female": "female", "male": "male", "intersex": "other", "undisclosed": "unknown"}
NOT_OBSERVATIONS = ("client.sex", "hips.method")
_SIDE = re.compile(r"\.(left|right)(\.|$)")
QUESTIONNAIRE = "Questionnaire/intake"


def questionnaire_url() -> str:
    return f"{fhir_codes().base}/{QUESTIONNAIRE}"


def _values(case: Case) -> dict[str, Any]:
    """The case's values as the case file holds them (not-assessed fields left out)."""
    document: dict[str, Any] = case.model_dump(mode="json", exclude_none=True)
    return document


def observation_paths(case: Case) -> list[str]:
    """The case's assessed observations by path, in case-file order (what the Bundle must hold)."""
    flat = flattened(_values(case))
    return [p for p in flat if observed(p) and not p.startswith("red_flags.")
            and p not in NOT_OBSERVATIONS]


def outcome_paths(case: Case) -> list[str]:
    return [p for p in flattened(_values(case)) if p.startswith("outcomes.")]


def side_of(path: str) -> str | None:
    found = _SIDE.search(path)
    return found.group(1) if found else None


def code_of(path: str) -> str:
    """Tripod's code of the observation at ``path``: the path without its side."""
    return _SIDE.sub(r"\2", path)


def _instrument(case: Case, path: str) -> str | None:
    held = field_at(path)
    if held is None:
        return None
    method = case.hips.method if case.hips else None
    return instrument_for(path, instrument_of(*held), method)


def patient(made: Made, case: Case, *, with_name: bool) -> dict[str, str]:
    resource: Resource = {
        "resourceType": "Patient",
        "identifier": [{"system": f"{fhir_codes().base}/client-id", "value": case.client.id}],
        "gender": GENDER[case.client.sex],
    }
    if with_name and case.client.name:
        resource["name"] = [{"text": case.client.name}]
    return made.add("Patient", resource)


def encounter(made: Made, case: Case, subject: dict[str, str]) -> dict[str, str]:
    visit = case.visit or "initial"
    return made.add("Encounter", {
        "resourceType": "Encounter", "status": "finished",
        "class": coding("v3-ActCode", "AMB", "ambulatory"),
        "type": [concept("visit", visit, visit.replace("_", " "))],
        "subject": subject, "period": {"start": case.assessed_on.isoformat(),
                                       "end": case.assessed_on.isoformat()},
    })


def answer(value: Any) -> list[dict[str, Any]]:
    """A case value as QuestionnaireResponse answers (a list gives one answer per element)."""
    if isinstance(value, list):
        return [a for item in value for a in answer(item)]
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    if isinstance(value, float):
        return [{"valueDecimal": value}]
    if isinstance(value, dict):  # a PSFS activity: its own items
        return [{"valueString": str(value.get("activity", ""))}]
    return [{"valueString": str(value)}]


def _item(path: str, value: Any) -> dict[str, Any]:
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        # A list of entries (the PSFS): a group per entry with an item per field.
        return {"linkId": path, "item": [
            {"linkId": f"{path}.{key}", "answer": answer(v)}
            for entry in value for key, v in entry.items()]}
    if path == "assessed_on":
        return {"linkId": path, "answer": [{"valueDate": value}]}
    choices = _choices(path)
    if choices and isinstance(value, str | list):
        values = value if isinstance(value, list) else [value]
        return {"linkId": path, "answer": [{"valueCoding": coding("answer", str(v), str(v))}
                                           for v in values]}
    return {"linkId": path, "answer": answer(value)}


def _choices(path: str) -> tuple[Any, ...]:
    from engine.intake import literal_values

    held = field_at(path)
    if held is None:
        return ()
    model, name = held
    return literal_values(model.model_fields[name].annotation)


def questionnaire_response(made: Made, case: Case, subject: dict[str, str],
                           visit: dict[str, str]) -> dict[str, str]:
    """Every value of the case as an item whose linkId is its case path (the Questionnaire's)."""
    flat = flattened(_values(case))
    items = [_item(path, value) for path, value in flat.items() if path != "format"]
    return made.add("QuestionnaireResponse", {
        "resourceType": "QuestionnaireResponse", "questionnaire": questionnaire_url(),
        "status": "completed", "subject": subject, "encounter": visit,
        "authored": case.assessed_on.isoformat(), "item": items,
    })


def _quantity(value: float, unit: str) -> dict[str, Any]:
    out: dict[str, Any] = {"value": number(value), "unit": unit}
    ucum = fhir_codes().units.get(unit)
    if ucum is not None:
        out.update(system=fhir_codes().system("ucum"), code=ucum)
    return out


def _value(value: Any, unit: str | None) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int | float):
        return {"valueQuantity": _quantity(value, unit or "1")}
    return {"valueCodeableConcept": concept("answer", str(value), str(value))}


def observation(made: Made, case: Case, path: str, value: Any, refs: dict[str, dict[str, str]],
                *, outcome: bool = False) -> dict[str, str]:
    """One Observation of the value at ``path``."""
    codes = fhir_codes()
    instrument = _instrument(case, path)
    spec = catalog().instruments.get(instrument) if instrument else None
    label = spec.label if spec else code_of(path).replace("_", " ")
    also = [standard(codes.standard[path])] if path in codes.standard else []
    resource: Resource = {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [coding("observation-category",
                                        "survey" if outcome else "exam")]}],
        "code": concept("observation", code_of(path), label, *also),
        "subject": refs["subject"], "encounter": refs["encounter"],
        "effectiveDateTime": case.assessed_on.isoformat(),
    }
    unit = spec.unit if spec else None
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        resource["component"] = [  # the PSFS: an activity's score each
            {"code": {"text": str(entry["activity"])}, **_value(entry["score"], unit)}
            for entry in value]
    elif isinstance(value, list):
        resource["component"] = [
            {"code": concept("answer", str(v), str(v)), "valueBoolean": True} for v in value]
    else:
        resource.update(_value(value, unit))
    side = side_of(path)
    if side is not None:
        resource["bodySite"] = concept("side", side, side.capitalize(),
                                       standard(codes.laterality[side]))
    if path.startswith("hips.") and case.hips is not None:
        position = codes.method.get(case.hips.method)
        resource["method"] = concept("position", case.hips.method, case.hips.method,
                                     *([standard(position)] if position else []))
    if outcome:
        resource["derivedFrom"] = [refs["response"]]
    return made.add(f"Observation/{path}", resource)


def observations(made: Made, case: Case, refs: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Every assessed observation and outcome measure, by path, as a reference to its Observation."""
    flat = flattened(_values(case))
    out = {path: observation(made, case, path, flat[path], refs) for path in observation_paths(case)}
    out.update({path: observation(made, case, path, flat[path], refs, outcome=True)
                for path in outcome_paths(case)})
    return out
