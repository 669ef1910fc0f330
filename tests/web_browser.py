"""Driving the web intake in a real browser (Playwright pages): logging in through the form,
starting an intake, answering a section as a practitioner taps and types, and screenshots made
only when asked for (``TRIPOD_SCREENSHOTS``). The tests of the intake and of a whole visit share
them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests import load
from tests.web import ACCOUNTS, Clinic
from tripod.intake.questions import show

SCREENSHOTS = "TRIPOD_SCREENSHOTS"


def case_values(path: Path, client: str) -> dict[str, Any]:
    """A case file's values as draft keys, for client id ``client``."""
    return {**load.case_values(path), "client.id": client}


def log_in(page: Any, clinic: Clinic, user: str) -> None:
    page.goto(f"{clinic.url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", ACCOUNTS[user][1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{clinic.url}/")


def tablet_at(clinic: Clinic, tablet: Any, path: str) -> tuple[Any, list[str]]:
    """A new tablet page, logged in as alice, at ``path``; and the errors it reports from the
    start (``watched``)."""
    page = tablet.new_page()
    errors = watched(page)
    log_in(page, clinic, "alice")
    page.goto(f"{clinic.url}{path}")
    return page, errors


def open_section(clinic: Clinic, tablet: Any, draft: int, section: str) -> Any:
    """A new tablet page, logged in as alice, at ``section`` of her intake ``draft``."""
    return tablet_at(clinic, tablet, f"/intakes/{draft}/s/{section}")[0]


def start(page: Any, clinic: Clinic) -> int:
    page.goto(f"{clinic.url}/intakes")
    page.get_by_role("button", name="Start a new intake").tap()
    page.wait_for_url("**/intakes/*/s/*")
    return int(page.url.split("/intakes/")[1].split("/")[0])


def shoot(page: Any, name: str) -> None:
    """A screenshot of the whole page, ``NAME-WIDTHxHEIGHT.png``, into the folder that
    ``TRIPOD_SCREENSHOTS`` names (``docs/web/`` when making the documentation's); none without it,
    so a test run changes no file of the checkout."""
    folder = os.environ.get(SCREENSHOTS)
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(Path(folder) / f"{name}-{size['width']}x{size['height']}.png"),
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
        # A total that can be scored item by item is typed as its total here.
        inputs = fieldset.locator("input:not([name$='.by']):not([name*='.item.'])")
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


def watched(page: Any) -> list[str]:
    """Every console error and page error of ``page`` (a CSP violation is one) as it happens."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text)
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def small_targets(page: Any) -> list[str]:
    """The buttons, links and fields of ``page`` (frames aside) under 44 px in either direction;
    a pick (a radio or a box drawn by its label) measured by the label a finger taps."""
    small = []
    for element in page.query_selector_all("main a, main button, main input:not([type=hidden]), "
                                           "header a, header button"):
        tapped = element.evaluate_handle(
            "e => e.matches('.pick input') ? e.closest('label') : e").as_element()
        box = (tapped or element).bounding_box()
        if box and (box["width"] < 44 or box["height"] < 44):
            small.append(f"{element.evaluate('e => e.outerHTML')[:80]} {box}")
    return small


def overflow(page: Any) -> int:
    """How many px the page is wider than the screen (0: none)."""
    width: int = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return width
