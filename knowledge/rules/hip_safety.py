"""Hip safety before loading advice (instruments.md section 14i): examination findings that are hip
flags themselves, and what an older client's hip asks for.

A red-flag question answered "no" does not clear a hip whose examination shows the flag's signs. The
signs of a slipped capital femoral epiphysis in a client still growing refer at once, whatever
``rf_scfe`` says; rotation lost both ways in an older client's hip holds the screening until the hip
joint is assessed. Both read the hips' rotation as ExamFact facts in the first pass, beside the red
flags, so that no chain rule has run when they decide. Every cut-off is a project ``convention`` in
thresholds.yaml; the sources describe the signs, not the numbers.

An older client's IR loss alone stays a finding of the model; the report then recommends checking
the hip joint (ALTMAN1991). Where a flag's IR sign is there but that side's ER was not measured, the
flag can be neither seen nor ruled out: a value left out is never taken as normal, so the screening
waits for ER.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from experta import AS, MATCH, NOT, TEST

from engine.facts import ClientFact, ExamFact, HipFact, Obs, Referral, built
from engine.trace import ref
from knowledge.catalog import catalog
from knowledge.rules.base import RED_FLAG, SEGMENT, TripodRules, apart, meets
from knowledge.rules.registry import rule

HIP_JOINT_FIRST = "hip_joint_assessment_first"
ER_FOR_HIP_FLAGS = "er_needed_for_hip_flags"
# What an examination flag holds the screening for, each a path `missing` lists first.
HOLDS = (HIP_JOINT_FIRST, ER_FOR_HIP_FLAGS)
_EXAM = catalog().red_flags.examination


class HipSafetyRules(TripodRules):
    def refer_on_examination(self, used: Iterable[Any]) -> None:
        """Refer like a red flag answered yes, recording the cut-offs the examination met."""
        info = self.firing
        flag = info.exam_flag
        assert flag is not None, f"{info.id} names no examination flag"
        spec = _EXAM[flag]
        self.record(ref("referral", flag), (), used, info.thresholds, spec.sources)
        self.declare(built(Referral, {"flag": flag, "tier": spec.tier, "partner": None}))  # type: ignore[attr-defined]

    @rule(AS.age << ClientFact(name="age", value=meets("scfe_age")),
          AS.ir << ExamFact(name="ir_deg", value=meets("scfe_ir_at_most"), side=MATCH.side),
          AS.er << ExamFact(name="er_deg", value=meets("scfe_er_high"), side=MATCH.side),
          salience=RED_FLAG, refers=True, exam_flag="exam_scfe_signs")
    def exam_01_scfe_signs_er_high(self, age: Obs, ir: Obs, er: Obs, side: str) -> None:
        """A growing client whose hip barely turns in and turns out far: the limited IR and outward
        turn of a slipped capital femoral epiphysis refer the same day (PECK2017, MSD_SCFE)."""
        self.refer_on_examination([age, ir, er])

    @rule(AS.age << ClientFact(name="age", value=meets("scfe_age")),
          AS.ir << ExamFact(name="ir_deg", value=meets("scfe_ir_at_most"), side=MATCH.side),
          AS.er << ExamFact(name="er_deg", value=MATCH.er_value, side=MATCH.side),
          AS.other << ExamFact(name="er_deg", value=MATCH.other_value, side=MATCH.other_side),
          TEST(lambda side, other_side: side != other_side),
          apart("scfe_er_excess", "er_value", "other_value"),
          salience=RED_FLAG, refers=True, exam_flag="exam_scfe_signs")
    def exam_02_scfe_signs_er_beyond_other_side(self, age: Obs, ir: Obs, er: Obs, other: Obs,
                                                side: str) -> None:
        """The same signs read against the other hip: this one barely turns in and turns out clearly
        more than its partner (PECK2017, MSD_SCFE)."""
        self.refer_on_examination([age, ir, er, other])

    @rule(AS.age << ClientFact(name="age", value=meets("hip_joint_age")),
          AS.ir << ExamFact(name="ir_deg", value=meets("hip_ir_limited"), side=MATCH.side),
          AS.er << ExamFact(name="er_deg", value=meets("hip_er_limited"), side=MATCH.side),
          salience=RED_FLAG, finding="hip_rotation_lost_both_ways", block=HIP_JOINT_FIRST,
          exam_flag="exam_hip_rotation_lost")
    def exam_03_hip_rotation_lost_both_ways(self, age: Obs, ir: Obs, er: Obs, side: str) -> None:
        """An older hip that has lost rotation both ways, as an arthritic hip does, is not the IR-only
        loss the model explains: assess the hip joint before any chain reasoning is trusted
        (ALTMAN1991, STAHELI1985)."""
        self.conclude(side, [age, ir, er])
        self.block(f"hips.{side}", [age, ir, er])

    @rule(AS.age << ClientFact(name="age", value=meets("hip_joint_age")),
          AS.ir << HipFact(name="ir_deg", value=meets("hip_ir_limited"), side=MATCH.side),
          NOT(ExamFact(name="er_deg", value=meets("hip_er_limited"), side=MATCH.side)),
          salience=SEGMENT, finding="hip_joint_check_advised", sources=("ALTMAN1991",))
    def exam_04_older_hip_ir_loss_alone(self, age: Obs, ir: Obs, side: str) -> None:
        """IR lost without ER lost (or ER not measured) in an older client stays the model's finding,
        but in that age IR below the limit is also the ACR tree's sign of hip osteoarthritis: check
        the hip joint (ALTMAN1991)."""
        self.conclude(side, [age, ir])

    @rule(AS.age << ClientFact(name="age", value=meets("scfe_age")),
          AS.ir << ExamFact(name="ir_deg", value=meets("scfe_ir_at_most"), side=MATCH.side),
          NOT(ExamFact(name="er_deg", side=MATCH.side)),
          salience=RED_FLAG, block=ER_FOR_HIP_FLAGS, exam_flag="exam_scfe_signs")
    def exam_05_scfe_signs_unknown_without_er(self, age: Obs, ir: Obs, side: str) -> None:
        """A growing client's hip barely turns in and its ER was not measured: the signs of a slipped
        capital femoral epiphysis can be neither seen nor ruled out, and a value left out is never
        taken as normal. Measure ER before any advice (PECK2017, MSD_SCFE)."""
        self.block(f"hips.{side}.er_deg", [age, ir])

    @rule(AS.age << ClientFact(name="age", value=meets("hip_joint_age")),
          AS.ir << ExamFact(name="ir_deg", value=meets("hip_ir_limited"), side=MATCH.side),
          NOT(ExamFact(name="er_deg", side=MATCH.side)),
          salience=RED_FLAG, block=ER_FOR_HIP_FLAGS, exam_flag="exam_hip_rotation_lost")
    def exam_06_rotation_lost_both_ways_unknown_without_er(self, age: Obs, ir: Obs,
                                                           side: str) -> None:
        """An older client's hip lacks IR and its ER was not measured: whether rotation is lost both
        ways, which calls for a hip-joint assessment first, cannot be told (ALTMAN1991, STAHELI1985)."""
        self.block(f"hips.{side}.er_deg", [age, ir])
