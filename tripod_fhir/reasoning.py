"""The assessment as FHIR: why Tripod concluded what it did, in resources a clinic system keeps.

- ClinicalImpression: the root cause as the leading hypothesis with its confidence, each finding with
  ``basis`` naming its rule, claims and sources (and itemReference to the Observations it rests on),
  ``protocol`` the knowledge-base version, the rejected alternatives and what is missing in ``note``;
- DetectedIssue per red flag behind a referral, and a ServiceRequest (intent proposal, priority from
  the urgency) for the referral;
- CarePlan: the corrective constraints in their order;
- Provenance: Tripod and its knowledge base (two Devices) as agents, targeting every resource made.
"""

from __future__ import annotations

from typing import Any

from engine.trace import Assessment, Finding
from knowledge.catalog import catalog, fhir_codes
from tripod_fhir.common import Made, Resource, concept

CONFIDENCE_EXTENSION = "StructureDefinition/confidence"


def _title(identifier: str) -> str:
    try:
        return catalog().texts.title(identifier)
    except KeyError:
        return identifier.replace("_", " ")


def _basis(rule: str, claims: tuple[str, ...], sources: tuple[str, ...],
           based_on: tuple[str, ...] = ()) -> str:
    parts = [f"rule {rule}", f"claims {', '.join(claims) or 'none'}",
             f"sources {', '.join(sources) or 'none'}"]
    if based_on:
        parts.append(f"based on {', '.join(based_on)}")
    return "; ".join(parts)


def _finding(item: Finding, observed: dict[str, dict[str, str]]) -> dict[str, Any]:
    side = f" ({item.side})" if item.side else ""
    entry: dict[str, Any] = {
        "itemCodeableConcept": concept("finding", item.id, _title(item.id) + side),
        "basis": _basis(item.rule, item.claims, item.sources, item.based_on),
    }
    used = [path for path in item.based_on if path in observed]
    if used:  # R4B holds one reference per finding: the first observation it rests on
        entry["itemReference"] = observed[used[0]]
    return entry


def clinical_impression(made: Made, assessment: Assessment, refs: dict[str, dict[str, str]],
                        observed: dict[str, dict[str, str]]) -> dict[str, str]:
    codes = fhir_codes()
    findings: list[dict[str, Any]] = []
    root = assessment.root_cause
    summary = f"status {assessment.status}"
    if root is not None:
        sides = f" ({', '.join(root.sides)})" if root.sides else ""
        summary += f"; hypothesis {root.id}{sides}, confidence {root.confidence}"
        findings.append({
            "extension": [{"url": f"{codes.base}/{CONFIDENCE_EXTENSION}",
                           "valueCode": root.confidence}],
            "itemCodeableConcept": concept("root-cause", root.id, _title(root.id) + sides),
            "basis": "hypothesis, confidence " + root.confidence + "; " + _basis(
                root.rule, root.claims, (), root.supported_by),
        })
    findings.extend(_finding(item, observed) for item in assessment.findings)
    notes = [{"text": f"rejected alternative {alt.id}: "
                      f"{', '.join(alt.rejected_because) or 'no reason recorded'}"}
             for alt in assessment.alternatives]
    if root is not None and root.penalties:
        notes.append({"text": f"confidence lowered by: {', '.join(root.penalties)}"})
    if assessment.missing:
        notes.append({"text": f"not assessed: {', '.join(assessment.missing)}"})
    resource: Resource = {
        "resourceType": "ClinicalImpression", "status": "completed",
        "code": concept("screening", "foot-to-pelvis-chain", "Foot-to-pelvis chain screening"),
        "subject": refs["subject"], "encounter": refs["encounter"],
        "effectiveDateTime": assessment.case.assessed_on.isoformat(),
        "assessor": None,
        "investigation": [{"code": {"text": "Tripod screening examination"},
                           "item": [refs["response"], *observed.values()]}],
        "protocol": [f"{codes.base}/knowledge/{assessment.knowledge_version}"],
        "summary": summary,
        "finding": findings or None,
        "supportingInfo": [refs["response"]],
        "note": notes or None,
    }
    return made.add("ClinicalImpression", {k: v for k, v in resource.items() if v is not None})


def referral(made: Made, assessment: Assessment, refs: dict[str, dict[str, str]]) -> None:
    """A DetectedIssue per red flag behind the referral, and the ServiceRequest that proposes it."""
    codes = fhir_codes()
    book = catalog().red_flags
    date = assessment.case.assessed_on.isoformat()
    for flag in assessment.referral.red_flags:
        spec = book.spec(flag) if flag in book.flags or flag in book.examination else None
        made.add(f"DetectedIssue/{flag}", {
            "resourceType": "DetectedIssue", "status": "final",
            "code": concept("red-flag", flag, getattr(spec, "question", flag)),
            "severity": codes.severity[spec.tier] if spec and spec.tier else "high",
            "patient": refs["subject"], "identifiedDateTime": date,
            "evidence": [{"detail": [refs["response"]]}],
        })
    if not assessment.referral.required:
        return
    urgency = assessment.referral.urgency or "routine"
    made.add("ServiceRequest/referral", {
        "resourceType": "ServiceRequest", "status": "active", "intent": "proposal",
        "priority": codes.priority[urgency],
        "code": concept("referral", urgency, f"Medical assessment ({urgency})"),
        "subject": refs["subject"], "encounter": refs["encounter"], "authoredOn": date,
        "reasonCode": [concept("red-flag", flag, flag) for flag in assessment.referral.red_flags],
        "supportingInfo": [made.ref(f"DetectedIssue/{flag}")
                           for flag in assessment.referral.red_flags],
    })


def care_plan(made: Made, assessment: Assessment, refs: dict[str, dict[str, str]],
              impression: dict[str, str]) -> None:
    if not assessment.constraints:
        return
    ordered = sorted(assessment.constraints, key=lambda c: c.order)
    made.add("CarePlan", {
        "resourceType": "CarePlan", "status": "active", "intent": "plan",
        "title": "Corrective constraints, in order",
        "subject": refs["subject"], "encounter": refs["encounter"],
        "supportingInfo": [impression],
        "activity": [{"detail": {
            "kind": "ServiceRequest", "status": "not-started",
            "code": concept("constraint", c.id, _title(c.id)),
            "description": f"{c.order}. {_title(c.id)}"
                           + (f" ({', '.join(c.sides)})" if c.sides else "")
                           + f"; rule {c.rule}; claims {', '.join(c.claims) or 'none'}",
        }} for c in ordered],
    })


def provenance(made: Made, assessment: Assessment, tripod_version: str) -> None:
    """Tripod and its knowledge base, each a Device, as the agents of every resource made."""
    software = made.add("Device/tripod", {
        "resourceType": "Device", "status": "active",
        "deviceName": [{"name": "Tripod", "type": "manufacturer-name"}],
        "version": [{"value": tripod_version}],
    })
    knowledge = made.add("Device/knowledge", {
        "resourceType": "Device", "status": "active",
        "deviceName": [{"name": "Tripod knowledge base", "type": "manufacturer-name"}],
        "version": [{"value": assessment.knowledge_version}],
    })
    targets = [{"reference": url} for url, _ in made.resources]
    made.add("Provenance", {
        "resourceType": "Provenance", "target": targets,
        # recorded is an instant: the visit's date at midnight UTC, so a Bundle never varies by run
        "recorded": f"{assessment.case.assessed_on.isoformat()}T00:00:00Z",
        "agent": [
            {"type": concept("provenance-participant-type", "assembler"), "who": software},
            {"type": concept("provenance-participant-type", "author"), "who": knowledge},
        ],
    })
