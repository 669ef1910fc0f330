"""Golden histories: pairs of case files stored in a real SQLite file through the real command, and
the history that ``tripod history`` judges from them (``tripod-history/1``). Each file in
``tests/histories/`` pins a verdict or a judgement, most on both sides of a threshold; the two
follow-up examples are pinned whole."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from engine.history import Visit, history
from knowledge.catalog import catalog
from knowledge.rules.reach import could_change  # noqa: F401  (every rule module registered)
from knowledge.rules.registry import REGISTRY
from storage.casefile import parse_case
from tests.conftest import EXAMPLES, _merged
from tripod.cli.app import app
from tripod.service import screen

HISTORIES = Path(__file__).resolve().parent / "histories"
GOLDEN = sorted(p for p in HISTORIES.glob("*.yaml") if not p.name.startswith("_"))
FOLLOW_UPS = EXAMPLES / "follow_up"
runner = CliRunner()


def _case(spec: dict[str, Any], here: Path) -> dict[str, Any]:
    """A visit of a golden history: ``extends`` a case file (or another history's ``then``, or a
    base), overrides what it states (mappings merge, lists replace), and ``drop``s dotted paths."""
    spec = copy.deepcopy(spec)
    base_path = here / spec.pop("extends")
    drop = spec.pop("drop", [])
    base = yaml.safe_load(base_path.read_text())
    if "then" in base:
        base = _case(base["then"], base_path.parent)
    elif "extends" in base:
        base = _case(base, base_path.parent)
    document = _merged(base, spec)
    for path in drop:
        *parents, leaf = path.split(".")
        node = document
        for part in parents:
            node = node[part]
        del node[leaf]
    return document


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def stored_history(tmp_path: Path, first: dict[str, Any], then: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Store both visits through ``tripod assess --store`` in a new SQLite file; the history as
    JSON and as text."""
    db = str(tmp_path / "records.db")
    for name, document in (("first.yaml", first), ("then.yaml", then)):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        run("assess", str(path), "--store", "--db", db)
    client = first["client"]["id"]
    found = json.loads(run("history", client, "--format", "json", "--db", db).stdout)
    return found, run("history", client, "--db", db).stdout


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_history(path: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load(path.read_text())
    found, text = stored_history(tmp_path, _case(spec["first"], path.parent),
                                 _case(spec["then"], path.parent))
    assert found["format"] == "tripod-history/1"
    [change] = found["changes"]
    expect = dict(spec["expect"])
    rules = expect.pop("rules", None)
    if rules is not None:
        assert rules == [step["rule"] for step in change["hypothesis_trace"]]
    used = expect.pop("used", None)
    if used is not None:
        assert used == change["hypothesis_trace"][0]["used"]
    by_path = {entry["path"]: entry for entry in change["observations"]}
    for obs_path, entry in expect.pop("observations", {}).items():
        assert {"path": obs_path, **entry} == by_path.get(obs_path), obs_path
    for obs_path in expect.pop("unlisted", []):
        assert obs_path not in by_path
    if "text" in expect:
        assert expect.pop("text") in text
    for key, value in expect.items():
        assert value == change.get(key, [] if key in ("notes", "findings_not_reassessed") else None), key


def test_every_verdict_rule_concludes_in_a_golden_history() -> None:
    fired = set()
    for path in GOLDEN:
        fired.update(yaml.safe_load(path.read_text())["expect"].get("rules", []))
    verdict_rules = {rule_id for rule_id, info in REGISTRY.items() if info.verdict}
    assert verdict_rules == fired


def test_verdict_rules_are_registered_with_what_they_conclude_claims_and_sources() -> None:
    verdicts = [info for info in REGISTRY.values() if info.verdict]
    assert {info.verdict for info in verdicts} == {"supported", "not_supported", "inconclusive",
                                                    "untested"}
    for info in verdicts:
        assert info.module == "verdict" and info.concludes == (f"verdict:{info.verdict}",)
        assert {"C20", "C1"} <= set(info.claims)
        assert set(info.sources) <= set(catalog().sources)


def test_every_threshold_of_a_follow_up_names_its_sources_and_status() -> None:
    kb = catalog()
    for name, measure in kb.follow_up.measures.items():
        assert measure.sources and set(measure.sources) <= set(kb.sources), name
        assert name in kb.instruments or name == "psfs", name
    assert set(kb.follow_up.verdict.min_days_sources) <= set(kb.sources)
    assert set(kb.follow_up.verdict.own_findings) == set(kb.root_causes.causes)
    assert set(kb.follow_up.verdicts) == {"supported", "not_supported", "inconclusive", "untested"}


@pytest.mark.parametrize("client", ["TR-0021", "TR-0022"])
def test_the_follow_up_examples_give_their_pinned_history_through_the_installed_command(
        client: str, tmp_path: Path) -> None:
    """The README's follow-up examples, stored and read back by the ``tripod`` program itself."""
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    db = str(tmp_path / "t.db")
    for visit in ("initial", "follow_up"):
        done = subprocess.run([exe, "assess", str(FOLLOW_UPS / f"{client}_{visit}.yaml"), "--store",
                               "--db", db], capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
    found = subprocess.run([exe, "history", client, "--format", "json", "--db", db],
                           capture_output=True, text=True, timeout=60, check=False)
    assert found.returncode == 0, found.stderr
    expected = (HISTORIES / "expected" / f"{client}.json").read_text()
    assert json.loads(expected) == json.loads(found.stdout)
    text = subprocess.run([exe, "history", client, "--db", db], capture_output=True, text=True,
                          timeout=60, check=False)
    assert text.stdout == (HISTORIES / "expected" / f"{client}.txt").read_text()


def _visit(assessment_id: int, document: dict[str, Any]) -> Visit:
    case = parse_case("case", document)
    return Visit(assessment_id, 1, document, case, screen(case).assessment)


def test_two_visits_on_one_date_are_ordered_by_id_and_said_so() -> None:
    first = yaml.safe_load((FOLLOW_UPS / "TR-0021_initial.yaml").read_text())
    then = _case({"extends": "_follow_up.yaml", "assessed_on": first["assessed_on"]}, HISTORIES)
    found = history("TR-0021", [_visit(7, then), _visit(3, first)])
    assert [3, 7] == [visit.assessment_id for visit in found.visits]
    [change] = found.changes
    assert (change.from_, change.to) == (3, 7)
    date = dt.date(2026, 9, 7).isoformat()
    assert (f"assessments 3 and 7 are both dated {date}: ordered by assessment id",) == change.notes
    # Nothing moved and no day passed: too early to refute.
    assert change.hypothesis == "untested"
    assert [step.rule for step in change.hypothesis_trace] == ["HYP-05"]


def test_a_visit_with_a_single_screening_has_no_change(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    run("assess", str(FOLLOW_UPS / "TR-0021_initial.yaml"), "--store", "--db", db)
    found = json.loads(run("history", "TR-0021", "--format", "json", "--db", db).stdout)
    assert [] == found["changes"] and [1] == [v["assessment_id"] for v in found["visits"]]


@pytest.mark.parametrize(("args", "line"), [
    (["history", "TR-9999"], ("history: CLIENT = 'TR-9999': no such client in database {db}; "
                              "allowed an id that tripod clients lists\n")),
    (["history", "TR-0021", "--format", "xml"], "history: --format = 'xml': allowed text or json\n"),
    (["clients", "--format", "yaml"], "clients: --format = 'yaml': allowed text or json\n"),
])
def test_bad_input_is_one_problem_line_and_exit_2(args: list[str], line: str,
                                                  tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    run("assess", str(FOLLOW_UPS / "TR-0021_initial.yaml"), "--store", "--db", str(db))
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == line.format(db=db)


def test_clients_as_json_lists_each_client_with_screenings_and_last_date(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    for path in sorted(FOLLOW_UPS.glob("TR-0021_*.yaml")):
        run("assess", str(path), "--store", "--db", db)
    found = json.loads(run("clients", "--format", "json", "--db", db).stdout)
    assert found == {"format": "tripod-clients/1", "clients": [
        {"id": "TR-0021", "name": "Sam Carter", "screenings": 2, "last_assessed_on": "2026-10-19"}]}
    from storage.store import open_store

    with open_store(str(tmp_path / "e.db")):  # a store made, nothing stored in it
        pass
    empty = json.loads(run("clients", "--format", "json", "--db", str(tmp_path / "e.db")).stdout)
    assert empty == {"format": "tripod-clients/1", "clients": []}


@pytest.mark.parametrize(("after", "judgement"), [((7, 7, 8, 8), "no_clear_change"),
                                                   ((7, 7, 8, 9), "improved")])
def test_the_psfs_is_judged_on_its_exact_mean_never_a_rounded_one(
        after: tuple[int, ...], judgement: str) -> None:
    """5, 5, 5, 6 (mean 5.25) to 7, 7, 8, 8 (7.5) is +2.25, under the 2.3 that counts, though the
    means rounded to one decimal first (5.2, 7.5) would make it +2.3; to 7, 7, 8, 9 it is +2.5."""
    from engine.judged import judged_outcomes
    from engine.visit import Outcomes

    names = ("deadlift", "lunges", "stairs", "running")

    def rated(scores: tuple[int, ...]) -> Outcomes:
        return Outcomes.model_validate(
            {"psfs": [{"activity": n, "score": s} for n, s in zip(names, scores, strict=True)]})

    (psfs,), _ = judged_outcomes(rated((5, 5, 5, 6)), rated(after))
    assert (psfs.measure, psfs.before, psfs.judgement) == ("psfs", 5.25, judgement)
