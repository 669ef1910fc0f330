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


# -- the record store on each database -------------------------------------------------------------
# The store's tests run on a SQLite file and on a PostgreSQL server. TRIPOD_TEST_PG names the server
# (postgresql://USER:PASSWORD@HOST/DB; .ci/run starts one and sets it); each test gets a schema of its
# own there, dropped afterwards. Without it, or with the server down, the PostgreSQL half skips.
TEST_PG = "TRIPOD_TEST_PG"


class StoreAt:
    """Where a test's store lives: ``location`` for open_store/--db, ``raw()`` a connection of
    the database's own driver that bypasses Tripod (as another tool would)."""

    def __init__(self, kind: str, location: str, schema: str | None = None) -> None:
        self.kind = kind
        self.location = location
        self.schema = schema

    def raw(self) -> Any:
        if self.kind == "sqlite":
            import sqlite3

            return sqlite3.connect(self.location, isolation_level=None)
        import psycopg

        return psycopg.connect(_pg_dsn(), autocommit=True, options=f"-csearch_path={self.schema}")


def _pg_dsn() -> str:
    return os.environ[TEST_PG].replace("postgresql+psycopg://", "postgresql://")


def _pg_reason() -> str | None:
    if not os.environ.get(TEST_PG):
        return f"{TEST_PG} is not set: no PostgreSQL server for the store's tests (.ci/run starts one)"
    try:
        import psycopg

        psycopg.connect(_pg_dsn(), connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the reason to skip
        return f"PostgreSQL at {TEST_PG} cannot be reached ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def pg_unavailable() -> str | None:
    """Why the PostgreSQL tests cannot run here (None: they can)."""
    return _pg_reason()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path, pg_unavailable: str | None) -> Any:
    """An empty record store's location on each database: a new SQLite file, or a new schema on
    the PostgreSQL server that TRIPOD_TEST_PG names."""
    if request.param == "sqlite":
        yield StoreAt("sqlite", str(tmp_path / "store" / "tripod.db"))
        return
    if pg_unavailable:
        pytest.skip(pg_unavailable)
    import uuid

    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_pg_dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    url = os.environ[TEST_PG]
    url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    try:
        yield StoreAt("postgresql", url, schema)
    finally:
        with psycopg.connect(_pg_dsn(), autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


# The web front end's tests: a real `tripod serve` and a real browser (tests/web.py).


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A running `tripod serve` over a new SQLite store with the accounts of tests/web.py, for
    the tests of one module."""
    from tests.web import serving

    with serving(tmp_path_factory.mktemp("clinic")) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Any:
    """Debian's chromium driven by Playwright (headless, no network beyond loopback)."""
    from tests.web import CHROMIUM, CHROMIUM_ARGS, browser_unavailable

    reason = browser_unavailable()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def tablet(browser: Any) -> Any:
    """A fresh browser context the size of a tablet in landscape, with touch; its own cookies."""
    from tests.web import LANDSCAPE

    context = browser.new_context(viewport=LANDSCAPE, has_touch=True, is_mobile=False,
                                  device_scale_factor=1)
    try:
        yield context
    finally:
        context.close()
