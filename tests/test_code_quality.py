"""The code passes its own linters: ruff (pyproject's rules) and mypy in strict mode over the
application and the benchmark. Both run as real processes, as a developer would run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_finds_nothing_in_the_application() -> None:
    result = run("mypy")  # the files pyproject.toml names: every layer and the benchmark
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
