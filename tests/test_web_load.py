"""The load test of `tripod serve` (bounded, loopback only): 20 simulated practitioners at once,
each completing a whole intake through the JSON API and signing it. Every answer is stored once,
in its own practitioner's draft, and every intake becomes one stored, signed assessment. The
figures (round trips, the slowest intake) are printed by `bench/web.py`; this test holds the
outcome, and the issue's bound of 60 s for the whole crowd."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.load import add_practitioners, crowd
from tests.web import serving

pytestmark = pytest.mark.slow

PRACTITIONERS = 20
CASE = EXAMPLES / "classic_compensatory_pronation.yaml"


def test_twenty_practitioners_at_once_each_complete_an_intake_and_every_answer_is_stored_once(
        tmp_path: Path) -> None:
    with serving(tmp_path) as clinic:
        users = add_practitioners(clinic.db, PRACTITIONERS)
        results, seconds = crowd(clinic.url, users, CASE)
    assert seconds < 60, f"20 intakes took {seconds:.1f} s"
    with sqlite3.connect(clinic.db) as raw:
        for done in results:
            rows = raw.execute("SELECT key, count(*) FROM draft_answers WHERE draft_id = ? "
                               "GROUP BY key", (done.draft,)).fetchall()
            assert all(count == 1 for _, count in rows)
            assert {key for key, _ in rows} == set(done.saved)
            owner, status = raw.execute("SELECT owner, status FROM drafts WHERE id = ?",
                                        (done.draft,)).fetchone()
            assert (owner, status) == (done.user, "finished")
        stored = raw.execute("SELECT client_id, signed_by FROM assessments ORDER BY client_id"
                             ).fetchall()
        audit = raw.execute("SELECT count(*) FROM audit WHERE action = 'store'").fetchone()
    assert stored == [(f"LOAD-{n:02d}", f"load{n:02d}") for n in range(1, PRACTITIONERS + 1)]
    assert audit == (PRACTITIONERS,)
    assert len({done.draft for done in results}) == PRACTITIONERS
    assert {done.assessment["root_cause"]["id"] for done in results} == {
        results[0].assessment["root_cause"]["id"]}
