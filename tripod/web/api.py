"""The JSON API for clinic scripts, with the pages' authentication (``tripod serve``):

- ``POST /api/v1/session`` ``{"username", "password"}``: sets the session cookie (200);
  ``DELETE /api/v1/session`` ends it;
- ``POST /api/v1/assessments``: a case file as JSON, assessed and stored, signed by the account;
  201 with ``tripod-assessment/1`` (``Location``: the stored id); 422 with the one-line problems;
- ``GET /api/v1/clients`` (``tripod-clients/1``), ``GET /api/v1/clients/{id}/history``
  (``tripod-history/1``; 404 for a client the store does not hold);
- ``GET /api/v1/audit``: the audit trail, for an admin (403 for a practitioner).

Without a live session every route but the login answers 401. A request with a body must say
``Content-Type: application/json``: a page of another site cannot send one without the browser
asking first, so the session cookie (SameSite=Strict as well) cannot be used from elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from engine.errors import InputError, Problem, show_value
from engine.intake import CLIENT_ID
from tripod.web.login import MAX_NAME, MAX_PASSWORD, log_in, log_out
from tripod.web.security import COOKIE, Admin, Signed, acting, cookie_options, store_of
from tripod.web.settings import MAX_BODY_BYTES

router = APIRouter(prefix="/api/v1")

JSON_TYPE = "application/json"


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=MAX_NAME)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


async def json_body(request: Request, where: str) -> bytes:
    """The request's body, which must be JSON and at most ``MAX_BODY_BYTES``; else a problem."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != JSON_TYPE:
        raise InputError([Problem(where, "Content-Type", show_value(kind or "(none)"),
                                  f"allowed {JSON_TYPE}")])
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise InputError([Problem(where, "body", f"more than {MAX_BODY_BYTES} bytes",
                                      f"allowed at most {MAX_BODY_BYTES} bytes")])
    return bytes(body)


def problems(status: int, lines: list[str]) -> JSONResponse:
    return JSONResponse({"problems": lines}, status_code=status)


@router.post("/session")
async def start_session(request: Request) -> Response:
    from pydantic import ValidationError

    from engine.errors import problems_from_validation
    from storage.casefile import parse_document

    where = "POST /api/v1/session"
    document = parse_document(where, await json_body(request, where), "json")
    try:
        given = Login.model_validate(document)
    except ValidationError as exc:
        # A password is never shown back, even where it is what is wrong.
        raise InputError([replace(p, value="(hidden)") if p.field == "password" else p
                          for p in problems_from_validation(where, exc, Login, document)]
                         ) from exc
    outcome = log_in(request, given.username, given.password)
    if outcome.session is None:
        if outcome.wait:
            return JSONResponse({"problems": [(f"{where}: too many failed logins; allowed again "
                                               f"in {outcome.wait} s")]}, status_code=429,
                                headers={"Retry-After": str(outcome.wait)})
        return problems(401, [f"{where}: username and password: no active account matches"])
    response = JSONResponse({"user": outcome.session.user, "role": outcome.session.role})
    response.set_cookie(COOKIE, outcome.session.token, **cookie_options(request))
    return response


@router.delete("/session")
def end_session(request: Request, session: Signed) -> Response:
    return log_out(request, session, Response(status_code=204))


@router.post("/assessments")
async def store_assessment(request: Request,
                           session: Signed) -> Response:
    from starlette.concurrency import run_in_threadpool

    from storage.casefile import parse_case, parse_document

    where = "POST /api/v1/assessments"
    case = parse_case(where, parse_document(where, await json_body(request, where), "json"))

    def assess_and_keep() -> Any:
        from tripod import service

        with acting(session):
            return service.keep(store_of(request), service.screen(case))

    stored = await run_in_threadpool(assess_and_keep)
    # The same screening again adds nothing: 200 and the one stored before.
    return Response(stored.assessment_json, status_code=201 if stored.created else 200,
                    media_type=JSON_TYPE,
                    headers={"Location": f"/api/v1/assessments/{stored.id}"})


@router.get("/clients")
def clients(request: Request, session: Signed) -> Response:
    from tripod import service

    with acting(session):
        document = service.clients_document(service.client_list(store_of(request)))
    return JSONResponse(document)


@router.get("/clients/{client_id}/history")
def history(client_id: str, request: Request,
            session: Signed) -> Response:
    from tripod import service

    where = "GET /api/v1/clients/{id}/history"
    if not CLIENT_ID.fullmatch(client_id):
        raise InputError([Problem(where, "id", show_value(client_id),
                                  "allowed 1 to 64 of A-Z a-z 0-9 . _ -")])
    with acting(session):
        found = service.client_history(store_of(request), client_id)
    if found is None:
        return problems(404, [(f"{where}: id = {show_value(client_id)}: no such client; allowed "
                               "an id that GET /api/v1/clients lists")])
    return Response(json.dumps(found.to_document(), ensure_ascii=False), media_type=JSON_TYPE)


@router.get("/audit")
def audit(request: Request, session: Admin) -> Response:
    from tripod import clinic_admin

    with acting(session):
        entries = clinic_admin.audit_trail(store_of(request))
    return JSONResponse(clinic_admin.audit_document(entries))
