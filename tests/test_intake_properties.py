"""Properties: any document drawn from the case shape, valid or broken, and any case file text with
random text or bytes cut into it, gives a Case or clean problems."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.casefile import load_case, parse_case
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


BASE_TEXT = (EXAMPLES / "classic_compensatory_pronation.yaml").read_text(encoding="utf-8")
BASE_JSON = json.dumps(BASE, default=str, indent=1)

# Fragments that make YAML or JSON build odd values: dates, tags, anchors, complex keys, nesting.
SYNTAX = st.sampled_from([
    "? [a, b]\n: 1", "? {a: 1}\n: 1", "2026-13-45", "2026-02-30", "2026-11-20 10:00:00",
    "9" * 5000, "-" + "9" * 5000, "1e999", "!!set {a}", "!!binary AA", "!!int x", "!!float x",
    "!!timestamp 2026-99-99", "&a [*a]", "<<: {x: 1}", "<<: *a", "[" * 200, "{" * 200,
    "[" * 40 + "]" * 40, "{a: " * 40 + "1" + "}" * 40, "\t", "\x00", "~: 1", ".nan", "-.inf",
    "0x" + "f" * 50, "0o" + "7" * 50, "1:2:3", "1:" + "9" * 5000, ": :", "- - -",
    "!!python/tuple [1]", "\ufeff", "\u2028", "'", '"', "\\", "#", "%YAML 1.2\n---", "---",
    "...", "*undefined", "NaN", "Infinity", "true", "null", "{}", "[]", "1.5", "-0",
])
piece = st.one_of(SYNTAX, st.text(max_size=20), st.binary(max_size=20))
# A splice replaces a line's value (after its first ": "), or cuts bytes at a place and inserts.
splice = st.tuples(st.sampled_from(["value", "raw"]), st.floats(0, 1), st.integers(0, 12), piece)


def spliced(text: str, splices: list[tuple[str, float, int, str | bytes]]) -> bytes:
    data = text.encode("utf-8")
    for how, where, cut, insert in splices:
        chunk = insert if isinstance(insert, bytes) else insert.encode("utf-8")
        if how == "value":
            lines = data.split(b"\n")
            index = int(where * (len(lines) - 1))
            key, sep, _ = lines[index].partition(b": ")
            lines[index] = key + sep + chunk if sep else lines[index] + chunk
            data = b"\n".join(lines)
        else:
            at = int(where * len(data))
            data = data[:at] + chunk + data[at + cut:]
    return data


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(base=st.sampled_from([("case.yaml", BASE_TEXT), ("case.json", BASE_JSON)]),
       splices=st.lists(splice, min_size=1, max_size=4))
def test_any_spliced_case_file_is_a_case_or_named_problems(
        tmp_path_factory: pytest.TempPathFactory, base: tuple[str, str],
        splices: list[tuple[str, float, int, str | bytes]]) -> None:
    """Random text or bytes cut into a valid case file's text (YAML or JSON) give a Case or a
    CaseFileError whose every problem is one line naming the file: never another exception."""
    name, text = base
    path = tmp_path_factory.mktemp("spliced") / name
    path.write_bytes(spliced(text, splices))
    try:
        case = load_case(path)
    except CaseFileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.where == str(path)
            assert problem.field and problem.value and problem.allowed
            assert "\n" not in str(problem)
    else:
        assert isinstance(case, Case)
