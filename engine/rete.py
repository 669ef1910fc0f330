"""What Tripod changes in experta 1.9.4's engine loop and agenda, and which observations it declares.

experta is pure Python and does work whose outcome is known in advance. The matcher is Tripod's own
(``engine/matcher.py``); here are the rest: :class:`LeanLoop` is experta's ``declare`` and ``run``
without the checks and log lines that cost time on every fact and every fired rule,
:class:`StableDepthStrategy` is the agenda order (experta's, with a total tie-break) and
:class:`LeanDepthStrategy` keeps that order with less work. None changes what is
concluded or in which order: ``tests/test_rete.py`` and a hypothesis property run every golden case,
every example and drawn intakes through ``build_engine(tuned=False)``, experta untouched, and compare
the whole assessment, trace order included.
"""

from __future__ import annotations

import bisect
import inspect
import math
import operator
from collections.abc import Callable, Iterable
from typing import Any

from experta import Fact, watchers
from experta.agenda import Agenda
from experta.factlist import FactList
from experta.strategies import DepthStrategy


class LeanFacts(FactList):
    """experta's fact list, less what its ``declare`` does to no end for Tripod's facts: validating
    a fact of a class that declares no fields (nothing to check), and reading a fact's content
    (what makes two facts duplicates) through a method call per field. A duplicate is refused and
    every new fact numbered, listed and reported as experta does."""

    last_index: int

    @staticmethod
    def _get_fact_id(fact: Fact) -> Any:
        # The class and the set of (field, value) pairs, less experta's special fields: two facts
        # are the same fact exactly when experta's frozenset of both says so.
        if "__factid__" in fact or "__bind__" in fact:
            return fact.__class__, frozenset(
                (key, value) for key, value in fact.items()
                if not (isinstance(key, str) and key.startswith("__") and key.endswith("__")))
        return fact.__class__, frozenset(fact.items())

    def declare(self, fact: Fact) -> Any:
        if not isinstance(fact, Fact):
            raise ValueError("The fact must descend the Fact class.")  # noqa: TRY004 (as experta)
        if fact.__fields__:
            fact.validate()
        fact_id = self._get_fact_id(fact)
        counter = self.reference_counter
        if not self.duplication and fact_id in counter:
            return None
        index = self.last_index
        dict.__setitem__(fact, "__factid__", index)
        self[index] = fact
        self.last_index = index + 1
        self.added.append(fact)
        counter[fact_id] = counter.get(fact_id, 0) + 1  # Counter's += would call its __missing__
        watchers.FACTS.info(" ==> %s: %r", fact, fact)
        return fact


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

    def get_activations(self) -> tuple[list[Any], list[Any]]:
        # experta's: what the matcher makes of the facts declared and retracted since it was last
        # asked; nothing when there are none (a fired rule that concluded a fact already known).
        facts = self.facts
        added, removed = facts.added, facts.removed
        if not added and not removed:
            return [], []
        facts.added, facts.removed = [], []
        return self.matcher.changes(added, removed)  # type: ignore[no-any-return]

    def run(self, steps: float = math.inf) -> None:
        logged = watchers.worth("RULES", "INFO")
        agenda_logged = watchers.worth("AGENDA", "DEBUG")
        # experta's update_agenda logs each activation when asked to, then calls _update_agenda.
        update = (self.strategy.update_agenda if watchers.worth("ACTIVATIONS", "INFO")
                  else self.strategy._update_agenda)
        self.running = True
        execution = 0
        while steps > 0 and self.running:
            added, removed = self.get_activations()
            if added or removed:
                update(self.agenda, added, removed)
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
            _fire(self, activation)
        self.running = False


def _fire(engine: Any, activation: Any) -> None:
    """experta's ``activation.rule(engine, **bound)``: the rule's own function called with the bound
    values its signature names (all of them for one taking ``**kwargs``), as ``Rule.__call__``
    passes them, without its filtering of every bound value on each call."""
    rule = activation.rule
    context = activation.context
    names = rule._wrapped_args
    if names:
        kwargs = {name: context[name] for name in names
                  if name in context and not name.startswith("__")}
    else:
        kwargs = {k: v for k, v in context.items() if not k.startswith("__")}
    if rule._wrapped_self is None:
        rule._wrapped(engine, **kwargs)
    else:
        rule._wrapped(rule._wrapped_self, engine, **kwargs)


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
        facts = sorted([fact["__factid__"] for fact in activation.facts], reverse=True)
        bound = sorted([(name, repr(value)) for name, value in activation.context.items()
                        if not isinstance(value, Fact)])
        rule = activation.rule
        return (rule.salience, facts, rule._wrapped.__name__, tuple(bound))


class LeanDepthStrategy(StableDepthStrategy):
    """The same agenda order, the agenda searched on each activation's key itself: the same places
    (an activation orders by its key alone) without a comparison method called at each step.
    ``ReferenceEngine`` keeps experta's search."""

    def _update_agenda(self, agenda: Any, added: Any, removed: Any) -> None:
        activations = agenda.activations
        for activation in removed:
            activation.key = self.get_key(activation)
            index = bisect.bisect_left(activations, activation.key, key=_key)
            for offset in (0, 1, -1):
                try:
                    if activations[index + offset] == activation:
                        del activations[index + offset]
                        break
                except IndexError:
                    pass
        for activation in added:
            activation.key = self.get_key(activation)
            bisect.insort_right(activations, activation, key=_key)


_key = operator.attrgetter("key")  # an activation's place on the agenda
