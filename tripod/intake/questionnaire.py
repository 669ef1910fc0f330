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

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text

from engine.paths import instrument_for
from knowledge.catalog import catalog, messages
from tripod.intake import help as shown_help
from tripod.intake.flags import YES, parse_items, top_tier
from tripod.intake.items import score_items
from tripod.intake.questions import (
    BACK,
    HELP,
    ITEMS,
    MISSING,
    SKIP,
    Question,
    TooLong,
    Unreadable,
    answered,
    build_document,
    check,
    number,
    parse,
    parse_flags,
    plan,
    pregnant,
    questions,
    referral_tier,
    show,
    show_flags,
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

    def default(self, question: Question) -> Any:
        """The value Enter accepts: the answer already given, else the pre-filled one (a field the
        case file left out: not assessed), else today's date for the date, else the question's own
        default (an initial visit)."""
        if question.group:
            source = self.answers if answered(question, self.answers) else self.prefill
            if all(key in source for key in question.keys):
                return show_flags(question, source)
            return MISSING
        for source in (self.answers, self.prefill):
            if question.key in source:
                return source[question.key]
        if question.kind == "date":
            return dt.date.today().isoformat()
        if self.prefill and not question.required:
            return None  # left out of the case file it was pre-filled from: not assessed
        if question.default is not None:
            return question.default
        return MISSING

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
        instrument = self._instrument(question)
        spec = catalog().instrument(instrument) if instrument else None
        label = question.prompt or (spec.label if spec else question.key)
        self.console.print(shown_help.field_line(
            question, number, total, label, self._allowed(question),
            None if default is MISSING else show(default)))
        if question.kind == "sections":
            for line in shown_help.sections_list(question):
                self.console.print(Padding(line, (0, 0, 0, 3)))
        for line in self.follow_up.lines(question) if self.follow_up else ():
            self.console.print(line)

    def _confirmed(self, question: Question, text: str) -> bool:
        """True when no question was answered yes, or the practitioner typed yes to confirm."""
        states = parse_items(question, text or str(self.default(question)))
        if isinstance(states, str) or YES not in states:
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
        default = self.default(question)
        if not text:
            if default is not MISSING and question.group:
                text = default
            elif default is not MISSING:
                problems = (self.follow_up.problems(question, default) if self.follow_up
                            else []) or check(question, default)
                return problems or {question.key: default}
            elif question.kind == "text" and not question.required:
                return {question.key: None}
            else:
                return [messages().say("intake.needed")]
        if question.group:
            flags = parse_flags(question, text)
            return [flags] if isinstance(flags, str) else dict(flags)
        try:
            value = None if lowered == SKIP else (
                self.follow_up.parse(question, text) if self.follow_up else parse(question, text))
        except TooLong:
            shown = text if len(text) <= 60 else text[:57] + "..."
            return [f"{question.key} = {shown}: allowed {self._allowed(question)}"]
        except Unreadable as exc:
            return [str(exc)]
        # A follow-up's own bound says more than the case file's check (the constraints the last
        # visit gave, not every constraint there is).
        problems = (self.follow_up.problems(question, value) if self.follow_up else []) \
            or check(question, value)
        if problems:
            return [p.replace(" = (missing): required", " = skip: required, cannot be skipped")
                    for p in problems]
        if value is not None and show(value) != text:
            # An abbreviation was expanded (l -> lost): say what was recorded.
            self.console.print(Text(f"  = {show(value)}", style="green"))
        return {question.key: value}

    def _instrument(self, question: Question) -> str | None:
        method = self.answers.get("hips.method")
        return instrument_for(question.key, question.instrument, str(method) if method else None)

    def _allowed(self, question: Question) -> str:
        bounded = self.follow_up.allowed(question) if self.follow_up else None
        return bounded or shown_help.allowed(question, self._instrument(question))

    def help(self, question: Question) -> None:
        if question.group:
            lines = shown_help.group_help(question)
        else:
            lines = shown_help.field_help(question, self._instrument(question),
                                          self._allowed(question))
        for line in lines:
            self.console.print(Padding(line, (0, 0, 0, 2)))
