"""experta facts, and the translation of a validated intake into them.

One :class:`Obs` fact per observation that was entered, carrying its dotted case-file path so that every
rule that uses it can say so in the trace. An observation that was left out produces no fact: the
rules never see a value nobody measured. ``unsure`` is declared as a value; no rule treats it as a
finding. Red-flag answers are separate facts because they are reasoned about first and alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, cast

from experta import Fact
from pydantic import BaseModel

from engine.intake import SIDES, Case, instrument_of
from engine.paths import instrument_for
from engine.visit import VISIT_SECTIONS

MOVEMENTS = ("hinge", "split_squat")
_LEAVES = frozenset({str, int, float, list})  # what an observation's value is: never a section
# Who and when, the red flags (facts of their own) and the visit sections of tripod-case/2 (what the
# client says, outcome measures: kept and shown, never reasoned on) are not observations.
NOT_OBSERVATIONS = {"format", "assessed_on", "practitioner", "notes", "red_flags", "id", "name", "method",
                    *VISIT_SECTIONS}


class Obs(Fact):
    """An entered observation: path, segment, side, movement, name, value, instrument."""


# One subclass per case-file section. experta's RETE tests the exact fact class first, so a foot
# observation never travels through the hip rules' patterns; it is several times faster than one class.
class ClientFact(Obs): ...
class ProgrammeFact(Obs): ...
class FootFact(Obs): ...
class LiftFact(Obs): ...
class TibiaFact(Obs): ...
class HipFact(Obs): ...
class PelvisFact(Obs): ...
class LateralFact(Obs): ...
class StandingFact(Obs): ...


SECTION_FACTS: dict[str, type[Obs]] = {
    "client": ClientFact,
    "programme": ProgrammeFact,
    "feet": FootFact,
    "movements": LiftFact,
    "tibia": TibiaFact,
    "hips": HipFact,
    "pelvis": PelvisFact,
    "lateral_chain": LateralFact,
    "standing": StandingFact,
}


class ExamFact(Obs):
    """A hip rotation value declared a second time, in the first pass with the red flags, for the
    examination findings that are hip flags themselves (instruments.md section 14i): a referral they
    call for must stop the screening before any chain rule sees the hips."""


EXAMINED = ("ir_deg", "er_deg")


class Answer(Fact):
    """A red-flag answer: flag (id), answer (yes | no | unknown)."""


class Found(Fact):
    """A finding concluded by a rule: finding (id), side, strength (definite | borderline)."""


class Stage(Fact):
    """Marks the second pass: the observations are all declared and chain reasoning may conclude."""


class Blocked(Fact):
    """Reasoning cannot reach a root cause: reason, path."""


class Referral(Fact):
    """A red flag holds: flag, tier, partner (the flag it combined with, if any)."""


class Root(Fact):
    """A root-cause candidate: cause, side, penalty (a key of root_causes.yaml's penalties or None)."""


class Advice(Fact):
    """A corrective constraint that applies: constraint, side."""


F = TypeVar("F", bound=Fact)


def built(kind: type[F], fields: Mapping[str, str | int | float | tuple[str, ...] | None]) -> F:
    """A fact of ``kind`` holding ``fields``, whose values are already immutable (text, numbers,
    None, tuples of text): experta's own constructor would pass each through its freeze(), which
    returns such a value unchanged, at a cost paid for every fact of every case. The fact is made
    as experta's ``Fact.__init__`` leaves one without arguments (an empty memo of field defaults)."""
    fact: F = dict.__new__(kind)
    object.__setattr__(fact, "_Fact__defaults", {})
    dict.update(fact, fields)
    return fact


Wanted = Callable[[type[Obs], Mapping[str, Any]], bool]


def observations(case: Case, wanted: Wanted | None = None) -> Iterator[Obs]:
    """Every entered observation of the case as an Obs fact (left-out fields give none), or only
    those ``wanted`` accepts, judged on the fact's class and fields before it is built."""
    hip_method = case.hips.method if case.hips else None
    found: list[Obs] = []
    values = case.__dict__
    for section in _sections(type(case)):
        value = values.get(section)
        if value is not None:
            _walk(value, section, section, None, None, SECTION_FACTS[section], hip_method, wanted,
                  found)
    return iter(found)


@functools.cache
def _sections(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(section for section in model.model_fields if section not in NOT_OBSERVATIONS)


@functools.cache
def _layout(model: type[BaseModel], path: str, side: str | None, movement: str | None
            ) -> tuple[tuple[str, str, str | None, str | None, str | None], ...]:
    """The observation fields of a model at ``path``, each with its dotted path, the side and the
    movement below it (the first of each that the path passes through) and the instrument its
    field names (worked out once per place in a case)."""
    return tuple((name, f"{path}.{name}", side or (name if name in SIDES else None),
                  movement or (name if name in MOVEMENTS else None), instrument_of(model, name))
                 for name in model.model_fields if name not in NOT_OBSERVATIONS)


def _walk(model: BaseModel, path: str, segment: str, side: str | None, movement: str | None,
          kind: type[Obs], hip_method: str | None, wanted: Wanted | None, found: list[Obs]) -> None:
    """Add to ``found`` the observations under ``model`` at ``path``."""
    values = model.__dict__  # a pydantic model's field values, read without an attribute lookup each
    for name, dotted, inner_side, inner_movement, instrument in _layout(type(model), path, side,
                                                                        movement):
        value = values.get(name)
        if value is None:
            continue
        if type(value) not in _LEAVES and isinstance(value, BaseModel):
            _walk(value, dotted, segment, inner_side, inner_movement, kind, hip_method, wanted, found)
            continue
        fields = {
            "path": dotted,
            "segment": segment,
            "side": side,
            "movement": movement,
            "name": name,
            "value": tuple(value) if isinstance(value, list) else value,
            "instrument": instrument_for(dotted, instrument, hip_method),
        }
        if wanted is None or wanted(kind, fields):
            found.append(built(kind, fields))


def examination(case: Case, wanted: Wanted | None = None) -> Iterator[ExamFact]:
    """The hips' rotation values as ExamFact facts (or those ``wanted`` accepts)."""
    if case.hips is None:
        return

    def examined(kind: type[Obs], fields: Mapping[str, Any]) -> bool:
        return fields["name"] in EXAMINED and (wanted is None or wanted(kind, fields))

    found: list[Obs] = []
    _walk(case.hips, "hips", "hips", None, None, ExamFact, case.hips.method, examined, found)
    yield from cast(list[ExamFact], found)


def answers(case: Case) -> Iterator[Answer]:
    """The red-flag answers that a rule can act on: a ``no`` fires nothing, so it is not declared."""
    for flag, answer in case.red_flags.__dict__.items():  # its fields: flag ids, plain answers
        if answer in ("yes", "unknown"):
            yield built(Answer, {"flag": flag, "answer": answer})
