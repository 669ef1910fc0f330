"""Tripod's matcher (engine/matcher.py) and engine loop (engine/rete.py) conclude exactly what experta's
own would, only faster."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from experta import EXISTS, MATCH, NOT, OR, Fact, Field, KnowledgeEngine, L, P, Rule
from experta.factlist import FactList
from experta.strategies import DepthStrategy

from engine.facts import FootFact, LiftFact, observations
from engine.inference import assess, build_engine
from engine.matcher import JoinMatcher
from engine.rete import LeanDepthStrategy, LeanLoop, StableDepthStrategy
from storage.casefile import load_case
from tests.conftest import EXAMPLES, example_paths
from tests.test_inference import GOLDEN, golden_case

TUNED = build_engine()
PLAIN = build_engine(tuned=False)


def test_the_tuned_engine_gives_what_plain_experta_gives_on_every_golden_case_and_example() -> None:
    cases = [golden_case(p) for p in GOLDEN] + [load_case(p) for p in example_paths()]
    for case in cases:
        assert assess(case, TUNED).to_json() == assess(case, PLAIN).to_json(), case.client.id


def test_the_agenda_key_is_experta_depth_key_then_the_rule_name_and_bound_values() -> None:
    engine = build_engine(tuned=False)
    engine.reset()
    engine.declare(*observations(load_case(EXAMPLES / "classic_compensatory_pronation.yaml")))
    activations = list(engine.agenda.activations)
    assert len(activations) > 10
    for activation in activations:
        key = StableDepthStrategy().get_key(activation)
        assert key[:3] == (*DepthStrategy().get_key(activation), activation.rule._wrapped.__name__)
        assert all(isinstance(name, str) and isinstance(value, str) for name, value in key[3])


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


def test_a_reset_forgets_every_fact_the_matcher_held() -> None:
    """Nothing of one case stays in the matcher for the next: memory stays flat over a batch."""
    engine = build_engine()
    assess(load_case(EXAMPLES / "classic_compensatory_pronation.yaml"), engine)
    matcher = engine.matcher
    assert isinstance(matcher, JoinMatcher)
    assert sum(len(p.facts) for p in matcher.patterns.values()) > 50
    engine.reset()
    held = [fact for p in matcher.patterns.values() for fact, _ in p.facts]
    assert [type(fact).__name__ for fact in held] == ["InitialFact"] * len(held)
    live = [activation for plan in matcher.plans for activation in plan.live.values()]
    assert all(fact in held for activation in live for fact in activation.facts)


# Toy engines for what the rule base does not do today but a rule could: the tuned matcher must still
# give experta's own answer.

class M(Fact):
    pass


class Seq(Fact):
    step = Field(int, default=lambda: next(_COUNTER))


_COUNTER = itertools.count()


class _Toy(KnowledgeEngine):
    __strategy__ = StableDepthStrategy
    log: list[Any]

    @Rule(M(name="bound", value=MATCH.v))
    def bound(self, v: Any) -> None:
        self.log.append(("bound", repr(v)))

    @Rule(M(name="angles",
            value=P(lambda t: isinstance(t, tuple) and all(isinstance(x, float) for x in t))))
    def all_float(self) -> None:
        self.log.append(("all_float",))

    @Rule(Seq(name="s", step=MATCH.step))
    def step(self, step: int) -> None:
        self.log.append(("step", step))

    @Rule(OR(M(name="either", left=MATCH.x), M(name="either", right=MATCH.x)))
    def either(self, x: str) -> None:
        self.log.append(("either", x))


class _TunedToy(_Toy):
    __matcher__ = JoinMatcher


def _could_match(rule: Rule) -> Any:
    """The one-fact judgement of a matcher over this rule alone."""
    engine = type("One", (KnowledgeEngine,), {"__matcher__": JoinMatcher, "only": rule})()
    return engine.matcher.could_match


def _run(cases: list[list[Fact]], tuned: bool) -> list[list[Any]]:
    engine = _TunedToy() if tuned else _Toy()
    out = []
    for facts in cases:  # one engine reused across cases, as assess() does
        engine.reset()
        engine.log = []
        engine.declare(*(fact.copy() for fact in facts))
        engine.run()
        out.append(engine.log)
    return out


def test_equal_values_a_rule_could_tell_apart_are_not_taken_from_memory() -> None:
    cases = [[M(name="bound", value=0.0)], [M(name="bound", value=-0.0)],
             [M(name="bound", value=Decimal("1.0"))], [M(name="bound", value=Decimal("1.00"))],
             [M(name="angles", value=(10, 12))], [M(name="angles", value=(10.0, 12.0))],
             [M(name="bound", value=1)], [M(name="bound", value=True)], [M(name="bound", value=1.0)]]
    assert _run(cases, tuned=True) == _run(cases, tuned=False)
    assert _run(cases[4:6], tuned=True) == [[], [("all_float",)]]


def test_declared_field_defaults_are_read_as_experta_reads_them() -> None:
    global _COUNTER
    _COUNTER = itertools.count()
    plain = _run([[Seq(name="s")], [Seq(name="s")]], tuned=False)
    _COUNTER = itertools.count()
    assert _run([[Seq(name="s")], [Seq(name="s")]], tuned=True) == plain == [[("step", 0)], [("step", 1)]]
    assert _could_match(Rule(Seq(name="s", step=1)))(Seq, {"name": "s"})


def test_a_nested_accessor_is_judged_on_each_value() -> None:
    wanted = _could_match(Rule(M(name="felt_in", value__0="glutes")))
    assert not wanted(M, {"name": "felt_in", "value": ("hamstrings",)})
    assert wanted(M, {"name": "felt_in", "value": ("glutes",)})


def test_one_rule_matching_the_same_facts_twice_fires_in_a_fixed_order() -> None:
    both = [[M(name="either", left="b", right="a")]]
    assert _run(both, tuned=True) == _run(both, tuned=False) == [[("either", "b"), ("either", "a")]]


class _Chain(KnowledgeEngine):
    """Rules that conclude facts (some twice) and block activations already on the agenda."""

    __strategy__ = StableDepthStrategy
    log: list[Any]

    @Rule(M(name="a", value=MATCH.v), salience=5)
    def concludes(self, v: int) -> None:
        self.log.append(("concludes", v))
        self.declare(M(name="b", value=v))
        self.declare(M(name="b", value=v))  # a duplicate: refused

    @Rule(M(name="b", value=MATCH.v), NOT(M(name="stop", value=MATCH.v)))
    def follows(self, v: int) -> None:
        self.log.append(("follows", v))

    @Rule(M(name="b", value=MATCH.v & P(lambda v: v % 2 == 0)), salience=1)
    def stops(self, v: int) -> None:
        self.log.append(("stops", v))
        self.declare(M(name="stop", value=v))  # takes "follows" of v off the agenda


class _LeanChain(LeanLoop, _Chain):
    __matcher__ = JoinMatcher
    __strategy__ = LeanDepthStrategy


def test_the_lean_loop_and_agenda_fire_what_experta_fires_in_its_order() -> None:
    """Declaring, refusing a duplicate, adding to and taking from the agenda while rules fire: the
    engine loop and agenda the screening engine uses give experta's own firing order."""
    logs = []
    for kind in (_Chain, _LeanChain):
        engine = kind()
        engine.reset()
        engine.log = []
        engine.declare(*(M(name="a", value=v) for v in (3, 2, 1, 4)))
        engine.run()
        logs.append(engine.log)
    assert logs[0] == logs[1]
    assert sorted(logs[0]) == sorted([*(("concludes", v) for v in (1, 2, 3, 4)),
                                      ("stops", 2), ("stops", 4), ("follows", 1), ("follows", 3)])


def test_the_reference_engine_runs_on_experta_own_loop_agenda_and_fact_list() -> None:
    """What the tuned engine is held to changes nothing of experta but the agenda's tie-break."""
    assert type(PLAIN.facts) is FactList and type(PLAIN.strategy) is StableDepthStrategy
    assert "_update_agenda" not in vars(StableDepthStrategy)
    for method in ("declare", "run", "get_activations"):
        assert getattr(type(PLAIN), method) is getattr(KnowledgeEngine, method)


def test_the_tuned_matcher_is_set_through_experta_hook_and_patches_no_instance() -> None:
    """The engine class names its matcher; the matcher keeps its own methods."""
    assert type(TUNED.matcher) is JoinMatcher and type(PLAIN.matcher).__name__ == "ReteMatcher"
    assert "changes" not in vars(TUNED.matcher)


def test_the_tuned_matcher_refuses_an_experta_release_it_was_not_written_for(
        monkeypatch: Any) -> None:
    import experta

    monkeypatch.setattr(experta, "__version__", "1.9.5")
    try:
        _TunedToy()
    except RuntimeError as error:
        assert "experta 1.9.5 is installed" in str(error) and "1.9.4" in str(error)
    else:
        raise AssertionError("a JoinMatcher was built on an unknown experta release")


def test_a_retracted_fact_takes_back_its_activations_and_frees_what_it_blocked() -> None:
    """Tripod never retracts, but experta's engines may: the matcher answers as experta's does."""

    class Blocking(_Toy):
        @Rule(M(name="a", value=MATCH.v), NOT(M(name="stop", value=MATCH.v)))
        def unblocked(self, v: Any) -> None:
            self.log.append(("unblocked", v))

    def fired(matcher: type | None) -> list[Any]:
        kind = type("E", (Blocking,), {"__matcher__": matcher}) if matcher else Blocking
        engine = kind()
        engine.reset()
        engine.log = []
        engine.declare(M(name="a", value=1), M(name="a", value=2))
        stop = engine.declare(M(name="stop", value=1))
        engine.retract(engine.declare(M(name="a", value=3)))
        engine.retract(stop)
        engine.run()
        return sorted(engine.log)

    assert fired(JoinMatcher) == fired(None) == [("unblocked", 1), ("unblocked", 2)]


def test_what_experta_network_matches_otherwise_is_refused_not_matched_differently() -> None:
    class Exists(KnowledgeEngine):
        __matcher__ = JoinMatcher

        @Rule(EXISTS(M(name="x")))
        def any_x(self) -> None: ...

    class Negated(KnowledgeEngine):
        __matcher__ = JoinMatcher

        @Rule(M(name=~L("x")))
        def not_x(self) -> None: ...

    for engine in (Exists, Negated):
        with pytest.raises(ValueError, match="Tripod's matcher"):
            engine()
