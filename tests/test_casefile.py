"""Reading case files: each way a file can be unreadable gets one line naming file, value and rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.casefile import MAX_BYTES, dump_case, load_case
from engine.errors import CaseFileError


def only_problem(path: Path) -> str:
    with pytest.raises(CaseFileError) as info:
        load_case(path)
    (problem,) = info.value.problems
    return str(problem)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    assert only_problem(path) == f"{path}: (file) = '{path}': no such file; allowed an existing case file"


def test_directory(tmp_path: Path) -> None:
    assert only_problem(tmp_path).endswith("is a directory; allowed a case file")


def test_file_that_is_not_yaml_or_json_by_name(write_case: Any) -> None:
    line = only_problem(write_case("format: tripod-case/1\n", "notes.txt"))
    assert line.endswith("(file) = 'notes.txt': allowed a YAML (.yaml, .yml) or JSON (.json) case file")


def test_yaml_that_does_not_parse_names_line_and_column(write_case: Any) -> None:
    line = only_problem(write_case("format: tripod-case/1\nclient: [unclosed\n"))
    assert "(file) = (not YAML at line 3, column 1): allowed valid YAML" in line


def test_json_that_does_not_parse(write_case: Any) -> None:
    assert "(file) = (not JSON): allowed valid JSON" in only_problem(write_case('{"format":', "c.json"))


def test_empty_file(write_case: Any) -> None:
    assert only_problem(write_case("  \n")).endswith("(file) = (empty): allowed a tripod-case/1 document")


def test_file_over_one_mebibyte(write_case: Any) -> None:
    line = only_problem(write_case("#" * (MAX_BYTES + 1)))
    assert line.endswith(f"(file) = {MAX_BYTES + 1} bytes: allowed at most {MAX_BYTES} bytes (1 MiB)")


def test_non_utf8_bytes(write_case: Any) -> None:
    line = only_problem(write_case(b"format: tripod-case/1\nnotes: caf\xe9\n"))
    assert line.endswith("(file) = byte 32 = b'\\xe9': allowed UTF-8 text")


def test_duplicate_key_in_yaml(write_case: Any) -> None:
    line = only_problem(write_case("format: tripod-case/1\nclient: {id: A, id: B}\n"))
    assert line.endswith("id = (given twice, line 2): each key at most once")


def test_duplicate_key_in_json(write_case: Any) -> None:
    line = only_problem(write_case('{"format": "tripod-case/1", "format": "x"}', "c.json"))
    assert line.endswith("format = (given twice): each key at most once")


def test_document_that_is_not_a_mapping(write_case: Any) -> None:
    line = only_problem(write_case("- 1\n- 2\n"))
    assert line.endswith("(document) = [1, 2]: allowed a mapping that starts with format: tripod-case/1")


def test_written_case_reads_back_the_same(classic_doc: Any, write_case: Any, tmp_path: Path) -> None:
    case = load_case(write_case(classic_doc))
    text = dump_case(case)
    assert "'yes'" in text  # quoted, so a YAML 1.1 reader keeps it a string
    again = load_case(write_case(text, "again.yaml"))
    assert again == case
