"""The model of ``knowledge/data/fhir_codes.yaml``: the standard codes and systems Tripod's FHIR
export uses (each standard code with the source it was read in), and where Tripod's own CodeSystems
live. Read through ``knowledge.catalog.fhir_codes()``, outside the knowledge version: a code system
changes how a screening is exchanged, never what was concluded."""

# Annotations are evaluated as the module runs, not kept as text for pydantic to evaluate again when
# it makes each model (ARCHITECTURE.md, "Invariants"; tests/test_startup.py).
from typing import Self

from pydantic import model_validator

from knowledge.clinical import _Strict


class StandardCode(_Strict):
    system: str  # a key of ``FhirCodes.systems``
    code: str
    display: str
    source: str


class FhirCodes(_Strict):
    base: str
    systems: dict[str, str]
    units: dict[str, str]
    standard: dict[str, StandardCode]
    laterality: dict[str, StandardCode]
    method: dict[str, StandardCode | None]
    priority: dict[str, str]
    severity: dict[str, str]

    @model_validator(mode="after")
    def _systems_known(self) -> Self:
        codes = [*self.standard.values(), *self.laterality.values(),
                 *(c for c in self.method.values() if c is not None)]
        unknown = sorted({c.system for c in codes} - set(self.systems))
        if unknown:
            raise ValueError(f"systems not declared: {', '.join(unknown)}")
        return self

    def system(self, name: str) -> str:
        """A CodeSystem's canonical URL: a standard one by its key, else Tripod's own ``name``."""
        return self.systems.get(name) or f"{self.base}/CodeSystem/{name}"
