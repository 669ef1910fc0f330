"""One intake against the record store in the terminal (``tripod intake``, ``tripod amend``):
the intake itself (new, pre-filled from a case file, the correction of a stored visit, the
follow-up of a client's last visit, or a resumed draft; its answers saved to the draft at once;
signed through the screening service) is :class:`~tripod.intake.draft.Intake`, which the web
front end uses as well. Here its questions are asked by
:class:`~tripod.intake.questionnaire.Interview`, then reviewed (:class:`~tripod.intake.review.Review`)
until signed: Ctrl-C, a closed terminal or ``kill -9`` loses nothing, and ``--resume`` continues
where it stopped.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from rich.console import Console

from tripod.intake.draft import AMENDS, AMENDS_SOURCE, Intake
from tripod.intake.questionnaire import Interview
from tripod.intake.questions import answered, plan
from tripod.intake.review import Review

if typing.TYPE_CHECKING:
    from engine.intake import Case
    from storage.records import StoredAssessment
    from storage.store import Store

__all__ = ["AMENDS", "AMENDS_SOURCE", "Session"]


def owner(store: Store) -> str | None:
    """The account a terminal intake's draft belongs to: the one acting (already checked when the
    intake began), so that it resumes on the tablet too; none where the store has no accounts."""
    from tripod.service import may_change

    acting = may_change(store)
    return None if acting.startswith("local:") else acting


class Session:
    """One intake asked in the terminal: :class:`Intake` with a console and a way to read a line."""

    def __init__(self, store: Store, console: Console, read: Callable[[str], str] = input,
                 intake: Intake | None = None) -> None:
        self.intake = intake or Intake(store, owner(store))
        self.console = console
        self.read = read

    @classmethod
    def resume(cls, store: Store, draft_id: int, console: Console,
               read: Callable[[str], str] = input) -> Session:
        return cls(store, console, read, Intake.resume(store, draft_id))

    @classmethod
    def following(cls, store: Store, last: StoredAssessment, console: Console,
                  read: Callable[[str], str] = input) -> Session:
        return cls(store, console, read, Intake.following(store, last, owner(store)))

    @classmethod
    def amending(cls, store: Store, stored: StoredAssessment, console: Console,
                 read: Callable[[str], str] = input) -> Session:
        return cls(store, console, read, Intake.amending(store, stored, owner(store)))

    @classmethod
    def prefilled(cls, store: Store, case: Case, source: str, console: Console,
                  read: Callable[[str], str] = input) -> Session:
        return cls(store, console, read, Intake.prefilled(store, case, source, owner(store)))

    @property
    def answers(self) -> dict[str, Any]:
        return self.intake.answers

    @property
    def draft_id(self) -> int | None:
        return self.intake.draft_id

    @property
    def stored(self) -> StoredAssessment | None:
        return self.intake.stored

    def run(self) -> StoredAssessment | None:
        """Ask what is still unanswered, then review until signed: the assessment is stored then
        (finishing the draft in the same transaction). None when left at the review: nothing is
        stored, and the draft keeps every answer."""
        intake = self.intake
        interview = Interview(intake.answers, intake.prefill, intake.save, self.console,
                              self.read, fast_forward=intake.resumed, follow_up=intake.follow_up)
        if not intake.resumed or any(not answered(q, intake.answers)
                                     for q in plan(intake.answers)):
            interview.run()
        review = Review(interview, intake.save, self.console, self.read, intake.what,
                        lambda: intake.draft_id)
        intake.stored = review.run(intake.sign)
        return intake.stored
