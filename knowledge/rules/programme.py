"""The programme: rule out programme-level causes first (C1, C19). The working minimums are project
conventions in thresholds.yaml, not published cut-offs, and reports say so."""

from __future__ import annotations

from experta import AS

from engine.facts import Obs, ProgrammeFact
from knowledge.rules.base import SEGMENT, TripodRules, meets, misses
from knowledge.rules.registry import rule


class ProgrammeRules(TripodRules):
    @rule(AS.months << ProgrammeFact(name="months_consistent", value=misses("programme_min_months")),
          salience=SEGMENT, finding="programme_insufficient", claims=("C1", "C19"))
    def prog_01_too_few_months(self, months: Obs) -> None:
        """Too short a run of consistent training to expect growth (C1, C19)."""
        self.conclude(None, [months])

    @rule(AS.sessions << ProgrammeFact(name="lower_body_sessions_per_week", value=misses("programme_min_sessions")),
          salience=SEGMENT, finding="programme_insufficient", claims=("C1", "C19"))
    def prog_02_too_few_sessions(self, sessions: Obs) -> None:
        """Too few lower-body sessions a week (C1, C19)."""
        self.conclude(None, [sessions])

    @rule(AS.overload << ProgrammeFact(name="progressive_overload", value="no"), salience=SEGMENT,
          finding="programme_insufficient", claims=("C1", "C19"))
    def prog_03_no_progressive_overload(self, overload: Obs) -> None:
        """No progression of load over weeks (C1, C19)."""
        self.conclude(None, [overload])

    @rule(AS.months << ProgrammeFact(name="months_consistent", value=meets("programme_min_months")),
          AS.sessions << ProgrammeFact(name="lower_body_sessions_per_week", value=meets("programme_min_sessions")),
          AS.overload << ProgrammeFact(name="progressive_overload", value="yes"),
          salience=SEGMENT, finding="programme_sound", claims=("C19",))
    def prog_04_programme_sound(self, months: Obs, sessions: Obs, overload: Obs) -> None:
        """A sound programme and still no growth: look for a compromised base (C19)."""
        self.conclude(None, [months, sessions, overload])
