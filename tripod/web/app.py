"""The web application (FastAPI): the record store opened once, the sessions, the guard on every
request, the static files (htmx served from the package: nothing from elsewhere), the routes, and
what every failure becomes: a one-line problem (422, or the status it names), a login page for
a page without a session (401 for the API), 403 for an account that may not; never a traceback,
a stored value or a password."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from engine.errors import InputError, Problem, StoreError, TripodError, show_value
from tripod.web import api, api_intakes, login
from tripod.web.security import Guard, NotSignedIn, Refused, route_of
from tripod.web.sessions import LoginAttempts, Sessions
from tripod.web.settings import WebSettings
from tripod.web.views import STATIC, page, say


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(request: Request, status: int, lines: list[str]) -> Response:
    if _is_api(request):
        return JSONResponse({"problems": lines}, status_code=status)
    return page(request, "problem.html", None, status=status, lines=lines)


def create_app(settings: WebSettings) -> FastAPI:
    """The application for ``settings``; its store is opened now (a bad one fails here, before the
    server listens) and closed when the server stops."""
    from storage.store import open_store

    # A store that is not there is refused, not made: a mistyped --db is no empty clinic.
    store = open_store(settings.db, read_only=True)
    if store.read_only:
        store.close()
        raise InputError([Problem("serve", "--db", show_value(store.where),
                                  "cannot be written here; allowed a store this account can write")])

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    app.state.sessions = Sessions(settings.idle_minutes)
    app.state.login_attempts = LoginAttempts()
    app.add_middleware(Guard, secure=settings.secure_cookies)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(login.router)
    app.include_router(api.router)
    app.include_router(api_intakes.router)
    from tripod.web import pages

    pages.include(app)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _: NotSignedIn) -> Response:
        if _is_api(request):
            return JSONResponse({"problems": [(f"{request.method} {_route(request)}: no session; "
                                               "allowed after POST /api/v1/session")]},
                                status_code=401)
        if request.headers.get("hx-request"):  # htmx: the whole page goes to the login
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return _problem(request, 403, [(f"{request.method} {_route(request)}: allowed only to "
                                        f"{exc.why}")])

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        return _problem(request, 422, [str(p) for p in exc.problems])

    @app.exception_handler(StoreError)
    async def store_failed(request: Request, exc: StoreError) -> Response:
        return _problem(request, 503, [str(exc)])

    @app.exception_handler(TripodError)
    async def refused_by_tripod(request: Request, exc: TripodError) -> Response:
        return _problem(request, 403, [str(exc)])

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        lines = [f"{request.method} {_route(request)}: "
                 f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                 for error in exc.errors()]
        return _problem(request, 422, lines)

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return _problem(request, 404, [say("not_found")])
        return _problem(request, exc.status_code, [str(exc.detail)])

    return app


def _route(request: Request) -> str:
    return route_of(request.scope)
