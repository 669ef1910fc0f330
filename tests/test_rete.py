"""The tuned matcher (engine/rete.py) concludes exactly what experta's own would, only faster."""

from __future__ import annotations

from collections import Counter
from typing import Any

from experta.strategies import DepthStrategy

from engine.casefile import load_case
from engine.facts import FootFact, Found, HipFact, LiftFact, observations
from engine.inference import assess, build_engine
from engine.rete import AlphaMemo, StableDepthStrategy, _nodes
from tests.conftest import EXAMPLES, example_paths
from tests.test_inference import GOLDEN, golden_case

TUNED = build_engine()
PLAIN = build_engine(tuned=False)


def test_the_tuned_engine_gives_what_plain_experta_gives_on_every_golden_case_and_example() -> None:
    cases = [golden_case(p) for p in GOLDEN] + [load_case(p) for p in example_paths()]
    for case in cases:
        assert assess(case, TUNED).to_json() == assess(case, PLAIN).to_json(), case.client.id


def test_the_agenda_key_is_experta_depth_key_with_the_rule_name_last() -> None:
    engine = build_engine(tuned=False)
    engine.reset()
    engine.declare(*observations(load_case(EXAMPLES / "classic_compensatory_pronation.yaml")))
    activations = list(engine.agenda.activations)
    assert len(activations) > 10
    for activation in activations:
        expected = (*DepthStrategy().get_key(activation), activation.rule._wrapped.__name__)
        assert StableDepthStrategy().get_key(activation) == expected


def test_only_observations_some_pattern_could_match_are_declared() -> None:
    wanted = TUNED.worth_declaring
    assert wanted is not None
    lift = {"segment": "movements", "side": "left", "movement": "hinge"}
    assert wanted(LiftFact, {**lift, "name": "first_met", "value": "lost"})
    assert wanted(LiftFact, {**lift, "name": "first_met", "value": "kept"})  # FOOT-02
    assert not wanted(LiftFact, {**lift, "name": "heel", "value": "kept"})  # only "lost" counts
    foot = {"segment": "feet", "side": "left", "movement": None, "name": "fpi6_total"}
    assert wanted(FootFact, {**foot, "value": 6})  # meets the FPI-6 cut-off
    assert not wanted(FootFact, {**foot, "value": 5})


def test_tuning_leaves_experta_network_as_it_was_built() -> None:
    def kinds(engine: Any) -> Counter[str]:
        return Counter(type(node).__name__ for node in _nodes(engine.matcher.root_node))

    assert kinds(TUNED) == kinds(PLAIN)


def test_the_alpha_memo_is_in_use_remembers_by_value_and_stays_bounded() -> None:
    engine = build_engine()
    assert engine.alpha is not None and engine.alpha.usable
    assert {"name", "value", "side"} <= set(engine.alpha.fields[HipFact])
    assert {"finding", "side"} <= set(engine.alpha.fields[Found])
    classic = load_case(EXAMPLES / "classic_compensatory_pronation.yaml")
    assess(classic, engine)
    remembered = len(engine.alpha.memo)
    assert remembered > 20
    assess(classic, engine)
    assert len(engine.alpha.memo) == remembered  # the same values: nothing new to walk
    engine.alpha.REMEMBERED = 25
    for case in [golden_case(p) for p in GOLDEN]:
        assert assess(case, engine).to_json() == assess(case, PLAIN).to_json()
        assert len(engine.alpha.memo) <= 25
