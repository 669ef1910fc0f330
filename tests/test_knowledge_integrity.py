"""The knowledge base guards itself: every id cited exists, every claim is encoded, every rule fires."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from types import CodeType

import pytest
import yaml

from engine.inference import assess, build_engine
from knowledge.catalog import _with_numbers, build, catalog, load_data
from knowledge.clinical import _num
from knowledge.rules.reach import could_change, segment_findings
from knowledge.rules.registry import REGISTRY, rule_id
from storage.casefile import load_case, parse_case
from tests.conftest import CASES, ROOT, example_paths, golden_case

KB = catalog()
RULES = list(REGISTRY.values())
# The screening's rules; the verdict rules (knowledge/rules/verdict.py) run in an engine of their own
# over two visits, and tests/test_history.py holds them to the golden histories.
SCREENING = {rule_id: info for rule_id, info in REGISTRY.items() if info.verdict is None}


def concluded(kind: str) -> set[str]:
    """What the rules can conclude of one kind: finding, block, root or constraint."""
    return {value for info in RULES if (value := getattr(info, kind)) is not None}


def test_every_rule_method_has_its_own_id_and_is_named_by_it() -> None:
    """A trace step names its rule by id: two methods sharing one id would make the trace (and the
    golden cases' expected rules) unable to tell which logic concluded a finding. The registry
    refuses a second method with an id at import; every rule of the engine is registered."""
    methods = [rule._wrapped.__name__ for rule in build_engine(tuned=False).get_rules()]
    assert len(methods) == len(set(methods)) == len(SCREENING)
    assert {rule_id(method) for method in methods} == set(SCREENING)
    for info in RULES:
        assert rule_id(info.method) == info.id
        assert info.concludes, f"{info.id} concludes nothing"


def test_every_claim_from_c2_to_c20_is_encoded_by_a_rule() -> None:
    cited = {c for info in RULES for c in info.claims}
    cited |= {c for model in KB.root_causes.causes.values() for c in model.claims}
    cited |= {c for model in KB.constraints.values() for c in model.claims}
    assert {f"C{n}" for n in range(2, 21)} <= cited


def test_every_cited_claim_exists() -> None:
    cited = {c for info in RULES for c in info.claims}
    cited |= {c for m in KB.root_causes.causes.values() for c in m.claims}
    cited |= {c for m in KB.constraints.values() for c in m.claims}
    assert cited <= set(KB.claims)


def test_every_cited_source_exists() -> None:
    cited = {s for t in KB.thresholds.values() for s in t.sources}
    cited |= {s for i in KB.instruments.values() for s in i.sources}
    cited |= {s for f in KB.red_flags.flags.values() for s in f.sources}
    cited |= {s for f in KB.red_flags.examination.values() for s in f.sources}
    cited |= {s for info in RULES for s in info.sources}
    assert cited <= set(KB.sources)


def test_every_finding_has_practitioner_and_client_wording() -> None:
    for finding in concluded("finding"):
        wording = KB.texts.findings[finding]
        assert wording.practitioner and wording.client and wording.client_title, finding


def test_every_worded_finding_is_one_a_rule_can_conclude() -> None:
    assert set(KB.texts.findings) == concluded("finding")


def test_every_root_cause_and_constraint_has_wording_and_an_order() -> None:
    assert set(KB.texts.root_causes) == set(KB.root_causes.causes) == concluded("root")
    assert set(KB.texts.constraints) == set(KB.constraints) == concluded("constraint")


def test_every_threshold_names_an_observation_a_unit_and_a_source() -> None:
    for key, threshold in KB.thresholds.items():
        assert threshold.sources and threshold.unit and threshold.meaning, key
    read = {key for info in RULES for key in info.cut_offs}
    assert read <= set(KB.thresholds)
    assert read == set(KB.thresholds), "a threshold no rule uses"


def test_a_rule_records_the_cut_offs_its_patterns_read() -> None:
    """The trace's cut-offs come from the patterns: HIP-02 needs IR not under the limit and within
    the low-normal band, and FOOT-11 reads the navicular drop only under a NOT."""
    assert REGISTRY["HIP-02"].thresholds == ("!hip_ir_limited", "hip_ir_borderline_top")
    assert REGISTRY["HIP-04"].thresholds == ("hip_ir_asymmetric",)
    assert REGISTRY["FOOT-11"].thresholds == ("fpi6_pronated",)
    assert REGISTRY["FOOT-11"].negated_thresholds == ("navicular_drop_excessive",)


def test_a_broken_link_between_knowledge_files_is_refused_with_every_problem_on_its_line() -> None:
    """The catalog checks what one file names in another at load: all of it at once, one line each,
    in the `<where>: <field> = <value>: <allowed>` form."""
    data = load_data()
    data["thresholds"]["hip_ir_limited"]["observation"] = "hip_ir_degrees"
    data["texts"]["findings"]["toes_lift"]["order"] = data["texts"]["findings"]["tripod_holds"]["order"]
    data["root_causes"]["causes"]["no_chain_deficit"]["supporting"].append("tripod_hold")
    data["report_texts"]["pictures"]["chain"]["marks"]["pelvic_er"] = {"short": "ER", "tone": "concern"}
    with pytest.raises(ValueError) as refused:
        build(data)
    message = str(refused.value)
    expected = [
        ("knowledge/data/thresholds.yaml: hip_ir_limited.observation = 'hip_ir_degrees': allowed an "
         "observation an instrument measures, or one with derived_from"),
        ("knowledge/data/texts.yaml: findings.toes_lift.order = 40: allowed a place no other finding "
         "has (findings.tripod_holds)"),
        ("knowledge/data/root_causes.yaml: causes.no_chain_deficit.supporting = 'tripod_hold': allowed "
         "a finding of texts.yaml"),
        "knowledge/data/report_texts.yaml: pictures.chain.marks = 'pelvic_er': allowed a finding of texts.yaml",
    ]
    assert expected == message.splitlines()


def test_every_finding_has_its_own_place_in_an_assessment() -> None:
    """Findings are listed in their declared order (texts.yaml's `order`), not the file's key order."""
    orders = [wording.order for wording in KB.texts.findings.values()]
    assert len(orders) == len(set(orders))


def test_every_marked_finding_is_drawn_in_exactly_one_segment() -> None:
    """A finding's picture segment follows from what its rules read: one segment each."""
    drawn = [finding for findings in segment_findings().values() for finding in findings]
    assert sorted(drawn) == sorted(KB.report_texts.pictures.chain.marks)


def test_what_an_observation_could_change_follows_from_the_rules_that_read_it() -> None:
    """Hip IR is read by the hip rules and the examination flags; an older client's hip that has lost
    ER as well holds the screening (EXAM-03), so assessing ER could change the status."""
    ir, er = could_change("hips.{side}.ir_deg"), could_change("hips.{side}.er_deg")
    assert ir[:3] == ("hip_ir_limited", "hip_ir_available", "hip_ir_low_normal")
    assert {"hip_rotation_lost_both_ways", "hip_joint_check_advised", "status"} <= set(er)
    # What rules a finding out (FOOT-02's NOT) comes after what it concludes (FOOT-09), then
    # observations.yaml's also_changes.
    assert could_change("movements.hinge.{side}.toes_lift") == (
        "toes_lift", "tripod_holds", "ir_avoidance_in_lifts", "root_cause")
    for watched in KB.observations:
        assert could_change(watched.path), watched.path


def test_every_red_flag_partner_is_a_red_flag() -> None:
    for flag in KB.red_flags.flags.values():
        assert set(flag.combine_with) <= set(KB.red_flags.flags)
        assert flag.group in KB.red_flags.groups


def test_every_examination_flag_is_one_a_rule_concludes_and_no_case_file_field() -> None:
    """An examination flag is read from the examination (instruments.md section 14i): a rule names
    it, and a case file never has to answer it."""
    read_for = {info.exam_flag for info in RULES}
    for flag, spec in KB.red_flags.examination.items():
        assert flag in read_for, flag
        assert spec.group in KB.red_flags.groups
        assert flag not in KB.red_flags.flags


def test_every_rule_fires_in_at_least_one_golden_case_or_example() -> None:
    engine = build_engine()
    fired: set[str] = set()
    cases = [parse_case(p.name, golden_case(p)["intake"]) for p in sorted(CASES.glob("*.yaml"))]
    cases += [load_case(p) for p in example_paths()]
    for case in cases:
        fired |= {step.rule for step in assess(case, engine).trace}
    assert set(SCREENING) - fired == set()


def _numbers(code: CodeType) -> list[object]:
    found: list[object] = []
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found += _numbers(const)
        elif isinstance(const, (int, float)) and not isinstance(const, bool):
            found.append(const)
    return found


def _tests(condition: object) -> Iterator[Callable[..., object]]:
    """Every function a rule's patterns call: P's predicates and TEST's checks."""
    if isinstance(condition, dict):
        for value in condition.values():
            yield from _tests(value)
    elif isinstance(condition, tuple):
        for item in condition:
            yield from _tests(item)
    elif callable(condition) and hasattr(condition, "__code__"):
        yield condition


def test_no_rule_pattern_compares_with_a_number() -> None:
    """Cut-offs live in thresholds.yaml: a number in a pattern's test (read from its compiled code,
    not its text) would be a cut-off written in Python."""
    for rule in build_engine(tuned=False).get_rules():
        for test in _tests(tuple(rule)):
            assert _numbers(test.__code__) == [], f"{rule._wrapped.__name__}: {test.__code__.co_name}"


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
