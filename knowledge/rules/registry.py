"""The registry of rule metadata: every rule's id, what it concludes, the claims and sources it cites and
the cut-offs it reads, recorded once by the :func:`rule` decorator that stands where experta's ``@Rule``
would.

A rule states its metadata in its decorator, and its left-hand side reads cut-offs through the pattern
helpers of ``knowledge/rules/base.py`` (``meets``/``misses`` for a field, ``apart`` for two bound values),
which carry their threshold key: the decorator walks the patterns and collects them, so no key is written
twice. When the rule fires, the wrapper makes its :class:`RuleInfo` the engine's current rule, and
``conclude()``, ``block()``, ``root()`` and ``advise()`` take the id, claims, sources and cut-offs from it.

Tests iterate :data:`REGISTRY` (ruff's habit: every rule has a stable code and typed metadata), and the
chain picture's segments and what-if's "could change" read what each rule reads and concludes from it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from experta import NOT, TEST, Fact, Rule
from experta.fieldconstraint import P

from engine.trace import ref
from knowledge.catalog import catalog


class Cut(P):
    """A pattern value that tests an entered value against the cut-off ``key`` (met, or not met)."""

    key: str
    met: bool


class Among(P):
    """A pattern value that holds for one of ``values``."""

    values: tuple[str, ...]


@dataclass(frozen=True)
class Read:
    """One fact pattern of a rule: its fact class, the constant fields it requires (``name``,
    ``movement``, ``finding``...; several values where it accepts one of them), and whether it sits
    under a NOT."""

    kind: type[Fact]
    fields: tuple[tuple[str, tuple[str, ...]], ...]
    negated: bool

    def field(self, name: str) -> tuple[str, ...]:
        """The values this pattern requires of ``name``; empty when any value will do."""
        return next((values for key, values in self.fields if key == name), ())


@dataclass(frozen=True)
class RuleInfo:
    """What one rule is, from its decorator and its patterns."""

    id: str
    method: str
    module: str
    finding: str | None
    block: str | None
    root: str | None
    constraint: str | None
    refers: bool
    exam_flag: str | None
    verdict: str | None
    claims: tuple[str, ...]
    sources: tuple[str, ...]
    thresholds: tuple[str, ...]
    negated_thresholds: tuple[str, ...]
    reads: tuple[Read, ...]

    @property
    def concludes(self) -> tuple[str, ...]:
        """What the rule can declare, as trace references without a side (``finding:<id>``...)."""
        kinds = (("finding", self.finding), ("blocked", self.block), ("root_cause", self.root),
                 ("constraint", self.constraint), ("verdict", self.verdict))
        out = [ref(kind, value) for kind, value in kinds if value]
        return (*out, "referral") if self.refers else tuple(out)

    @property
    def cut_offs(self) -> tuple[str, ...]:
        """Every cut-off the rule reads, under a NOT or not, without the ``!`` of one not met."""
        keys = (key.lstrip("!") for key in (*self.thresholds, *self.negated_thresholds))
        return tuple(dict.fromkeys(keys))

    def needs(self) -> tuple[str, ...]:
        """The findings its patterns read (under a NOT or not)."""
        return tuple(dict.fromkeys(value for read in self.reads for value in read.field("finding")))


REGISTRY: dict[str, RuleInfo] = {}
_ID = re.compile(r"([a-z]+)_(\d+)_[a-z0-9_]+")


def rule_id(method: str) -> str:
    """The id a method's name gives: ``foot_04_...`` is FOOT-04."""
    named = _ID.fullmatch(method)
    if named is None:
        raise ValueError(f"rule method {method!r}: named <segment>_<number>_<what it concludes>")
    return f"{named[1].upper()}-{named[2]}"


def _constants(value: Any) -> tuple[str, ...] | None:
    """The values a pattern field accepts, when they are constants (None: it tests them otherwise)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Among):
        return value.values
    return None


def _cuts(value: Any) -> Iterator[str]:
    if isinstance(value, Cut):
        yield value.key if value.met else f"!{value.key}"
    elif isinstance(value, tuple):  # experta's ANDFC and ORFC are tuples of constraints
        for item in value:
            yield from _cuts(item)


def _walk(conditions: tuple[Any, ...], negated: bool, reads: list[Read], cuts: list[str],
          negated_cuts: list[str]) -> None:
    for condition in conditions:
        if isinstance(condition, Fact):
            fields = tuple((key, found) for key, value in condition.items()
                           if isinstance(key, str) and (found := _constants(value)) is not None)
            reads.append(Read(type(condition), fields, negated))
            for value in condition.values():
                (negated_cuts if negated else cuts).extend(_cuts(value))
        elif isinstance(condition, TEST):
            key = getattr(condition[0], "cut_key", None)
            if key:
                (negated_cuts if negated else cuts).append(key)
        elif isinstance(condition, tuple):  # NOT, AND, OR...
            _walk(tuple(condition), negated or isinstance(condition, NOT), reads, cuts, negated_cuts)


def rule(*conditions: Any, salience: int = 0, finding: str | None = None, block: str | None = None,
         root: str | None = None, constraint: str | None = None, refers: bool = False,
         exam_flag: str | None = None, verdict: str | None = None, claims: tuple[str, ...] = (),
         sources: tuple[str, ...] = ()) -> Callable[[Callable[..., None]], Any]:
    """experta's ``@Rule(*conditions, salience=...)``, registering the rule's metadata under the id
    its method's name gives. ``finding``, ``block``, ``root`` and ``constraint`` name what it
    concludes, ``refers`` that it refers out, ``verdict`` the verdict on a hypothesis it reaches
    over two visits (``knowledge/rules/verdict.py``, run in an engine of its own); a root cause's or
    a constraint's claims and sources are read from root_causes.yaml or constraints.yaml, and an
    examination flag's sources (``exam_flag``, the hip flag the rule reads the examination for) from
    red_flags.yaml, so the rule writes none."""

    def decorate(method: Callable[..., None]) -> Any:
        kb = catalog()
        cited_claims, cited_sources = claims, sources
        if root:
            cited_claims = kb.root_causes.causes[root].claims
        if constraint:
            cited_claims, cited_sources = kb.constraints[constraint].claims, kb.constraints[constraint].sources
        if exam_flag:
            cited_sources = sources or kb.red_flags.examination[exam_flag].sources
        reads: list[Read] = []
        cuts: list[str] = []
        negated_cuts: list[str] = []
        _walk(conditions, False, reads, cuts, negated_cuts)
        info = RuleInfo(id=rule_id(method.__name__), method=method.__name__,
                        module=method.__module__.rsplit(".", 1)[-1], finding=finding, block=block,
                        root=root, constraint=constraint, refers=refers, exam_flag=exam_flag,
                        verdict=verdict, claims=tuple(cited_claims),
                        sources=tuple(cited_sources), thresholds=tuple(cuts),
                        negated_thresholds=tuple(negated_cuts), reads=tuple(reads))
        if info.id in REGISTRY:
            raise ValueError(f"{info.id}: {REGISTRY[info.id].method} and {info.method} share one id")
        REGISTRY[info.id] = info

        # The wrapper keeps the method's name and signature (experta passes a rule only the bound
        # variables its signature names, and breaks ties between activations by that name).
        @functools.wraps(method)
        def fire(self: Any, *args: Any, **kwargs: Any) -> None:
            self.firing = info
            method(self, *args, **kwargs)

        return Rule(*conditions, salience=salience)(fire)

    return decorate
