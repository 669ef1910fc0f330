"""A screening as one FHIR R4B Bundle (type collection): the case (``observations.py``) and the
reasoning (``reasoning.py``), every resource parsed by fhir.resources' R4B model of its type.

The Bundle is the same for the same screening: ids are UUID5s of client, date and resource, and the
only dates are the visit's. Nothing here writes a file: ``tripod/service.py`` hands the JSON on.
"""

from __future__ import annotations

import json
from typing import Any

from engine.intake import Case
from engine.trace import Assessment
from tripod_fhir.common import Made, parsed
from tripod_fhir.observations import encounter, observations, patient, questionnaire_response
from tripod_fhir.reasoning import care_plan, clinical_impression, provenance, referral


def bundle(case: Case, assessment: Assessment, *, tripod_version: str,
           with_name: bool = False) -> dict[str, Any]:
    """The Bundle of one screening, as a JSON-ready document."""
    made = Made(case.client.id, case.assessed_on)
    subject = patient(made, case, with_name=with_name)
    visit = encounter(made, case, subject)
    refs = {"subject": subject, "encounter": visit}
    refs["response"] = questionnaire_response(made, case, subject, visit)
    observed = observations(made, case, refs)
    impression = clinical_impression(made, assessment, refs, observed)
    referral(made, assessment, refs)
    care_plan(made, assessment, refs, impression)
    provenance(made, assessment, tripod_version)
    document = {
        "resourceType": "Bundle", "id": made.id_for("Bundle"), "type": "collection",
        "entry": [{"fullUrl": url, "resource": parsed(resource)} for url, resource in made.resources],
    }
    return parsed(document)


def bundle_json(case: Case, assessment: Assessment, *, tripod_version: str,
                with_name: bool = False) -> str:
    document = bundle(case, assessment, tripod_version=tripod_version, with_name=with_name)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
