"""One intake against the record store (``tripod intake``): new, pre-filled from a case file, or a
resumed draft. The questions are asked by :class:`~tripod.intake.questionnaire.Interview`; every
accepted answer is committed to the store's draft at once, so Ctrl-C, a closed terminal or
``kill -9`` loses nothing, and ``--resume`` continues where it stopped. Assessing and storing go
through the screening service (``tripod/service.py``).
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from engine.intake import Case
from tripod.intake.questionnaire import Interview
from tripod.intake.questions import finish, prefill_from

if typing.TYPE_CHECKING:  # the store imports SQLAlchemy; the questions themselves do not need it
    from storage.records import StoredAssessment
    from storage.store import Store


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

    @classmethod
    def resume(cls, store: Store, draft_id: int, console: Console,
               read: Callable[[str], str] = input) -> Session:
        session = cls(store, console, read, draft_id=draft_id, resumed=True)
        for key, answer in store.draft_answers(draft_id).items():
            (session.prefill if answer.prefill else session.answers)[key] = answer.value
        return session

    @classmethod
    def prefilled(cls, store: Store, case: Case, source: str, console: Console,
                  read: Callable[[str], str] = input) -> Session:
        session = cls(store, console, read, prefill=prefill_from(case), source=source)
        session.draft_id = store.new_draft(source)
        store.save_answers(session.draft_id, session.prefill, prefill=True)
        return session

    def save(self, answers: Mapping[str, Any]) -> None:
        if self.draft_id is None:
            self.draft_id = self.store.new_draft(self.source)
        self.store.save_answers(self.draft_id, answers)

    def run(self) -> StoredAssessment:
        """Ask every planned question, assess the case and store the assessment (finishing the
        draft in the same transaction)."""
        from tripod import service

        interview = Interview(self.answers, self.prefill, self.save, self.console, self.read,
                              fast_forward=self.resumed)
        case = finish(interview.run())
        self.stored = service.keep(self.store, service.screen(case), draft_id=self.draft_id)
        return self.stored
