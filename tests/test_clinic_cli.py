"""The clinic's commands through the real command line: accounts (who is acting), the audit
trail, erasure and backup; on SQLite and PostgreSQL where the store is what matters."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from storage.store import open_store
from tests.conftest import EXAMPLES, StoreAt
from tripod.cli.app import app

runner = CliRunner()
CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
BOSS, ALICE = "boss-pass-1", "alice-pass-1"


@pytest.fixture(autouse=True)
def nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    """No account named by the environment the tests run in."""
    monkeypatch.delenv("TRIPOD_USER", raising=False)


def run(*args: str, stdin: str | None = None, code: int = 0) -> Any:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def clinic(store_at: StoreAt, monkeypatch: pytest.MonkeyPatch) -> StoreAt:
    """A store with an admin (boss) and a practitioner (alice), named through TRIPOD_DB."""
    monkeypatch.setenv("TRIPOD_DB", store_at.location)
    run("--password-stdin", "users", "add", "boss", "--role", "admin", stdin=f"{BOSS}\n")
    run("--user", "boss", "--password-stdin", "users", "add", "alice",
        stdin=f"{BOSS}\n{ALICE}\n")
    return store_at


@pytest.fixture
def fixed_case(classic_doc: dict[str, Any], write_case: Callable[..., Path]) -> Path:
    """The classic case corrected: the left tibia's rotation is neutral after all."""
    classic_doc["tibia"]["left"]["rotation_bias"] = "neutral"
    return write_case(classic_doc, "fixed.yaml")


def test_a_store_without_accounts_needs_no_login_and_is_signed_by_the_local_user(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPOD_DB", str(tmp_path / "t.db"))
    run("assess", str(CLASSIC), "--store")
    run("show", "1")
    with open_store(tmp_path / "t.db") as store:
        (row,) = store.history("TR-0007")
        entries = store.audit_entries()
    assert row.signed_by == f"local:{getpass.getuser()}"
    assert [(e.actor, e.action) for e in entries] == [(row.signed_by, "store"),
                                                      (row.signed_by, "view")]


def test_audit_lists_a_store_a_view_an_amend_an_export_and_an_erase(
        clinic: StoreAt, fixed_case: Path, tmp_path: Path) -> None:
    alice = ("--user", "alice", "--password-stdin")
    run(*alice, "assess", str(CLASSIC), "--store", stdin=f"{ALICE}\n")
    run("--user", "alice", "show", "1")
    run(*alice, "assess", str(fixed_case), "--store", stdin=f"{ALICE}\n")
    run("--user", "alice", "export", "2", "--out", str(tmp_path / "out.yaml"))
    erased = run("--user", "boss", "--password-stdin", "erase", "TR-0007", "--reason",
                 "client's request of 2026-11-29, ref E-12", stdin=f"{BOSS}\nTR-0007\n")
    assert "erased client TR-0007" in erased.stdout and "2 assessments" in erased.stdout
    listing = run("--user", "boss", "--password-stdin", "audit", "--client", "TR-0007",
                  stdin=f"{BOSS}\n").stdout
    rows = [line.split()[2:] for line in listing.splitlines()[1:]]
    assert rows == [
        ["alice", "store", "client", "TR-0007", "assessment", "1"],
        ["alice", "view", "client", "TR-0007", "assessment", "1"],
        ["alice", "amend", "client", "TR-0007", "assessment", "2"],
        ["alice", "export", "client", "TR-0007", "assessment", "2"],
        ["boss", "erase", "client", "TR-0007", "reason", "client's", "request", "of",
         "2026-11-29,", "ref", "E-12"],
    ]
    document = json.loads(run("--user", "boss", "--password-stdin", "audit", "--format",
                              "json", stdin=f"{BOSS}\n").stdout)
    assert [e["action"] for e in document["entries"]] == [
        "user_add", "user_add", "store", "view", "amend", "export", "erase"]
    assert "Sam Carter" not in json.dumps(document)


def test_with_accounts_every_command_names_an_active_account_and_its_password(
        clinic: StoreAt) -> None:
    nobody = run("assess", str(CLASSIC), "--store", code=1)
    assert nobody.stderr.startswith("tripod: --user/TRIPOD_USER = (none): database ")
    unknown = run("--user", "eve", "show", "1", code=1)
    assert "--user/TRIPOD_USER = 'eve': no such account in database " in unknown.stderr
    wrong = run("--user", "alice", "--password-stdin", "assess", str(CLASSIC), "--store",
                stdin="not-her-password\n", code=1)
    assert wrong.stderr == ("tripod: --user/TRIPOD_USER = 'alice': wrong password; nothing "
                            "was changed\n")
    run("--user", "boss", "--password-stdin", "users", "disable", "alice", stdin=f"{BOSS}\n")
    disabled = run("--user", "alice", "--password-stdin", "assess", str(CLASSIC), "--store",
                   stdin=f"{ALICE}\n", code=1)
    assert "'alice': disabled in database " in disabled.stderr
    with open_store(clinic.location) as store:
        assert store.clients() == []
        assert [u.active for u in store.users()] == [False, True]


def test_an_intake_on_a_store_with_accounts_saves_no_answer_before_the_account_is_checked(
        clinic: StoreAt) -> None:
    nobody = run("intake", "--from", str(CLASSIC), stdin="\n" * 5, code=1)
    assert nobody.stderr.startswith("tripod: --user/TRIPOD_USER = (none): database ")
    wrong = run("--user", "alice", "--password-stdin", "intake", "--from", str(CLASSIC),
                stdin="not-her-password\n" + "\n" * 5, code=1)
    assert "'alice': wrong password" in wrong.stderr
    with open_store(clinic.location) as store:
        assert store.drafts() == []  # not even a draft was written


def test_the_first_account_is_an_admin_and_no_account_is_named_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPOD_DB", str(tmp_path / "t.db"))
    refused = run("--password-stdin", "users", "add", "alice", stdin=f"{ALICE}\n", code=2)
    assert refused.stderr.splitlines()[-1] == ("users add: --role = 'practitioner': allowed "
                                               "admin for the first account of a store")
    named = run("--user", "alice", "assess", str(CLASSIC), "--store", code=1)
    assert "'alice': no such account in database " in named.stderr
    short = run("--password-stdin", "users", "add", "boss", "--role", "admin", stdin="short\n",
                code=1)
    assert short.stderr == ("users add: password = (hidden): allowed 8 to 1024 characters on one "
                            "line\n")
    assert "short" not in short.stdout


def test_only_an_admin_erases_and_only_once_the_client_id_is_typed_again(
        clinic: StoreAt) -> None:
    run("--user", "alice", "--password-stdin", "assess", str(CLASSIC), "--store",
        stdin=f"{ALICE}\n")
    practitioner = run("--user", "alice", "--password-stdin", "erase", "TR-0007", "--reason",
                       "request", stdin=f"{ALICE}\nTR-0007\n", code=1)
    assert practitioner.stderr == ("tripod: --user/TRIPOD_USER = 'alice': a practitioner; "
                                   "allowed an admin for this command\n")
    mistyped = run("--user", "boss", "--password-stdin", "erase", "TR-0007", "--reason",
                   "request", stdin=f"{BOSS}\nTR-007\n", code=1)
    assert mistyped.stderr.endswith("not confirmed; nothing was erased\n")
    # Read from a pipe, the typed id is not echoed: the prompt's line ends before the next one.
    assert mistyped.stderr.splitlines()[-2].endswith("Type the client id to confirm:")
    with open_store(clinic.location) as store:
        assert len(store.history("TR-0007")) == 1
        assert "erase" not in [e.action for e in store.audit_entries()]


@pytest.mark.parametrize("args", [["clients"], ["history", "TR-0007"], ["show", "1"],
                                  ["export", "1", "--out", "x.yaml"], ["audit"],
                                  ["users", "list"], ["erase", "TR-0007", "--reason", "r"],
                                  ["backup", "copy.db"]])
def test_a_command_that_does_not_store_refuses_a_mistyped_store_and_makes_nothing(
        tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "mistyped" / "dir" / "t.db"
    result = run(*args, "--db", str(path), code=1)
    assert result.stderr == (
        f"database {path}: no record store there; allowed the location of an existing store "
        "(check --db or TRIPOD_DB); a command that stores (tripod assess --store, tripod "
        "intake) makes a new one\n")
    assert not (tmp_path / "mistyped").exists()


def test_backup_writes_an_owner_only_copy_and_never_overwrites_without_force(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPOD_DB", str(tmp_path / "t.db"))
    run("assess", str(CLASSIC), "--store")
    copy = tmp_path / "copy.db"
    assert run("backup", str(copy)).stdout == f"{copy}: a copy of database {tmp_path / 't.db'}, owner-only\n"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert run("history", "TR-0007", "--db", str(copy)).stdout.startswith("TR-0007: 1 visit")
    again = run("backup", str(copy), code=2)
    assert again.stderr == (f"backup: FILE = '{copy}': exists; allowed a new file, or --force "
                            "to overwrite\n")
    run("backup", str(copy), "--force")


def test_the_installed_command_keeps_a_clinic_store_without_showing_a_password(
        clinic: StoreAt, tmp_path: Path) -> None:
    """A real process on the real store; the URL's password appears in no output."""
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    env = {**os.environ, "TRIPOD_DB": clinic.location, "TRIPOD_USER": "alice"}

    def tripod(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = subprocess.run([exe, "--password-stdin", *args], input=stdin, env=env, text=True,
                              capture_output=True, check=False, timeout=120)
        assert "tripod-test-pw" not in done.stdout + done.stderr
        return done

    stored = tripod("assess", str(CLASSIC), "--store", stdin=f"{ALICE}\n")
    assert stored.returncode == 0, stored.stderr
    assert tripod("show", "1").returncode == 0
    env["TRIPOD_USER"] = "boss"
    listing = tripod("audit", stdin=f"{BOSS}\n")
    assert listing.returncode == 0, listing.stderr
    assert [line.split()[3] for line in listing.stdout.splitlines()[1:]] == [
        "user_add", "user_add", "store", "view"]
    wrong = tripod("audit", stdin="nope\n")
    assert (wrong.returncode, wrong.stderr) == (
        1, "tripod: --user/TRIPOD_USER = 'boss': wrong password; nothing was changed\n")


def test_batch_store_keeps_every_example_on_each_database(store_at: StoreAt, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPOD_DB", store_at.location)
    run("batch", str(EXAMPLES), "--out", str(tmp_path / "out"), "--jobs", "2", "--store")
    with open_store(store_at.location) as store:
        stored = {row.case["client"]["id"] for c in store.clients() for row in store.history(c.id)}
        actions = [e.action for e in store.audit_entries()]
    expected = {load_case_id(path) for path in EXAMPLES.rglob("*.yaml")}
    assert stored == expected
    assert actions.count("store") + actions.count("amend") == len(list(EXAMPLES.rglob("*.yaml")))


def load_case_id(path: Path) -> str:
    from storage.casefile import load_case

    return load_case(path).client.id


def test_kill_9_mid_intake_keeps_every_answer_on_each_database(store_at: StoreAt) -> None:
    """The intake's autosave, through the installed command in a terminal, on both databases."""

    from storage.casefile import load_case
    from tests.test_questionnaire import (
        Clinician,
        asked_only,
        progress,
        stored_cases,
        typed_answers,
    )

    location: Any = store_at.location  # Clinician passes it on as TRIPOD_DB
    case = load_case(CLASSIC)
    answers = typed_answers(case)
    first = Clinician(location, "intake")
    first.killed_after(*answers[:10])  # the 10th committed before the 11th question showed
    with open_store(store_at.location) as store:
        (draft,) = store.drafts()
        kept = store.draft_answers(draft.id)
    assert progress({k: a.value for k, a in kept.items()})[0] == 10
    second = Clinician(location, "intake", "--resume", str(draft.id))
    second.prompt()
    second.child.sendline(answers[10])
    second.type(*answers[11:])
    second.decline_reports()
    _, status = second.finish()
    assert status == 0
    assert stored_cases(location) == [asked_only(case)]
