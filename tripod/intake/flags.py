"""The intake's red-flag questions: which questions each group asks, and how one group's answer
gives the answer of each flag.

A red flag is a field of the case file (``red_flags.yaml``); what the intake *asks* is a question,
and the two are not always one to one. A question several flags ask (long-term steroid use) is asked
once (``questions.yaml``, ``shared``) and its answer is the answer of each flag it names; a flag also
asked by its own question (``reworded``: what is left of it) is yes when either question is yes,
unknown when neither is yes and one is unknown, and no otherwise. So one answer never says yes to a
flag and no to the same question elsewhere. Nothing here talks to a terminal or a database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from engine.errors import show_value
from knowledge.catalog import catalog
from knowledge.clinical import TIER_RANK

if TYPE_CHECKING:
    from tripod.intake.questions import Question

RED_FLAGS = "red_flags"
SKIP = "skip"
YES, NO, UNKNOWN = "yes", "no", "unknown"


@dataclass(frozen=True)
class FlagItem:
    """One numbered question of a red-flag group and the flags its answer answers."""

    question: str
    flags: tuple[str, ...]

    @property
    def tier(self) -> str:
        """The highest tier among the flags it answers."""
        tiers = [catalog().red_flags.flags[f].tier for f in self.flags]
        return max(tiers, key=TIER_RANK.__getitem__)


def _section() -> Any:
    return next(s for s in catalog().questions.sections if s.id == RED_FLAGS)


@cache
def group_items(group: str) -> tuple[FlagItem, ...]:
    """The questions a group asks, in order: each flag of the group by its own question (or its
    reworded one), a shared question just before the first of its flags the group holds (at the
    group's start when it holds none), and no flag whose only question is shared."""
    kb = catalog()
    section = _section()
    shared = [s for s in section.shared if s.group == group]
    only_shared = {f for s in section.shared for f in s.flags if f not in section.reworded}
    unknown = {f for s in section.shared for f in s.flags} | set(section.reworded)
    if unknown - set(kb.red_flags.flags):
        raise KeyError(f"questions.yaml names unknown red flags {sorted(unknown - set(kb.red_flags.flags))}")
    items: list[FlagItem] = []
    placed: set[int] = set()
    for flag, spec in kb.red_flags.flags.items():
        if spec.group != group:
            continue
        for index, question in enumerate(shared):
            if index not in placed and flag in question.flags:
                items.append(FlagItem(question.question, question.flags))
                placed.add(index)
        if flag not in only_shared:
            items.append(FlagItem(section.reworded.get(flag, spec.question), (flag,)))
    early = [FlagItem(q.question, q.flags) for i, q in enumerate(shared) if i not in placed]
    return (*early, *items)


def group_flags(items: Iterable[FlagItem]) -> tuple[str, ...]:
    """The flags a group's questions answer, each once, in the order they are first asked."""
    return tuple(dict.fromkeys(f for item in items for f in item.flags))


def combine(states: Iterable[str]) -> str:
    """One flag's answer from the answers of the questions that ask it."""
    given = set(states)
    return YES if YES in given else UNKNOWN if UNKNOWN in given else NO


def flag_answers(items: Sequence[FlagItem], states: Sequence[str]) -> dict[str, str]:
    """``{draft key: answer}`` of every flag the questions answer, from each question's answer."""
    return {f"{RED_FLAGS}.{flag}": combine(s for item, s in zip(items, states, strict=True)
                                           if flag in item.flags)
            for flag in group_flags(items)}


def item_states(items: Sequence[FlagItem], values: Mapping[str, Any]) -> list[str | None]:
    """Each question's answer that gives the flags' answers in ``values`` (None: not answered).

    A question that alone answers one of its flags takes that flag's answer. A question whose flags
    other questions answer too (a reworded one) is no when they already give its flag's answer, and
    takes the flag's answer otherwise.
    """
    def value(flag: str) -> str | None:
        found = values.get(f"{RED_FLAGS}.{flag}")
        return None if found is None else str(found)

    states: list[str | None] = [None] * len(items)
    settled = [False] * len(items)
    for index, item in enumerate(items):
        alone = [f for f in item.flags if sum(f in other.flags for other in items) == 1]
        if alone:
            states[index], settled[index] = value(alone[0]), True
    for index, item in enumerate(items):
        if settled[index]:
            continue
        flag = item.flags[0]
        others = [states[i] for i, other in enumerate(items) if i != index and flag in other.flags]
        wanted = value(flag)
        if wanted is None or None in others:
            states[index] = wanted
        else:
            states[index] = NO if combine(s for s in others if s) == wanted else wanted
    return states


def parse_items(question: Question, text: str) -> list[str] | str:
    """A group's answer as each question's answer (yes, no or unknown), or what was wrong with it."""
    count = len(question.items)
    tokens = [t for t in re.split(r"[\s,]+", text.strip().lower()) if t]
    if tokens in (["n"], ["no"], ["none"]):
        return [NO] * count
    if tokens in (["u"], [UNKNOWN], [SKIP]):
        return [UNKNOWN] * count
    states = [NO] * count
    for token in tokens:
        # ASCII digits only (\d would take a full-width 1 for item 1); more are never an item.
        match = re.fullmatch(r"(u?)([0-9]{1,9})", token)
        if match is None or not 1 <= int(match[2]) <= count:
            return (f"{question.key} = {show_value(text.strip())}: allowed n (none), u (all "
                    f"unknown), or numbers 1 to {count} for yes, with u before a number for "
                    f"unknown (e.g. 1 u{count})")
        states[int(match[2]) - 1] = UNKNOWN if match[1] else YES
    return states


def parse_flags(question: Question, text: str) -> dict[str, str] | str:
    """A red-flag group's answer as ``{draft key: yes|no|unknown}``, or what was wrong with it."""
    states = parse_items(question, text)
    return states if isinstance(states, str) else flag_answers(question.items, states)


def show_flags(question: Question, values: Mapping[str, Any]) -> str:
    """A red-flag group's answers as the tokens that would give them (``n``, ``1 u3``, ``u``)."""
    return states_text(item_states(question.items, values))


def states_text(states: Sequence[str | None]) -> str:
    """Each question's answer (yes, no or unknown, in order) as the tokens that give them: ``n``,
    ``u``, or ``1 u3`` (the numbers answered yes, ``u`` before those unknown); what a pick of
    each question's answer (a web form) is read as."""
    if all(s == NO for s in states):
        return "n"
    if all(s == UNKNOWN for s in states):
        return "u"
    return " ".join(("u" if s == UNKNOWN else "") + str(i)
                    for i, s in enumerate(states, start=1) if s in (YES, UNKNOWN))


def referral_tier(answers: Mapping[str, Any]) -> str | None:
    """The highest tier among red flags answered yes that refer (alone, or combined as the knowledge
    base says), or None. It only stops the questions; the engine decides the referral itself."""
    flags = catalog().red_flags.flags
    tiers = []
    for flag, spec in flags.items():
        if answers.get(f"{RED_FLAGS}.{flag}") != YES:
            continue
        combined = any(answers.get(f"{RED_FLAGS}.{o}") == YES for o in spec.combine_with)
        if spec.effect == "refer" or (spec.effect == "combine" and combined):
            tiers.append(spec.tier)
    return max(tiers, key=TIER_RANK.__getitem__) if tiers else None


def top_tier() -> str:
    return max(TIER_RANK, key=TIER_RANK.__getitem__)


def pregnant(answers: Mapping[str, Any]) -> bool:
    return answers.get(f"{RED_FLAGS}.preg_current") == YES
