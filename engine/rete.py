"""What Tripod changes in experta 1.9.4's matcher and agenda, and why.

experta's RETE is pure Python and does a great deal of work whose outcome is known in advance: every
fact is offered to every first-level node, every token is copied at every node it enters, every rule
is polled after every change, the whole network is walked to clear it. Each change below skips only
such work. What the network matches, and the order in which rules fire, stay exactly what experta
would give: the golden cases, the engine-reuse test, the hash-seed test and ``tests/test_rete.py``
(which runs every golden case through a plain experta engine and compares) pin that.

:func:`tune` applies them all to a freshly built engine; :class:`FactFilter` decides which
observations are worth declaring at all; :class:`StableDepthStrategy` is the agenda order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from experta import Fact, KnowledgeEngine
from experta.conditionalelement import ConditionalElement
from experta.fieldconstraint import ANDFC, NOTFC, ORFC, L, P, W
from experta.matchers.rete.check import FeatureCheck, TypeCheck
from experta.matchers.rete.mixins import ChildNode, NoMemory
from experta.matchers.rete.nodes import FeatureTesterNode
from experta.matchers.rete.token import Token
from experta.strategies import DepthStrategy


class StableDepthStrategy(DepthStrategy):
    """experta's depth strategy (salience, then the newest facts first), with the rule's name as the
    last tie-break.

    Two activations of equal salience over the same facts (e.g. CON-03 and CON-04 on one finding)
    otherwise keep the order they come out of a set in, which follows Python's per-process string
    hashing: the same case gave its trace steps in a different order in another process.

    The key is computed here rather than through experta's ``lru_cache``d ``get_key``: that cache
    hashes each activation (its rule, facts and bound values) and compares it field by field with
    the ones it holds, which cost more than building the key.
    """

    def get_key(self, activation: Any) -> Any:
        facts = sorted((fact["__factid__"] for fact in activation.facts), reverse=True)
        return (activation.rule.salience, facts, activation.rule._wrapped.__name__)


def tune(engine: KnowledgeEngine) -> None:
    """Apply every change below to a freshly built engine."""
    matcher = engine.matcher
    nodes = _nodes(matcher.root_node)
    _skip_copies_through_plain_tests(nodes)
    _switch_on_literals(nodes)
    _route_root_by_fact_type(matcher.root_node)
    _poll_only_changed_rules(matcher)
    _reset_only_memories(matcher, nodes)


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


def _unbound(constraint: Any) -> bool:
    """Whether a field constraint only says yes or no, binding no variable."""
    if isinstance(constraint, (ANDFC, ORFC, NOTFC)):
        return all(_unbound(part) for part in constraint)
    if isinstance(constraint, (L, P, W)):
        return constraint.__bind__ is None
    return False


def _plain(node: Any) -> bool:
    """A one-fact test node whose test binds nothing: a type test or an unbound field test."""
    if not isinstance(node, FeatureTesterNode):
        return False
    check = node.matcher
    if isinstance(check, TypeCheck):
        return True
    return isinstance(check, FeatureCheck) and _unbound(check.how)


def _skip_copies_through_plain_tests(nodes: Iterable[Any]) -> None:
    """Test a fact before copying its token, and pass it on uncopied when the test binds nothing.

    experta copies the token on entry to every node, then tests it; most tests fail (a fact named
    ``heel`` offered to the node that asks for ``first_met``). A test that binds no variable leaves the
    token as it was, and every node below copies it again on entry, so the copy buys nothing. A test
    that unexpectedly hands back bindings still goes experta's own way.
    """
    for parent in nodes:
        for index, child in enumerate(parent.children):
            if _plain(child.node):
                parent.children[index] = ChildNode(child.node, _plain_test(child.node))


def _plain_test(node: Any) -> Callable[[Token], None]:
    check = node.matcher
    children = node.children

    def activate(token: Token) -> None:
        (fact,) = token.data
        result = check(fact)
        if result is True:
            for child in children:
                child.callback(token)
        elif result:
            node.activate(token)

    return activate


_ABSENT = object()


class _LiteralSwitch:
    """Stands in a parent's children for its plain tests of one field against literals
    (``finding="hip_ir_limited"``, ``finding="tripod_holds"``...): a fact goes only to the tests of
    its own value, found in a table, instead of to each in turn. The tests themselves stay as its
    ``children`` and still run, so a network walk (experta's or ours) still reaches every node."""

    def __init__(self, field: str, children: list[Any]) -> None:
        self.field = field
        self.children = children
        self.table: dict[Any, list[Any]] = defaultdict(list)
        for child in children:
            self.table[child.node.matcher.how.value].append(child)

    def callback(self, token: Token) -> None:
        (fact,) = token.data
        value = fact.get(self.field, _ABSENT)
        try:
            children = self.table.get(value, ())
        except TypeError:  # an unhashable value: let each test judge it
            children = self.children
        for child in children:
            child.callback(token)


def _literal_field(node: Any) -> str | None:
    """The field a plain test compares with a literal, if that is what it does."""
    check = getattr(node, "matcher", None)
    if (_plain(node) and isinstance(check, FeatureCheck) and isinstance(check.how, L)
            and isinstance(check.what, str) and "__" not in check.what):
        return check.what
    return None


def _switch_on_literals(nodes: Iterable[Any]) -> None:
    """Where a node has several plain children testing the same field against literals, put one
    :class:`_LiteralSwitch` in their place (after :func:`_skip_copies_through_plain_tests`)."""
    for parent in nodes:
        groups: dict[str, list[Any]] = defaultdict(list)
        for child in parent.children:
            field = _literal_field(child.node)
            if field is not None:
                groups[field].append(child)
        for field, children in groups.items():
            if len(children) < 2:
                continue
            switch = _LiteralSwitch(field, children)
            at = parent.children.index(children[0])
            parent.children[:] = [c for c in parent.children if c not in children]
            parent.children.insert(at, ChildNode(switch, switch.callback))


def _route_root_by_fact_type(root: Any) -> None:
    """Send each fact only to the root children that test for its exact type.

    experta's root hands every fact to every first-level node, and each of those is a test of the
    fact's exact class (``type(fact) == cls``), so with seventeen fact classes every declare paid for
    sixteen tests that fail. Routing by type skips only those. A root child that is not a type test
    (none today) still sees every fact.
    """
    routes: dict[type, list[Any]] = defaultdict(list)
    others: list[Any] = []
    for child in root.children:
        matcher = getattr(child.node, "matcher", None)
        if isinstance(matcher, TypeCheck):
            routes[matcher.fact_type].append(child)
        else:
            others.append(child)

    def send(kind: type, token: Token) -> None:
        for child in routes.get(kind, ()):
            child.callback(token)
        for child in others:
            child.callback(token)

    root.add = lambda fact: send(type(fact), Token.valid(fact))
    root.remove = lambda fact: send(type(fact), Token.invalid(fact))


def _poll_only_changed_rules(matcher: Any) -> None:
    """Ask only the rules whose matches changed for their new activations.

    After every declare and every fired rule, experta polls all ~55 conflict-set nodes, each handing
    back two fresh (mostly empty) sets. A node with nothing added or removed has nothing to say, so
    skipping it returns exactly the same activations, in the same order.
    """
    nodes = matcher._get_conflict_set_nodes()
    root = matcher.root_node

    def changes(adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        for fact in deleting or ():
            root.remove(fact)
        for fact in adding or ():
            root.add(fact)
        added: list[Any] = []
        removed: list[Any] = []
        for node in nodes:
            if node.added or node.removed:
                new, gone = node.get_activations()
                added.extend(new)
                removed.extend(gone)
        return added, removed

    matcher.changes = changes


def _reset_only_memories(matcher: Any, nodes: list[Any]) -> None:
    """Clear the nodes that hold a memory, once each.

    experta's reset walks the network recursively, clearing a shared node once per path to it and
    logging each visit; most nodes have no memory to clear.
    """
    memories = [node for node in nodes if type(node)._reset is not NoMemory._reset]

    def reset() -> None:
        for node in memories:
            node._reset()

    matcher.reset = reset


class FactFilter:
    """Which observation facts some rule pattern could match, judged on the fact's own fields.

    A fact that fails the one-fact tests (class, name, value...) of every pattern in the rule base,
    including those under NOT, never gets past experta's first layer of nodes, so it can change no
    activation: declaring it only costs time. Bound variables (``side=MATCH.side``) are taken to
    pass, so the filter errs toward declaring. Answers are cached on the fields patterns test.
    """

    REMEMBERED = 10_000  # measured values vary: the cache is bounded

    def __init__(self, rules: Iterable[Any]) -> None:
        self.patterns: dict[type, list[list[FeatureCheck]]] = defaultdict(list)
        self.fields: dict[type, tuple[Any, ...]] = {}
        for rule in rules:
            self._walk(rule)
        for kind, patterns in self.patterns.items():
            self.fields[kind] = tuple(dict.fromkeys(check.what for p in patterns for check in p))
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
        fields = self.fields.get(kind)
        if fields is None:
            return False
        key = (kind, *(fact.get(name) for name in fields))
        known = self._known.get(key)
        if known is None:
            if len(self._known) >= self.REMEMBERED:
                self._known.clear()
            known = self._known[key] = any(all(check(fact) for check in pattern)
                                           for pattern in self.patterns[kind])
        return known
