"""The visit sections of a case file (``tripod-case/2``): which visit it is, what the client says,
the outcome measures, and what was done since the last visit.

They sit in the intake model (``engine/intake.py``'s ``Case``) beside the observations but are none:
``engine/facts.py`` declares no fact for them, so no rule reads them, and ``tripod history`` does not
list them as observation changes. They are kept, shown in ``tripod show`` and both reports, and
checked like every other field. The measures and their ranges are ``shared/domain/outcomes.md``
section 1; the ranges are read from ``knowledge/data/instruments.yaml`` (through ``measure``), the
number of PSFS activities from outcomes.md (see ``PSFS_ACTIVITIES``).
"""

# Annotations are evaluated as the module runs, not kept as text for pydantic to evaluate again when
# it makes each model (ARCHITECTURE.md, "Invariants"; tests/test_startup.py).
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from engine.errors import Withheld
from engine.forms import multi_line, one_line
from engine.measures import at_most_once, measure
from knowledge.catalog import catalog

if TYPE_CHECKING:
    from engine.intake import Case

# The case-file sections tripod-case/2 adds; a tripod-case/1 file has none of them.
VISIT_SECTIONS = ("visit", "subjective", "outcomes", "since_last_visit")
FOLLOW_UP = "follow_up"
# outcomes.md section 1: the PSFS has the client name 1 to 5 activities. The catalog has no entry
# for a count of items, so the bound lives here.
PSFS_ACTIVITIES = 5

Visit = Literal["initial", "follow_up"]
Adherence = Literal["all", "most", "some", "none", "unknown"]


class _Section(BaseModel):
    # Built with the Case that holds them, when the first case is read (see engine/intake.py).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _text(max_length: int) -> Any:
    """Free text over lines, as notes: no control characters, tabs and line breaks kept."""
    return Annotated[str, Strict(), Field(min_length=1, max_length=max_length),
                     AfterValidator(multi_line)]


class Subjective(_Section):
    """What the client tells the practitioner, in their own words: kept and shown, never reasoned on."""

    complaint: _text(2_000) | None = None  # type: ignore[valid-type]
    goals: _text(2_000) | None = None  # type: ignore[valid-type]
    symptom_weeks: measure("symptom_weeks") | None = None  # type: ignore[valid-type]


class PsfsActivity(_Section):
    """One activity the client finds hard, in their words, rated 0 (unable) to 10 (as before)."""

    activity: Annotated[str, Strict(), Field(min_length=1, max_length=200), AfterValidator(one_line)]
    score: measure("psfs_score")  # type: ignore[valid-type]


def _psfs_count(activities: list[PsfsActivity]) -> list[PsfsActivity]:
    if not 1 <= len(activities) <= PSFS_ACTIVITIES:
        # The activities are the client's words: the line counts them, never quotes them.
        raise Withheld(f"allowed 1 to {PSFS_ACTIVITIES} activities", f"({len(activities)} activities)")
    return activities


class Outcomes(_Section):
    """The outcome measures of outcomes.md section 1."""

    nprs_now: measure("nprs_now") | None = None  # type: ignore[valid-type]
    nprs_worst_week: measure("nprs_worst_week") | None = None  # type: ignore[valid-type]
    psfs: Annotated[list[PsfsActivity], AfterValidator(_psfs_count)] | None = None
    lefs_total: measure("lefs_total") | None = None  # type: ignore[valid-type]
    groc: measure("groc") | None = None  # type: ignore[valid-type]

    def psfs_mean(self) -> float | None:
        """The PSFS score: the mean of the activities' ratings, to one decimal (outcomes.md)."""
        if not self.psfs:
            return None
        total: int = sum(a.score for a in self.psfs)
        return round(total / len(self.psfs), 1)


def _constraint(value: str) -> str:
    known = catalog().constraints
    if value not in known:
        raise ValueError(f"allowed a constraint id: {', '.join(known)}")
    return value


class SinceLastVisit(_Section):
    """What was done since the last visit: which of its constraints were followed, and how well."""

    constraints_followed: Annotated[list[Annotated[str, Strict(), AfterValidator(_constraint)]],
                                    at_most_once("constraint")] | None = None
    adherence: Adherence | None = None


class VisitProblems(ValueError):
    """Raised inside validation of a Case; engine/errors.py reports one line per (field, value,
    allowed)."""

    def __init__(self, problems: list[tuple[str, Any, str]]) -> None:
        super().__init__("; ".join(f"{field}: {allowed}" for field, _, allowed in problems))
        self.problems = problems


GIVEN = "(given)"  # a section's value is not shown: it may hold the client's words


def visit_problems(case: "Case", *, version_1: bool) -> Iterator[tuple[str, Any, str]]:
    """What the visit sections break across fields: a version-2 section in a version-1 file
    (``version_1``: the file said ``format: tripod-case/1``), and what only a follow-up has (GROC,
    since_last_visit) on an initial visit."""
    if version_1:
        version_2 = "allowed only in a tripod-case/2 file; this one says format: tripod-case/1"
        for section in VISIT_SECTIONS:
            if getattr(case, section) is not None:
                yield (section, GIVEN, version_2)
        return
    if case.visit == FOLLOW_UP:
        return
    only = f"allowed only on a follow-up visit (visit: {FOLLOW_UP})"
    if case.outcomes is not None and case.outcomes.groc is not None:
        yield ("outcomes.groc", case.outcomes.groc, only)
    if case.since_last_visit is not None:
        yield ("since_last_visit", GIVEN, only)
