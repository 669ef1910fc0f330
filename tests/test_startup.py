"""What a start of ``tripod`` loads and builds (issue 15): a command imports what it uses, not
what other commands use, and builds no validator it never runs.

Checked by what Python does, as ``tests/test_layers.py`` checks the layers: the console script's
entry point runs in a fresh interpreter, and what that interpreter holds when it exits is written
out. The figures themselves (seconds against the goals) are ``bench/run.py``'s.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tests.conftest import EXAMPLES, ROOT

# `tripod ARGS` as the installed console script runs it (tripod.cli.app:main), with what the
# interpreter holds at exit written to a file: stdout and stderr stay the command's own.
RUN = """
import atexit, json, os, sys
out = sys.argv[1]

def written():
    loader = sys.modules.get("pydantic.plugin._loader")
    trace = sys.modules.get("engine.trace")
    with open(out, "w") as file:
        json.dump({
            "loaded": sorted(sys.modules),
            "plugins_looked_for": loader is not None and loader._plugins is not None,
            "plugins_setting": os.environ.get("PYDANTIC_DISABLE_PLUGINS"),
            "assessment_built": trace is not None and trace.Assessment.__pydantic_complete__,
        }, file)

atexit.register(written)
sys.argv = ["tripod", *sys.argv[2:]]
from tripod.cli.app import main
main()
"""

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"

# What only other commands use: the record store and its drivers, the web server, PDFs, FHIR
# (and rich's help formatter, which typer loads only when asked to).
NOT_FOR_ASSESS = ("sqlalchemy", "alembic", "psycopg", "argon2", "weasyprint", "fastapi",
                  "starlette", "uvicorn", "fhir", "tripod_fhir", "rich")
NOT_FOR_ASSESS_OF_OURS = ("storage.store", "storage.database", "storage.safe_output",
                          "tripod.web.server", "tripod.intake", "tripod.batch", "reports.pdf",
                          "engine.whatif", "engine.history")


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``tripod args`` in a fresh interpreter; what it held at exit, with its exit status and
    output."""
    out = tmp_path / "loaded.json"
    done = subprocess.run([sys.executable, "-c", RUN, str(out), *args], cwd=ROOT,
                          env=env if env is not None else _without_plugin_setting(),
                          capture_output=True, text=True, timeout=120, check=False)
    found: dict[str, Any] = json.loads(out.read_text())
    found.update(code=done.returncode, stdout=done.stdout, stderr=done.stderr)
    return found


def _without_plugin_setting() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}


def packages(found: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """The modules held that are, or are inside, one of ``names``."""
    return [m for m in found["loaded"] if any(m == n or m.startswith(n + ".") for n in names)]


@pytest.mark.slow
def test_assess_loads_no_store_server_pdf_or_fhir(tmp_path: Path) -> None:
    found = run(tmp_path, "assess", str(CLASSIC))
    assert found["code"] == 0, found["stderr"]
    assert found["stdout"].startswith("TRIPOD SCREENING")
    assert [] == packages(found, NOT_FOR_ASSESS)
    assert [] == packages(found, NOT_FOR_ASSESS_OF_OURS)


@pytest.mark.slow
def test_assess_printing_text_builds_no_assessment_validator(tmp_path: Path) -> None:
    """The assessment's models are made from values already valid (engine.trace.trusted); their
    validators and serializers wait for the first JSON written or record read."""
    found = run(tmp_path, "assess", str(CLASSIC))
    assert found["code"] == 0, found["stderr"]
    assert found["assessment_built"] is False


@pytest.mark.slow
def test_assess_as_json_builds_the_assessment_serializer_when_it_writes(tmp_path: Path) -> None:
    found = run(tmp_path, "assess", str(CLASSIC), "--format", "json")
    assert found["code"] == 0, found["stderr"]
    assert json.loads(found["stdout"])["format"] == "tripod-assessment/1"
    assert found["assessment_built"] is True


@pytest.mark.slow
def test_help_loads_no_models_rules_templates_or_store(tmp_path: Path) -> None:
    found = run(tmp_path, "--help")
    assert found["code"] == 0, found["stderr"]
    assert "assess" in found["stdout"]
    assert [] == packages(found, ("pydantic", "pydantic_core", "yaml", "jinja2", "experta",
                                  "engine", "storage", "knowledge", "reports", "rich",
                                  *NOT_FOR_ASSESS))


@pytest.mark.slow
def test_a_start_does_not_look_for_pydantic_plugins(tmp_path: Path) -> None:
    """Looking for plugins reads every installed package's metadata; Tripod uses none, and one
    would see patient data."""
    found = run(tmp_path, "assess", str(CLASSIC))
    assert found["code"] == 0, found["stderr"]
    assert found["plugins_setting"] == "__all__"
    assert found["plugins_looked_for"] is False


@pytest.mark.slow
def test_a_user_s_own_plugin_setting_is_kept(tmp_path: Path) -> None:
    env = dict(_without_plugin_setting(), PYDANTIC_DISABLE_PLUGINS="some_plugin")
    found = run(tmp_path, "assess", str(CLASSIC), env=env)
    assert found["code"] == 0, found["stderr"]
    assert found["plugins_setting"] == "some_plugin"
    assert found["plugins_looked_for"] is True  # pydantic looks, leaving out the one named


# The modules of pydantic models made at every start that reasons. Their annotations are Python
# objects, evaluated as the module runs: kept as text (`from __future__ import annotations`),
# pydantic would evaluate each one again when it makes the class, a third of making it.
MODEL_MODULES = ("engine.intake", "engine.visit", "engine.trace", "knowledge.clinical",
                 "knowledge.wording", "knowledge.follow_up", "knowledge.fhir_codes")


@pytest.mark.parametrize("module", MODEL_MODULES)
def test_model_annotations_are_objects_not_text(module: str) -> None:
    models = [value for value in vars(importlib.import_module(module)).values()
              if isinstance(value, type) and issubclass(value, BaseModel)
              and value.__module__ == module]
    assert len(models) >= 2
    texts = [f"{model.__name__}.{name}" for model in models
             for name, hint in vars(model).get("__annotations__", {}).items()
             if isinstance(hint, str)]
    assert [] == texts
