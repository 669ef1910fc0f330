"""Tripod's own checks of an exported Bundle, the ones no library does: fhir.resources accepts any
text as a status, and neither it nor the JSON Schema follows a reference or knows the case.

- every required code binding holds (``REQUIRED``: each element whose R4 binding is required, with
  its allowed codes, for the resources Tripod makes);
- every reference resolves to an entry of the Bundle;
- every observation of the case is there (an Observation coded with its path, on its side).

Each problem is one line: ``<resource>/<id>: <field> = <value>: <allowed>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.intake import Case
from tripod_fhir.observations import code_of, observation_paths, outcome_paths, side_of

# Required bindings of R4B (each element's ValueSet), for the resources of a Tripod Bundle.
REQUIRED: dict[tuple[str, str], tuple[str, ...]] = {
    ("Bundle", "type"): ("document", "message", "transaction", "transaction-response", "batch",
                         "batch-response", "history", "searchset", "collection"),
    ("Patient", "gender"): ("male", "female", "other", "unknown"),
    ("Encounter", "status"): ("planned", "arrived", "triaged", "in-progress", "onleave",
                              "finished", "cancelled", "entered-in-error", "unknown"),
    ("QuestionnaireResponse", "status"): ("in-progress", "completed", "amended",
                                          "entered-in-error", "stopped"),
    ("Observation", "status"): ("registered", "preliminary", "final", "amended", "corrected",
                                "cancelled", "entered-in-error", "unknown"),
    ("ClinicalImpression", "status"): ("in-progress", "completed", "entered-in-error"),
    ("DetectedIssue", "status"): ("registered", "preliminary", "final", "amended", "corrected",
                                  "cancelled", "entered-in-error", "unknown"),
    ("DetectedIssue", "severity"): ("high", "moderate", "low"),
    ("ServiceRequest", "status"): ("draft", "active", "on-hold", "revoked", "completed",
                                   "entered-in-error", "unknown"),
    ("ServiceRequest", "intent"): ("proposal", "plan", "directive", "order", "original-order",
                                   "reflex-order", "filler-order", "instance-order", "option"),
    ("ServiceRequest", "priority"): ("routine", "urgent", "asap", "stat"),
    ("CarePlan", "status"): ("draft", "active", "on-hold", "revoked", "completed",
                             "entered-in-error", "unknown"),
    ("CarePlan", "intent"): ("proposal", "plan", "order", "option"),
    ("Device", "status"): ("active", "inactive", "entered-in-error", "unknown"),
}


def _where(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _references(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield path or "reference", node["reference"]
        for key, value in node.items():
            yield from _references(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(value, f"{path}[{index}]")


def binding_problems(bundle: dict[str, Any]) -> list[str]:
    out: list[str] = []
    resources = [bundle, *(e.get("resource", {}) for e in bundle.get("entry", []))]
    for resource in resources:
        kind = resource.get("resourceType")
        for (owner, element), allowed in REQUIRED.items():
            if owner == kind and element in resource and resource[element] not in allowed:
                out.append(f"{_where(resource)}: {element} = {resource[element]!r}: "
                           f"allowed {' | '.join(allowed)}")
    return out


def reference_problems(bundle: dict[str, Any]) -> list[str]:
    urls = {entry.get("fullUrl") for entry in bundle.get("entry", [])}
    return [f"{_where(entry['resource'])}: {path} = {target!r}: allowed a fullUrl of this Bundle"
            for entry in bundle.get("entry", [])
            for path, target in _references(entry.get("resource", {}))
            if target not in urls]


def observation_problems(bundle: dict[str, Any], case: Case) -> list[str]:
    found: set[tuple[str, str | None]] = set()
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") != "Observation":
            continue
        codes = [c.get("code") for c in resource.get("code", {}).get("coding", [])]
        sides = [c.get("code") for c in resource.get("bodySite", {}).get("coding", [])]
        side = next((s for s in sides if s in ("left", "right")), None)
        found.update((code, side) for code in codes)
    return [f"Bundle/{bundle.get('id')}: Observation = {path!r}: allowed nothing left out: "
            "every observation of the case"
            for path in [*observation_paths(case), *outcome_paths(case)]
            if (code_of(path), side_of(path)) not in found]


def problems(bundle: dict[str, Any], case: Case) -> list[str]:
    """Every problem Tripod's own checks find in ``bundle`` of ``case``; [] when it passes."""
    return [*binding_problems(bundle), *reference_problems(bundle),
            *observation_problems(bundle, case)]
