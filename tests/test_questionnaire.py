"""The intake questionnaire: what it asks, how it checks answers, and real intakes end to end.

The end-to-end tests run the installed ``tripod`` in a pseudo-terminal (pexpect) as a clinician
would, against a real SQLite record store in tmp_path; a few run in-process through typer's runner.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pexpect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from engine.forms import NOT_DECIMAL
from engine.inference import assess, build_engine
from engine.intake import Case
from knowledge.catalog import catalog
from storage.casefile import case_to_document, load_case, parse_case
from storage.store import open_store
from tests.conftest import EXAMPLES
from tripod.cli.app import app
from tripod.intake.questions import (
    Question,
    answered,
    build_document,
    check,
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
NOT_ASKED = ("heel", "fifth_met", "er_deg", "notes")


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
    document.pop("notes", None)
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


class TestWhatIsAsked:
    def test_every_observation_the_rules_use_is_asked_and_no_other(self) -> None:
        watched = {path for item in catalog().observations for path in item.paths()}
        identity = {"client.id", "client.name", "client.age", "client.sex", "assessed_on",
                    "practitioner", "hips.method"}
        asked = {q.key for q in questions() if not q.group}
        assert asked - identity == watched

    def test_every_red_flag_is_asked_in_its_group_in_knowledge_base_order(self) -> None:
        groups = [q for q in questions() if q.group]
        assert [q.group for q in groups] == list(catalog().red_flags.groups)
        assert [f for q in groups for f in q.flags] == list(catalog().red_flags.flags)

    def test_red_flags_come_right_after_the_client_details(self) -> None:
        sections = list(dict.fromkeys(q.section.id for q in questions()))
        assert sections == ["client", "red_flags", "feet", "movements", "tibia", "hips", "pelvis",
                            "lateral_chain", "standing", "programme"]

    def test_sided_measures_ask_left_then_right(self) -> None:
        keys = [q.key for q in questions()]
        left = keys.index("feet.left.fpi6_total")
        assert keys[left + 1] == "feet.right.fpi6_total"

    def test_pregnancy_items_are_not_asked_of_a_male_client(self) -> None:
        assert "pregnancy" in [q.group for q in plan({"client.sex": "female"})]
        assert "pregnancy" not in [q.group for q in plan({"client.sex": "male"})]

    def test_pelvic_items_are_not_asked_during_pregnancy(self) -> None:
        asked = [q.key for q in plan({"red_flags.preg_current": "yes"})]
        assert "pelvis.sacrum" not in asked and "pelvis.rotation_bias" not in asked
        assert "pelvis.sacrum" in [q.key for q in plan({"red_flags.preg_current": "no"})]

    def test_an_urgent_red_flag_asks_the_other_red_flags_and_nothing_after(self) -> None:
        asked = plan({"red_flags.rf_cancer_history": "yes"})
        assert asked[-1].group == "pregnancy"
        assert not any(q.key.startswith("feet.") for q in asked)

    def test_an_emergency_red_flag_ends_the_questions_at_once(self) -> None:
        given = {f"red_flags.{f}": "no" for f in question("red_flags:cauda_equina").flags}
        given["red_flags.rf_ces_saddle"] = "yes"
        assert plan(given)[-1].key == "red_flags:cauda_equina"

    def test_diabetes_alone_does_not_stop_the_questions(self) -> None:
        assert any(q.key.startswith("feet.") for q in plan({"red_flags.rf_diabetes": "yes"}))
        with_fever = {"red_flags.rf_diabetes": "yes", "red_flags.rf_fever": "yes"}
        assert not any(q.key.startswith("feet.") for q in plan(with_fever))

    def test_an_alternative_measure_is_not_asked_once_the_main_one_settles_it(self) -> None:
        keys = [q.key for q in plan({"lateral_chain.left.ober": "positive",
                                     "tibia.right.rotation_bias": "neutral"})]
        assert "lateral_chain.left.ober_angle_deg" not in keys
        assert "lateral_chain.right.ober_angle_deg" in keys
        assert "tibia.right.thigh_foot_angle_deg" in keys

    def test_hip_rotation_is_not_asked_when_the_method_was_skipped(self) -> None:
        assert "hips.left.ir_deg" not in [q.key for q in plan({"hips.method": None})]
        assert "hips.left.ir_deg" in [q.key for q in plan({"hips.method": "seated"})]


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


@pytest.mark.slow
class TestInATerminal:
    def test_a_full_classic_case(self, tmp_path: Path) -> None:
        db = tmp_path / "t.db"
        case = load_case(CLASSIC)
        answers = typed_answers(case)
        clinician = Clinician(db)  # bare `tripod` at a terminal starts an intake
        clinician.type(*answers[:13])
        assert "[14/63] Foot Posture Index (FPI-6) total · left  (-12 to 12 score)" in \
            clinician.prompt()
        clinician.child.sendline(answers[13])
        clinician.type(*answers[14:])
        printed = clinician.decline_reports()
        _, status = clinician.finish()
        assert status == 0
        assert "ROOT CAUSE   Ascending foot chain (left)" in printed
        assert "stored as assessment 1 (TR-0007, 2026-11-20, version 1)" in printed
        assert stored_cases(db) == [asked_only(case)]

    def test_a_red_flag_ends_with_a_referral_and_no_movement_question(self, tmp_path: Path) -> None:
        db = tmp_path / "t.db"
        clinician = Clinician(db, "intake")
        clinician.type("TR-0099", "", "44", "male", "", "")
        clinician.type("3")  # saddle numbness: an emergency
        printed = clinician.decline_reports()
        _, status = clinician.finish()
        assert status == 0
        assert "An emergency red flag was answered yes. The screening stops here" in printed
        assert "STATUS       Refer out" in printed
        assert "REFERRAL     EMERGENCY: " in printed
        assert "Feet" not in printed
        (stored,) = stored_cases(db)
        assert stored["red_flags"]["rf_ces_saddle"] == "yes"
        assert stored["red_flags"]["rf_fever"] == "unknown"
        assert "feet" not in stored

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
        assert "[4/63] Sex" in clinician.prompt() and "[female]" in clinician.seen
        clinician.child.sendline("intersex")
        clinician.type("2026-11-20", "")
        clinician.type(*["n"] * 7)
        clinician.type("skip", "5")  # FPI left not assessed, right 5
        clinician.type("back")
        assert "[15/63] Foot Posture Index (FPI-6) total · right" in clinician.prompt()
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
        assert "resuming intake 1: 30 of 63 questions answered" in second.prompt()
        assert "[31/63]" in second.seen
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
        first.type(*answers[:25])
        first.prompt()  # the 25th answer was committed before the 26th question was shown
        first.child.kill(signal.SIGKILL)
        first.child.close(force=True)
        assert first.child.signalstatus == signal.SIGKILL
        with open_store(db) as store:
            (draft,) = store.drafts()
            kept = store.draft_answers(draft.id)
        assert progress({k: a.value for k, a in kept.items()})[0] == 25
        first_and_last = (kept["feet.left.fpi6_total"].value,
                          kept["feet.right.mtp1_dorsiflexion_deg"].value)
        assert first_and_last == (8, 72)  # the first and the last measure before the kill
        second = Clinician(db, "intake", "--resume", str(draft.id))
        assert "resuming intake 1: 25 of 63 questions answered" in second.prompt()
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
