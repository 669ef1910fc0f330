"""The visit sections of tripod-case/2 (engine/visit.py): read, checked like every other field, written
back, and never reasoned on."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine.errors import CaseFileError
from engine.facts import observations
from engine.inference import assess
from knowledge.catalog import catalog
from reports.render import render_report
from storage.casefile import dump_case, load_case, parse_case

VISIT: dict[str, Any] = {
    "subjective": {"complaint": "Glutes not growing; hamstrings take over in RDLs",
                   "goals": "Feel the glutes in hinges", "symptom_weeks": 26},
    "outcomes": {"nprs_now": 3, "nprs_worst_week": 5, "lefs_total": 61,
                 "psfs": [{"activity": "Romanian deadlift, 60 kg", "score": 4},
                          {"activity": "Walking lunges", "score": 7}]},
}
FOLLOW_UP: dict[str, Any] = {
    "visit": "follow_up",
    "outcomes": {"nprs_now": 2, "groc": 4},
    "since_last_visit": {"constraints_followed": ["restore_medial_foot_loading", "toe_bias_constraint"],
                         "adherence": "most"},
}


def version_2(doc: dict[str, Any], **sections: Any) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    changed["format"] = "tripod-case/2"
    changed.update(copy.deepcopy(sections))
    return changed


def lines(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(CaseFileError) as info:
        parse_case("case.yaml", doc)
    return [str(p) for p in info.value.problems]


class TestReading:
    def test_version_2_sections_are_read(self, classic_doc: dict[str, Any]) -> None:
        case = parse_case("case.yaml", version_2(classic_doc, **VISIT))
        assert case.outcomes is not None and case.subjective is not None
        assert (3, 26) == (case.outcomes.nprs_now, case.subjective.symptom_weeks)
        assert not case.is_follow_up

    def test_a_follow_up_holds_groc_and_what_was_done_since_the_last_visit(
            self, classic_doc: dict[str, Any]) -> None:
        case = parse_case("case.yaml", version_2(classic_doc, **FOLLOW_UP))
        assert case.is_follow_up and case.since_last_visit is not None
        assert "most" == case.since_last_visit.adherence

    def test_psfs_score_is_the_mean_of_its_activities_to_one_decimal(
            self, classic_doc: dict[str, Any]) -> None:
        doc = version_2(classic_doc, outcomes={"psfs": [{"activity": a, "score": s}
                                                        for a, s in (("a", 4), ("b", 7), ("c", 6))]})
        outcomes = parse_case("case.yaml", doc).outcomes
        assert outcomes is not None
        assert 5.7 == outcomes.psfs_mean()

    def test_a_version_1_file_is_held_and_written_as_version_2(self, classic_doc: dict[str, Any]) -> None:
        case = parse_case("case.yaml", classic_doc)
        assert "tripod-case/2" == case.format
        assert dump_case(case).startswith("format: tripod-case/2\n")

    def test_the_visit_sections_are_written_and_read_back_unchanged(
            self, classic_doc: dict[str, Any], write_case: Any) -> None:
        case = parse_case("case.yaml", version_2(classic_doc, **VISIT))
        for fmt, name in (("yaml", "again.yaml"), ("json", "again.json")):
            assert case == load_case(write_case(dump_case(case, fmt), name))


class TestBadInput:
    """Each a one-line problem naming field, value and what is allowed; nothing is read."""

    @pytest.mark.parametrize(("field", "value", "line"), [
        ("nprs_now", 11, "case.yaml: outcomes.nprs_now = 11: allowed 0 to 10 points"),
        ("nprs_worst_week", -1, "case.yaml: outcomes.nprs_worst_week = -1: allowed 0 to 10 points"),
        ("lefs_total", 81, "case.yaml: outcomes.lefs_total = 81: allowed 0 to 80 points"),
        ("lefs_total", 60.5, "case.yaml: outcomes.lefs_total = 60.5: allowed a whole number"),
    ])
    def test_an_outcome_outside_its_range_names_field_value_and_range(
            self, classic_doc: dict[str, Any], field: str, value: Any, line: str) -> None:
        assert [line] == lines(version_2(classic_doc, outcomes={field: value}))

    def test_groc_outside_its_range_names_it(self, classic_doc: dict[str, Any]) -> None:
        doc = version_2(classic_doc, visit="follow_up", outcomes={"groc": 8})
        assert ["case.yaml: outcomes.groc = 8: allowed -7 to 7 points"] == lines(doc)

    def test_a_psfs_rating_outside_its_range_names_the_activity(self, classic_doc: dict[str, Any]) -> None:
        doc = version_2(classic_doc, outcomes={"psfs": [{"activity": "a", "score": 11}]})
        assert ["case.yaml: outcomes.psfs[0].score = 11: allowed 0 to 10 points"] == lines(doc)

    def test_a_psfs_with_more_than_5_activities_counts_them_without_quoting_them(
            self, classic_doc: dict[str, Any]) -> None:
        psfs = [{"activity": f"secret activity {n}", "score": 5} for n in range(6)]
        assert ["case.yaml: outcomes.psfs = (6 activities): allowed 1 to 5 activities"] == lines(
            version_2(classic_doc, outcomes={"psfs": psfs}))

    def test_a_psfs_without_activities_is_refused(self, classic_doc: dict[str, Any]) -> None:
        assert ["case.yaml: outcomes.psfs = (0 activities): allowed 1 to 5 activities"] == lines(
            version_2(classic_doc, outcomes={"psfs": []}))

    def test_an_empty_psfs_activity_is_refused(self, classic_doc: dict[str, Any]) -> None:
        doc = version_2(classic_doc, outcomes={"psfs": [{"activity": "", "score": 5}]})
        assert ["case.yaml: outcomes.psfs[0].activity = '': allowed at least 1 characters"] == lines(doc)

    def test_groc_on_an_initial_visit_is_refused(self, classic_doc: dict[str, Any]) -> None:
        assert ["case.yaml: outcomes.groc = 4: allowed only on a follow-up visit (visit: follow_up)"] == (
            lines(version_2(classic_doc, outcomes={"groc": 4})))

    def test_since_last_visit_on_an_initial_visit_is_refused(self, classic_doc: dict[str, Any]) -> None:
        doc = version_2(classic_doc, visit="initial", since_last_visit={"adherence": "all"})
        assert [("case.yaml: since_last_visit = (given): allowed only on a follow-up visit "
                "(visit: follow_up)")] == lines(doc)

    def test_a_version_1_file_with_a_version_2_section_is_refused_without_quoting_it(
            self, classic_doc: dict[str, Any]) -> None:
        doc = copy.deepcopy(classic_doc) | copy.deepcopy(VISIT)
        assert [f"case.yaml: {section} = (given): allowed only in a tripod-case/2 file; this one "
                "says format: tripod-case/1" for section in ("subjective", "outcomes")] == lines(doc)

    def test_an_unknown_constraint_followed_names_the_contract_ids(self, classic_doc: dict[str, Any]) -> None:
        doc = version_2(classic_doc, **{**FOLLOW_UP, "since_last_visit": {
            "constraints_followed": ["stretch_more"]}})
        ids = ", ".join(catalog().constraints)
        assert [(f"case.yaml: since_last_visit.constraints_followed[0] = 'stretch_more': allowed a "
                f"constraint id: {ids}")] == lines(doc)
        assert "restore_medial_foot_loading" in ids

    def test_an_unknown_adherence_names_the_choices(self, classic_doc: dict[str, Any]) -> None:
        doc = version_2(classic_doc, **{**FOLLOW_UP, "since_last_visit": {"adherence": "mostly"}})
        assert [("case.yaml: since_last_visit.adherence = 'mostly': allowed one of all, most, some, none, "
                "unknown")] == lines(doc)

    def test_an_unknown_visit_names_the_choices(self, classic_doc: dict[str, Any]) -> None:
        assert ["case.yaml: visit = 'second': allowed one of initial, follow_up"] == lines(
            version_2(classic_doc, visit="second"))

    @pytest.mark.parametrize("field", ["complaint", "goals"])
    def test_subjective_text_with_a_control_character_is_refused_like_notes(
            self, classic_doc: dict[str, Any], field: str) -> None:
        [line] = lines(version_2(classic_doc, subjective={field: "a\x1b[31m"}))
        assert line == (f"case.yaml: subjective.{field} = 'a\\x1b[31m': allowed text without control "
                        "characters (line breaks and tabs are kept); found a control character U+001B "
                        "at character 2")

    def test_a_psfs_activity_is_one_line(self, classic_doc: dict[str, Any]) -> None:
        [line] = lines(version_2(classic_doc, outcomes={"psfs": [{"activity": "a\nb", "score": 1}]}))
        assert line.startswith("case.yaml: outcomes.psfs[0].activity = 'a\\nb': allowed one line")


class TestNeverReasonedOn:
    def test_no_fact_is_declared_for_the_visit_sections(self, classic_doc: dict[str, Any]) -> None:
        case = parse_case("case.yaml", version_2(classic_doc, **FOLLOW_UP) | {"subjective": VISIT["subjective"]})
        segments = {fact["segment"] for fact in observations(case)}
        assert not segments & {"visit", "subjective", "outcomes", "since_last_visit"}

    @pytest.mark.parametrize("sections", [VISIT, FOLLOW_UP], ids=["initial", "follow_up"])
    def test_an_assessment_is_the_same_with_and_without_the_visit_sections(
            self, classic_doc: dict[str, Any], sections: dict[str, Any]) -> None:
        without = assess(parse_case("case.yaml", classic_doc))
        with_them = assess(parse_case("case.yaml", version_2(classic_doc, **sections)))
        assert without.model_dump() == with_them.model_dump()


class TestShownInReports:
    """The client's words, the outcomes and the notes are shown, escaped; the client report shows
    the complaint and goals in the client's words, never the notes."""

    @staticmethod
    def rendered(doc: dict[str, Any], audience: str) -> str:
        case = parse_case("case.yaml", doc)
        return render_report(assess(case), case, audience)

    def test_the_practitioner_report_shows_the_account_the_outcomes_and_the_notes(
            self, classic_doc: dict[str, Any]) -> None:
        doc = version_2(classic_doc, **VISIT) | {"notes": "Knee <b>drifts</b> & more"}
        html = self.rendered(doc, "practitioner")
        assert "Glutes not growing; hamstrings take over in RDLs" in html
        assert "Feel the glutes in hinges" in html
        assert "<dd>5.5 of 10</dd>" in html  # the PSFS: (4 + 7) / 2
        assert "<dd>3 of 10</dd>" in html and "<dd>61 of 80</dd>" in html
        assert "Knee &lt;b&gt;drifts&lt;/b&gt; &amp; more" in html

    def test_the_client_report_shows_the_complaint_and_goals_but_not_the_notes(
            self, classic_doc: dict[str, Any]) -> None:
        doc = version_2(classic_doc, **VISIT) | {"notes": "Told in confidence"}
        doc["subjective"]["complaint"] = "My <script>glutes</script>"
        html = self.rendered(doc, "client")
        assert "My &lt;script&gt;glutes&lt;/script&gt;" in html and "<script>" not in html
        assert "Feel the glutes in hinges" in html
        assert "Your activities score: 5.5 out of 10" in html
        assert "Told in confidence" not in html

    def test_a_follow_up_shows_groc_and_the_constraints_followed(self, classic_doc: dict[str, Any]) -> None:
        html = self.rendered(version_2(classic_doc, **FOLLOW_UP), "practitioner")
        titles = [catalog().texts.constraints[c].title
                  for c in FOLLOW_UP["since_last_visit"]["constraints_followed"]]
        assert "; ".join(titles) in html
        assert "<dd>+4</dd>" in html
        assert "<dd>most</dd>" in html
