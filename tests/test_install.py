"""Tripod installed as a clinic installs it: the built wheel in a clean environment, run outside the
checkout. pip and `uv tool install` honour experta's pin of frozendict 1.2, which the uv override of
the checkout hides (see engine/experta_import.py); these tests are where that pin meets the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.inference import assess
from knowledge.catalog import catalog
from reports.render import render_text
from storage.casefile import load_case
from tests.conftest import EXAMPLES, ROOT

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
pytestmark = pytest.mark.slow


def run(command: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
        check=False, timeout=600,
    )
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `uv build` makes of this checkout."""
    uv = shutil.which("uv")
    assert uv, "uv is not installed"
    out = tmp_path_factory.mktemp("dist")
    run([uv, "build", "--wheel", "--out-dir", out, ROOT], cwd=out, env=dict(os.environ))
    (found,) = out.glob("tripod-*.whl")
    return found


def clean_env(home: Path) -> dict[str, str]:
    """The environment of a shell outside the checkout: no project virtualenv, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))
    )
    env["TRIPOD_DB"] = str(home / "tripod.db")
    return env


@pytest.fixture(scope="module", params=["pip", "uv_tool"])
def installed(request: pytest.FixtureRequest, wheel: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Path]]:
    """(the tripod command, its Python, a folder outside the checkout) after installing the wheel
    with pip into a new virtualenv, or with `uv tool install` into a private tool folder."""
    home = tmp_path_factory.mktemp(f"installed-{request.param}")
    env = clean_env(home)
    uv = shutil.which("uv")
    assert uv, "uv is not installed"
    if request.param == "pip":
        # uv makes the virtualenv, with pip in it: Debian's Python has no venv module without
        # python3-venv, and the README promises a machine with nothing but uv installed by hand.
        venv = home / "venv"
        run([uv, "venv", "--seed", "--quiet", "--python", sys.executable, venv], cwd=home, env=env)
        run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], cwd=home, env=env)
        yield venv / "bin" / "tripod", venv / "bin" / "python", home
    else:
        env |= {"UV_TOOL_DIR": str(home / "tools"), "UV_TOOL_BIN_DIR": str(home / "bin")}
        run([uv, "tool", "install", "--quiet", wheel], cwd=home, env=env)
        yield home / "bin" / "tripod", home / "tools" / "tripod" / "bin" / "python", home


def test_the_installed_environment_has_experta_s_frozendict_pin(
    installed: tuple[Path, Path, Path],
) -> None:
    """What the install tests exercise: frozendict 1.2, the release experta pins."""
    _, python, home = installed
    version = run([python, "-c", "import importlib.metadata as m; print(m.version('frozendict'))"],
                  cwd=home, env=clean_env(home))
    assert version.strip() == "1.2"


def test_installed_tripod_assesses_the_example_outside_the_checkout(
    installed: tuple[Path, Path, Path],
) -> None:
    tripod, _, home = installed
    case = home / CLASSIC.name
    shutil.copy(CLASSIC, case)
    printed = run([tripod, "assess", case.name], cwd=home, env=clean_env(home))
    assert render_text(assess(load_case(CLASSIC))) == printed


def test_installed_tripod_writes_a_practitioner_pdf_with_its_templates_and_fonts(
    installed: tuple[Path, Path, Path],
) -> None:
    tripod, _, home = installed
    shutil.copy(CLASSIC, home / CLASSIC.name)
    run([tripod, "report", CLASSIC.name, "--audience", "practitioner", "--pdf", "p.pdf"],
        cwd=home, env=clean_env(home))
    assert (home / "p.pdf").read_bytes().startswith(b"%PDF-")


def test_installed_tripod_prints_its_version_and_the_knowledge_version(
    installed: tuple[Path, Path, Path],
) -> None:
    tripod, _, home = installed
    printed = run([tripod, "--version"], cwd=home, env=clean_env(home))
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert printed == f"tripod {package}, knowledge {catalog().version}\n"
