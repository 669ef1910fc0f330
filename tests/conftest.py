"""Shared fixtures: the bundled examples, a writer for case files in a temporary folder."""

from __future__ import annotations

import copy
import os
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


def golden_case(path: Path) -> dict[str, Any]:
    """A golden case file's content. ``extends: <case file>`` starts from that case (itself perhaps
    extending another) and overrides what this file states: mappings merge key by key, anything else,
    a list included, replaces."""
    document = yaml.safe_load(path.read_text())
    base = document.pop("extends", None)
    return _merged(golden_case(path.parent / base), document) if base else document


def _merged(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{key: _merged(base.get(key), value) for key, value in override.items()}}
    return copy.deepcopy(override)


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


# A test that needs a service this machine lacks (a PostgreSQL server, a browser) skips with its reason,
# shown in the summary (-ra). CI sets TRIPOD_NO_SKIP=1 because it installs every such service: there, a
# skip means the service did not come up, and it fails the run.
NO_SKIP = "TRIPOD_NO_SKIP"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get(NO_SKIP) == "1" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped where {NO_SKIP}=1 (CI installs every service): {reason}"
