"""A follow-up intake (``tripod intake --follow-up CLIENT``): what it takes from the client's last
stored visit and how that visit bounds its answers.

:class:`FollowUp` is the last visit as the follow-up needs it: the client's details and training
history carried over (``follow_up: carry`` in ``questions.yaml``; shown at the review, changeable
there), the constraints it gave (the only ones ``since_last_visit.constraints_followed`` may name,
picked by number or name), and its PSFS activities, each rated again one by one (an activity not
rated again is stated, a new one is said to be new: ``tripod history`` matches them by text). Which
sections are asked is ``questions.plan`` (the examination sections picked at ``remeasure``); the
terminal loop is :class:`~tripod.intake.questionnaire.Interview`, which asks through this.
The draft remembers the follow-up by its source (``SOURCE``), so ``--resume`` continues it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.padding import Padding
from rich.text import Text

from engine.errors import InputError, Problem, show_value
from engine.forms import number_from_text
from engine.visit import FOLLOW_UP, PSFS_ACTIVITIES
from knowledge.catalog import catalog, messages, sayer
from reports.shown import shown
from tripod.intake.answers import TooLong, Unreadable, parse
from tripod.intake.questions import (
    BACK,
    CONSTRAINTS_FOLLOWED,
    HELP,
    SKIP,
    Question,
    check,
    prefill_from,
    questions,
)

if TYPE_CHECKING:
    from storage.records import StoredAssessment
    from tripod.intake.questionnaire import Interview

# The draft of a follow-up names the client and the visit it follows as its source.
SOURCE = "follow-up of {client}, assessment {id}"
FOLLOWS = r"follow-up of ([A-Za-z0-9._-]+), assessment ([0-9]+)"
PSFS = "outcomes.psfs"
NONE = "none"


_say = sayer("follow_up")


def same_activity(activity: str) -> str:
    """An activity as outcomes.md matches it: ignoring case and surrounding spaces."""
    return activity.strip().casefold()


def _unread(exc: TooLong | Unreadable, text: str) -> str:
    """Why new activities typed ``text`` could not be read."""
    return str(exc) if isinstance(exc, Unreadable) else \
        f"{PSFS} = {text[:40]}: allowed activity = score"


def follows(source: str | None) -> int | None:
    """The stored visit a draft follows up, from its source; None for any other draft."""
    found = re.fullmatch(FOLLOWS, source or "")
    return int(found[2]) if found else None


@dataclass(frozen=True)
class FollowUp:
    """The client's last stored visit, as a follow-up of it needs it."""

    id: int
    client_id: str
    assessed_on: dt.date
    case: dict[str, Any]  # its values as draft keys (dotted paths)
    constraints: tuple[tuple[str, str], ...]  # (id, title with sides), in the corrective order
    psfs: tuple[tuple[str, Any], ...]  # (activity, score) as the last visit rated them

    @classmethod
    def of(cls, stored: StoredAssessment) -> FollowUp:
        texts = catalog().texts
        case = stored.intake()
        given = tuple(
            (c.id, texts.constraints[c.id].title + (f" ({', '.join(c.sides)})" if c.sides else ""))
            for c in stored.assessment().constraints)
        psfs = tuple((a.activity, a.score) for a in (case.outcomes.psfs or [])) \
            if case.outcomes else ()
        return cls(stored.id, stored.client_id, stored.assessed_on, prefill_from(case), given, psfs)

    @property
    def source(self) -> str:
        return SOURCE.format(client=self.client_id, id=self.id)

    def answers(self, today: dt.date) -> dict[str, Any]:
        """The answers a follow-up starts with: what it carries over from the last visit (None
        where that visit left a field out), a follow-up, dated ``today``."""
        out = {key: self.case.get(key) for q in questions() if q.section.follow_up == "carry"
               for key in q.keys}
        out.update({"visit": FOLLOW_UP, "assessed_on": today.isoformat()})
        return out

    # -- the answers it bounds --

    def dated_problem(self, date: str) -> str | None:
        """Why a follow-up cannot be dated ``date``: on or before the last visit."""
        if date > self.assessed_on.isoformat():
            return None
        if date == self.assessed_on.isoformat():
            return _say("same_date", date=date, id=self.id)
        return _say("before", date=date, last=self.assessed_on, id=self.id)

    def problems(self, question: Question, value: Any) -> list[str]:
        """What a follow-up refuses beyond the case file's own checks: another client, a date on or
        before the last visit, another visit type, a constraint the last visit did not give."""
        if question.key == CONSTRAINTS_FOLLOWED and isinstance(value, list):
            given = [c for c, _ in self.constraints]
            return [self._constraint_problem(c) for c in value if c not in given]
        return [f"{field} = {shown_value}: {allowed}"
                for field, shown_value, allowed in self._bounds(question.key, value)]

    def _bounds(self, key: str, value: Any) -> list[tuple[str, str, str]]:
        if key == "client.id" and value != self.client_id:
            kept = (f"a follow-up of {self.client_id} keeps its client id; allowed "
                    f"{show_value(self.client_id)}")
            return [(key, show_value(str(value)), kept)]
        if key == "assessed_on" and isinstance(value, str):
            problem = self.dated_problem(value)
            return [(key, value, problem)] if problem else []
        if key == "visit" and value != FOLLOW_UP:
            return [(key, show_value(str(value)), _say("visit"))]
        return []

    def _allowed_constraints(self) -> str:
        listed = ", ".join(f"{n} {c}" for n, (c, _) in enumerate(self.constraints, start=1))
        return _say("constraints_allowed", listed=listed or _say("no_constraints_given"),
                    none=NONE)

    def _constraint_problem(self, token: str) -> str:
        shown_token = token if len(token) <= 40 else token[:37] + "..."
        return (f"{CONSTRAINTS_FOLLOWED} = {shown_token}: " +
                _say("not_given", id=self.id, date=self.assessed_on) +
                f"; {self._allowed_constraints()}")

    def parse(self, question: Question, text: str) -> Any:
        """The constraints followed, typed by number or name (comma-separated), as ids; a name the
        last visit did not give is kept as typed, for ``problems`` to refuse naming it."""
        if question.key != CONSTRAINTS_FOLLOWED:
            return parse(question, text)
        if text.strip().lower() == NONE:
            return []
        given = [c for c, _ in self.constraints]
        out = []
        for token in (t.strip() for t in text.split(",")):
            if not token:
                continue
            if token.isascii() and token.isdigit():
                if not 1 <= int(token) <= len(given):
                    raise Unreadable(self._constraint_problem(token))
                out.append(given[int(token) - 1])
                continue
            name = "_".join(token.lower().split())
            starting = [c for c in given if c.startswith(name)]
            out.append(name if name in catalog().constraints or len(starting) != 1
                       else starting[0])
        return out

    def allowed(self, question: Question) -> str | None:
        if question.key == CONSTRAINTS_FOLLOWED:
            return _say("constraints_shown", none=NONE)
        if self.asks(question):
            return _say("psfs_allowed")
        return None

    def lines(self, question: Question) -> list[Text]:
        """What is shown under a question: the constraints the last visit gave, numbered."""
        if question.key != CONSTRAINTS_FOLLOWED:
            return []
        if not self.constraints:
            return [Text(_say("no_constraints", id=self.id), style="yellow")]
        return [Text(f"   {n} {c}: {title}") for n, (c, title) in
                enumerate(self.constraints, start=1)]

    # -- the PSFS, rated again activity by activity --

    def asks(self, question: Question) -> bool:
        return question.key == PSFS and bool(self.psfs)

    def ask_psfs(self, interview: Interview, question: Question) -> dict[str, Any] | None:
        """The last visit's activities rated again one by one (``skip``: not rated again; ``back``:
        the previous one), then any new ones; None for ``back`` at the first."""
        console, read = interview.console, interview.read
        current = interview.answers.get(PSFS) if PSFS in interview.answers else None
        before = {same_activity(a["activity"]): a["score"] for a in current or []}
        old = {same_activity(a) for a, _ in self.psfs}
        fresh = [a for a in current or [] if same_activity(a["activity"]) not in old]
        rated: list[Any] = []  # a score, or None when not rated again
        new: list[dict[str, Any]] = []
        console.print(Text(_say("psfs_head", count=len(self.psfs), date=self.assessed_on),
                           style="dim"))
        while len(rated) <= len(self.psfs):
            if len(rated) == len(self.psfs):
                added = self._new(interview, question, rated, fresh)
                if added is None:
                    rated.pop()
                    continue
                new = added
                break
            index = len(rated)
            activity, last = self.psfs[index]
            default = (SKIP if current is not None and same_activity(activity) not in before
                       else before.get(same_activity(activity)))
            line = Text(_say("psfs_item", index=index + 1, count=len(self.psfs),
                             activity=activity, last=shown(last)))
            if default is not None:
                line.append(f"  [{shown(default)}]", style="green")
            console.print(line)
            text = read("> ").strip() or ("" if default is None else str(default))
            if text.lower() == BACK:
                if not rated:
                    return None
                rated.pop()
            elif text.lower() == HELP:
                interview.help(question)
            elif text.lower() == SKIP:
                rated.append(None)
            elif not text:
                self._problem(interview, messages().say("intake.needed"))
            else:
                score = self._score(interview, question, activity, text)
                if score is not None:
                    rated.append(score)
        value = [{"activity": a, "score": s} for (a, _), s in zip(self.psfs, rated, strict=True)
                 if s is not None] + new
        for (activity, last), score in zip(self.psfs, rated, strict=True):
            if score is None:
                console.print(Text(_say("psfs_dropped", activity=activity, last=shown(last)),
                                   style="yellow"))
        for entry in new:
            console.print(Text(_say("psfs_new", activity=entry["activity"]), style="yellow"))
        return {PSFS: value or None}

    def _score(self, interview: Interview, question: Question, activity: str,
               text: str) -> Any | None:
        score, problems = self.score_again(question, activity, text, f"{PSFS} score")
        for line in problems:
            self._problem(interview, line)
        return None if problems else score

    @staticmethod
    def score_again(question: Question, activity: str, text: str,
                    field: str) -> tuple[Any, list[str]]:
        """An activity's score typed again, and what is wrong with it (named ``field``)."""
        try:
            score: Any = number_from_text(text)
        except ValueError:  # more digits than Python reads: beyond any score's range
            score = text[:12]
        problems = check(question, [{"activity": activity, "score": score}])
        return score, [line.replace(f"{PSFS}[0]", field) for line in problems]

    def new_problems(self, question: Question, new: list[dict[str, Any]],
                     room: int) -> list[str]:
        """What refuses new activities: one that is an activity of the last visit (rated again
        there, never as new), more than ``room`` of them, and the case file's own checks."""
        old = {same_activity(a): n for n, (a, _) in enumerate(self.psfs, start=1)}
        problems = [f"{PSFS} = (new activity {i}): " + _say("psfs_not_new", number=old[
            same_activity(entry["activity"])]) for i, entry in enumerate(new, start=1)
            if same_activity(entry["activity"]) in old]
        if len(new) > room:
            problems.append(f"{PSFS} = ({len(new)} new activities): allowed at most {room} "
                            f"more (1 to {PSFS_ACTIVITIES} in all)")
        return problems + check(question, new)

    def read_again(self, question: Question, scores: Sequence[str],
                   new_text: str) -> tuple[list[dict[str, Any]] | None, list[str]]:
        """The PSFS given on one screen (the web's): each activity of the last visit rated again
        (``scores`` in their order; empty: not rated again), then new ones typed ``activity =
        score; ...``; the value to save, or the problems (each score's, and the new ones' as
        the terminal refuses them)."""
        rated: list[dict[str, Any]] = []
        problems: list[str] = []
        for index, ((activity, _), text) in enumerate(zip(self.psfs, scores, strict=False),
                                                      start=1):
            if not text.strip():
                continue
            score, found = self.score_again(question, activity, text.strip(),
                                            f"{PSFS} activity {index}")
            problems += found
            rated.append({"activity": activity, "score": score})
        new: list[dict[str, Any]] = []
        if new_text.strip():
            try:
                new = parse(question, new_text.strip())
            except (TooLong, Unreadable) as exc:
                return None, [*problems, _unread(exc, new_text.strip())]
            problems += [re.sub(rf"^{re.escape(PSFS)}\[([0-9]+)\]",
                                lambda found: f"{PSFS} new activity {int(found[1]) + 1}", line)
                         for line in self.new_problems(question, new,
                                                       PSFS_ACTIVITIES - len(rated))]
        return (None, problems) if problems else ((rated + new) or None, [])

    def _new(self, interview: Interview, question: Question, rated: list[Any],
             fresh: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """New activities, typed ``activity = score; ...``; None for ``back``."""
        room = PSFS_ACTIVITIES - sum(1 for s in rated if s is not None)
        if room <= 0:
            return []
        kept = "; ".join(f"{a['activity']} = {shown(a['score'])}" for a in fresh)
        while True:
            line = Text(_say("psfs_new_prompt", room=room))
            if kept:
                line.append(f"  [{kept}]", style="green")
            interview.console.print(line)
            text = interview.read("> ").strip()
            lowered = text.lower()
            if lowered == BACK:
                return None
            if lowered == NONE or (not text and not kept):
                return []
            if not text:
                return fresh
            try:
                new = parse(question, text)
            except (TooLong, Unreadable) as exc:
                self._problem(interview, _unread(exc, text))
                continue
            problems = self.new_problems(question, new, room)
            if not problems:
                return list(new)
            for problem in problems:
                self._problem(interview, problem)

    @staticmethod
    def _problem(interview: Interview, line: str) -> None:
        interview.console.print(Padding(Text(f"✗ {line}", style="red"), (0, 0, 0, 2)))

    def review_notes(self, answers: Mapping[str, Any]) -> list[str]:
        """What the review says beside the PSFS: activities not rated again, and new ones."""
        if not self.psfs or PSFS not in answers:
            return []
        now = {same_activity(a["activity"]) for a in answers[PSFS] or []}
        old = {same_activity(a) for a, _ in self.psfs}
        out = [_say("review_dropped", activity=a) for a, _ in self.psfs if same_activity(a) not in now]
        out += [_say("review_new", activity=a["activity"]) for a in answers[PSFS] or []
                if same_activity(a["activity"]) not in old]
        return out

    def signing_problems(self, document: Mapping[str, Any]) -> None:
        """The follow-up's bounds checked once more on the whole case before it is stored."""
        problems = [Problem("follow-up", *bound) for key, value in (
            ("client.id", (document.get("client") or {}).get("id")),
            ("assessed_on", str(document.get("assessed_on"))),
            ("visit", document.get("visit"))) for bound in self._bounds(key, value)]
        if problems:
            raise InputError(problems)
