"""One intake against the record store (``tripod intake``, ``tripod amend``): new, pre-filled from a
case file, the correction of a stored visit, the follow-up of a client's last visit
(``tripod/intake/follow_up.py``), or a resumed draft; asked, reviewed, then signed. The questions are asked by :class:`~tripod.intake.questionnaire.Interview`; every
accepted answer is committed to the store's draft at once, so Ctrl-C, a closed terminal or
``kill -9`` loses nothing, and ``--resume`` continues where it stopped. Assessing and storing go
through the screening service (``tripod/service.py``).
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from engine.intake import Case
from engine.paths import flattened, nested
from knowledge.catalog import messages
from tripod.intake.follow_up import FollowUp, follows
from tripod.intake.questionnaire import Interview
from tripod.intake.questions import (
    REMEASURE,
    answered,
    finish,
    follow_up,
    picked_from,
    plan,
    prefill_from,
    question_paths,
    questions,
)
from tripod.intake.review import Review

if typing.TYPE_CHECKING:  # the store imports SQLAlchemy; the questions themselves do not need it
    from storage.records import StoredAssessment
    from storage.store import Store

# The draft of an amendment names the assessment it corrects as its source.
AMENDS_SOURCE = "assessment {id}"
AMENDS = r"assessment ([0-9]+)"


@dataclass
class Session:
    """One intake against the record store: new, pre-filled from a case, or a resumed draft.

    ``draft_id`` is None until the first answer is saved (an intake abandoned before any answer
    leaves nothing behind); ``stored`` is set once the assessment is in the store.
    """

    store: Store
    console: Console
    read: Callable[[str], str] = input
    draft_id: int | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    prefill: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False
    source: str | None = None
    stored: StoredAssessment | None = None
    follow_up: FollowUp | None = None  # the last visit, when this intake is a follow-up of it

    @classmethod
    def resume(cls, store: Store, draft_id: int, console: Console,
               read: Callable[[str], str] = input) -> Session:
        found = store.draft(draft_id)
        session = cls(store, console, read, draft_id=draft_id, resumed=True,
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
    def following(cls, store: Store, last: StoredAssessment, console: Console,
                  read: Callable[[str], str] = input) -> Session:
        """The follow-up of the client's last visit: what it carries over answered (shown at the
        review), saved in a new draft whose source names the visit, so --resume finds it again."""
        visit = FollowUp.of(last)
        session = cls(store, console, read, source=visit.source, follow_up=visit, resumed=True)
        session.answers = visit.answers(dt.date.today())
        session.draft_id = store.new_draft(session.source)
        store.save_answers(session.draft_id, session.answers)
        return session

    @classmethod
    def amending(cls, store: Store, stored: StoredAssessment, console: Console,
                 read: Callable[[str], str] = input) -> Session:
        """An intake that corrects a stored visit: its case as the answers, kept in a new draft,
        so that the review opens at once and ``--resume`` finds it again."""
        values = prefill_from(stored.intake())
        if follow_up(values):  # the sections it measured again, read from its case
            values[REMEASURE] = picked_from(values)
        session = cls(store, console, read, prefill=values, source=AMENDS_SOURCE.format(id=stored.id))
        asked = question_paths()
        # Every answer the visit holds, asked now or not (the red flags after an emergency one).
        answers = {key: value for key, value in values.items() if key in asked}
        while pending := [q for q in plan(answers) if not answered(q, answers)]:
            # A field the case left out was not assessed; a red flag it left out is unknown.
            answers.update({key: values.get(key, "unknown" if pending[0].group else None)
                            for key in pending[0].keys})
        session.draft_id = store.new_draft(session.source)
        store.save_answers(session.draft_id, values, prefill=True)
        store.save_answers(session.draft_id, answers)
        session.answers = answers
        session.prefill = {k: v for k, v in values.items() if k not in answers}
        session.resumed = True
        return session

    @classmethod
    def prefilled(cls, store: Store, case: Case, source: str, console: Console,
                  read: Callable[[str], str] = input) -> Session:
        session = cls(store, console, read, prefill=prefill_from(case), source=source)
        if follow_up(session.prefill):
            session.prefill[REMEASURE] = picked_from(session.prefill)
        session.draft_id = store.new_draft(source)
        store.save_answers(session.draft_id, session.prefill, prefill=True)
        return session

    def save(self, answers: Mapping[str, Any]) -> None:
        if self.draft_id is None:
            self.draft_id = self.store.new_draft(self.source)
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

    def run(self) -> StoredAssessment | None:
        """Ask what is still unanswered, then review until signed: the assessment is stored then
        (finishing the draft in the same transaction). None when left at the review: nothing is
        stored, and the draft keeps every answer."""
        interview = Interview(self.answers, self.prefill, self.save, self.console, self.read,
                              fast_forward=self.resumed, follow_up=self.follow_up)
        if not self.resumed or any(not answered(q, self.answers) for q in plan(self.answers)):
            interview.run()
        review = Review(interview, self.save, self.console, self.read, self.what,
                        lambda: self.draft_id)
        self.stored = review.run(self.sign)
        return self.stored

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
