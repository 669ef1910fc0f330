"""The pelvis: an externally rotated, counternutated orientation that limits hip IR (C12).

Sacral and pelvic impressions have near-chance agreement between examiners (HOLMGREN2008,
RIBEIRO2021_JMPT), so neither is ever a sole trigger (instruments.md 10b, 15): the pelvic finding needs
two pelvic signs. The hip's IR is never one of them: a limited IR is what an ER pelvis is meant to
explain (C12), so it cannot also confirm it. None of them runs for a pregnant or early post-partum
client (instruments.md 14g).
"""

from __future__ import annotations

from experta import AS, NOT

from engine.facts import Found, Obs, PelvisFact
from knowledge.rules.base import SEGMENT, TripodRules
from knowledge.rules.registry import rule

_RELIABILITY = ("HOLMGREN2008", "RIBEIRO2021_JMPT")


class PelvisRules(TripodRules):
    @rule(AS.pelvis << PelvisFact(name="rotation_bias", value="external"),
          AS.sacrum << PelvisFact(name="sacrum", value="counternutated"),
          NOT(Found(finding="pregnancy_precautions")),
          salience=SEGMENT, finding="pelvic_er_orientation", claims=("C12",), sources=_RELIABILITY)
    def pel_01_pelvic_er_with_counternutation(self, pelvis: Obs, sacrum: Obs) -> None:
        """An ER-biased pelvis with a counternutated sacrum, two pelvic signs independent of the hip:
        the position the model says limits IR (C12)."""
        self.conclude(None, [pelvis, sacrum])
