"""The intake's questions as a tablet shows them: each question a field (pick lists for enumerated
values, steppers for bounded numbers, text only where free), its label, unit, range and ``?`` help
(``tripod/intake/help.py``, the terminal's own words), a total's items each a row of its allowed
scores (``questions.yaml``, ``helpers``) beside the total, a follow-up's PSFS each activity on its
own stepper; and a form's fields read back as the answer the terminal would have typed, or as the
parts of an answer the shared reader takes apart (a total's items, a follow-up's PSFS), for
``tripod/intake/answering.py`` to read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.datastructures import FormData

from knowledge.catalog import catalog, sayer
from tripod.intake import help as shown_help
from tripod.intake.draft import Intake
from tripod.intake.flags import NO, UNKNOWN, YES, item_states, states_text
from tripod.intake.follow_up import same_activity
from tripod.intake.items import helper_of, items_total, saved_scores, shown_score
from tripod.intake.questions import (
    CONSTRAINTS_FOLLOWED,
    ITEMS,
    MISSING,
    SKIP,
    Question,
    answered,
    number,
    questions,
    show,
)

STATES = (NO, YES, UNKNOWN)
say = sayer("web_intake")
Form = FormData | Mapping[str, Any]


def field_name(question: Question) -> str:
    """The form field of a question (its key; ``:`` of a red-flag group kept)."""
    return question.key


def _choices(intake: Intake, question: Question) -> list[tuple[str, str]]:
    """(value, words) of each choice: a follow-up's constraints by their titles."""
    if question.key == CONSTRAINTS_FOLLOWED and intake.follow_up is not None:
        return list(intake.follow_up.constraints)
    if question.kind == "sections":
        titles = {s.id: s.title for s in catalog().questions.sections}
        return [(c, titles.get(c, c)) for c in question.choices]
    return [(c, c.replace("_", " ")) for c in question.choices]


def _bounds(intake: Intake, question: Question) -> dict[str, Any]:
    instrument = intake.answering.instrument(question)
    if question.kind not in ("integer", "number") or instrument is None:
        return {}
    spec = catalog().instrument(instrument)
    step = 1 if question.kind == "integer" else 0.5
    return {"min": spec.min, "max": spec.max, "step": step, "unit": spec.unit}


def _widget(question: Question) -> str:
    if question.group:
        return "flags"
    return {"enum": "pick", "multi": "multi", "sections": "multi", "integer": "stepper",
            "number": "stepper", "date": "date", "activities": "text"}.get(question.kind, "text")


def _help(intake: Intake, question: Question) -> list[str]:
    answering = intake.answering
    lines = shown_help.group_help(question) if question.group else shown_help.field_help(
        question, answering.instrument(question), answering.allowed(question), items=False)
    return [line.plain.strip() for line in lines]


def field(intake: Intake, question: Question, problems: Sequence[str] = (),
          raw: str | None = None, confirming: Sequence[str] | None = None,
          form: Form | None = None) -> dict[str, Any]:
    """What the page shows of one question: its words, its widget and the value it holds (the
    answer saved, else ``raw`` as given and refused, else the default the terminal shows); a
    refused answer given in parts (items, a follow-up's PSFS) shows each part as ``form`` gave
    it."""
    answering = intake.answering
    default = answering.default(question)
    done = answered(question, intake.answers)
    out: dict[str, Any] = {
        "key": question.key, "name": field_name(question), "number": number(question),
        "total": len(questions()), "label": answering.label(question), "side": question.side,
        "allowed": answering.allowed(question), "widget": _widget(question),
        "help": _help(intake, question), "problems": list(problems), "answered": done,
        "required": question.required, "choices": _choices(intake, question),
        **_bounds(intake, question)}
    if question.group:
        states = (list(confirming) if confirming is not None else
                  item_states(question.items, intake.answers) if done else
                  [None] * len(question.items))
        out["items"] = [(index, item.question, state) for index, (item, state)
                        in enumerate(zip(question.items, states, strict=True), start=1)]
        out["states"] = STATES
        out["allowed"] = question.prompt or ""
        if confirming is not None:
            out["confirm"] = [line.plain.strip() for line in
                              shown_help.confirmation(question.items, confirming)[1:]]
        return out
    if question.kind == "text":  # the terminal's "Enter for none" is an empty field here
        out["allowed"] = say("text_required" if question.required else "text_optional")
    value = default if default is not MISSING else None
    if raw is not None:
        out["value"] = raw
    elif value is None:
        out["value"] = ""
    elif question.kind in ("multi", "sections"):
        out["value"] = value if isinstance(value, list) else []
    else:
        out["value"] = show(value)
    if question.kind in ("multi", "sections") and not isinstance(out["value"], list):
        out["value"] = [v.strip() for v in str(out["value"]).split(",") if v.strip()]
    if question.helper:
        out["scoring"] = _scoring(intake, question, form)
    if intake.follow_up is not None and intake.follow_up.asks(question):
        _rated_again(intake, question, out, form)
    return out


def _scoring(intake: Intake, question: Question, form: Form | None) -> dict[str, Any]:
    """A total's items, each with the scores it allows, as saved (or as ``form`` gave them)."""
    helper = helper_of(question)
    labels = helper.labels()
    given = item_texts(question, form) if form is not None else None
    kept = saved_scores(question, intake.answers)
    scores = given if given is not None else ["" if s is None else str(s) for s in kept or []]
    scored = [score for score in kept or [] if score is not None]  # what the draft holds
    on = given is not None if form is not None else kept is not None
    return {"on": on, "title": helper.title,
            "scale": helper.scale, "note": helper.note,
            "choices": [(str(v), shown_score(v, helper))
                        for v in range(helper.min, helper.max + 1)],
            "items": [(index, label, scores[index - 1] if index <= len(scores) else "")
                      for index, label in enumerate(labels, start=1)],
            "so_far": say("items_so_far", total=items_total(scored), scored=len(scored),
                          count=len(labels))}


def _rated_again(intake: Intake, question: Question, out: dict[str, Any],
                 form: Form | None) -> None:
    """A follow-up's PSFS: each activity of the last visit rated again on its own stepper (left
    empty: not rated again), then any new ones typed; as ``form`` gave them when refused."""
    assert intake.follow_up is not None
    current = intake.answers.get(question.key) if form is None else None
    scores = {same_activity(a["activity"]): show(a["score"]) for a in current or []}
    old = {same_activity(a) for a, _ in intake.follow_up.psfs}
    spec = catalog().instrument("psfs_score")
    out.update(widget="psfs", min=spec.min, max=spec.max, step=1, unit=spec.unit)
    typed_again = psfs_texts(intake, question, form) if form is not None else None
    out["activities"] = [(index, activity, show(last),
                          typed_again[0][index - 1] if typed_again is not None else
                          scores.get(same_activity(activity), ""))
                         for index, (activity, last) in enumerate(intake.follow_up.psfs, start=1)]
    out["value"] = typed_again[1] if typed_again is not None else "; ".join(
        f"{a['activity']} = {show(a['score'])}" for a in current or []
        if same_activity(a["activity"]) not in old)


def item_texts(question: Question, form: Form) -> list[str] | None:
    """A total's items as the form scores them (empty: not scored yet), when the form's
    ``KEY.by`` says it is scored item by item (``items``); None when its total is typed."""
    if not question.helper or _one(form, f"{field_name(question)}.by") != ITEMS:
        return None
    count = len(helper_of(question).labels())
    return [(_one(form, f"{field_name(question)}.item.{index}") or "").strip()
            for index in range(1, count + 1)]


def psfs_texts(intake: Intake, question: Question, form: Form) -> tuple[list[str], str] | None:
    """A follow-up's PSFS as the form gives it: each activity's score typed again (empty: not
    rated again) and the new activities typed; None for any other question."""
    if intake.follow_up is None or not intake.follow_up.asks(question):
        return None
    name = field_name(question)
    scores = [(_one(form, f"{name}.score.{index}") or "").strip()
              for index in range(1, len(intake.follow_up.psfs) + 1)]
    return scores, (_one(form, name) or "").strip()


def blank(intake: Intake, question: Question, form: Form) -> bool:
    """Whether the form leaves ``question`` as it found it unanswered: nothing typed, picked or
    scored (what leaving an intake must not save as "not assessed")."""
    if answered(question, intake.answers):
        return False
    scored = item_texts(question, form)
    if scored is not None:
        return not any(scored)
    again = psfs_texts(intake, question, form)
    if again is not None:
        return not any(again[0]) and not again[1]
    if question.kind == "sections":
        return not _many(form, field_name(question))
    return question.group is not None or typed(question, form) == SKIP


def typed(question: Question, form: Form) -> str:
    """The answer a form gives ``question``, written as the terminal would read it: a red-flag
    group's picks as ``n``/``1 u3``; ticked choices joined by commas; sections by their numbers;
    an emptied field as ``skip`` (not assessed)."""
    name = field_name(question)
    if question.group:
        states = [_one(form, f"{name}.{index}") for index in range(1, len(question.items) + 1)]
        if any(s not in STATES for s in states):
            return ""
        return states_text([str(s) for s in states])
    if question.kind in ("multi", "sections"):
        picked = _many(form, name)
        if question.kind == "sections":
            places = [str(question.choices.index(p) + 1) for p in picked if p in question.choices]
            return " ".join(places) if places else "none"
        return ", ".join(picked) if picked else SKIP
    text = (_one(form, name) or "").strip()
    return text or SKIP


def _one(form: Form, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _many(form: Form, name: str) -> list[str]:
    if isinstance(form, FormData):
        return [v for v in form.getlist(name) if isinstance(v, str)]
    value = form.get(name)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
