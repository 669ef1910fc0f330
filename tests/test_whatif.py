"""What-if analysis: flip points found by re-running the real engine, robustness, next best test."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from engine.inference import build_engine
from engine.whatif import analyse
from storage.casefile import load_case, parse_case
from tests.conftest import CASES, EXAMPLES, golden_case
from tripod.cli.app import app

ENGINE = build_engine()
CLEAN = yaml.safe_load((CASES / "01_clean_no_chain_deficit.yaml").read_text())["intake"]


@pytest.fixture
def clean() -> dict[str, Any]:
    """Every observation within the normal bands: the model finds no chain deficit."""
    return copy.deepcopy(CLEAN)


def test_hip_ir_just_above_the_limit_flips_to_the_pelvic_chain_within_measurement_error(clean: Any) -> None:
    """By construction: tripod holds, left IR 16 (one step above < 15); 14 gives a restricted hip."""
    clean["hips"]["left"]["ir_deg"] = 16
    result = analyse(parse_case("c.yaml", clean), ENGINE)
    assert result.baseline.root_cause == "no_chain_deficit"
    flip = result.smallest_flip
    assert flip is not None
    assert (flip.path, flip.old, flip.new) == ("hips.left.ir_deg", 16, 14)
    assert flip.outcome.root_cause == "descending_pelvic_chain"
    assert flip.in_errors == round(2 / 5.4, 2)
    assert result.robust is False
    assert "hips.left.ir_deg" in [h.path for h in result.hinges]


def test_hip_ir_far_from_the_limit_survives_measurement_error(clean: Any) -> None:
    clean["hips"]["left"]["ir_deg"] = 40
    result = analyse(parse_case("c.yaml", clean), ENGINE)
    check = next(i for i in result.inputs if i.path == "hips.left.ir_deg")
    assert check.nearest_flip is not None and check.nearest_flip.new == 14
    assert check.survives_error is True


def test_case_with_every_input_far_from_every_cut_off_is_robust(clean: Any) -> None:
    result = analyse(parse_case("c.yaml", clean), ENGINE)
    assert result.robust is True
    assert result.smallest_flip is not None and result.smallest_flip.in_errors > 1
    numeric = [i for i in result.inputs if i.error]
    assert numeric and all(i.survives_error for i in numeric)


def test_fpi_one_point_over_the_cut_off_is_a_flip_without_a_published_error(clean: Any) -> None:
    """FPI-6 +6 with absent eversion compensates; +5 does not, and the tripod then holds."""
    clean["feet"]["left"].update(fpi6_total=6, calcaneal_eversion="absent")
    clean["hips"]["left"]["ir_deg"] = 12
    result = analyse(parse_case("c.yaml", clean), ENGINE)
    assert result.baseline.root_cause == "ascending_foot_chain"
    flip = next(c for c in result.flips if c.path == "feet.left.fpi6_total")
    assert (flip.old, flip.new, flip.outcome.root_cause) == (6, 5, "descending_pelvic_chain")
    check = next(i for i in result.inputs if i.path == "feet.left.fpi6_total")
    assert check.error is None and check.survives_error is None


def test_poorly_reliable_judgement_the_conclusion_hinges_on_is_flagged() -> None:
    result = analyse(load_case(EXAMPLES / "pelvis_driven_ir_loss.yaml"), ENGINE)
    hinge = next(h for h in result.hinges if h.path == "movements.hinge.left.first_met")
    assert hinge.poor_reliability and hinge.reliability == "unknown"
    assert hinge.nearest_flip.outcome.root_cause == "ascending_foot_chain"


def test_next_best_test_is_the_one_that_decides_between_two_root_causes(clean: Any) -> None:
    """The left lift not observed, hips restricted, pelvis ER: only the left tripod tells foot from
    pelvis on the left; the right foot holding says nothing about the left hip."""
    del clean["movements"]["hinge"]["left"]
    clean["hips"]["left"]["ir_deg"] = 10
    clean["hips"]["right"]["ir_deg"] = 11
    clean["pelvis"] = {"sacrum": "counternutated", "rotation_bias": "external"}
    result = analyse(parse_case("c.yaml", clean), ENGINE)
    assert result.baseline.status == "incomplete"
    top = result.next_tests[0]
    assert top.path == "movements.hinge.left.first_met"
    assert top.changes_root_cause
    roots = " ".join(top.outcomes)
    assert "ascending_foot_chain" in roots and "descending_pelvic_chain" in roots


def test_referral_cannot_be_changed_by_any_observation() -> None:
    result = analyse(load_case(EXAMPLES / "red_flag_referral.yaml"), ENGINE)
    assert (result.baseline.status, result.flips, result.next_tests) == ("referral", (), ())


def test_whatif_command_prints_text_and_json(clean: Any, write_case: Any) -> None:
    clean["hips"]["left"]["ir_deg"] = 16
    path = write_case(clean)
    runner = CliRunner()
    text = runner.invoke(app, ["whatif", str(path)])
    assert text.exit_code == 0, text.output
    assert "hips.left.ir_deg 16 -> 14 would change no_chain_deficit to descending_pelvic_chain" in text.stdout
    data = json.loads(runner.invoke(app, ["whatif", str(path), "--format", "json"]).stdout)
    assert data["format"] == "tripod-whatif/1" and data["robust"] is False


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    sorted(EXAMPLES.glob("*.yaml")) + sorted(CASES.glob("*.yaml")),
    ids=lambda p: p.stem,
)
def test_reusing_runs_with_the_same_inputs_changes_nothing_but_the_run_count(path: Any) -> None:
    """A change that gives the engine the facts and unknowns of an earlier run takes its outcome
    (engine/whatif.py); held to running every change, on every example and golden case."""
    document = golden_case(path)["intake"] if path.parent == CASES else yaml.safe_load(path.read_text())
    case = parse_case(path.name, document)
    reused = analyse(case, ENGINE)
    every = analyse(case, ENGINE, reuse=False)
    assert every.model_dump(exclude={"runs", "seconds"}) == reused.model_dump(
        exclude={"runs", "seconds"}
    )
    assert reused.runs <= every.runs
