"""The record commands: assess --store, clients, history, show, export, on real SQLite files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from storage.casefile import load_case
from storage.store import open_store
from tests.conftest import EXAMPLES
from tripod.cli.app import app

runner = CliRunner()
CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh record store in tmp_path, named through TRIPOD_DB as a clinic would."""
    path = tmp_path / "records" / "tripod.db"
    monkeypatch.setenv("TRIPOD_DB", str(path))
    return path


@pytest.fixture
def follow_up(classic_doc: dict[str, Any], write_case: Callable[..., Path]) -> Path:
    """TR-0007 two days later: the left foot now loads its medial side (1st metatarsal kept, no
    lateral drift, toes down) and the hip turns in."""
    classic_doc["assessed_on"] = "2026-11-22"
    for movement in ("hinge", "split_squat"):
        classic_doc["movements"][movement]["left"].update(first_met="kept", toes_lift="no",
                                                          weight_drift="none")
    for motion in ("calcaneal_eversion", "talar_internal_rotation", "midfoot_yield"):
        classic_doc["feet"]["left"][motion] = "present"
    classic_doc["hips"]["left"]["ir_deg"] = 36
    return write_case(classic_doc, "follow_up.yaml")


def ok(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_assess_store_keeps_the_assessment_and_says_where_on_stderr(db: Path) -> None:
    result = ok("assess", str(CLASSIC), "--format", "json", "--store")
    assert json.loads(result.stdout)["case"]["client_id"] == "TR-0007"
    assert result.stderr == (f"new record store made: database {db}\n"
                             f"stored as assessment 1 (TR-0007, 2026-11-20, version 1) "
                             f"in database {db}\n")
    again = ok("assess", str(CLASSIC), "--store", "--db", str(db))
    assert again.stderr.startswith("already stored as assessment 1 (TR-0007, 2026-11-20, "
                                   "version 1)")


def test_assess_without_store_creates_no_database(db: Path) -> None:
    ok("assess", str(CLASSIC))
    assert not db.exists()


def test_clients_lists_each_client_with_screenings_and_last_date(db: Path, follow_up: Path) -> None:
    for case in (CLASSIC, follow_up, EXAMPLES / "pelvis_driven_ir_loss.yaml"):
        ok("assess", str(case), "--store")
    lines = [line.rstrip() for line in ok("clients").stdout.splitlines()]
    assert lines[0].split() == ["client", "name", "screenings", "last", "assessed"]
    assert lines[1].split() == ["TR-0007", "Sam", "Carter", "2", "2026-11-22"]
    assert lines[2].split()[0] == "TR-0031"


def test_clients_on_an_empty_store_says_so(db: Path) -> None:
    open_store(db).close()
    assert ok("clients").stdout == f"no clients yet in database {db}\n"


def test_history_shows_each_visit_oldest_first_with_each_change_judged(db: Path,
                                                                     follow_up: Path) -> None:
    ok("assess", str(follow_up), "--store")
    ok("assess", str(CLASSIC), "--store")
    out = ok("history", "TR-0007").stdout
    assert out.index("[2] 2026-11-20  initial") < out.index("[1] 2026-11-22  initial")
    assert "Screening complete; root cause: Ascending foot chain (left), confidence moderate" in out
    assert "from [2] to [1] (2 days):\n" in out
    assert "  hips.left.ir_deg: 22 -> 36 (error 5.4, confirmed): beyond measurement error\n" in out
    assert "  movements.hinge.left.first_met: lost -> kept: changed\n" in out
    assert "  root cause CHANGED, because:\n" in out
    assert "    ROOT-01 no longer concludes root_cause:ascending_foot_chain:left\n" in out
    # No since_last_visit: whether the constraints were followed is unknown.
    assert "  hypothesis: Untested." in out
    assert ("    HYP-02 (claims C20, C1; sources -), from:\n      constraints followed: unknown  "
            "[since_last_visit.adherence:unknown]\n") in out


def test_history_takes_a_corrected_screening_as_one_visit_at_its_latest_version(
        db: Path, classic_doc: dict[str, Any], write_case: Callable[..., Path]) -> None:
    """A correction is a new version of one screening, not a visit: nothing about the client
    changed between them."""
    ok("assess", str(CLASSIC), "--store")
    classic_doc["tibia"]["left"]["rotation_bias"] = "neutral"
    ok("assess", str(write_case(classic_doc, "fixed.yaml")), "--store")
    out = ok("history", "TR-0007").stdout
    assert out.startswith("TR-0007: 1 visit\n\n[2] 2026-11-20  initial  version 2 (corrects an "
                          "earlier version)\n")
    assert "from [" not in out


def test_show_prints_the_stored_assessment_as_assess_does_then_the_notes(db: Path) -> None:
    printed = ok("assess", str(CLASSIC), "--store").stdout
    shown = ok("show", "1").stdout
    head, rest = shown.split("\n", 1)
    assert head.startswith("assessment 1: TR-0007, 2026-11-20, version 1, stored 20")
    import getpass

    # A store without accounts: signed by whoever ran Tripod with it (tripod/acting.py).
    assert head.endswith(f", signed by local:{getpass.getuser()}")
    notes = yaml.safe_load(CLASSIC.read_text())["notes"]
    assert rest == f"{printed}\nNOTES\n  {notes}\n"
    assert ok("show", "1", "--format", "json").stdout == ok("assess", str(CLASSIC), "--format",
                                                           "json").stdout


def test_show_prints_what_the_client_said_and_the_outcomes_escaped(db: Path, classic_doc: Any,
                                                                  write_case: Callable[..., Path]) -> None:
    """The visit sections are shown as recorded; a terminal escape in them is shown escaped."""
    classic_doc |= {"format": "tripod-case/2", "subjective": {"complaint": "Hamstrings\u202etake over"},
                    "outcomes": {"nprs_now": 3, "psfs": [{"activity": "RDL", "score": 4},
                                                          {"activity": "Lunge", "score": 7}]}}
    ok("assess", str(write_case(classic_doc)), "--store")
    shown = ok("show", "1").stdout
    assert "Complaint (client's words): Hamstrings\\u202etake over\n" in shown
    assert "  Pain now (NPRS): 3 of 10\n" in shown
    assert "  PSFS (mean of the activities): 5.5 of 10\n    - RDL: 4\n    - Lunge: 7\n" in shown


def test_export_writes_the_stored_case_as_an_owner_only_case_file(db: Path, tmp_path: Path) -> None:
    ok("assess", str(CLASSIC), "--store")
    out = tmp_path / "again.json"
    assert ok("export", "1", "--out", str(out)).stdout == (
        f"{out}: case of assessment 1 (TR-0007, 2026-11-20)\n")
    assert load_case(out) == load_case(CLASSIC)
    assert oct(out.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@pytest.mark.parametrize("notes", ["left knee\x85drifts out", "NEL at the end\x85",
                                   "left knee\x85drifts\u2028out\r\non split squats\tand more"])
def test_export_of_notes_with_every_line_break_reads_back_unchanged(
        db: Path, tmp_path: Path, classic_doc: dict[str, Any], write_case: Callable[..., Path],
        suffix: str, notes: str) -> None:
    """U+0085 (NEL) is a line break to YAML: exported unquoted, it came back as a space."""
    classic_doc["notes"] = notes
    case_file = write_case(json.dumps(classic_doc, default=str), "nel.json")
    ok("assess", str(case_file), "--store")
    out = tmp_path / f"again{suffix}"
    ok("export", "1", "--out", str(out))
    assert load_case(out) == load_case(case_file)
    assert load_case(out).notes == classic_doc["notes"]


def test_export_refuses_to_overwrite_without_force(db: Path, tmp_path: Path) -> None:
    ok("assess", str(CLASSIC), "--store")
    out = tmp_path / "kept.yaml"
    out.write_text("mine\n")
    result = runner.invoke(app, ["export", "1", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (f"export: --out = '{out}': exists; allowed a new file, or --force "
                             "to overwrite\n")
    assert out.read_text() == "mine\n"
    ok("export", "1", "--out", str(out), "--force")
    assert load_case(out).client.id == "TR-0007"


def test_export_never_replaces_a_fifo_even_with_force(db: Path, tmp_path: Path) -> None:
    ok("assess", str(CLASSIC), "--store")
    out = tmp_path / "case.yaml"
    os.mkfifo(out)
    result = runner.invoke(app, ["export", "1", "--out", str(out), "--force"])
    assert result.exit_code == 2
    assert result.stderr == (f"export: --out = '{out}': is a FIFO; allowed a regular file or a "
                             "new name\n")
    assert out.is_fifo()


def test_export_to_a_path_that_cannot_be_written_names_it_and_the_reason(db: Path) -> None:
    ok("assess", str(CLASSIC), "--store")
    result = runner.invoke(app, ["export", "1", "--out", "/proc/tripod-case.yaml"])
    assert result.exit_code == 1
    assert result.stderr == ("export: --out = '/proc/tripod-case.yaml': cannot be written (No such "
                             "file or directory)\n")


@pytest.mark.parametrize(("args", "line"), [
    (["history", "TR-9999"], ("history: CLIENT = 'TR-9999': no such client in database {db}; "
                              "allowed an id that tripod clients lists")),
    (["show", "7"], ("show: ASSESSMENT = 7: no such assessment in database {db}; "
                     "allowed an id that tripod history lists")),
    (["export", "7", "--out", "x.txt"], ("export: --out = 'x.txt': allowed a .yaml, .yml or "
                                          ".json file name")),
], ids=["unknown-client", "unknown-assessment", "bad-export-suffix"])
def test_unknown_ids_and_bad_options_exit_2_naming_the_value(db: Path, args: list[str],
                                                             line: str) -> None:
    open_store(db).close()
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr == line.format(db=db) + "\n"


def test_an_id_beyond_any_record_is_no_such_assessment(db: Path) -> None:
    ok("assess", str(CLASSIC), "--store")
    for command in (["show"], ["export", "--out", "x.yaml"]):
        result = runner.invoke(app, [*command[:1], "99999999999999999999", *command[1:]])
        assert (result.exit_code, result.stderr) == (2, (
            f"{command[0]}: ASSESSMENT = 99999999999999999999: no such assessment in database "
            f"{db}; allowed an id that tripod history lists\n"))


def stored_in_an_older_shape(db: Path) -> None:
    """Store the classic case, then add a correction as an older Tripod might have written it:
    an assessment JSON the current model refuses (a status it no longer knows)."""
    ok("assess", str(CLASSIC), "--store")
    with sqlite3.connect(db) as raw:
        row = raw.execute("SELECT * FROM assessments WHERE id = 1").fetchone()
        names = [c[0] for c in raw.execute("SELECT * FROM assessments").description]
        record = dict(zip(names, row, strict=True))
        document = json.loads(record["assessment_json"])
        document["status"] = "retired-status"
        record |= {"id": 2, "version": 2, "supersedes": 1, "status": "retired-status",
                   "assessment_json": json.dumps(document)}
        raw.execute(f"INSERT INTO assessments ({', '.join(record)}) VALUES "
                    f"({', '.join('?' for _ in record)})", list(record.values()))


@pytest.mark.parametrize("command", [["history", "TR-0007"], ["show", "2"]])
def test_a_record_this_version_cannot_read_is_named_without_its_values(
        db: Path, command: list[str]) -> None:
    stored_in_an_older_shape(db)
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert result.stderr == (f"database {db}: assessment 2 cannot be read by this version of "
                             "Tripod (stored in a shape it no longer knows); the record is kept "
                             "unchanged\n")
    for patient_data in ("Sam Carter", "retired-status", "input_value"):
        assert patient_data not in result.output
    assert ok("show", "2", "--format", "json").stdout.startswith("{")


def test_a_corrupt_database_exits_1_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "tripod.db"
    bad.write_bytes(b"SQLite format 2\x00" + b"\x07" * 4000)
    result = runner.invoke(app, ["clients", "--db", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"database {bad}: not a Tripod database (")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_records_work_through_the_installed_command(tmp_path: Path) -> None:
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    env = {**os.environ, "TRIPOD_DB": str(tmp_path / "t.db")}
    stored = subprocess.run([exe, "assess", str(CLASSIC), "--store"], check=False, env=env,
                            capture_output=True, text=True, timeout=60)
    assert stored.returncode == 0, stored.stderr
    listed = subprocess.run([exe, "history", "TR-0007"], check=False, env=env,
                            capture_output=True, text=True, timeout=60)
    assert listed.stdout.startswith("TR-0007: 1 visit\n\n[1] 2026-11-20  initial  version 1")


def test_a_database_open_to_others_is_made_owner_only_and_said_once(tmp_path: Path) -> None:
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    path = tmp_path / "t.db"
    done = subprocess.run([exe, "assess", str(CLASSIC), "--store", "--db", str(path)],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    path.chmod(0o644)
    listed = subprocess.run([exe, "clients", "--db", str(path)], check=False, capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == (f"{path}: permissions were 0644; now 0600 (patient data is for its "
                             "owner only)\n")
    assert os.stat(path).st_mode & 0o777 == 0o600


def read_only_media(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`tripod ARGS` with ``folder`` mounted read-only (a private bind mount): permission bits do
    not stop root, a read-only file system does."""
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind -o ro '{folder}' '{folder}'"],
                           check=False, capture_output=True, text=True, timeout=30) if shutil.which(
        "unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("no private read-only bind mount here (needs unshare and CAP_SYS_ADMIN)")
    quoted = " ".join(f"'{arg}'" for arg in (exe, *args))
    return subprocess.run(["unshare", "-m", "sh", "-c",
                           f"mount --bind -o ro '{folder}' '{folder}' && exec {quoted}"],
                          check=False, capture_output=True, text=True, timeout=60)


def test_reading_commands_work_on_a_database_on_read_only_media(tmp_path: Path) -> None:
    folder = tmp_path / "media"
    path = folder / "t.db"
    ok("assess", str(CLASSIC), "--store", "--db", str(path))
    before = sorted(p.name for p in folder.iterdir())
    expected = {
        ("clients",): "client",
        ("history", "TR-0007"): "TR-0007: 1 visit",
        ("show", "1"): "assessment 1: TR-0007",
        ("export", "1", "--out", str(tmp_path / "case.yaml")): f"{tmp_path / 'case.yaml'}: case of",
    }
    for args, start in expected.items():
        done = read_only_media(folder, *args, "--db", str(path))
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout.startswith(start), (args, done.stdout)
    assert sorted(p.name for p in folder.iterdir()) == before
