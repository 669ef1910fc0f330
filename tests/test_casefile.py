"""Reading case files: each way a file can be unreadable gets one line naming file, value and rule."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.casefile import MAX_BYTES, MAX_DEPTH, MAX_VALUES, dump_case, load_case
from engine.errors import CaseFileError
from tests.conftest import EXAMPLES


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


def test_name_too_long_for_the_file_system_says_it_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / ("a" * 300 + ".yaml")
    assert only_problem(path) == (f"{path}: (file) = '{path}': cannot be read (File name too "
                                  "long); allowed a readable file")


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
    assert line.endswith("(document) = (a list): allowed a mapping that starts with format: "
                         "tripod-case/1")


def test_written_case_reads_back_the_same(classic_doc: Any, write_case: Any, tmp_path: Path) -> None:
    case = load_case(write_case(classic_doc))
    text = dump_case(case)
    assert "'yes'" in text  # quoted, so a YAML 1.1 reader keeps it a string
    again = load_case(write_case(text, "again.yaml"))
    assert again == case


class TestValuesTheParsersCannotBuild:
    """Text that parses but makes a value Python refuses still ends in one line, never a crash."""

    def test_impossible_yaml_date_names_the_field_and_the_date_format(self, write_case: Any) -> None:
        text = (EXAMPLES / "classic_compensatory_pronation.yaml").read_text()
        path = write_case(text.replace("assessed_on: 2026-11-20", "assessed_on: 2026-13-45"))
        assert only_problem(path) == (f"{path}: assessed_on = '2026-13-45': "
                                      "allowed a date as YYYY-MM-DD")

    def test_unquoted_yaml_date_still_loads_as_a_date(self, write_case: Any) -> None:
        text = (EXAMPLES / "classic_compensatory_pronation.yaml").read_text()
        assert "assessed_on: 2026-11-20\n" in text
        assert load_case(write_case(text)).assessed_on == dt.date(2026, 11, 20)

    def test_yaml_integer_of_5000_digits_names_its_line_and_the_limit(self,
                                                                      write_case: Any) -> None:
        line = only_problem(write_case("format: tripod-case/1\nclient:\n  age: " + "9" * 5000))
        assert line.endswith(f"(file) = (a number of 5000 digits at line 3, column 8): allowed "
                             f"numbers of at most {sys.get_int_max_str_digits()} digits")

    def test_json_integer_of_5000_digits_gives_the_limit_not_python_advice(
            self, write_case: Any) -> None:
        line = only_problem(write_case('{"format": "tripod-case/1", "age": -' + "9" * 5000 + "}",
                                       "c.json"))
        assert line.endswith(f"(file) = (a number of 5000 digits): allowed numbers of at most "
                             f"{sys.get_int_max_str_digits()} digits")
        assert "set_int_max_str_digits" not in line

    def test_yaml_list_used_as_a_key_is_refused_with_its_line(self, write_case: Any) -> None:
        line = only_problem(write_case("format: tripod-case/1\n? [a, b]\n: 1\n"))
        assert line.endswith("(file) = (a list or mapping as a key at line 2, column 3): "
                             "allowed keys that are field names")

    def test_json_nested_100000_deep_is_refused(self, write_case: Any) -> None:
        line = only_problem(write_case("[" * 100_000, "c.json"))
        assert line.endswith(f"(file) = (nested too deeply): allowed at most {MAX_DEPTH} levels "
                             "of nesting")

    @pytest.mark.parametrize("text", [
        "[" * 100_000,
        "[" * 999 + "]" * 999,
        "notes: " + "{a: " * 999 + "1" + "}" * 999,
        "notes:\n" + "".join(" " * depth + "a:\n" for depth in range(1, 600)),
    ], ids=["unclosed-flow", "flow-lists", "flow-mappings", "block-mappings"])
    def test_deeply_nested_yaml_is_refused(self, write_case: Any, text: str) -> None:
        line = only_problem(write_case(text))
        assert "(file) = (" in line
        assert "nest" in line

    def test_json_nested_just_past_the_limit_is_refused(self, write_case: Any) -> None:
        depth = MAX_DEPTH + 1
        line = only_problem(write_case('{"format": "tripod-case/1", "notes": ' + "[" * (depth - 1)
                                       + "]" * (depth - 1) + "}", "c.json"))
        assert line.endswith(f"(file) = (nested too deeply): allowed at most {MAX_DEPTH} levels "
                             "of nesting")

    def test_yaml_aliases_that_multiply_into_a_billion_values_are_refused_at_once(
            self, write_case: Any) -> None:
        lines = ["format: tripod-case/1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
        line = only_problem(write_case("\n".join(lines) + "\n"))
        assert line.endswith(f"(file) = (more than {MAX_VALUES} values): allowed a case file of at "
                             f"most {MAX_VALUES} values")


def test_a_written_file_and_the_folder_made_for_it_are_their_owner_s_alone(tmp_path: Path) -> None:
    from engine.casefile import write_atomic

    target = tmp_path / "reports" / "TR-0007" / "2026-11-20" / "practitioner.pdf"
    write_atomic(target, "{}\n")
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert target.stat().st_mode & 0o777 == 0o600
    for folder in (tmp_path / "reports", tmp_path / "reports" / "TR-0007", target.parent):
        assert folder.stat().st_mode & 0o777 == 0o700, folder  # each folder made, not only the last
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left
