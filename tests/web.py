"""A clinic's Tripod server for the web tests: ``tripod serve`` run as a real process on a free
loopback port, over a store with three accounts, and a real browser (Debian's chromium driven by
Playwright). Tests get them through the fixtures in ``tests/conftest.py``."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# name: (role, password). The first account of a store is its admin.
ACCOUNTS = {"boss": ("admin", "boss-pass-1"), "alice": ("practitioner", "alice-pass-1"),
            "bob": ("practitioner", "bob-pass-1")}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic"]
# The tablet's screens, landscape and portrait.
LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}


def tripod_command() -> str:
    found = shutil.which("tripod")
    assert found, "the tripod command is not installed in this environment (uv sync)"
    return found


def run_tripod(*args: str, db: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRIPOD_DB": db}
    env.pop("TRIPOD_USER", None)
    return subprocess.run([tripod_command(), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def add_accounts(db: str) -> None:
    """The three accounts of ``ACCOUNTS`` in the store at ``db`` (made if need be)."""
    boss_password = ACCOUNTS["boss"][1]
    for name, (role, password) in ACCOUNTS.items():
        given = f"{password}\n" if name == "boss" else f"{boss_password}\n{password}\n"
        acting = [] if name == "boss" else ["--user", "boss"]
        done = run_tripod(*acting, "--password-stdin", "users", "add", name, "--role", role,
                          db=db, stdin=given)
        assert done.returncode == 0, done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Clinic:
    """A running ``tripod serve``: its base ``url``, store ``db`` and the log it wrote."""

    url: str
    db: str
    process: subprocess.Popen[bytes]
    log: Path

    @contextmanager
    def client(self, user: str | None = None) -> Iterator[httpx.Client]:
        """An HTTP client of the server; with ``user``, logged in through the API."""
        with httpx.Client(base_url=self.url, timeout=30, follow_redirects=False) as made:
            if user is not None:
                answer = made.post("/api/v1/session",
                                   json={"username": user, "password": ACCOUNTS[user][1]})
                assert answer.status_code == 200, answer.text
            yield made

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_clinic(folder: Path, db: str | None = None, args: Sequence[str] = (),
                 accounts: bool = True) -> Clinic:
    """``tripod serve`` on a free port over ``db`` (a new SQLite file in ``folder`` by default),
    with the accounts of ``ACCOUNTS``; returns once it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    db = db or str(folder / "clinic.db")
    if accounts:
        add_accounts(db)
    port = free_port()
    log = folder / "serve.log"
    env = {**os.environ, "TRIPOD_DB": db}
    with log.open("wb") as out:
        process = subprocess.Popen([tripod_command(), "serve", "--port", str(port), *args],
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    clinic = Clinic(f"http://127.0.0.1:{port}", db, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"tripod serve ended ({process.returncode}): {clinic.log_text()}")
        try:
            if httpx.get(f"{clinic.url}/login", timeout=2).status_code == 200:
                return clinic
        except httpx.TransportError:
            time.sleep(0.1)
    clinic.stop()
    raise AssertionError(f"tripod serve did not answer in 30 s: {clinic.log_text()}")


@contextmanager
def serving(folder: Path, **options: Any) -> Iterator[Clinic]:
    clinic = start_clinic(folder, **options)
    try:
        yield clinic
    finally:
        clinic.stop()


def browser_unavailable() -> str | None:
    """Why no browser can be driven here (None: one can)."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed: no browser for the web tests (.ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (uv sync)"
    return None


def draft_rows(db: str, draft: int) -> dict[str, Any]:
    """The answers saved in draft ``draft`` of the SQLite store at ``db``, read past Tripod."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT key, value_json FROM draft_answers WHERE draft_id = ?",
                            (draft,)).fetchall()
    return {key: json.loads(value) for key, value in rows}
