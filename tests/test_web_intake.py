"""The web intake in a real browser (Debian's chromium driven by Playwright) against a real
`tripod serve`, at a tablet's size with touch: a whole intake from the login to the result, a
closed tab resumed, a red-flag typo refused at its confirmation, a bad value asked again with
nothing saved, a follow-up through to its verdict; screenshots of each screen in docs/web/."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.intake import Case
from tests.conftest import EXAMPLES, ROOT
from tests.web import ACCOUNTS, LANDSCAPE, PORTRAIT, Clinic
from tripod.intake.questions import examination, prefill_from, show

pytestmark = pytest.mark.slow

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
SHOTS = ROOT / "docs" / "web"


def case_values(path: Path, client: str) -> dict[str, Any]:
    values = prefill_from(Case.model_validate(yaml.safe_load(path.read_text())))
    return {**values, "client.id": client}


def draft_rows(db: str, draft: int) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT key, value_json FROM draft_answers WHERE draft_id = ?",
                            (draft,)).fetchall()
    return {key: json.loads(value) for key, value in rows}


def log_in(page: Any, clinic: Clinic, user: str) -> None:
    page.goto(f"{clinic.url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", ACCOUNTS[user][1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{clinic.url}/")


def start(page: Any, clinic: Clinic) -> int:
    page.goto(f"{clinic.url}/intakes")
    page.get_by_role("button", name="Start a new intake").tap()
    page.wait_for_url("**/intakes/*/s/*")
    return int(page.url.split("/intakes/")[1].split("/")[0])


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(SHOTS / f"{name}-{size['width']}x{size['height']}.png"),
                    full_page=True)


def settle(page: Any) -> None:
    """Until htmx has no request under way (a change is saved 300 ms after it is made)."""
    page.wait_for_timeout(400)
    page.locator(".htmx-request").first.wait_for(state="detached")


def flags_no(page: Any) -> None:
    """Each red-flag group of the screen answered no, one group at a time, saved."""
    while (pending := page.locator("fieldset.flags:not(:has(.saved))").first).count():
        group = page.locator(f"#{pending.get_attribute('id')}")
        for radio in group.locator("input[value=no]").all():
            group.locator(f"label:has(input[name='{radio.get_attribute('name')}'][value=no])").tap()
        group.get_by_role("button", name="Save this group").tap()
        group.locator(".saved").wait_for()


def fill_section(page: Any, values: dict[str, Any]) -> None:
    """Each field of the screen answered from a case's values: picks tapped, steppers tapped or
    typed, text typed."""
    for fieldset in page.locator("fieldset.field:not(.flags)").all():
        if fieldset.locator("ol.psfs").count():  # a follow-up: each activity rated again
            rate_again(page, fieldset, values)
            continue
        inputs = fieldset.locator("input")
        name = inputs.first.get_attribute("name")
        value = values.get(name)
        kind = inputs.first.get_attribute("type")
        if kind == "radio":
            wanted = "skip" if value is None else str(value)
            fieldset.locator(f"label:has(input[value='{wanted}'])").tap()
            settle(page)
        elif kind == "checkbox":
            for choice in value or []:
                fieldset.locator(f"label:has(input[value='{choice}'])").tap()
        elif kind == "number":
            field = fieldset.locator("input[type=number]")
            field.fill("" if value is None else show(value))
            if value is not None:  # the stepper's + and - leave it where it was
                fieldset.locator("button.step[data-step='1']").tap()
                fieldset.locator("button.step[data-step='-1']").tap()
                settle(page)
        elif kind in ("text", "date") and value is not None:
            fieldset.locator(f"input[name='{name}']").fill(show(value))


def rate_again(page: Any, fieldset: Any, values: dict[str, Any]) -> None:
    """The first activity rated again by tapping its stepper up one, the last not rated again,
    the others typed as their case holds them, and one new activity typed."""
    scores = fieldset.locator("ol.psfs input[type=number]").all()
    for index, score in enumerate(scores):
        if index == 0:
            score.fill("4")
            fieldset.locator("ol.psfs li").first.locator("button.step[data-step='1']").tap()
            settle(page)
        elif index == len(scores) - 1:
            score.fill("")
        else:
            score.fill(str(values["outcomes.psfs"][index]["score"]))
    fieldset.locator("input[type=text]").fill("Stairs two at a time = 5")


def through_the_sections(page: Any, values: dict[str, Any]) -> None:
    """Every section answered and saved until the review."""
    while "/review" not in page.url:
        flags_no(page)
        fill_section(page, values)
        with page.expect_navigation():
            page.get_by_role("button", name="Save and next").tap()
        problems = page.locator(".problem").all_inner_texts()
        assert not problems, (page.url, problems)


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
    assert page.locator("a[href$='/report/practitioner.html']").count() == 1


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
