"""The web intake in a real browser (Debian's chromium driven by Playwright) against a real
`tripod serve`, at a tablet's size with touch: a whole intake from the login to the result, a
closed tab resumed, a red-flag typo refused at its confirmation, a bad value asked again with
nothing saved, a follow-up through to its verdict; screenshots of each screen when
``TRIPOD_SCREENSHOTS`` names a folder (tests/web_browser.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES
from tests.web import LANDSCAPE, PORTRAIT, Clinic, draft_rows
from tests.web_browser import (
    case_values,
    fill_section,
    log_in,
    settle,
    shoot,
    start,
    through_the_sections,
)
from tripod.intake.questions import examination

pytestmark = pytest.mark.slow

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"


def test_a_whole_intake_from_the_login_to_the_result(clinic: Clinic, tablet: Any) -> None:
    page = tablet.new_page()
    log_in(page, clinic, "alice")
    draft = start(page, clinic)
    values = case_values(CLASSIC, "TR-WEB-1")
    through_the_sections(page, values)
    review = page.url
    page.goto(review.replace("/review", "/s/client"))  # a section as saved, every answer there
    shoot(page, "intake-section")
    page.goto(review)
    assert page.get_by_role("heading", level=1).inner_text().startswith("REVIEW · TR-WEB-1")
    shoot(page, "intake-review")
    rows = draft_rows(clinic.db, draft)
    assert rows["hips.left.ir_deg"] == values["hips.left.ir_deg"]
    assert rows["client.id"] == "TR-WEB-1"
    page.get_by_role("button", name="Sign and store").tap()
    page.wait_for_url("**/visits/*/result")
    shoot(page, "intake-result")
    text = page.locator("main").inner_text()
    assert "STATUS" in text and "ROOT CAUSE" in text
    assert "stored as assessment" in text and clinic.db not in text
    assert page.locator("a[href$='/report/practitioner.pdf']").count() == 1


def test_a_red_flag_typo_is_refused_at_its_confirmation(clinic: Clinic, tablet: Any) -> None:
    page = tablet.new_page()
    log_in(page, clinic, "bob")
    draft = start(page, clinic)
    values = case_values(CLASSIC, "TR-WEB-FLAG")
    while not page.locator("fieldset.flags").count():
        fill_section(page, values)
        with page.expect_navigation():
            page.get_by_role("button", name="Save and next").tap()
    group = page.locator("fieldset.flags").first
    for radio in group.locator("input[value=no]").all():
        group.locator(f"label:has(input[name='{radio.get_attribute('name')}'][value=no])").tap()
    group.locator("label.yes").first.tap()
    group.get_by_role("button", name="Save this group").tap()
    page.locator(".confirm").wait_for()
    shoot(page, "intake-red-flag-confirm")
    page.set_viewport_size(PORTRAIT)
    shoot(page, "intake-red-flag-confirm")
    assert not any(k.startswith("red_flags.") for k in draft_rows(clinic.db, draft))
    page.get_by_role("button", name="No, correct it").tap()
    page.locator(".confirm").wait_for(state="detached")
    assert not any(k.startswith("red_flags.") for k in draft_rows(clinic.db, draft))
    assert page.locator("fieldset.flags").first.locator("input:checked").count() == 0
    groups = page.locator("fieldset.flags").count()
    # Now meant: confirmed, it refers the client out and ends the questions, as in the terminal.
    group = page.locator("fieldset.flags").first
    for radio in group.locator("input[value=no]").all():
        group.locator(f"label:has(input[name='{radio.get_attribute('name')}'][value=no])").tap()
    group.locator("label.yes").first.tap()
    group.get_by_role("button", name="Save this group").tap()
    page.get_by_role("button", name="Yes, confirmed").tap()
    page.locator(".referral").wait_for()
    assert page.locator("fieldset.flags").count() < groups
    assert "yes" in draft_rows(clinic.db, draft).values()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and next").tap()
    # No examination section is asked any more (nor linked).
    section = page.url.rsplit("/", 1)[1]
    assert section == "review" or section not in examination()
    links = page.locator("nav.steps a").evaluate_all("links => links.map(a => a.href)")
    assert not [link for link in links if link.rsplit("/", 1)[1] in examination()]
    page.goto(f"{clinic.url}/intakes/{draft}/review")
    assert page.locator(".flags-yes").count() == 1


def test_every_form_needs_the_sessions_csrf_token(clinic: Clinic) -> None:
    with clinic.client("alice") as client:
        draft = client.post("/api/v1/intakes", json={}).json()["id"]
        for path in ("/intakes", f"/intakes/{draft}/answer", f"/intakes/{draft}/s/client",
                     f"/intakes/{draft}/sign", "/intakes/follow-up"):
            answer = client.post(path, data={"question": "client.id", "client.id": "TR-CSRF"})
            assert answer.status_code == 403, (path, answer.text)
    assert "client.id" not in draft_rows(clinic.db, draft)


def test_a_bad_value_is_asked_again_and_nothing_saved(clinic: Clinic, tablet: Any) -> None:
    page = tablet.new_page()
    log_in(page, clinic, "alice")
    draft = start(page, clinic)
    age = page.locator("input[name='client.age']")
    age.fill("400")
    age.dispatch_event("change")
    problem = page.locator("fieldset:has(input[name='client.age']) .problem")
    problem.wait_for()
    assert "client.age = 400: allowed" in problem.inner_text()
    assert "client.age" not in draft_rows(clinic.db, draft)
    assert page.locator("input[name='client.age']").input_value() == "400"


def test_a_closed_tab_is_resumed_with_every_answer(clinic: Clinic, browser: Any) -> None:
    first = browser.new_context(viewport=LANDSCAPE, has_touch=True)
    page = first.new_page()
    log_in(page, clinic, "alice")
    draft = start(page, clinic)
    page.locator("input[name='client.id']").fill("TR-WEB-TAB")
    page.locator("input[name='client.id']").dispatch_event("change")
    page.locator("label:has(input[name='client.sex'][value=female])").tap()
    settle(page)
    first.close()  # the tab closed mid-section, without Next
    rows = draft_rows(clinic.db, draft)
    assert rows["client.id"] == "TR-WEB-TAB" and rows["client.sex"] == "female"
    second = browser.new_context(viewport=PORTRAIT, has_touch=True)
    try:
        page = second.new_page()
        log_in(page, clinic, "alice")
        page.goto(f"{clinic.url}/intakes")
        page.locator(f"a[href='/intakes/{draft}']").tap()
        page.wait_for_url("**/intakes/*/s/*")
        assert page.locator("input[name='client.id']").input_value() == "TR-WEB-TAB"
        assert page.locator("input[name='client.sex'][value=female]").is_checked()
    finally:
        second.close()
    with clinic.client("bob") as bob:  # no other account reaches it
        assert bob.get(f"/intakes/{draft}/s/client").status_code == 404


def test_the_intake_at_768x1024_and_a_follow_up_to_its_verdict(clinic: Clinic,
                                                                browser: Any) -> None:
    path = EXAMPLES / "first_visit_with_outcomes.yaml"
    first = case_values(path, "TR-WEB-FU")
    visit = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
    visit["client"]["id"] = "TR-WEB-FU"
    with clinic.client("alice") as client:
        assert client.post("/api/v1/assessments", json=visit).status_code == 201
    context = browser.new_context(viewport=PORTRAIT, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, clinic, "alice")
        page.goto(f"{clinic.url}/intakes")
        page.fill("input[name=client]", "TR-WEB-FU")
        page.get_by_role("button", name="Start the follow-up").tap()
        page.wait_for_url("**/intakes/*/s/*")
        draft = int(page.url.split("/intakes/")[1].split("/")[0])
        values = {**first, "remeasure": ["hips"]}
        values.pop("assessed_on")
        through_the_sections(page, values)
        psfs = draft_rows(clinic.db, draft)["outcomes.psfs"]
        activities = [a["activity"] for a in first["outcomes.psfs"]]
        assert psfs == [{"activity": activities[0], "score": 5},
                        {"activity": activities[1], "score": first["outcomes.psfs"][1]["score"]},
                        {"activity": "Stairs two at a time", "score": 5}]
        review = page.url
        page.goto(review.replace("/review", "/s/outcomes"))
        shoot(page, "intake-follow-up-outcomes")
        page.goto(review.replace("/review", "/s/client"))
        shoot(page, "intake-section")
        page.goto(review)
        shoot(page, "intake-review")
        text = page.locator("main").inner_text()
        assert "not re-assessed" in text
        assert f"not rated again: {activities[2]}" in text
        page.get_by_role("button", name="Sign and store").tap()
        page.wait_for_url("**/visits/*/result")
        shoot(page, "intake-result")
        assert page.locator(".verdict").count() == 1
    finally:
        context.close()


def test_leave_keeps_the_draft_and_resuming_shows_every_answer(clinic: Clinic,
                                                                browser: Any) -> None:
    """Without script, so that Save and leave alone saves what was typed."""
    context = browser.new_context(viewport=PORTRAIT, has_touch=True, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, clinic, "alice")
        draft = start(page, clinic)
        page.fill("input[name='client.id']", "TR-WEB-LEAVE")
        page.fill("input[name='client.age']", "400")
        page.locator("label:has(input[name='client.sex'][value=female])").tap()
        shoot(page, "intake-leave")
        with page.expect_navigation():
            page.get_by_role("button", name="Save and leave").tap()
        # A refused answer keeps the screen, as typed, beside its problem: nothing typed is lost.
        problem = page.locator("fieldset:has(input[name='client.age']) .problem")
        assert problem.inner_text().startswith("client.age = 400: allowed")
        assert page.locator("input[name='client.age']").input_value() == "400"
        assert page.locator("input[name='client.id']").input_value() == "TR-WEB-LEAVE"
        assert page.locator("input[name='client.sex'][value=female]").is_checked()
        assert "client.age" not in draft_rows(clinic.db, draft)
        page.fill("input[name='client.age']", "41")
        with page.expect_navigation():
            page.get_by_role("button", name="Save and leave").tap()
        assert page.url == f"{clinic.url}/intakes"
        rows = draft_rows(clinic.db, draft)
        assert (rows["client.id"], rows["client.age"], rows["client.sex"]) == (
            "TR-WEB-LEAVE", 41, "female")
        # Left empty and not answered yet: still to ask, not recorded as "not assessed".
        assert "client.name" not in rows and "practitioner" not in rows
        page.locator(f"a[href='/intakes/{draft}']").tap()
        page.wait_for_url(f"**/intakes/{draft}/s/client")
        assert page.locator("input[name='client.id']").input_value() == "TR-WEB-LEAVE"
        assert page.locator("input[name='client.age']").input_value() == "41"
        assert page.locator("input[name='client.sex'][value=female]").is_checked()
        assert page.get_by_role("button", name="Save and leave").count() == 1
    finally:
        context.close()
