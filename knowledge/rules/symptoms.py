"""What the client feels and shows in the lifts and in standing (C10, C11, C13, C16)."""

from __future__ import annotations

from experta import AS, MATCH, NOT, P

from engine.facts import Found, LiftFact, Obs, StandingFact
from knowledge.rules.base import CHAIN, MEDIAL_LOADING_LOST, SEGMENT, TripodRules, one_of
from knowledge.rules.registry import rule

# instruments.md section 17: glutes absent AND one of these regions felt supports C11.
_INSTEAD_OF_GLUTES = {
    "hinge": {"hamstrings", "lower_back"},
    "split_squat": {"hamstrings", "lower_back", "quads"},
}


def _felt_elsewhere(movement: str) -> P:
    return P(lambda regions: "glutes" not in regions and bool(_INSTEAD_OF_GLUTES[movement] & set(regions)))


def _felt_in_glutes_only(movement: str) -> P:
    """Glutes felt and none of the regions C11 says take over instead."""
    return P(lambda regions: "glutes" in regions and not _INSTEAD_OF_GLUTES[movement] & set(regions))


class SymptomRules(TripodRules):
    @rule(AS.felt << LiftFact(movement="hinge", name="felt_in", value=_felt_elsewhere("hinge")),
          salience=SEGMENT, finding="glutes_not_loaded_in_hinge", claims=("C10", "C11"))
    def sym_01_hinge_felt_elsewhere(self, felt: Obs) -> None:
        """Hamstrings or lower back felt in the hinge instead of the glutes (C10, C11)."""
        self.conclude(None, [felt])

    @rule(AS.felt << LiftFact(movement="hinge", name="felt_in", value=_felt_in_glutes_only("hinge")),
          AS.reps << LiftFact(movement="hinge", name="reps_finish", value="yes"), salience=SEGMENT,
          finding="glutes_loaded_in_hinge", claims=("C10", "C11"))
    def sym_07_glutes_loaded_in_hinge(self, felt: Obs, reps: Obs) -> None:
        """Glutes felt in the hinge, not the hamstrings or lower back, and reps that finish: what the
        model says an IR-limited system cannot do (C10, C11). Evidence against a chain story, which
        lowers its confidence (root_causes.yaml)."""
        self.conclude(None, [felt, reps])

    @rule(AS.reps << LiftFact(movement="hinge", name="reps_finish", value="no"), salience=SEGMENT,
          finding="glutes_not_loaded_in_hinge", claims=("C11",))
    def sym_02_hinge_reps_do_not_finish(self, reps: Obs) -> None:
        """Hinge reps that never quite finish (C11)."""
        self.conclude(None, [reps])

    @rule(AS.felt << LiftFact(movement="split_squat", name="felt_in", value=_felt_elsewhere("split_squat")),
          salience=SEGMENT, finding="glutes_not_loaded_in_split_squat", claims=("C9", "C11"))
    def sym_03_split_squat_felt_elsewhere(self, felt: Obs) -> None:
        """Other muscles felt in the split squat instead of the glutes (C9, C11)."""
        self.conclude(None, [felt])

    @rule(AS.reps << LiftFact(movement="split_squat", name="reps_finish", value="no"), salience=SEGMENT,
          finding="glutes_not_loaded_in_split_squat", claims=("C11",))
    def sym_04_split_squat_reps_do_not_finish(self, reps: Obs) -> None:
        """Split-squat reps that never quite finish (C11)."""
        self.conclude(None, [reps])

    @rule(AS.com << StandingFact(name="com_forward", value="yes"),
          AS.grip << StandingFact(name="glute_gripping", value="yes"),
          salience=SEGMENT, finding="er_dominant_glute_strategy", claims=("C13",))
    def sym_05_er_dominant_glute_strategy(self, com: Obs, grip: Obs) -> None:
        """Centre of mass forward and glutes gripping: an ER-dominant answer to falling forward (C13)."""
        self.conclude(None, [com, grip])

    @rule(AS.fault << Found(finding=one_of(*MEDIAL_LOADING_LOST), side=MATCH.side),
          AS.hip << Found(finding="hip_ir_limited", side=MATCH.side),
          NOT(Found(finding="hip_rotation_lost_both_ways", side=MATCH.side)),
          salience=CHAIN, finding="ir_avoidance_in_lifts", claims=("C16", "C3"))
    def sym_06_lift_faults_avoid_ir(self, fault: Found, hip: Found, side: str) -> None:
        """Tripod faults on a side whose hip lacks IR: the system avoiding IR it cannot access (C16).
        Not in a hip that has lost rotation both ways (EXAM-03), which points at the joint itself."""
        self.conclude(side, [fault, hip])
