"""The intake's review, signing and result pages (``tripod serve``): the terminal review's content
(``tripod/intake/review.py``: every planned answer by section, numbered as asked, red flags
answered yes first, a follow-up's sections not re-assessed stated), each number opening its
question to change; signing stores through the screening service acting as the account (the
draft finished in the same transaction); the result is the terminal's one screen
(``tripod/intake/result.py``) with links to the reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from engine.errors import TripodError
from knowledge.catalog import sayer
from tripod.intake import result as shown_result
from tripod.intake import review as shown_review
from tripod.intake.questions import answered, plan, show
from tripod.web.pages import intake_access as access
from tripod.web.pages.intake import owned
from tripod.web.security import Checked, Signed, acting, store_of
from tripod.web.views import page

router = APIRouter()


def _cells(cells: tuple[Any, ...], answers: dict[str, Any]) -> list[dict[str, Any] | None]:
    out: list[dict[str, Any] | None] = []
    for cell in cells:
        if cell is None:
            out.append(None)
            continue
        number, question = cell
        text = shown_review.value_text(question, answers)
        out.append({"number": number, "section": question.section.id, "text": text.plain,
                    "missing": not answered(question, answers),
                    "yes": question.group is not None and "yes" in
                    [answers.get(k) for k in question.keys]})
    return out


def review_context(intake: Any, problems: list[str] | None = None) -> dict[str, Any]:
    answers = intake.answers
    steps = plan(answers)
    notes = {"outcomes": intake.follow_up.review_notes(answers)} if intake.follow_up else None
    sections = [(title, [{"label": row.label, "note": row.note.strip(),
                          "sided": len(row.cells) == 2, "cells": _cells(row.cells, answers)}
                         for row in rows])
                for title, rows in shown_review.rows(steps, answers, notes)]
    say = sayer("review")
    return {"intake": intake, "sections": sections, "words": access.say,
            "flags": shown_review.flags_yes(steps, answers),
            "title": say("title", client=show(answers.get("client.id")),
                         date=show(answers.get("assessed_on")), what=intake.what),
            "pending": [n for n, q in shown_review.numbered(steps) if not answered(q, answers)],
            "problems": problems or [], "left": say("left"), "right": say("right")}


@router.get("/intakes/{draft_id}/review")
def review(draft_id: int, request: Request, session: Signed) -> Response:
    intake = owned(request, session, draft_id)
    return page(request, "review_intake.html", session, **review_context(intake))


@router.post("/intakes/{draft_id}/sign")
def sign(draft_id: int, request: Request, session: Checked) -> Response:
    intake = owned(request, session, draft_id)
    try:
        stored = access.sign(request, session, intake, "sign")
    except TripodError as exc:  # the case as a whole refused: say why, review again
        return page(request, "review_intake.html", session, status=422,
                    **review_context(intake, str(exc).splitlines()))
    return RedirectResponse(f"/visits/{stored.id}/result", status_code=303)


@router.get("/visits/{assessment_id}/result")
def result(assessment_id: int, request: Request, session: Signed) -> Response:
    from tripod import service

    store = store_of(request)
    with acting(session):
        stored = service.look_up(store, assessment_id)
        if stored is None:
            raise HTTPException(404)
        screening = service.from_store(stored)
        history = service.client_history(store, stored.client_id) \
            if stored.case.get("visit") == "follow_up" else None
    rows = [(name, text.plain, "referral" if "red" in str(text.style) else
             "strong" if "bold" in str(text.style) else "")
            for name, text in shown_result.rows(screening.case, screening.assessment,
                                                        access.say_raw("more_missing"))]
    # The verdict itself; where its reasons are is the client's visits (not a command here).
    verdict = [line.plain.strip() for line in shown_result.verdict(stored, history)][:1]
    return page(request, "result_intake.html", session, stored=stored, rows=rows,
                verdict=verdict, heading=access.say("stored" if stored.created else "unchanged", id=stored.id,
                                                   client=stored.client_id,
                                                   date=stored.assessed_on,
                                                   version=stored.version), words=access.say,
                aid=sayer("review")("aid"))
