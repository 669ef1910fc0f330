"""The experta facts that describe two visits of one client to the verdict rules
(``knowledge/rules/verdict.py``): what the first visit concluded, how well its constraints were
followed, the days between the visits, each outcome measure's judged change and where each of the
first root cause's own findings went. ``engine/verdict.py`` declares them from a judged change
(``engine/history.py``); the verdict rules read nothing else.
"""

from __future__ import annotations

from experta import Fact


class FirstVisit(Fact):  # type: ignore[misc]  # experta is untyped (pyproject.toml)
    """The earlier visit: ``complete`` (yes | no: a root cause was reached), ``root`` (its id or
    "none")."""


class Adherence(Fact):  # type: ignore[misc]  # experta is untyped (pyproject.toml)
    """``since_last_visit.adherence`` of the later visit: all | most | some | none | unknown (also
    when it was left out)."""


class Elapsed(Fact):  # type: ignore[misc]  # experta is untyped (pyproject.toml)
    """``days`` between the two visits' ``assessed_on``."""


class OutcomeChange(Fact):  # type: ignore[misc]  # experta is untyped (pyproject.toml)
    """One outcome measure with a change entry: ``measure``, ``judgement`` (improved | worse |
    no_clear_change), ``sources`` of its threshold."""


class OwnFinding(Fact):  # type: ignore[misc]  # experta is untyped (pyproject.toml)
    """One finding the first root cause's rule needed: ``finding``, ``side`` (or "none") and
    ``state``: moved (absent though re-measured, or a numeric observation of it moved toward normal
    beyond its error), not_moved (re-measured, still there), not_reassessed."""


class Verdict(Fact):  # type: ignore[misc]  # experta is untyped (pyproject.toml)
    """The verdict reached: ``hypothesis``."""


def reference(fact: Fact) -> str:
    """How the verdict's trace names a fact it used, the way a screening's trace names findings."""
    if isinstance(fact, FirstVisit):
        return f"first_visit:{fact['root']}"
    if isinstance(fact, Adherence):
        return f"since_last_visit.adherence:{fact['level']}"
    if isinstance(fact, Elapsed):
        return f"elapsed_days:{fact['days']}"
    if isinstance(fact, OutcomeChange):
        return f"outcome:{fact['measure']}:{fact['judgement']}"
    if isinstance(fact, OwnFinding):
        side = f":{fact['side']}" if fact["side"] != "none" else ""
        return f"finding:{fact['finding']}{side}:{fact['state']}"
    return f"verdict:{fact['hypothesis']}"
