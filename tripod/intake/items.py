"""Scoring a total item by item: the FPI-6's six items, the LEFS's twenty.

Typed ``items`` at a total that has a helper (``questions.yaml``, ``helpers``), the intake asks each
item in turn, checks it against the helper's item range and gives back the sum, which is then
checked and saved as the total would be when typed. The items themselves are a calculator: the
case file holds the total (contract.md), so only the total is saved. ``back`` returns to the
previous item (from the first, to the total's question); ``skip`` leaves the items unscored, as an
item that cannot be judged leaves the FPI-6 (instruments.md section 1).

The web intake and the JSON API score the items on one screen (``Answering.read_items``): each
item's score read and summed by the same functions as here, and the scores kept in the draft
beside the total (``items_key``, a draft key and no case-file field), so a resumed intake shows
them; a partly scored total keeps its scores and waits for the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from engine.errors import show_value
from engine.forms import number_from_text
from knowledge.catalog import catalog, messages
from knowledge.wording import ItemHelper
from tripod.intake.questions import BACK, ITEMS, SKIP, Question


def helper_of(question: Question) -> ItemHelper:
    """The items a total is scored by (``questions.yaml``, ``helpers``)."""
    return catalog().questions.helpers[question.helper or ""]


def items_key(question: Question) -> str:
    """The draft key holding a total's item scores (None for an item not scored yet)."""
    return f"{ITEMS}:{question.key}"


def shown_score(score: int, helper: ItemHelper) -> str:
    """An item's score as the scale writes it: signed where the scale has negative scores."""
    return f"{score:+d}" if helper.min < 0 and score else str(score)


def items_total(scores: Sequence[int]) -> int:
    """The total the items give: their sum (the FPI-6, the LEFS)."""
    return sum(scores)


def saved_scores(question: Question, answers: dict[str, Any]) -> list[int | None] | None:
    """The item scores the draft holds for ``question``, while they still give its total (or it
    waits for them); None when none are kept, or the total was typed since."""
    scores = answers.get(items_key(question))
    if not isinstance(scores, list) or len(scores) != len(helper_of(question).labels()):
        return None
    if None not in scores and answers.get(question.key) != items_total(scores):
        return None
    return scores


def item_problem(question: Question, index: int, text: str, key: str) -> str:
    """The one-line problem of item ``index`` typed ``text`` (message ``key``), naming the
    item, the value and the range."""
    helper = helper_of(question)
    shown = text if len(text) <= 60 else text[:57] + "..."
    typed = _typed_number(shown)
    return messages().say(key, field=question.key, index=index, label=helper.labels()[index - 1],
                          value=typed if typed is not None else show_value(shown),
                          low=helper.min, high=helper.max)


def item_score(text: str, helper: ItemHelper) -> int | None:
    """An item's score, or None when it is no whole number in the helper's range."""
    try:
        value = number_from_text(text)
    except ValueError:  # more digits than Python reads: out of any item's range
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if helper.min <= value <= helper.max else None


def _typed_number(text: str) -> str | None:
    """A whole number as typed, shown unquoted as a number answer is; None for anything else."""
    try:
        value = number_from_text(text)
    except ValueError:
        return None
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def score_items(question: Question, read: Callable[[str], str], console: Console) -> int | None:
    """The sum of the items, asked one by one; None when the practitioner went back or skipped."""
    helper = helper_of(question)
    say = messages().say
    labels = helper.labels()
    console.print(Padding(Text(f"{helper.title}: {helper.scale}", style="bold"), (0, 0, 0, 2)))
    if helper.note:
        console.print(Padding(Text(helper.note, style="dim"), (0, 0, 0, 2)))
    scores: list[int] = []
    while len(scores) < len(labels):
        index = len(scores) + 1
        console.print(Text(say("intake.item_prompt", index=index, count=len(labels),
                               label=labels[index - 1], low=f"{helper.min:+d}" if helper.min < 0
                               else helper.min, high=f"{helper.max:+d}" if helper.min < 0
                               else helper.max)))
        text = read("> ").strip()
        if text.lower() == BACK:
            if not scores:
                return None
            scores.pop()
            continue
        if text.lower() == SKIP:
            console.print(Text(say("intake.items_skipped", items=ITEMS), style="yellow"))
            return None
        score = item_score(text, helper)
        if score is None:
            problem = item_problem(question, index, text, "intake.item_bad")
            console.print(Padding(Text(f"✗ {problem}", style="red"), (0, 0, 0, 2)))
            continue
        scores.append(score)
    total = items_total(scores)
    items = " ".join(shown_score(s, helper) for s in scores)
    console.print(Text(say("intake.items_total", total=total, items=items), style="green"))
    return total
