"""Property: any valid intake terminates with a consistent assessment whose findings are all explained."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from engine.inference import assess, build_engine
from knowledge.catalog import catalog
from storage.casefile import parse_case

KB = catalog()
ENGINE = build_engine()
PLAIN = build_engine(tuned=False)  # experta's own matcher, every observation declared


def number(instrument: str) -> st.SearchStrategy[Any]:
    spec = KB.instrument(instrument)
    if spec.kind == "integer":
        return st.integers(int(spec.min), int(spec.max))  # type: ignore[arg-type]
    return st.floats(spec.min, spec.max, allow_nan=False).map(lambda v: round(v, 1))


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def section(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({k: maybe(v) for k, v in fields.items()}).map(
        lambda d: {k: v for k, v in d.items() if v is not None})


presence = st.sampled_from(["present", "absent", "unsure"])
contact = st.sampled_from(["kept", "lost", "unsure"])
yes_no = st.sampled_from(["yes", "no", "unsure"])
foot = section(fpi6_total=number("fpi6_total"), navicular_drop_mm=number("navicular_drop_mm"),
               calcaneal_eversion=presence, talar_internal_rotation=presence, midfoot_yield=presence,
               mtp1_dorsiflexion_deg=number("mtp1_dorsiflexion_deg"))
lift_side = section(heel=contact, first_met=contact, fifth_met=contact, toes_lift=yes_no,
                    weight_drift=st.sampled_from(["lateral", "medial", "none", "unsure"]))
lift = section(left=lift_side, right=lift_side, reps_finish=yes_no,
               felt_in=st.lists(st.sampled_from(["glutes", "hamstrings", "lower_back", "quads", "adductors",
                                                 "nothing"]), unique=True, max_size=3))
# Mostly a clean red-flag screen, so that chain reasoning is reached; sometimes one or more flags.
all_no = st.just({flag: "no" for flag in KB.red_flags.flags})
some_flags = st.fixed_dictionaries({
    flag: st.sampled_from(["no"] * 20 + ["yes", "unknown"]) for flag in KB.red_flags.flags
})
red_flags = st.one_of(all_no, all_no, all_no, some_flags)

intake = st.fixed_dictionaries({
    "format": st.just("tripod-case/1"),
    "client": st.fixed_dictionaries({"id": st.just("PROP-1"), "age": number("client_age_years"),
                                     "sex": st.sampled_from(["female", "male", "intersex", "undisclosed"])}),
    "assessed_on": st.just("2026-01-01"),
    "red_flags": red_flags,
    "programme": section(months_consistent=number("months_consistent"),
                         lower_body_sessions_per_week=number("lower_body_sessions_per_week"),
                         progressive_overload=st.sampled_from(["yes", "no", "unknown"])),
    "feet": section(left=foot, right=foot),
    "movements": section(hinge=lift, split_squat=lift),
    "tibia": section(left=section(rotation_bias=st.sampled_from(["external", "neutral", "internal", "unsure"]),
                                  thigh_foot_angle_deg=number("thigh_foot_angle_deg"))),
    "hips": st.fixed_dictionaries({"method": st.sampled_from(["seated", "prone"]),
                                   "left": section(ir_deg=number("hip_ir_seated_deg")),
                                   "right": section(ir_deg=number("hip_ir_seated_deg"))}),
    "pelvis": section(sacrum=st.sampled_from(["nutated", "neutral", "counternutated", "unsure"]),
                      rotation_bias=st.sampled_from(["external", "neutral", "internal", "unsure"])),
    "lateral_chain": section(left=section(ober=st.sampled_from(["positive", "negative", "unsure"]),
                                          ober_angle_deg=number("ober_angle_deg"), fibular_head_er=yes_no)),
    "standing": section(com_forward=yes_no, glute_gripping=yes_no),
})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intake)
def test_any_valid_intake_terminates_with_every_finding_explained(document: dict[str, Any]) -> None:
    case = parse_case("drawn.yaml", document)  # every drawn shape is a valid intake
    result = assess(case, ENGINE)
    for finding in result.findings:
        steps = result.steps_for(finding.ref())
        assert steps and all(s.claims or s.sources for s in steps)
    if result.status == "complete":
        assert result.root_cause is not None
        assert [c.order for c in result.constraints] == list(range(1, len(result.constraints) + 1))
    else:
        assert result.root_cause is None and result.constraints == ()
    if result.status == "referral":
        # Only the first pass (red flags, age) ran: no chain finding can be there.
        assert result.referral.required
        assert all(f.rule.startswith(("RF-", "AGE-")) for f in result.findings)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intake)
def test_the_tuned_engine_concludes_what_plain_experta_concludes(document: dict[str, Any]) -> None:
    """engine/rete.py only skips work: findings, root cause, trace and its order are unchanged."""
    case = parse_case("drawn.yaml", document)
    assert assess(case, ENGINE).to_json() == assess(case, PLAIN).to_json()


@pytest.mark.parametrize("status", ["complete", "incomplete", "referral"])
def test_the_drawn_intakes_reach_every_status(status: str) -> None:
    """The properties above are only worth something if their intakes reach chain reasoning too:
    the strategy is searched until it draws one of each status (whatever the examples the
    properties happened to draw in this run)."""
    def reaches(document: dict[str, Any]) -> bool:
        return assess(parse_case("drawn.yaml", document), ENGINE).status == status

    drawn = find(intake, reaches, settings=settings(max_examples=2_000, database=None, deadline=None,
                                                     phases=(Phase.generate,)))
    assert assess(parse_case("drawn.yaml", drawn), ENGINE).status == status
