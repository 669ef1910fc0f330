"""What Tripod changes in experta 1.9.4's engine loop and agenda, and which observations it declares.

experta is pure Python and does work whose outcome is known in advance. The matcher is Tripod's own
(``engine/matcher.py``); here are the rest: :class:`LeanLoop` is experta's ``declare`` and ``run``
without the checks and log lines that cost time on every fact and every fired rule,
:class:`StableDepthStrategy` is the agenda order (experta's, with a total tie-break). None changes what is
concluded or in which order: ``tests/test_rete.py`` and a hypothesis property run every golden case,
every example and drawn intakes through ``build_engine(tuned=False)``, experta untouched, and compare
the whole assessment, trace order included.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any

from experta import Fact, watchers
from experta.agenda import Agenda
from experta.factlist import FactList
from experta.strategies import DepthStrategy


class LeanFacts(FactList):
    """experta's fact list, telling a fact's content (what makes two facts duplicates) without a
    method call per field."""

    @staticmethod
    def _get_fact_id(fact: Fact) -> frozenset[Any]:
        return frozenset([fact.__class__, *[
            (key, value) for key, value in fact.items()
            if not (isinstance(key, str) and key.startswith("__") and key.endswith("__"))]])


class LeanLoop:
    """experta's ``reset``, ``declare`` and ``run``, less what they do for every fact and every
    fired rule to no end in Tripod: checking that a declared fact holds no pattern (Tripod's facts
    are built from validated values, never from patterns), formatting the log line of every firing
    whether or not the log is on, and reading each deffacts' signature on every reset. The facts
    declared, the agenda's updates and the firing order are experta's. ``ReferenceEngine`` keeps
    experta's own methods."""

    facts: Any
    agenda: Any
    strategy: Any
    matcher: Any
    running: bool
    get_activations: Callable[[], Any]
    get_deffacts: Callable[[], Any]

    def reset(self, **kwargs: Any) -> None:
        self.agenda = Agenda()
        self.facts = LeanFacts()
        self.matcher.reset()
        facts: list[Fact] = []
        for deffact in self.get_deffacts():
            if kwargs and not any(p.kind == inspect.Parameter.VAR_KEYWORD
                                  for p in inspect.signature(deffact).parameters.values()):
                named = inspect.signature(deffact).parameters
                facts.extend(deffact(**{k: v for k, v in kwargs.items() if k in named}))
            else:
                facts.extend(deffact(**kwargs))
        self._add(facts)
        self.running = False

    def declare(self, *facts: Fact) -> Any:
        if not self.facts:
            watchers.ENGINE.warning("Declaring fact before reset()")
        return self._add(facts)

    def _add(self, facts: Iterable[Fact]) -> Any:
        last = None
        for fact in facts:
            last = self.facts.declare(fact)
        if not self.running:
            added, removed = self.get_activations()
            self.strategy.update_agenda(self.agenda, added, removed)
        return last

    def run(self, steps: float = math.inf) -> None:
        logged = watchers.worth("RULES", "INFO")
        agenda_logged = watchers.worth("AGENDA", "DEBUG")
        self.running = True
        execution = 0
        while steps > 0 and self.running:
            added, removed = self.get_activations()
            self.strategy.update_agenda(self.agenda, added, removed)
            if agenda_logged:
                for index, act in enumerate(self.agenda.activations):
                    watchers.AGENDA.debug("%d: %r %r", index, act.rule.__name__,
                                          ", ".join(str(f) for f in act.facts))
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
