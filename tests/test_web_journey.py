"""A visit on the clinic tablet from start to report, in a real browser against a real `tripod
serve`: logging in with the keyboard alone, an intake answered by touch, signed, its result, the
practitioner report in the page and its PDF downloaded (an export in the audit trail), the client's
page, and its Follow-up button starting the follow-up of that visit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tests.web import ACCOUNTS, Clinic, draft_rows, run_tripod
from tests.web_browser import case_values, shoot, start, through_the_sections, watched

pytestmark = pytest.mark.slow

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"


def test_a_visit_from_the_login_to_its_reports_and_the_follow_up(
        clinic: Clinic, tablet: Any, tmp_path: Path) -> None:
    page = tablet.new_page()
    errors = watched(page)
    page.goto(f"{clinic.url}/login")
    page.keyboard.press("Tab")  # the brand link, then the account name
    while page.evaluate("document.activeElement.id") != "username":
        page.keyboard.press("Tab")
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(ACCOUNTS["alice"][1])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{clinic.url}/")

    draft = start(page, clinic)
    through_the_sections(page, case_values(CLASSIC, "TR-JOURNEY"))
    page.get_by_role("button", name="Sign and store").tap()
    page.wait_for_url("**/visits/*/result")
    visit = int(page.url.split("/visits/")[1].split("/")[0])

    page.locator(f"a[href='/visits/{visit}']").first.tap()
    page.wait_for_url(f"**/visits/{visit}")
    report = page.frame_locator("iframe")
    report.locator("h1").first.wait_for()
    assert "How solid is this?" in report.locator("body").inner_text()
    shoot(page, "journey-report")
    with page.expect_download() as downloading:
        page.locator(f"a[href='/visits/{visit}/report/practitioner.pdf']").tap()
    saved = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    assert saved.name == "TR-JOURNEY_2026-11-20_practitioner.pdf"
    assert saved.read_bytes().startswith(b"%PDF-")

    page.locator("a[href='/clients/TR-JOURNEY']").first.tap()
    page.wait_for_url("**/clients/TR-JOURNEY")
    page.get_by_role("button", name="Follow-up").tap()
    page.wait_for_url("**/intakes/*/s/*")
    follow_up = int(page.url.split("/intakes/")[1].split("/")[0])
    assert follow_up != draft
    carried = draft_rows(clinic.db, follow_up)
    assert (carried["client.id"], carried["visit"]) == ("TR-JOURNEY", "follow_up")
    assert errors == []

    trail = run_tripod("--user", "boss", "--password-stdin", "audit", "--client", "TR-JOURNEY",
                       "--format", "json", db=clinic.db, stdin="boss-pass-1\n")
    assert trail.returncode == 0, trail.stderr
    acts = [(e["actor"], e["action"], e["assessment"])
            for e in json.loads(trail.stdout)["entries"]]
    assert ("alice", "store", visit) in acts
    assert ("alice", "export", visit) in acts
    assert ("alice", "view", visit) in acts
