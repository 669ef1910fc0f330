"""What the intake shows beside a question: the question line, a red-flag group's table, what ``?``
says, and the confirmation a red flag answered yes needs before it counts.

``?`` says why a question is asked: how it is measured and its norms, and which conclusions its
answer can change, in words (the findings, root causes and constraints the rules that read it
conclude: ``knowledge/rules/reach.py``, titled from ``texts.yaml``). On a red-flag group it gives
each question's tier and what a yes does, in words, and the sources as author and year. Wording is
``messages.yaml`` (``intake``), ``questions.yaml`` and the knowledge files; nothing here reads an
answer or saves one: that is ``tripod/intake/questionnaire.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from engine.visit import PSFS_ACTIVITIES, VISIT_SECTIONS
from knowledge.catalog import catalog, messages
from tripod.intake.flags import YES, FlagItem
from tripod.intake.questions import ENTRY, ITEMS, SCORE, Question

# How a citation names its first author and year, for a sources line in words.
_KEY = re.compile(r"([A-Z]+)_?([0-9]{4})[A-Z_]*")
_YEAR = re.compile(r"\b(1[89][0-9]{2}|20[0-9]{2})\b")


def allowed(question: Question, instrument: str | None, *, items: bool = True) -> str:
    """What an answer may be, in a few words; ``items``: the front end scores a total item by
    item (the terminal does), so the words offer it."""
    say = messages().say
    if question.kind in ("integer", "number") and instrument:
        text = catalog().instrument(instrument).range_text()
        if question.helper and items:
            helper = catalog().questions.helpers[question.helper]
            text += say("intake.items_offer", items=ITEMS, count=len(helper.labels()))
        return text
    if question.kind == "enum":
        return " / ".join(question.choices)
    if question.kind == "multi":
        return say("intake.multi_allowed", choices=", ".join(question.choices))
    if question.kind == "activities":
        spec = catalog().instrument("psfs_score")
        return say("intake.activities_allowed", most=PSFS_ACTIVITIES, score=SCORE, entry=ENTRY,
                   range=spec.range_text())
    if question.kind == "date":
        return "YYYY-MM-DD or today"
    if question.kind == "sections":
        return question.section.keys or ""
    return "text" if question.required else "text, Enter for none"


def field_line(question: Question, number: int, total: int, label: str, allowed_text: str,
               default: str | None) -> Text:
    line = Text(f"[{number}/{total}] ", style="dim")
    line.append(label, style="bold")
    if question.side:
        line.append(f" · {question.side}", style="bold cyan")
    line.append(f"  ({allowed_text})", style="dim")
    if default is not None:
        line.append(f"  [{default}]", style="green")
    return line


def sections_list(question: Question) -> list[Text]:
    """The examination sections a follow-up picks from, numbered by position."""
    titles = {s.id: s.title for s in catalog().questions.sections}
    return [Text(f"{index} {titles[section]}")
            for index, section in enumerate(question.choices, start=1)]


def _tier_style(tier: str) -> str:
    return "red" if tier == "emergency" else "yellow"


def group_table(question: Question, number: int, total: int, default: str | None) -> list[object]:
    """A red-flag group as the practitioner reads it: its title, numbered questions with their
    tier, and the prompt with the keys."""
    kb = catalog()
    line = Text(f"[{number}/{total}] ", style="dim")
    line.append(kb.red_flags.groups[question.group or ""], style="bold")
    items = Table.grid(padding=(0, 1))
    items.add_column(justify="right", style="bold")
    items.add_column(ratio=1)
    items.add_column()
    for index, item in enumerate(question.items, start=1):
        items.add_row(str(index), item.question, Text(item.tier, style=_tier_style(item.tier)))
    prompt = Text(question.prompt or "", style="bold")
    prompt.append(f"  {question.section.keys}", style="dim")
    if default is not None:
        prompt.append(f"  [{default}]", style="green")
    return [line, Padding(items, (0, 0, 0, 1)), prompt]


def _short(text: str, width: int = 48) -> str:
    """A question cut to its first words, for naming it beside another."""
    text = text.split("?")[0]
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + "..."


def what_yes_does(flag: str, *, action: bool = True) -> str:
    """What a yes to ``flag`` does, in words: its referral and tier (with what to do, when
    ``action``), what it counts with, or the precaution it is."""
    kb = catalog()
    spec = kb.red_flags.flags[flag]
    say = messages().say
    urgency = kb.report_texts.urgency[spec.tier]
    if spec.effect == "precaution":
        text = say("intake.yes_precaution")
    elif spec.effect == "combine":
        partners = "; ".join(_short(kb.red_flags.flags[o].question) for o in spec.combine_with)
        text = say("intake.yes_combines", partners=partners)
    else:
        text = say("intake.yes_refers", action=urgency.practitioner if action else "")
    return f"{text.rstrip()} {spec.tier_note}" if spec.tier_note else text.rstrip()


def author_year(key: str) -> str:
    """A source key as its first author (or body) and year, from the bibliography."""
    source = catalog().sources.get(key)
    match = _KEY.fullmatch(key)
    if source is not None:
        author = re.split(r"[,.]", source.citation, maxsplit=1)[0].strip()
        author = re.sub(r"\s+[A-Z]{1,3}$", "", author)  # "Bigos S" -> "Bigos"
        year = _YEAR.search(source.citation)
        if len(author) <= 40 and year:
            return f"{author} {year[1]}"
    return f"{match[1].capitalize()} {match[2]}" if match else key


def sources_line(keys: Sequence[str]) -> Text:
    words = ", ".join(dict.fromkeys(author_year(k) for k in keys))
    return Text(messages().say("intake.sources", sources=words), style="dim")


def _title(identifier: str) -> str:
    return catalog().texts.title(identifier)


def changes_line(key: str) -> Text | None:
    """Which conclusions the answer at ``key`` can change, in words; that it changes none for what
    the client says and the outcome measures; None for what a rule reads otherwise (the client's
    details, the hips' position)."""
    from knowledge.rules.reach import could_change  # loads the rule base: only on ``?``

    say = messages().say
    watched = next((w for w in catalog().observations if key in w.paths()), None)
    if watched is not None:
        titles = "; ".join(_title(i) for i in could_change(watched.path))
        return Text(say("intake.changes", what=titles))
    if key.split(".")[0] in VISIT_SECTIONS:
        return Text(say("intake.changes_none"))
    return None


def group_help(question: Question) -> list[Text]:
    """``?`` on a red-flag group: each question, its tier and what a yes does, in words; a
    question asked once for several flags names what each of them means."""
    lines: list[Text] = []
    kb = catalog()
    for index, item in enumerate(question.items, start=1):
        lines.append(Text(f"{index}. {item.question}", style="bold"))
        lines.extend(_flag_lines(item, action=False))
    keys = [s for item in question.items for f in item.flags for s in kb.red_flags.flags[f].sources]
    lines.append(sources_line(keys))
    if question.how:
        lines.append(Text(question.how, style="dim"))
    return lines


def field_help(question: Question, instrument: str | None, allowed_text: str, *,
               items: bool = True) -> list[Text]:
    """``?`` on a field: how to measure it, its normal band, what it can change, its sources;
    ``items``: how to score a total item by item at the terminal (the web shows the items)."""
    say = messages().say
    lines: list[Text] = []
    if instrument is None:
        lines.append(Text(question.how or question.key))
        lines.append(Text(f"{question.key}: {allowed_text}", style="dim"))
        changes = changes_line(question.key)
        return [*lines, changes] if changes else lines
    spec = catalog().instrument(instrument)
    lines.append(Text(f"{spec.label}: {allowed_text}", style="bold"))
    lines.append(Text(say("intake.how", how=question.how or spec.how)))
    lines.append(Text(say("intake.normal", normal=spec.normal, status=spec.status,
                          reliability=spec.reliability)))
    changes = changes_line(question.key)
    if changes:
        lines.append(changes)
    if question.helper and items:
        helper = catalog().questions.helpers[question.helper]
        lines.append(Text(say("intake.items_help", items=ITEMS, title=helper.title,
                              scale=helper.scale)))
        if helper.note:
            lines.append(Text(helper.note, style="dim"))
    lines.append(sources_line(spec.sources))
    return lines


def _flag_lines(item: FlagItem, *, action: bool) -> list[Text]:
    """What a yes to one question does, each flag it answers named when there are several, each
    sentence once."""
    kb = catalog()
    lines: dict[str, Text] = {}
    for flag in item.flags:
        spec = kb.red_flags.flags[flag]
        if len(item.flags) > 1 or item.question != spec.question:
            named = messages().say("intake.answers_flag", group=kb.red_flags.groups[spec.group],
                                   question=spec.question)
            lines[named] = Text(named, style="dim")
    for flag in item.flags:
        spec = kb.red_flags.flags[flag]
        said = f"   {kb.report_texts.urgency[spec.tier].title}: {what_yes_does(flag, action=action)}"
        lines[said] = Text(said, style=_tier_style(spec.tier))
    return list(lines.values())


def confirmation(items: Sequence[FlagItem], states: Sequence[str]) -> list[Text]:
    """What a red flag answered yes does, item by item, before it is confirmed."""
    lines = [Text(messages().say("intake.confirm_head"), style="bold red")]
    for index, (item, state) in enumerate(zip(items, states, strict=True), start=1):
        if state == YES:
            lines.append(Text(f"{index}. {item.question}", style="bold"))
            lines.extend(_flag_lines(item, action=True))
    return lines
