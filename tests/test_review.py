"""The review before signing, the one-screen result, ``tripod amend`` and ``tripod report ID``.

The intakes run the installed ``tripod`` in a pseudo-terminal (pexpect) 100 columns by 40 rows, as a
clinician would, against a real SQLite record store in tmp_path; commands that ask nothing run
through typer's runner.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pexpect
import pytest
from typer.testing import CliRunner

from storage.casefile import load_case
from storage.store import open_store
from tests.conftest import EXAMPLES
from tripod.cli.app import app
from tripod.intake.questions import answered, number, plan, prefill_from, question_paths, questions
from tripod.intake.review import screen

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
PARTLY = EXAMPLES / "partly_assessed.yaml"
REFERRAL = EXAMPLES / "red_flag_referral.yaml"
runner = CliRunner()
WIDTH, HEIGHT = 100, 40


def planned(path: Path = CLASSIC) -> tuple[list[str], dict[str, Any]]:
    """The keys of the questions the intake plans for a case file, in order (a question's number is
    its place here plus one), and the case's answers."""
    values = prefill_from(load_case(path))
    asked = question_paths()
    answers = {key: value for key, value in values.items() if key in asked}
    while pending := [q for q in plan(answers) if not answered(q, answers)]:
        answers.update({key: values.get(key, "unknown" if pending[0].group else None)
                        for key in pending[0].keys})
    return [q.key for q in plan(answers)], answers


def number_of(key: str) -> str:
    """The number the intake and its review show the question of ``key`` by: its fixed place among
    every question."""
    return str(next(number(q) for q in questions() if q.key == key))


class Terminal:
    """The installed ``tripod`` in a pseudo-terminal 100 columns by 40 rows."""

    def __init__(self, db: Path, *args: str) -> None:
        exe = shutil.which("tripod")
        assert exe, "the tripod console script is not installed"
        env = {**os.environ, "TRIPOD_DB": str(db), "TERM": "dumb", "NO_COLOR": "1",
               "COLUMNS": str(WIDTH), "LINES": str(HEIGHT)}
        self.child = pexpect.spawn(exe, list(args), env=env, encoding="utf-8",
                                   dimensions=(HEIGHT, WIDTH), timeout=90)

    def to_review(self) -> str:
        """Press Enter at every question until the review; returns the review as shown."""
        while self.child.expect_exact(["review> ", "\n> "]) == 1:
            self.child.sendline("")
        return self.review_shown()

    def review_shown(self) -> str:
        before: str = self.child.before
        return before[before.rindex("REVIEW · "):] + "review> "

    def at(self, prompt: str, line: str) -> str:
        """Wait for ``prompt``, type ``line``; returns what was shown before the prompt."""
        self.child.expect_exact(prompt)
        shown: str = self.child.before
        self.child.sendline(line)
        return shown

    def review(self, line: str) -> None:
        self.child.sendline(line)

    def finish(self) -> tuple[str, int]:
        self.child.expect(pexpect.EOF)
        output: str = self.child.before
        self.child.close()
        return output, self.child.exitstatus


def stored(db: Path, client: str = "TR-0007"
           ) -> list[tuple[int, int, int | None, int | None, dict[str, Any]]]:
    """Every stored assessment of ``client``: id, version, what it supersedes, what supersedes it,
    its case."""
    with open_store(db) as store:
        return [(s.id, s.version, s.supersedes, s.superseded_by, s.case)
                for s in store.history(client)]


def draft_answers(db: Path) -> dict[str, Any]:
    with open_store(db) as store:
        (draft,) = store.drafts()
        return {key: answer.value for key, answer in store.draft_answers(draft.id).items()}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A record store in tmp_path, named through TRIPOD_DB."""
    path = tmp_path / "tripod.db"
    monkeypatch.setenv("TRIPOD_DB", str(path))
    return path


# -- the review screen ----------------------------------------------------------------------------


class TestReviewScreen:
    def test_the_classic_case_fits_a_terminal_100_by_40_with_every_answer_numbered(self) -> None:
        keys, answers = planned()
        lines = [line.plain for line in screen(plan(answers), answers, "intake 1", 1, WIDTH, HEIGHT)]
        assert len(lines) + 3 <= HEIGHT  # with a note, the prompt and a blank line
        assert max(map(len, lines)) <= WIDTH
        text = "\n".join(lines)
        for key in keys:
            assert f" {number_of(key)} " in text

    def test_the_two_sides_of_a_measure_share_a_row(self) -> None:
        _, answers = planned()
        left, right = (number_of(f"hips.{side}.ir_deg") for side in ("left", "right"))
        lines = [line.plain for line in screen(plan(answers), answers, "intake 1", 1, WIDTH, HEIGHT)]
        row = next(line for line in lines if f"{left} 22" in line)
        assert f"{right} 36" in row.split(f"{left} 22")[1]

    def test_a_wide_tall_terminal_shows_one_pane_with_whole_labels(self) -> None:
        _, answers = planned()
        lines = [line.plain for line in screen(plan(answers), answers, "intake 1", 1, 120, 80)]
        assert any(line.startswith("Talar internal rotation with plantarflexion under load")
                   for line in lines)

    def test_a_red_flag_answered_yes_is_shown_first_with_its_number_and_tier(self) -> None:
        _, answers = planned()
        answers["red_flags.rf_ces_saddle"] = "yes"
        lines = [line.plain for line in screen(plan(answers), answers, "intake 1", 1, WIDTH, HEIGHT)]
        group = int(number_of("red_flags:cauda_equina"))
        assert lines[1].startswith("RED FLAGS ANSWERED YES · signing refers this client out "
                                   "(emergency)")
        assert lines[2].startswith(f"{group:>3}  emergency: Any numbness")
        assert "Feet" not in "\n".join(lines)  # a referral asks, and shows, no examination


# -- a first visit: review, change, sign, result ---------------------------------------------------


@pytest.mark.slow
class TestFirstVisit:
    def test_an_answer_changed_at_review_is_signed_and_the_result_fits_one_screen(
            self, db: Path) -> None:
        hip = number_of("hips.left.ir_deg")
        term = Terminal(db, "intake", "--from", str(CLASSIC))
        review = term.to_review()
        assert "nothing is stored until you sign" in review
        assert f"{hip} 22" in review
        term.review(hip)
        asked = term.at("\n> ", "24")
        assert f"[{hip}/" in asked and "Hip internal rotation, seated · left" in asked
        term.child.expect_exact("review> ")
        again = term.review_shown()
        assert f"{hip} 24" in again and f"  {hip} Hip internal rotation: 22 -> 24" in again
        assert stored(db) == []  # nothing is stored before signing
        assert draft_answers(db)["hips.left.ir_deg"] == 24  # but the draft has the change
        term.review("s")
        result = term.at("result> ", "")
        _, status = term.finish()
        assert status == 0
        result = result[result.index("SIGNED"):]
        lines = result.rstrip("\n").splitlines()
        assert len(lines) <= 25 and max(len(line.rstrip()) for line in lines) <= WIDTH
        assert " ".join(result.split()).startswith(
            f"SIGNED · stored as assessment 1 (TR-0007, 2026-11-20, version 1) in database {db}")
        assert "STATUS       Screening complete" in result
        assert "ROOT CAUSE   Ascending foot chain (left), confidence moderate" in result
        assert "CONSTRAINTS  1. Restore medial foot loading (left)" in result
        assert "             6. Load the glutes through full range" in result
        assert "ASSESS NEXT  nothing left unassessed" in result
        ((_, version, _, _, case),) = stored(db)
        assert (version, case["hips"]["left"]["ir_deg"]) == (1, 24)

    def test_a_first_visit_with_history_and_outcomes_changed_at_review_and_signed(
            self, db: Path) -> None:
        first_visit = EXAMPLES / "first_visit_with_outcomes.yaml"
        expected = load_case(first_visit)
        assert expected.outcomes is not None and expected.subjective is not None
        pain = number_of("outcomes.nprs_now")
        term = Terminal(db, "intake", "--from", str(first_visit))
        review = term.to_review()
        assert f"{pain} {expected.outcomes.nprs_now}" in review
        assert stored(db, expected.client.id) == []  # nothing stored before signing
        term.review(pain)
        asked = term.at("\n> ", "7")
        assert "Pain now" in asked
        term.child.expect_exact("review> ")
        assert f"{pain} Pain now" in term.review_shown() or f"{pain} 7" in term.review_shown()
        term.review("s")
        result = term.at("result> ", "")
        _, status = term.finish()
        assert status == 0
        assert "SIGNED · stored as assessment 1" in result
        assert "ROOT CAUSE" in result and "CONSTRAINTS" in result
        ((_, _, _, _, case),) = stored(db, expected.client.id)
        assert case["outcomes"]["nprs_now"] == 7
        assert case["subjective"]["complaint"] == expected.subjective.complaint
        assert case["outcomes"]["psfs"] == [a.model_dump() for a in expected.outcomes.psfs or []]

    def test_bad_input_at_review_is_one_line_and_the_review_again(self, db: Path) -> None:
        total = len(questions())
        term = Terminal(db, "intake", "--from", str(CLASSIC))
        term.to_review()
        for typed, value in ((str(total + 1), f"'{total + 1}'"), ("0", "'0'"),
                             ("sing", "'sing'"), ("４", "'４'")):
            term.review(typed)
            term.child.expect_exact("review> ")
            again = term.review_shown()
            assert again.startswith("REVIEW · ")
            assert (f"✗ review: answer = {value}: allowed a number shown (1 to {total}), s (sign) "
                    "or q (leave)") in again
        term.review("q")
        output, status = term.finish()
        assert status == 0
        assert "nothing stored; every answer is saved as intake 1" in output
        assert stored(db) == []

    def test_ctrl_c_at_review_loses_no_answer_and_resume_returns_to_the_review(
            self, db: Path) -> None:
        hip = number_of("hips.left.ir_deg")
        first = Terminal(db, "intake", "--from", str(CLASSIC))
        first.to_review()
        first.review(hip)
        first.at("\n> ", "24")
        first.child.expect_exact("review> ")
        first.child.sendintr()
        output, status = first.finish()
        assert status == 130
        assert "intake paused: every answer so far is saved as intake 1" in output
        assert stored(db) == []
        second = Terminal(db, "intake", "--resume")
        second.child.expect_exact("review> ")  # every question answered: straight to the review
        shown = second.review_shown()
        assert f"{hip} 24" in shown
        assert "[1/" not in second.child.before  # no question asked again
        second.review("s")
        second.at("result> ", "")
        _, status = second.finish()
        assert status == 0
        ((_, _, _, _, case),) = stored(db)
        assert case["hips"]["left"]["ir_deg"] == 24

    def test_a_changed_answer_that_plans_a_new_question_asks_it_before_the_review(
            self, db: Path) -> None:
        visit = number_of("visit")
        term = Terminal(db, "intake", "--from", str(CLASSIC))
        term.to_review()
        term.review(visit)
        term.at("\n> ", "follow_up")
        asked = term.at("\n> ", "3")  # the GROC, asked only on a follow-up
        assert "Global Rating of Change since the last visit" in asked
        term.at("\n> ", "")  # the constraints followed: not assessed
        term.at("\n> ", "")  # how well
        assert "Examination sections to measure again" in term.at("\n> ", "all")
        term.child.expect_exact("review> ")
        assert "✗" not in term.review_shown().split("REVIEW · ")[-1]  # no problem line
        term.review("s")
        term.at("result> ", "")
        term.finish()
        ((_, _, _, _, case),) = stored(db)
        assert case["visit"] == "follow_up"
        assert case["outcomes"]["groc"] == 3

    def test_reports_from_the_result_are_written_owner_only(self, db: Path,
                                                           tmp_path: Path) -> None:
        folder = tmp_path / "reports"
        term = Terminal(db, "intake", "--from", str(CLASSIC))
        term.to_review()
        term.review("s")
        term.at("result> ", f"html client {folder}")
        term.at("result> ", f"pdf {folder}")
        term.at("result> ", "r")
        reasoning = term.at("result> ", "")
        _, status = term.finish()
        assert status == 0
        assert "LIKELY ROOT CAUSE (hypothesis): Ascending foot chain (left)" in reasoning
        assert sorted(p.name for p in folder.iterdir()) == [
            "TR-0007_2026-11-20_client.html", "TR-0007_2026-11-20_client.pdf",
            "TR-0007_2026-11-20_practitioner.pdf"]
        assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}


# -- amend --------------------------------------------------------------------------------------


def store_classic(path: Path = CLASSIC) -> None:
    result = runner.invoke(app, ["assess", str(path), "--store"])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_an_amendment_is_signed_as_version_2_and_version_1_is_kept(db: Path) -> None:
    store_classic()
    hip = number_of("hips.left.ir_deg")
    term = Terminal(db, "amend", "1")
    term.child.expect_exact("review> ")  # the stored visit's answers: straight to the review
    assert "amends assessment 1, version 1" in term.review_shown()
    term.review(hip)
    term.at("\n> ", "24")
    term.child.expect_exact("review> ")
    term.review("s")
    result = term.at("result> ", "")
    _, status = term.finish()
    assert status == 0
    assert "SIGNED · stored as assessment 2 (TR-0007, 2026-11-20, version 2)" in result
    (one, two) = stored(db)
    assert one[:4] == (1, 1, None, 2) and two[:4] == (2, 2, 1, None)
    assert (one[4]["hips"]["left"]["ir_deg"], two[4]["hips"]["left"]["ir_deg"]) == (22, 24)
    one[4]["hips"]["left"]["ir_deg"] = 24
    assert one[4] == two[4]  # nothing else changed, the fields the intake never asks included
    history = runner.invoke(app, ["history", "TR-0007"]).stdout
    # The history judges visits: a corrected visit is one visit, at its latest version.
    assert "TR-0007: 1 visit" in history
    assert "[2] 2026-11-20  initial  version 2 (corrects an earlier version)" in history
    shown = runner.invoke(app, ["show", "1"]).stdout
    assert shown.splitlines()[0].endswith("; corrected by assessment 2")


class TestAmendKeeps:
    def test_a_visit_signed_unchanged_is_not_stored_again_and_says_what_to_assess_next(
            self, db: Path) -> None:
        store_classic(PARTLY)
        result = runner.invoke(app, ["amend", "1"], input="s\n\n")
        assert result.exit_code == 0, result.output
        said = " ".join(result.stdout.split())
        assert "SIGNED · nothing changed, already stored as assessment 1" in said
        assert ("ASSESS NEXT Hip internal rotation (right) [not assessed]: could change the "
                "status, the root cause, 7 findings") in said
        assert "and 37 more (r lists them)" in said

    def test_a_referral_keeps_its_examination_and_every_red_flag(self, db: Path) -> None:
        """The questions stop at the red flags of a visit that refers out; its correction keeps
        what the stored visit holds beyond them."""
        store_classic(REFERRAL)
        practitioner = number_of("practitioner")
        result = runner.invoke(app, ["amend", "1"], input=f"{practitioner}\nDr B\ns\n\n")
        assert result.exit_code == 0, result.output
        with open_store(db) as store:
            (first, second) = (store.assessment(1), store.assessment(2))
        assert first is not None and second is not None
        assert (second.version, second.case["practitioner"]) == (2, "Dr B")
        assert "movements" in first.case and "hips" in first.case
        assert {**first.case, "practitioner": "Dr B"} == second.case


class TestAmendRefused:
    def test_an_unknown_id_is_one_line_and_exit_2(self, db: Path) -> None:
        store_classic()
        result = runner.invoke(app, ["amend", "7"])
        assert (result.exit_code, result.stderr) == (2, (
            f"amend: ASSESSMENT = 7: no such assessment in database {db}; allowed an id that "
            "tripod history lists\n"))

    def test_a_version_already_corrected_names_the_latest(self, db: Path) -> None:
        store_classic()
        runner.invoke(app, ["amend", "1"], input="q\n")
        hip = number_of("hips.left.ir_deg")
        with open_store(db) as store:
            (draft,) = store.drafts()
        result = runner.invoke(app, ["intake", "--resume", str(draft.id)],
                               input=f"{hip}\n24\ns\n\n")
        assert result.exit_code == 0, result.output
        assert "REVIEW · TR-0007 · 2026-11-20 · amends assessment 1, version 1" in result.stdout
        again = runner.invoke(app, ["amend", "1"])
        assert (again.exit_code, again.stderr) == (2, (
            "amend: ASSESSMENT = 1: corrected by assessment 2; allowed the latest version "
            "(tripod amend 2)\n"))

    def test_a_second_amendment_of_the_same_visit_points_to_the_first(self, db: Path) -> None:
        store_classic()
        runner.invoke(app, ["amend", "1"], input="q\n")
        result = runner.invoke(app, ["amend", "1"])
        assert (result.exit_code, result.stderr) == (2, (
            "amend: ASSESSMENT = 1: intake 1 already amends assessment 1; continue it with: "
            "tripod intake --resume 1\n"))

    def test_a_changed_client_id_is_refused_at_signing_and_the_review_shown_again(
            self, db: Path) -> None:
        store_classic()
        client = number_of("client.id")
        result = runner.invoke(app, ["amend", "1"], input=f"{client}\nTR-0008\ns\nq\n")
        assert result.exit_code == 0, result.output
        assert ("✗ amend: client.id = 'TR-0008': a correction of assessment 1 keeps its "
                "client.id; allowed 'TR-0007'") in " ".join(result.stdout.split())
        assert result.stdout.count("REVIEW · ") == 3
        assert [row[:2] for row in stored(db)] == [(1, 1)]


# -- tripod report ID --------------------------------------------------------------------------


@pytest.mark.slow
def test_report_of_a_stored_id_writes_both_audiences_as_pdf_and_html(db: Path,
                                                                     tmp_path: Path) -> None:
    store_classic()
    written = {}
    for audience in ("practitioner", "client"):
        html, pdf = tmp_path / f"{audience}.html", tmp_path / f"{audience}.pdf"
        result = runner.invoke(app, ["report", "1", "--audience", audience, "--html", str(html),
                                     "--pdf", str(pdf)])
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == [f"{html}: {audience} report (HTML)",
                                              f"{pdf}: {audience} report (PDF)"]
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert {html.stat().st_mode & 0o777, pdf.stat().st_mode & 0o777} == {0o600}
        written[audience] = html.read_text(encoding="utf-8")
    assert "TR-0007" in written["client"] and "How solid is this?" in written["practitioner"]
    from_file = runner.invoke(app, ["report", str(CLASSIC), "--audience", "client", "--html",
                                    str(tmp_path / "file.html")])
    assert from_file.exit_code == 0
    assert (tmp_path / "file.html").read_text(encoding="utf-8") == written["client"]


def test_report_of_an_unknown_id_is_one_line_and_exit_2(db: Path, tmp_path: Path) -> None:
    with open_store(str(db)):  # a store made, nothing stored in it
        pass
    result = runner.invoke(app, ["report", "12", "--audience", "client", "--html",
                                 str(tmp_path / "r.html")])
    assert (result.exit_code, result.stderr) == (2, (
        f"report: ASSESSMENT = 12: no such assessment in database {db}; allowed an id that "
        "tripod history lists\n"))
    assert not (tmp_path / "r.html").exists()


def test_report_takes_a_file_named_with_digits_for_a_case_file(
        db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "12").write_bytes(CLASSIC.read_bytes())
    result = runner.invoke(app, ["report", "12", "--audience", "client", "--html", "r.html"])
    assert (result.exit_code, result.stderr) == (2, (
        "12: (file) = '12': allowed a YAML (.yaml, .yml) or JSON (.json) case file\n"))
    assert not db.exists()  # read as a case file: the store was never opened
