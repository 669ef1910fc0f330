"""One intake against the record store, whatever front end asks its questions: new, pre-filled
from a case file, the correction of a stored visit (``tripod amend``), the follow-up of a client's
last visit (``tripod/intake/follow_up.py``), or a resumed draft; every accepted answer committed to
the store's draft at once (:meth:`Intake.save`), then signed through the screening service
(``tripod/service.py``), which stores the assessment and finishes the draft in one transaction.

The terminal asks through :class:`~tripod.intake.session.Session`; the web pages and the JSON API
of ``tripod serve`` through this directly. Nothing here talks to a terminal or a browser.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.intake import Case
from engine.paths import flattened, nested
from knowledge.catalog import messages
from tripod.intake.answering import Answering
from tripod.intake.follow_up import FollowUp, follows
from tripod.intake.questions import (
    REMEASURE,
    Question,
    answered,
    build_document,
    finish,
    follow_up,
    picked_from,
    plan,
    prefill_from,
    question_paths,
    questions,
)

if typing.TYPE_CHECKING:  # the store imports SQLAlchemy; the questions themselves do not need it
    from storage.records import Draft, StoredAssessment
    from storage.store import Store

# The draft of an amendment names the assessment it corrects as its source.
AMENDS_SOURCE = "assessment {id}"
AMENDS = r"assessment ([0-9]+)"


@dataclass
class Intake:
    """One intake against the record store: new, pre-filled from a case, or a resumed draft.

    ``draft_id`` is None until the first answer is saved (an intake abandoned before any answer
    leaves nothing behind); ``stored`` is set once the assessment is in the store.
    """

    store: Store
    owner: str | None = None  # the account that starts it (a store with accounts)
    draft_id: int | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    prefill: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False
    source: str | None = None
    stored: StoredAssessment | None = None
    follow_up: FollowUp | None = None  # the last visit, when this intake is a follow-up of it

    @classmethod
    def resume(cls, store: Store, draft_id: int, found: Draft | None = None) -> Intake:
        """The draft ``draft_id`` (``found``, when already read) as it was left: its answers,
        pre-filled values, and the visit a follow-up follows (its latest version, when corrected
        since)."""
        found = found or store.draft(draft_id)
        session = cls(store, found.owner if found else None, draft_id=draft_id, resumed=True,
                      source=found.source if found else None)
        last = follows(session.source)
        while last is not None and (visit := store.assessment(last)) is not None:
            if visit.superseded_by is None:  # a visit corrected since: its latest version
                session.follow_up = FollowUp.of(visit)
                break
            last = visit.superseded_by
        for key, answer in store.draft_answers(draft_id).items():
            (session.prefill if answer.prefill else session.answers)[key] = answer.value
        return session

    @classmethod
    def following(cls, store: Store, last: StoredAssessment, owner: str | None = None) -> Intake:
        """The follow-up of the client's last visit: what it carries over answered (shown at the
        review), saved in a new draft whose source names the visit, so --resume finds it again."""
        visit = FollowUp.of(last)
        session = cls(store, owner, source=visit.source, follow_up=visit, resumed=True)
        session.answers = visit.answers(dt.date.today())
        session.draft_id = store.new_draft(session.source, owner=owner)
        store.save_answers(session.draft_id, session.answers)
        return session

    @classmethod
    def amending(cls, store: Store, stored: StoredAssessment,
                 owner: str | None = None) -> Intake:
        """An intake that corrects a stored visit: its case as the answers, kept in a new draft,
        so that the review opens at once and ``--resume`` finds it again."""
        values = prefill_from(stored.intake())
        if follow_up(values):  # the sections it measured again, read from its case
            values[REMEASURE] = picked_from(values)
        session = cls(store, owner, prefill=values, source=AMENDS_SOURCE.format(id=stored.id))
        asked = question_paths()
        # Every answer the visit holds, asked now or not (the red flags after an emergency one).
        answers = {key: value for key, value in values.items() if key in asked}
        while pending := [q for q in plan(answers) if not answered(q, answers)]:
            # A field the case left out was not assessed; a red flag it left out is unknown.
            answers.update({key: values.get(key, "unknown" if pending[0].group else None)
                            for key in pending[0].keys})
        session.draft_id = store.new_draft(session.source, owner=owner)
        store.save_answers(session.draft_id, values, prefill=True)
        store.save_answers(session.draft_id, answers)
        session.answers = answers
        session.prefill = {k: v for k, v in values.items() if k not in answers}
        session.resumed = True
        return session

    @classmethod
    def prefilled(cls, store: Store, case: Case, source: str, owner: str | None = None) -> Intake:
        session = cls(store, owner, prefill=prefill_from(case), source=source)
        if follow_up(session.prefill):
            session.prefill[REMEASURE] = picked_from(session.prefill)
        session.draft_id = store.new_draft(source, owner=owner)
        store.save_answers(session.draft_id, session.prefill, prefill=True)
        return session

    def save(self, answers: Mapping[str, Any]) -> None:
        if self.draft_id is None:
            self.draft_id = self.store.new_draft(self.source, owner=self.owner)
        self.store.save_answers(self.draft_id, answers)

    @property
    def amends(self) -> int | None:
        """The stored assessment this intake corrects (``tripod amend``), from its draft's source."""
        found = re.fullmatch(AMENDS, self.source or "")
        return int(found[1]) if found else None

    @property
    def what(self) -> str:
        """What the review says this intake is: a new one, or the amendment of a stored visit."""
        if self.amends is not None:
            original = self.store.assessment(self.amends)
            version = original.version if original else "?"
            return messages().say("review.what_amend", id=self.amends, version=version)
        if self.follow_up is not None:
            return messages().say("follow_up.what", id=self.follow_up.id,
                                  date=self.follow_up.assessed_on)
        return messages().say("review.what_new", id=self.draft_id if self.draft_id else "-")

    def sign(self, document: dict[str, Any]) -> StoredAssessment:
        """Assess and store the reviewed case: a new visit, or a new version of the one amended."""
        from tripod import service

        if self.amends is not None:
            case = finish(self._kept(document))
            return service.amend(self.store, self.amends, case, draft_id=self.draft_id)
        if self.follow_up is not None:
            self.follow_up.signing_problems(document)
        return service.keep(self.store, service.screen(finish(document)), draft_id=self.draft_id)

    def _kept(self, document: dict[str, Any]) -> dict[str, Any]:
        """A correction keeps what the visit holds beyond what the review shows: the examination
        of a visit that refers out (the questions stop at the red flags), a measure an answer
        made unnecessary; not one whose section's required answer was skipped (hips.method)."""
        flat = flattened(document)
        planned = {key for question in plan(self.answers) for key in question.keys}
        for question in questions():
            if question.group or question.key in planned or question.key in flat:
                continue
            if any(flat.get(need) is None for need in question.needs):
                continue
            if self.answers.get(question.key) is not None:
                flat[question.key] = self.answers[question.key]
        return nested(flat)

    @property
    def answering(self) -> Answering:
        """How a new answer is read against this intake's answers."""
        return Answering(self.answers, self.prefill, self.follow_up)

    def give(self, values: Mapping[str, Any]) -> None:
        """Save accepted answers to the draft at once, and hold them."""
        self.save(values)
        self.answers.update(values)

    def pending(self) -> list[Question]:
        """The planned questions not answered yet, in order."""
        return [q for q in plan(self.answers) if not answered(q, self.answers)]

    def document(self) -> dict[str, Any]:
        """The case document the answers make (``questions.build_document``)."""
        return build_document(self.answers, self.prefill)


def last_to_follow(store: Store, client: str, field_name: str) -> StoredAssessment:
    """The client's last stored visit that a follow-up starts from today; a one-line problem (at
    ``field_name``) when the store holds no visit of that client, when it is dated today (a
    second visit on one date would be a correction of it), or when a follow-up of it is already
    under way."""
    from engine.errors import InputError, Problem, show_value
    from tripod import service
    from tripod.intake.follow_up import SOURCE

    last = service.last_visit(store, client)
    if last is None:
        raise InputError([Problem("intake", field_name, show_value(client),
                                  f"no such client in {store.where}; allowed a client with a "
                                  "stored visit (tripod clients lists them)")])
    if last.assessed_on >= dt.date.today():
        raise InputError([Problem("intake", field_name, show_value(client), messages().say(
            "follow_up.same_date", date=last.assessed_on, id=last.id))])
    source = SOURCE.format(client=client, id=last.id)
    for item in store.drafts():
        if item.source == source:
            raise InputError([Problem("intake", field_name, show_value(client), messages().say(
                "follow_up.open", draft=item.id, id=last.id))])
    return last
