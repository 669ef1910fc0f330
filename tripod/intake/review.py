"""The review before signing (``tripod intake``, ``tripod amend``): every answer of an intake on one
screen, by section, numbered as its question was asked (``[14/63]``), red flags answered yes shown
first. Any answer is changed by its number (asked again by the intake's own
:class:`~tripod.intake.questionnaire.Interview` and saved to the draft at once); ``s`` signs, and only
signing stores anything; ``q`` leaves the draft for ``tripod intake --resume``, which comes back here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from rich.text import Text

from engine.errors import TripodError, show_value
from engine.paths import instrument_for
from knowledge.catalog import catalog, sayer
from tripod.intake.questionnaire import Interview
from tripod.intake.questions import (
    REMEASURE,
    Question,
    answered,
    build_document,
    examination,
    follow_up,
    number,
    picked,
    plan,
    questions,
    referral_tier,
    show,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

Signed = TypeVar("Signed")

SIGN = ("s", "sign")
LEAVE = ("q", "quit")
_GAP = 2  # columns between the two panes
_PANES_FROM = 90  # a terminal this wide shows two panes when one would not fit its height


_say = sayer("review")


def numbered(steps: list[Question]) -> list[tuple[int, Question]]:
    """The planned questions with the numbers the intake showed them by (``[n/N]``): their fixed
    places among every question (``questions.number``), so a number never moves while answers
    change. The review and the questions it asks again use these, and no other."""
    return [(number(question), question) for question in steps]


def total(steps: list[Question]) -> int:
    """The N of the intake's ``[n/N]``: every question, asked or settled by earlier answers."""
    return len(questions())


@dataclass(frozen=True)
class Row:
    """One line of the review: a question, or the left and right sides of one measure."""

    label: str
    cells: tuple[tuple[int, Question] | None, ...]  # one cell, or (left, right)
    note: str = ""  # a row without an answer: what the review states (not re-assessed)


@dataclass(frozen=True)
class _Line:
    text: Text
    title: str | None = None  # the section a title line opens
    section: str = ""


def label(question: Question, answers: Mapping[str, Any]) -> str:
    """A question's label for the review: its wording without what is in brackets."""
    kb = catalog()
    if question.group:
        return kb.red_flags.groups[question.group]
    method = answers.get("hips.method")
    instrument = instrument_for(question.key, question.instrument, str(method) if method else None)
    words = question.prompt or (kb.instrument(instrument).label if instrument else question.key)
    return re.sub(r"\s*\([^)]*\)", "", words).split(", ")[0].strip()


def value_text(question: Question, answers: Mapping[str, Any]) -> Text:
    """An answer as the review shows it: ``-`` not assessed, ``?`` not answered yet, red-flag
    groups as the items answered yes (red) and unknown."""
    if not answered(question, answers):
        return Text(_say("not_answered"), style="bold red")
    if question.group:
        states = [answers[key] for key in question.keys]
        if all(s == "no" for s in states):
            return Text(_say("flags_none"))
        if all(s == "unknown" for s in states):
            return Text(_say("flags_all_unknown"), style="yellow")
        out = Text()
        for state, style in (("yes", "bold red"), ("unknown", "yellow")):
            items = " ".join(str(i) for i, s in enumerate(states, start=1) if s == state)
            if items:
                out.append(("  " if out else "") + _say(f"flags_{state}", items=items), style=style)
        return out
    value = answers[question.key]
    if value is None:
        return Text(_say("not_assessed"), style="dim")
    return Text(show(value), style="bold")


def _statements(answers: Mapping[str, Any],
                notes: Mapping[str, list[str]]) -> dict[str, list[Row]]:
    """Rows that state without asking, by section: a follow-up's examination sections not picked
    (left out of its case: not re-assessed), and what ``notes`` adds (PSFS activities not rated
    again, or new)."""
    out: dict[str, list[Row]] = {
        section: [Row(text, (None,), note=" ") for text in lines]
        for section, lines in notes.items() if lines}
    if follow_up(answers) and isinstance(answers.get(REMEASURE), list):
        chosen = picked(answers)
        out.setdefault(REMEASURE, []).extend(
            Row(s.title, (None,), note=_say_follow_up("not_reassessed"))
            for s in catalog().questions.sections if s.id in examination() and s.id not in chosen)
    return out


_say_follow_up = sayer("follow_up")


def rows(steps: list[Question], answers: Mapping[str, Any],
          notes: Mapping[str, list[str]] | None = None) -> list[tuple[str, list[Row]]]:
    """The planned questions as rows by section; the two sides of one measure share a row; then
    each section's statements (``_statements``)."""
    sections: dict[str, dict[str, list[tuple[int, Question] | None]]] = {}
    titles: dict[str, str] = {}
    for place, question in numbered(steps):
        titles[question.section.id] = question.section.title
        rows = sections.setdefault(question.section.id, {})
        if question.side is None:
            rows[question.key] = [(place, question)]
            continue
        shared = question.key.replace(f".{question.side}.", ".{side}.", 1)
        cells = rows.setdefault(shared, [None, None])
        cells[0 if question.side == "left" else 1] = (place, question)
    stated = _statements(answers, notes or {})
    out = []
    for section, rows in sections.items():
        built = []
        for cells in rows.values():
            first = next(cell for cell in cells if cell is not None)
            built.append(Row(label(first[1], answers), tuple(cells)))
        out.append((titles[section], built + stated.get(section, [])))
    return out


def _fit(text: Text, width: int) -> Text:
    fitted = text.copy()
    fitted.truncate(width, overflow="ellipsis", pad=True)
    return fitted


def _section_lines(sections: list[tuple[str, list[Row]]], answers: Mapping[str, Any],
                   width: int) -> list[_Line]:
    """Each section's title line and its rows, ``width`` columns wide."""
    sided = [value_text(c[1], answers).cell_len for _, rows in sections for row in rows
             if len(row.cells) == 2 for c in row.cells if c is not None]
    numbers = len(str(max((c[0] for _, rows in sections for row in rows for c in row.cells
                           if c is not None), default=1)))
    value = max(5, min(12, max(sided, default=5)))
    cell = numbers + 1 + value  # "NN value"
    longest = max((len(row.label) for _, rows in sections for row in rows), default=12)
    label_width = max(12, min(width - 2 * cell - 2, longest))
    lines: list[_Line] = []
    for title, rows in sections:
        head = _fit(Text(title, style="bold underline"), label_width + 1)
        if any(len(row.cells) == 2 for row in rows):
            pad = " " * (numbers + 1)
            head.append(_fit(Text(pad + _say("left"), style="bold"), cell + 1))
            head.append(_fit(Text(pad + _say("right"), style="bold"), cell))
        lines.append(_Line(head, title=title, section=title))
        for row in rows:
            if row.note:  # a statement: its words over the row, dim
                text = Text(row.label, style="dim") if row.note == " " else Text(row.label)
                if row.note != " ":
                    text = _fit(text, label_width)
                    text.append(" " + " " * (numbers + 1) + row.note, style="dim")
                lines.append(_Line(_fit(text, width), section=title))
                continue
            line = _fit(Text(row.label), label_width)
            line.append(" ")
            room = width - label_width - 1
            for index, found in enumerate(row.cells):
                part = Text()
                if found is not None:
                    number, question = found
                    part.append(f"{number:>{numbers}} ", style="dim")
                    part.append_text(value_text(question, answers))
                last = index == len(row.cells) - 1
                line.append_text(_fit(part, room if last else cell + 1))
                room -= cell + 1
            lines.append(_Line(line, section=title))
    return lines


def _panes(lines: list[_Line], width: int) -> list[Text]:
    """``lines`` in two panes side by side, split in the middle; a section cut in two repeats its
    title at the top of the right pane, and no title is left alone at the bottom of the left."""
    middle = (len(lines) + 1) // 2
    if lines[middle - 1].title is not None:
        middle -= 1
    left, right = lines[:middle], lines[middle:]
    if right and right[0].title is None:
        opening = next(line for line in lines if line.title == right[0].section)
        right = [opening, *right]
    pane = (width - _GAP) // 2
    out = []
    for index in range(max(len(left), len(right))):
        text = _fit(left[index].text if index < len(left) else Text(), pane)
        text.append(" " * _GAP)
        if index < len(right):
            text.append_text(_fit(right[index].text, pane))
        out.append(text)
    return out


def flags_yes(steps: list[Question], answers: Mapping[str, Any]) -> list[str]:
    """The red flags answered yes, each with its group's number, after a line saying whether
    signing refers out; none when no flag is yes. The review shows them first."""
    kb = catalog()
    found = [(number, kb.red_flags.flags[key.split(".", 1)[1]])
             for number, question in numbered(steps) if question.group
             for key in question.keys if answers.get(key) == "yes"]
    if not found:
        return []
    tier = referral_tier(answers)
    head = _say("flags_head") + (_say("flags_refer", tier=tier) if tier else "")
    return [head, *(_say("flag_yes", number=number, question=spec.question, tier=spec.tier)
                    for number, spec in found)]


def _flags(steps: list[Question], answers: Mapping[str, Any], width: int) -> list[Text]:
    lines = flags_yes(steps, answers)
    return [_fit(Text(line, style="bold red reverse" if index == 0 else "bold red"), width)
            for index, line in enumerate(lines)]


def screen(steps: list[Question], answers: Mapping[str, Any], what: str, draft: int | None,
           width: int, height: int,
           notes: Mapping[str, list[str]] | None = None) -> list[RenderableType]:
    """The review as lines for a terminal ``width`` by ``height``: one pane when it fits, else two."""
    client, date = answers.get("client.id"), answers.get("assessed_on")
    head = [_fit(Text(_say("title", client=show(client), date=show(date), what=what),
                      style="bold"), width)]
    head += _flags(steps, answers, width)
    keys = Text(_say("keys", draft=draft if draft is not None else "-"), style="dim")
    sections = rows(steps, answers, notes)
    chrome = len(head) + 4  # the keys, a note or problem, the prompt, a blank line
    single = _section_lines(sections, answers, min(width, 110))
    if len(single) + chrome <= height or width < _PANES_FROM:
        body = [line.text for line in single]
    else:
        body = _panes(_section_lines(sections, answers, (width - _GAP) // 2), width)
    return [*head, *body, keys]


@dataclass
class Review:
    """The review of one intake until it is signed (``sign``'s result) or left (None)."""

    interview: Interview
    save: Callable[[Mapping[str, Any]], None]
    console: Console
    read: Callable[[str], str]
    what: str
    draft: Callable[[], int | None]

    @property
    def answers(self) -> dict[str, Any]:
        return self.interview.answers

    def run(self, sign: Callable[[dict[str, Any]], Signed]) -> Signed | None:
        note: list[Text] = []
        while True:
            steps = plan(self.answers)
            self.console.print()
            visit = self.interview.follow_up
            notes = {"outcomes": visit.review_notes(self.answers)} if visit else None
            for line in screen(steps, self.answers, self.what, self.draft(), self.console.width,
                               self.console.height, notes):
                self.console.print(line, soft_wrap=False, overflow="ellipsis", no_wrap=True)
            for line in note:
                self.console.print(line)
            note = []
            text = self.read(_say("prompt")).strip()
            choice = text.lower()
            if not choice:
                continue
            if choice in LEAVE:
                return None
            if choice in SIGN:
                pending = [str(n) for n, q in numbered(steps) if not answered(q, self.answers)]
                if pending:
                    note = [self._problem(
                        f"review: sign = not yet: question {', '.join(pending)} not answered; "
                        "allowed once each question is answered (type its number)")]
                    continue
                try:
                    return sign(build_document(self.answers, self.interview.prefill))
                except TripodError as exc:  # the case as a whole refused: say why, review again
                    note = [self._problem(line) for line in str(exc).splitlines()]
                    continue
            shown = dict(numbered(steps))
            if text.isascii() and text.isdigit() and int(text) in shown:
                note = self._change(steps, int(text), shown[int(text)])
                continue
            note = [self._problem(f"review: answer = {show_value(text)}: allowed a number shown "
                                  f"({min(shown)} to {max(shown)}), s (sign) or q (leave)")]

    @staticmethod
    def _problem(line: str) -> Text:
        return Text(f"✗ {line}", style="red")

    def _change(self, steps: list[Question], number: int, question: Question) -> list[Text]:
        """Ask ``question`` (numbered ``number``) again, save the answer, then ask what the change
        newly plans (a thigh-foot angle once the tibia is no longer external); what was said."""
        before = value_text(question, self.answers)
        given = self.interview.ask(question, number, total(steps))
        if given is None:  # back: nothing changed
            return [Text(_say("unchanged", number=number, label=label(question, self.answers)))]
        self.save(given)
        self.answers.update(given)
        said = [Text(_say("changed", number=number, label=label(question, self.answers),
                          old=before.plain, new=value_text(question, self.answers).plain),
                     style="green")]
        while True:
            now = plan(self.answers)
            pending = [(n, q) for n, q in numbered(now) if not answered(q, self.answers)]
            if not pending:
                return said
            at, asked = pending[0]
            more = self.interview.ask(asked, at, total(now))
            if more is None:  # back: it stays unanswered, and the review says so
                return said
            self.save(more)
            self.answers.update(more)
