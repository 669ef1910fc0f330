"""The security of ``tripod serve``'s pages, against a real server process and in a real browser:
the login at tablet size, a CSRF token on every form (every POST page route refuses a request
without it), a Content-Security-Policy on every page that the browser never has to enforce (no
inline script or style served, no violation reported), and HttpOnly SameSite=Strict cookies that
are Secure, with HSTS, under TLS. How a session ends: ``test_web_sessions.py``."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.web import Clinic, add_accounts, free_port, tripod_command
from tests.web_forms import case_json, csrf_of, signed_in, stored_id
from tripod.web.security import COOKIE, CSP

CLASSIC = ROOT / "examples" / "classic_compensatory_pronation.yaml"
NAME = "Robin Quillfeather"
# Records every CSP violation a document reports (run by the browser before the page's own code).
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


def classic(client_id: str = "TR-S01", name: str = NAME) -> dict[str, Any]:
    return case_json(CLASSIC, id=client_id, name=name)


@pytest.fixture(scope="module")
def stored(clinic: Clinic) -> int:
    """One visit of a client named ``NAME``, stored through the API; its assessment id."""
    with clinic.client("alice") as client:
        return stored_id(client.post("/api/v1/assessments", json=classic()))


def post_page_routes() -> list[str]:
    """Every POST route of the pages (the API's aside: a JSON body is its guard), with each path
    parameter filled in; the login itself is the one a session cannot have yet."""
    from fastapi import FastAPI
    from fastapi.routing import APIRoute

    from tripod.web import login, pages

    app = FastAPI()
    app.include_router(login.router)
    pages.include(app)

    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI includes routers lazily
            if included is not None:
                yield from walk(included.routes)
            elif isinstance(route, APIRoute) and "POST" in route.methods:
                yield route

    return sorted(re.sub(r"\{[^}]+\}", "1", route.path) for route in walk(app.routes)
                  if route.path != "/login")


# -- the login ------------------------------------------------------------------------------------


def targets_under_44px(page: Any, selector: str) -> list[str]:
    small = []
    for element in page.query_selector_all(selector):
        box = element.bounding_box()
        if box is None or box["width"] < 44 or box["height"] < 44:
            small.append(f"{element.evaluate('e => e.outerHTML')[:60]} {box}")
    return small


def test_the_login_at_tablet_size_big_targets_a_wrong_password_one_problem_line(
        tablet: Any, clinic: Clinic) -> None:
    page = tablet.new_page()
    page.goto(f"{clinic.url}/login")
    fields = "main input, main button, header a"
    assert page.locator("main input").count() == 2
    assert targets_under_44px(page, fields) == []
    page.fill("#username", "alice")
    page.fill("#password", "not-her-password")
    page.click("form[action='/login'] button[type=submit]")
    problem = page.locator("p.problem")
    assert problem.count() == 1
    assert problem.inner_text() == ("That account name and password do not match an active "
                                    "account.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    # The name typed is kept, the password is not.
    assert page.input_value("#username") == "alice"
    assert page.input_value("#password") == ""
    assert targets_under_44px(page, fields) == []


def test_the_login_page_says_how_long_to_wait_after_too_many_failures(
        tablet: Any, clinic: Clinic) -> None:
    page = tablet.new_page()
    for _ in range(5):
        page.goto(f"{clinic.url}/login")
        page.fill("#username", "carol")
        page.fill("#password", "guess-guess")
        page.click("form[action='/login'] button[type=submit]")
    page.fill("#password", "guess-again")
    with page.expect_response(lambda answer: answer.request.method == "POST") as posted:
        page.click("form[action='/login'] button[type=submit]")
    assert posted.value.status == 429
    said = page.locator("p.problem").inner_text()
    assert re.fullmatch(r"Too many failed logins: try again in \d+ seconds\.", said), said


# -- CSRF, CSP, cookies ---------------------------------------------------------------------------


def test_the_page_routes_that_post_are_found() -> None:
    routes = post_page_routes()
    assert "/logout" in routes and "/clients" in routes


@pytest.mark.parametrize("route", post_page_routes())
def test_every_post_page_route_refuses_a_missing_or_wrong_csrf_token(
        clinic: Clinic, route: str) -> None:
    with signed_in(clinic.url) as client:
        token = csrf_of(client.get("/clients").text)
        missing = client.post(route, data={"query": "x"})
        wrong_field = client.post(route, data={"csrf": token[:-2] + "xx"})
        wrong_header = client.post(route, headers={"X-CSRF-Token": "x" * len(token)})
        empty = client.post(route, data={"csrf": ""})
        still = client.get("/clients")
    for answer in (missing, wrong_field, wrong_header, empty):
        assert answer.status_code == 403, (route, answer.status_code)
        assert "allowed only to a form of this session (its CSRF token)" in answer.text
    assert still.status_code == 200  # refused, not logged out


class _Inline(HTMLParser):
    """What a page holds that a strict CSP would have to block: an inline script, a style
    element or attribute, an event handler attribute, a javascript: URL."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")


def inline_parts(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    return parser.found


def test_every_page_carries_the_csp_and_holds_nothing_it_would_block(
        clinic: Clinic, stored: int) -> None:
    with signed_in(clinic.url) as client:
        token = csrf_of(client.get("/clients").text)
        pages = {path: client.get(path) for path in (
            "/", "/clients", "/clients/TR-S01", f"/visits/{stored}",
            f"/visits/{stored}?report=client", "/clients/NO-SUCH", "/visits/0")}
        pages["POST /clients"] = client.post("/clients", data={"csrf": token, "query": "TR"})
        pages["POST /clients (htmx)"] = client.post(
            "/clients", data={"query": "TR"}, headers={"HX-Request": "true", "X-CSRF-Token": token})
        pages["POST /clients (no token)"] = client.post("/clients", data={"query": "TR"})
    with httpx.Client(base_url=clinic.url) as anonymous:
        pages["/login"] = anonymous.get("/login")
        pages["POST /login (refused)"] = anonymous.post("/login", data={"username": "alice",
                                                                        "password": "nope-nope"})
    for where, answer in pages.items():
        assert answer.headers["content-security-policy"] == CSP, where
        assert answer.headers["x-frame-options"] == "DENY", where
        assert inline_parts(answer.text) == [], where


def test_a_session_cookie_is_httponly_and_samesite_strict(clinic: Clinic) -> None:
    with httpx.Client(base_url=clinic.url) as client:
        answer = client.post("/login", data={"username": "bob", "password": "bob-pass-1"})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "max-age" not in cookie and "expires" not in cookie  # gone with the browser
    assert "strict-transport-security" not in answer.headers  # plain HTTP on loopback


def test_under_tls_the_cookie_is_secure_and_hsts_is_sent(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                           "/CN=localhost", "-days", "2", "-keyout", str(key), "-out", str(cert)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    db = str(tmp_path / "clinic.db")
    add_accounts(db)
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen([tripod_command(), "serve", "--host", "0.0.0.0", "--port",
                                   str(port), "--tls-cert", str(cert), "--tls-key", str(key)],
                                  stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "TRIPOD_DB": db})
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                first = httpx.get(f"{url}/login", verify=False, timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "tripod serve did not answer over TLS"
                time.sleep(0.2)
        with httpx.Client(base_url=url, verify=False) as client:
            login = client.post("/login", data={"username": "alice",
                                                "password": "alice-pass-1"})
            page = client.get("/clients")
    finally:
        server.terminate()
        server.wait(timeout=15)
    cookie = login.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    for answer in (first, login, page):
        assert answer.headers["strict-transport-security"].startswith("max-age=")
    assert page.status_code == 200


def test_the_browser_reports_no_csp_violation_on_the_pages_and_would_report_one(
        tablet: Any, clinic: Clinic, stored: int) -> None:
    tablet.add_init_script(VIOLATIONS)
    page = tablet.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{clinic.url}/login")
    page.fill("#username", "alice")
    page.fill("#password", "alice-pass-1")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{clinic.url}/")
    for path in ("/", "/clients", "/clients/TR-S01", f"/visits/{stored}",
                 f"/visits/{stored}?report=client"):
        page.goto(f"{clinic.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], path
    assert errors == []
    # The watch works: an inline script slipped into the page is refused and reported.
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.ran = 1'; document.body.append(s); }""")
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.ran") is None
    assert any("script-src" in v for v in page.evaluate("window.__violations"))
