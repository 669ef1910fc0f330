"""What Tripod changes in experta 1.9.4's matcher and agenda, and why.

experta's RETE is pure Python and does a great deal of work whose outcome is known in advance: every
fact runs the same one-fact tests as every earlier fact with the same values, every token is copied
at every node it enters, every rule is polled after every change, the whole network is walked to
clear it. Each change below skips only such work. What the network matches, and the order in which
rules fire, stay exactly what experta would give: ``tests/test_rete.py`` and a hypothesis property
run every golden case, every example and drawn intakes through ``build_engine(tuned=False)``, experta
untouched, and compare the whole assessment, trace order included.

:class:`TunedMatcher` is experta's ``ReteMatcher`` with those changes, set on an engine class through
experta's own hook (``__matcher__ = TunedMatcher``); it refuses an experta version other than the one
it was written and tested against. :class:`FactFilter` decides which observations are worth declaring
at all; :class:`StableDepthStrategy` is the agenda order.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import experta
from experta import Fact, KnowledgeEngine
from experta.conditionalelement import ConditionalElement
from experta.matchers import ReteMatcher
from experta.matchers.rete.check import FeatureCheck, TypeCheck
from experta.matchers.rete.mixins import NoMemory
from experta.matchers.rete.nodes import FeatureTesterNode
from experta.matchers.rete.token import Token
from experta.strategies import DepthStrategy


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


EXPERTA_VERSION = "1.9.4"  # the release whose matcher internals this module reads


class TunedMatcher(ReteMatcher):
    """experta's RETE matcher, skipping the work below whose outcome is known in advance.

    The network is experta's own, built by experta; only how facts enter it (:class:`AlphaMemo`),
    which conflict-set nodes are polled, and which nodes a reset clears differ.
    """

    def __init__(self, engine: KnowledgeEngine) -> None:
        installed = experta.__version__
        if installed != EXPERTA_VERSION:
            raise RuntimeError(
                f"experta {installed} is installed; Tripod's matcher reads the internals of experta "
                f"{EXPERTA_VERSION} and would not be held to its results on another release")
        super().__init__(engine)
        nodes = _nodes(self.root_node)
        self.alpha = AlphaMemo(self.root_node, nodes)
        self._conflict_sets = self._get_conflict_set_nodes()
        # experta's reset walks the network recursively, clearing a shared node once per path to it
        # and logging each visit; most nodes have no memory to clear.
        self._memories = [node for node in nodes if type(node)._reset is not NoMemory._reset]

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        """Pass the changes to the network, then ask only the rules whose matches changed for their
        new activations.

        After every declare and every fired rule, experta polls all ~55 conflict-set nodes, each
        handing back two fresh (mostly empty) sets. A node with nothing added or removed has nothing
        to say, so skipping it returns exactly the same activations, in the same order.
        """
        alpha = self.alpha
        for fact in deleting or ():
            alpha.send(fact, Token.TagType.INVALID)
        for fact in adding or ():
            alpha.send(fact, Token.TagType.VALID)
        added: list[Any] = []
        removed: list[Any] = []
        for node in self._conflict_sets:
            if node.added or node.removed:
                new, gone = node.get_activations()
                added.extend(new)
                removed.extend(gone)
        return added, removed

    def reset(self) -> None:
        for node in self._memories:
            node._reset()


def _nodes(root: Any) -> list[Any]:
    """Every node of the network once, parents before children."""
    seen: dict[int, Any] = {}
    todo = [root]
    while todo:
        node = todo.pop(0)
        if id(node) in seen:
            continue
        seen[id(node)] = node
        todo.extend(child.node for child in node.children)
    return list(seen.values())


class _Token(Token):
    """experta's token, made without re-checking what is known here: the tag is a tag and the data
    a set of facts. experta checks both for every token it makes and every copy of one."""

    __slots__ = ()

    @classmethod
    def of(cls, tag: Token.TagType, fact: Fact, context: dict[Any, Any]) -> _Token:
        return tuple.__new__(cls, (tag, {fact}, context))

    def copy(self) -> _Token:
        return tuple.__new__(_Token, (self.tag, self.data.copy(), self.context.copy()))


_ABSENT = object()  # a field the fact does not have
_THE_FACT = object()  # stands, in a remembered context, for the fact being matched


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


class AlphaMemo:
    """The alpha network's answer for a fact, remembered by the fields its tests read.

    experta's alpha network is a tree of one-fact tests below the root (the fact's exact class,
    then ``name="first_met"``, ``value="lost"``, ``side=MATCH.side``...): a fact that passes every
    test on a branch leaves it for the joins and rule nodes below with the variables the branch
    bound. Along the way experta copies the token at every node, and most tests fail. Yet where a
    fact leaves, and with which bindings, depends only on its class and the values of the fields
    the tests read, for tests that are pure functions of the fact (knowledge/rules/base.py keeps
    them so; a test that read a clock or a setting would need this memo cleared when that changes). So the first fact with those values
    goes through the tree once, tested in experta's order with experta's rule for merging
    bindings; what came out is remembered with the fact itself as a placeholder; every later fact
    with the same values is handed straight to the same exits. The joins, negations, rule nodes
    and agenda below are experta's own and see the same tokens as before.
    """

    # Measured values make most keys (a hip's IR in tenths of a degree): bounded, so that a long batch
    # keeps a flat memory (about 1 MiB); the categorical keys come back within a case or two.
    REMEMBERED = 2_048

    def __init__(self, root: Any, nodes: Iterable[Any]) -> None:
        self.root = root
        # The fields the tests below each class's type test read: a fact's key holds only those.
        # None: the class's facts cannot be judged by a key and are walked every time.
        self.fields: dict[type, tuple[str, ...] | None] = {}
        self.usable = True
        for child in root.children:
            check = getattr(child.node, "matcher", None)
            if not isinstance(check, TypeCheck):
                self.usable = False  # a first-level node that is not a type test: experta's walk
                continue
            fields = tuple(dict.fromkeys(
                node.matcher.what for node in _nodes(child.node)
                if isinstance(node, FeatureTesterNode) and isinstance(node.matcher, FeatureCheck)))
            self.fields[check.fact_type] = fields if _rememberable(check.fact_type, fields) else None
        self.memo: dict[tuple[Any, ...], list[tuple[Callable[[Token], None], dict[Any, Any]]]] = {}

    def send(self, fact: Fact, tag: Token.TagType) -> None:
        if not self.usable:  # experta's own walk from the root
            (self.root.add if tag is Token.TagType.VALID else self.root.remove)(fact)
            return
        fields = self.fields.get(type(fact), ())
        key = None if fields is None else _key(type(fact), fact, fields)
        exits = None if key is None else self.memo.get(key)
        if exits is None:
            exits = []
            self._walk(self.root, fact, {}, exits)
            exits = [(callback, {k: _THE_FACT if v is fact else v for k, v in context.items()})
                     for callback, context in exits]
            if key is not None:
                if len(self.memo) >= self.REMEMBERED:
                    self.memo.clear()
                self.memo[key] = exits
        for callback, context in exits:
            callback(_Token.of(tag, fact, {k: fact if v is _THE_FACT else v for k, v in context.items()}))

    def _walk(self, node: Any, fact: Fact, context: dict[Any, Any],
              exits: list[tuple[Callable[[Token], None], dict[Any, Any]]]) -> None:
        for child in node.children:
            test = child.node
            if not isinstance(test, FeatureTesterNode):
                exits.append((child.callback, context))  # leaves the alpha network
                continue
            match = test.matcher(fact)
            if not match:
                continue
            if isinstance(match, Mapping):
                merged = _merge(context, match)
                if merged is None:
                    continue
                self._walk(test, fact, merged, exits)
            else:
                self._walk(test, fact, context, exits)


def _merge(context: dict[Any, Any], bindings: Mapping[Any, Any]) -> dict[Any, Any] | None:
    """experta's rule for adding a test's bindings to a token's: a variable already bound must keep
    its value, and a value a NOT bound (key ``(False, name)``) must not be taken. None: no match."""
    for key, value in bindings.items():
        if isinstance(key, tuple):
            if key[1] in context and context[key[1]] == value:
                return None
        else:
            if context.get(key, value) != value:
                return None
            if (False, key) in context and context[(False, key)] == value:
                return None
    return {**context, **bindings}


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
