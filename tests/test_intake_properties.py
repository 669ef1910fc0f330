"""Property: any document drawn from the case shape, valid or broken, gives a Case or clean problems."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.casefile import parse_case
from engine.errors import CaseFileError
from engine.intake import Case
from tests.conftest import EXAMPLES

BASE = yaml.safe_load((EXAMPLES / "classic_compensatory_pronation.yaml").read_text())


def leaf_paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            paths.append(prefix + (key,))
            paths.extend(leaf_paths(value, prefix + (key,)))
    return paths


PATHS = leaf_paths(BASE)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["yes", "no", "unknown", "unsure", "kept", "lost", "present", "absent",
                     "external", "seated", "lateral", "glutes", "2026-01-01", "tripod-case/1"]),
)

mutation = st.tuples(st.sampled_from(["delete", "replace", "extra"]), st.sampled_from(PATHS), junk)


def apply(doc: dict[str, Any], op: str, path: tuple[Any, ...], value: Any) -> None:
    holder: Any = doc
    for key in path[:-1]:
        if not isinstance(holder, dict) or key not in holder:
            return
        holder = holder[key]
    if not isinstance(holder, dict):
        return
    if op == "delete":
        holder.pop(path[-1], None)
    elif op == "replace":
        holder[path[-1]] = value
    else:
        holder[f"{path[-1]}_x"] = value


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(mutation, max_size=6))
def test_any_drawn_document_is_a_case_or_named_problems(mutations: list[Any]) -> None:
    doc = copy.deepcopy(BASE)
    for op, path, value in mutations:
        apply(doc, op, path, value)
    try:
        case = parse_case("drawn.yaml", doc)
    except CaseFileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.where == "drawn.yaml"
            assert problem.field and problem.value and problem.allowed
            assert "\n" not in str(problem)
    else:
        assert isinstance(case, Case)
