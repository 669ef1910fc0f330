"""The pelvis: an externally rotated, counternutated orientation that limits hip IR (C12).

Sacral and pelvic impressions have near-chance agreement between examiners (HOLMGREN2008,
RIBEIRO2021_JMPT), so neither is ever a sole trigger: each rule needs two signs. None of them runs for
a pregnant or early post-partum client (instruments.md 14g).
"""

from __future__ import annotations

from experta import AS, NOT, Rule

from engine.facts import Found, Obs, PelvisFact
from knowledge.rules.base import DEPENDENT, SEGMENT, TripodRules

_RELIABILITY = ("HOLMGREN2008", "RIBEIRO2021_JMPT")


class PelvisRules(TripodRules):
    @Rule(AS.pelvis << PelvisFact(name="rotation_bias", value="external"),
          AS.sacrum << PelvisFact(name="sacrum", value="counternutated"),
          NOT(Found(finding="pregnancy_precautions")),
          salience=SEGMENT)
    def pel_01_pelvic_er_with_counternutation(self, pelvis: Obs, sacrum: Obs) -> None:
        """An ER-biased pelvis with a counternutated sacrum: the position the model says limits IR (C12)."""
        self.conclude("pelvic_er_orientation", None, "PEL-01", ("C12",), [pelvis, sacrum],
                      sources=_RELIABILITY)

    @Rule(AS.pelvis << PelvisFact(name="rotation_bias", value="external"),
          AS.hip << Found(finding="hip_ir_limited", strength="definite"),
          NOT(PelvisFact(name="sacrum", value="nutated")),
          NOT(Found(finding="pregnancy_precautions")),
          salience=DEPENDENT)
    def pel_02_pelvic_er_with_limited_ir(self, pelvis: Obs, hip: Found) -> None:
        """An ER-biased pelvis beside a hip whose IR is under the limit (C12)."""
        self.conclude("pelvic_er_orientation", None, "PEL-02", ("C12",), [pelvis, hip],
                      sources=_RELIABILITY)
