"""The intake questionnaire: what it asks, how it checks answers, and real intakes end to end.

The end-to-end tests run the installed ``tripod`` in a pseudo-terminal (pexpect) as a clinician
would, against a real SQLite record store in tmp_path; a few run in-process through typer's runner.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
from pathlib import Path
from typing import Any

import pexpect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from engine.forms import NOT_DECIMAL
from engine.inference import assess, build_engine
from engine.intake import Case
from knowledge.catalog import catalog
from storage.casefile import case_to_document, load_case, parse_case
from storage.store import open_store
from tests.conftest import EXAMPLES
from tripod.cli.app import app
from tripod.intake.questionnaire import Interview
from tripod.intake.questions import (
    Question,
    answered,
    build_document,
    check,
    number,
    parse,
    parse_flags,
    plan,
    prefill_from,
    progress,
    questions,
    referral_tier,
    show,
    show_flags,
)

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
ENGINE = build_engine()
REFERRAL = EXAMPLES / "red_flag_referral.yaml"
runner = CliRunner()
SIGN = "s\n"  # the review's answer that signs and stores the intake

# What a case file may hold that the questionnaire never asks: the rules do not use it.
NOT_ASKED = ("heel", "fifth_met", "er_deg")


def question(key: str) -> Question:
    return next(q for q in questions() if q.key == key)


def typed_answers(case: Case) -> list[str]:
    """The lines a clinician types to enter ``case``: one per planned question, in order."""
    values = prefill_from(case)
    answers: dict[str, Any] = {}
    lines: list[str] = []
    while pending := [q for q in plan(answers) if not answered(q, answers)]:
        step = pending[0]
        if step.group:
            given = {key: values.get(key, "unknown") for key in step.keys}
            lines.append(show_flags(step, given))
        else:
            given = {step.key: values.get(step.key)}
            lines.append(show(given[step.key]))
        answers.update(given)
    return lines


def answer_keys(case: Case) -> list[str]:
    """The question keys in the order ``typed_answers`` answers them."""
    values = prefill_from(case)
    answers: dict[str, Any] = {}
    keys: list[str] = []
    while pending := [q for q in plan(answers) if not answered(q, answers)]:
        step = pending[0]
        keys.append(step.key)
        answers.update({key: values.get(key, "unknown") for key in step.keys})
    return keys


def asked_only(case: Case) -> dict[str, Any]:
    """The case document without the fields the questionnaire does not ask."""
    document = case_to_document(case)
    for section in ("movements",):
        for movement in document.get(section, {}).values():
            for side in ("left", "right"):
                for name in NOT_ASKED:
                    movement.get(side, {}).pop(name, None)
    return document


def stored_cases(db: Path) -> list[dict[str, Any]]:
    with open_store(db) as store:
        return [row.case for client in store.clients() for row in store.history(client.id)]


# -- what is asked -------------------------------------------------------------------------------


VISIT = {"visit", "subjective.complaint", "subjective.goals", "subjective.symptom_weeks",
         "outcomes.nprs_now", "outcomes.nprs_worst_week", "outcomes.psfs", "outcomes.lefs_total",
         "outcomes.groc", "since_last_visit.constraints_followed", "since_last_visit.adherence",
         "notes", "remeasure"}  # remeasure: a follow-up's pick of the sections to measure again


def flags_of(answers: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if k.startswith("red_flags.")}


class TestWhatIsAsked:
    def test_every_observation_the_rules_use_is_asked_and_no_other(self) -> None:
        watched = {path for item in catalog().observations for path in item.paths()}
        identity = {"client.id", "client.name", "client.age", "client.sex", "assessed_on",
                    "practitioner", "hips.method"}
        asked = {q.key for q in questions() if not q.group}
        assert asked - identity - VISIT == watched

    def test_the_order_is_the_clinicians_history_outcomes_red_flags_then_positions(self) -> None:
        sections = list(dict.fromkeys(q.section.id for q in questions()))
        assert sections == ["client", "history", "programme", "outcomes", "since_last_visit",
                            "red_flags", "remeasure", "standing", "lifts", "seated", "hips",
                            "prone", "side_lying", "notes"]
        keys = [q.key for q in questions()]
        assert keys[keys.index("visit") + 1:keys.index("subjective.symptom_weeks") + 1] == [
            "subjective.complaint", "subjective.goals", "subjective.symptom_weeks"]
        assert [k for k in keys if k.startswith("outcomes.")] == [
            "outcomes.nprs_now", "outcomes.nprs_worst_week", "outcomes.psfs",
            "outcomes.lefs_total", "outcomes.groc"]

    def test_each_examination_section_says_the_position_and_holds_what_is_measured_there(
            self) -> None:
        """Every instrument's how names the position its section's intro names."""
        where = {"standing": "standing", "lifts": "load", "seated": "sitting", "prone": "prone",
                 "side_lying": "side-lying"}
        for q in questions():
            if q.section.id not in where:
                continue
            assert where[q.section.id] in q.section.intro.lower() or (
                q.section.id == "side_lying" and "lying on the side" in q.section.intro), q.key
            if q.instrument is None:
                continue
            how = catalog().instrument(q.instrument).how.lower()
            if not any(w in how for w in ("standing", "stance", "load", "rep", "sitting", "seated",
                                          "prone", "side-lying", "supine", "ober")):
                assert "no set position" in q.section.intro, q.key  # said where it is asked
                continue
            words = {"standing": ("standing", "stance"), "lifts": ("load", "rep"),
                     "seated": ("sitting",), "prone": ("prone",), "side_lying": ("side-lying",
                                                                                   "ober")}
            assert any(w in how for w in words[q.section.id]), (q.key, how)

    def test_hip_er_is_asked_right_after_ir_of_the_same_hip(self) -> None:
        keys = [q.key for q in questions()]
        start = keys.index("hips.left.ir_deg")
        assert keys[start:start + 4] == ["hips.left.ir_deg", "hips.left.er_deg",
                                         "hips.right.ir_deg", "hips.right.er_deg"]

    def test_every_red_flag_is_answered_by_exactly_one_group(self) -> None:
        groups = [q for q in questions() if q.group]
        answered_by = [f for q in groups for f in q.flags]
        assert sorted(answered_by) == sorted(catalog().red_flags.flags)
        assert [q.group for q in groups] == list(catalog().red_flags.groups)

    def test_no_red_flag_question_is_asked_twice_and_steroids_once(self) -> None:
        asked = [item.question for q in questions() if q.group for item in q.items]
        assert len(asked) == len(set(asked))
        steroid = [text for text in asked if text.lower().startswith("long-term oral cortico")]
        assert len(steroid) == 1
        others = [text for text in asked if "steroid" in text.lower() and text not in steroid]
        assert all("asked under infection" in t.lower() or t.lower().startswith("other steroid")
                   for t in others), others

    def test_a_shared_question_answers_every_flag_it_names(self) -> None:
        infection = question("red_flags:infection")
        steroid = next(i for i, item in enumerate(infection.items, start=1)
                       if len(item.flags) > 1)
        yes = parse_flags(infection, str(steroid))
        assert isinstance(yes, dict)
        assert yes["red_flags.rf_long_term_steroids"] == "yes"
        assert yes["red_flags.rf_immunosuppressed"] == "yes"
        no = parse_flags(infection, "n")
        assert isinstance(no, dict)
        assert {no["red_flags.rf_long_term_steroids"], no["red_flags.rf_immunosuppressed"]} == {
            "no"}
        other = parse_flags(infection, str(steroid + 1))  # other immune suppression only
        assert isinstance(other, dict)
        assert other["red_flags.rf_immunosuppressed"] == "yes"
        assert other["red_flags.rf_long_term_steroids"] == "no"
        for answer in (yes, no, other):
            assert parse_flags(infection, show_flags(infection, answer)) == answer

    def test_pregnancy_items_are_not_asked_of_a_male_client(self) -> None:
        assert "pregnancy" in [q.group for q in plan({"client.sex": "female"})]
        assert "pregnancy" not in [q.group for q in plan({"client.sex": "male"})]

    def test_pelvic_items_are_not_asked_during_pregnancy(self) -> None:
        asked = [q.key for q in plan({"red_flags.preg_current": "yes"})]
        assert "pelvis.sacrum" not in asked and "pelvis.rotation_bias" not in asked
        assert "pelvis.sacrum" in [q.key for q in plan({"red_flags.preg_current": "no"})]

    def test_groc_is_asked_on_a_follow_up_only(self) -> None:
        assert "outcomes.groc" in [q.key for q in plan({"visit": "follow_up"})]
        assert "outcomes.groc" not in [q.key for q in plan({"visit": "initial"})]
        for visit, asked in (("initial", False), ("follow_up", True)):
            keys = [q.key for q in plan({"visit": visit})]
            assert asked == any(key.startswith("since_last_visit") for key in keys)
            assert asked == ("remeasure" in keys)

    def test_an_urgent_red_flag_asks_the_other_red_flags_and_nothing_after(self) -> None:
        asked = plan({"red_flags.rf_cancer_history": "yes"})
        assert asked[-2].group == "pregnancy"
        assert asked[-1].key == "notes"  # the notes can say why the client was referred
        assert not any(q.key.startswith("feet.") for q in asked)
        assert "outcomes.nprs_now" in [q.key for q in asked]  # the history stays asked

    def test_an_emergency_red_flag_ends_the_questions_at_once(self) -> None:
        given = {f"red_flags.{f}": "no" for f in question("red_flags:cauda_equina").flags}
        given["red_flags.rf_ces_saddle"] = "yes"
        assert [q.key for q in plan(given)][-2:] == ["red_flags:cauda_equina", "notes"]

    def test_diabetes_alone_does_not_stop_the_questions(self) -> None:
        assert any(q.key.startswith("feet.") for q in plan({"red_flags.rf_diabetes": "yes"}))
        with_fever = {"red_flags.rf_diabetes": "yes", "red_flags.rf_fever": "yes"}
        assert not any(q.key.startswith("feet.") for q in plan(with_fever))

    def test_an_alternative_measure_is_asked_on_both_sides_unless_both_settle_it(self) -> None:
        """Ober angle and thigh-foot angle are never taken on one side only."""
        one = [q.key for q in plan({"lateral_chain.left.ober": "positive",
                                    "lateral_chain.right.ober": "negative",
                                    "tibia.left.rotation_bias": "external",
                                    "tibia.right.rotation_bias": "external"})]
        assert {"lateral_chain.left.ober_angle_deg", "lateral_chain.right.ober_angle_deg"} <= set(
            one)
        assert "tibia.left.thigh_foot_angle_deg" not in one
        assert "tibia.right.thigh_foot_angle_deg" not in one
        both = [q.key for q in plan({"lateral_chain.left.ober": "positive",
                                     "lateral_chain.right.ober": "positive"})]
        assert "lateral_chain.left.ober_angle_deg" not in both
        assert "lateral_chain.right.ober_angle_deg" not in both
        keys = [q.key for q in questions()]
        assert keys.index("lateral_chain.right.ober") < keys.index(
            "lateral_chain.left.ober_angle_deg")

    def test_hip_rotation_is_not_asked_when_the_method_was_skipped(self) -> None:
        assert "hips.left.ir_deg" not in [q.key for q in plan({"hips.method": None})]
        assert "hips.left.ir_deg" in [q.key for q in plan({"hips.method": "seated"})]

    def test_the_count_is_the_same_whatever_is_answered(self) -> None:
        """A question an earlier answer makes unnecessary counts as settled: N never changes, and
        each question keeps its number."""
        total = len(questions())
        for answers in ({}, {"client.sex": "male"}, {"red_flags.preg_current": "yes"},
                        {"red_flags.rf_cancer_history": "yes"}, {"hips.method": None}):
            assert progress(answers)[1] == total
            numbers = [number(q) for q in plan(answers)]
            assert numbers == sorted(set(numbers))
        assert number(question("outcomes.lefs_total")) == number(question("outcomes.groc")) - 1


# -- answers -------------------------------------------------------------------------------------


class TestAnswers:
    @pytest.mark.parametrize(("key", "text", "line"), [
        ("hips.left.ir_deg", "140", "hips.left.ir_deg = 140: allowed -20 to 100 deg"),
        ("pelvis.sacrum", "sideways", ("pelvis.sacrum = 'sideways': allowed one of nutated, "
                                       "neutral, counternutated, unsure")),
        ("feet.left.fpi6_total", "3.5", "feet.left.fpi6_total = 3.5: allowed a whole number"),
        ("client.age", "abc", "client.age = 'abc': allowed a whole number"),
    ])
    def test_a_bad_answer_gets_the_reason_a_case_file_gets(self, key: str, text: str, line: str,
                                                           write_case: Any,
                                                           classic_doc: dict[str, Any]) -> None:
        assert check(question(key), parse(question(key), text)) == [line]
        node = classic_doc
        *parents, leaf = key.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = parse(question(key), text)
        result = runner.invoke(app, ["validate", str(write_case(classic_doc))])
        assert result.stderr.splitlines()[0].endswith(f": {line}")

    def test_a_choice_may_be_typed_by_its_first_letters_unless_ambiguous(self) -> None:
        assert parse(question("movements.hinge.left.first_met"), "l") == "lost"
        assert parse(question("pelvis.sacrum"), "c") == "counternutated"
        assert parse(question("movements.hinge.felt_in"), "ham, low") == ["hamstrings",
                                                                          "lower_back"]
        ambiguous = parse(question("pelvis.sacrum"), "n")
        assert check(question("pelvis.sacrum"), ambiguous) == [
            "pelvis.sacrum = 'n': allowed one of nutated, neutral, counternutated, unsure"]

    @pytest.mark.parametrize(("key", "text"), [
        ("hips.left.ir_deg", "2_2"), ("hips.left.ir_deg", "2_2.5"), ("client.age", "2_2"),
        ("client.age", "\uff13\uff10"), ("client.age", "\u0663\u0660"),
        ("hips.left.ir_deg", "\u0663\u0660.5"), ("hips.left.ir_deg", "0x1E"),
        ("client.age", "030"), ("hips.left.ir_deg", "1:10"), ("hips.left.ir_deg", "inf")])
    def test_a_number_not_in_plain_decimal_is_refused_as_a_case_file_would_be(self, key: str,
                                                                            text: str) -> None:
        """Python's int() and float() read 2_2 as 22 and full-width or Arabic-Indic digits as
        ASCII ones: the answer is refused, not re-valued."""
        assert check(question(key), parse(question(key), text)) == [f"{key} = {text}: {NOT_DECIMAL}"]

    @pytest.mark.parametrize(("key", "text", "value"), [
        ("client.age", "31", 31), ("client.age", "+31", 31), ("hips.left.ir_deg", "22.5", 22.5),
        ("hips.left.ir_deg", "-5", -5), ("hips.left.ir_deg", ".5", 0.5)])
    def test_a_plain_decimal_answer_is_read_as_written(self, key: str, text: str,
                                                       value: float) -> None:
        assert parse(question(key), text) == value
        assert check(question(key), value) == []

    @pytest.mark.parametrize("text", ["\uff11", "\u0661", "u\uff12", "1 \u0663"])
    def test_a_red_flag_number_in_other_digits_is_refused(self, text: str) -> None:
        """A full-width or Arabic-Indic digit once counted as item 1, 2 or 3: a yes unasked."""
        group = next(q for q in questions() if q.group)
        answer = parse_flags(group, text)
        assert isinstance(answer, str)
        assert answer.startswith(f"{group.key} = {text!r}: allowed n (none)")

    def test_an_integer_of_400_digits_gets_the_range_not_a_traceback(self) -> None:
        """math.isfinite() once overflowed on an int past 308 digits."""
        (line,) = check(question("client.age"), parse(question("client.age"), "9" * 400))
        assert line.startswith("client.age = 999")
        assert line.endswith(": allowed 5 to 100 years")

    def test_a_fault_while_checking_an_answer_is_one_line_without_the_answer(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A fault no check foresaw is named by its type, never its text (it could quote the
        answer); the question is asked again."""
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise ZeroDivisionError("Sam Carter")

        monkeypatch.setattr(Case, "model_validate", broken)
        assert check(question("client.name"), "Sam Carter") == [
            ("client.name = ZeroDivisionError: Tripod failed checking this answer; allowed "
             "another answer, or skip (please report it)")]

    def test_a_required_field_cannot_be_skipped(self) -> None:
        assert check(question("client.age"), None) == ["client.age = (missing): required"]
        assert check(question("hips.left.ir_deg"), None) == []

    def test_unasked_red_flags_after_an_emergency_are_unknown_not_no(self) -> None:
        answers: dict[str, Any] = {"client.sex": "male"}
        answers.update({f"red_flags.{f}": "no" for f in question("red_flags:cauda_equina").flags})
        answers["red_flags.rf_ces_bladder"] = "yes"
        red_flags = build_document(answers, {})["red_flags"]
        assert red_flags["rf_ces_bowel"] == "no"
        assert red_flags["rf_fever"] == "unknown"
        assert "preg_current" not in red_flags

    def test_prefilled_fields_that_are_never_asked_are_carried_over(self) -> None:
        case = load_case(CLASSIC)
        prefill = prefill_from(case)
        document = build_document(dict(prefill), prefill)
        assert parse_case("built", document) == case


# -- one question at a time, with a scripted read ----------------------------------------------------


FIRST_VISIT = EXAMPLES / "first_visit_with_outcomes.yaml"


class Scripted:
    """An Interview whose answers are typed from a list, its screen kept as text."""

    def __init__(self, *lines: str, answers: dict[str, Any] | None = None) -> None:
        self.lines = list(lines)
        self.saved: list[dict[str, Any]] = []
        self.out = io.StringIO()
        self.interview = Interview(dict(answers or {}), {}, lambda a: self.saved.append(dict(a)),
                                   Console(file=self.out, width=120, color_system=None),
                                   self.read)

    def read(self, prompt: str) -> str:
        self.out.write(prompt + "\n")
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)

    def ask(self, key: str) -> dict[str, Any] | None:
        q = question(key)
        return self.interview.ask(q, number(q), len(questions()))

    @property
    def screen(self) -> str:
        return " ".join(self.out.getvalue().split())


def until(key: str, case: Case) -> dict[str, Any]:
    """The answers ``case`` gives to every question planned before ``key``."""
    values = prefill_from(case)
    answers: dict[str, Any] = {}
    while pending := [q for q in plan(answers) if not answered(q, answers)]:
        if pending[0].key == key:
            break
        answers.update({k: values.get(k, "unknown" if pending[0].group else None)
                        for k in pending[0].keys})
    return answers


class TestOneQuestion:
    def test_a_list_takes_commas_and_choices_written_with_spaces(self) -> None:
        felt = question("movements.hinge.felt_in")
        assert parse(felt, "hamstrings, lower back") == ["hamstrings", "lower_back"]
        assert parse(felt, "Lower  Back,glutes") == ["lower_back", "glutes"]
        typed = Scripted("hamstrings, lower bak", "hamstrings, lower back")
        assert typed.ask("movements.hinge.felt_in") == {
            "movements.hinge.felt_in": ["hamstrings", "lower_back"]}
        assert ("✗ movements.hinge.felt_in[1] = 'lower bak': allowed one of glutes, hamstrings, "
                "lower_back, quads, adductors, nothing") in typed.screen

    def test_psfs_activities_are_typed_as_activity_equals_score(self) -> None:
        typed = Scripted("RDL 60 kg = 4; lunges", "RDL 60 kg = 4; lunges = 11",
                         "RDL 60 kg = 4; walking lunges = 6")
        assert typed.ask("outcomes.psfs") == {"outcomes.psfs": [
            {"activity": "RDL 60 kg", "score": 4}, {"activity": "walking lunges", "score": 6}]}
        assert "✗ outcomes.psfs = (activity 2 of 2 without 'activity = score')" in typed.screen
        assert "✗ outcomes.psfs[1].score = 11: allowed 0 to 10 points" in typed.screen
        assert "lunges" not in typed.screen.split("✗")[1]  # the client's words are not quoted

    def test_the_fpi6_total_can_be_scored_item_by_item(self) -> None:
        typed = Scripted("items", "2", "3", "2", "back", "1", "1", "0", "+1", "-1")
        assert typed.ask("feet.left.fpi6_total") == {"feet.left.fpi6_total": 4}
        screen = typed.screen
        assert "item 1/6 · Talar head palpation (-2 to +2; back, skip)" in screen
        assert "item 6/6 · Forefoot abduction/adduction relative to the rearfoot" in screen
        assert "✗ feet.left.fpi6_total item 2 = 3: allowed a whole number -2 to 2" in screen
        assert "= 4 (items: +2 +1 +1 0 +1 -1)" in screen
        assert typed.saved == []  # the Interview's caller saves the answer it returns

    def test_skipping_an_item_returns_to_the_total_which_may_be_typed(self) -> None:
        typed = Scripted("items", "1", "skip", "7")
        assert typed.ask("feet.right.fpi6_total") == {"feet.right.fpi6_total": 7}
        assert "not scored: type the total" in typed.screen
        shown = f"[{number(question('feet.right.fpi6_total'))}/{len(questions())}]"
        assert typed.screen.count(f"{shown} Foot Posture Index (FPI-6) total · right") == 2

    def test_the_lefs_is_a_total_or_twenty_numbered_items(self) -> None:
        assert Scripted("61").ask("outcomes.lefs_total") == {"outcomes.lefs_total": 61}
        typed = Scripted("items", *["3"] * 19, "4")
        assert typed.ask("outcomes.lefs_total") == {"outcomes.lefs_total": 61}
        assert "item 20/20 · LEFS item 20 (0 to 4; back, skip)" in typed.screen
        assert "does not hold the LEFS items' wording" in typed.screen

    def test_a_red_flag_typo_is_refused_unless_confirmed(self) -> None:
        typed = Scripted("3", "3", "n")
        given = typed.ask("red_flags:cauda_equina")
        assert given is not None and set(given.values()) == {"no"}
        screen = typed.screen
        assert ("3. Any numbness, pins and needles or altered feeling around the back passage, "
                "genitals, or inner buttocks (saddle area)?") in screen
        assert "Emergency (same day): a yes refers the client out. Send the client to an " \
               "emergency department today." in screen
        assert "not confirmed: nothing was recorded for this group" in screen
        assert "rf_ces_saddle" not in screen

    def test_a_confirmed_yes_is_recorded(self) -> None:
        typed = Scripted("3", " YES ")
        given = typed.ask("red_flags:cauda_equina")
        assert given is not None and given["red_flags.rf_ces_saddle"] == "yes"

    def test_an_emergency_referral_says_what_happened_not_every_question_answered(self) -> None:
        case = load_case(CLASSIC)
        typed = Scripted("3", "yes", "", answers=until("red_flags:cauda_equina", case))
        typed.interview.fast_forward = True
        document = typed.interview.run()
        assert document["red_flags"]["rf_fever"] == "unknown"
        screen = typed.screen
        assert "Every question is answered" not in screen
        assert ("An emergency red flag was answered yes and confirmed: the client is referred out "
                "and the examination stopped there. 25 red-flag questions were not asked and are "
                "recorded as not answered (unknown), not as no.") in screen

    def test_help_says_which_conclusions_an_answer_can_change_in_words(self) -> None:
        typed = Scripted("?", "22")
        typed.ask("hips.left.ir_deg")
        screen = typed.screen
        assert "why it is asked: its answer can change Hip internal rotation restricted;" in screen
        assert "hip_ir_limited" not in screen
        assert "Hip internal rotation, seated" in screen and "normal: about 31 to 38 deg" in screen
        history = Scripted("?", "3")
        history.ask("outcomes.nprs_now")
        assert "no rule reads it, so it changes no conclusion" in history.screen
        psfs = Scripted("?", "skip")
        psfs.ask("outcomes.psfs")
        assert "how: The client names 1 to 5 activities" in psfs.screen
        method = Scripted("?", "seated")
        method.ask("hips.method")
        assert "changes no conclusion" not in method.screen

    def test_help_on_a_red_flag_group_is_in_words(self) -> None:
        typed = Scripted("?", "n")
        typed.ask("red_flags:infection")
        screen = typed.screen
        assert "2. Long-term oral corticosteroid (steroid) use?" in screen
        assert "it answers the flag of Fracture: Long-term oral corticosteroid use?" in screen
        assert ("3. Other steroid use (short courses, injections), immune-suppressing drugs, HIV, "
                "a transplant, or current chemotherapy? it answers the flag of Infection: "
                "Steroids or immune-suppressing drugs") in screen
        assert "Urgent (within days): a yes refers the client out." in screen
        assert "a yes refers only together with a yes to: Any fever" in screen
        assert "Yusuf 2019" in screen
        assert "rf_" not in screen and "YUSUF2019" not in screen and "refer;" not in screen

    def test_the_visit_defaults_to_initial(self) -> None:
        assert Scripted("").ask("visit") == {"visit": "initial"}


# -- intakes through typer's runner ----------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A record store in tmp_path, named through TRIPOD_DB."""
    path = tmp_path / "tripod.db"
    monkeypatch.setenv("TRIPOD_DB", str(path))
    return path


class TestInProcess:
    def test_typed_answers_for_the_classic_case_give_its_assessment(self, db: Path) -> None:
        case = load_case(CLASSIC)
        result = runner.invoke(app, ["intake"],
                               input="\n".join(typed_answers(case)) + "\n" + SIGN + "\n")
        assert result.exit_code == 0, result.output
        (stored,) = stored_cases(db)
        assert stored == asked_only(case)
        expected = assess(case)
        assert "STATUS       Screening complete" in result.stdout
        assert "ROOT CAUSE   Ascending foot chain (left), confidence moderate" in result.stdout
        with open_store(db) as store:
            got = store.assessment(1)
        assert got is not None
        assert [f.id for f in got.assessment().findings] == [f.id for f in expected.findings]

    def test_a_first_visit_asks_history_and_outcomes_in_order_and_stores_them(
            self, db: Path) -> None:
        case = load_case(FIRST_VISIT)
        assert case.subjective is not None and case.outcomes is not None
        result = runner.invoke(app, ["intake"],
                               input="\n".join(typed_answers(case)) + "\n" + SIGN + "\n")
        assert result.exit_code == 0, result.output
        (stored,) = stored_cases(db)
        assert stored == asked_only(case)
        assert stored["outcomes"]["psfs"] == case_to_document(case)["outcomes"]["psfs"]
        screen = result.stdout
        order = [f"[7/{len(questions())}] Visit", "Presenting complaint", "How long the problem has lasted",
                 "Pain now", "Worst pain in the last 7 days", "Patient-Specific Functional Scale",
                 "Lower Extremity Functional Scale total", "Cauda equina syndrome",
                 "Standing ──", "Foot Posture Index", "Lifts ──", "Seated or long-sitting ──",
                 "Hip rotation, seated or prone ──", "Prone ──", "Side-lying ──"]
        places = [screen.index(text) for text in order]
        assert places == sorted(places)
        assert "Global Rating of Change" not in screen  # an initial visit

    def test_the_count_stays_the_same_from_the_first_question_to_the_last(self, db: Path) -> None:
        case = load_case(CLASSIC)
        result = runner.invoke(app, ["intake"],
                               input="\n".join(typed_answers(case)) + "\n" + SIGN + "\n")
        assert result.exit_code == 0, result.output
        shown = [(int(n), int(t)) for n, t in re.findall(r"\[(\d+)/(\d+)\]", result.stdout)]
        assert {t for _, t in shown} == {len(questions())}
        numbers = [n for n, _ in shown]
        assert numbers == sorted(numbers) and numbers[0] == 1

    def test_a_prefilled_red_flag_yes_is_confirmed_too(self, db: Path) -> None:
        case = load_case(REFERRAL)
        before = answer_keys(case).index("red_flags:cauda_equina")
        refused = runner.invoke(app, ["intake", "--from", str(REFERRAL)],
                                input="\n" * (before + 2))  # Enter at the group, Enter again
        assert "not confirmed: nothing was recorded for this group" in refused.stdout
        assert stored_cases(db) == []
        confirmed = runner.invoke(app, ["intake", "--from", str(REFERRAL)],
                                  input="\n" * (before + 1) + "yes\n\n" + SIGN + "\n")
        assert confirmed.exit_code == 0, confirmed.output
        (stored,) = stored_cases(db)
        assert stored["red_flags"]["rf_ces_saddle"] == "yes"
        assert "REFERRAL     EMERGENCY" in confirmed.stdout

    def test_a_follow_up_asks_the_groc_and_keeps_what_was_done_since_the_last_visit(
            self, db: Path, tmp_path: Path, write_case: Any) -> None:
        document = case_to_document(load_case(FIRST_VISIT))
        document["visit"] = "follow_up"
        document["outcomes"]["groc"] = 4
        document["since_last_visit"] = {"constraints_followed": ["restore_medial_foot_loading"],
                                        "adherence": "most"}
        path = write_case(document, "follow_up.yaml")
        case = load_case(path)
        assert "outcomes.groc" in answer_keys(case)
        result = runner.invoke(app, ["intake", "--from", str(path)],
                               input="\n" * len(typed_answers(case)) + SIGN + "\n")
        assert result.exit_code == 0, result.output
        assert "Global Rating of Change since the last visit" in result.stdout
        assert stored_cases(db) == [case_to_document(case)]
        # Changed to an initial visit, what only a follow-up has is not kept.
        prefill = prefill_from(case)
        initial = build_document({**prefill, "visit": "initial"}, prefill)
        assert "since_last_visit" not in initial and "groc" not in initial["outcomes"]
        assert parse_case("initial", initial).visit == "initial"

    def test_intake_from_a_case_file_keeps_every_prefilled_answer_on_enter(self, db: Path) -> None:
        case = load_case(CLASSIC)
        enters = "\n" * len(typed_answers(case)) + SIGN + "\n"
        result = runner.invoke(app, ["intake", "--from", str(CLASSIC)], input=enters)
        assert result.exit_code == 0, result.output
        assert stored_cases(db) == [case_to_document(case)]

    def test_the_finished_intake_exports_as_the_case_file(self, db: Path, tmp_path: Path) -> None:
        enters = "\n" * len(typed_answers(load_case(CLASSIC))) + SIGN + "\n"
        assert runner.invoke(app, ["intake", "--from", str(CLASSIC)], input=enters).exit_code == 0
        out = tmp_path / "exported.yaml"
        assert runner.invoke(app, ["export", "1", "--out", str(out)]).exit_code == 0
        assert load_case(out) == load_case(CLASSIC)

    @pytest.mark.slow
    def test_the_reports_offered_at_the_end_are_written_as_owner_only_pdfs(
            self, db: Path, tmp_path: Path) -> None:
        enters = "\n" * len(typed_answers(load_case(CLASSIC)))
        folder = tmp_path / "reports"
        result = runner.invoke(app, ["intake", "--from", str(CLASSIC)],
                               input=f"{enters}{SIGN}pdf {folder}\n\n")
        assert result.exit_code == 0, result.output
        written = sorted(folder.iterdir())
        assert [p.name for p in written] == ["TR-0007_2026-11-20_client.pdf",
                                             "TR-0007_2026-11-20_practitioner.pdf"]
        assert all(p.read_bytes().startswith(b"%PDF-") for p in written)
        assert [p.stat().st_mode & 0o777 for p in written] == [0o600, 0o600]
        assert folder.stat().st_mode & 0o777 == 0o700  # the file names say whose reports they are
        from pypdf import PdfReader

        def text(path: Path) -> str:
            return "".join(page.extract_text() for page in PdfReader(path).pages)

        # Like `tripod report`, the practitioner's report says how solid the conclusion is.
        assert "How solid is this?" in text(written[1])
        assert "How solid" not in text(written[0])

    @pytest.mark.slow
    def test_a_failing_what_if_analysis_still_leaves_the_reports_written(
            self, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import engine.whatif

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("injected fault")

        monkeypatch.setattr(engine.whatif, "analyse", broken)
        enters = "\n" * len(typed_answers(load_case(CLASSIC)))
        folder = tmp_path / "reports"
        result = runner.invoke(app, ["intake", "--from", str(CLASSIC)],
                               input=f"{enters}{SIGN}pdf {folder}\n\n")
        assert result.exit_code == 0, result.output
        assert len(list(folder.glob("*.pdf"))) == 2

    def test_a_long_result_line_is_wrapped_at_words_under_its_own_indent(self) -> None:
        from tripod.cli.intake import _fit

        line = "  Supported by: " + ", ".join(["Compensatory pronation"] * 6) + "."
        fitted = _fit(f"HEAD\n{line}\n", 60)
        assert fitted.split() == f"HEAD\n{line}\n".split()
        lines = fitted.splitlines()
        assert max(map(len, lines)) <= 60
        assert all(text.startswith("    ") for text in lines[2:])

    def test_bare_tripod_without_a_terminal_prints_the_help(self) -> None:
        result = runner.invoke(app, [])
        assert result.exit_code == 2
        assert "Usage: tripod" in result.stdout and "intake" in result.stdout

    def test_draft_without_resume_is_refused(self, db: Path) -> None:
        result = runner.invoke(app, ["intake", "3"])
        assert (result.exit_code, result.stderr) == (2, ("intake: DRAFT = 3: allowed only with "
                                                         "--resume\n"))

    @pytest.mark.parametrize(("key", "text"), [
        ("client.age", "9" * 5000),
        ("hips.left.ir_deg", "9" * 400),
        ("hips.left.ir_deg", "-" + "9" * 5000),
    ], ids=["age-5000-digits", "hip-ir-400-digits", "hip-ir-minus-5000-digits"])
    def test_a_number_too_long_for_python_is_asked_again_with_the_range(
            self, db: Path, key: str, text: str) -> None:
        case = load_case(CLASSIC)
        lines = ["" for _ in typed_answers(case)]
        lines.insert(answer_keys(case).index(key), text)
        result = runner.invoke(app, ["intake", "--from", str(CLASSIC)],
                               input="\n".join(lines) + "\n" + SIGN + "\n")
        assert result.exit_code == 0, result.output
        spec = catalog().instrument(question(key).instrument or "")
        expected = f"✗ {key} = {text[:57]}...: allowed {spec.range_text()}"
        assert expected in " ".join(result.stdout.split())
        assert stored_cases(db) == [case_to_document(case)]

    def test_a_red_flag_number_too_long_for_python_is_asked_again(self, db: Path) -> None:
        case = load_case(CLASSIC)
        lines = ["" for _ in typed_answers(case)]
        lines.insert(answer_keys(case).index("red_flags:cauda_equina"), "9" * 5000)
        result = runner.invoke(app, ["intake", "--from", str(CLASSIC)],
                               input="\n".join(lines) + "\n" + SIGN + "\n")
        assert result.exit_code == 0, result.output
        expected = f"✗ red_flags:cauda_equina = '{'9' * 56}...: allowed n (none), u (all unknown)"
        assert expected in " ".join(result.stdout.split())
        assert stored_cases(db) == [case_to_document(case)]

    def test_resume_lists_the_unfinished_intakes_when_there_are_several(self, db: Path) -> None:
        for client in ("TR-A", "TR-B"):
            runner.invoke(app, ["intake"], input=f"{client}\n")  # input ends: paused
        result = runner.invoke(app, ["intake", "--resume"])
        assert result.exit_code == 2
        lines = result.stderr.splitlines()
        assert [line.split()[:3] for line in lines[:2]] == [["intake", "2", "TR-B"],
                                                            ["intake", "1", "TR-A"]]
        assert lines[2] == ("intake: --resume = (no DRAFT): several unfinished intakes; allowed "
                            "--resume DRAFT with one of 2, 1")

    def test_resume_of_a_finished_intake_is_refused(self, db: Path) -> None:
        enters = "\n" * len(typed_answers(load_case(CLASSIC))) + SIGN + "\n"
        runner.invoke(app, ["intake", "--from", str(CLASSIC)], input=enters)
        result = runner.invoke(app, ["intake", "--resume", "1"])
        assert result.exit_code == 2
        assert result.stderr.startswith("intake: DRAFT = 1: finished (assessment 1) in database")


# -- real intakes in a terminal ------------------------------------------------------------------


class Clinician:
    """Drives the installed ``tripod`` in a pseudo-terminal, one typed line per prompt."""

    def __init__(self, db: Path, *args: str) -> None:
        exe = shutil.which("tripod")
        assert exe, "the tripod console script is not installed"
        env = {**os.environ, "TRIPOD_DB": str(db), "TERM": "dumb", "NO_COLOR": "1"}
        self.child = pexpect.spawn(exe, list(args), env=env, encoding="utf-8",
                                   dimensions=(50, 120), timeout=60)
        self.seen = ""

    def prompt(self) -> str:
        """Wait for the next prompt; returns what was printed since the last one."""
        self.child.expect_exact("\n> ")
        self.seen = self.child.before
        return self.seen

    def type(self, *lines: str) -> None:
        """Answer the next prompts, one line each."""
        for line in lines:
            self.prompt()
            self.child.sendline(line)

    def killed_after(self, *lines: str) -> None:
        """Answer with ``lines``, wait until the last one is committed (the next question is
        shown), then kill the intake with SIGKILL, as a crash or ``kill -9`` would."""
        self.type(*lines)
        self.prompt()
        self.child.kill(signal.SIGKILL)
        self.child.close(force=True)

    def confirm(self, line: str) -> str:
        """Wait for a red flag's confirmation and answer it; returns what was shown before it."""
        self.child.expect_exact("anything else asks this group again: ")
        self.seen = self.child.before
        self.child.sendline(line)
        return self.seen

    def decline_reports(self) -> str:
        """Sign at the review, then leave the result (and its offer of reports) with Enter; returns
        what was printed from the last answer to the result."""
        self.child.expect_exact("review> ")
        reviewed = self.child.before
        self.child.sendline("s")
        self.child.expect_exact("result> ")
        self.seen = reviewed + self.child.before
        self.child.sendline("")
        return self.seen

    def finish(self) -> tuple[str, int]:
        self.child.expect(pexpect.EOF)
        output = self.child.before
        self.child.close()
        return output, self.child.exitstatus


def after(case: Case, count: int) -> dict[str, Any]:
    """The answers ``typed_answers(case)`` has given after its first ``count`` lines."""
    values = prefill_from(case)
    answers: dict[str, Any] = {}
    for _ in range(count):
        step = next(q for q in plan(answers) if not answered(q, answers))
        answers.update({k: values.get(k, "unknown" if step.group else None) for k in step.keys})
    return answers


# Enter or skip for every question before the red flags, after the client's details.
HISTORY_SKIPPED = ("", "", "", "skip", "skip", "skip", "skip", "skip", "skip", "skip", "skip")


@pytest.mark.slow
class TestInATerminal:
    def test_a_full_classic_case_with_the_fpi6_scored_item_by_item(self, tmp_path: Path) -> None:
        db = tmp_path / "t.db"
        case = load_case(CLASSIC)
        answers = typed_answers(case)
        at = answer_keys(case).index("feet.left.fpi6_total")
        clinician = Clinician(db)  # bare `tripod` at a terminal starts an intake
        clinician.type(*answers[:at])
        assert ("[29/76] Foot Posture Index (FPI-6) total · left (-12 to 12 score; or items: "
                "score the 6 items)") in " ".join(clinician.prompt().split())
        assert answers[at] == "8"
        clinician.child.sendline("items")
        clinician.type("2", "2", "1", "1", "1", "1")  # eight, as the case file says
        assert "= 8 (items: +2 +2 +1 +1 +1 +1)" in clinician.prompt()
        assert "[30/76] Foot Posture Index (FPI-6) total · right" in clinician.seen
        clinician.child.sendline(answers[at + 1])
        clinician.type(*answers[at + 2:])
        printed = clinician.decline_reports()
        _, status = clinician.finish()
        assert status == 0
        assert "ROOT CAUSE   Ascending foot chain (left)" in printed
        assert "stored as assessment 1 (TR-0007, 2026-11-20, version 1)" in printed
        assert stored_cases(db) == [asked_only(case)]

    def test_a_confirmed_red_flag_ends_with_a_referral_and_no_movement_question(
            self, tmp_path: Path) -> None:
        db = tmp_path / "t.db"
        clinician = Clinician(db, "intake")
        clinician.type("TR-0099", "", "44", "male", "", "", *HISTORY_SKIPPED)
        clinician.type("3")  # saddle numbness: an emergency
        assert "Emergency (same day): a yes refers the client out." in " ".join(
            clinician.confirm("yes").split())
        printed = clinician.prompt()  # the notes, asked after a referral too
        clinician.child.sendline("")
        printed += clinician.decline_reports()
        _, status = clinician.finish()
        assert status == 0
        assert "An emergency red flag was answered yes. The screening stops here" in printed
        assert "Every question is answered" not in printed
        assert "recorded as not answered (unknown), not as no" in " ".join(printed.split())
        assert "STATUS       Refer out" in printed
        assert "REFERRAL     EMERGENCY: " in printed
        assert "Standing ──" not in printed
        (stored,) = stored_cases(db)
        assert stored["red_flags"]["rf_ces_saddle"] == "yes"
        assert stored["red_flags"]["rf_fever"] == "unknown"
        assert "feet" not in stored

    def test_a_red_flag_typo_not_confirmed_refers_no_one(self, tmp_path: Path) -> None:
        db = tmp_path / "t.db"
        clinician = Clinician(db, "intake")
        clinician.type("TR-0099", "", "44", "male", "", "", *HISTORY_SKIPPED)
        clinician.type("3")  # meant n
        shown = " ".join(clinician.confirm("3").split())
        assert "3. Any numbness, pins and needles" in shown
        assert "Emergency (same day)" in shown
        assert "not confirmed: nothing was recorded for this group" in clinician.prompt()
        assert "[21/76] Cauda equina syndrome" in clinician.seen  # the group again
        clinician.child.sendline("n")
        assert "[22/76] Spinal or pelvic malignancy" in clinician.prompt()
        clinician.child.sendintr()
        _, status = clinician.finish()
        assert status == 130
        with open_store(db) as store:
            (draft,) = store.drafts()
            answers = {k: a.value for k, a in store.draft_answers(draft.id).items()}
            assert store.clients() == []
        assert {answers[f"red_flags.{f}"] for f in question("red_flags:cauda_equina").flags} == {
            "no"}
        assert referral_tier(answers) is None

    def test_bad_answers_are_asked_again_and_back_and_skip_work(self, tmp_path: Path) -> None:
        db = tmp_path / "t.db"
        clinician = Clinician(db, "intake")
        clinician.type("TR 7")
        assert "✗ client.id = 'TR 7': allowed 1 to 64 of A-Z a-z 0-9 . _ -" in clinician.prompt()
        clinician.child.sendline("TR-0007")
        clinician.type("", "skip")
        assert "✗ client.age = skip: required, cannot be skipped" in clinician.prompt()
        clinician.child.sendline("300")
        assert "✗ client.age = 300: allowed 5 to 100 years" in clinician.prompt()
        clinician.child.sendline("31")
        clinician.type("female", "back")
        assert "[4/76] Sex" in clinician.prompt() and "[female]" in clinician.seen
        clinician.child.sendline("intersex")
        clinician.type("2026-11-20", "", *HISTORY_SKIPPED)
        clinician.type(*["n"] * 7)
        clinician.type("skip", "5")  # FPI left not assessed, right 5
        clinician.type("back")
        assert "[30/76] Foot Posture Index (FPI-6) total · right" in clinician.prompt()
        assert "[5]" in clinician.seen
        clinician.child.sendline("")  # Enter keeps 5
        clinician.prompt()
        clinician.child.sendintr()
        _, status = clinician.finish()
        assert status == 130
        with open_store(db) as store:
            (draft,) = store.drafts()
            answers = {k: a.value for k, a in store.draft_answers(draft.id).items()}
        assert answers["client.sex"] == "intersex"
        assert answers["client.age"] == 31
        assert answers["visit"] == "initial"
        assert answers["feet.left.fpi6_total"] is None
        assert answers["feet.right.fpi6_total"] == 5

    def test_ctrl_c_then_resume_keeps_every_answer(self, tmp_path: Path) -> None:
        db = tmp_path / "t.db"
        case = load_case(CLASSIC)
        answers = typed_answers(case)
        first = Clinician(db, "intake")
        first.type(*answers[:30])
        first.prompt()
        first.child.sendintr()
        output, status = first.finish()
        assert status == 130
        assert "intake paused: every answer so far is saved as intake 1; continue with: " \
               "tripod intake --resume 1" in output
        second = Clinician(db, "intake", "--resume")
        done, total = progress(after(case, 30))
        assert f"resuming intake 1: {done} of {total} questions settled" in second.prompt()
        assert f"[{done + 1}/{total}]" in second.seen
        second.child.sendline(answers[30])
        second.type(*answers[31:])
        second.decline_reports()
        _, status = second.finish()
        assert status == 0
        assert stored_cases(db) == [asked_only(case)]

    def test_kill_9_mid_intake_then_resume_keeps_every_answer(self, tmp_path: Path) -> None:
        db = tmp_path / "t.db"
        case = load_case(CLASSIC)
        answers = typed_answers(case)
        first = Clinician(db, "intake")
        first.killed_after(*answers[:25])  # the 25th committed before the 26th question showed
        assert first.child.signalstatus == signal.SIGKILL
        with open_store(db) as store:
            (draft,) = store.drafts()
            kept = store.draft_answers(draft.id)
        given = after(case, 25)
        assert {k: a.value for k, a in kept.items()} == given  # the 25th answer and all before
        done, total = progress(given)
        second = Clinician(db, "intake", "--resume", str(draft.id))
        assert f"resuming intake 1: {done} of {total} questions settled" in second.prompt()
        second.child.sendline(answers[25])
        second.type(*answers[26:])
        second.decline_reports()
        _, status = second.finish()
        assert status == 0
        assert stored_cases(db) == [asked_only(case)]


_ANSWERS = st.sampled_from(["no"] * 12 + ["yes", "unknown"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({flag: _ANSWERS for flag in catalog().red_flags.flags}))
def test_the_intake_stops_at_the_tier_the_engine_refers_at(flags: dict[str, str]) -> None:
    """referral_tier (which ends the questions early) and the red-flag rules (which decide) agree."""
    document = case_to_document(load_case(CLASSIC))
    document["red_flags"] = flags
    engine_says = assess(parse_case("drawn.yaml", document), ENGINE).referral.urgency
    assert referral_tier({f"red_flags.{flag}": answer for flag, answer in flags.items()}) == engine_says
