"""Reading case files: each way a file can be unreadable gets one line naming file, value and rule."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.errors import CaseFileError
from storage.casefile import MAX_BYTES, MAX_DEPTH, MAX_VALUES, dump_case, load_case
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


def test_a_key_given_twice_is_the_problem_even_after_a_value_that_cannot_be_read(
        write_case: Any) -> None:
    """Every key of a mapping is checked before its values are built."""
    line = only_problem(write_case(f"format: tripod-case/1\nnotes: {'9' * 5000}\nnotes: x\n"))
    assert line.endswith("notes = (given twice, line 3): each key at most once")


def test_a_yaml_merge_key_is_refused_as_a_tag_tripod_does_not_read(write_case: Any) -> None:
    """A case file has no use for ``<<``: it is refused by its line, never merged."""
    line = only_problem(write_case("format: tripod-case/1\nbase: &b {id: A}\nclient:\n  <<: *b\n"
                                   "  sex: male\n"))
    assert line.endswith("(file) = (not YAML at line 4, column 3): allowed valid YAML; a tag "
                         "Tripod does not read (case files use no tags)")


def test_duplicate_key_in_json(write_case: Any) -> None:
    line = only_problem(write_case('{"format": "tripod-case/1", "format": "x"}', "c.json"))
    assert line.endswith("format = (given twice): each key at most once")


def test_document_that_is_not_a_mapping(write_case: Any) -> None:
    line = only_problem(write_case("- 1\n- 2\n"))
    assert line.endswith("(document) = (a list): allowed a mapping that starts with format: "
                         "tripod-case/1")


def test_written_case_reads_back_the_same(classic_doc: Any, write_case: Any, tmp_path: Path) -> None:
    """A version-1 case is written as version 2 (contract.md): the same case, the newer format."""
    case = load_case(write_case(classic_doc))
    text = dump_case(case)
    assert "'yes'" in text  # quoted, so a YAML 1.1 reader keeps it a string
    assert text.startswith("format: tripod-case/2\n")
    again = load_case(write_case(text, "again.yaml"))
    assert again == case.model_copy(update={"format": "tripod-case/2"})


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
    from storage.safe_output import write_atomic

    target = tmp_path / "reports" / "TR-0007" / "2026-11-20" / "practitioner.pdf"
    write_atomic(target, "{}\n")
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert target.stat().st_mode & 0o777 == 0o600
    for folder in (tmp_path / "reports", tmp_path / "reports" / "TR-0007", target.parent):
        assert folder.stat().st_mode & 0o777 == 0o700, folder  # each folder made, not only the last
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left


CLASSIC_TEXT = (EXAMPLES / "classic_compensatory_pronation.yaml").read_text(encoding="utf-8")


class TestIntegersTooLongForAFloat:
    """An integer of 309 to 4,300 digits is beyond every range, and says so in one line (it once
    raised OverflowError from the range check)."""

    @pytest.mark.parametrize("digits", [309, 400, 4300])
    def test_an_integer_field_names_the_field_and_its_range(self, write_case: Any,
                                                            digits: int) -> None:
        path = write_case(CLASSIC_TEXT.replace("  age: 31\n", f"  age: {'9' * digits}\n"))
        line = only_problem(path)
        assert line.startswith(f"{path}: client.age = 999")
        assert line.endswith(": allowed 5 to 100 years")

    def test_a_number_field_names_the_field(self, write_case: Any) -> None:
        path = write_case(CLASSIC_TEXT.replace("ir_deg: 22,", f"ir_deg: {'9' * 400},"))
        line = only_problem(path)
        assert line.startswith(f"{path}: hips.left.ir_deg = 999")
        assert line.endswith(": allowed -20 to 100 deg")



class TestFilesThatAreNotFiles:
    """Only regular files are read, never more than the limit plus one byte: a FIFO once blocked
    validate and batch for ever, and /dev/zero was read until memory ran out."""

    @pytest.fixture(autouse=True)
    def _never_hang(self) -> Iterator[None]:
        """A regression here would block or read for ever: fail instead, after a few seconds."""
        def stop(signum: int, frame: Any) -> None:
            raise TimeoutError("load_case did not return")

        previous = signal.signal(signal.SIGALRM, stop)
        signal.alarm(10)
        yield
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

    def test_a_fifo_is_refused_at_once(self, tmp_path: Path) -> None:
        fifo = tmp_path / "x.yaml"
        os.mkfifo(fifo)
        assert only_problem(fifo) == (f"{fifo}: (file) = '{fifo}': is a FIFO (named pipe); "
                                      "allowed a regular file")

    def test_a_symlink_to_dev_zero_is_refused_without_reading_it(self, tmp_path: Path) -> None:
        link = tmp_path / "zero.yaml"
        link.symlink_to("/dev/zero")
        assert only_problem(link) == (f"{link}: (file) = '{link}': is a character device; "
                                      "allowed a regular file")

    def test_a_unix_socket_is_refused(self, tmp_path: Path) -> None:
        import socket

        path = tmp_path / "s.json"
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(path))
            assert only_problem(path).endswith("is a socket; allowed a regular file")

    def test_a_file_that_grows_past_the_limit_while_read_is_refused(
            self, write_case: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """The size is checked on what is read, not only on what stat said."""
        import storage.casefile

        path = write_case("#" * (MAX_BYTES + 10))
        real_fstat = os.fstat

        def shrunk(fd: int) -> Any:
            result = real_fstat(fd)
            return os.stat_result((*result[:6], 10, *result[7:]))

        monkeypatch.setattr(storage.casefile.os, "fstat", shrunk)
        assert only_problem(path).endswith(
            f"(file) = more than {MAX_BYTES} bytes: allowed at most {MAX_BYTES} bytes (1 MiB)")


NOT_DECIMAL = ("allowed a number in plain decimal digits, as 30 or 22.5 (no leading 0, no 0x, 0o "
               "or 0b, no _ or :)")


class TestNumbersAreDecimalAsAPersonWritesThem:
    """YAML 1.1 reads 030 as 24, 0x1E as 30, 1_5 as 15 and 1:10 as 70: such a number is refused,
    not silently re-valued."""

    @pytest.mark.parametrize("text", ["030", "010", "0x1E", "0b11110", "1_5", "2_2.5", "1:10",
                                      "0o36", "-030", "+0x1E", "030.5", "!!int 030",
                                      "!!float 1_5"])
    def test_a_number_in_another_form_is_refused_naming_field_and_value(self, write_case: Any,
                                                                      text: str) -> None:
        path = write_case(CLASSIC_TEXT.replace("ir_deg: 22,", f"ir_deg: {text},"))
        shown = text.removeprefix("!!int ").removeprefix("!!float ")
        assert only_problem(path) == f"{path}: hips.left.ir_deg = {shown}: {NOT_DECIMAL}"

    @pytest.mark.parametrize(("text", "value"), [("30", 30), ("+30", 30), ("-5", -5), ("0", 0),
                                                 ("22.5", 22.5), ("2.25e1", 22.5), ("1e1", 10.0),
                                                 (".5", 0.5), ("0.5", 0.5)])
    def test_a_plain_decimal_number_reads_as_written(self, write_case: Any, text: str,
                                                     value: float) -> None:
        case = load_case(write_case(CLASSIC_TEXT.replace("ir_deg: 22,", f"ir_deg: {text},")))
        assert case.hips is not None and case.hips.left is not None
        assert case.hips.left.ir_deg == value

    @pytest.mark.parametrize(("text", "allowed"), [
        ("1e3", "allowed a whole number"), ("31.0", "allowed a whole number"),
        ("true", "allowed a whole number"), ("'31'", "allowed a whole number"),
        ("０３１", "allowed a whole number"), ("037", NOT_DECIMAL)])
    def test_an_integer_field_refuses_what_is_not_a_whole_decimal_number(
            self, write_case: Any, text: str, allowed: str) -> None:
        path = write_case(CLASSIC_TEXT.replace("  age: 31\n", f"  age: {text}\n"))
        line = only_problem(path)
        assert line.startswith(f"{path}: client.age = ")
        assert line.endswith(f": {allowed}")

    def test_an_id_or_a_note_that_yaml_reads_as_octal_is_not_re_valued(self, write_case: Any
                                                                       ) -> None:
        path = write_case(CLASSIC_TEXT.replace("notes: Feels", "notes: 010\nxnotes: Feels"))
        problems = {p.field: str(p) for p in self._problems(path)}
        assert problems["notes"] == f"{path}: notes = 010: allowed text"

    def test_a_key_in_another_number_form_is_named_as_written(self, write_case: Any) -> None:
        path = write_case(CLASSIC_TEXT.replace("notes: Feels", "030: 1\nnotes: Feels"))
        (problem,) = self._problems(path)
        assert (problem.field, problem.value) == ("030", "1")
        assert problem.allowed.startswith("unknown field; allowed: format, client, ")

    @staticmethod
    def _problems(path: Path) -> list[Any]:
        with pytest.raises(CaseFileError) as info:
            load_case(path)
        return info.value.problems


class TestTextFields:
    """Names are one line of text and notes may span lines; neither may hold NUL or another
    control character, and any text a case may hold is written and read back unchanged."""

    @pytest.mark.parametrize(("field", "text"), [
        ("name", "Sam\x00Carter"), ("name", "Sam\tCarter"), ("name", "Sam\nCarter"),
        ("name", "Sam\x85Carter"), ("name", "Sam\u2028Carter"), ("name", "Sam\x1b[2JCarter"),
        ("practitioner", "R.\x7fOsteo"), ("notes", "knee\x00drifts"), ("notes", "esc\x1b[31m"),
        ("notes", "bell\x07"), ("notes", "lone \ud800 surrogate")])
    def test_a_control_character_is_refused_in_one_line(self, classic_doc: dict[str, Any],
                                                         write_case: Any, field: str,
                                                         text: str) -> None:
        holder = classic_doc["client"] if field == "name" else classic_doc
        holder[field] = text
        path = write_case(json.dumps(classic_doc, default=str), "c.json")
        line = only_problem(path)
        where = "client.name" if field == "name" else field
        assert line.startswith(f"{path}: {where} = {text!r}: allowed ")
        assert "control character" in line or "surrogate" in line
        assert "\n" not in line

    @pytest.mark.parametrize("text", ["08", "030", "1:10", "1_5", "0x1E", "1e3", "30", ".inf",
                                      "2026-11-20", "yes", "~", "1.", "+5"])
    def test_a_name_that_looks_like_a_number_is_written_quoted_and_reads_back(
            self, classic_doc: dict[str, Any], write_case: Any, text: str) -> None:
        """YAML 1.1 takes 08 for text, Tripod's reader for a number form: the writer quotes it."""
        classic_doc["client"]["name"] = classic_doc["practitioner"] = text
        case = load_case(write_case(json.dumps(classic_doc, default=str), "c.json"))
        assert load_case(write_case(dump_case(case), "again.yaml")) == case

    @pytest.mark.parametrize("fmt", ["yaml", "json"])
    @pytest.mark.parametrize("notes", [
        "line one\nline two", "tab\tseparated", "windows\r\nline", "next line\x85here",
        "line\u2028separator", "para\u2029graph", "ends with NEL\x85", "\x85starts", " spaced ",
        "Ünïcödé — 日本語 ‍👩‍⚕️", "trailing\n\n", "a\rb"])
    def test_notes_with_line_breaks_and_tabs_are_written_and_read_back_unchanged(
            self, classic_doc: dict[str, Any], write_case: Any, fmt: str, notes: str) -> None:
        """U+0085 (NEL) is a line break to YAML: written unquoted it came back as a space."""
        classic_doc["notes"] = notes
        case = load_case(write_case(json.dumps(classic_doc, default=str), "c.json"))
        assert case.notes == notes
        again = load_case(write_case(dump_case(case, fmt), f"again.{fmt}"))
        assert again == case
