"""The tripod command: in-process through typer's runner, and once as a real installed process."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tests.conftest import EXAMPLES, example_paths
from tripod.cli.app import app
from tripod.cli.common import reported

runner = CliRunner()


def test_validate_accepts_every_example() -> None:
    result = runner.invoke(app, ["validate", *map(str, example_paths())])
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": ok (") == len(example_paths())


def test_validate_reports_every_problem_of_every_file_and_exits_2(classic_doc: Any,
                                                                   write_case: Any) -> None:
    classic_doc["hips"]["left"]["ir_deg"] = 140
    classic_doc["pelvis"]["sacrum"] = "sideways"
    bad = write_case(classic_doc, "bad.yaml")
    empty = write_case("", "empty.yaml")
    result = runner.invoke(app, ["validate", str(bad), str(empty), str(EXAMPLES / "partly_assessed.yaml")])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert f"{bad}: hips.left.ir_deg = 140: allowed -20 to 100 deg" in lines
    assert f"{bad}: pelvis.sacrum = 'sideways': allowed one of nutated, neutral, counternutated, unsure" in lines
    assert f"{empty}: (file) = (empty): allowed a tripod-case/1 document" in lines
    assert lines[-1] == "2 of 3 case files invalid"
    assert "Traceback" not in result.output


def test_installed_tripod_runs_as_a_real_process(tmp_path: Path) -> None:
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "tripod-case/1"}')
    done = subprocess.run([exe, "validate", str(bad)], check=False, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert f"{bad}: client = (missing): required" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_file_error_no_command_foresaw_is_one_line_with_the_name_and_the_reason(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The last resort behind every command: the file's name and the system's reason, exit 1."""
    with pytest.raises(typer.Exit) as stop, reported():
        Path("/proc/tripod-nowhere/x.yaml").write_text("never written")
    assert stop.value.exit_code == 1
    assert capsys.readouterr().err == ("tripod: '/proc/tripod-nowhere/x.yaml': cannot be read or "
                                       "written (No such file or directory)\n")


def test_output_read_by_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    """tripod assess CASE | head: the reader is gone before tripod writes; no traceback."""
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    reader, writer = os.pipe()
    os.close(reader)
    with open(tmp_path / "stderr", "w+") as stderr:
        done = subprocess.run([exe, "assess", str(EXAMPLES / "classic_compensatory_pronation.yaml")],
                              stdout=writer, stderr=stderr, check=False, timeout=60)
        os.close(writer)
        stderr.seek(0)
        assert (done.returncode, stderr.read()) == (1, "")


class TestAFaultNoCheckForesaw:
    """Bad input must not rely on the exceptions foreseen: any other fault on an input path is one
    line naming the input and the fault's type (its text could quote the case), exit status 3.
    None is known, so one is injected."""

    CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"

    @staticmethod
    def _broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("Sam Carter, 31, rf_cancer_history: yes")

    def test_validate_names_the_file_and_exits_3(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import storage.casefile

        monkeypatch.setattr(storage.casefile, "_parse_yaml", self._broken)
        result = runner.invoke(app, ["validate", str(self.CLASSIC)])
        assert result.exit_code == 3, result.output
        assert result.stderr.splitlines()[0] == (
            f"{self.CLASSIC}: (file) = ZeroDivisionError: Tripod failed reading this file; "
            "allowed a file it can read (please report it)")
        assert "Sam Carter" not in result.output
        assert "Traceback" not in result.output

    def test_assess_names_the_case_and_exits_3(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import engine.inference

        monkeypatch.setattr(engine.inference, "assess", self._broken)
        result = runner.invoke(app, ["assess", str(self.CLASSIC)])
        assert result.exit_code == 3, result.output
        assert result.stderr == (f"{self.CLASSIC}: (assessment) = ZeroDivisionError: the engine "
                                 "failed on this case; allowed a case it can assess (please "
                                 "report it)\n")
