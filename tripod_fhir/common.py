"""What every exported resource shares: deterministic ids, references inside a Bundle, codings in
Tripod's CodeSystems and the standard ones of ``fhir_codes.yaml``, and parsing by fhir.resources.

An id is a UUID5 of the client, the date and what the resource is (``Observation/hips.left.ir_deg``),
so the same screening always gives the same Bundle, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from knowledge.catalog import fhir_codes
from knowledge.fhir_codes import StandardCode

Resource = dict[str, Any]


def namespace() -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, fhir_codes().base)


@dataclass
class Made:
    """The resources of one Bundle as they are made, each under its fullUrl."""

    client_id: str
    assessed_on: dt.date
    resources: list[tuple[str, Resource]] = field(default_factory=list)

    def id_for(self, what: str) -> str:
        return str(uuid.uuid5(namespace(), f"{self.client_id}/{self.assessed_on}/{what}"))

    def add(self, what: str, resource: Resource) -> dict[str, str]:
        """Give ``resource`` its id, keep it, and return a reference to it."""
        ident = self.id_for(what)
        resource = {"resourceType": resource["resourceType"], "id": ident,
                    **{k: v for k, v in resource.items() if k != "resourceType"}}
        self.resources.append((f"urn:uuid:{ident}", resource))
        return self.ref(what)

    def ref(self, what: str) -> dict[str, str]:
        return {"reference": f"urn:uuid:{self.id_for(what)}", "display": what}


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """A Coding in the standard system of that key (``loinc``) or in Tripod's CodeSystem ``system``."""
    out = {"system": fhir_codes().system(system), "code": code}
    if display:
        out["display"] = display
    return out


def standard(code: StandardCode) -> dict[str, str]:
    return coding(code.system, code.code, code.display)


def concept(system: str, code: str, display: str | None = None,
            *also: dict[str, str]) -> dict[str, Any]:
    """A CodeableConcept: Tripod's own coding (and any standard one) with the display as text."""
    out: dict[str, Any] = {"coding": [*also, coding(system, code, display)]}
    if display:
        out["text"] = display
    return out


def parsed(resource: Resource) -> Resource:
    """``resource`` read by fhir.resources' R4B model of its type and written back: what does not
    fit the model fails here, not in the system that receives it."""
    model = get_fhir_model_class(resource["resourceType"])
    checked = model.model_validate(resource)
    out: Resource = checked.model_dump(mode="json", exclude_none=True, by_alias=True)
    return out


def number(value: float) -> float | int:
    """A number as the case file has it: 22, not 22.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
