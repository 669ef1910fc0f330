"""The intake questionnaire: ``tripod intake`` asks a case file's questions in the terminal.

It builds a ``tripod-case/2`` case one answer at a time, then hands it to the engine as a case file
would be. Which questions, in which order, and how an answer is read and checked is
``tripod/intake/questions.py`` (red flags: ``flags.py``); what is shown beside a question and what
``?`` says is ``help.py``; scoring a total item by item is ``items.py``. This is :class:`Interview`,
the terminal loop. One intake against the record store is ``tripod/intake/session.py``, which
commits every accepted answer to the store's draft at once: Ctrl-C, a closed terminal or ``kill -9``
loses nothing, and ``--resume`` continues where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text

from knowledge.catalog import catalog, messages
from tripod.intake import help as shown_help
from tripod.intake.answering import Answering
from tripod.intake.flags import YES, top_tier
from tripod.intake.items import score_items
from tripod.intake.questions import (
    BACK,
    HELP,
    ITEMS,
    MISSING,
    Question,
    answered,
    build_document,
    check,
    number,
    plan,
    pregnant,
    questions,
    referral_tier,
    show,
)

if TYPE_CHECKING:
    from tripod.intake.follow_up import FollowUp

# -- the terminal loop ---------------------------------------------------------------------------


@dataclass
class Interview:
    """Asks the planned questions in the terminal, saving each accepted answer through ``save``."""

    answers: dict[str, Any]
    prefill: dict[str, Any]
    save: Callable[[Mapping[str, Any]], None]
    console: Console
    read: Callable[[str], str] = input
    fast_forward: bool = False
    follow_up: FollowUp | None = None  # the last visit a follow-up bounds its answers by
    _section: str | None = field(default=None, init=False)

    def run(self) -> dict[str, Any]:
        """Ask until every planned question is answered; returns the case document.

        Each question shows its place among every question (``[n/N]``): N never changes, and a
        question an earlier answer makes unnecessary is passed over as settled.
        """
        words = catalog().questions.messages
        self.console.print(Text(words.welcome, style="bold"))
        self.console.print(Text(words.keys, style="dim"))
        total = len(questions())
        position = 0
        while True:
            steps = plan(self.answers)
            if position >= len(steps):
                break
            question = steps[position]
            if self.fast_forward and answered(question, self.answers):
                position += 1
                continue
            self.fast_forward = False
            given = self.ask(question, number(question), total)
            if given is None:
                if position == 0:
                    self.console.print(Text(messages().say("intake.first_question"),
                                            style="yellow"))
                position = max(0, position - 1)
                continue
            before = dict(self.answers)
            self.save(given)
            self.answers.update(given)
            position += 1
            self._notes(before)
        self.console.print()
        self.console.print(Text(self._done(), style="bold"))
        return build_document(self.answers, self.prefill)

    def _done(self) -> str:
        """What happened, truthfully: every question answered, or a referral that ended them."""
        tier = referral_tier(self.answers)
        if tier is None:
            return catalog().questions.messages.done
        if tier != top_tier():
            return messages().say("intake.done_referred")
        planned = plan(self.answers)
        skipped = [q for q in questions() if q.group and q not in planned and not (
            q.group == "pregnancy" and self.answers.get("client.sex") == "male")]
        count = sum(len(q.items) for q in skipped)
        return messages().say("intake.done_referred_top", count=count,
                              s="" if count == 1 else "s")

    def _notes(self, before: Mapping[str, Any]) -> None:
        """Say when an answer changed what will be asked: a referral, a pregnancy."""
        words = catalog().questions.messages
        tier = referral_tier(self.answers)
        if tier is not None and tier != referral_tier(before):
            message = words.referral_top if tier == top_tier() else words.referral
            self.console.print(Padding(Text(message, style="bold red"), (0, 0, 0, 2)))
        if pregnant(self.answers) and not pregnant(before):
            self.console.print(Padding(Text(words.pregnant, style="yellow"), (0, 0, 0, 2)))

    # -- one question --

    def _header(self, question: Question) -> None:
        if question.section.id == self._section:
            return
        self._section = question.section.id
        self.console.print()
        self.console.print(Rule(Text(question.section.title, style="bold"), align="left"))
        self.console.print(Text(question.section.intro, style="dim"))

    @property
    def answering(self) -> Answering:
        """How an answer is read against this intake's answers (``tripod/intake/answering.py``)."""
        return Answering(self.answers, self.prefill, self.follow_up, items=True)

    def default(self, question: Question) -> Any:
        """The value Enter accepts (:meth:`Answering.default`)."""
        return self.answering.default(question)

    def ask(self, question: Question, number: int, total: int) -> dict[str, Any] | None:
        """One question until a valid answer (returned as draft keys) or ``back`` (None). A red
        flag answered yes counts only once confirmed; anything else asks its group again."""
        self._header(question)
        if self.follow_up is not None and self.follow_up.asks(question):
            self._show(question, number, total)
            return self.follow_up.ask_psfs(self, question)
        self._show(question, number, total)
        while True:
            text = self.read("> ").strip()
            outcome = self._interpret(question, text)
            if isinstance(outcome, list):
                for line in outcome:
                    self.console.print(Padding(Text(f"✗ {line}", style="red"), (0, 0, 0, 2)))
                continue
            if outcome is not None and question.group and not self._confirmed(question, text):
                self.console.print(Padding(Text(messages().say("intake.confirm_refused"),
                                                style="yellow"), (0, 0, 0, 2)))
                self._show(question, number, total)
                continue
            if outcome == {} and question.helper and text.lower() == ITEMS:
                self._show(question, number, total)  # back or skip from the items: ask the total
                continue
            return outcome

    def _show(self, question: Question, number: int, total: int) -> None:
        self.console.print()
        default = self.default(question)
        if question.group:
            shown_default = None if default is MISSING else str(default)
            for part in shown_help.group_table(question, number, total, shown_default):
                self.console.print(part)
            return
        self.console.print(shown_help.field_line(
            question, number, total, self.answering.label(question), self._allowed(question),
            None if default is MISSING else show(default)))
        if question.kind == "sections":
            for line in shown_help.sections_list(question):
                self.console.print(Padding(line, (0, 0, 0, 3)))
        for line in self.follow_up.lines(question) if self.follow_up else ():
            self.console.print(line)

    def _confirmed(self, question: Question, text: str) -> bool:
        """True when no question was answered yes, or the practitioner typed yes to confirm."""
        states = self.answering.to_confirm(question, text)
        if states is None:
            return True
        for line in shown_help.confirmation(question.items, states):
            self.console.print(Padding(line, (0, 0, 0, 2)))
        return self.read(messages().say("intake.confirm_prompt")).strip().lower() == YES

    def _interpret(self, question: Question, text: str) -> dict[str, Any] | None | list[str]:
        """The answer as draft keys, None for back, or the lines to show before asking again
        (``{}`` after items that were not all scored)."""
        lowered = text.lower()
        if lowered == BACK:
            return None
        if lowered == HELP:
            self.help(question)
            return []
        if lowered == ITEMS and question.helper:
            total = score_items(question, self.read, self.console)
            if total is None:
                return {}
            return check(question, total) or {question.key: total}
        reading = self.answering.read(question, text)
        if reading.values is None:
            return list(reading.problems)
        if reading.recorded is not None:
            # An abbreviation was expanded (l -> lost): say what was recorded.
            self.console.print(Text(f"  = {reading.recorded}", style="green"))
        return reading.values

    def _instrument(self, question: Question) -> str | None:
        return self.answering.instrument(question)

    def _allowed(self, question: Question) -> str:
        return self.answering.allowed(question)

    def help(self, question: Question) -> None:
        if question.group:
            lines = shown_help.group_help(question)
        else:
            lines = shown_help.field_help(question, self._instrument(question),
                                          self._allowed(question))
        for line in lines:
            self.console.print(Padding(line, (0, 0, 0, 2)))
