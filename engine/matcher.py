"""Tripod's matcher: experta's rules matched to experta's activations, without its token network.

experta's RETE passes every fact through a network of nodes as tokens: each node copies the token,
keeps frozen copies and logs its test; for seventy rules over a hundred facts that bookkeeping is
most of an assessment. :class:`JoinMatcher` keeps what a RETE keeps (each pattern's facts with the
variables they bind, each rule's matches) in plain lists and dicts, and for each declared fact finds
only the matches it makes (joined with the facts of the rule's other patterns in the rule's order,
each NOT and TEST judged on the variables bound before it, as experta's left-deep join nodes judge
them) or breaks (a NOT it passes removes the matches whose earlier variables agree with it).

Rules are taken as experta prepares them (``prepare_rule``: disjunctive normal form, an
``InitialFact`` before a leading NOT); one-fact tests and each pattern's memory are in
``engine/patterns.py``. The engine gets
what experta's ``ReteMatcher`` gives: the activations added and removed, with the same facts (the
``InitialFact`` included) and bound values; ``tests/test_rete.py`` and a hypothesis property hold the
whole assessment, trace order included, to ``ReferenceEngine`` on experta's own matcher. Set through
experta's hook (``__matcher__ = JoinMatcher``), it refuses another experta release, and what
experta's network matches otherwise (EXISTS, FORALL, a NOT of several patterns, ``~``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import experta
from experta import AND, NOT, OR, TEST, Fact, KnowledgeEngine
from experta.abstract import Matcher
from experta.activation import Activation
from experta.matchers.rete.utils import prepare_rule

from engine.patterns import Bindings, KindIndex, Pattern, variables_bound

EXPERTA_VERSION = "1.9.4"  # the release whose rule preparation and matching this module follows

_POS, _NOT, _TEST = 0, 1, 2


class _Test(NamedTuple):
    """A TEST step: its function, and the variables it is passed (None for one not bound yet)."""

    test: Callable[..., Any]
    parameters: tuple[str, ...]


class Plan:
    """One rule (or one branch of a rule with an OR) as a sequence of steps, and its matches."""

    __slots__ = ("before", "captures", "live", "positives", "rule", "steps")

    def __init__(self, rule: Any) -> None:
        self.rule = rule
        self.steps: list[tuple[int, Any]] = []  # (_POS or _NOT, Pattern) or (_TEST, _Test)
        self.captures: list[str | None] = []  # per step: the name a positive unbound pattern keeps
        self.before: list[frozenset[str]] = []  # per step: the variables bound before it
        self.positives: list[Pattern] = []  # the patterns of its positive steps
        # Each match by the facts of its positive steps (their ids), with its activation.
        self.live: dict[tuple[int, ...], Activation] = {}


class JoinMatcher(Matcher):  # type: ignore[misc]
    """Matches an engine's rules by joining pattern memories; gives experta's activations."""

    def __init__(self, engine: KnowledgeEngine) -> None:
        installed = experta.__version__
        if installed != EXPERTA_VERSION:
            raise RuntimeError(
                f"experta {installed} is installed; Tripod's matcher follows the matching of experta "
                f"{EXPERTA_VERSION} and would not be held to its results on another release")
        super().__init__(engine)
        self.patterns: dict[Fact, Pattern] = {}
        self.by_kind: dict[type, list[Pattern]] = {}
        self.plans: list[Plan] = []
        for rule in engine.get_rules():
            prepared = prepare_rule(rule)
            if len(prepared) == 1 and isinstance(prepared[0], OR):
                branches = [b if isinstance(b, AND) else (b,) for b in prepared[0]]
            else:
                branches = [tuple(prepared)]
            for branch in branches:
                self.plans.append(self._plan(prepared, branch))
        self.index = {kind: KindIndex(patterns) for kind, patterns in self.by_kind.items()}
        self._added: dict[tuple[int, tuple[int, ...]], Activation] = {}
        self._removed: list[Activation] = []

    def _pattern(self, pattern: Fact) -> Pattern:
        known = self.patterns.get(pattern)
        if known is None:
            known = self.patterns[pattern] = Pattern(pattern)
            self.by_kind.setdefault(type(pattern), []).append(known)
        return known

    def _plan(self, rule: Any, elements: Iterable[Any]) -> Plan:
        plan = Plan(rule)
        bound: set[str] = set()
        seen: list[Fact] = []
        for element in elements:
            plan.before.append(frozenset(bound))
            what: Pattern | _Test
            if isinstance(element, Fact):
                kind, what = _POS, self._pattern(element)
                plan.captures.append(None if element.__bind__ else f"__pattern_{len(plan.steps)}__")
                bound.update(variables_bound(element))
            elif isinstance(element, NOT) and len(element) == 1 and isinstance(element[0], Fact):
                kind, what = _NOT, self._pattern(element[0])
                plan.captures.append(None)
                element = element[0]
            elif isinstance(element, TEST):
                test = element[0]
                kind, what = _TEST, _Test(test, tuple(inspect.signature(test).parameters))
                plan.captures.append(None)
            else:
                raise ValueError(f"rule {getattr(rule, '__name__', rule)}: {type(element).__name__} "
                                 "is matched differently by experta's network; Tripod's matcher "
                                 "takes facts, NOT of one fact and TEST")
            if isinstance(element, Fact):
                # experta captures an unbound pattern under a name shared by equal patterns: two
                # equal ones in one rule would have to be the same fact. No Tripod rule has them.
                if not element.__bind__ and element in seen:
                    raise ValueError(f"rule {getattr(rule, '__name__', rule)}: the same pattern twice")
                seen.append(element)
            if isinstance(what, Pattern):
                (what.joins if kind == _POS else what.blocks).append((plan, len(plan.steps)))
                if kind == _POS:
                    plan.positives.append(what)
            plan.steps.append((kind, what))
        return plan

    def reset(self) -> None:
        # Only what holds something is emptied: most patterns and rules see nothing in a case.
        for pattern in self.patterns.values():
            if pattern.facts:
                pattern.facts = []
        for plan in self.plans:
            if plan.live:
                plan.live = {}
        self._added = {}
        self._removed = []

    def could_match(self, kind: type[Fact], fields: Mapping[str, Any]) -> bool:
        """Whether a fact of class ``kind`` with ``fields`` passes the one-fact tests of some
        pattern, under a NOT or not: one that passes none can change no activation, and need not be
        declared at all (judged on the fields a fact is about to be built from)."""
        patterns = self.index.get(kind)
        if patterns is None:
            return False
        if getattr(kind, "__fields__", None):
            return True  # experta fills in declared defaults on reading: these fields say too little
        # A variable bound twice in one pattern is taken to agree: this errs toward declaring.
        for _, checks in patterns.candidates(fields):
            for check in checks:
                if not check(fields):
                    break
            else:
                return True
        return False

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        """The activations added and removed by declaring ``adding`` and retracting ``deleting``."""
        if deleting:
            gone = {id(fact) for fact in deleting}
            for pattern in self.patterns.values():
                pattern.facts = [entry for entry in pattern.facts if id(entry[0]) not in gone]
        for fact in adding or ():
            self._declare(fact)
        if deleting:  # Tripod never retracts: every rule is matched again from its memories
            for plan in self.plans:
                self._rematch(plan)
        added, self._added = list(self._added.values()), {}
        removed, self._removed = self._removed, []
        return added, removed

    def _declare(self, fact: Fact) -> None:
        patterns = self.index.get(type(fact))
        if patterns is None:
            return
        passed = []
        for pattern, checks in patterns.candidates(fact):
            bound = pattern.test(fact, checks)
            if bound is not None:
                pattern.facts.append((fact, bound))
                passed.append((pattern, bound))
        for pattern, bound in passed:
            for plan, step in pattern.joins:
                # No match while one of the rule's positive patterns has no fact: not joined at all.
                for other in plan.positives:
                    if not other.facts:
                        break
                else:
                    self._join(plan, 0, {}, (), (), step, fact, bound)
            for plan, step in pattern.blocks:
                if plan.live:
                    self._block(plan, step, bound)

    def _block(self, plan: Plan, index: int, bound: Bindings) -> None:
        """Remove the plan's matches that a fact passing its NOT step ``index`` blocks."""
        before = plan.before[index]
        shared = [name for name in bound if name in before]
        for key, activation in list(plan.live.items()):
            context = activation.context
            for name in shared:
                if context[name] != bound[name]:
                    break
            else:
                del plan.live[key]
                if self._added.pop((id(plan), key), None) is None:
                    self._removed.append(activation)

    def _join(self, plan: Plan, index: int, context: Bindings, facts: tuple[Fact, ...],
              key: tuple[int, ...], fixed: int, fact: Fact | None, bound: Bindings | None) -> None:
        """Extend a partial match from step ``index`` on, step ``fixed`` taking only ``fact``."""
        steps = plan.steps
        while index < len(steps):
            kind, what = steps[index]
            if kind == _POS:
                entries = [(fact, bound or {})] if index == fixed else what.facts
                capture = plan.captures[index]
                for other, binds in entries:
                    # experta's join of two contexts: a variable both bind must agree.
                    for name, value in binds.items():
                        if name in context and context[name] != value:
                            break
                    else:
                        merged = {**context, **binds}
                        if capture is not None:
                            merged[capture] = other
                        self._join(plan, index + 1, merged, (*facts, other), (*key, id(other)),
                                   fixed, fact, bound)
                return
            if kind == _NOT:  # a fact that agrees with every variable bound so far blocks
                for _, binds in what.facts:
                    for name, value in binds.items():
                        if name in context and context[name] != value:
                            break
                    else:
                        return
            elif not what.test(**{name: context.get(name) for name in what.parameters}):
                return
            index += 1
        if key not in plan.live:
            activation = _activation(plan.rule, facts, context)
            plan.live[key] = activation
            self._added[(id(plan), key)] = activation

    def _rematch(self, plan: Plan) -> None:
        """Match a plan afresh from its patterns' memories (after a retraction) and report the
        difference from what it had."""
        old, plan.live = plan.live, {}
        pending = self._added
        self._added = {}
        self._join(plan, 0, {}, (), (), -1, None, None)
        fresh, self._added = self._added, pending
        for (_, key), activation in fresh.items():
            if key in old:
                plan.live[key] = old[key]
            else:
                self._added[(id(plan), key)] = activation
        for key, activation in old.items():
            if key not in plan.live and self._added.pop((id(plan), key), None) is None:
                self._removed.append(activation)


def _activation(rule: Any, facts: tuple[Fact, ...], context: Bindings) -> Activation:
    """experta's ``Activation(rule, facts, context)``, its facts the distinct ones in a tuple rather
    than a set: a set hashes each fact through experta's ``Fact.__hash__``, a Python call per fact
    per match. Distinct by identity is distinct by equality here, as the fact list refuses a fact
    equal to one it holds. What reads them (the agenda's key, its equality test, the log) takes
    either."""
    activation: Activation = Activation.__new__(Activation)
    activation.rule = rule
    activation.facts = tuple({id(fact): fact for fact in facts}.values())
    activation.key = None
    activation.context = context
    return activation
