"""Imports run one way: the application (``tripod``) -> ``engine``, ``storage``, ``reports`` ->
``knowledge``, and ``engine`` imports nothing above it (ARCHITECTURE.md, "Invariants").

Checked by what Python does, not by reading source: each layer's modules are imported in a fresh
interpreter, and the modules that interpreter then holds must all come from the layer or below.
Imports made inside a function (the lazy ones) are not seen; those go the same way by review.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Each layer, and the top-level packages its modules may never bring in.
FORBIDDEN = {
    "knowledge.catalog": ("engine", "storage", "reports", "tripod_fhir", "tripod"),
    "knowledge.rules": ("storage", "reports", "tripod_fhir", "tripod"),
    "engine": ("storage", "reports", "tripod_fhir", "tripod"),
    "storage": ("reports", "tripod_fhir", "tripod"),
    "reports": ("storage", "tripod_fhir", "tripod"),
    "tripod_fhir": ("storage", "reports", "tripod"),
}

PROBE = """
import importlib, json, pkgutil, sys
root = importlib.import_module(sys.argv[1])
names = [root.__name__]
if hasattr(root, "__path__"):
    names += [m.name for m in pkgutil.walk_packages(root.__path__, root.__name__ + ".")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def loaded_by(package: str) -> tuple[list[str], list[str]]:
    """Import every module of ``package`` in a new interpreter: (modules imported, sys.modules)."""
    result = subprocess.run([sys.executable, "-c", PROBE, package], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    found = json.loads(result.stdout)
    return found["imported"], found["loaded"]


@pytest.mark.slow
@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(package: str) -> None:
    imported, loaded = loaded_by(package)
    assert len(imported) >= 1
    above = [name for name in loaded if name.split(".")[0] in FORBIDDEN[package]]
    assert [] == above


@pytest.mark.slow
def test_the_command_line_starts_without_the_engine_or_the_store() -> None:
    """``tripod --help`` stays fast: the application's entry module loads no rule engine, no SQL."""
    _, loaded = loaded_by("tripod.cli.app")
    assert [] == [name for name in loaded if name.split(".")[0] in ("experta", "sqlalchemy",
                                                                   "weasyprint", "storage",
                                                                   "fhir", "tripod_fhir")]
