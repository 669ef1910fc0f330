"""Tripod's matcher: experta's rules matched to experta's activations, without its token network.

experta's RETE passes every fact through a network of nodes as tokens: each node copies the token,
keeps frozen copies and logs its test; for seventy rules over a hundred facts that bookkeeping is
most of an assessment. :class:`JoinMatcher` keeps what a RETE keeps (each pattern's facts with the
variables they bind, each rule's matches) in plain lists and dicts, and for each declared fact finds
only the matches it makes (joined with the facts of the rule's other patterns in the rule's order,
each NOT and TEST judged on the variables bound before it, as experta's left-deep join nodes judge
them) or breaks (a NOT it passes removes the matches whose earlier variables agree with it).

Rules are taken as experta prepares them (``prepare_rule``: disjunctive normal form, an
``InitialFact`` before a leading NOT); one-fact tests are experta's ``FeatureCheck``s, or for plain
literals, bindings and predicates on a top-level field the same tests made here. The engine gets
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
from experta.fieldconstraint import ANDFC, NOTFC, ORFC, FieldConstraint, L, P, W
from experta.matchers.rete.check import FeatureCheck
from experta.matchers.rete.utils import prepare_rule

EXPERTA_VERSION = "1.9.4"  # the release whose rule preparation and matching this module follows

Check = Callable[[Mapping[str, Any]], Any]  # False, True, or the variables it binds
Bindings = dict[str, Any]
_POS, _NOT, _TEST = 0, 1, 2


def _field_check(field: Any, how: Any) -> Check:
    """One field test, as experta's FeatureCheck makes it: a missing field fails, a literal compares
    ``expected == actual``, a wildcard binds, a predicate holds when its function says so."""
    plain = isinstance(field, str) and "__" not in field
    if plain and not isinstance(how, FieldConstraint):
        how = L(how)
    if plain and type(how) is L and how.__bind__ is None:
        value = how.value

        def literal(fact: Mapping[str, Any]) -> Any:
            try:
                return value == fact[field]
            except KeyError:
                return False
        return literal
    if plain and type(how) is W and how.__bind__ is not None:
        name = how.__bind__

        def bind(fact: Mapping[str, Any]) -> Any:
            try:
                return {name: fact[field]}
            except KeyError:
                return False
        return bind
    if plain and isinstance(how, P) and how.__bind__ is None:
        match = how.match

        def predicate(fact: Mapping[str, Any]) -> Any:
            try:
                actual = fact[field]
            except KeyError:
                return False
            return bool(match(actual))
        return predicate
    if _negates(how):
        raise ValueError(f"a negated field constraint ({field}=~...) is matched differently by "
                         "experta's network; Tripod's matcher does not take it")
    return FeatureCheck(field, how)  # type: ignore[no-any-return]


def _negates(how: Any) -> bool:
    if isinstance(how, NOTFC):
        return True
    return isinstance(how, (ANDFC, ORFC)) and any(_negates(part) for part in how)


class _Pattern:
    """One fact pattern, shared by every rule that has an equal one: its tests, and the facts that
    pass them with the variables they bind (its alpha memory)."""

    __slots__ = ("bind", "blocks", "checks", "facts", "gates", "joins", "kind")

    def __init__(self, pattern: Fact) -> None:
        self.kind = type(pattern)
        self.checks: list[Check] = []
        # The checks that only pass or fail one top-level field (a constant, a predicate).
        self.gates: dict[str, Check] = {}
        for field, how in pattern.items():
            if Fact.is_special(field):
                continue
            check = _field_check(field, how)
            self.checks.append(check)
            if (isinstance(field, str) and "__" not in field
                    and getattr(how, "__bind__", None) is None
                    and (not isinstance(how, FieldConstraint) or type(how) is L or isinstance(how, P))):
                self.gates[field] = check
        self.bind: str | None = pattern.__bind__
        self.facts: list[tuple[Fact, Bindings]] = []
        # The rules' steps that use it: as a positive pattern, and under a NOT.
        self.joins: list[tuple[_Plan, int]] = []
        self.blocks: list[tuple[_Plan, int]] = []

    def test(self, fact: Mapping[str, Any], checks: list[Check]) -> Bindings | None:
        """The variables ``fact`` binds when it passes every test (experta merges them so that a
        variable bound twice must be bound to equal values), or None. ``checks``: the pattern's
        checks, less one the fact is known to pass."""
        bound: Bindings = {}
        for check in checks:
            result = check(fact)
            if not result:
                return None
            if result is not True:
                for name, value in result.items():
                    if not isinstance(name, str):
                        raise TypeError("a negated binding is not taken by Tripod's matcher")
                    if name in bound and bound[name] != value:
                        return None
                    bound[name] = value
        if self.bind is not None:
            if self.bind in bound and bound[self.bind] != fact:
                return None
            bound[self.bind] = fact
        return bound


class _Index:
    """The patterns of one fact class, by what one field (the one most of them test on its own,
    such as an observation's ``name``) lets through: a fact is tested only against the patterns its
    value of that field passes. Which those are is found once per text value and kept: the tests
    are pure functions of the value (knowledge/rules/base.py keeps them so)."""

    REMEMBERED = 4_096  # text values seen (names, ids): bounded all the same, for a flat memory

    def __init__(self, patterns: list[_Pattern]) -> None:
        counts: dict[str, int] = {}
        for pattern in patterns:
            for field in pattern.gates:
                counts[field] = counts.get(field, 0) + 1
        self.field = max(counts, key=counts.__getitem__) if counts else None
        self.gated = [(pattern, pattern.gates.get(self.field or "")) for pattern in patterns]
        self.full = [(pattern, pattern.checks) for pattern in patterns]
        self.free = [(pattern, pattern.checks) for pattern, gate in self.gated if gate is None]
        self.memo: dict[str, list[tuple[_Pattern, list[Check]]]] = {}

    def candidates(self, fact: Mapping[str, Any]) -> list[tuple[_Pattern, list[Check]]]:
        """The patterns ``fact`` could pass, in the order they were met, each with the checks that
        are left to make."""
        field = self.field
        if field is None:
            return self.full
        try:
            value = fact[field]
        except KeyError:
            return self.free  # a test on a missing field fails
        if type(value) is not str:
            return self.full
        found = self.memo.get(value)
        if found is None:
            probe = {field: value}
            found = [(pattern, pattern.checks if gate is None
                      else [check for check in pattern.checks if check is not gate])
                     for pattern, gate in self.gated if gate is None or gate(probe)]
            if len(self.memo) >= self.REMEMBERED:
                self.memo.clear()
            self.memo[value] = found
        return found


class _Test(NamedTuple):
    """A TEST step: its function, and the variables it is passed (None for one not bound yet)."""

    test: Callable[..., Any]
    parameters: tuple[str, ...]


class _Plan:
    """One rule (or one branch of a rule with an OR) as a sequence of steps, and its matches."""

    __slots__ = ("before", "captures", "live", "positives", "rule", "steps")

    def __init__(self, rule: Any) -> None:
        self.rule = rule
        self.steps: list[tuple[int, Any]] = []  # (_POS or _NOT, _Pattern) or (_TEST, _Test)
        self.captures: list[str | None] = []  # per step: the name a positive unbound pattern keeps
        self.before: list[frozenset[str]] = []  # per step: the variables bound before it
        self.positives: list[_Pattern] = []  # the patterns of its positive steps
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
        self.patterns: dict[Fact, _Pattern] = {}
        self.by_kind: dict[type, list[_Pattern]] = {}
        self.plans: list[_Plan] = []
        for rule in engine.get_rules():
            prepared = prepare_rule(rule)
            if len(prepared) == 1 and isinstance(prepared[0], OR):
                branches = [b if isinstance(b, AND) else (b,) for b in prepared[0]]
            else:
                branches = [tuple(prepared)]
            for branch in branches:
                self.plans.append(self._plan(prepared, branch))
        self.index = {kind: _Index(patterns) for kind, patterns in self.by_kind.items()}
        self._added: dict[tuple[int, tuple[int, ...]], Activation] = {}
        self._removed: list[Activation] = []

    def _pattern(self, pattern: Fact) -> _Pattern:
        known = self.patterns.get(pattern)
        if known is None:
            known = self.patterns[pattern] = _Pattern(pattern)
            self.by_kind.setdefault(type(pattern), []).append(known)
        return known

    def _plan(self, rule: Any, elements: Iterable[Any]) -> _Plan:
        plan = _Plan(rule)
        bound: set[str] = set()
        seen: list[Fact] = []
        for element in elements:
            plan.before.append(frozenset(bound))
            what: _Pattern | _Test
            if isinstance(element, Fact):
                kind, what = _POS, self._pattern(element)
                plan.captures.append(None if element.__bind__ else f"__pattern_{len(plan.steps)}__")
                bound.update(_binds(element))
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
            if isinstance(what, _Pattern):
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

    def _block(self, plan: _Plan, index: int, bound: Bindings) -> None:
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

    def _join(self, plan: _Plan, index: int, context: Bindings, facts: tuple[Fact, ...],
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
            activation = Activation(plan.rule, facts, context)
            plan.live[key] = activation
            self._added[(id(plan), key)] = activation

    def _rematch(self, plan: _Plan) -> None:
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


def _binds(pattern: Fact) -> set[str]:
    """The variables a pattern binds (its AS name and MATCH variables)."""
    names = {pattern.__bind__} if pattern.__bind__ else set()

    def walk(how: Any) -> None:
        if isinstance(how, (ANDFC, ORFC)):
            for part in how:
                walk(part)
        elif isinstance(how, (L, W, P)) and how.__bind__:
            names.add(how.__bind__)

    for field, how in pattern.items():
        if not Fact.is_special(field):
            walk(how)
    return names
