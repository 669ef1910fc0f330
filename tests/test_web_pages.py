"""The records' web pages against a real ``tripod serve``: the clients and their search (POSTed,
never in a URL), a client's visits with the progress chart and the verdict, a stored visit with its
reports (HTML in a sandboxed frame under the report's own CSP, PDF as a download), a corrected
visit pointing to its newer version, and what a page shows escaped. Then the same pages in a real
browser at tablet size: no console error, no CSP violation, targets of at least 44 px, nothing
wider than the screen; their screenshots go to ``TRIPOD_SCREENSHOTS`` when it names a folder."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.web import LANDSCAPE, PORTRAIT, Clinic
from tests.web_browser import log_in, overflow, shoot, small_targets, tablet_at, watched
from tests.web_forms import case_json, csrf_of, signed_in, stored_id
from tripod.web.security import REPORT_CSP

FOLLOW_UP = ROOT / "examples" / "follow_up"
CLASSIC = ROOT / "examples" / "classic_compensatory_pronation.yaml"
SCRIPT_NAME = "<script>alert(1)</script>"


def store(client: httpx.Client, document: dict[str, Any]) -> int:
    return stored_id(client.post("/api/v1/assessments", json=document))


@pytest.fixture(scope="module")
def visits(clinic: Clinic) -> dict[str, int]:
    """Stored through the API: TR-0021's two visits (a follow-up that supports the hypothesis), a
    client whose name is markup, and a visit corrected once (its first version superseded)."""
    with clinic.client("alice") as client:
        first = store(client, case_json(FOLLOW_UP / "TR-0021_initial.yaml"))
        follow_up = store(client, case_json(FOLLOW_UP / "TR-0021_follow_up.yaml"))
        markup = store(client, case_json(CLASSIC, id="TR-X01", name=SCRIPT_NAME))
        original = store(client, case_json(CLASSIC, id="TR-C01", name="Casey Amend"))
        corrected_case = case_json(CLASSIC, id="TR-C01", name="Casey Amend")
        corrected_case["programme"]["months_consistent"] = 4
        corrected = store(client, corrected_case)
    assert corrected != original
    return {"first": first, "follow_up": follow_up, "markup": markup, "original": original,
            "corrected": corrected}


# -- over HTTP -------------------------------------------------------------------------------------


def test_the_clients_page_lists_every_client_and_links_each(clinic: Clinic,
                                                           visits: dict[str, int]) -> None:
    with signed_in(clinic.url) as client:
        answer = client.get("/clients")
    assert answer.status_code == 200
    for client_id in ("TR-0021", "TR-X01", "TR-C01"):
        assert f'href="/clients/{client_id}"' in answer.text
    assert "Sam Carter" in answer.text
    assert 'action="/clients"' in answer.text and 'method="post"' in answer.text


def test_a_search_is_posted_and_finds_a_client_by_name_or_id(clinic: Clinic,
                                                             visits: dict[str, int]) -> None:
    with signed_in(clinic.url) as client:
        token = csrf_of(client.get("/clients").text)
        by_name = client.post("/clients", data={"csrf": token, "query": "sam car"})
        by_id = client.post("/clients", data={"csrf": token, "query": "tr-c0"})
        nothing = client.post("/clients", data={"csrf": token, "query": "Nobody Here"})
        swapped = client.post("/clients", data={"query": "sam"},
                              headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert by_name.status_code == 200
    assert 'href="/clients/TR-0021"' in by_name.text
    assert 'href="/clients/TR-C01"' not in by_name.text
    assert by_name.url.path == "/clients" and not by_name.url.query
    assert 'href="/clients/TR-C01"' in by_id.text and 'href="/clients/TR-0021"' not in by_id.text
    assert "No client matches." in nothing.text
    # htmx gets the list alone, to swap in place.
    assert swapped.text.startswith('<div id="client-list"') and "<html" not in swapped.text
    assert 'href="/clients/TR-0021"' in swapped.text


def test_a_clients_page_shows_the_visits_the_progress_chart_and_the_verdict(
        clinic: Clinic, visits: dict[str, int]) -> None:
    with signed_in(clinic.url) as client:
        answer = client.get("/clients/TR-0021")
    html = answer.text
    assert answer.status_code == 200
    assert f'href="/visits/{visits["first"]}"' in html
    assert f'href="/visits/{visits["follow_up"]}"' in html
    for seen in ("2026-09-07", "2026-10-19", "Ascending foot chain", "alice", "Sam Carter"):
        assert seen in html
    assert html.count('<svg class="outcome"') == 3  # pain now, PSFS, LEFS as the reports draw them
    assert "Verdict on the hypothesis: Supported" in html
    assert "Rule HYP-04" in html  # the verdict's reasons
    # The follow-up is asked of the intake pages, with the client's id and the form's token.
    follow_up = re.search(r'<form method="post" action="/intakes/follow-up">(.*?)</form>', html,
                          re.DOTALL)
    assert follow_up and 'name="client" value="TR-0021"' in follow_up.group(1)
    assert 'name="csrf"' in follow_up.group(1)


def test_a_client_with_one_visit_has_no_chart_yet(clinic: Clinic, visits: dict[str, int]) -> None:
    with signed_in(clinic.url) as client:
        html = client.get("/clients/TR-X01").text
    assert "<svg" not in html
    assert "One visit so far" in html


@pytest.mark.parametrize("path", ["/clients/NO-SUCH", "/clients/bad%20id", "/clients/%3Cb%3E",
                                  "/visits/999999", "/visits/abc", "/visits/-1",
                                  "/visits/1/report/doctor.html", "/visits/1/report/client.txt",
                                  "/visits/999999/report/client.pdf", "/visits/1?report=doctor"])
def test_what_is_not_there_is_the_404_page(clinic: Clinic, visits: dict[str, int],
                                           path: str) -> None:
    with signed_in(clinic.url) as client:
        answer = client.get(path)
    assert answer.status_code == 404
    assert "There is no such page." in answer.text


def test_a_visit_shows_its_summary_and_its_report_in_a_sandboxed_frame(
        clinic: Clinic, visits: dict[str, int]) -> None:
    number = visits["follow_up"]
    with signed_in(clinic.url) as client:
        practitioner = client.get(f"/visits/{number}").text
        for_client = client.get(f"/visits/{number}?report=client").text
    assert f'src="/visits/{number}/report/practitioner.html"' in practitioner
    assert re.search(r"<iframe[^>]* sandbox[ >]", practitioner)
    assert f'src="/visits/{number}/report/client.html"' in for_client
    for audience in ("practitioner", "client"):
        assert f'href="/visits/{number}/report/{audience}.pdf" download' in practitioner
    assert "No chain deficit" in practitioner and "Screening complete" in practitioner
    assert 'href="/clients/TR-0021"' in practitioner
    assert "A newer version of this visit exists" not in practitioner


def test_a_report_is_served_under_its_own_csp_and_may_be_framed_only_here(
        clinic: Clinic, visits: dict[str, int]) -> None:
    number = visits["follow_up"]
    with signed_in(clinic.url) as client:
        practitioner = client.get(f"/visits/{number}/report/practitioner.html")
        for_client = client.get(f"/visits/{number}/report/client.html")
    for answer in (practitioner, for_client):
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == REPORT_CSP
        assert answer.headers["x-frame-options"] == "SAMEORIGIN"
        assert "<script" not in answer.text.lower()
    # As `tripod report ID` makes it: a follow-up's progress, how solid it is for the practitioner.
    assert "Verdict on the hypothesis: Supported" in practitioner.text
    assert "How solid is this?" in practitioner.text
    assert "How solid is this?" not in for_client.text


def test_a_report_pdf_is_a_download_named_as_the_command_line_names_it(
        clinic: Clinic, visits: dict[str, int]) -> None:
    with signed_in(clinic.url) as client:
        answer = client.get(f"/visits/{visits['follow_up']}/report/client.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="TR-0021_2026-10-19_client.pdf"')
    assert answer.content.startswith(b"%PDF-")


def test_a_superseded_version_points_to_the_newer_one(clinic: Clinic,
                                                      visits: dict[str, int]) -> None:
    with signed_in(clinic.url) as client:
        old = client.get(f"/visits/{visits['original']}").text
        new = client.get(f"/visits/{visits['corrected']}").text
        listed = client.get("/clients/TR-C01").text
    assert "A newer version of this visit exists" in old
    assert f'href="/visits/{visits["corrected"]}"' in old
    assert "A newer version of this visit exists" not in new
    # A client's visits are each visit's latest version.
    assert f'href="/visits/{visits["corrected"]}"' in listed
    assert f'href="/visits/{visits["original"]}"' not in listed


def test_a_name_that_is_markup_is_shown_as_text_in_every_page_and_report(
        clinic: Clinic, visits: dict[str, int]) -> None:
    number = visits["markup"]
    with signed_in(clinic.url) as client:
        token = csrf_of(client.get("/clients").text)
        pages = [client.get("/clients").text,
                 client.post("/clients", data={"csrf": token, "query": "script"}).text,
                 client.get("/clients/TR-X01").text, client.get(f"/visits/{number}").text,
                 client.get(f"/visits/{number}/report/practitioner.html").text,
                 client.get(f"/visits/{number}/report/client.html").text]
    for html in pages:
        assert SCRIPT_NAME not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- in a real browser at tablet size ----------------------------------------------------------


def test_the_pages_in_a_browser_no_error_no_csp_violation_big_targets(
        browser: Any, clinic: Clinic, visits: dict[str, int]) -> None:
    follow_up = visits["follow_up"]
    screens = [("/clients", "records-clients"), ("/clients/TR-0021", "records-client"),
               (f"/visits/{follow_up}", "records-visit"),
               (f"/visits/{follow_up}?report=client", "records-visit-client")]
    for size, tag in ((LANDSCAPE, "1024x768"), (PORTRAIT, "768x1024")):
        context = browser.new_context(viewport=size, has_touch=True, device_scale_factor=1)
        try:
            page = context.new_page()
            errors = watched(page)
            page.goto(f"{clinic.url}/login")
            shoot(page, "login")
            log_in(page, clinic, "alice")
            for path, name in screens:
                page.goto(f"{clinic.url}{path}")
                page.wait_for_load_state("networkidle")
                if "/visits/" in path:
                    frame = page.frame_locator("iframe.records-frame")
                    frame.locator("h1").first.wait_for()
                assert small_targets(page) == [], (path, tag)
                assert overflow(page) <= 0, (path, tag)
                shoot(page, name)
            assert errors == [], tag
        finally:
            context.close()


def test_a_search_in_the_browser_updates_the_list_in_place_and_the_url_never_holds_it(
        tablet: Any, clinic: Clinic, visits: dict[str, int]) -> None:
    page, errors = tablet_at(clinic, tablet, "/clients")
    page.fill("#query", "Sam Carter")
    with page.expect_response(lambda answer: answer.url.endswith("/clients")
                              and answer.request.method == "POST") as posted:
        page.click("form[action='/clients'] button[type=submit]")
    assert posted.value.status == 200
    page.wait_for_selector("#client-list >> text=1 of 3 clients")
    links = page.locator("#client-list a").all_inner_texts()
    assert links == ["TR-0021"]
    assert page.url == f"{clinic.url}/clients"
    page.click("#client-list a")
    page.wait_for_url(f"{clinic.url}/clients/TR-0021")
    assert page.locator("svg.outcome").count() == 3
    assert errors == []


def test_the_report_frame_runs_no_script_and_shows_the_report(
        tablet: Any, clinic: Clinic, visits: dict[str, int]) -> None:
    page, errors = tablet_at(clinic, tablet, f"/visits/{visits['markup']}")
    frame = page.frame_locator("iframe.records-frame")
    frame.locator("h1").first.wait_for()
    # The markup name is text in the report, no element.
    assert SCRIPT_NAME in frame.locator("body").inner_text()
    assert frame.locator("script").count() == 0
    assert page.locator("iframe.records-frame").get_attribute("sandbox") == ""
    with page.expect_download() as download:
        page.click(f"a[href='/visits/{visits['markup']}/report/practitioner.pdf']")
    assert download.value.suggested_filename.endswith("_practitioner.pdf")
    assert errors == []
