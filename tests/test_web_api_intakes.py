"""The JSON API's intake routes against a real `tripod serve`: an intake answered one question at a
time (each answer in the draft at once), a bad answer refused with its one-line problem and
nothing saved, a red-flag yes only once confirmed, signing (422 while questions remain), a
follow-up of a stored visit, and no other account's draft reachable."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import EXAMPLES
from tests.load import case_values, typed
from tests.web import Clinic, draft_rows, run_tripod

pytestmark = pytest.mark.slow

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"


def answer_all(client: httpx.Client, draft: int, state: dict[str, Any],
               pick: Callable[[dict[str, Any]], str]) -> int:
    """Answer every question asked next until none is left; how many answers were given."""
    given = 0
    while state["next"]:
        question = state["next"][0]
        answer = client.post(f"/api/v1/intakes/{draft}/answers",
                             json={"key": question["key"], "answer": pick(question)})
        assert answer.status_code == 200, (question, answer.text)
        state = answer.json()
        given += 1
    return given


def test_an_intake_answered_through_the_api_is_signed_as_the_case_would_be(clinic: Clinic) -> None:
    values = case_values(CLASSIC)
    with clinic.client("alice") as client:
        made = client.post("/api/v1/intakes", json={})
        assert made.status_code == 201, made.text
        draft = made.json()["id"]
        assert made.json()["next"][0]["key"] == "client.id"
        early = client.post(f"/api/v1/intakes/{draft}/sign")
        assert early.status_code == 422
        assert early.json()["problems"][0].startswith(
            "POST /api/v1/intakes/{id}/sign: questions = 1, 2, 3")
        count = answer_all(client, draft, made.json(), lambda q: typed(q, values))
        assert count > 20
        assert draft_rows(clinic.db, draft)["hips.left.ir_deg"] == values["hips.left.ir_deg"]
        shown = client.get(f"/api/v1/intakes/{draft}").json()
        assert shown["next"] == [] and shown["answers"]["client.id"] == "TR-0007"
        signed = client.post(f"/api/v1/intakes/{draft}/sign")
        assert signed.status_code == 201, signed.text
        document = signed.json()
        again = client.post(f"/api/v1/intakes/{draft}/answers",
                            json={"key": "client.age", "answer": "40"})
        assert again.status_code == 404  # signed: no open intake any more
    by_cli = run_tripod("assess", str(CLASSIC), "--format", "json", db=clinic.db)
    expected = json.loads(by_cli.stdout)
    assert document["format"] == "tripod-assessment/1"
    assert document["status"] == expected["status"]
    assert document["root_cause"] == expected["root_cause"]
    assert document["constraints"] == expected["constraints"]


def test_a_bad_answer_is_422_with_its_problem_and_nothing_saved(clinic: Clinic) -> None:
    with clinic.client("alice") as client:
        draft = client.post("/api/v1/intakes", json={}).json()["id"]
        client.post(f"/api/v1/intakes/{draft}/answers", json={"key": "client.id",
                                                               "answer": "TR-API-1"})
        bad = client.post(f"/api/v1/intakes/{draft}/answers",
                          json={"key": "client.age", "answer": "400"})
        assert bad.status_code == 422
        assert bad.json() == {"problems": [
            "POST /api/v1/intakes/{id}/answers: client.age = 400: allowed 5 to 100 years"]}
        unknown = client.post(f"/api/v1/intakes/{draft}/answers",
                              json={"key": "no.such", "answer": "1"})
        assert unknown.status_code == 422
    rows = draft_rows(clinic.db, draft)
    assert rows.get("client.id") == "TR-API-1" and "client.age" not in rows


def test_a_red_flag_yes_is_saved_only_once_confirmed(clinic: Clinic) -> None:
    values = {**case_values(CLASSIC), "client.id": "TR-FLAG"}
    with clinic.client("bob") as client:
        state = client.post("/api/v1/intakes", json={}).json()
        draft = state["id"]
        flags = None
        while state["next"]:
            question = state["next"][0]
            if question["kind"] == "red_flags":
                flags = question
                break
            answer = client.post(f"/api/v1/intakes/{draft}/answers", json={
                "key": question["key"], "answer": typed(question, values)})
            assert answer.status_code == 200, answer.text
            state = answer.json()
        assert flags is not None
        refused = client.post(f"/api/v1/intakes/{draft}/answers",
                              json={"key": flags["key"], "answer": "1"})
        assert refused.status_code == 422 and refused.json()["to_confirm"] == [1]
        assert not any(k.startswith("red_flags.") for k in draft_rows(clinic.db, draft))
        confirmed = client.post(f"/api/v1/intakes/{draft}/answers",
                                json={"key": flags["key"], "answer": "1", "confirmed": True})
        assert confirmed.status_code == 200, confirmed.text
        assert "yes" in confirmed.json()["saved"].values()
    assert "yes" in draft_rows(clinic.db, draft).values()


def test_another_accounts_intake_is_404_and_no_session_401(clinic: Clinic) -> None:
    with clinic.client("alice") as alice:
        draft = alice.post("/api/v1/intakes", json={}).json()["id"]
    with clinic.client("bob") as bob:
        for answer in (bob.get(f"/api/v1/intakes/{draft}"),
                       bob.post(f"/api/v1/intakes/{draft}/answers",
                                json={"key": "client.id", "answer": "TR-X"}),
                       bob.post(f"/api/v1/intakes/{draft}/sign")):
            assert answer.status_code == 404, answer.text
    with clinic.client() as nobody:
        assert nobody.post("/api/v1/intakes", json={}).status_code == 401
        assert nobody.get(f"/api/v1/intakes/{draft}").status_code == 401
    assert "client.id" not in draft_rows(clinic.db, draft)


def test_a_follow_up_starts_from_the_clients_last_stored_visit(clinic: Clinic) -> None:
    visit = json.loads(json.dumps(yaml.safe_load(CLASSIC.read_text()), default=str))
    visit["client"]["id"] = "TR-FOLLOW"
    with clinic.client("alice") as client:
        stored = client.post("/api/v1/assessments", json=visit)
        assert stored.status_code == 201, stored.text
        missing = client.post("/api/v1/intakes", json={"follow_up": "TR-NOBODY"})
        assert missing.status_code == 422
        made = client.post("/api/v1/intakes", json={"follow_up": "TR-FOLLOW"})
        assert made.status_code == 201, made.text
        draft = made.json()["id"]
        shown = client.get(f"/api/v1/intakes/{draft}").json()
        assert shown["answers"]["visit"] == "follow_up"
        assert shown["answers"]["client.id"] == "TR-FOLLOW"
        twice = client.post("/api/v1/intakes", json={"follow_up": "TR-FOLLOW"})
        assert twice.status_code == 422  # a follow-up of that visit is already under way


def test_a_total_scored_item_by_item_at_the_terminal_is_offered_as_a_total_here(
        clinic: Clinic) -> None:
    values = {**case_values(CLASSIC), "client.id": "TR-API-LEFS", "outcomes.lefs_total": 61}
    with clinic.client("alice") as client:
        state = client.post("/api/v1/intakes", json={}).json()
        draft = state["id"]
        while state["next"][0]["key"] != "outcomes.lefs_total":
            question = state["next"][0]
            answer = client.post(f"/api/v1/intakes/{draft}/answers",
                                 json={"key": question["key"], "answer": typed(question, values)})
            assert answer.status_code == 200, answer.text
            state = answer.json()
        lefs = state["next"][0]
        typed_items = client.post(f"/api/v1/intakes/{draft}/answers",
                                  json={"key": "outcomes.lefs_total", "answer": "items"})
    # The terminal's `items` is no answer here, and the words do not offer it.
    assert lefs["allowed"] == "0 to 80 points"
    assert typed_items.status_code == 422
    assert typed_items.json()["problems"] == [
        "POST /api/v1/intakes/{id}/answers: outcomes.lefs_total = 'items': allowed a whole number"]


def test_an_intake_begun_at_the_terminal_is_its_accounts_and_resumes_on_the_tablet(
        clinic: Clinic) -> None:
    from rich.console import Console

    from storage.store import open_store
    from tests.web import ACCOUNTS
    from tripod.acting import sign_in_with
    from tripod.intake.session import Session

    sign_in_with("alice", lambda prompt, new: ACCOUNTS["alice"][1])
    try:
        with open_store(clinic.db) as store:
            session = Session(store, Console(file=None, quiet=True))
            session.intake.save({"client.id": "TR-TERMINAL"})
            draft = session.draft_id
    finally:
        sign_in_with(None, None)
    assert draft is not None
    with clinic.client("alice") as alice:
        shown = alice.get(f"/api/v1/intakes/{draft}")
    with clinic.client("bob") as bob:
        hidden = bob.get(f"/api/v1/intakes/{draft}")
    assert shown.status_code == 200 and shown.json()["answers"]["client.id"] == "TR-TERMINAL"
    assert hidden.status_code == 404
