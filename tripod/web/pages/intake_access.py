"""What the intake pages and the JSON API's intake routes share: an account's own open intake (no
other account's draft is reachable), a new intake or the follow-up of a client's last visit, the
questions asked next, one answer read (``tripod/intake/answering.py``) and saved at once, and
signing through the screening service acting as the account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from engine.errors import InputError, Problem, show_value
from knowledge.catalog import messages, sayer
from tripod.intake.answering import Reading
from tripod.intake.draft import Intake, last_to_follow
from tripod.intake.items import helper_of
from tripod.intake.questions import MISSING, Question, number, plan, questions, show
from tripod.web.security import acting, store_of

if TYPE_CHECKING:
    from fastapi import Request

    from storage.records import StoredAssessment
    from tripod.web.sessions import WebSession

say = sayer("web_intake")


def say_raw(key: str) -> str:
    """A sentence of the group ``web_intake`` with its ``{fields}`` left to fill."""
    return messages().web_intake[key]


@cache
def by_key() -> dict[str, Question]:
    return {q.key: q for q in questions()}


def own(request: Request, session: WebSession, draft_id: int) -> Intake | None:
    """The account's own open intake ``draft_id``; None for one it does not own, signed or absent
    (each looks the same from outside: no such intake)."""
    store = store_of(request)
    found = store.draft(draft_id)
    if found is None or found.owner != session.user or found.status != "open":
        return None
    return Intake.resume(store, draft_id, found)


def start(request: Request, session: WebSession, client: str | None, where: str) -> Intake:
    """A new intake of the account (its draft made now), or the follow-up of ``client``'s last
    stored visit (what the terminal's ``--follow-up`` carries over); a problem at ``where``."""
    store = store_of(request)
    with acting(session):
        if client is None:
            intake = Intake(store, owner=session.user)
            intake.draft_id = store.new_draft(None, owner=session.user)
            return intake
        last = last_to_follow(store, client, where)
        return Intake.following(store, last, owner=session.user)


def current(intake: Intake) -> list[Question]:
    """The questions asked next: those of the first section holding a planned question not yet
    answered, unanswered, in order; none once every planned question is answered."""
    pending = intake.pending()
    if not pending:
        return []
    section = pending[0].section.id
    return [q for q in pending if q.section.id == section]


def describe(intake: Intake, question: Question) -> dict[str, Any]:
    """A question as the JSON API names it: key, number, section, kind, words, what is allowed,
    choices (a red-flag group's numbered questions as ``items``), its default; a total that can
    be scored item by item, its items and their range (``scoring``)."""
    answering = intake.answering
    default = answering.default(question)
    out: dict[str, Any] = {
        "key": question.key, "number": number(question), "section": question.section.id,
        "kind": "red_flags" if question.group else question.kind,
        "label": answering.label(question), "allowed": answering.allowed(question),
        "choices": list(question.choices), "required": question.required,
        "default": None if default is MISSING or default is None else show(default)
        if not question.group else default}
    if question.group:
        out["items"] = [item.question for item in question.items]
    if question.helper:  # its items, for an answer given as "items": one score each
        helper = helper_of(question)
        out["scoring"] = {"title": helper.title, "scale": helper.scale, "min": helper.min,
                          "max": helper.max, "items": list(helper.labels())}
    return out


@dataclass(frozen=True)
class Given:
    """An answer given: the draft values saved, or what was wrong (nothing saved), or the items of
    a red-flag group answered yes that need confirming (nothing saved)."""

    saved: dict[str, Any] | None
    problems: tuple[str, ...] = ()
    to_confirm: list[str] | None = None


def planned(intake: Intake, key: str, where: str) -> Question:
    """The question ``key`` if the intake asks it now, else a problem naming it."""
    question = by_key().get(key)
    if question is None or question not in plan(intake.answers):
        raise InputError([Problem(where, "key", show_value(key), say("key_allowed"))])
    return question


def give(intake: Intake, question: Question, text: str, confirmed: bool) -> Given:
    """Read ``text`` as the answer to ``question`` and save it at once; a red flag's yes only when
    ``confirmed``."""
    answering = intake.answering
    reading = answering.read(question, text)
    if reading.values is None:
        return Given(None, reading.problems)
    states = answering.to_confirm(question, text)
    if states is not None and not confirmed:
        return Given(None, (say("confirm_needed", field=question.key),), states)
    intake.give(reading.values)
    return Given(reading.values)


def give_items(intake: Intake, question: Question, scores: Sequence[str]) -> Given:
    """A total's items scored (``Answering.read_items``), saved at once: the scores so far, and
    the total once every item is scored."""
    if not question.helper:
        return Given(None, (say("items_not_here", field=question.key),))
    return _saved(intake, intake.answering.read_items(question, scores))


def give_psfs(intake: Intake, question: Question, scores: Sequence[str], new: str) -> Given:
    """A follow-up's PSFS as one screen gives it (``Answering.read_psfs``), saved at once."""
    return _saved(intake, intake.answering.read_psfs(question, scores, new))


def _saved(intake: Intake, reading: Reading) -> Given:
    if reading.values is None:
        return Given(None, reading.problems)
    intake.give(reading.values)
    return Given(reading.values)


def sign(request: Request, session: WebSession, intake: Intake, where: str) -> StoredAssessment:
    """Assess and store the intake through the service acting as the account, finishing its draft
    in the same transaction; a problem naming the questions still unanswered."""
    pending = [str(number(q)) for q in intake.pending()]
    if pending:
        raise InputError([Problem(where, "questions", ", ".join(pending),
                                  say("sign_pending"))])
    with acting(session):
        stored = intake.sign(intake.document())
    intake.stored = stored
    return stored
