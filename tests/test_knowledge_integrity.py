"""The knowledge base guards itself: every id cited exists, every claim is encoded, every rule fires."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import yaml

from engine.inference import assess, build_engine
from knowledge.catalog import _num, _with_numbers, catalog
from storage.casefile import load_case, parse_case
from tests.conftest import CASES, ROOT, example_paths

RULES = sorted((ROOT / "knowledge" / "rules").glob("*.py"))
RULE_TEXT = "\n".join(p.read_text() for p in RULES)
KB = catalog()


def concluded_ids(kind: str) -> set[str]:
    return set(re.findall(rf'self\.{kind}\(\s*"([a-z_]+)"', RULE_TEXT))


RULE_ID = r'"((?:RF|AGE|EXAM|FOOT|TIB|HIP|CHAIN|PEL|LAT|SYM|PROG|ROOT|CON)-\d+)"'


def rule_ids() -> set[str]:
    return set(re.findall(RULE_ID, RULE_TEXT))


def test_every_rule_method_has_its_own_id_and_is_named_by_it() -> None:
    """A trace step names its rule by id: two methods sharing one id would make the trace (and the
    golden cases' expected rules) unable to tell which logic concluded a finding."""
    owners: dict[str, str] = {}
    for rule in build_engine(tuned=False).get_rules():
        method = rule._wrapped
        named = re.fullmatch(r"([a-z]+)_(\d+)_[a-z0-9_]+", method.__name__)
        assert named, f"{method.__name__}: a rule method is named <segment>_<number>_<what it concludes>"
        own = f"{named[1].upper()}-{named[2]}"
        assert set(re.findall(RULE_ID, inspect.getsource(method))) == {own}, method.__name__
        assert own not in owners, f"{own}: {owners.get(own)} and {method.__name__}"
        owners[own] = method.__name__


def test_every_claim_from_c2_to_c20_is_encoded_by_a_rule() -> None:
    cited = set(re.findall(r'"(C\d+)"', RULE_TEXT))
    cited |= {c for model in KB.root_causes.causes.values() for c in model.claims}
    cited |= {c for model in KB.constraints.values() for c in model.claims}
    assert {f"C{n}" for n in range(2, 21)} <= cited


def test_every_cited_claim_exists() -> None:
    cited = set(re.findall(r'"(C\d+)"', RULE_TEXT))
    cited |= {c for m in KB.root_causes.causes.values() for c in m.claims}
    cited |= {c for m in KB.constraints.values() for c in m.claims}
    assert cited <= set(KB.claims)


def test_every_cited_source_exists() -> None:
    cited = {s for t in KB.thresholds.values() for s in t.sources}
    cited |= {s for i in KB.instruments.values() for s in i.sources}
    cited |= {s for f in KB.red_flags.flags.values() for s in f.sources}
    cited |= {s for f in KB.red_flags.examination.values() for s in f.sources}
    for group in re.findall(r"sources=\[([^\]]*)\]", RULE_TEXT):
        cited |= set(re.findall(r'"([A-Z0-9_]+)"', group))
    cited |= set(re.findall(r'_RELIABILITY = \(([^)]*)\)', RULE_TEXT)[0].replace('"', "").replace(" ", "")
                 .split(","))
    cited.discard("")
    assert cited - {"CLAIMS"} <= set(KB.sources)


def test_every_finding_has_practitioner_and_client_wording() -> None:
    for finding in concluded_ids("conclude"):
        wording = KB.texts.findings[finding]
        assert wording.practitioner and wording.client and wording.client_title, finding


def test_every_worded_finding_is_one_a_rule_can_conclude() -> None:
    assert set(KB.texts.findings) == concluded_ids("conclude")


def test_every_root_cause_and_constraint_has_wording_and_an_order() -> None:
    assert set(KB.texts.root_causes) == set(KB.root_causes.causes)
    assert set(KB.texts.constraints) == set(KB.constraints) == concluded_ids("advise")


def test_every_threshold_names_an_observation_a_unit_and_a_source() -> None:
    for key, threshold in KB.thresholds.items():
        assert threshold.sources and threshold.unit and threshold.meaning, key
    used = set(re.findall(r'"!?([a-z0-9_]+)"', RULE_TEXT)) & set(KB.thresholds)
    assert used == set(KB.thresholds), "a threshold no rule uses"


def test_every_red_flag_partner_is_a_red_flag() -> None:
    for flag in KB.red_flags.flags.values():
        assert set(flag.combine_with) <= set(KB.red_flags.flags)
        assert flag.group in KB.red_flags.groups


def test_every_examination_flag_is_one_a_rule_concludes_and_no_case_file_field() -> None:
    """An examination flag is read from the examination (instruments.md section 14i): a rule names
    it, and a case file never has to answer it."""
    for flag, spec in KB.red_flags.examination.items():
        assert f'"{flag}"' in RULE_TEXT, flag
        assert spec.group in KB.red_flags.groups
        assert flag not in KB.red_flags.flags


def test_every_rule_fires_in_at_least_one_golden_case_or_example() -> None:
    engine = build_engine()
    fired: set[str] = set()
    cases = [parse_case(p.name, yaml.safe_load(p.read_text())["intake"]) for p in sorted(CASES.glob("*.yaml"))]
    cases += [load_case(p) for p in example_paths()]
    for case in cases:
        fired |= {step.rule for step in assess(case, engine).trace}
    assert rule_ids() - fired == set()


def test_no_rule_module_writes_a_number_as_a_cut_off() -> None:
    """Cut-offs live in thresholds.yaml: a comparison with a literal number in a rule is a leak."""
    for path in RULES:
        for line in path.read_text().splitlines():
            assert not re.search(r"[<>]=?\s*-?\d", line), f"{Path(path).name}: {line.strip()}"


# How the wording could write a cut-off's number and unit, were it to write them.
UNITS = {"deg": r"deg|degrees|°", "mm": r"mm|millimet", "months": r"months?",
         "sessions/week": r"(lower-body )?sessions?|times a week|a week|per week",
         "years": r"years?|or younger|or older", "score": r"score|points?|or (more|higher)"}
WORDS = {1: "one|once", 2: "two|twice", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
         8: "eight", 9: "nine", 10: "ten"}
WORDED = ("texts", "report_texts", "questions")  # instruments.yaml's normal bands are published ranges


def test_the_wording_takes_cut_offs_from_thresholds_never_as_numbers() -> None:
    """A number written into what a person reads would drift from the rule's own cut-off."""
    for name in WORDED:
        raw = "\n".join(line for line in (ROOT / f"knowledge/data/{name}.yaml").read_text().splitlines()
                        if not line.lstrip().startswith("#"))
        for key, threshold in catalog().thresholds.items():
            assert threshold.unit in UNITS, key
            value = float(threshold.value)
            number = re.escape(_num(abs(value)))
            if value.is_integer() and int(abs(value)) in WORDS:
                number = f"(?:{number}|{WORDS[int(abs(value))]})"
            written = rf"(?<![\w.{{:]){number}(?![\w.])"
            patterns = [
                (rf"{written}(\s*(-|to)\s*[+-]?[\d.]+)?(\s*or (more|less|fewer|younger|older))?"
                 rf"\s*({UNITS[threshold.unit]})"),
                (rf"\b(under|below|above|over|at least|more than|less than|fewer than|up to)"
                 rf"\s+[+-]?{written}"),
                rf"[\d.]+\s*-\s*{written}\s*({UNITS[threshold.unit]})",
            ]
            for pattern in patterns:
                found = re.search(pattern, raw, re.IGNORECASE)
                assert not found, f"{name}.yaml writes {key} as a number: {found.group(0)!r}"
    assert "{cut" not in str(catalog().model_dump())


def test_a_changed_cut_off_changes_the_wording() -> None:
    raw_texts = yaml.safe_load((ROOT / "knowledge/data/texts.yaml").read_text())
    thresholds = yaml.safe_load((ROOT / "knowledge/data/thresholds.yaml").read_text())
    thresholds["hip_ir_limited"]["value"] = 12
    instruments = yaml.safe_load((ROOT / "knowledge/data/instruments.yaml").read_text())
    texts = _with_numbers(raw_texts, {"thresholds": thresholds, "instruments": instruments}, "texts")
    assert "below 12 deg (limited), or in the 12-25 deg" in texts["findings"]["hip_ir_limited"][
        "practitioner"]
    assert texts["labels"]["borderline_hip_ir"] == "hip IR only in the 12-25 deg low-normal band"


def test_an_unknown_cut_off_in_the_wording_is_refused_by_name() -> None:
    data = {"thresholds": {"hip_ir_limited": {"value": 15}},
            "instruments": {"hip_ir_seated_deg": {"error": {"value": 5.4}}, "sex": {}}}
    with pytest.raises(ValueError, match=r"texts.yaml: findings.x.title = '\{cut:nope\}': unknown number"):
        _with_numbers({"findings": {"x": {"title": "{cut:nope}"}}}, data, "texts")
    with pytest.raises(ValueError, match=r"labels.y = '\{cut: hip_ir_limited\}'"):
        _with_numbers({"labels": {"y": "IR {cut: hip_ir_limited}"}}, data, "texts")
    with pytest.raises(ValueError, match=r"labels.z = '\{error:sex\}'"):
        _with_numbers({"labels": {"z": "{error:sex}"}}, data, "texts")
    assert _with_numbers({"a": "about {error:hip_ir_seated_deg} deg"}, data, "texts") == {"a": "about 5.4 deg"}


# The red flags of instruments.md section 17 as tripod-case/1 was published with them: frozen.
TRIPOD_CASE_1_RED_FLAGS = {
    "rf_ces_bladder",
    "rf_ces_bowel",
    "rf_ces_saddle",
    "rf_ces_sexual",
    "rf_ces_bilateral_leg",
    "rf_neuro_progressive",
    "rf_cancer_history",
    "rf_weight_loss",
    "rf_age_new_pain",
    "rf_night_rest_pain",
    "rf_no_improvement",
    "rf_thoracic_pain",
    "rf_fever",
    "rf_immunosuppressed",
    "rf_iv_drug_use",
    "rf_recent_infection",
    "rf_diabetes",
    "rf_trauma",
    "rf_minor_trauma_osteoporosis",
    "rf_long_term_steroids",
    "rf_cannot_bear_weight",
    "rf_inflammatory",
    "rf_scfe",
    "rf_septic_hip",
    "rf_avn",
    "rf_stress_fracture",
    "rf_hip_night_pain",
    "rf_neurovascular",
}


def test_tripod_case_1_requires_every_red_flag_it_was_published_with() -> None:
    """contract.md lists every rf_* id as required in tripod-case/1; a flag added later must not
    be, or existing case files would stop validating."""
    required = {flag for flag, spec in KB.red_flags.flags.items() if spec.required}
    assert required == TRIPOD_CASE_1_RED_FLAGS
