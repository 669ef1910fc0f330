"""What Tripod changes in experta 1.9.4's engine loop and agenda, and which observations it declares.

experta is pure Python and does work whose outcome is known in advance. The matcher is Tripod's own
(``engine/matcher.py``); here are the rest: :class:`LeanLoop` is experta's ``declare`` and ``run``
without the checks and log lines that cost time on every fact and every fired rule,
:class:`StableDepthStrategy` is the agenda order (experta's, with a total tie-break), and
:class:`FactFilter` decides which observations are worth declaring at all. None changes what is
concluded or in which order: ``tests/test_rete.py`` and a hypothesis property run every golden case,
every example and drawn intakes through ``build_engine(tuned=False)``, experta untouched, and compare
the whole assessment, trace order included.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from experta import Fact, watchers
from experta.conditionalelement import ConditionalElement
from experta.matchers.rete.check import FeatureCheck
from experta.strategies import DepthStrategy


class LeanLoop:
    """experta's ``declare`` and ``run``, less what they do for every fact and every fired rule to
    no end in Tripod: checking that a declared fact holds no pattern (Tripod's facts are built from
    validated values, never from patterns), and formatting the log line of every firing whether or
    not the log is on. The facts declared, the agenda's updates and the firing order are experta's.
    ``ReferenceEngine`` keeps experta's own two methods."""

    facts: Any
    agenda: Any
    strategy: Any
    running: bool
    get_activations: Callable[[], Any]

    def declare(self, *facts: Fact) -> Any:
        if not self.facts:
            watchers.ENGINE.warning("Declaring fact before reset()")
        last = None
        for fact in facts:
            last = self.facts.declare(fact)
        if not self.running:
            added, removed = self.get_activations()
            self.strategy.update_agenda(self.agenda, added, removed)
        return last

    def run(self, steps: float = math.inf) -> None:
        logged = watchers.worth("RULES", "INFO")
        self.running = True
        execution = 0
        while steps > 0 and self.running:
            added, removed = self.get_activations()
            self.strategy.update_agenda(self.agenda, added, removed)
            activation = self.agenda.get_next()
            if activation is None:
                break
            steps -= 1
            execution += 1
            if logged:
                watchers.RULES.info("FIRE %s %s: %s", execution, activation.rule.__name__,
                                    ", ".join(str(f) for f in activation.facts))
            activation.rule(self, **{k: v for k, v in activation.context.items()
                                     if not k.startswith("__")})
        self.running = False


class StableDepthStrategy(DepthStrategy):
    """experta's depth strategy (salience, then the newest facts first), with the rule's name as the
    last tie-break.

    Two activations of equal salience over the same facts (e.g. CON-03 and CON-04 on one finding)
    otherwise keep the order they come out of a set in, which follows Python's per-process string
    hashing: the same case gave its trace steps in a different order in another process.

    One rule can also match the same facts twice with different bound values (through an OR): the
    bound values that are not facts come last, so that the order is total.

    The key is computed here rather than through experta's ``lru_cache``d ``get_key``: that cache
    hashes each activation (its rule, facts and bound values) and compares it field by field with
    the ones it holds, which cost more than building the key.
    """

    def get_key(self, activation: Any) -> Any:
        facts = sorted((fact["__factid__"] for fact in activation.facts), reverse=True)
        bound = sorted((name, repr(value)) for name, value in activation.context.items()
                       if not isinstance(value, Fact))
        return (activation.rule.salience, facts, activation.rule._wrapped.__name__, tuple(bound))


_ABSENT = object()  # a field the fact does not have


def _key(kind: type, fact: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[Any, ...] | None:
    """What one-fact tests on ``fields`` can see of a fact: its class and those values, each with its
    type (1, 1.0 and True are equal as keys, and a test could tell them apart). None when a value
    is not one whose equals are indistinguishable (0.0 and -0.0, NaN, decimals, dates...): such a
    fact is judged afresh."""
    key = tuple(_typed(fact.get(name, _ABSENT)) for name in fields)
    return None if _UNPLAIN in key else (kind, *key)


_UNPLAIN = object()


def _typed(value: Any) -> Any:
    kind = type(value)
    if kind in (str, int, bool) or value is None or value is _ABSENT:
        return (kind, value)
    if kind is float and not math.isnan(value) and value != 0.0:  # 0.0 and -0.0 are equal
        return (kind, value)
    if kind is tuple:
        items = tuple(_typed(item) for item in value)
        return _UNPLAIN if _UNPLAIN in items else (kind, items)
    return _UNPLAIN


def _rememberable(kind: type, fields: Iterable[Any]) -> bool:
    """Whether facts of ``kind`` can be judged by a key: tested fields are top-level names, and the
    class declares no field defaults (experta fills those in on reading, which ``get`` would miss)."""
    return (not getattr(kind, "__fields__", None)
            and all(isinstance(f, str) and "__" not in f for f in fields))


class FactFilter:
    """Which observation facts some rule pattern could match, judged on the fact's own fields.

    A fact that fails the one-fact tests (class, name, value...) of every pattern in the rule base,
    including those under NOT, never gets past experta's first layer of nodes, so it can change no
    activation: declaring it only costs time. Bound variables (``side=MATCH.side``) are taken to
    pass, so the filter errs toward declaring. Answers are cached on the fields patterns test.
    """

    REMEMBERED = 4_096  # measured values make most keys: bounded, for a flat memory in a batch

    def __init__(self, rules: Iterable[Any]) -> None:
        self.patterns: dict[type, list[list[FeatureCheck]]] = defaultdict(list)
        for rule in rules:
            self._walk(rule)
        # The fields each class's patterns test, or None when they cannot make a key (see _key).
        self.fields: dict[type, tuple[Any, ...] | None] = {}
        for kind, patterns in self.patterns.items():
            fields = tuple(dict.fromkeys(check.what for p in patterns for check in p))
            self.fields[kind] = fields if _rememberable(kind, fields) else None
        self._known: dict[tuple[Any, ...], bool] = {}

    def _walk(self, element: Any) -> None:
        if isinstance(element, Fact):
            self.patterns[type(element)].append(
                [FeatureCheck(key, how) for key, how in element.items() if not Fact.is_special(key)])
        elif isinstance(element, (tuple, list, ConditionalElement)):
            for part in element:
                self._walk(part)

    def wanted(self, kind: type[Fact], fact: Mapping[str, Any]) -> bool:
        """Whether a fact of class ``kind`` with these fields could match a pattern (``fact`` may be
        the Fact itself or the fields it is about to be built from)."""
        if kind not in self.patterns:
            return False
        if getattr(kind, "__fields__", None):
            return True  # experta fills in declared defaults on reading: these fields say too little
        fields = self.fields[kind]
        key = None if fields is None else _key(kind, fact, fields)
        if key is None:
            return self._matches(kind, fact)
        known = self._known.get(key)
        if known is None:
            if len(self._known) >= self.REMEMBERED:
                self._known.clear()
            known = self._known[key] = self._matches(kind, fact)
        return known

    def _matches(self, kind: type[Fact], fact: Mapping[str, Any]) -> bool:
        return any(all(check(fact) for check in pattern) for pattern in self.patterns[kind])
