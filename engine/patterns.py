"""The one-fact side of Tripod's matcher (``engine/matcher.py``): each pattern's tests, made as
experta's ``FeatureCheck`` makes them (or experta's own check where Tripod makes none), the facts
that pass them with the variables they bind (a pattern's memory), and the index that tests a fact
only against the patterns its most tested field lets through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from experta import Fact
from experta.fieldconstraint import ANDFC, NOTFC, ORFC, FieldConstraint, L, P, W
from experta.matchers.rete.check import FeatureCheck

if TYPE_CHECKING:
    from engine.matcher import Plan

Check = Callable[[Mapping[str, Any]], Any]  # False, True, or the variables it binds
Bindings = dict[str, Any]


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


class Pattern:
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
        self.joins: list[tuple[Plan, int]] = []
        self.blocks: list[tuple[Plan, int]] = []

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


class KindIndex:
    """The patterns of one fact class, by what one field (the one most of them test on its own,
    such as an observation's ``name``) lets through: a fact is tested only against the patterns its
    value of that field passes. Which those are is found once per text value and kept: the tests
    are pure functions of the value (knowledge/rules/base.py keeps them so)."""

    REMEMBERED = 4_096  # text values seen (names, ids): bounded all the same, for a flat memory

    def __init__(self, patterns: list[Pattern]) -> None:
        counts: dict[str, int] = {}
        for pattern in patterns:
            for field in pattern.gates:
                counts[field] = counts.get(field, 0) + 1
        self.field = max(counts, key=counts.__getitem__) if counts else None
        self.gated = [(pattern, pattern.gates.get(self.field or "")) for pattern in patterns]
        self.full = [(pattern, pattern.checks) for pattern in patterns]
        self.free = [(pattern, pattern.checks) for pattern, gate in self.gated if gate is None]
        self.memo: dict[str, list[tuple[Pattern, list[Check]]]] = {}

    def candidates(self, fact: Mapping[str, Any]) -> list[tuple[Pattern, list[Check]]]:
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


def variables_bound(pattern: Fact) -> set[str]:
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
