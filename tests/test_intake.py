"""The intake model: what a valid case is, and how each kind of bad field is reported."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.errors import CaseFileError
from knowledge.catalog import catalog
from storage.casefile import load_case
from tests.conftest import example_paths


def problems(write_case: Any, doc: Any, name: str = "case.yaml") -> list[str]:
    with pytest.raises(CaseFileError) as info:
        load_case(write_case(doc, name))
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_every_example_validates_and_is_held_as_version_2(path: Any) -> None:
    """Either version is read; a version-1 case is a version-2 case without the visit sections."""
    case = load_case(path)
    assert case.format == "tripod-case/2"


def test_left_out_optional_field_is_not_assessed_not_normal(classic_doc: Any, write_case: Any) -> None:
    del classic_doc["feet"]["left"]["navicular_drop_mm"]
    del classic_doc["pelvis"]
    case = load_case(write_case(classic_doc))
    assert case.feet.left.navicular_drop_mm is None
    assert case.pelvis is None


def test_yaml_booleans_stand_for_yes_and_no(classic_doc: Any, write_case: Any) -> None:
    classic_doc["standing"]["com_forward"] = True
    classic_doc["red_flags"]["rf_fever"] = False
    case = load_case(write_case(classic_doc))
    assert (case.standing.com_forward, case.red_flags.rf_fever) == ("yes", "no")


def test_json_case_has_the_same_shape_as_yaml(classic_doc: Any, write_case: Any) -> None:
    classic_doc["assessed_on"] = "2026-11-20"
    from_json = load_case(write_case(json.dumps(classic_doc), "case.json"))
    assert from_json.hips.left.ir_deg == 22


def test_hip_ir_out_of_range_names_field_value_and_range(classic_doc: Any, write_case: Any) -> None:
    classic_doc["hips"]["left"]["ir_deg"] = 140
    spec = catalog().instrument("hip_ir_seated_deg")
    expected = f"hips.left.ir_deg = 140: allowed {spec.range_text()}"
    assert [expected] == [p.split(": ", 1)[1] for p in problems(write_case, classic_doc)]


def test_range_bounds_come_from_the_knowledge_base(classic_doc: Any, write_case: Any) -> None:
    classic_doc["feet"]["left"]["fpi6_total"] = 13
    assert problems(write_case, classic_doc)[0].endswith("feet.left.fpi6_total = 13: allowed -12 to 12 score")


def test_unknown_enum_value_lists_the_allowed_values(classic_doc: Any, write_case: Any) -> None:
    classic_doc["movements"]["hinge"]["left"]["first_met"] = "half"
    (line,) = problems(write_case, classic_doc)
    assert line.endswith("movements.hinge.left.first_met = 'half': allowed one of kept, lost, unsure")


def test_misspelt_field_is_an_error_not_dropped(classic_doc: Any, write_case: Any) -> None:
    classic_doc["hips"]["left"]["ir_degs"] = 22
    (line,) = problems(write_case, classic_doc)
    assert "hips.left.ir_degs = 22: unknown field; allowed: ir_deg, er_deg" in line


def test_wrong_type_is_not_coerced(classic_doc: Any, write_case: Any) -> None:
    classic_doc["feet"]["left"]["fpi6_total"] = "8"
    classic_doc["hips"]["right"]["ir_deg"] = True
    lines = problems(write_case, classic_doc)
    assert any(l.endswith("feet.left.fpi6_total = '8': allowed a whole number") for l in lines)
    assert any(l.endswith("hips.right.ir_deg = true: allowed a number") for l in lines)


def test_fractional_score_is_rejected(classic_doc: Any, write_case: Any) -> None:
    classic_doc["feet"]["left"]["fpi6_total"] = 7.5
    assert problems(write_case, classic_doc)[0].endswith("= 7.5: allowed a whole number")


def test_future_date_is_rejected(classic_doc: Any, write_case: Any) -> None:
    classic_doc["assessed_on"] = "2999-01-01"
    (line,) = problems(write_case, classic_doc)
    assert "assessed_on = '2999-01-01': allowed a date not after today" in line


def test_date_with_a_time_is_rejected(classic_doc: Any, write_case: Any) -> None:
    classic_doc["assessed_on"] = "2026-11-20T10:00"
    (line,) = problems(write_case, classic_doc)
    assert "assessed_on = '2026-11-20T10:00': allowed a date as YYYY-MM-DD" in line


def test_missing_required_red_flag_is_named_with_its_answers(classic_doc: Any, write_case: Any) -> None:
    del classic_doc["red_flags"]["rf_ces_bowel"]
    (line,) = problems(write_case, classic_doc)
    assert line.endswith("red_flags.rf_ces_bowel = (missing): required; allowed one of yes, no, unknown")


def test_pregnancy_items_may_be_left_out_only_for_a_male_client(classic_doc: Any, write_case: Any) -> None:
    for key in [k for k in classic_doc["red_flags"] if k.startswith("preg_")]:
        del classic_doc["red_flags"][key]
    lines = problems(write_case, classic_doc)
    assert len(lines) == 3 and all("required when client.sex is 'female'" in l for l in lines)
    classic_doc["client"]["sex"] = "male"
    assert load_case(write_case(classic_doc, "male.yaml")).red_flags.preg_current is None


def test_every_problem_of_a_file_is_reported_at_once(classic_doc: Any, write_case: Any) -> None:
    classic_doc["client"]["id"] = "has space"
    classic_doc["client"]["age"] = 200
    classic_doc["feet"]["right"]["navicular_drop_mm"] = -9
    classic_doc["movements"]["hinge"]["felt_in"] = ["glutes", "glutes"]
    fields = [line.split(": ")[1].split(" = ")[0] for line in problems(write_case, classic_doc)]
    assert fields == ["client.id", "client.age", "feet.right.navicular_drop_mm", "movements.hinge.felt_in"]


def test_client_id_pattern_is_stated(classic_doc: Any, write_case: Any) -> None:
    classic_doc["client"]["id"] = "../etc/passwd"
    (line,) = problems(write_case, classic_doc)
    assert line.endswith("client.id = '../etc/passwd': allowed 1 to 64 of A-Z a-z 0-9 . _ -")


def test_hips_without_a_method_is_an_error(classic_doc: Any, write_case: Any) -> None:
    del classic_doc["hips"]["method"]
    (line,) = problems(write_case, classic_doc)
    assert line.endswith("hips.method = (missing): required; allowed one of seated, prone")


def test_not_a_number_is_rejected(classic_doc: Any, write_case: Any) -> None:
    classic_doc["hips"]["left"]["ir_deg"] = float("nan")
    (line,) = problems(write_case, classic_doc)
    assert "hips.left.ir_deg = nan: allowed -20 to 100 deg" in line
