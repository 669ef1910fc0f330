"""Inference as data: the trace, red-flag handling, engine reuse, and the assessment's JSON contract."""

from __future__ import annotations

import json
import random
from typing import Any

from typer.testing import CliRunner

from engine.inference import assess, build_engine
from storage.casefile import load_case, parse_case
from tests.conftest import CASES, EXAMPLES, example_paths
from tests.conftest import golden_case as golden_doc
from tripod.cli.app import app

GOLDEN = sorted(CASES.glob("*.yaml"))


def golden_case(path: Any) -> Any:
    return parse_case(path.name, golden_doc(path)["intake"])


def test_reusing_one_engine_gives_the_same_results_as_a_fresh_engine() -> None:
    """experta keeps facts and agenda between runs; assess must reset them (and our trace)."""
    cases = [golden_case(p) for p in GOLDEN] + [load_case(p) for p in example_paths()]
    fresh = [assess(c).to_json() for c in cases]
    engine = build_engine()
    order = list(range(len(cases))) * 2
    random.Random(7).shuffle(order)
    reused = {i: assess(cases[i], engine).to_json() for i in order}
    assert fresh == [reused[i] for i in range(len(cases))]


def test_red_flag_refers_out_and_suppresses_chain_reasoning_and_training_constraints() -> None:
    result = assess(load_case(EXAMPLES / "red_flag_referral.yaml"))
    assert (result.status, result.referral.urgency) == ("referral", "emergency")
    assert result.findings == () and result.constraints == () and result.root_cause is None
    assert {s.rule for s in result.trace} == {"RF-01", "RF-04"}  # saddle yes; bladder unknown
    assert result.missing == ("red_flags.rf_ces_bladder",)  # only the unanswered red flag


def test_unknown_red_flag_alone_does_not_refer_but_blocks_a_conclusion(classic_doc: Any) -> None:
    classic_doc["red_flags"]["rf_fever"] = "unknown"
    result = assess(parse_case("c.yaml", classic_doc))
    assert (result.status, result.referral.required, result.root_cause) == ("incomplete", False, None)
    assert result.constraints == ()
    assert result.missing[0] == "red_flags.rf_fever"


def test_every_finding_has_a_trace_step_that_cites_a_claim_or_a_source() -> None:
    for path in GOLDEN:
        result = assess(golden_case(path))
        for finding in result.findings:
            steps = result.steps_for(finding.ref())
            assert steps, (path.name, finding.id)
            assert all(step.claims or step.sources for step in steps), (path.name, finding.id)


def test_findings_name_the_case_file_fields_they_used(classic_doc: Any) -> None:
    result = assess(parse_case("c.yaml", classic_doc))
    finding = result.finding("compensatory_pronation", "left")
    assert finding is not None
    assert {"feet.left.fpi6_total", "feet.left.calcaneal_eversion"} <= set(finding.based_on)
    chain = result.finding("ascending_er_chain", "left")
    assert chain is not None and "finding:first_met_unloaded:left" in chain.based_on


def test_a_value_that_was_not_entered_is_never_used() -> None:
    """Every observation in the trace carries a value that the case file holds."""
    for path in GOLDEN:
        case = golden_case(path)
        document = case.model_dump(mode="json")
        for step in assess(case).trace:
            for observation in step.observations:
                value: Any = document
                for part in observation.path.split("."):
                    value = value[part]
                assert value == observation.value


def test_derived_cut_off_is_carried_into_the_trace_with_its_status(classic_doc: Any) -> None:
    classic_doc["lateral_chain"]["left"] = {"ober_angle_deg": -20, "fibular_head_er": "yes"}
    result = assess(parse_case("c.yaml", classic_doc))
    uses = [t for s in result.trace for t in s.thresholds if t.key == "ober_angle_tight"]
    assert uses and all(t.status == "derived" and t.met for t in uses)


def test_missing_observations_say_what_assessing_them_could_change() -> None:
    result = assess(load_case(EXAMPLES / "partly_assessed.yaml"))
    detail = {m.path: m for m in result.missing_detail}
    assert detail["feet.left.calcaneal_eversion"].state == "unsure"
    assert detail["hips.right.ir_deg"].state == "not_assessed"
    assert "root_cause" in detail["hips.right.ir_deg"].could_change
    assert result.root_cause is not None and result.root_cause.confidence == "low"


def test_pelvic_items_are_not_listed_as_missing_for_a_pregnant_client(classic_doc: Any) -> None:
    classic_doc["red_flags"]["preg_current"] = "yes"
    del classic_doc["pelvis"]
    result = assess(parse_case("c.yaml", classic_doc))
    assert not [m for m in result.missing if m.startswith("pelvis.")]


class TestAssessCommand:
    runner = CliRunner()

    def test_json_output_is_the_tripod_assessment_contract(self) -> None:
        result = self.runner.invoke(app, ["assess", str(EXAMPLES / "classic_compensatory_pronation.yaml"),
                                          "--format", "json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["format"] == "tripod-assessment/1"
        assert {"format", "case", "knowledge_version", "status", "referral", "root_cause", "alternatives",
                "findings", "constraints", "missing"} <= set(data)
        assert data["case"] == {"client_id": "TR-0007", "assessed_on": "2026-11-20"}
        assert data["root_cause"]["id"] == "ascending_foot_chain"
        assert data["root_cause"]["sides"] == ["left"]
        assert data["constraints"][0] == {**data["constraints"][0], "id": "restore_medial_foot_loading",
                                          "order": 1}
        finding = next(f for f in data["findings"] if f["id"] == "compensatory_pronation")
        assert {"id", "side", "rule", "claims", "sources", "based_on"} <= set(finding)

    def test_text_output_explains_the_root_cause_and_each_finding(self) -> None:
        result = self.runner.invoke(app, ["assess", str(EXAMPLES / "classic_compensatory_pronation.yaml")])
        assert result.exit_code == 0, result.output
        text = result.stdout
        assert "not a diagnosis" in text
        assert "LIKELY ROOT CAUSE (hypothesis): Ascending foot chain (left), confidence moderate" in text
        assert "[FOOT-04] Compensatory pronation (left)  C4 C5 C6" in text
        assert "feet.left.fpi6_total = 8" in text
        assert "1. Restore medial foot loading (left)" in text

    def test_assess_of_a_broken_file_exits_2_with_the_problem(self, write_case: Any) -> None:
        result = self.runner.invoke(app, ["assess", str(write_case("format: nope\n"))])
        assert result.exit_code == 2
        assert "format = 'nope': allowed one of tripod-case/1" in result.stderr


def test_the_same_case_gives_the_same_trace_in_every_process() -> None:
    """Rules of equal salience over the same facts must not fire in an order set by PYTHONHASHSEED."""
    import os
    import shutil
    import subprocess

    exe = shutil.which("tripod")
    assert exe
    case = str(EXAMPLES / "classic_compensatory_pronation.yaml")
    outputs = {
        subprocess.run([exe, "assess", case, "--format", "json"], capture_output=True, text=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}, timeout=60, check=True).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(outputs) == 1


def test_a_trusted_model_is_the_model_pydantic_would_construct_and_needs_every_field() -> None:
    """The trace's models are made without re-validation (engine/trace.py trusted()); what comes
    out must be what pydantic's model_construct makes, and a field left out is refused."""
    import pytest

    from engine.trace import MissingDetail, trusted

    values = {"path": "hips.left.ir_deg", "state": "not_assessed", "could_change": ("status",)}
    made, constructed = trusted(MissingDetail, **values), MissingDetail.model_construct(**values)
    assert made == constructed == MissingDetail(**values)
    assert made.model_fields_set == constructed.model_fields_set
    assert made.model_dump_json() == constructed.model_dump_json()
    with pytest.raises(TypeError, match="could_change"):
        trusted(MissingDetail, path="hips.left.ir_deg", state="not_assessed")
