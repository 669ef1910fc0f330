"""The JSON API's intake routes (``tripod serve``), for clinic scripts and the load test: an intake
asked one answer at a time, each answer read as the terminal and the intake pages read it
(``tripod/intake/answering.py``) and saved to the account's draft at once.

- ``POST /api/v1/intakes`` ``{}`` or ``{"follow_up": "CLIENT-ID"}``: 201 ``{"id", "next"}``;
- ``GET /api/v1/intakes/{id}``: the answers so far and the questions asked next;
- ``POST /api/v1/intakes/{id}/answers`` ``{"key", "answer"}`` (a red-flag group as the terminal
  reads it, ``n``, ``u``, ``1 u3``; a yes with ``"confirmed": true``), or ``{"key", "items"}``
  for a total scored item by item (one score or null per item, as its ``scoring`` lists them;
  the scores saved as they are, the total once every item is scored): 200 with what was saved
  and the questions asked next, 422 with the one-line problems (nothing saved);
- ``POST /api/v1/intakes/{id}/sign``: 201 with ``tripod-assessment/1``; 422 naming the questions
  still unanswered.

Another account's intake, a signed one or none answers 404; no session 401, as the rest of the API.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
)
from starlette.concurrency import run_in_threadpool

from engine.errors import InputError, Problem, problems_from_validation
from engine.intake import CLIENT_ID
from tripod.intake.draft import Intake
from tripod.web.api import JSON_TYPE, json_body, problems
from tripod.web.pages import intake_access as access
from tripod.web.security import Signed
from tripod.web.sessions import WebSession

router = APIRouter(prefix="/api/v1/intakes")

MAX_ANSWER = 2000  # characters: more than any answer needs (PSFS activities included)
MAX_ITEMS = 100  # more than any total's items (the LEFS has 20)


class Start(BaseModel):
    model_config = ConfigDict(extra="forbid")
    follow_up: str | None = Field(default=None, pattern=CLIENT_ID.pattern)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=200)
    answer: str | None = Field(default=None, max_length=MAX_ANSWER)
    items: list[StrictInt | StrictStr | None] | None = Field(default=None, max_length=MAX_ITEMS)
    confirmed: bool = False

    def one_answer(self, where: str) -> None:
        """Refuse a request with both an answer and items, or neither, naming the two fields
        (a check of the whole model would name none, and show the whole request as the value)."""
        if (self.answer is None) == (self.items is None):
            given = "both given" if self.answer is not None else "neither given"
            raise InputError([Problem(where, "answer/items", given, access.say("api_one_answer"))])

    def scores(self) -> list[str] | None:
        """The items as the shared reader takes them (a number as typed; null: not scored)."""
        if self.items is None:
            return None
        return ["" if item is None else str(item)[:MAX_ANSWER] for item in self.items]


M = TypeVar("M", bound=BaseModel)


def _read(model: type[M], where: str, body: bytes) -> M:
    from storage.casefile import parse_document

    document = parse_document(where, body, "json") if body.strip() else {}
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise InputError(problems_from_validation(where, exc, model, document)) from exc


def _state(intake: Intake) -> dict[str, Any]:
    return {"id": intake.draft_id,
            "next": [access.describe(intake, q) for q in access.current(intake)]}


def _not_found(where: str, draft_id: int) -> JSONResponse:
    return problems(404, [access.say("api_no_intake", where=where, id=draft_id)])


@router.post("")
async def start(request: Request, session: Signed) -> Response:
    where = "POST /api/v1/intakes"
    given = _read(Start, where, await json_body(request, where))

    def made() -> dict[str, Any]:
        return _state(access.start(request, session, given.follow_up, "follow_up"))

    state = await run_in_threadpool(made)
    return JSONResponse(state, status_code=201,
                        headers={"Location": f"/api/v1/intakes/{state['id']}"})


@router.get("/{draft_id}")
def show(draft_id: int, request: Request, session: Signed) -> Response:
    intake = access.own(request, session, draft_id)
    if intake is None:
        return _not_found("GET /api/v1/intakes/{id}", draft_id)
    return JSONResponse({**_state(intake), "answers": intake.answers,
                         "follow_up": intake.follow_up.id if intake.follow_up else None})


@router.post("/{draft_id}/answers")
async def answer(draft_id: int, request: Request, session: Signed) -> Response:
    where = "POST /api/v1/intakes/{id}/answers"
    given = _read(Answer, where, await json_body(request, where))
    given.one_answer(where)

    def answered(found: WebSession) -> Response:
        intake = access.own(request, found, draft_id)
        if intake is None:
            return _not_found(where, draft_id)
        question = access.planned(intake, given.key, where)
        scores = given.scores()
        outcome = (access.give(intake, question, given.answer or "", given.confirmed)
                   if scores is None else access.give_items(intake, question, scores))
        if outcome.saved is None:
            body: dict[str, Any] = {"problems": [f"{where}: {line}" for line in outcome.problems]}
            if outcome.to_confirm is not None:
                body["to_confirm"] = [i for i, s in enumerate(outcome.to_confirm, start=1)
                                      if s == "yes"]
            return JSONResponse(body, status_code=422)
        return JSONResponse({"saved": outcome.saved, **_state(intake)})

    result: Response = await run_in_threadpool(answered, session)
    return result


@router.post("/{draft_id}/sign")
async def sign(draft_id: int, request: Request, session: Signed) -> Response:
    where = "POST /api/v1/intakes/{id}/sign"

    def signed() -> Response:
        intake = access.own(request, session, draft_id)
        if intake is None:
            return _not_found(where, draft_id)
        stored = access.sign(request, session, intake, where)
        return Response(stored.assessment_json, status_code=201, media_type=JSON_TYPE,
                        headers={"Location": f"/api/v1/assessments/{stored.id}"})

    result: Response = await run_in_threadpool(signed)
    return result
