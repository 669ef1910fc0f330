"""Logging in and out, and the first page: the login form and ``POST /api/v1/session`` check a
password against the store's Argon2id hash the same way, wait after too many failures, and are
recorded in the audit trail (the account, never a name that is none)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from tripod.web.security import COOKIE, Checked, Signed, client_address, cookie_options, store_of
from tripod.web.sessions import WebSession
from tripod.web.views import page, say

router = APIRouter()

# The largest account name and password the login reads (storage/accounts.py, tripod/acting.py).
MAX_NAME = 64
MAX_PASSWORD = 1024


@dataclass(frozen=True)
class Outcome:
    """A login tried: the session made, or why not (``wait`` seconds, else a wrong password)."""

    session: WebSession | None = None
    wait: int = 0


def log_in(request: Request, name: str, password: str) -> Outcome:
    """Check ``name`` and ``password`` (rate-limited per name and per address); start a session."""
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error, InvalidHashError

    attempts = request.app.state.login_attempts
    address = client_address(request)
    wait = attempts.wait(name, address)
    if wait:
        return Outcome(wait=wait)
    store = store_of(request)
    user = store.user(name) if 0 < len(name) <= MAX_NAME else None
    try:
        ok = (user is not None and user.active and len(password) <= MAX_PASSWORD
              and PasswordHasher().verify(user.password_hash, password))
    except (Argon2Error, InvalidHashError):
        ok = False
    if not ok or user is None:
        attempts.failed(name, address)
        # Only an account is named in the trail: a name typed that is none could be anything.
        store.record_action(user.name if user else "(unknown)", "login_refused")
        return Outcome()
    attempts.succeeded(name)
    store.record_action(user.name, "login")
    return Outcome(session=request.app.state.sessions.start(user.name, user.role))


@router.get("/login")
def login_form(request: Request) -> Response:
    return page(request, "login.html", problem=None, username="")


@router.post("/login")
def login(request: Request, username: str = Form("", max_length=MAX_NAME),
          password: str = Form("", max_length=MAX_PASSWORD)) -> Response:
    outcome = log_in(request, username, password)
    if outcome.session is None:
        problem = (say("login_wait", seconds=outcome.wait) if outcome.wait
                   else say("login_refused"))
        return page(request, "login.html", problem=problem, username=username,
                    status=429 if outcome.wait else 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, outcome.session.token, **cookie_options(request))
    return response


def log_out(request: Request, session: WebSession, response: Response) -> Response:
    """End ``session`` (audited as ``logout``) and have ``response`` drop its cookie."""
    request.app.state.sessions.end(session.token)
    store_of(request).record_action(session.user, "logout")
    response.delete_cookie(COOKIE, **cookie_options(request))
    return response


@router.post("/logout")
def logout(request: Request, session: Checked) -> Response:
    return log_out(request, session, RedirectResponse("/login", status_code=303))


@router.get("/")
def home(request: Request, session: Signed) -> Response:
    return page(request, "home.html", session)
