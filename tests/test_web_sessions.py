"""How a session of ``tripod serve``'s pages ends, against a real server process and in a real
browser: after its idle time or its lifetime (the sessions' own clock given), at logout (its old
cookie opens nothing), and when its account is disabled, while a second practitioner logged in
elsewhere never reaches it or its drafts. And what is recorded meanwhile: the audit trail's
logins, views and exports by id, and a server log without a patient's name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.web import ACCOUNTS, LANDSCAPE, Clinic, run_tripod, serving
from tests.web_forms import case_json, csrf_of, signed_in, stored_id
from tripod.web.security import COOKIE

CLASSIC = ROOT / "examples" / "classic_compensatory_pronation.yaml"
NAME = "Robin Quillfeather"


def classic() -> dict[str, Any]:
    return case_json(CLASSIC, id="TR-S01", name=NAME)


@pytest.fixture(scope="module")
def stored(clinic: Clinic) -> int:
    """One visit of a client named ``NAME``, stored through the API; its assessment id."""
    with clinic.client("alice") as client:
        return stored_id(client.post("/api/v1/assessments", json=classic()))


# -- the session's end ----------------------------------------------------------------------------


def test_a_session_ends_after_its_idle_time_and_each_use_restarts_it() -> None:
    """``tripod serve --idle-minutes`` over HTTP would make the suite wait a minute; the sessions'
    own clock is given instead."""
    from tripod.web.sessions import Sessions

    now = [1000.0]
    sessions = Sessions(idle_minutes=2, clock=lambda: now[0])
    kept = sessions.start("alice", "practitioner")
    idle = sessions.start("bob", "practitioner")
    now[0] += 119
    assert sessions.find(kept.token) is kept
    now[0] += 119  # 238 s after the start, 119 s after kept's last use
    assert sessions.find(kept.token) is kept
    assert sessions.find(idle.token) is None
    now[0] += 121
    assert sessions.find(kept.token) is None
    assert sessions.find(kept.token) is None  # gone for good, not found again


def test_a_session_used_all_day_ends_at_its_lifetime() -> None:
    from tripod.web.sessions import Sessions
    from tripod.web.settings import LIFETIME_HOURS

    now = [0.0]
    sessions = Sessions(idle_minutes=15, clock=lambda: now[0])
    busy = sessions.start("alice", "practitioner")
    while now[0] + 600 <= LIFETIME_HOURS * 3600:
        now[0] += 600
        assert sessions.find(busy.token) is busy
    now[0] += 600
    assert sessions.find(busy.token) is None


def test_logout_ends_the_session_and_its_old_cookie_opens_nothing(clinic: Clinic) -> None:
    with signed_in(clinic.url, "bob") as client:
        token = client.cookies[COOKIE]
        csrf = csrf_of(client.get("/clients").text)
        out = client.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert f"{COOKIE}=\"\"" in out.headers["set-cookie"] or "max-age=0" in (
        out.headers["set-cookie"].lower())
    with httpx.Client(base_url=clinic.url, headers={"Cookie": f"{COOKIE}={token}"}) as old:
        page = old.get("/clients")
        api = old.get("/api/v1/clients")
        again = old.post("/logout", data={"csrf": csrf})
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert api.status_code == 401
    assert again.status_code == 303 and again.headers["location"] == "/login"


def test_a_disabled_practitioners_session_ends_and_a_second_one_never_reaches_it(
        browser: Any, tmp_path: Path) -> None:
    from storage.store import open_store

    with serving(tmp_path) as clinic:
        with clinic.client("alice") as api:
            assert api.post("/api/v1/assessments", json=classic()).status_code == 201
        with open_store(clinic.db) as records:
            draft = records.new_draft(owner="alice")
        contexts = [browser.new_context(viewport=LANDSCAPE, has_touch=True) for _ in range(2)]
        try:
            alice, bob = (context.new_page() for context in contexts)
            for page, user in ((alice, "alice"), (bob, "bob")):
                page.goto(f"{clinic.url}/login")
                page.fill("#username", user)
                page.fill("#password", ACCOUNTS[user][1])
                page.click("form[action='/login'] button[type=submit]")
                page.wait_for_url(f"{clinic.url}/")
            alice.goto(f"{clinic.url}/clients/TR-S01")
            assert alice.locator("h1").inner_text().startswith("Client TR-S01")
            alice_token = next(c["value"] for c in contexts[0].cookies() if c["name"] == COOKIE)
            done = run_tripod("--user", "boss", "--password-stdin", "users", "disable", "alice",
                              db=clinic.db, stdin="boss-pass-1\n")
            assert done.returncode == 0, done.stderr
            # Her next request, whatever it is, goes to the login.
            alice.goto(f"{clinic.url}/clients/TR-S01")
            assert alice.url == f"{clinic.url}/login"
            alice.fill("#username", "alice")
            alice.fill("#password", "alice-pass-1")
            alice.click("form[action='/login'] button[type=submit]")
            assert alice.locator("p.problem").count() == 1
            # Bob works on; nothing of hers reaches him.
            seen = []
            for path in ("/", "/clients", "/clients/TR-S01", "/intakes"):
                answer = bob.goto(f"{clinic.url}{path}")
                assert answer is not None
                seen.append((path, answer.status, bob.content()))
            assert [status for path, status, _ in seen if path != "/intakes"] == [200, 200, 200]
            assert all(alice_token not in html for _, _, html in seen)
            assert all(alice_token not in c["value"] for c in contexts[1].cookies())
            intakes = next(html for path, _, html in seen if path == "/intakes")
            assert f"/intakes/{draft}" not in intakes  # her draft is hers (when the page exists)
        finally:
            for context in contexts:
                context.close()
        with httpx.Client(base_url=clinic.url, headers={"Cookie": f"{COOKIE}={alice_token}"}) as old:
            assert old.get("/clients").headers.get("location") == "/login"
            assert old.get("/api/v1/clients").status_code == 401
        with open_store(clinic.db, read_only=True) as records:
            assert [d.id for d in records.drafts(owner="bob")] == []
            assert [d.id for d in records.drafts(owner="alice")] == [draft]


# -- what is recorded ------------------------------------------------------------------------------


def test_the_audit_trail_has_the_logins_views_and_exports_by_id_only(clinic: Clinic,
                                                                     stored: int) -> None:
    with signed_in(clinic.url) as client:
        assert client.get("/clients/TR-S01").status_code == 200
        assert client.get(f"/visits/{stored}").status_code == 200
        assert client.get(f"/visits/{stored}/report/client.html").status_code == 200
        assert client.get(f"/visits/{stored}/report/practitioner.pdf").status_code == 200
    trail = run_tripod("--user", "boss", "--password-stdin", "audit", "--format", "json",
                       db=clinic.db, stdin="boss-pass-1\n")
    assert trail.returncode == 0, trail.stderr
    entries = json.loads(trail.stdout)["entries"]
    alices = [(e["action"], e["client"], e["assessment"]) for e in entries
              if e["actor"] == "alice"]
    assert ("login", None, None) in alices
    assert ("view", "TR-S01", None) in alices  # the client's visits
    assert alices.count(("view", "TR-S01", stored)) >= 2  # the visit and its report
    assert ("export", "TR-S01", stored) in alices  # the PDF
    assert NAME.split()[1] not in trail.stdout


def test_the_server_log_holds_no_name_id_token_or_search(clinic: Clinic, stored: int) -> None:
    with signed_in(clinic.url) as client:
        csrf = csrf_of(client.get("/clients").text)
        token = client.cookies[COOKIE]
        client.post("/clients", data={"csrf": csrf, "query": NAME})
        client.get("/clients/TR-S01")
        client.get(f"/visits/{stored}/report/client.html")
        client.get("/clients/Robin-Quillfeather")
    log = clinic.log_text()
    assert "GET /clients/{client_id} 200" in log and "POST /clients 200" in log
    for secret in ("Robin", "Quillfeather", "TR-S01", csrf, token, "alice-pass-1"):
        assert secret not in log
