"""Shared fixtures: the bundled examples, a writer for case files in a temporary folder."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CASES = Path(__file__).resolve().parent / "cases"


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


@pytest.fixture
def classic_doc() -> dict[str, Any]:
    """The classic compensatory-pronation example as a parsed document, safe to change."""
    return copy.deepcopy(yaml.safe_load((EXAMPLES / "classic_compensatory_pronation.yaml").read_text()))


@pytest.fixture
def write_case(tmp_path: Path) -> Callable[..., Path]:
    """Write a document (or raw text or bytes) to a case file in tmp_path and return its path."""

    def write(content: Any, name: str = "case.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
        return path

    return write
