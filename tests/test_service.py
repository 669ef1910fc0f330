"""The screening service: a case is assessed once, judged from that assessment, stored as a record
made once, and read back from the store as typed models."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

import engine.inference
import engine.whatif
from engine.intake import Case
from storage.casefile import load_case
from storage.store import open_store
from tests.conftest import EXAMPLES
from tripod import service
from tripod.service import Screener

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"


@pytest.fixture
def classic() -> Case:
    """The classic compensatory-pronation example, validated."""
    return load_case(CLASSIC)


def test_a_judged_screening_assesses_the_case_itself_once(
        classic: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tripod report --audience practitioner` used to assess the case twice: once for the report,
    once more inside the what-if analysis. The analysis now starts from the report's assessment."""
    seen: list[Case] = []
    real = engine.inference.assess

    def counting(case: Case, *args: Any, **kwargs: Any) -> Any:
        seen.append(case)
        return real(case, *args, **kwargs)

    monkeypatch.setattr(engine.inference, "assess", counting)
    monkeypatch.setattr(engine.whatif, "assess", counting)
    screening = Screener().screen(classic, judge=True)
    assert screening.solidity is not None
    assert 1 == sum(case is classic for case in seen)


def test_judging_from_the_assessment_gives_the_analysis_a_fresh_run_gives(classic: Case) -> None:
    judged = Screener().screen(classic, judge=True).solidity
    fresh = engine.whatif.analyse(classic)
    assert judged is not None
    assert fresh.model_dump(exclude={"seconds"}) == judged.model_dump(exclude={"seconds"})


def test_a_record_travels_between_processes_and_stores_as_the_models_do(
        classic: Case, tmp_path: Path) -> None:
    """A batch worker sends the record to the parent (pickled); the parent stores it as it is."""
    screening = service.screen(classic)
    record = pickle.loads(pickle.dumps(service.record(screening)))
    with open_store(tmp_path / "a.db") as records:
        from_record = service.keep(records, record)
    with open_store(tmp_path / "b.db") as records:
        from_models = records.add_assessment(classic, screening.assessment)
    assert from_record.case_json == from_models.case_json
    assert from_record.assessment_json == from_models.assessment_json


def test_the_store_gives_back_the_case_and_assessment_as_models(
        classic: Case, tmp_path: Path) -> None:
    screening = service.screen(classic)
    with open_store(tmp_path / "t.db") as records:
        stored = service.keep(records, screening)
        again = service.from_store(records.assessment(stored.id) or stored)
    assert classic == again.case
    assert screening.assessment.to_json() == again.assessment.to_json()


def test_a_report_is_rendered_in_the_formats_asked_for(classic: Case) -> None:
    screening = service.screen(classic)
    files = service.reports(screening, "client", ("html",))
    assert ["html"] == list(files)
    assert isinstance(files["html"], str) and "<html" in files["html"]
