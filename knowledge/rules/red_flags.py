"""Red flags (instruments.md section 14): asked first, reasoned about first and alone.

A flag whose effect is ``refer`` refers the client out on its own. A ``combine`` flag (diabetes) refers
only together with one of its partners, and is otherwise noted as a risk factor. A ``precaution`` flag
(pregnancy) changes what may be assessed and advised. An ``unknown`` answer blocks a conclusion.
Tiers, partners and effects are data in red_flags.yaml.
"""

from __future__ import annotations

from experta import AS, MATCH, NOT, TEST, P

from engine.facts import Answer, ClientFact, Obs, Referral
from knowledge.catalog import catalog
from knowledge.rules.base import CONTEXT, RED_FLAG, TripodRules, meets
from knowledge.rules.registry import rule

_FLAGS = catalog().red_flags.flags


def _effect(effect: str) -> P:
    return P(lambda flag: flag in _FLAGS and _FLAGS[flag].effect == effect)


class RedFlagRules(TripodRules):
    @rule(AS.answer << Answer(flag=MATCH.flag & _effect("refer"), answer="yes"), salience=RED_FLAG,
          refers=True)
    def rf_01_red_flag_refers(self, answer: Answer, flag: str) -> None:
        """A red flag answered yes stops the screening and refers at its tier."""
        self.refer(flag, [answer])

    @rule(AS.answer << Answer(flag=MATCH.flag & _effect("combine"), answer="yes"),
          AS.partner << Answer(flag=MATCH.other, answer="yes"),
          TEST(lambda flag, other: other in _FLAGS[flag].combine_with),
          salience=RED_FLAG, refers=True)
    def rf_02_combined_red_flag_refers(self, answer: Answer, partner: Answer, flag: str,
                                       other: str) -> None:
        """A risk factor that counts only with a partner flag refers when that partner is present."""
        self.refer(flag, [answer, partner], partner=other)

    @rule(AS.answer << Answer(flag=MATCH.flag & _effect("combine"), answer="yes"),
          NOT(Referral(flag=MATCH.flag)),
          salience=RED_FLAG - 1, finding="infection_risk_factor")
    def rf_03_lone_risk_factor_is_noted(self, answer: Answer, flag: str) -> None:
        """Diabetes without another infection flag must not refer on its own: it is noted instead."""
        self.conclude(None, [answer], sources=_FLAGS[flag].sources)

    @rule(AS.answer << Answer(flag=MATCH.flag, answer="unknown"), salience=RED_FLAG,
          block="red_flag_unknown")
    def rf_04_unknown_red_flag_blocks(self, answer: Answer, flag: str) -> None:
        """An unanswered red flag leaves the screening incomplete: no conclusion, no advice."""
        self.block(f"red_flags.{flag}", [answer], sources=_FLAGS[flag].sources)

    @rule(AS.answer << Answer(flag=MATCH.flag & _effect("precaution"), answer="yes"),
          salience=RED_FLAG, finding="pregnancy_precautions")
    def rf_05_pregnancy_precautions(self, answer: Answer, flag: str) -> None:
        """Pregnancy: pelvic and sacral items are not used and obstetric clearance comes first."""
        self.conclude(None, [answer], sources=_FLAGS[flag].sources)

    @rule(AS.age << ClientFact(name="age", value=meets("adolescent_age")), salience=CONTEXT,
          finding="adolescent_client")
    def age_01_adolescent_client(self, age: Obs) -> None:
        """Under 16 is outside NICE NG59: ask the SCFE question first, involve a paediatric clinician."""
        self.conclude(None, [age])
