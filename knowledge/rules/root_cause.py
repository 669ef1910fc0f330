"""The root cause (contract.md): which chain the findings point to, side by side, if any.

A gate first: with no hip IR value, or nothing known of the foot's tripod, the rules cannot choose and
the screening is incomplete. Then the three root causes of the article's model, each judged on one
side with that side's own foot and hip (C7 and C12 follow one leg from the foot, or the pelvis, to its
own hip): the other foot holding says nothing about this hip. A side whose story cannot be told (its
hip unmeasured under a foot deficit, or its tripod unknown under a hip that lacks IR) leaves the
screening incomplete. A root cause reached with a weaker pattern carries a penalty key (scored in
root_causes.yaml) instead of a different id; when the two sides reach different causes, inference
reports each side's cause beside the one it leads with.
"""

from __future__ import annotations

from experta import AS, MATCH, NOT

from engine.facts import Blocked, Found, HipFact, Obs, Root, Stage
from knowledge.rules.base import (
    FOOT_DEFICITS,
    GATE,
    MEDIAL_LOADING_LOST,
    ROOT,
    TripodRules,
    one_of,
)
from knowledge.rules.registry import rule

_ASC = "ascending_foot_chain"
_DESC = "descending_pelvic_chain"
_NONE = "no_chain_deficit"


_FOOT_DEFICIT = one_of(*FOOT_DEFICITS)
_MEDIAL_LOADING_LOST = one_of(*MEDIAL_LOADING_LOST)
_CHAIN = one_of(_ASC, _DESC)


class RootCauseRules(TripodRules):
    @rule(Stage(), NOT(HipFact(name="ir_deg")), salience=GATE,
          block="too_little_assessed", claims=("C8", "C9", "C10"))
    def root_00_no_hip_rotation(self) -> None:
        """Without hip IR on either side no root cause can be told apart (C8-C10)."""
        self.block("hips.ir_deg")

    @rule(Stage(), NOT(Found(finding=_FOOT_DEFICIT)), NOT(Found(finding="tripod_holds")), salience=GATE,
          block="too_little_assessed", claims=("C2",))
    def root_09_no_tripod_status(self) -> None:
        """Without knowing whether the tripod holds, foot and pelvis cannot be told apart (C2)."""
        self.block("movements.first_met")

    @rule(Stage(), Found(finding=_FOOT_DEFICIT, side=MATCH.side),
          NOT(HipFact(name="ir_deg", side=MATCH.side)), salience=GATE,
          block="too_little_assessed", claims=("C7", "C15"))
    def root_07_foot_deficit_with_its_hip_unmeasured(self, side: str) -> None:
        """The foot deficit is on a side whose hip was not measured: whether the chain has risen to
        the hip there cannot be told (C7, C15), whatever the other side shows."""
        self.block(f"hips.{side}.ir_deg")

    @rule(Stage(), AS.hip << Found(finding="hip_ir_limited", side=MATCH.side),
          NOT(Found(finding="tripod_holds", side=MATCH.side)),
          NOT(Found(finding=_FOOT_DEFICIT, side=MATCH.side)), salience=GATE,
          block="too_little_assessed", claims=("C2", "C7", "C12"))
    def root_10_hip_ir_loss_with_its_tripod_unknown(self, hip: Found, side: str) -> None:
        """This hip lacks IR but its own foot's tripod was not seen, or was unsure: the foot chain
        (C7) and the pelvic chain, which needs that foot to hold (C12), cannot be told apart on this
        side; the other foot holding says nothing about it (C2)."""
        self.block(f"movements.hinge.{side}.first_met", [hip])

    @rule(Stage(), AS.foot << Found(finding="compensatory_pronation", side=MATCH.side),
          AS.hip << HipFact(name="ir_deg", side=MATCH.side),
          NOT(Found(finding="hip_ir_limited", side=MATCH.side)),
          NOT(Found(finding="tripod_holds", side=MATCH.side)),
          NOT(Found(finding=_MEDIAL_LOADING_LOST, side=MATCH.side)), salience=GATE,
          block="too_little_assessed", claims=("C2", "C4", "C5"))
    def root_11_compensating_foot_with_its_tripod_unknown(self, foot: Found, hip: HipFact,
                                                          side: str) -> None:
        """The foot looks compensating and this hip turns in, but whether the foot loads its medial
        side in the lifts was not seen: a holding tripod would make this no chain deficit, a lost one
        a foot chain (C2, C4, C5). A left-out observation is not read as a lost one."""
        self.block(f"movements.hinge.{side}.first_met", [foot, hip])

    @rule(AS.foot << Found(finding=_FOOT_DEFICIT, side=MATCH.side),
          AS.hip << Found(finding="hip_ir_limited", side=MATCH.side),
          NOT(Blocked()), salience=ROOT, root=_ASC)
    def root_01_ascending_foot_chain(self, foot: Found, hip: Found, side: str) -> None:
        """The foot cannot load its medial side (1st metatarsal lost, weight drifting out, toes
        lifting, or compensating) and the same side's hip lacks IR: one root (C3, C7, C15)."""
        self.root(side, [foot, hip])

    @rule(AS.foot << Found(finding=_MEDIAL_LOADING_LOST, side=MATCH.side),
          AS.hip << HipFact(name="ir_deg", side=MATCH.side),
          NOT(Found(finding="hip_ir_limited", side=MATCH.side)),
          NOT(Blocked()), salience=ROOT - 1, root=_ASC)
    def root_02_ascending_foot_chain_without_hip_loss(self, foot: Found, hip: HipFact,
                                                      side: str) -> None:
        """The foot does not load its medial side but this hip, measured, still turns in: the chain
        is not confirmed above the foot; the foot is still where the model starts (C2, C7). The
        medial loading must have been seen lost in the lifts: a foot that only looks compensating
        is not this, whether its tripod holds (no chain deficit, contract.md; C4, C5) or was not
        seen (ROOT-11)."""
        self.root(side, [foot, hip], penalty="hip_ir_not_limited")

    @rule(AS.hip << Found(finding="hip_ir_limited", side=MATCH.side),
          AS.pelvis << Found(finding="pelvic_er_orientation"),
          AS.tripod << Found(finding="tripod_holds", side=MATCH.side),
          NOT(Found(finding=_FOOT_DEFICIT, side=MATCH.side)), NOT(Blocked()), salience=ROOT,
          root=_DESC)
    def root_03_descending_pelvic_chain(self, hip: Found, pelvis: Found, tripod: Found,
                                        side: str) -> None:
        """This side's tripod holds, the pelvis sits in ER and this hip lacks IR: the pelvis drives
        it (C12)."""
        self.root(side, [hip, pelvis, tripod])

    @rule(AS.hip << Found(finding="hip_ir_limited", side=MATCH.side),
          AS.tripod << Found(finding="tripod_holds", side=MATCH.side),
          NOT(Found(finding="pelvic_er_orientation")),
          NOT(Found(finding="pregnancy_precautions")),
          NOT(Found(finding=_FOOT_DEFICIT, side=MATCH.side)), NOT(Blocked()), salience=ROOT,
          root=_DESC)
    def root_04_descending_pelvic_chain_unconfirmed(self, hip: Found, tripod: Found, side: str) -> None:
        """This side's tripod holds and this hip lacks IR, but no ER pelvis was found: the model's
        remaining candidate is the pelvis, whose palpation is unreliable (C12)."""
        self.root(side, [hip, tripod], penalty="pelvic_position_not_confirmed")

    @rule(AS.hip << Found(finding="hip_ir_limited", side=MATCH.side),
          AS.tripod << Found(finding="tripod_holds", side=MATCH.side),
          AS.why << Found(finding="pregnancy_precautions"),
          NOT(Found(finding=_FOOT_DEFICIT, side=MATCH.side)), salience=GATE,
          block="pelvis_not_assessed_in_pregnancy", sources=("ACOG804", "VLEEMING2008"), claims=("C12",))
    def root_08_ir_loss_in_pregnancy(self, hip: Found, tripod: Found, why: Found, side: str) -> None:
        """This side's foot holds and its hip lacks IR, but the pelvic items may not be used in
        pregnancy: the model's remaining candidate cannot be examined (C12; ACOG804, VLEEMING2008)."""
        self.block("pelvis", [hip, tripod, why])

    @rule(AS.tripod << Found(finding="tripod_holds"),
          AS.hip << Found(finding="hip_ir_available"),
          NOT(Found(finding="hip_ir_limited")), NOT(Root(cause=_CHAIN)), NOT(Blocked()),
          salience=ROOT - 3, root=_NONE)
    def root_05_no_chain_deficit(self, tripod: Found, hip: Found) -> None:
        """The tripod holds and the hip turns in, and no side tells a chain story: the model does not
        explain the problem (C1). A foot that only looks compensating does not change that."""
        self.root(None, [tripod, hip])

    @rule(AS.tripod << Found(finding="tripod_holds"),
          AS.hip << HipFact(name="ir_deg"),
          NOT(Found(finding="hip_ir_available")), NOT(Found(finding="hip_ir_limited")),
          NOT(Root(cause=_CHAIN)), NOT(Blocked()), salience=ROOT - 3, root=_NONE)
    def root_06_no_chain_deficit_low_normal_ir(self, tripod: Found, hip: Obs) -> None:
        """Tripod holds; IR is low-normal with nothing beside it, which never counts alone (C1)."""
        self.root(None, [tripod, hip], penalty="hip_ir_low_normal")
