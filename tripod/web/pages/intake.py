"""The intake pages of ``tripod serve``, made for a tablet: the account's own open intakes, a new
intake or a follow-up (the client's id POSTed, never in a URL), then the intake one section per
screen (``questions.yaml``'s sections in order, ``plan()``'s skip logic), every answer saved to the
draft as it is given (htmx posts each change; the server reads it as the terminal does,
``tripod/intake/answering.py``; a total's items and a follow-up's PSFS in their parts), red flags
first with a yes confirmed; "Save and leave" on every screen keeps what was given and returns to
the account's intakes (the draft resumable). The review, signing and the result are
``intake_review.py``. Another account's draft is no page at all (404)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from knowledge.catalog import catalog
from tripod.intake.draft import Intake
from tripod.intake.flags import referral_tier, top_tier
from tripod.intake.questions import SKIP, Question, plan
from tripod.web.pages import intake_access as access
from tripod.web.pages.intake_fields import Form, blank, field, item_texts, psfs_texts, typed
from tripod.web.security import Checked, Signed, store_of
from tripod.web.sessions import WebSession
from tripod.web.views import page, render

router = APIRouter()

CONFIRMED = "confirmed"
DECLINED = "declined"
LEAVE = "leave"  # the section form's `to`: save what was given and return to the intakes


def owned(request: Request, session: WebSession, draft_id: int) -> Intake:
    intake = access.own(request, session, draft_id)
    if intake is None:
        raise HTTPException(404)
    return intake


def sections(intake: Intake) -> list[tuple[str, str]]:
    """(id, title) of each section with a question planned, in order."""
    out: dict[str, str] = {}
    for question in plan(intake.answers):
        out.setdefault(question.section.id, question.section.title)
    return list(out.items())


def _go(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/intakes")
def intakes(request: Request, session: Signed) -> Response:
    drafts = store_of(request).drafts(owner=session.user)
    return page(request, "intake_list.html", session, drafts=drafts, words=access.say)


@router.post("/intakes")
def new_intake(request: Request, session: Checked) -> Response:
    intake = access.start(request, session, None, "intake")
    return _go(f"/intakes/{intake.draft_id}")


@router.post("/intakes/follow-up")
async def follow_up(request: Request, session: Checked) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    client = form.get("client")
    text = client.strip() if isinstance(client, str) else ""

    def made() -> Intake:
        return access.start(request, session, text, "client")

    intake = await run_in_threadpool(made)
    return _go(f"/intakes/{intake.draft_id}")


@router.get("/intakes/{draft_id}")
def resume(draft_id: int, request: Request, session: Signed) -> Response:
    """The first section holding a question not answered yet; the review once every one is."""
    found = store_of(request).draft(draft_id)
    if found is not None and found.owner == session.user and found.assessment_id is not None:
        return _go(f"/visits/{found.assessment_id}/result")
    intake = owned(request, session, draft_id)
    pending = intake.pending()
    if not pending:
        return _go(f"/intakes/{draft_id}/review")
    return _go(f"/intakes/{draft_id}/s/{pending[0].section.id}")


def _questions(intake: Intake, section: str) -> list[Question]:
    return [q for q in plan(intake.answers) if q.section.id == section]


def _context(intake: Intake, section: str, problems: dict[str, list[str]] | None = None,
             raw: dict[str, str] | None = None,
             confirming: dict[str, list[str]] | None = None,
             form: Form | None = None) -> dict[str, Any]:
    """What a section's screen shows: its questions as fields, where it stands, any referral."""
    words = catalog().questions.messages
    shown = _questions(intake, section)
    tier = referral_tier(intake.answers)
    notes = []
    if tier is not None:
        notes.append(words.referral_top if tier == top_tier() else words.referral)
    titles = sections(intake)
    ids = [s for s, _ in titles]
    place = ids.index(section) if section in ids else len(ids)
    spec = next((s for s in catalog().questions.sections if s.id == section), None)
    return {
        "intake": intake, "section": section, "title": spec.title if spec else section,
        "intro": spec.intro if spec else "", "sections": titles, "place": place,
        "previous": ids[place - 1] if 0 < place <= len(ids) else None, "notes": notes,
        "what": intake.what, "words": access.say,
        "fields": [field(intake, q, (problems or {}).get(q.key, ()), (raw or {}).get(q.key),
                         (confirming or {}).get(q.key),
                         form if q.key in (problems or {}) else None) for q in shown]}


@router.get("/intakes/{draft_id}/s/{section}")
def section_page(draft_id: int, section: str, request: Request, session: Signed) -> Response:
    intake = owned(request, session, draft_id)
    if not _questions(intake, section):
        return _go(f"/intakes/{draft_id}")
    return page(request, "intake_section.html", session, **_context(intake, section))


def _give(intake: Intake, question: Question, form: Form,
          confirmed: bool) -> tuple[access.Given, str]:
    """The form's answer to ``question`` read and saved (its parts apart where it has them),
    and the text given, kept to show beside a problem."""
    scored = item_texts(question, form)
    if scored is not None:
        return access.give_items(intake, question, scored), ""
    again = psfs_texts(intake, question, form)
    if again is not None:
        return access.give_psfs(intake, question, *again), ""
    text = typed(question, form)
    return access.give(intake, question, text, confirmed), "" if text == SKIP else text


def _fragment(request: Request, session: WebSession, context: dict[str, Any],
              status: int = 200) -> HTMLResponse:
    html = render("intake_questions.html", request=request, session=session,
                  csrf=session.csrf, **context)
    return HTMLResponse(html, status_code=status)


@router.post("/intakes/{draft_id}/answer")
async def answer(draft_id: int, request: Request, session: Checked) -> Response:
    """One answer given (htmx, on change): saved at once, or refused with its one-line problem
    and asked again; the section's questions come back as the answer leaves them. A red-flag
    group answered yes comes back as its confirmation; declining it records nothing."""
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    key = form.get("question")

    def given() -> HTMLResponse:
        intake = owned(request, session, draft_id)
        question = access.planned(intake, key if isinstance(key, str) else "",
                                  "answer")
        section = question.section.id
        if question.group and form.get(DECLINED):
            return _fragment(request, session, _context(intake, section))
        before = [q.key for q in _questions(intake, section)], referral_tier(intake.answers)
        outcome, raw = _give(intake, question, form, bool(form.get(CONFIRMED)))
        if outcome.to_confirm is not None:
            return _fragment(request, session, _context(intake, section,
                                                        confirming={question.key:
                                                                    outcome.to_confirm}))
        if question.group:
            return _fragment(request, session, _context(intake, section))
        refused = outcome.saved is None
        after = [q.key for q in _questions(intake, section)], referral_tier(intake.answers)
        if after != before:  # the answer changed what is asked: the whole section again
            response = _fragment(request, session, _context(intake, section))
            response.headers["HX-Retarget"] = "#questions"
            return response
        shown = field(intake, question, outcome.problems, raw if refused else None,
                      form=form if refused else None)
        html = render("intake_field.html", request=request, session=session, csrf=session.csrf,
                      intake=intake, f=shown, words=access.say)
        return HTMLResponse(html)

    result: HTMLResponse = await run_in_threadpool(given)
    return result


@router.post("/intakes/{draft_id}/s/{section}")
async def next_section(draft_id: int, section: str, request: Request,
                       session: Checked) -> Response:
    """The section's answers given at once (its Next button; without script, the only way): each
    read and saved; refused ones shown with their problems; else on to the next section. Leaving
    (``to`` = leave) saves what was given the same way, leaves a question not answered yet and
    left empty unanswered (not "not assessed"), and returns to the account's intakes; a refused
    answer stays on screen with its problem, so nothing typed is lost."""
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    leaving = form.get("to") == LEAVE

    def given() -> Response:
        intake = owned(request, session, draft_id)
        problems: dict[str, list[str]] = {}
        raw: dict[str, str] = {}
        for question in _questions(intake, section):
            if question.group:
                if not leaving and not all(k in intake.answers for k in question.keys):
                    problems[question.key] = [access.say("group_unsaved")]
                continue
            if question not in plan(intake.answers):
                continue  # an answer above made it unnecessary
            if leaving and blank(intake, question, form):
                continue
            outcome, text = _give(intake, question, form, False)
            if outcome.saved is None:
                problems[question.key] = list(outcome.problems)
                raw[question.key] = text
        if problems:
            return page(request, "intake_section.html", session, status=422,
                        **_context(intake, section, problems, raw, form=form))
        if leaving:
            return _go("/intakes")
        if form.get("to") == "review":
            return _go(f"/intakes/{draft_id}/review")
        return _go(f"/intakes/{draft_id}")

    result: Response = await run_in_threadpool(given)
    return result
