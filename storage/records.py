"""What the record store hands out and takes in, as typed values.

:class:`AssessmentRecord` is an assessment ready to store: plain data (it pickles, so a batch worker
makes it and the parent stores it without validating the case again). The others are rows read
back: a client, a stored assessment (its case and assessment as this version's models), an intake
in progress and one of its answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from engine.errors import StoreError
from engine.intake import Case
from engine.trace import Assessment
from storage.casefile import case_to_document


@dataclass(frozen=True)
class AssessmentRecord:
    """An assessment with its case, serialised once, as the ``assessments`` table keeps it."""

    client_id: str
    client_name: str | None
    assessed_on: dt.date
    knowledge_version: str
    status: str
    root_cause: str | None
    case_json: str
    assessment_json: str
    trace_json: str

    @classmethod
    def of(cls, case: Case, assessment: Assessment) -> AssessmentRecord:
        return cls(
            client_id=case.client.id,
            client_name=case.client.name,
            assessed_on=case.assessed_on,
            knowledge_version=assessment.knowledge_version,
            status=assessment.status,
            root_cause=assessment.root_cause.id if assessment.root_cause else None,
            case_json=json.dumps(case_to_document(case), ensure_ascii=False),
            assessment_json=assessment.to_json(),
            trace_json=json.dumps([step.model_dump(mode="json") for step in assessment.trace]),
        )


@dataclass(frozen=True)
class ClientSummary:
    id: str
    name: str | None
    assessments: int
    last_assessed_on: dt.date | None


@dataclass(frozen=True)
class StoredAssessment:
    """One stored assessment with the case it was made from."""

    id: int
    client_id: str
    assessed_on: dt.date
    version: int
    supersedes: int | None
    superseded_by: int | None
    created_at: str
    knowledge_version: str
    status: str
    root_cause: str | None
    case_json: str
    assessment_json: str
    created: bool = True
    where: str = ""
    # The account that stored it ("local:NAME" in a store without accounts; None before version 3).
    signed_by: str | None = None

    @property
    def case(self) -> dict[str, Any]:
        """The case document (``tripod-case/1``) as stored."""
        try:
            document: dict[str, Any] = json.loads(self.case_json)
        except ValueError:
            raise self._unreadable() from None
        return document

    def intake(self) -> Case:
        """The case it was made from, validated by this version's intake model."""
        from storage.casefile import parse_case

        return parse_case(f"assessment {self.id}", self.case)

    def assessment(self) -> Assessment:
        """The stored assessment, validated by this version's model; StoreError when it does not
        fit (written by an older Tripod, say)."""
        try:
            return Assessment.model_validate_json(self.assessment_json)
        except ValueError:  # pydantic's ValidationError is one
            # from None: pydantic's message quotes the stored values, patient data.
            raise self._unreadable() from None

    def _unreadable(self) -> StoreError:
        where = f"{self.where}: " if self.where else ""
        return StoreError(f"{where}assessment {self.id} cannot be read by this version of Tripod "
                          "(stored in a shape it no longer knows); the record is kept unchanged")


@dataclass(frozen=True)
class DraftAnswer:
    value: Any
    prefill: bool


@dataclass(frozen=True)
class Draft:
    """An intake in progress."""

    id: int
    created_at: str
    updated_at: str
    source: str | None
    status: str
    client_id: str | None
    answered: int
    assessment_id: int | None
    owner: str | None = None  # the account that started it (schema version 4)



@dataclass(frozen=True)
class User:
    """A practitioner's or an admin's account; the password is kept only as its Argon2id hash."""

    name: str
    role: str
    active: bool
    created_at: str
    password_hash: str = dataclasses.field(repr=False, default="")


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which record, and when: ids only, never a name or a stored value."""

    id: int
    at: str
    actor: str
    action: str
    client_id: str | None
    assessment_id: int | None
    account: str | None
    reason: str | None


@dataclass(frozen=True)
class Erased:
    """What an erasure removed."""

    client_id: str
    assessments: int
    drafts: int
