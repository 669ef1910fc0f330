"""No patient data and no secret where it does not belong: every command's error paths, run as
real `tripod` processes, with a marker in every free-text field of a case, in a file that is not a
case (as /etc/passwd linked in as one would be) and in a database URL's password. The marker may
reach no stdout, stderr, errors.txt or traceback; stored text shown on a terminal is escaped; and
experta's loggers print nothing however low a host program sets the root level."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT

MARKER = "ZZMARKER"
CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"

pytestmark = pytest.mark.slow


def tripod(*args: str, env: dict[str, str] | None = None, stdin: str = ""
           ) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    return subprocess.run([exe, *args], check=False, capture_output=True, text=True, timeout=120,
                          input=stdin, env={**os.environ, **(env or {})})


def clean(done: subprocess.CompletedProcess[str], *files: Path) -> None:
    """Neither the marker nor a traceback in the output, nor in the files written."""
    seen = done.stdout + done.stderr
    assert MARKER not in seen, (done.args, seen)
    assert "Traceback" not in seen, (done.args, seen)
    for path in files:
        if path.exists():
            assert MARKER not in path.read_text(errors="replace"), path


@pytest.fixture
def marked(classic_doc: dict[str, Any], tmp_path: Path) -> dict[str, Path]:
    """Case files carrying the marker: free text in a case with one bad field, a valid one, a file
    that is not a case (as /etc/passwd is), and a JSON document that is only a string."""
    classic_doc["client"]["name"] = f"Sam {MARKER} Carter"
    classic_doc["practitioner"] = f"R. {MARKER}"
    classic_doc["notes"] = f"Told me in confidence: {MARKER}"
    classic_doc["format"] = "tripod-case/2"
    classic_doc["subjective"] = {"complaint": f"Hurts {MARKER}", "goals": f"Lift {MARKER}"}
    classic_doc["outcomes"] = {"psfs": [{"activity": f"Run {MARKER}", "score": 5}]}
    valid = tmp_path / "in" / "valid.yaml"
    valid.parent.mkdir()
    valid.write_text(yaml.safe_dump(classic_doc, sort_keys=False))
    classic_doc["hips"]["left"]["ir_deg"] = 140
    # Six PSFS activities, too many: the line counts them, never quotes them.
    classic_doc["outcomes"]["psfs"] *= 6
    bad = tmp_path / "in" / "bad.yaml"
    bad.write_text(yaml.safe_dump(classic_doc, sort_keys=False))
    passwd = tmp_path / "passwd"
    passwd.write_text(f"{MARKER}:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/bin/sh\n")
    linked = tmp_path / "in" / "linked.yaml"
    linked.symlink_to(passwd)
    text = tmp_path / "in" / "text.json"
    text.write_text(f'"{MARKER} said so"')
    listed = tmp_path / "in" / "listed.yaml"
    listed.write_text(f"- {MARKER}\n- two\n")
    tagged = tmp_path / "in" / "tagged.yaml"
    tagged.write_text(f"format: tripod-case/1\nnotes: !{MARKER} told in confidence\n")
    return {"valid": valid, "bad": bad, "linked": linked, "text": text, "listed": listed,
            "tagged": tagged}


def test_case_commands_never_echo_free_text_or_file_content(marked: dict[str, Path],
                                                            tmp_path: Path) -> None:
    broken = [marked[k] for k in ("bad", "linked", "text", "listed", "tagged")]
    clean(tripod("validate", *map(str, broken)))
    for path in broken:
        clean(tripod("assess", str(path)))
        clean(tripod("whatif", str(path)))
        clean(tripod("report", str(path), "--audience", "client", "--html",
                     str(tmp_path / "r.html")))
        clean(tripod("intake", "--from", str(path), "--db", str(tmp_path / "t.db")))
    existing = tmp_path / "exists.html"
    existing.write_text("")
    clean(tripod("report", str(marked["valid"]), "--audience", "practitioner", "--html",
                 str(existing)))
    out = tmp_path / "out"
    done = tripod("batch", str(tmp_path / "in"), "--out", str(out), "--jobs", "1")
    assert done.returncode == 1
    clean(done, out / "errors.txt")
    assert (out / "errors.txt").read_text().count("\n") >= 5


def test_record_commands_never_echo_a_password_or_stored_text(marked: dict[str, Path],
                                                              tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    assert tripod("assess", str(marked["valid"]), "--store", "--db", db).returncode == 0
    existing = tmp_path / "exists.yaml"
    existing.write_text("")
    for args in (["history", "TR-9999"], ["show", "99"], ["export", "99", "--out", "x.yaml"],
                 ["export", "1", "--out", str(existing)], ["intake", "--resume"],
                 ["intake", "--resume", "5"]):
        clean(tripod(*args, "--db", db))
    # Every command that opens the store, with a URL of a kind Tripod does not take...
    wrong_kind = f"mysql://alice:{MARKER}@db.example/tripod"
    for args in (["clients"], ["history", "TR-0007"], ["show", "1"],
                 ["export", "1", "--out", str(tmp_path / "e.yaml")],
                 ["assess", str(CLASSIC), "--store"], ["intake", "--resume"],
                 ["batch", str(CLASSIC), "--out", str(tmp_path / "b"), "--store", "--force"]):
        done = tripod(*args, "--db", wrong_kind)
        assert done.returncode != 0, args
        clean(done)
    clean(tripod("clients", env={"TRIPOD_DB": wrong_kind}))
    # ...and the ways a postgresql URL fails: a port that is no number, no server, no parse.
    for url in (f"postgresql://alice:{MARKER}@db.example:notaport/tripod",
                f"postgresql://alice:{MARKER}@127.0.0.1:1/tripod",
                f"postgresql://alice:{MARKER}@[::1/tripod"):
        for args in (["clients"], ["assess", str(CLASSIC), "--store"]):
            done = tripod(*args, "--db", url)
            assert done.returncode != 0, (args, url)
            clean(done)


def test_stored_names_reach_the_terminal_escaped(classic_doc: dict[str, Any], tmp_path: Path
                                                 ) -> None:
    """Escape sequences and direction overrides in a stored name are shown, not obeyed."""
    import sqlite3

    db = tmp_path / "t.db"
    case = tmp_path / "c.yaml"
    case.write_text(yaml.safe_dump(classic_doc, sort_keys=False))
    assert tripod("assess", str(case), "--store", "--db", str(db)).returncode == 0
    hostile = "Sam \x1b[2J\x1b]0;owned\x07 \u202egnp.exe [bold]x[/bold]"
    with sqlite3.connect(db) as raw:  # as another tool could have stored it
        raw.execute("UPDATE clients SET name = ?", (hostile,))
    done = tripod("clients", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout and "\x07" not in done.stdout
    assert "\\x1b[2J" in done.stdout and "\\u202e" in done.stdout
    assert "[bold]x[/bold]" in done.stdout


def test_experta_logs_nothing_when_a_host_lowers_the_root_level() -> None:
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG)\n"
        "from storage.casefile import load_case\n"
        "from engine.inference import assess\n"
        "logging.getLogger().setLevel(logging.DEBUG)\n"
        f"assess(load_case({str(CLASSIC)!r}))\n"
        "print('done')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "experta" not in done.stderr, done.stderr[:500]
    assert "Obs(" not in done.stderr


def test_experta_adds_no_handler_to_the_root_logger() -> None:
    script = (
        "import logging\n"
        "import engine.inference\n"
        "print(len(logging.getLogger().handlers))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.stdout.strip() == "0", done.stderr
