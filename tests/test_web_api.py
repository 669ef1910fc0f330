"""The JSON API of `tripod serve` for clinic scripts, against a real server process: the session,
401 without one, 403 for a role that may not, 422 with one-line problems, assessments stored and
read back as the command line does, and what the server writes to its log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, StoreAt
from tests.web import Clinic, run_tripod, serving

pytestmark = pytest.mark.slow

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
ROUTES = [("GET", "/api/v1/clients"), ("GET", "/api/v1/clients/TR-0007/history"),
          ("POST", "/api/v1/assessments"), ("GET", "/api/v1/audit"),
          ("DELETE", "/api/v1/session")]


def classic_json() -> dict[str, Any]:
    return json.loads(json.dumps(yaml.safe_load(CLASSIC.read_text()), default=str))


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_but_the_login_needs_a_session(clinic: Clinic, method: str, path: str) -> None:
    with clinic.client() as client:
        answer = client.request(method, path, json={} if method == "POST" else None)
    assert answer.status_code == 401
    assert answer.json() == {"problems": [
        (f"{method} {path.replace('TR-0007', '{client_id}')}: no session; allowed after "
        "POST /api/v1/session")]}


def test_a_case_is_assessed_stored_and_read_back_as_the_command_line_does(clinic: Clinic) -> None:
    with clinic.client("alice") as client:
        answer = client.post("/api/v1/assessments", json=classic_json())
        assert answer.status_code == 201, answer.text
        document = answer.json()
        assert document["format"] == "tripod-assessment/1"
        stored_id = int(answer.headers["location"].rsplit("/", 1)[1])
        again = client.post("/api/v1/assessments", json=classic_json())
        assert again.status_code == 200 and again.json() == document  # nothing new stored
        clients = client.get("/api/v1/clients").json()
        history = client.get("/api/v1/clients/TR-0007/history")
    by_cli = run_tripod("assess", str(CLASSIC), "--format", "json", db=clinic.db)
    assert by_cli.returncode == 0, by_cli.stderr
    assert document == json.loads(by_cli.stdout)
    assert {"format": "tripod-clients/1", "clients": [
        {"id": "TR-0007", "name": "Sam Carter", "screenings": 1,
         "last_assessed_on": "2026-11-20"}]} == clients
    assert history.status_code == 200
    assert history.json()["format"] == "tripod-history/1"
    assert [visit["assessment_id"] for visit in history.json()["visits"]] == [stored_id]
    shown = run_tripod("--user", "alice", "show", str(stored_id), db=clinic.db)
    assert shown.returncode == 0, shown.stderr
    assert "signed by alice" in shown.stdout


def test_a_bad_case_is_422_with_one_line_per_problem_and_nothing_stored(clinic: Clinic) -> None:
    bad = classic_json()
    bad["hips"]["left"]["ir_deg"] = 400
    bad["client"]["id"] = "TR-BAD"
    with clinic.client("alice") as client:
        answer = client.post("/api/v1/assessments", json=bad)
        assert answer.status_code == 422
        assert answer.json() == {"problems": [
            "POST /api/v1/assessments: hips.left.ir_deg = 400: allowed -20 to 100 deg"]}
        not_json = client.post("/api/v1/assessments", content=b"client: {id: x}",
                               headers={"content-type": "application/yaml"})
        assert not_json.status_code == 422
        assert not_json.json() == {"problems": [
            ("POST /api/v1/assessments: Content-Type = 'application/yaml': allowed "
            "application/json")]}
        broken = client.post("/api/v1/assessments", content=b"{",
                             headers={"content-type": "application/json"})
        assert broken.status_code == 422
        assert broken.json()["problems"][0].startswith(
            "POST /api/v1/assessments: (file) = (not JSON): allowed valid JSON")
        ids = [c["id"] for c in client.get("/api/v1/clients").json()["clients"]]
    assert "TR-BAD" not in ids


def test_the_audit_trail_is_an_admins_a_practitioner_gets_403(clinic: Clinic) -> None:
    with clinic.client("alice") as client:
        refused = client.get("/api/v1/audit")
    assert refused.status_code == 403
    assert refused.json() == {"problems": ["GET /api/v1/audit: allowed only to an admin"]}
    with clinic.client("boss") as client:
        document = client.get("/api/v1/audit").json()
    by_cli = run_tripod("--user", "boss", "--password-stdin", "audit", "--format", "json",
                        db=clinic.db, stdin="boss-pass-1\n")
    # The same tripod-audit/1 document as the command's (less the entries made since).
    assert document["format"] == json.loads(by_cli.stdout)["format"] == "tripod-audit/1"
    assert document["entries"] == json.loads(by_cli.stdout)["entries"][:len(document["entries"])]
    trail = document["entries"]
    assert {"actor": "alice", "action": "login"} in [
        {"actor": e["actor"], "action": e["action"]} for e in trail]


def test_a_wrong_password_is_401_and_named_in_the_trail_only_as_an_account(clinic: Clinic) -> None:
    with clinic.client() as client:
        wrong = client.post("/api/v1/session", json={"username": "bob", "password": "nope-nope"})
        nobody = client.post("/api/v1/session",
                             json={"username": "Sam Carter", "password": "whatever1"})
        extra = client.post("/api/v1/session", json={"username": "bob", "password": "x" * 9,
                                                     "role": "admin"})
        long = client.post("/api/v1/session", json={"username": "bob",
                                                    "password": "secret-" * 200})
    assert wrong.status_code == nobody.status_code == 401
    assert "set-cookie" not in wrong.headers
    assert extra.status_code == 422
    assert extra.json()["problems"] == [("POST /api/v1/session: role = 'admin': unknown field; "
                                        "allowed: username, password")]
    assert long.status_code == 422
    assert long.json()["problems"] == [("POST /api/v1/session: password = (hidden): allowed at "
                                       "most 1024 characters")]
    trail = run_tripod("--user", "boss", "--password-stdin", "audit", db=clinic.db,
                       stdin="boss-pass-1\n")
    assert "login_refused" in trail.stdout
    assert "Sam Carter" not in trail.stdout


def test_a_session_cookie_is_httponly_samesite_strict_and_pages_carry_a_strict_csp(
        clinic: Clinic) -> None:
    with clinic.client() as client:
        answer = client.post("/api/v1/session",
                             json={"username": "alice", "password": "alice-pass-1"})
        page = client.get("/login")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain HTTP on loopback
    csp = page.headers["content-security-policy"]
    scripts = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert scripts.strip() == "script-src 'self'"
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"


def test_the_server_log_names_routes_never_ids_names_or_values(clinic: Clinic) -> None:
    with clinic.client("alice") as client:
        client.post("/api/v1/assessments", json=classic_json())
        client.get("/api/v1/clients/TR-0007/history")
        client.get("/api/v1/clients/Sam-Carter/history")
    log = clinic.log_text()
    assert "GET /api/v1/clients/{client_id}/history 200" in log
    for secret in ("TR-0007", "Sam", "Carter", "alice-pass-1"):
        assert secret not in log


def test_a_disabled_accounts_sessions_end_at_once(tmp_path: Path) -> None:
    with serving(tmp_path) as clinic, clinic.client("bob") as client:
        assert client.get("/api/v1/clients").status_code == 200
        done = run_tripod("--user", "boss", "--password-stdin", "users", "disable", "bob",
                          db=clinic.db, stdin="boss-pass-1\n")
        assert done.returncode == 0, done.stderr
        assert client.get("/api/v1/clients").status_code == 401
        again = client.post("/api/v1/session", json={"username": "bob",
                                                     "password": "bob-pass-1"})
        assert again.status_code == 401


def test_logins_wait_after_five_failures_for_one_name(tmp_path: Path) -> None:
    with serving(tmp_path) as clinic, clinic.client() as client:
        for _ in range(5):
            assert client.post("/api/v1/session", json={"username": "alice",
                                                         "password": "wrong-one"}
                               ).status_code == 401
        right = client.post("/api/v1/session", json={"username": "alice",
                                                     "password": "alice-pass-1"})
        other = client.post("/api/v1/session", json={"username": "bob",
                                                      "password": "bob-pass-1"})
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    assert other.status_code == 200


def test_serve_refuses_an_open_address_without_tls_and_a_store_without_accounts(
        tmp_path: Path) -> None:
    open_address = run_tripod("serve", "--host", "0.0.0.0", db=str(tmp_path / "a.db"))
    assert open_address.returncode == 2
    assert open_address.stderr.strip() == (
        "serve: --host = '0.0.0.0': allowed 127.0.0.1, ::1 or localhost without TLS; another "
        "address needs --tls-cert and --tls-key, or --behind-proxy")
    missing = run_tripod("serve", "--port", "1", db=str(tmp_path / "b.db"))
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"database {tmp_path / 'b.db'}: no record store there")
    assert not (tmp_path / "b.db").exists()  # refused, not made
    made = run_tripod("assess", "--store", str(CLASSIC), db=str(tmp_path / "c.db"))
    assert made.returncode == 0, made.stderr  # a store, still without accounts
    empty = run_tripod("serve", "--port", "1", db=str(tmp_path / "c.db"))
    assert empty.returncode == 2, empty.stderr
    assert "has no accounts; allowed a store with accounts" in empty.stderr
    assert "Traceback" not in open_address.stderr + missing.stderr + empty.stderr


def test_a_clinic_on_postgresql_shares_records_between_practitioners(
        tmp_path: Path, store_at: StoreAt) -> None:
    with serving(tmp_path, db=store_at.location) as clinic:
        with clinic.client("alice") as alice:
            assert alice.post("/api/v1/assessments", json=classic_json()).status_code == 201
        with clinic.client("bob") as bob:
            clients = bob.get("/api/v1/clients").json()["clients"]
            history = bob.get("/api/v1/clients/TR-0007/history").json()
    assert [c["id"] for c in clients] == ["TR-0007"]
    assert len(history["visits"]) == 1
    with store_at.raw() as raw:
        signed = raw.execute("SELECT signed_by FROM assessments").fetchall()
    assert [tuple(row) for row in signed] == [("alice",)]


def test_serve_says_where_it_serves_and_that_it_stopped_in_its_own_words(tmp_path: Path) -> None:
    with serving(tmp_path) as clinic:
        port = clinic.url.rsplit(":", 1)[1]
        taken = run_tripod("serve", "--port", port, db=clinic.db)
    assert taken.returncode == 2
    assert taken.stderr == (f"serve: --port = {port}: cannot listen on 127.0.0.1 (Address "
                            "already in use); allowed a free port\n")
    lines = clinic.log_text().splitlines()
    assert lines[0] == (f"Tripod serves database {clinic.db} at {clinic.url} (Ctrl-C stops it)")
    assert lines[-1] == "Tripod stopped serving."
    assert not any("uvicorn" in line.lower() for line in lines)
