"""Properties: any document drawn from the case shape, valid or broken, and any case file text with
random text or bytes cut into it, gives a Case or clean problems."""

from __future__ import annotations

import copy
import json
import math
import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.errors import CaseFileError
from engine.forms import DECIMAL, OTHER_NUMBER, NumberForm
from engine.inference import assess, build_engine
from engine.intake import Case
from knowledge.catalog import catalog
from storage.casefile import _parse_yaml, dump_case, load_case, parse_case
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
    # Number forms YAML 1.1 re-values (030 is 24, 1:10 is 70), and their neighbours.
    "030", "010", "-030", "0x1E", "0b11110", "0o36", "1_5", "2_2.5", "1:10", "1:10:30.5", "030.5",
    "+30", ".5", "1.", "1e3", "2.25e1", "1.5e+3", "!!int 030", "!!float 1_5", "\uff13\uff10",
    "\u0663\u0660",
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


# The plain scalars PyYAML (YAML 1.1) resolves as numbers, drawn from its own patterns.
YAML11_NUMBERS = [regexp for tag, regexp in yaml.SafeLoader.yaml_implicit_resolvers["1"]
                  if tag.endswith((":int", ":float"))]


@settings(max_examples=400, deadline=None)
@given(st.one_of([st.from_regex(regexp, fullmatch=True) for regexp in YAML11_NUMBERS]))
def test_a_number_yaml_11_reads_is_read_the_same_or_kept_as_written(text: str) -> None:
    """Whatever YAML 1.1 takes for a number is either plain decimal, and Tripod reads the same
    value, or it is kept as written for the intake model to refuse: never another number."""
    text = text.strip()
    try:
        theirs = yaml.safe_load(f"n: {text}\n")["n"]
    except ValueError:  # PyYAML resolves 0b_ as an int, then cannot build it
        theirs = None
    ours = _parse_yaml("n.yaml", f"n: {text}\n")["n"]
    if DECIMAL.fullmatch(text):
        assert ours == theirs and type(ours) is type(theirs)
    elif re.fullmatch(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", text):
        assert not math.isfinite(ours)  # refused by every range
    else:
        assert ours == NumberForm(text)


def _special(kind: str, folder: Path, name: str) -> Path:
    path = folder / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "dev-urandom":
        path.symlink_to("/dev/urandom")
    elif kind == "dangling":
        path.symlink_to(folder / "nowhere")
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "link-to-folder":
        (folder / "sub").mkdir()
        path.symlink_to(folder / "sub")
    elif kind == "socket":
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(path))
    else:
        path.write_text(BASE_TEXT, encoding="utf-8")
    return path


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=2000)
@given(kind=st.sampled_from(["fifo", "dev-zero", "dev-urandom", "dangling", "loop", "folder",
                             "link-to-folder", "socket", "regular"]),
       name=st.sampled_from(["c.yaml", "c.yml", "c.json", "c.txt", "C.YAML"]))
def test_a_path_of_any_kind_is_a_case_or_one_line_at_once(
        tmp_path_factory: pytest.TempPathFactory, kind: str, name: str) -> None:
    """FIFOs, devices, sockets, folders and links of every sort: never a block, never an endless
    read, never anything but a Case or one line naming the file."""
    path = _special(kind, tmp_path_factory.mktemp("special"), name)
    try:
        case = load_case(path)
    except CaseFileError as exc:
        (problem,) = exc.problems
        assert problem.where == str(path)
        assert "\n" not in str(problem)
    else:
        assert isinstance(case, Case)
        assert kind == "regular"


NUMERIC_KEYS = ["client.age", "hips.left.ir_deg", "feet.left.navicular_drop_mm",
                "feet.left.fpi6_total"]
number_like = st.one_of(
    st.from_regex(r"[-+]?[0-9_:.xob]{1,8}(e[-+]?[0-9]{1,3})?", fullmatch=True),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Pd", "Po", "Zs"]), max_size=6),
    st.sampled_from(["inf", "-inf", "nan", "Infinity", "1e3", " 30 ", "\uff13\uff10", "30."]),
)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(NUMERIC_KEYS), text=number_like)
def test_a_numeric_answer_is_accepted_only_when_plain_decimal(key: str, text: str) -> None:
    """An intake answer is checked as a case file's value is: any text gives a value or lines,
    and a number is taken only as a person writes it (never 2_2 as 22, never ３０ as 30)."""
    from tripod.intake.questions import TooLong, check, parse, questions

    question = next(q for q in questions() if q.key == key)
    try:
        value = parse(question, text)
    except TooLong:
        return
    lines = check(question, value)
    if not lines:
        assert DECIMAL.fullmatch(text.strip()), (text, value)
    for line in lines:
        assert line.startswith(f"{key} = ") and "\n" not in line


any_char = st.characters(exclude_categories=[])  # surrogates and control characters included
prose = st.text(alphabet=st.one_of(any_char, st.sampled_from("\n\r\t\x85\u2028\u2029 '\":#-")),
                max_size=30)
# Text a YAML reader could take for a number: it must be written quoted.
numeral = st.one_of(st.from_regex(OTHER_NUMBER, fullmatch=True),
                    st.from_regex(DECIMAL, fullmatch=True))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(notes=prose, name=st.one_of(prose, numeral), fmt=st.sampled_from(["yaml", "json"]))
def test_any_text_a_case_holds_is_written_and_read_back_unchanged(
        tmp_path_factory: pytest.TempPathFactory, notes: str, name: str, fmt: str) -> None:
    """Names and notes are refused in one line, or written by dump_case (as tripod export does)
    and read back unchanged: U+0085 once came back as a space."""
    doc = copy.deepcopy(BASE)
    doc["notes"], doc["client"]["name"] = notes, name
    try:
        case = parse_case("drawn.yaml", doc)
    except CaseFileError as exc:
        for problem in exc.problems:
            assert problem.field in ("notes", "client.name")
            assert "\n" not in str(problem)
        return
    path = tmp_path_factory.mktemp("roundtrip") / f"case.{fmt}"
    path.write_text(dump_case(case, fmt), encoding="utf-8")
    assert load_case(path) == case


# -- The visit sections of tripod-case/2, valid and invalid ------------------------------------------

CONSTRAINT_IDS = list(catalog().constraints)
ENGINE = build_engine()
WITHOUT_SECTIONS = assess(parse_case("base.yaml", BASE), ENGINE).model_dump()


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


score = st.one_of(st.integers(-12, 12), junk)
subjective = _optional(complaint=prose, goals=prose,
                       symptom_weeks=st.one_of(st.integers(-5, 5300), junk))
psfs_item = st.fixed_dictionaries({"activity": st.one_of(prose, st.just("")), "score": score})
outcomes = _optional(nprs_now=score, nprs_worst_week=score, lefs_total=st.one_of(st.integers(-5, 90), junk),
                     groc=st.integers(-9, 9), psfs=st.lists(psfs_item, max_size=7))
since = _optional(constraints_followed=st.lists(st.sampled_from([*CONSTRAINT_IDS, "stretch_more"]),
                                                max_size=4),
                  adherence=st.sampled_from(["all", "most", "some", "none", "unknown", "mostly"]))
sections = _optional(visit=st.sampled_from(["initial", "follow_up", "second"]), subjective=subjective,
                     outcomes=outcomes, since_last_visit=since)
VISIT_FIELDS = ("visit", "subjective", "outcomes", "since_last_visit")
words = st.text(alphabet=st.sampled_from("abc XYZ,.'\n\t\u00e9"), min_size=1, max_size=20)


def within(key: str) -> st.SearchStrategy[int]:
    low, high = _range(key)
    return st.integers(int(low), int(high))


@st.composite
def valid_sections(draw: st.DrawFn) -> dict[str, Any]:
    """Visit sections as contract.md allows them: GROC and since_last_visit on a follow-up only."""
    follow_up = draw(st.booleans())
    drawn = draw(_optional(
        subjective=_optional(complaint=words, goals=words, symptom_weeks=within("symptom_weeks")),
        outcomes=_optional(nprs_now=within("nprs_now"), nprs_worst_week=within("nprs_worst_week"),
                           lefs_total=within("lefs_total"),
                           psfs=st.lists(st.fixed_dictionaries({"activity": words.filter(lambda t: "\n" not in t),
                                                                "score": within("psfs_score")}),
                                         min_size=1, max_size=5))))
    if follow_up:
        drawn["visit"] = "follow_up"
        if draw(st.booleans()):
            drawn.setdefault("outcomes", {})["groc"] = draw(within("groc"))
        drawn["since_last_visit"] = draw(_optional(
            constraints_followed=st.lists(st.sampled_from(CONSTRAINT_IDS), unique=True, max_size=4),
            adherence=st.sampled_from(["all", "most", "some", "none", "unknown"])))
    return drawn


def _range(key: str) -> tuple[float, float]:
    spec = catalog().instrument(key)
    assert spec.min is not None and spec.max is not None
    return spec.min, spec.max


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(drawn=st.one_of(valid_sections(), sections),
       fmt=st.sampled_from(["tripod-case/2", "tripod-case/2", "tripod-case/1"]))
def test_any_drawn_visit_sections_are_a_case_that_reasons_the_same_or_named_problems(
        drawn: dict[str, Any], fmt: str) -> None:
    """Drawn visit sections give a case whose sections keep every rule of contract.md and
    outcomes.md, written and read back unchanged and assessed as without them; or one-line problems
    at those sections (or the format), never quoting a client's words but at their own field."""
    doc = copy.deepcopy(BASE) | {"format": fmt} | copy.deepcopy(drawn)
    try:
        case = parse_case("drawn.yaml", doc)
    except CaseFileError as exc:
        event("refused")
        assert exc.problems
        for problem in exc.problems:
            assert problem.field.split(".")[0] in VISIT_FIELDS, problem
            assert "\n" not in str(problem)
            if problem.field in (*VISIT_FIELDS[1:], "outcomes.psfs"):  # a section, or the activities
                assert re.fullmatch(r"\(given\)|\([0-9] activities\)", problem.value), problem
        return
    event("read")
    assert fmt == "tripod-case/2" or not drawn
    follow_up = case.visit == "follow_up"
    if case.outcomes is not None:
        for key in ("nprs_now", "nprs_worst_week", "lefs_total", "groc"):
            value = getattr(case.outcomes, key)
            assert value is None or _range(key)[0] <= value <= _range(key)[1]
        assert case.outcomes.groc is None or follow_up
        if case.outcomes.psfs is not None:
            assert 1 <= len(case.outcomes.psfs) <= 5
            assert all(item.activity for item in case.outcomes.psfs)
    assert case.since_last_visit is None or follow_up
    assert load_case_text(dump_case(case)) == case
    assert assess(case, ENGINE).model_dump() == WITHOUT_SECTIONS


def load_case_text(text: str) -> Any:
    return parse_case("again.yaml", _parse_yaml("again.yaml", text))


# -- the intake's answers --------------------------------------------------------------------------

def _intake() -> Any:
    from tripod.intake import questions as intake

    return intake


GROUPS = [q for q in _intake().questions() if q.group]
STATE = st.sampled_from(["no", "no", "yes", "unknown"])


@settings(max_examples=300, deadline=None)
@given(group=st.sampled_from(GROUPS), data=st.data())
def test_any_red_flag_answer_reads_back_the_same_and_answers_each_flag_once(
        group: Any, data: st.DataObject) -> None:
    """Whatever each question of a group is answered, every flag of the group gets one answer: yes
    when a question asking it is yes; and the tokens shown for those answers give them again."""
    from tripod.intake.flags import flag_answers

    states = data.draw(st.lists(STATE, min_size=len(group.items), max_size=len(group.items)))
    flags = flag_answers(group.items, states)
    assert set(flags) == set(group.keys)
    for item, state in zip(group.items, states, strict=True):
        if state == "yes":
            assert all(flags[f"red_flags.{flag}"] == "yes" for flag in item.flags)
    intake = _intake()
    assert intake.parse_flags(group, intake.show_flags(group, flags)) == flags


KEYS = [key for q in _intake().questions() for key in q.keys]
ANSWER = st.sampled_from([None, "yes", "no", "unknown", "male", "female", "external", "positive",
                          "seated", "follow_up", "initial", 3])


@settings(max_examples=300, deadline=None)
@given(answers=st.dictionaries(st.sampled_from(KEYS), ANSWER, max_size=25))
def test_the_count_never_changes_whatever_was_answered(answers: dict[str, Any]) -> None:
    """[n/N]: N is every question, whatever the answers; the questions asked keep their order and
    their numbers; what is settled never exceeds N."""
    intake = _intake()
    done, total = intake.progress(answers)
    assert total == len(intake.questions())
    assert 0 <= done <= total
    numbers = [intake.number(q) for q in intake.plan(answers)]
    assert numbers == sorted(set(numbers))
    assert all(1 <= n <= total for n in numbers)


ACTIVITY = st.text(alphabet=st.characters(categories=["L", "N", "Zs"], exclude_characters="\u3000"),
                   min_size=1, max_size=40).map(str.strip).filter(bool)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(ACTIVITY, st.integers(0, 10)), min_size=1, max_size=5))
def test_psfs_activities_typed_as_shown_read_back_unchanged(pairs: list[tuple[str, int]]) -> None:
    intake = _intake()
    psfs = next(q for q in intake.questions() if q.key == "outcomes.psfs")
    value = [{"activity": a, "score": s} for a, s in pairs]
    assert intake.parse(psfs, intake.show(value)) == value
    assert intake.check(psfs, value) == []
