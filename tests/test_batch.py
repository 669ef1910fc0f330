"""tripod batch: many case files assessed in parallel into one folder, failures listed, resumable."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from engine.inference import assess
from storage.casefile import load_case
from tests.conftest import EXAMPLES, example_paths
from tripod.batch.discovery import find_case_files, output_name
from tripod.batch.run import run_batch
from tripod.cli.app import app
from tripod.progress import PlainProgress

runner = CliRunner()
PLAIN_LINE = re.compile(r"batch: \d+/\d+ cases \(\d+%\), \d+\.\d cases/s, \d+ failed, ETA \d+(s|m\d\ds)")


def batch(*args: str) -> Any:
    return runner.invoke(app, ["batch", *args])


def expected_json(case_file: Path) -> Any:
    return json.loads(assess(load_case(case_file)).to_json())


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """An assessment with its trace in a fixed order.

    experta fires rules of equal salience on the same facts in an order that follows string hashing,
    which differs between processes (PYTHONHASHSEED), so trace steps may swap places between workers.
    """
    steps = sorted(document["trace"], key=lambda step: json.dumps(step, sort_keys=True))
    return document | {"trace": steps}


def client_copies(folder: Path, count: int, classic_doc: dict[str, Any]) -> list[Path]:
    """``count`` JSON copies of the classic example, each with its own client id."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        doc = classic_doc | {"client": classic_doc["client"] | {"id": f"CP-{index:04d}"}}
        path = folder / f"copy_{index:04d}.json"
        path.write_text(json.dumps(doc, default=str), encoding="utf-8")
        paths.append(path)
    return paths


def output_of(case_file: Path) -> str:
    case = load_case(case_file)
    return f"{case.client.id}_{case.assessed_on.isoformat()}.json"


@pytest.fixture
def inbox(tmp_path: Path, classic_doc: dict[str, Any]) -> Path:
    """A folder of the examples (one in a subfolder), three broken files, and files to skip."""
    folder = tmp_path / "inbox"
    (folder / "more").mkdir(parents=True)
    for path in example_paths():
        target = folder / ("more" if path.name.startswith("red") else "") / path.name
        shutil.copy(path, target)
    bad = dict(classic_doc, client=classic_doc["client"] | {"id": "TR-0900"})
    bad["hips"] = {"method": "seated", "left": {"ir_deg": 140}}
    (folder / "bad_hip.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    (folder / "empty.yaml").write_text("")
    (folder / "more" / "not_json.json").write_text("{not json")
    (folder / "README.md").write_text("not a case file")
    (folder / ".draft.yaml").write_text("format: tripod-case/1\n")
    (folder / ".git").mkdir()
    shutil.copy(EXAMPLES / "partly_assessed.yaml", folder / ".git" / "old.yaml")
    return folder


BROKEN = ("bad_hip.yaml", "empty.yaml", "not_json.json")
# Every case file under examples/, its subfolders too (the follow-up examples): what a batch over it
# reads.
ALL = len(list(EXAMPLES.rglob("*.yaml")))


class TestOutputs:
    def test_every_case_file_under_the_folder_is_found_sorted_with_hidden_and_other_files_skipped(
            self, inbox: Path) -> None:
        found = [Path(p).relative_to(inbox).as_posix() for p in find_case_files([inbox])]
        assert found == ["bad_hip.yaml", "classic_compensatory_pronation.yaml", "empty.yaml",
                         "first_visit_with_outcomes.yaml", "partly_assessed.yaml", "pelvis_driven_ir_loss.yaml",
                         "true_pronation_normal_hip.yaml", "undertrained_no_deficit.yaml",
                         "more/not_json.json", "more/red_flag_referral.yaml"]

    def test_batch_writes_one_assessment_per_case_a_summary_and_the_errors_and_exits_1(
            self, inbox: Path, tmp_path: Path) -> None:
        out = tmp_path / "out"
        result = batch(str(inbox), "--out", str(out), "--jobs", "1")
        assert result.exit_code == 1, result.output
        assert "10 of 10 case files: 7 assessed, 0 already done, 3 failed" in result.stdout
        sources = [Path(p) for p in find_case_files([inbox]) if Path(p).name not in BROKEN]
        expected = {output_of(p): p for p in sources}
        assert set(expected) | {"summary.csv", "summary.json", "errors.txt"} == {
            p.name for p in out.iterdir()}
        for name, source in expected.items():
            assert json.loads((out / name).read_text()) == expected_json(source)
        for path in out.iterdir():
            assert path.stat().st_mode & 0o777 == 0o600, path

    def test_errors_file_holds_exactly_what_tripod_validate_says(self, inbox: Path,
                                                                 tmp_path: Path) -> None:
        out = tmp_path / "out"
        batch(str(inbox), "--out", str(out), "--jobs", "1")
        broken = [p for p in find_case_files([inbox]) if Path(p).name in BROKEN]
        validate = runner.invoke(app, ["validate", *map(str, broken)])
        expected = validate.stderr.splitlines()[:-1]  # the last line counts the invalid files
        assert (out / "errors.txt").read_text().splitlines() == expected
        assert f"{inbox / 'bad_hip.yaml'}: hips.left.ir_deg = 140: allowed -20 to 100 deg" in expected

    def test_summary_csv_and_json_have_one_row_per_file_in_input_order(self, inbox: Path,
                                                                        tmp_path: Path) -> None:
        out = tmp_path / "out"
        batch(str(inbox), "--out", str(out), "--jobs", "1")
        rows = json.loads((out / "summary.json").read_text())
        with (out / "summary.csv").open(newline="") as handle:
            table = list(csv.DictReader(handle))
        assert [r["source"] for r in rows] == find_case_files([inbox])
        assert [r["source"] for r in table] == [r["source"] for r in rows]
        classic = next(r for r in rows if r["source"].endswith("classic_compensatory_pronation.yaml"))
        document = expected_json(EXAMPLES / "classic_compensatory_pronation.yaml")
        assert classic == {
            "client_id": "TR-0007", "assessed_on": "2026-11-20",
            "source": str(inbox / "classic_compensatory_pronation.yaml"),
            "output": "TR-0007_2026-11-20.json", "status": "complete", "urgency": None,
            "root_cause": "ascending_foot_chain", "confidence": document["root_cause"]["confidence"],
            "findings": [f"{f['id']}:{f['side']}" if f["side"] else f["id"]
                         for f in document["findings"]],
        }
        classic_csv = next(r for r in table if r["client_id"] == "TR-0007")
        assert classic_csv["findings"].split(" ") == classic["findings"]
        referral = next(r for r in rows if r["client_id"] == "TR-0044")
        assert (referral["status"], referral["urgency"], referral["root_cause"]) == (
            "referral", "emergency", None)
        failed = [r["source"] for r in rows if r["status"] == "failed"]
        assert sorted(Path(s).name for s in failed) == sorted(BROKEN)

    def test_format_csv_writes_only_the_csv_summary(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        result = batch(str(EXAMPLES / "partly_assessed.yaml"), "--out", str(out), "--format", "csv",
                       "--jobs", "1")
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.iterdir()) == [
            "TR-0060_2026-11-22.json", "errors.txt", "summary.csv"]
        assert (out / "errors.txt").read_text() == ""

    def test_csv_cell_that_a_spreadsheet_would_run_as_a_formula_is_quoted(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        folder = tmp_path / "=HYPERLINK(1)"
        folder.mkdir()
        shutil.copy(EXAMPLES / "partly_assessed.yaml", folder / "case.yaml")
        out = tmp_path / "out"
        monkeypatch.chdir(tmp_path)
        result = batch("=HYPERLINK(1)", "--out", str(out), "--format", "csv", "--jobs", "1")
        assert result.exit_code == 0, result.output
        with (out / "summary.csv").open(newline="") as handle:
            (row,) = list(csv.DictReader(handle))
        assert row["source"].startswith("'=")

    def test_the_output_column_still_names_the_file_when_guarded(self, tmp_path: Path) -> None:
        """A client id may start with - (a formula to a spreadsheet): the id's cell is quoted, but
        the output file's cell stays a path to the file, ./-..., not '-... that names nothing."""
        case = yaml.safe_load((EXAMPLES / "partly_assessed.yaml").read_text())
        case["client"]["id"] = "-12"
        folder = tmp_path / "in"
        folder.mkdir()
        (folder / "case.yaml").write_text(yaml.safe_dump(case))
        out = tmp_path / "out"
        result = batch(str(folder), "--out", str(out), "--format", "csv", "--jobs", "1")
        assert result.exit_code == 0, result.output
        with (out / "summary.csv").open(newline="") as handle:
            (row,) = list(csv.DictReader(handle))
        assert row["client_id"] == "'-12"
        assert row["output"] == "./-12_2026-11-22.json"
        assert (out / row["output"]).is_file()

    def test_worker_processes_write_the_same_files_as_one_process(self, tmp_path: Path) -> None:
        one, two = tmp_path / "one", tmp_path / "two"
        assert batch(str(EXAMPLES), "--out", str(one), "--jobs", "1").exit_code == 0
        result = batch(str(EXAMPLES), "--out", str(two), "--jobs", "2")
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in two.iterdir())
        for path in one.glob("TR-*.json"):
            assert comparable(json.loads((two / path.name).read_text())) == comparable(
                json.loads(path.read_text())), path.name
        for name in ("summary.csv", "summary.json", "errors.txt"):
            assert (two / name).read_text() == (one / name).read_text().replace(str(one), str(two))

    def test_output_folder_inside_the_input_folder_is_not_read_as_cases(self, tmp_path: Path) -> None:
        inbox = tmp_path / "inbox"
        shutil.copytree(EXAMPLES, inbox)
        first = batch(str(inbox), "--out", str(inbox / "results"), "--jobs", "1")
        again = batch(str(inbox), "--out", str(inbox / "results"), "--jobs", "1", "--resume")
        assert first.exit_code == again.exit_code == 0, again.output
        assert f"{ALL} of {ALL} case files: 0 assessed, {ALL} already done, 0 failed" in again.stdout


class TestOneFileFails:
    """Whatever goes wrong with one file is a line in errors.txt; the batch goes on."""

    @pytest.mark.parametrize("jobs", ["1", "2"])
    def test_an_unexpected_error_on_one_file_is_listed_without_its_text(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
        """A catch-all for faults not yet known: none is known, so one is injected (the workers
        are forked so that they carry it). The error's own text could quote the case."""
        import multiprocessing

        import tripod.batch.pool
        import tripod.batch.worker

        classic = EXAMPLES / "classic_compensatory_pronation.yaml"

        def load(source: str) -> Any:
            if source == str(classic):
                raise RuntimeError("Sam Carter, 31, rf_cancer_history: yes")
            return load_case(source)

        monkeypatch.setattr(tripod.batch.worker, "load_case", load)
        monkeypatch.setattr(tripod.batch.pool, "_context", lambda: multiprocessing.get_context("fork"))
        out = tmp_path / "out"
        result = batch(str(EXAMPLES), "--out", str(out), "--jobs", jobs)
        assert result.exit_code == 3, result.output  # a fault in Tripod, not only a bad file
        assert f"{ALL} of {ALL} case files: {ALL - 1} assessed, 0 already done, 1 failed" in result.stdout
        assert (out / "errors.txt").read_text() == (
            f"{classic}: (file) = RuntimeError: Tripod failed reading this file; allowed a file "
            "it can read (please report it)\n")
        assert "Sam Carter" not in result.output

    @pytest.mark.parametrize("jobs", ["1", "2"])
    def test_resume_over_an_output_that_is_not_an_assessment_fails_that_case_alone(
            self, tmp_path: Path, jobs: str) -> None:
        out = tmp_path / "out"
        assert batch(str(EXAMPLES), "--out", str(out), "--jobs", "1").exit_code == 0
        foreign = out / "TR-0007_2026-11-20.json"
        foreign.write_text("[]")
        result = batch(str(EXAMPLES), "--out", str(out), "--jobs", jobs, "--resume")
        assert result.exit_code == 1, result.output
        assert f"{ALL} of {ALL} case files: 0 assessed, {ALL - 1} already done, 1 failed" in result.stdout
        assert (out / "errors.txt").read_text() == (
            f"{foreign}: (file) = (not a tripod-assessment/1 document): allowed a finished "
            "assessment; --force replaces it\n")

    def test_resume_over_an_output_that_is_a_fifo_fails_that_case_alone_at_once(
            self, tmp_path: Path) -> None:
        """--resume reads the assessment it keeps: a FIFO in its place once blocked the batch."""
        out = tmp_path / "out"
        assert batch(str(EXAMPLES), "--out", str(out), "--jobs", "1").exit_code == 0
        fifo = out / "TR-0007_2026-11-20.json"
        fifo.unlink()
        os.mkfifo(fifo)
        def stop(signum: int, frame: Any) -> None:
            raise TimeoutError("the batch blocked on the FIFO")

        previous = signal.signal(signal.SIGALRM, stop)  # a regression would block for ever
        signal.alarm(30)
        try:
            result = batch(str(EXAMPLES), "--out", str(out), "--jobs", "1", "--resume")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        assert result.exit_code == 1, result.output
        assert f"{ALL} of {ALL} case files: 0 assessed, {ALL - 1} already done, 1 failed" in result.stdout
        assert (out / "errors.txt").read_text() == (
            f"{fifo}: (file) = '{fifo}': is a FIFO (named pipe); allowed a regular file\n")

    def test_a_file_named_with_bytes_that_are_not_utf8_is_assessed_and_listed_escaped(
            self, tmp_path: Path) -> None:
        folder = tmp_path / "in"
        folder.mkdir()
        name = os.fsdecode(b"caf\xe9.yaml")
        shutil.copy(EXAMPLES / "partly_assessed.yaml", folder / name)
        out = tmp_path / "out"
        result = batch(str(folder), "--out", str(out), "--jobs", "1")
        assert result.exit_code == 0, result.output
        with (out / "summary.csv").open(newline="", encoding="utf-8") as handle:
            (row,) = list(csv.DictReader(handle))
        assert row["source"] == str(folder / "caf\\udce9.yaml")
        assert (out / "TR-0060_2026-11-22.json").exists()

    def test_a_named_file_the_file_system_refuses_fails_alone(self, tmp_path: Path) -> None:
        long = tmp_path / ("a" * 300 + ".yaml")
        out = tmp_path / "out"
        result = batch(str(long), str(EXAMPLES / "partly_assessed.yaml"), "--out", str(out),
                       "--jobs", "1")
        assert result.exit_code == 1, result.output
        assert "2 of 2 case files: 1 assessed, 0 already done, 1 failed" in result.stdout
        assert (out / "errors.txt").read_text() == (
            f"{long}: (file) = '{long}': cannot be read (File name too long); allowed a readable "
            "file\n")

    @pytest.mark.parametrize("jobs", ["1", "2"])
    def test_a_fifo_and_a_link_to_dev_zero_fail_alone_in_one_line_each(self, tmp_path: Path,
                                                                       jobs: str) -> None:
        """A FIFO once blocked the batch for ever, and /dev/zero was read until memory ran out."""
        folder = tmp_path / "in"
        folder.mkdir()
        shutil.copy(EXAMPLES / "partly_assessed.yaml", folder / "b.yaml")
        os.mkfifo(folder / "a.yaml")
        (folder / "c.json").symlink_to("/dev/zero")
        out = tmp_path / "out"
        result = batch(str(folder), "--out", str(out), "--jobs", jobs)
        assert result.exit_code == 1, result.output
        assert "3 of 3 case files: 1 assessed, 0 already done, 2 failed" in result.stdout
        assert (out / "errors.txt").read_text() == (
            f"{folder / 'a.yaml'}: (file) = '{folder / 'a.yaml'}': is a FIFO (named pipe); "
            "allowed a regular file\n"
            f"{folder / 'c.json'}: (file) = '{folder / 'c.json'}': is a character device; "
            "allowed a regular file\n")


class TestUnwritableOutput:
    def test_an_out_that_is_a_link_to_nothing_is_refused_in_one_line(self, tmp_path: Path
                                                                      ) -> None:
        """It once said "File exists"."""
        out = tmp_path / "results"
        out.symlink_to(tmp_path / "gone")
        result = batch(str(EXAMPLES), "--out", str(out), "--jobs", "1")
        assert result.exit_code == 2, result.output
        assert result.stderr == (f"batch: --out = '{out}': is a symbolic link to "
                                 f"'{tmp_path / 'gone'}', which does not exist; allowed a folder "
                                 "(it is created if missing) or a link to one\n")
        assert not (tmp_path / "gone").exists()

    def test_an_out_below_a_link_to_nothing_names_the_link(self, tmp_path: Path) -> None:
        link = tmp_path / "link"
        link.symlink_to(tmp_path / "gone")
        result = batch(str(EXAMPLES), "--out", str(link / "results"), "--jobs", "1")
        assert result.exit_code == 1, result.output
        assert result.stderr == (f"batch: --out = '{link / 'results'}': cannot be written "
                                 f"('{link}' is a symbolic link to nothing)\n")

    def test_an_output_folder_that_cannot_be_created_names_it_and_the_reason(self) -> None:
        result = batch(str(EXAMPLES), "--out", "/proc/tripod-results", "--jobs", "1")
        assert result.exit_code == 1
        assert result.stderr == ("batch: --out = '/proc/tripod-results': cannot be written (No "
                                 "such file or directory)\n")

    def test_an_output_that_cannot_be_replaced_stops_the_batch_in_one_line_keeping_the_rest(
            self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        (out / "TR-0031_2026-11-10.json").mkdir(parents=True)  # where pelvis_driven_ir_loss goes
        result = batch(str(EXAMPLES), "--out", str(out), "--jobs", "1", "--force")
        assert result.exit_code == 1
        assert result.stderr.splitlines()[-1] == (
            f"batch: --out = '{out}': TR-0031_2026-11-10.json cannot be written (is a directory; "
            "allowed a regular file or a new name); the finished results are kept; rerun with "
            "--resume to finish")
        assert "Traceback" not in result.output
        rows = json.loads((out / "summary.json").read_text())
        assert [r["output"] for r in rows] == ["TR-0007_2026-11-20.json", "TR-0008_2026-11-20.json",
                                              "TR-0060_2026-11-22.json"]


class TestNames:
    @pytest.mark.parametrize("client_id", ["..", ".", "...", "../etc", "a/b", "a\\b", "", "x" * 65])
    def test_an_id_that_could_escape_or_hide_is_refused_as_a_name(self, client_id: str) -> None:
        with pytest.raises(ValueError, match="it names the output file"):
            output_name(client_id, "2026-11-20")

    def test_name_is_the_client_id_and_the_date(self) -> None:
        assert output_name("TR-0007", "2026-11-20") == "TR-0007_2026-11-20"

    def test_a_case_whose_id_is_only_dots_fails_and_nothing_is_written_outside_the_folder(
            self, tmp_path: Path, classic_doc: dict[str, Any], write_case: Any) -> None:
        classic_doc["client"]["id"] = ".."
        dots = write_case(classic_doc, "dots.yaml")
        out = tmp_path / "results" / "out"
        result = batch(str(dots), "--out", str(out), "--jobs", "1")
        assert result.exit_code == 1
        assert (out / "errors.txt").read_text().startswith(f"{dots}: client.id = '..': allowed ")
        assert sorted(p.name for p in out.iterdir()) == ["errors.txt", "summary.csv", "summary.json"]
        assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["out"]

    def test_second_case_with_the_same_client_and_date_fails_as_a_duplicate(
            self, tmp_path: Path, classic_doc: dict[str, Any]) -> None:
        folder = tmp_path / "in"
        folder.mkdir()
        (folder / "a.yaml").write_text(yaml.safe_dump(classic_doc))
        shouting = classic_doc | {"client": classic_doc["client"] | {"id": "tr-0007"}}
        (folder / "b.yaml").write_text(yaml.safe_dump(shouting))
        out = tmp_path / "out"
        result = batch(str(folder), "--out", str(out), "--jobs", "2")
        assert result.exit_code == 1
        assert [p.name for p in out.glob("*.json") if p.name != "summary.json"] == [
            "TR-0007_2026-11-20.json"]
        assert (out / "errors.txt").read_text() == (
            f"{folder / 'b.yaml'}: client.id = 'tr-0007': same client and date as "
            f"{folder / 'a.yaml'} (output tr-0007_2026-11-20.json); allowed one case per client "
            "and date in a batch\n")


class TestOverwriting:
    def test_rerun_without_force_refuses_names_the_file_and_changes_nothing(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        assert batch(str(EXAMPLES), "--out", str(out), "--jobs", "1").exit_code == 0
        before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
        result = batch(str(EXAMPLES), "--out", str(out), "--jobs", "1")
        assert result.exit_code == 2
        assert result.stderr.strip() == (
            f"{out / 'summary.csv'}: --out = '{out}': holds the results of an earlier batch; "
            "allowed --force to overwrite them or --resume to finish that batch")
        assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before

    def test_an_existing_assessment_is_not_overwritten_without_force(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        out.mkdir()
        (out / "TR-0007_2026-11-20.json").write_text("kept")
        result = batch(str(EXAMPLES / "classic_compensatory_pronation.yaml"), "--out", str(out),
                       "--jobs", "1")
        assert result.exit_code == 2
        assert f"{out / 'TR-0007_2026-11-20.json'}: --out = '{out}': exists; allowed --force" in (
            result.stderr)
        assert (out / "TR-0007_2026-11-20.json").read_text() == "kept"
        forced = batch(str(EXAMPLES / "classic_compensatory_pronation.yaml"), "--out", str(out),
                       "--jobs", "1", "--force")
        assert forced.exit_code == 0, forced.output
        assert json.loads((out / "TR-0007_2026-11-20.json").read_text()) == expected_json(
            EXAMPLES / "classic_compensatory_pronation.yaml")

    def test_force_and_resume_together_are_refused(self, tmp_path: Path) -> None:
        result = batch(str(EXAMPLES), "--out", str(tmp_path), "--force", "--resume")
        assert result.exit_code == 2
        assert result.stderr.startswith("batch: --force/--resume = both given: allowed one of them")

    @pytest.mark.parametrize(("option", "value", "message"), [
        ("--jobs", "0", "batch: --jobs = 0: allowed 1 to 256"),
        ("--reports", "html,docx",
         "batch: --reports = 'html,docx': allowed a comma-separated list of html, pdf"),
    ])
    def test_bad_option_names_option_value_and_what_is_allowed(self, tmp_path: Path, option: str,
                                                               value: str, message: str) -> None:
        result = batch(str(EXAMPLES), "--out", str(tmp_path / "out"), option, value)
        assert result.exit_code == 2
        assert result.stderr.strip() == message
        assert not (tmp_path / "out").exists()


class TestResume:
    def test_resume_finishes_an_interrupted_batch_without_redoing_finished_cases(
            self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        assert batch(str(EXAMPLES), "--out", str(out), "--jobs", "1").exit_code == 0
        # An interrupted run: two cases never written, the summary never closed.
        undone = [out / "TR-0007_2026-11-20.json", out / "TR-0044_2026-11-21.json"]
        for path in [*undone, out / "summary.csv"]:
            path.unlink()
        done = {p: p.stat().st_mtime_ns for p in out.glob("TR-*.json")}
        result = batch(str(EXAMPLES), "--out", str(out), "--jobs", "2", "--resume")
        assert result.exit_code == 0, result.output
        assert f"{ALL} of {ALL} case files: 2 assessed, {ALL - 2} already done, 0 failed" in result.stdout
        assert {p: p.stat().st_mtime_ns for p in done} == done
        assert all(p.exists() for p in undone)
        rows = json.loads((out / "summary.json").read_text())
        assert [r["output"] for r in rows] == [output_of(Path(p)) for p in find_case_files([EXAMPLES])]
        assert len((out / "summary.csv").read_text().splitlines()) == 1 + ALL

    @pytest.mark.slow
    def test_ctrl_c_stops_cleanly_and_resume_does_the_rest(self, tmp_path: Path,
                                                           classic_doc: dict[str, Any]) -> None:
        """A real process group gets SIGINT as a terminal sends it, workers included."""
        cases = client_copies(tmp_path / "in", 300, classic_doc)
        out = tmp_path / "out"
        tripod = Path(sys.executable).with_name("tripod")
        command = [str(tripod if tripod.exists() else shutil.which("tripod")), "batch", str(tmp_path / "in"), "--out", str(out),
                   "--jobs", "2"]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)
        deadline = time.monotonic() + 60
        while len(list(out.glob("CP-*.json"))) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(child.pid, signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
        assert child.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert "tripod: interrupted;" in stderr and "rerun with --resume" in stderr
        finished = {p: p.stat().st_mtime_ns for p in out.glob("CP-*.json")}
        assert 10 <= len(finished) < len(cases)
        for path in finished:
            assert json.loads(path.read_text())["case"]["client_id"] == path.name.split("_")[0]
        rows = json.loads((out / "summary.json").read_text())
        assert sorted(r["output"] for r in rows) == sorted(p.name for p in finished)
        assert not list(out.glob(".*.tmp"))

        again = subprocess.run([*command, "--resume"], capture_output=True, text=True,
                               timeout=120, check=False)
        assert again.returncode == 0, again.stderr
        assert (f"300 of 300 case files: {300 - len(finished)} assessed, {len(finished)} already done"
                in again.stdout)
        assert {p: p.stat().st_mtime_ns for p in finished} == finished
        assert len(list(out.glob("CP-*.json"))) == 300


class TestProgress:
    def test_without_a_terminal_progress_is_plain_lines_with_counts_and_no_escape_codes(
            self, inbox: Path, tmp_path: Path) -> None:
        result = batch(str(inbox), "--out", str(tmp_path / "out"), "--jobs", "1")
        lines = [line for line in result.stderr.splitlines() if line.startswith("batch: ")]
        assert [line.split(" ")[1] for line in lines] == [f"{n}/10" for n in range(1, 11)]
        assert all(PLAIN_LINE.fullmatch(line) for line in lines), lines
        assert lines[-1].startswith("batch: 10/10 cases (100%), ") and ", 3 failed, ETA 0s" in lines[-1]
        assert "\x1b" not in result.stderr

    @pytest.mark.slow
    def test_at_a_terminal_progress_is_a_bar_with_count_rate_and_time_left(self, tmp_path: Path
                                                                           ) -> None:
        import pexpect

        tripod = Path(sys.executable).with_name("tripod")
        child = pexpect.spawn(str(tripod), ["batch", str(EXAMPLES), "--out", str(tmp_path / "out"),
                                            "--jobs", "1"], dimensions=(24, 120), encoding="utf-8",
                              timeout=60)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
        screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before)
        assert "\x1b[" in child.before  # drawn with terminal codes, unlike the plain lines
        assert re.search(rf"batch .* {ALL}/{ALL} \d+\.\d cases/s 0 failed \d:\d\d:\d\d ETA", screen), screen
        assert f"{ALL} of {ALL} case files: {ALL} assessed" in screen

    def test_plain_progress_prints_one_line_per_tenth_of_a_large_batch(self, tmp_path: Path,
                                                                       classic_doc: dict[str, Any]
                                                                       ) -> None:
        client_copies(tmp_path / "in", 25, classic_doc)
        log = tmp_path / "progress.log"
        with log.open("w") as stream:
            result = run_batch([tmp_path / "in"], tmp_path / "out", progress=PlainProgress(stream))
        assert result.exit_code == 0
        counts = [line.split(" ")[1] for line in log.read_text().splitlines()]
        assert counts == [f"{n}/25" for n in (3, 6, 9, 12, 15, 18, 21, 24, 25)]


class TestStore:
    def test_store_keeps_each_new_assessment_once_even_when_resumed(self, tmp_path: Path) -> None:
        from storage.store import open_store

        out, db = tmp_path / "out", tmp_path / "records.db"
        result = batch(str(EXAMPLES), "--out", str(out), "--jobs", "2", "--store", "--db", str(db))
        assert result.exit_code == 0, result.output
        assert f"; {ALL} new in the record store database {db}" in result.stdout
        (out / "TR-0007_2026-11-20.json").unlink()
        again = batch(str(EXAMPLES), "--out", str(out), "--jobs", "1", "--resume", "--store",
                      "--db", str(db))
        assert again.exit_code == 0, again.output
        assert f"1 assessed, {ALL - 1} already done, 0 failed" in again.stdout
        assert f"; 0 new in the record store database {db}" in again.stdout
        with open_store(db) as records:
            assert [c.id for c in records.clients()] == sorted(
                {load_case(p).client.id for p in EXAMPLES.rglob("*.yaml")})
            (stored,) = records.history("TR-0007")
        written = json.loads((out / "TR-0007_2026-11-20.json").read_text())
        assert comparable(json.loads(stored.assessment_json)) == comparable(written)


@pytest.mark.slow
class TestReports:
    def test_reports_asked_for_are_written_beside_each_assessment(self, tmp_path: Path) -> None:
        from pypdf import PdfReader

        from engine.whatif import analyse
        from reports.render import render_report

        out = tmp_path / "out"
        classic = EXAMPLES / "classic_compensatory_pronation.yaml"
        result = batch(str(classic), str(EXAMPLES / "red_flag_referral.yaml"), "--out", str(out),
                       "--jobs", "1", "--reports", "pdf,html")
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.glob("TR-*")) == [
            "TR-0007_2026-11-20.json", "TR-0007_2026-11-20_practitioner.html",
            "TR-0007_2026-11-20_practitioner.pdf", "TR-0044_2026-11-21.json",
            "TR-0044_2026-11-21_practitioner.html", "TR-0044_2026-11-21_practitioner.pdf"]
        case = load_case(classic)
        html = (out / "TR-0007_2026-11-20_practitioner.html").read_text(encoding="utf-8")
        # The practitioner's report, as `tripod report` writes it, "How solid is this?" included.
        assert html == render_report(assess(case), case, "practitioner", analyse(case))
        assert "How solid is this?" in html
        pdf = PdfReader(out / "TR-0007_2026-11-20_practitioner.pdf")
        text = "".join(page.extract_text() for page in pdf.pages)
        assert "TR-0007" in text and "How solid is this?" in text
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in out.iterdir())

    def test_audience_both_writes_client_reports_named_as_the_intake_names_them(
            self, tmp_path: Path) -> None:
        from tripod.service import report_name

        out = tmp_path / "out"
        classic = EXAMPLES / "classic_compensatory_pronation.yaml"
        result = batch(str(classic), "--out", str(out), "--jobs", "1", "--reports", "html",
                       "--audience", "both")
        assert result.exit_code == 0, result.output
        names = [report_name("TR-0007", "2026-11-20", audience, "html")
                 for audience in ("client", "practitioner")]
        assert names == ["TR-0007_2026-11-20_client.html", "TR-0007_2026-11-20_practitioner.html"]
        assert sorted(p.name for p in out.glob("TR-*")) == ["TR-0007_2026-11-20.json", *names]
        client = (out / names[0]).read_text(encoding="utf-8")
        assert "How solid is this?" not in client and "What we think" in client
        refused = batch(str(classic), "--out", str(tmp_path / "o2"), "--reports", "html",
                        "--audience", "nobody")
        assert refused.exit_code == 2 and "nobody" in refused.output

    def test_a_failing_what_if_analysis_costs_the_report_its_section_not_the_case(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import engine.whatif

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("injected fault")

        monkeypatch.setattr(engine.whatif, "analyse", broken)
        out = tmp_path / "out"
        classic = EXAMPLES / "classic_compensatory_pronation.yaml"
        result = run_batch([classic], out, reports=("html",), jobs=1)
        assert (result.assessed, result.failed) == (1, 0)
        html = (out / "TR-0007_2026-11-20_practitioner.html").read_text(encoding="utf-8")
        assert "How solid" not in html and "Ascending foot chain" in html
        assert json.loads((out / "TR-0007_2026-11-20.json").read_text())["status"] == "complete"

    def test_resume_replaces_the_report_of_a_case_whose_assessment_was_never_written(
            self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        classic = str(EXAMPLES / "classic_compensatory_pronation.yaml")
        assert batch(classic, "--out", str(out), "--jobs", "1", "--reports", "html").exit_code == 0
        # Interrupted between the report and the assessment: the report is there, the JSON is not.
        (out / "TR-0007_2026-11-20.json").unlink()
        report = out / "TR-0007_2026-11-20_practitioner.html"
        whole = report.read_text()
        report.write_text(whole[:100])
        refused = batch(classic, "--out", str(out), "--jobs", "1", "--reports", "html")
        assert refused.exit_code == 2
        resumed = batch(classic, "--out", str(out), "--jobs", "1", "--reports", "html", "--resume")
        assert resumed.exit_code == 0, resumed.output
        assert report.read_text() == whole
        assert (out / "TR-0007_2026-11-20.json").exists()


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def living(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


class TestOwnerOnlyAndLeftovers:
    def test_an_existing_out_folder_open_to_others_is_tightened_and_said_once(
            self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        out.mkdir()
        out.chmod(0o755)
        result = batch(str(EXAMPLES), "--out", str(out), "--jobs", "1")
        assert result.exit_code == 0, result.output
        assert out.stat().st_mode & 0o777 == 0o700
        assert result.stderr.count(f"{out}: permissions were 0755; now 0700") == 1

    def test_a_killed_batch_s_temporary_files_are_removed_by_the_next_run(self, tmp_path: Path
                                                                          ) -> None:
        out = tmp_path / "out"
        out.mkdir(mode=0o700)
        left = [out / ".summary.csv.k3j_x9a2.tmp", out / ".TR-0007_2026-11-20.json.abcdefgh.tmp"]
        for path in left:
            path.write_text("half a summary")
        foreign = out / ".notes.txt.abcdefgh.tmp"
        foreign.write_text("not a batch's")
        result = batch(str(EXAMPLES), "--out", str(out), "--jobs", "1", "--resume")
        assert result.exit_code == 0, result.output
        assert not any(path.exists() for path in left)
        assert foreign.exists()

    @pytest.mark.slow
    def test_workers_exit_when_the_batch_is_killed(self, tmp_path: Path,
                                                   classic_doc: dict[str, Any]) -> None:
        client_copies(tmp_path / "in", 300, classic_doc)
        out = tmp_path / "out"
        child = subprocess.Popen([str(shutil.which("tripod")), "batch", str(tmp_path / "in"),
                                  "--out", str(out), "--jobs", "2"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(list(out.glob("CP-*.json"))) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        below = descendants(child.pid)
        assert len(below) >= 2, below  # the workers (and the forkserver) are running
        child.kill()
        child.wait()
        deadline = time.monotonic() + 3
        while living(below) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not living(below)


def test_a_fifo_among_the_outputs_is_never_replaced_even_with_force(tmp_path: Path) -> None:
    """Made in tmp_path: a rename onto /dev/null or /dev/full would replace them machine-wide."""
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    os.mkfifo(out / "errors.txt")
    result = batch(str(EXAMPLES), "--out", str(out), "--jobs", "1", "--force")
    assert result.exit_code == 1
    assert result.stderr == (f"batch: --out = '{out}': cannot be written (is a FIFO; allowed a "
                             "regular file or a new name)\n")
    assert (out / "errors.txt").is_fifo()
    assert not list(out.glob(".*.tmp"))
