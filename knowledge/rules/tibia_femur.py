"""The tibia and the hip: external-rotation bias above the foot and access to internal rotation
(C7-C10), and the ascending chain that links them to an unloaded 1st metatarsal (C7, C15)."""

from __future__ import annotations

from experta import AS, MATCH, NOT

from engine.facts import Found, HipFact, Obs, TibiaFact
from knowledge.rules.base import (
    CHAIN,
    MEDIAL_LOADING_LOST,
    SEGMENT,
    SUPPORT,
    TripodRules,
    apart,
    meets,
    misses,
    one_of,
)
from knowledge.rules.registry import rule

# What may lift a low-normal IR to "restricted": a finding at the same side's foot or lateral chain
# (HIP-02), on the model's path to the hip. A shin seen turned out (no reliability data) is not
# enough, and neither is the pelvis: it is found on palpation alone, never a sole trigger
# (instruments.md sections 10b, 15), and the pelvic chain it would then explain would rest on it twice.
_SUPPORTS_BORDERLINE_IR = (*MEDIAL_LOADING_LOST, "compensatory_pronation", "lateral_chain_er_bias")


class TibiaFemurRules(TripodRules):
    @rule(AS.tibia << TibiaFact(name="rotation_bias", value="external", side=MATCH.side),
          salience=SEGMENT, finding="tibial_er_bias", claims=("C7", "C14"))
    def tib_01_tibial_er_bias_observed(self, tibia: Obs, side: str) -> None:
        """The shin is seen held in external rotation (C7, C14)."""
        self.conclude(side, [tibia])

    @rule(AS.angle << TibiaFact(name="thigh_foot_angle_deg", value=meets("thigh_foot_external"),
                          side=MATCH.side),
          salience=SEGMENT, finding="tibial_er_bias", claims=("C7",), sources=("PIVA2006",))
    def tib_02_tibial_er_bias_by_thigh_foot_angle(self, angle: Obs, side: str) -> None:
        """A thigh-foot angle beyond the normal range shows the tibia turned out (C7)."""
        self.conclude(side, [angle])

    @rule(AS.hip << HipFact(name="ir_deg", value=meets("hip_ir_limited"), side=MATCH.side),
          salience=SEGMENT,
          finding="hip_ir_limited", claims=("C8", "C9", "C10"), sources=("FRIESENBICHLER2020",))
    def hip_01_hip_ir_limited(self, hip: Obs, side: str) -> None:
        """Hip internal rotation under the published limit: the glutes cannot lengthen into IR
        before extension (C8, C9, C10)."""
        self.conclude(side, [hip])

    @rule(AS.hip << HipFact(name="ir_deg",
                        value=misses("hip_ir_limited") & meets("hip_ir_borderline_top"),
                        side=MATCH.side),
          AS.support << Found(finding=one_of(*_SUPPORTS_BORDERLINE_IR), side=MATCH.side),
          salience=SUPPORT, finding="hip_ir_limited", claims=("C8", "C9"))
    def hip_02_borderline_hip_ir_with_support(self, hip: Obs, support: Found, side: str) -> None:
        """Low-normal IR counts as restricted only beside another chain finding on the same side,
        never alone (STAHELI1985 band; C8, C9)."""
        self.conclude(side, [hip, support], strength="borderline")

    @rule(AS.hip << HipFact(name="ir_deg", value=misses("hip_ir_borderline_top"),
                        side=MATCH.side),
          salience=SEGMENT, finding="hip_ir_available", claims=("C9", "C10"))
    def hip_03_hip_ir_available(self, hip: Obs, side: str) -> None:
        """Hip internal rotation above the low-normal band: the IR space hinges need is there (C10)."""
        self.conclude(side, [hip])

    @rule(AS.hip << HipFact(name="ir_deg",
                            value=misses("hip_ir_limited") & meets("hip_ir_borderline_top"),
                            side=MATCH.side),
          NOT(Found(finding="hip_ir_limited", side=MATCH.side)),
          salience=CHAIN, finding="hip_ir_low_normal", claims=("C9",))
    def hip_05_low_normal_hip_ir_alone(self, hip: HipFact, side: str) -> None:
        """Low-normal IR with nothing beside it: not a restriction, but a reason for less certainty
        that the hip has the IR space hinges need (STAHELI1985 band; C9)."""
        self.conclude(side, [hip])

    @rule(AS.left << HipFact(name="ir_deg", side="left", value=MATCH.l),
          AS.right << HipFact(name="ir_deg", side="right", value=MATCH.r),
          apart("hip_ir_asymmetric", "l", "r", either_way=True),
          salience=SEGMENT, finding="hip_ir_asymmetric", claims=("C15",))
    def hip_04_hip_ir_asymmetric(self, left: Obs, right: Obs, l: float, r: float) -> None:
        """One hip turns in clearly more than the other: which side the chain is on (C15)."""
        self.conclude(None, [left, right])

    @rule(AS.ir << HipFact(name="ir_deg", value=MATCH.ir_value & misses("hip_ir_limited"),
                           side=MATCH.side),
          AS.er << HipFact(name="er_deg", value=MATCH.er_value, side=MATCH.side),
          apart("hip_er_far_exceeds_ir", "er_value", "ir_value"),
          salience=SEGMENT, finding="hip_er_far_exceeds_ir", claims=("C9", "C13"))
    def hip_07_er_far_exceeds_ir(self, ir: Obs, er: Obs, side: str) -> None:
        """A hip that turns out far more than it turns in, its IR not limited: the ER-dominant
        strategy the model describes (C13), short of the IR the glutes need (C9). ER beyond IR is
        common in healthy adults (instruments.md, scope warning 3), so only a gap well beyond the
        usual one is noted, and it supports no root cause; with IR limited, HIP-01 says more."""
        self.conclude(side, [ir, er])

    @rule(AS.foot << Found(finding=one_of(*MEDIAL_LOADING_LOST), side=MATCH.side),
          AS.above << Found(finding=one_of("tibial_er_bias", "hip_ir_limited"), side=MATCH.side),
          NOT(Found(finding="hip_rotation_lost_both_ways", side=MATCH.side)),
          salience=CHAIN, finding="ascending_er_chain", claims=("C3", "C7", "C15"))
    def chain_01_ascending_er_chain(self, foot: Found, above: Found, side: str) -> None:
        """The foot cannot load its medial side (1st metatarsal lost, weight drifting out or toes
        lifting, C3) and the segments above hold external rotation: one chain rising from the foot
        (C7, C15). Not in a hip that has lost rotation both ways (EXAM-03): that points at the joint
        itself until it is assessed (instruments.md section 14i), not at the chain."""
        self.conclude(side, [foot, above])

