"""Two visits of one client compared: which observations changed between their case documents
(``engine/judged.py`` judges each change for ``tripod history``). Who and when (the client's id and name,
the date, the practitioner, the notes) is not an observation: a change there is not a change in the
client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.paths import flattened
from engine.visit import VISIT_SECTIONS

# Fields that say who and when, not what was observed: a change there is not a change in the client.
NOT_OBSERVED = ("format", "client.id", "client.name", "assessed_on", "practitioner", "notes")


def observed(path: str) -> bool:
    """Whether the case-file field at ``path`` is an observation of the client."""
    # The visit sections (what the client says, outcome measures) are not observations either.
    return path not in NOT_OBSERVED and path.split(".", 1)[0] not in VISIT_SECTIONS


def case_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Observations that differ between two case documents: (path, old, new); None: not assessed."""
    before, after = flattened(old), flattened(new)
    paths = [p for p in dict.fromkeys([*before, *after]) if observed(p)]
    return [(p, before.get(p), after.get(p)) for p in paths if before.get(p) != after.get(p)]
