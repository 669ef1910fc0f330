"""A total scored item by item on the clinic tablet (``tripod serve``, a real browser against a
real server): the LEFS's twenty items tapped one by one, saved as they are tapped, shown again on a
reload, and their sum the LEFS total of the signed visit; an item outside its scale refused with
its one-line problem, on the page and through the JSON API, nothing saved."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tests.load import case_values
from tests.web import LANDSCAPE, PORTRAIT, Clinic, draft_rows
from tests.web_browser import (
    log_in,
    open_section,
    overflow,
    settle,
    shoot,
    small_targets,
    tablet_at,
)
from tests.web_forms import the_rest, up_to
from tripod.intake.items import helper_of, items_key
from tripod.intake.questions import questions

pytestmark = pytest.mark.slow

OUTCOMES = EXAMPLES / "first_visit_with_outcomes.yaml"
LEFS = "outcomes.lefs_total"
WIDE = {"width": 1200, "height": 900}


def lefs() -> Any:
    return next(q for q in questions() if q.key == LEFS)


def test_the_lefs_scored_item_by_item_on_the_tablet_is_the_signed_total(
        clinic: Clinic, tablet: Any) -> None:
    values = {**case_values(OUTCOMES), "client.id": "TR-WEB-LEFS"}
    with clinic.client("alice") as client:
        draft = up_to(client, values, LEFS)
    page, errors = tablet_at(clinic, tablet, f"/intakes/{draft}/s/outcomes")
    field = page.locator(f"fieldset:has(input[name='{LEFS}'])")
    assert not field.locator(".item-scores").is_visible()  # the total, until items are asked for
    field.locator("label:has(input[value=items])").tap()
    settle(page)
    field = page.locator(f"fieldset:has(input[name='{LEFS}'])")
    assert field.locator(".item-scores").is_visible()
    assert not field.locator(".total-entry").is_visible()
    labels = helper_of(lefs()).labels()
    assert field.locator(".scored li .item-q").all_inner_texts() == list(labels)
    scores = [(index * 3) % 5 for index in range(len(labels))]  # every score of 0 to 4 used
    for index, score in enumerate(scores[:10], start=1):  # tapped as a client would, one by one
        page.locator(f"label:has(input[name='{LEFS}.item.{index}'][value='{score}'])").tap()
        settle(page)
    rows = draft_rows(clinic.db, draft)
    assert rows[items_key(lefs())] == scores[:10] + [None] * 10
    assert LEFS not in rows  # the total waits for every item
    for index, score in enumerate(scores[10:], start=11):  # each tap while the last is saved
        page.locator(f"label:has(input[name='{LEFS}.item.{index}'][value='{score}'])").tap()
        page.wait_for_timeout(360)
    settle(page)
    rows = draft_rows(clinic.db, draft)
    assert rows[LEFS] == sum(scores)
    assert rows[items_key(lefs())] == scores
    page.reload()  # what was scored comes back as it was tapped
    field = page.locator(f"fieldset:has(input[name='{LEFS}'])")
    for index, score in enumerate(scores, start=1):
        assert field.locator(f"input[name='{LEFS}.item.{index}'][value='{score}']").is_checked()
    assert f"Saved so far: a total of {sum(scores)} (20 of 20 items scored)" in field.inner_text()
    for size in (WIDE, PORTRAIT):
        page.set_viewport_size(size)
        assert small_targets(page) == []
        assert overflow(page) == 0
        shoot(page, "intake-items")
    page.set_viewport_size(LANDSCAPE)
    with clinic.client("alice") as client:
        the_rest(client, draft, values)
    page.goto(f"{clinic.url}/intakes/{draft}/review")
    assert page.get_by_role("link", name="Save and leave").get_attribute("href") == "/intakes"
    page.get_by_role("button", name="Sign and store").tap()
    page.wait_for_url("**/visits/*/result")
    with clinic.client("alice") as client:
        history = client.get("/api/v1/clients/TR-WEB-LEFS/history").json()
    assert history["visits"][-1]["outcomes"]["lefs_total"] == sum(scores)
    assert errors == []


def first_item_scored(clinic: Clinic, tablet: Any, client_id: str, score: int) -> tuple[int, Any]:
    """A draft up to the LEFS, open on the tablet, its items asked for and the first scored."""
    values = {**case_values(OUTCOMES), "client.id": client_id}
    with clinic.client("alice") as client:
        draft = up_to(client, values, LEFS)
    page = open_section(clinic, tablet, draft, "outcomes")
    page.locator("label:has(input[value=items])").tap()
    settle(page)
    page.locator(f"label:has(input[name='{LEFS}.item.1'][value='{score}'])").tap()
    settle(page)
    return draft, page


def test_a_total_typed_directly_still_works_after_items(clinic: Clinic, tablet: Any) -> None:
    draft, page = first_item_scored(clinic, tablet, "TR-WEB-LEFS-TOTAL", 4)
    page.locator("label:has(input[value=total])").tap()
    settle(page)
    total = page.locator(f"input[name='{LEFS}']")
    total.fill("52")
    total.dispatch_event("change")
    settle(page)
    assert draft_rows(clinic.db, draft)[LEFS] == 52
    page.reload()  # the total typed since, not the item scored before
    assert page.locator(f"input[name='{LEFS}']").input_value() == "52"
    assert page.locator(f"input[name='{LEFS}.by'][value=total]").is_checked()


def test_an_out_of_range_item_is_refused_with_its_problem_line(clinic: Clinic,
                                                               tablet: Any) -> None:
    draft, page = first_item_scored(clinic, tablet, "TR-WEB-LEFS-BAD", 2)
    before = draft_rows(clinic.db, draft)[items_key(lefs())]
    # A form sent with a score the scale does not have (an old page, a hand-made request).
    label = page.locator(f"label:has(input[name='{LEFS}.item.3'][value='4'])").element_handle()
    assert label is not None
    label.eval_on_selector("input", "e => { e.value = '7'; }")
    label.tap()
    problem = page.locator(f"fieldset:has(input[name='{LEFS}']) .problem")
    problem.wait_for()
    assert problem.inner_text() == (f"{LEFS} item 3 (LEFS item 3) = 7: allowed a whole number "
                                    "0 to 4")
    assert "Saved so far: a total of 2 (1 of 20 items scored)" in page.locator(
        f"fieldset:has(input[name='{LEFS}'])").inner_text()  # the refused score counts for nothing
    assert draft_rows(clinic.db, draft)[items_key(lefs())] == before == [2] + [None] * 19
    shoot(page, "intake-items-refused")
    with clinic.client("alice") as client:
        bad = client.post(f"/api/v1/intakes/{draft}/answers",
                          json={"key": LEFS, "items": [5, "x"] + [None] * 18})
        assert bad.status_code == 422
        where = "POST /api/v1/intakes/{id}/answers"
        assert bad.json()["problems"] == [
            f"{where}: {LEFS} item 1 (LEFS item 1) = 5: allowed a whole number 0 to 4",
            f"{where}: {LEFS} item 2 (LEFS item 2) = 'x': allowed a whole number 0 to 4"]
        short = client.post(f"/api/v1/intakes/{draft}/answers", json={"key": LEFS, "items": [1]})
        assert short.status_code == 422
        assert "allowed one score for each of its 20 items" in short.json()["problems"][0]
        assert draft_rows(clinic.db, draft)[items_key(lefs())] == before
        both = client.post(f"/api/v1/intakes/{draft}/answers",
                           json={"key": LEFS, "answer": "40", "items": [1] * 20})
        assert both.status_code == 422, both.text
        one = "allowed either answer or items, not both and not neither"
        assert both.json()["problems"] == [f"{where}: answer/items = both given: {one}"]
        neither = client.post(f"/api/v1/intakes/{draft}/answers", json={"key": LEFS})
        assert neither.json()["problems"] == [f"{where}: answer/items = neither given: {one}"]
        done = client.post(f"/api/v1/intakes/{draft}/answers",
                           json={"key": LEFS, "items": [4] * 19 + [3]})
        assert done.status_code == 200, done.text
        assert done.json()["saved"] == {LEFS: 79, items_key(lefs()): [4] * 19 + [3]}
        described = client.get(f"/api/v1/intakes/{draft}").json()
    assert LEFS not in [q["key"] for q in described["next"]]
    assert described["answers"][LEFS] == 79


def test_the_fpi6_scored_item_by_item_without_script(clinic: Clinic, browser: Any) -> None:
    """The pick between the total and the items shows one or the other in CSS alone, and the
    section's button saves the items: the page works as well without script."""
    fpi = "feet.left.fpi6_total"
    question = next(q for q in questions() if q.key == fpi)
    values = {**case_values(EXAMPLES / "classic_compensatory_pronation.yaml"),
              "client.id": "TR-WEB-FPI"}
    with clinic.client("alice") as client:
        draft = up_to(client, values, fpi)
    context = browser.new_context(viewport=PORTRAIT, has_touch=True, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, clinic, "alice")
        page.goto(f"{clinic.url}/intakes/{draft}/s/standing")
        field = page.locator(f"fieldset:has(input[name='{fpi}'])")
        assert not field.locator(".item-scores").is_visible()
        field.locator("label:has(input[value=items])").tap()
        assert field.locator(".item-scores").is_visible()
        assert not field.locator(".total-entry").is_visible()
        labels = helper_of(question).labels()
        assert field.locator(".scored li .item-q").all_inner_texts() == list(labels)
        assert field.locator(".scored li").first.locator("label").all_inner_texts() == [
            "-2", "-1", "0", "+1", "+2"]
        scores = [2, 1, -1, 0, -2, 2]
        for index, score in enumerate(scores, start=1):
            field.locator(f"label:has(input[name='{fpi}.item.{index}'][value='{score}'])").tap()
        with page.expect_navigation():
            page.get_by_role("button", name="Save and next").tap()
        assert "/s/standing" not in page.url, page.locator(".problem").all_inner_texts()
        page.goto(f"{clinic.url}/intakes/{draft}/s/standing")
        field = page.locator(f"fieldset:has(input[name='{fpi}'])")
        assert f"Saved so far: a total of {sum(scores)} (6 of 6 items scored)" in \
            field.inner_text()
        assert field.locator(f"input[name='{fpi}.item.5'][value='-2']").is_checked()
        shoot(page, "intake-items-fpi6")
    finally:
        context.close()
    rows = draft_rows(clinic.db, draft)
    assert rows[fpi] == sum(scores)
    assert rows[items_key(question)] == scores
