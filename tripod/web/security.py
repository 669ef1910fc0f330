"""What every request passes through: the security headers, the server's own request log (the
route, never its values), who is signed in, the CSRF check of every form, and acting as that
account for the screening service (``tripod/acting.py``)."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tripod.web.sessions import WebSession

if TYPE_CHECKING:
    from storage.store import Store

COOKIE = "tripod_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
# No inline script, no script or style from anywhere but this server, no framing, forms post here.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; frame-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
# A report shown inside a page: its own inline style and pictures, still no script at all.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000"

log = logging.getLogger("tripod.web")


class NotSignedIn(Exception):
    """No live session: a page sends the browser to the login, the API answers 401."""


class Refused(Exception):
    """Signed in, but this account may not (HTTP 403); ``why`` names the rule, never a value."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class Guard:
    """Pure ASGI middleware: the security headers on every response (a response that sets its own
    Content-Security-Policy keeps it), HSTS under TLS, and one log line per request naming the
    route's pattern (``/clients/{client_id}``), never a path's values, a query or a body."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                have = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in HEADERS.items()
                         if k.encode() not in have]
                if b"content-security-policy" not in have:
                    extra.append((b"content-security-policy", CSP.encode()))
                if self.secure:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:  # noqa: BLE001 - no check foresaw it: its type logged, never its text
            log.error("%s %s failed: %s", scope["method"], route_of(scope), type(exc).__name__)
            if status == 0:
                status = 500
                await _failed(scope, send, type(exc).__name__)
        finally:
            took = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %.0f ms", scope["method"], route_of(scope), status, took)


async def _failed(scope: Scope, send: Send, kind: str) -> None:
    """A one-line 500 answer (JSON for the API) instead of the server's traceback."""
    import json

    from tripod.web.views import say

    line = say("failed", kind=kind)
    api = str(scope.get("path", "")).startswith("/api/")
    body = json.dumps({"problems": [line]}).encode() if api else line.encode()
    kind_header = b"application/json" if api else b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind_header), (b"content-length", str(len(body)).encode()),
               (b"content-security-policy", CSP.encode())]
    headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def route_of(scope: Scope) -> str:
    """The pattern of the route a request matched (``/clients/{client_id}``, recorded in the scope
    by the router as it routes), never the path's values; ``(other)`` for none, static files."""
    return str(getattr(scope.get("route"), "path", "(other)"))


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def signed_in(request: Request) -> WebSession:
    """The request's live session whose account is still active (a dependency of every page and
    API route but the login); ends the account's sessions when it has been disabled."""
    sessions = request.app.state.sessions
    found: WebSession | None = sessions.find(request.cookies.get(COOKIE))
    if found is None:
        raise NotSignedIn()
    user = store_of(request).user(found.user)
    if user is None or not user.active:
        sessions.end_for(found.user)
        raise NotSignedIn()
    return found


def admin(request: Request) -> WebSession:
    """A signed-in admin, else 403."""
    found = signed_in(request)
    if not found.admin:
        raise Refused("an admin")
    return found


async def csrf_checked(request: Request) -> WebSession:
    """A signed-in session whose form (field ``csrf``) or htmx request (header X-CSRF-Token)
    carries the session's CSRF token: every state-changing page route depends on it."""
    found = signed_in(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if given is None or not hmac.compare_digest(given.encode(), found.csrf.encode()):
        raise Refused("a form of this session (its CSRF token)")
    return found


# The dependencies as parameter types: ``session: Signed`` in a route.
Signed = Annotated[WebSession, Depends(signed_in)]
Admin = Annotated[WebSession, Depends(admin)]
Checked = Annotated[WebSession, Depends(csrf_checked)]


@contextmanager
def acting(found: WebSession) -> Iterator[None]:
    """The screening service acts as ``found``'s account inside the block."""
    from tripod.acting import acting_as

    with acting_as(found.user):
        yield


def client_address(request: Request) -> str:
    return request.client.host if request.client else "(unknown)"


def cookie_options(request: Request) -> dict[str, Any]:
    """HttpOnly, SameSite=Strict, Path=/, Secure under TLS or behind a TLS proxy; no Max-Age (the
    server ends it after idle time, and closing the browser drops it)."""
    return {"httponly": True, "samesite": "strict", "path": "/",
            "secure": request.app.state.settings.secure_cookies}
