"""The intake questionnaire: ``tripod intake`` asks a case file's questions in the terminal.

It builds a ``tripod-case/1`` case one answer at a time, then hands it to the engine as a case file
would be. Which questions, in which order, and how an answer is read and checked is
``tripod/intake/questions.py``; this is :class:`Interview`, the terminal loop. One intake against the
record store is ``tripod/intake/session.py``, which commits every accepted answer to the store's draft
at once: Ctrl-C, a closed terminal or ``kill -9`` loses nothing, and ``--resume`` continues where it
stopped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from engine.paths import instrument_for
from knowledge.catalog import catalog, messages
from knowledge.clinical import TIER_RANK
from tripod.intake.questions import (
    BACK,
    HELP,
    MISSING,
    SKIP,
    Question,
    TooLong,
    answered,
    build_document,
    check,
    parse,
    parse_flags,
    plan,
    pregnant,
    referral_tier,
    show,
    show_flags,
)

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
    _section: str | None = field(default=None, init=False)

    def run(self) -> dict[str, Any]:
        """Ask until every planned question is answered; returns the case document."""
        words = catalog().questions.messages
        self.console.print(Text(words.welcome, style="bold"))
        self.console.print(Text(words.keys, style="dim"))
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
            given = self.ask(question, position + 1, len(steps))
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
        self.console.print(Text(words.done, style="bold"))
        return build_document(self.answers, self.prefill)

    def _notes(self, before: Mapping[str, Any]) -> None:
        """Say when an answer changed what will be asked: a referral, a pregnancy."""
        words = catalog().questions.messages
        tier = referral_tier(self.answers)
        if tier is not None and tier != referral_tier(before):
            top = tier == max(TIER_RANK, key=TIER_RANK.__getitem__)
            message = words.referral_top if top else words.referral
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
        case file left out: not assessed), else today's date for the date."""
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
        return MISSING

    def ask(self, question: Question, number: int, total: int) -> dict[str, Any] | None:
        """One question until a valid answer (returned as draft keys) or ``back`` (None)."""
        self._header(question)
        self.console.print()
        if question.group:
            self._show_group(question, number, total)
        else:
            self._show_field(question, number, total)
        while True:
            text = self.read("> ").strip()
            outcome = self._interpret(question, text)
            if isinstance(outcome, list):
                for line in outcome:
                    self.console.print(Padding(Text(f"✗ {line}", style="red"), (0, 0, 0, 2)))
                continue
            return outcome

    def _interpret(self, question: Question, text: str) -> dict[str, Any] | None | list[str]:
        """The answer as draft keys, None for back, or the lines to show before asking again."""
        lowered = text.lower()
        if lowered == BACK:
            return None
        if lowered == HELP:
            self._help(question)
            return []
        default = self.default(question)
        if not text:
            if default is not MISSING and question.group:
                text = default
            elif default is not MISSING:
                problems = check(question, default)
                return problems or {question.key: default}
            elif question.kind == "text" and not question.required:
                return {question.key: None}
            else:
                return ["an answer is needed: a value, skip, back or ? (help)"]
        if question.group:
            flags = parse_flags(question, text)
            return [flags] if isinstance(flags, str) else dict(flags)
        try:
            value = None if lowered == SKIP else parse(question, text)
        except TooLong:
            shown = text if len(text) <= 60 else text[:57] + "..."
            return [f"{question.key} = {shown}: allowed {self._allowed(question)}"]
        problems = check(question, value)
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

    def _show_field(self, question: Question, number: int, total: int) -> None:
        kb = catalog()
        instrument = self._instrument(question)
        spec = kb.instrument(instrument) if instrument else None
        label = question.prompt or (spec.label if spec else question.key)
        line = Text(f"[{number}/{total}] ", style="dim")
        line.append(label, style="bold")
        if question.side:
            line.append(f" · {question.side}", style="bold cyan")
        line.append(f"  ({self._allowed(question)})", style="dim")
        default = self.default(question)
        if default is not MISSING:
            line.append(f"  [{show(default)}]", style="green")
        self.console.print(line)

    def _allowed(self, question: Question) -> str:
        instrument = self._instrument(question)
        if question.kind in ("integer", "number") and instrument:
            return catalog().instrument(instrument).range_text()
        if question.kind == "enum":
            return " / ".join(question.choices)
        if question.kind == "multi":
            return "any of " + ", ".join(question.choices) + "; several with commas"
        if question.kind == "date":
            return "YYYY-MM-DD or today"
        return "text" if question.required else "text, Enter for none"

    def _show_group(self, question: Question, number: int, total: int) -> None:
        kb = catalog()
        line = Text(f"[{number}/{total}] ", style="dim")
        line.append(kb.red_flags.groups[question.group or ""], style="bold")
        self.console.print(line)
        items = Table.grid(padding=(0, 1))
        items.add_column(justify="right", style="bold")
        items.add_column(ratio=1)
        items.add_column()
        for index, flag in enumerate(question.flags, start=1):
            spec = kb.red_flags.flags[flag]
            items.add_row(str(index), spec.question,
                          Text(spec.tier, style="red" if spec.tier == "emergency" else "yellow"))
        self.console.print(Padding(items, (0, 0, 0, 1)))
        prompt = Text(question.prompt or "", style="bold")
        prompt.append(f"  {question.section.keys}", style="dim")
        default = self.default(question)
        if default is not MISSING:
            prompt.append(f"  [{default}]", style="green")
        self.console.print(prompt)

    def _help(self, question: Question) -> None:
        kb = catalog()
        say = messages().say
        lines: list[Text] = []
        if question.group:
            for index, flag in enumerate(question.flags, start=1):
                red_flag = kb.red_flags.flags[flag]
                lines.append(Text(f"{index}  {flag}  [{red_flag.tier}; {red_flag.effect}]",
                                  style="bold"))
                if red_flag.tier_note:
                    lines.append(Text(f"   {red_flag.tier_note}"))
                if red_flag.combine_with:
                    lines.append(Text(say("intake.counts_with",
                                          flags=", ".join(red_flag.combine_with))))
                lines.append(Text(say("intake.flag_sources", sources=", ".join(red_flag.sources)),
                                  style="dim"))
            if question.how:
                lines.append(Text(question.how, style="dim"))
        elif (instrument := self._instrument(question)) is None:
            lines.append(Text(question.how or question.key))
            lines.append(Text(f"{question.key}: {self._allowed(question)}", style="dim"))
        else:
            spec = kb.instrument(instrument)
            lines.append(Text(f"{spec.label} ({instrument}): {self._allowed(question)}",
                              style="bold"))
            lines.append(Text(say("intake.how", how=spec.how)))
            lines.append(Text(say("intake.normal", normal=spec.normal, status=spec.status,
                                  reliability=spec.reliability)))
            lines.append(Text(say("intake.sources", sources=", ".join(spec.sources)), style="dim"))
        for line in lines:
            self.console.print(Padding(line, (0, 0, 0, 2)))
