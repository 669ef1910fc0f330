"""A test skipped for a missing service is shown with its reason, and fails where CI asks for no skips."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SKIPPING = """
import pytest

def test_needs_a_server():
    pytest.skip("no PostgreSQL server on this machine")
"""


def test_a_skip_is_a_skip_with_its_reason_on_a_plain_machine(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIPOD_NO_SKIP", raising=False)
    pytester.makeconftest("from tests.conftest import pytest_runtest_makereport  # noqa: F401")
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest("-ra", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no PostgreSQL server on this machine*"])


def test_a_skip_fails_where_ci_sets_tripod_no_skip(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPOD_NO_SKIP", "1")
    pytester.makeconftest("from tests.conftest import pytest_runtest_makereport  # noqa: F401")
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest("-ra", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*TRIPOD_NO_SKIP=1*no PostgreSQL server on this machine*"])
