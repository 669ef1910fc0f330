"""A follow-up's PSFS on the clinic tablet (``tripod serve``, a real browser against a real
server): a refused score comes back as it was typed beside its problem, escaped, whether saved
as it changes or with the section's button; a new activity that copies one of the last visit is
refused as the terminal refuses it (``FollowUp.new_problems``, the same message); nothing saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from knowledge.catalog import messages
from tests.conftest import EXAMPLES
from tests.load import case_values
from tests.web import Clinic, draft_rows
from tests.web_browser import open_section, settle, shoot
from tests.web_forms import up_to

pytestmark = pytest.mark.slow

FIRST = EXAMPLES / "first_visit_with_outcomes.yaml"
PSFS = "outcomes.psfs"


def at_the_psfs(clinic: Clinic, client: str) -> tuple[int, list[str]]:
    """A first visit of ``client`` stored, its follow-up answered up to the PSFS: the draft and
    the activities of the last visit."""
    visit = json.loads(json.dumps(yaml.safe_load(FIRST.read_text()), default=str))
    visit["client"]["id"] = client
    values = {**case_values(FIRST), "client.id": client, "remeasure": ["hips"]}
    with clinic.client("alice") as api:
        assert api.post("/api/v1/assessments", json=visit).status_code == 201
        draft = up_to(api, values, PSFS, follow_up=client)
    return draft, [a["activity"] for a in visit["outcomes"]["psfs"]]


def psfs_field(page: Any) -> Any:
    return page.locator("fieldset:has(ol.psfs)")


def test_a_refused_psfs_score_keeps_what_was_typed(clinic: Clinic, tablet: Any) -> None:
    draft, activities = at_the_psfs(clinic, "TR-WEB-PSFS-KEEP")
    page = open_section(clinic, tablet, draft, "outcomes")
    scores = psfs_field(page).locator("ol.psfs input[type=number]")
    assert scores.count() == len(activities)
    scores.nth(0).fill("12")
    scores.nth(1).fill("3")
    new = psfs_field(page).locator("input[type=text]")
    new.fill("<b>Stairs</b> = 11")
    new.dispatch_event("change")
    psfs_field(page).locator(".problem").first.wait_for()
    settle(page)
    field = psfs_field(page)
    assert field.locator("ol.psfs input[type=number]").nth(0).input_value() == "12"
    assert field.locator("ol.psfs input[type=number]").nth(1).input_value() == "3"
    assert field.locator("ol.psfs input[type=number]").nth(2).input_value() == ""
    assert field.locator("input[type=text]").input_value() == "<b>Stairs</b> = 11"
    assert field.locator("b").count() == 0  # what was typed is text, never markup
    problems = field.locator(".problem").all_inner_texts()
    assert f"{PSFS} activity 1.score = 12: allowed 0 to 10 points" in problems
    assert f"{PSFS} new activity 1.score = 11: allowed 0 to 10 points" in problems
    shoot(page, "intake-psfs-refused")
    assert PSFS not in draft_rows(clinic.db, draft)
    # The section's form sent whole (as without script; Save and leave, which the browser does
    # not hold back for a number out of its range) keeps them too.
    with page.expect_navigation():
        page.get_by_role("button", name="Save and leave").tap()
    assert page.url.endswith(f"/intakes/{draft}/s/outcomes")
    field = psfs_field(page)
    assert f"{PSFS} activity 1.score = 12: allowed 0 to 10 points" in \
        field.locator(".problem").all_inner_texts()
    assert field.locator("ol.psfs input[type=number]").nth(0).input_value() == "12"
    assert field.locator("input[type=text]").input_value() == "<b>Stairs</b> = 11"
    assert PSFS not in draft_rows(clinic.db, draft)


def test_a_new_psfs_activity_copying_an_old_one_is_refused(clinic: Clinic, tablet: Any) -> None:
    draft, activities = at_the_psfs(clinic, "TR-WEB-PSFS-COPY")
    page = open_section(clinic, tablet, draft, "outcomes")
    scores = psfs_field(page).locator("ol.psfs input[type=number]")
    scores.nth(1).fill("6")  # the first activity not rated again, then typed as new
    new = psfs_field(page).locator("input[type=text]")
    new.fill(f"  {activities[0].upper()} = 5")
    new.dispatch_event("change")
    problem = psfs_field(page).locator(".problem")
    problem.first.wait_for()
    expected = f"{PSFS} = (new activity 1): " + messages().say("follow_up.psfs_not_new", number=1)
    assert problem.all_inner_texts() == [expected]
    assert PSFS not in draft_rows(clinic.db, draft)
    assert psfs_field(page).locator("input[type=text]").input_value() == \
        f"{activities[0].upper()} = 5"
    # A genuinely new activity beside the one rated again is saved as given.
    psfs_field(page).locator("input[type=text]").fill("Stairs two at a time = 5")
    psfs_field(page).locator("input[type=text]").dispatch_event("change")
    psfs_field(page).locator(".saved").wait_for()
    assert draft_rows(clinic.db, draft)[PSFS] == [
        {"activity": activities[1], "score": 6},
        {"activity": "Stairs two at a time", "score": 5}]
