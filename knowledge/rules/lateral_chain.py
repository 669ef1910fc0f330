"""The lateral chain: glute max, TFL, short head of biceps femoris and fibularis longus meeting at an
externally rotated fibular head (C14). The fibular-head sign has no reliability data, so it counts
only beside a second sign of the same side."""

from __future__ import annotations

from experta import AS, MATCH

from engine.facts import Found, LateralFact, Obs
from knowledge.rules.base import DEPENDENT, TripodRules, meets
from knowledge.rules.registry import rule


class LateralChainRules(TripodRules):
    @rule(AS.fibula << LateralFact(name="fibular_head_er", value="yes", side=MATCH.side),
          AS.ober << LateralFact(name="ober", value="positive", side=MATCH.side),
          salience=DEPENDENT,
          finding="lateral_chain_er_bias", claims=("C14",), sources=("FERBER2010",))
    def lat_01_fibular_head_er_with_positive_ober(self, fibula: Obs, ober: Obs, side: str) -> None:
        """Fibular head held in ER with a tight TFL-ITB: the lateral chain holds the leg out (C14)."""
        self.conclude(side, [fibula, ober])

    @rule(AS.fibula << LateralFact(name="fibular_head_er", value="yes", side=MATCH.side),
          AS.ober << LateralFact(name="ober_angle_deg", value=meets("ober_angle_tight"), side=MATCH.side),
          salience=DEPENDENT, finding="lateral_chain_er_bias", claims=("C14",))
    def lat_02_fibular_head_er_with_ober_angle(self, fibula: Obs, ober: Obs, side: str) -> None:
        """As LAT-01, with the Ober angle measured (derived cut-off, C14)."""
        self.conclude(side, [fibula, ober])

    @rule(AS.fibula << LateralFact(name="fibular_head_er", value="yes", side=MATCH.side),
          AS.tibia << Found(finding="tibial_er_bias", side=MATCH.side),
          salience=DEPENDENT, finding="lateral_chain_er_bias", claims=("C14", "C7"))
    def lat_03_fibular_head_er_with_tibial_er(self, fibula: Obs, tibia: Found, side: str) -> None:
        """Fibular head held in ER on a side whose tibia is turned out (C14, C7)."""
        self.conclude(side, [fibula, tibia])
