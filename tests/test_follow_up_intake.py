"""``tripod intake --follow-up CLIENT``: the follow-up of a client's last stored visit.

The follow-ups run the installed ``tripod`` in a pseudo-terminal (pexpect) 100 columns by 40 rows,
against a real SQLite record store in tmp_path holding the first visit of
``examples/follow_up/TR-0021_initial.yaml``; the refusals that ask nothing run through typer's
runner.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from storage.store import open_store
from tests.conftest import EXAMPLES
from tests.test_review import Terminal
from tripod.cli.app import app
from tripod.intake.questions import examination, questions

INITIAL = EXAMPLES / "follow_up" / "TR-0021_initial.yaml"
CLIENT = "TR-0021"
runner = CliRunner()

# The first visit's PSFS activities, in its order.
ACTIVITIES = ["Romanian deadlift, 60 kg, feeling the glutes", "Walking lunges without knee pain",
              "Running for the bus"]
# The lifts and the hips measured again, as TR-0021_follow_up.yaml has them, in the order asked.
LIFTS = ["kept", "kept", "no", "no", "none", "none", "glutes, hamstrings", "yes",
         "kept", "kept", "no", "no", "none", "none", "glutes, quads", "yes",
         "absent", "present", "absent", "present", "absent", "present"]
HIPS = ["seated", "30", "46", "37", "44"]
RED_FLAG_GROUPS = sum(1 for q in questions() if q.group)  # all of them: the client is female


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A record store in tmp_path, named through TRIPOD_DB, holding TR-0021's first visit."""
    path = tmp_path / "tripod.db"
    monkeypatch.setenv("TRIPOD_DB", str(path))
    stored = runner.invoke(app, ["assess", "--store", str(INITIAL)])
    assert stored.exit_code == 0, stored.output
    return path


def visits(db: Path) -> list[dict[str, Any]]:
    with open_store(db) as store:
        return [s.case for s in store.history(CLIENT)]


def answer(term: Terminal, *lines: str) -> str:
    """Type each line at the next prompt; returns what was shown before the last one."""
    shown = ""
    for line in lines:
        shown = term.at("\n> ", line)
    return shown


def outcomes_and_since(term: Terminal) -> None:
    """NPRS, the PSFS (the three activities again and a new one), LEFS, GROC, then what was done."""
    answer(term, "1", "3", "7", "8", "6", "Hip thrust, 80 kg = 6", "66", "5", "1, 2, 4", "most")


class TestASignedFollowUp:
    def test_two_sections_measured_again_are_stored_with_the_rest_left_out_and_judged(
            self, db: Path) -> None:
        term = Terminal(db, "intake", "--follow-up", CLIENT)
        outcomes_and_since(term)
        flags = " ".join(answer(term, "n").split())
        assert "At a follow-up they are asked again, since they can change between visits." in flags
        answer(term, *["n"] * (RED_FLAG_GROUPS - 1))
        picker = term.at("\n> ", "2 4")
        assert "Examination sections to measure again" in picker
        answer(term, *LIFTS, *HIPS)
        term.at("\n> ", "Feels the glutes in RDLs now.")
        term.child.expect_exact("review> ")
        review = term.review_shown()
        for title in ("Standing", "Seated or long-sitting", "Prone", "Side-lying"):
            assert any(title in line and "not re-assessed" in line
                       for line in review.splitlines()), title
        assert "follow-up of assessment 1" in review
        term.review("s")
        result = term.at("result> ", "")
        _, status = term.finish()
        assert status == 0
        flat = " ".join(result.split())
        assert "HYPOTHESIS Supported: the hypothesis of assessment 1 (2026-09-07)" in flat
        assert f"its reasons, change by change: tripod history {CLIENT}" in flat

        first, follow_up = visits(db)
        assert follow_up["visit"] == "follow_up"
        assert follow_up["assessed_on"] == dt.date.today().isoformat()
        assert follow_up["client"] == first["client"]
        assert follow_up["programme"] == first["programme"]
        assert [a["activity"] for a in follow_up["outcomes"]["psfs"]] == [
            *ACTIVITIES, "Hip thrust, 80 kg"]
        assert [a["score"] for a in follow_up["outcomes"]["psfs"]] == [7, 8, 6, 6]
        assert follow_up["outcomes"]["groc"] == 5
        assert follow_up["since_last_visit"] == {
            "constraints_followed": ["restore_medial_foot_loading", "toe_bias_constraint",
                                     "regain_hip_ir"], "adherence": "most"}
        assert follow_up["notes"] == "Feels the glutes in RDLs now."
        # Not picked: left out of the case, never carried over as unchanged.
        for left_out in ("tibia", "pelvis", "lateral_chain", "standing", "subjective"):
            assert left_out not in follow_up, left_out
        # The feet hold only what the lifts judge under load: no posture index, no 1st MTP.
        assert follow_up["feet"]["left"] == {"calcaneal_eversion": "absent",
                                             "talar_internal_rotation": "absent",
                                             "midfoot_yield": "absent"}
        assert follow_up["hips"]["left"] == {"ir_deg": 30, "er_deg": 46}
        assert follow_up["movements"]["hinge"]["left"]["first_met"] == "kept"

        history = runner.invoke(app, ["history", CLIENT, "--format", "json"])
        assert history.exit_code == 0, history.output
        (change,) = json.loads(history.stdout)["changes"]
        assert change["hypothesis"] == "supported"
        judged = {o["path"]: o["judgement"] for o in change["observations"]}
        assert judged["feet.left.fpi6_total"] == "not_reassessed"
        assert judged["hips.left.ir_deg"] == "beyond_error"
        assert change["psfs_activities"]["new"] == ["Hip thrust, 80 kg"]

    def test_an_activity_not_rated_again_is_stated_and_left_out(self, db: Path) -> None:
        term = Terminal(db, "intake", "--follow-up", CLIENT)
        answer(term, "1", "3", "7", "8", "skip")
        stated = " ".join(answer(term, "", "66").split())  # no new activity; then the LEFS
        assert ("not rated again: Running for the bus (last visit 6); tripod history lists it "
                "as dropped, not as a change") in stated
        answer(term, "5", "none", "some", *["n"] * RED_FLAG_GROUPS, "none", "")
        term.child.expect_exact("review> ")
        assert "not rated again: Running for the bus" in term.review_shown()
        term.review("s")
        term.at("result> ", "")
        assert term.finish()[1] == 0
        _, follow_up = visits(db)
        assert [a["activity"] for a in follow_up["outcomes"]["psfs"]] == ACTIVITIES[:2]
        assert follow_up["since_last_visit"] == {"constraints_followed": [], "adherence": "some"}
        assert not set(follow_up) & {"feet", "movements", "hips", "tibia", "pelvis"}


    def test_a_report_written_from_the_result_shows_the_progress_and_the_verdict(
            self, db: Path, tmp_path: Path) -> None:
        from knowledge.catalog import catalog

        term = Terminal(db, "intake", "--follow-up", CLIENT)
        answer(term, "1", "3", "7", "8", "skip")
        answer(term, "", "66")
        answer(term, "5", "none", "some", *["n"] * RED_FLAG_GROUPS, "none", "")
        term.child.expect_exact("review> ")
        term.review("s")
        folder = tmp_path / "reports"
        term.at("result> ", f"html practitioner {folder}")
        term.at("result> ", "")
        assert term.finish()[1] == 0
        (html,) = (p.read_text(encoding="utf-8") for p in folder.iterdir())
        headings = catalog().report_texts.practitioner.headings
        assert headings["verdict"] in html and headings["progress"] in html
        assert '<svg class="outcome"' in html  # the outcome measures charted over the visits


class TestBadInput:
    def test_a_constraint_the_last_visit_did_not_give_is_refused_naming_it_and_the_allowed(
            self, db: Path) -> None:
        term = Terminal(db, "intake", "--follow-up", CLIENT)
        answer(term, "1", "3", "7", "8", "6", "", "66", "5", "1, review_execution")
        shown = " ".join(term.at("\n> ", "1, 2").split())
        assert ("✗ since_last_visit.constraints_followed = review_execution: not a constraint the "
                "last visit gave (assessment 1, 2026-09-07); allowed 1 restore_medial_foot_loading, "
                "2 toe_bias_constraint, 3 avoid_pressure_cues, 4 regain_hip_ir, 5 "
                "pelvic_position_toward_nutation, 6 load_glutes_through_full_range, by number or "
                "name, comma-separated, or none") in shown
        assert shown.count("✗") == 1  # one line, not the case file's list of every constraint
        term.child.sendintr()
        assert term.finish()[1] == 130

    def test_an_unknown_client_is_one_line_exit_2_and_nothing_stored(self, db: Path) -> None:
        result = runner.invoke(app, ["intake", "--follow-up", "TR-9999"])
        assert (result.exit_code, result.stderr) == (2, (
            f"intake: --follow-up = 'TR-9999': no such client in database {db}; allowed a client "
            "with a stored visit (tripod clients lists them)\n"))
        with open_store(db) as store:
            assert store.drafts(only_open=False) == []
            assert [c.id for c in store.clients()] == [CLIENT]

    @pytest.mark.parametrize("other", [["--resume"], ["--from", str(INITIAL)]])
    def test_with_from_or_resume_is_one_line(self, db: Path, other: list[str]) -> None:
        result = runner.invoke(app, ["intake", "--follow-up", CLIENT, *other])
        assert result.exit_code == 2
        assert result.stderr.startswith(f"intake: --follow-up = '{CLIENT}': allowed only for a new "
                                        f"intake, not with {other[0]}")
        assert result.stderr.count("\n") == 1

    def test_a_follow_up_on_the_date_of_the_last_visit_points_to_amend(
            self, db: Path, tmp_path: Path) -> None:
        document = yaml.safe_load(INITIAL.read_text(encoding="utf-8"))
        document["assessed_on"] = dt.date.today().isoformat()
        today = tmp_path / "today.yaml"
        today.write_text(yaml.safe_dump(document), encoding="utf-8")
        assert runner.invoke(app, ["assess", "--store", str(today)]).exit_code == 0
        result = runner.invoke(app, ["intake", "--follow-up", CLIENT])
        assert (result.exit_code, result.stderr) == (2, (
            f"intake: --follow-up = '{CLIENT}': the last visit (assessment 2) is dated "
            f"{dt.date.today()}: the store keeps one visit per client and date, so this would be a "
            "correction of it; allowed a later date, or correct that visit with: tripod amend 2\n"))
        with open_store(db) as store:
            assert store.drafts(only_open=False) == []

    def test_a_date_changed_at_review_to_the_last_visit_is_refused(self, db: Path) -> None:
        term = Terminal(db, "intake", "--follow-up", CLIENT)
        outcomes_and_since(term)
        answer(term, *["n"] * RED_FLAG_GROUPS, "none", "")
        term.child.expect_exact("review> ")
        term.review("5")  # the date
        shown = " ".join(term.at("\n> ", "2026-09-07").split())
        assert "[5/" in shown
        refused = " ".join(term.at("\n> ", "2026-10-19").split())
        assert ("✗ assessed_on = 2026-09-07: the last visit (assessment 1) is dated 2026-09-07: "
                "the store keeps one visit per client and date") in refused
        assert "tripod amend 1" in refused
        term.child.expect_exact("review> ")
        term.review("s")
        term.at("result> ", "")
        assert term.finish()[1] == 0
        assert [v["assessed_on"] for v in visits(db)] == ["2026-09-07", "2026-10-19"]


class TestDrafts:
    def test_an_interrupted_follow_up_resumes_as_the_follow_up_of_that_client(
            self, db: Path) -> None:
        term = Terminal(db, "intake", "--follow-up", CLIENT)
        answer(term, "1", "3", "7", "8", "6", "", "66", "5", "1, 2, 4")
        term.child.expect_exact("\n> ")  # adherence
        term.child.sendintr()
        output, status = term.finish()
        assert status == 130
        assert "continue with: tripod intake --resume 1" in " ".join(output.split())
        with open_store(db) as store:
            (draft,) = store.drafts()
            assert draft.source == f"follow-up of {CLIENT}, assessment 1"
            saved = {k: a.value for k, a in store.draft_answers(draft.id).items()}
        assert saved["visit"] == "follow_up"
        assert saved["since_last_visit.constraints_followed"] == [
            "restore_medial_foot_loading", "toe_bias_constraint", "regain_hip_ir"]
        assert [a["score"] for a in saved["outcomes.psfs"]] == [7, 8, 6]

        again = Terminal(db, "intake", "--resume")
        shown = answer(again, "most")
        assert "How well they were followed" in shown
        answer(again, *["n"] * RED_FLAG_GROUPS)
        answer(again, "3", "62", "72", "")  # the seated section alone: the 1st MTP
        again.child.expect_exact("review> ")
        review = again.review_shown()
        assert "follow-up of assessment 1" in review
        assert "1st MTP dorsiflexion" in review
        again.review("s")
        again.at("result> ", "")
        assert again.finish()[1] == 0
        _, follow_up = visits(db)
        assert follow_up["visit"] == "follow_up"
        assert follow_up["since_last_visit"]["adherence"] == "most"
        assert follow_up["feet"] == {"left": {"mtp1_dorsiflexion_deg": 62},
                                     "right": {"mtp1_dorsiflexion_deg": 72}}
        assert not set(follow_up) & {"movements", "hips", "tibia", "pelvis", "lateral_chain"}


def test_the_examination_sections_are_those_a_follow_up_picks_from() -> None:
    assert sorted(examination()) == sorted(
        ["standing", "lifts", "seated", "hips", "prone", "side_lying"])
