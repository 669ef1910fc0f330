"""Corrective constraints (C17, C18, C20): which apply follows from the root cause and the findings;
their order is data (constraints.yaml). None applies without a root cause, so a referral or an
incomplete screening gives no training advice."""

from __future__ import annotations

from experta import AS, MATCH, NOT

from engine.facts import Found, Root
from knowledge.rules.base import CONSTRAINT, FOOT_DEFICITS, TripodRules, one_of
from knowledge.rules.registry import rule

_FOOT_DEFICIT = one_of(*FOOT_DEFICITS)
_CHAIN = one_of("ascending_foot_chain", "descending_pelvic_chain")


class ConstraintRules(TripodRules):
    @rule(AS.root << Root(), AS.why << Found(finding="pregnancy_precautions"), salience=CONSTRAINT,
          constraint="obstetric_clearance_first")
    def con_01_obstetric_clearance_first(self, root: Root, why: Found) -> None:
        self.advise(None, [root, why])

    @rule(AS.root << Root(), AS.why << Found(finding="programme_insufficient"), salience=CONSTRAINT,
          constraint="fix_programme_first")
    def con_02_fix_programme_first(self, root: Root, why: Found) -> None:
        """Programme-level causes come first (C1, C19)."""
        self.advise(None, [root, why])

    @rule(AS.root << Root(cause="ascending_foot_chain", side=MATCH.side),
          AS.why << Found(finding=_FOOT_DEFICIT, side=MATCH.side),
          salience=CONSTRAINT, constraint="restore_medial_foot_loading")
    def con_03_restore_medial_foot_loading(self, root: Root, why: Found, side: str) -> None:
        """First restore whole-foot use (C2, C20) on every side whose own foot starts the chain: 1st
        metatarsal lost, weight drifting out or toes lifting (C3, C16), or compensating."""
        self.advise(side, [root, why])

    @rule(AS.root << Root(cause="ascending_foot_chain", side=MATCH.side),
          AS.why << Found(finding=_FOOT_DEFICIT, side=MATCH.side),
          salience=CONSTRAINT, constraint="toe_bias_constraint")
    def con_04_toe_bias_constraint(self, root: Root, why: Found, side: str) -> None:
        """Bias toward the toes as a constraint that encourages medial loading and finds the 1st
        metatarsal (C18), wherever the foot cannot load its medial side."""
        self.advise(side, [root, why])

    @rule(AS.root << Root(), AS.why << Found(finding=_FOOT_DEFICIT, side=MATCH.side),
          salience=CONSTRAINT, constraint="avoid_pressure_cues")
    def con_05_avoid_pressure_cues(self, root: Root, why: Found, side: str) -> None:
        """Wherever a foot finding is present, whatever the root cause (contract.md), pressure cues
        do not fix it (C17): the problem is whether the foot can use the pressure. It is a caution
        about cueing, not a corrective step: a foot that only looks compensating over a holding
        tripod gets no loading constraint (CON-03, CON-04)."""
        self.advise(side, [root, why])

    @rule(AS.root << Root(cause=_CHAIN), AS.why << Found(finding="hip_ir_limited", side=MATCH.side),
          salience=CONSTRAINT, constraint="regain_hip_ir")
    def con_06_regain_hip_ir(self, root: Root, why: Found, side: str) -> None:
        """Then regain internal rotation (C9, C10, C20): after the foot, before the pelvis, in C20's
        order ("regain internal rotation, let pelvis and femur move"), which contract.md fixes."""
        self.advise(side, [root, why])

    @rule(AS.root << Root(cause=_CHAIN), AS.why << Found(finding="pelvic_er_orientation"),
          NOT(Found(finding="pregnancy_precautions")), salience=CONSTRAINT,
          constraint="pelvic_position_toward_nutation")
    def con_07_pelvic_position_toward_nutation(self, root: Root, why: Found) -> None:
        """Once IR is regained at the hip, let a pelvis found in ER move toward a position consistent
        with a nutated sacrum, so that IR is true IR through the lift (C12), in C20's order: regain
        IR, then let pelvis and femur move. Without that finding nothing here says the pelvis is the
        one to move."""
        self.advise(None, [root, why])

    @rule(AS.root << Root(cause=_CHAIN), salience=CONSTRAINT,
          constraint="load_glutes_through_full_range")
    def con_08_load_glutes_through_full_range(self, root: Root) -> None:
        """Last, the glutes get the position to work through range (C8, C9, C20)."""
        self.advise(None, [root])

    @rule(AS.root << Root(), AS.why << Found(finding="adolescent_client"), salience=CONSTRAINT,
          constraint="adolescent_clinician_first")
    def con_10_adolescent_clinician_first(self, root: Root, why: Found) -> None:
        """Under 16: a clinician experienced with adolescents sees the plan first (NICE_NG59)."""
        self.advise(None, [root, why])

    @rule(AS.root << Root(cause="no_chain_deficit"), salience=CONSTRAINT,
          constraint="review_execution")
    def con_09_review_execution(self, root: Root) -> None:
        """No chain deficit: look at execution and the programme (C1)."""
        self.advise(None, [root])
