"""The foot: tripod contact in the lifts, and compensatory versus true pronation (C2-C6)."""

from __future__ import annotations

from experta import AS, MATCH, NOT

from engine.facts import FootFact, LiftFact, Obs
from knowledge.rules.base import SEGMENT, TripodRules, meets, one_of
from knowledge.rules.registry import rule

MOTIONS = ("calcaneal_eversion", "talar_internal_rotation", "midfoot_yield")
# The two motions a navicular drop cannot speak to; the third, midfoot yield, is what the drop measures
# (the medial arch lowering under load: instruments.md section 2).
REARFOOT_MOTIONS = ("calcaneal_eversion", "talar_internal_rotation")


class FootRules(TripodRules):
    @rule(AS.contact << LiftFact(name="first_met", value="lost", side=MATCH.side), salience=SEGMENT,
          finding="first_met_unloaded", claims=("C2", "C3"))
    def foot_01_first_met_unloaded(self, contact: Obs, side: str) -> None:
        """The 1st metatarsal head leaves the floor in a lift: the tripod's base is lost (C2, C3)."""
        self.conclude(side, [contact])

    @rule(AS.contact << LiftFact(name="first_met", value="kept", side=MATCH.side),
          NOT(LiftFact(name="first_met", value="lost", side=MATCH.side)),
          NOT(LiftFact(name="weight_drift", value="lateral", side=MATCH.side)),
          NOT(LiftFact(name="toes_lift", value="yes", side=MATCH.side)),
          salience=SEGMENT, finding="tripod_holds", claims=("C2",))
    def foot_02_tripod_holds(self, contact: Obs, side: str) -> None:
        """The 1st metatarsal head stays down in every lift observed on this side, and the weight
        neither drifts to the outside of the foot nor lifts the toes: a functional tripod loads its
        medial side (C2, C3). A 1st metatarsal that touches the floor while the weight drifts out or
        the toes lift is not loaded (C16), so that foot does not hold."""
        self.conclude(side, [contact])

    @rule(AS.contact << LiftFact(name=one_of("heel", "fifth_met"), value="lost", side=MATCH.side),
          salience=SEGMENT, finding="tripod_contact_lost", claims=("C2",))
    def foot_08_heel_or_fifth_met_unloaded(self, contact: LiftFact, side: str) -> None:
        """The heel or the 5th metatarsal head leaves the floor: the tripod is not whole, though not
        in the medial way the model follows up the chain (C2)."""
        self.conclude(side, [contact])

    @rule(AS.fault << LiftFact(name="weight_drift", value="lateral", side=MATCH.side),
          salience=SEGMENT, finding="lateral_weight_shift", claims=("C3", "C16"))
    def foot_03_lateral_drift(self, fault: Obs, side: str) -> None:
        """Weight dumped onto the outside of the foot: the medial side is not loaded, whatever the
        1st metatarsal's contact (C3, C16)."""
        self.conclude(side, [fault])

    @rule(AS.fault << LiftFact(name="toes_lift", value="yes", side=MATCH.side),
          salience=SEGMENT, finding="toes_lift", claims=("C3", "C16", "C18"))
    def foot_09_toes_lift(self, fault: Obs, side: str) -> None:
        """Toes lifting in a hinge or split squat: one of the typical faults that start the chain
        (C3, C16), the one a toe-biased set-up answers (C18). It is named for what was seen; it is
        not a lateral drift."""
        self.conclude(side, [fault])

    @rule(AS.posture << FootFact(name="fpi6_total", value=meets("fpi6_pronated"), side=MATCH.side),
          AS.motion << FootFact(name=one_of(*REARFOOT_MOTIONS), value="absent", side=MATCH.side),
          salience=SEGMENT,
          finding="compensatory_pronation", claims=("C4", "C5", "C6"), sources=("KEENAN1996",))
    def foot_04_compensatory_pronation_by_posture(self, posture: Obs, motion: Obs, side: str) -> None:
        """Looks pronated (FPI-6) but lacks a rearfoot motion of true pronation: compensating (C4,
        C5, C6)."""
        self.conclude(side, [posture, motion])

    @rule(AS.posture << FootFact(name="fpi6_total", value=meets("fpi6_pronated"), side=MATCH.side),
          AS.motion << FootFact(name="midfoot_yield", value="absent", side=MATCH.side),
          NOT(FootFact(name=one_of(*REARFOOT_MOTIONS), value="absent", side=MATCH.side)),
          NOT(FootFact(name="navicular_drop_mm", value=meets("navicular_drop_excessive"), side=MATCH.side)),
          salience=SEGMENT,
          finding="compensatory_pronation", claims=("C4", "C5", "C6"), sources=("KEENAN1996",))
    def foot_11_compensatory_pronation_without_midfoot_yield(self, posture: Obs, motion: Obs,
                                                             side: str) -> None:
        """Looks pronated (FPI-6) and the rearfoot motions are there, but the midfoot was judged not
        to yield: compensating (C4, C5, C6), unless the navicular drop says the arch does lower under
        load (FOOT-10). With a rearfoot motion absent as well, FOOT-04 says it."""
        self.conclude(side, [posture, motion])

    @rule(AS.drop << FootFact(name="navicular_drop_mm", value=meets("navicular_drop_excessive"),
                         side=MATCH.side),
          AS.motion << FootFact(name=one_of(*REARFOOT_MOTIONS), value="absent", side=MATCH.side),
          NOT(FootFact(name="midfoot_yield", value="absent", side=MATCH.side)),
          salience=SEGMENT,
          finding="compensatory_pronation", claims=("C4", "C5"), sources=("KEENAN1996",))
    def foot_05_compensatory_pronation_by_drop(self, drop: Obs, motion: Obs, side: str) -> None:
        """An arch that drops a lot under load (the midfoot yields) without a rearfoot motion of true
        pronation (C4, C5). Not while the drop is contradicted by a midfoot judged not to yield."""
        self.conclude(side, [drop, motion])

    @rule(AS.drop << FootFact(name="navicular_drop_mm", value=meets("navicular_drop_excessive"),
                         side=MATCH.side),
          AS.midfoot << FootFact(name="midfoot_yield", value="absent", side=MATCH.side),
          salience=SEGMENT,
          finding="measurement_contradiction", claims=("C5",), sources=("MUELLER1993", "NIELSEN2009"))
    def foot_10_navicular_drop_contradicts_midfoot_yield(self, drop: Obs, midfoot: Obs, side: str) -> None:
        """A navicular drop over the cut-off is the medial arch lowering under load, which is the
        midfoot yielding that C5 names; "midfoot yield absent" beside it is a contradiction in the
        input, not compensation (instruments.md section 2; C5). Both are to be re-measured, and
        neither counts toward compensatory pronation meanwhile (FOOT-05, FOOT-11)."""
        self.conclude(side, [drop, midfoot])

    @rule(AS.eversion << FootFact(name="calcaneal_eversion", value="present", side=MATCH.side),
          AS.talus << FootFact(name="talar_internal_rotation", value="present", side=MATCH.side),
          AS.midfoot << FootFact(name="midfoot_yield", value="present", side=MATCH.side),
          salience=SEGMENT, finding="true_pronation", claims=("C4", "C5"), sources=("KEENAN1996",))
    def foot_06_true_pronation(self, eversion: Obs, talus: Obs, midfoot: Obs, side: str) -> None:
        """All three motions are present: the foot truly pronates, which is not a problem alone (C5)."""
        self.conclude(side, [eversion, talus, midfoot])

    @rule(AS.toe << FootFact(name="mtp1_dorsiflexion_deg", value=meets("mtp1_hallux_limitus"),
                        side=MATCH.side),
          salience=SEGMENT,
          finding="hallux_dorsiflexion_limited", claims=("C2",), sources=("RUNNERS2014",))
    def foot_07_hallux_dorsiflexion_limited(self, toe: Obs, side: str) -> None:
        """A stiff big toe can itself keep load off the 1st metatarsal head (C2)."""
        self.conclude(side, [toe])
