"""Practitioner and client reports: real templates, real WeasyPrint PDFs, and `tripod report`."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any

import pypdf
import pytest
import textstat
import yaml
from typer.testing import CliRunner

from engine.inference import assess
from engine.intake import Case
from engine.trace import Assessment
from engine.whatif import analyse
from knowledge.catalog import catalog
from knowledge.rules.reach import segment_findings
from reports import pictures
from reports.pdf import html_to_pdf, is_font_fallback, render_pdf
from reports.render import evidence, render_report
from storage.casefile import load_case, parse_case
from tests.conftest import CASES, EXAMPLES, ROOT, example_paths, golden_case
from tripod.cli.app import app

runner = CliRunner()
AUDIENCES = ("practitioner", "client")
CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
REFERRAL = EXAMPLES / "red_flag_referral.yaml"
PARTLY = EXAMPLES / "partly_assessed.yaml"
HOSTILE_NAME = "Zoë <script>alert(1)</script> Brontë"

# The hint `tripod report` gives when WeasyPrint embedded fonts without HarfBuzz subsetting, word for word.
SLOW_FONTS = ("tripod: note: PDF fonts were embedded without HarfBuzz subsetting, which is slower; "
              "install it for faster reports (Debian: apt-get install libharfbuzz-subset0)")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def weasyprint_log() -> Iterator[list[logging.LogRecord]]:
    """WeasyPrint's warnings during the test, from its own logger (they do not reach the root)."""
    records = _Records()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(records)
    try:
        yield records.records
    finally:
        logger.removeHandler(records)


@cache
def assessed(path: Path) -> tuple[Case, Assessment]:
    case = load_case(path)
    return case, assess(case)


def report(path: Path, audience: str) -> str:
    case, assessment = assessed(path)
    return render_report(assessment, case, audience)


GOLDEN = sorted(CASES.glob("*.yaml"))


def client_strings() -> list[tuple[str, str]]:
    """Every string a client can read: the client wording of findings, root causes (and their
    variants), constraints and statuses, the client parts of report_texts.yaml, the examination
    flags' client wording, and the literal text of the client template."""
    kb = catalog()
    out: list[tuple[str, str]] = []
    for table in ("findings", "root_causes", "constraints", "statuses"):
        for key, words in getattr(kb.texts, table).items():
            out += [(f"{table}.{key}.client", words.client),
                    (f"{table}.{key}.client_title", words.client_title or "")]
            out += [(f"{table}.{key}.client_when.{p}", f"{v.client_title} {v.client}")
                    for p, v in words.client_when.items()]
    rt = kb.report_texts
    out += [("disclaimer.client", rt.disclaimer.client),
            ("disclaimer.client_referral", rt.disclaimer.client_referral)]
    out += [(f"urgency.{k}", f"{v.client_title} {v.client}") for k, v in rt.urgency.items()]

    def walk(where: str, value: Any) -> None:
        if isinstance(value, str):
            out.append((where, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(f"{where}.{key}", item)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                walk(f"{where}[{index}]", item)

    walk("client", rt.client.model_dump())
    out += [(f"examination.{k}", f"{v.client_title or ''} {v.client or ''}")
            for k, v in kb.red_flags.examination.items()]
    template = (ROOT / "reports/templates/client.html.j2").read_text()
    out.append(("client.html.j2", re.sub(r"\{[{%#].*?[}%#]\}|<[^>]*>", " ", template, flags=re.DOTALL)))
    return out


class _Text(HTMLParser):
    """The words a reader sees in an HTML report: no stylesheet, no picture, no <title>."""

    SKIP = frozenset({"style", "svg", "title", "head"})

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.depth += tag in self.SKIP

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in self.SKIP

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def squash(text: str) -> str:
    return " ".join(text.split())


def hostile_case(classic_doc: dict[str, Any]) -> Case:
    classic_doc["client"]["name"] = HOSTILE_NAME
    return parse_case("hostile.yaml", classic_doc)


class TestHtml:
    @pytest.mark.parametrize("audience", AUDIENCES)
    @pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
    def test_every_example_renders_to_self_contained_html(self, path: Path, audience: str) -> None:
        html = report(path, audience)
        assert html.startswith("<!DOCTYPE html>")
        assert "<style>" in html and "@page" in html and "counter(pages)" in html
        for outside in ("<script", "<link", "src=", "@import", "url(", "@font-face"):
            assert outside not in html, outside
        # The only URL in a report is the SVG namespace, which names and never fetches.
        assert set(re.findall(r"https?://[^\s\"']+", html)) <= {"http://www.w3.org/2000/svg"}

    def test_practitioner_report_shows_each_finding_with_rules_observations_claims_and_cutoffs(
        self,
    ) -> None:
        _, assessment = assessed(CLASSIC)
        text = html_text(report(CLASSIC, "practitioner"))
        kb = catalog()
        for finding in assessment.findings:
            found = evidence(assessment, finding)
            assert kb.texts.findings[finding.id].title in text
            for rule in found.rules:
                assert rule in text
            for observation in found.observations:
                assert observation.path in text
            for claim in finding.claims:
                assert squash(f"{claim} {kb.claims[claim]}") in text
            for threshold in found.thresholds:
                assert squash(kb.thresholds[threshold.key].meaning) in text

    def test_practitioner_report_labels_every_cutoff_that_is_not_confirmed(
        self, classic_doc: Any
    ) -> None:
        """Secondary, derived and convention cut-offs each carry their warning label."""
        classic_doc["lateral_chain"]["left"] = {"ober_angle_deg": -10, "fibular_head_er": "yes"}
        case = parse_case("derived.yaml", classic_doc)
        assessment = assess(case)
        html = render_report(assessment, case, "practitioner")
        labels = catalog().report_texts.practitioner.threshold_status
        statuses = {
            t.status for f in assessment.findings for t in evidence(assessment, f).thresholds
        }
        assert {"secondary", "derived", "convention"} <= statuses
        for status in statuses - {"confirmed"}:
            assert f'<span class="tag warn">{labels[status]}</span>' in html

    def test_practitioner_report_header_names_the_client_and_the_knowledge_version(self) -> None:
        _, assessment = assessed(CLASSIC)
        text = html_text(report(CLASSIC, "practitioner"))
        for shown in (
            "Sam Carter",
            "TR-0007",
            "31",
            "female",
            "2026-11-20",
            "R. Osteo",
            assessment.knowledge_version,
            catalog().report_texts.disclaimer.practitioner,
        ):
            assert squash(shown) in text

    def test_practitioner_report_shows_root_cause_confidence_and_rejected_alternatives(
        self,
    ) -> None:
        _, assessment = assessed(CLASSIC)
        text = html_text(report(CLASSIC, "practitioner"))
        texts = catalog().texts
        assert assessment.root_cause is not None
        assert (
            f"{texts.root_causes['ascending_foot_chain'].title} (left) confidence: moderate" in text
        )
        for alternative in assessment.alternatives:
            reasons = "; ".join(texts.findings[r].title for r in alternative.rejected_because)
            assert f"{texts.root_causes[alternative.id].title} {reasons}" in text

    def test_missing_observations_keep_unsure_apart_from_not_assessed(self) -> None:
        text = html_text(report(PARTLY, "practitioner"))
        practitioner = catalog().report_texts.practitioner
        text = text[text.index(practitioner.headings["missing"]):]  # page 1 names the first few too
        states = practitioner.missing_states
        unsure = text.index(states["unsure"])
        not_assessed = text.index(states["not_assessed"])
        assert unsure < text.index("feet.left.calcaneal_eversion") < not_assessed
        assert text.index("feet.right.calcaneal_eversion") > not_assessed

    def test_constraints_appear_in_corrective_order(self) -> None:
        _, assessment = assessed(CLASSIC)
        text = html_text(report(CLASSIC, "practitioner"))
        titles = [catalog().texts.constraints[c.id].title for c in assessment.constraints]
        positions = [text.index(t) for t in titles]
        assert positions == sorted(positions)

    def test_references_list_every_cited_source_with_its_citation(self) -> None:
        _, assessment = assessed(CLASSIC)
        text = html_text(report(CLASSIC, "practitioner"))
        references = text[text.rindex(catalog().report_texts.practitioner.headings["references"]) :]
        cited = {s for f in assessment.findings for s in f.sources}
        cited |= {
            s
            for f in assessment.findings
            for t in evidence(assessment, f).thresholds
            for s in t.sources
        }
        for key in cited:
            assert squash(f"{key} {catalog().sources[key].citation}") in references

    def test_referral_report_shows_urgency_and_flag_questions_and_advises_nothing_else(
        self,
    ) -> None:
        _, assessment = assessed(REFERRAL)
        html = report(REFERRAL, "practitioner")
        text = html_text(html)
        kb = catalog()
        assert kb.report_texts.urgency["emergency"].title in text
        assert kb.report_texts.urgency["emergency"].practitioner in text
        for flag in assessment.referral.red_flags:
            assert kb.red_flags.flags[flag].question in text
        headings = kb.report_texts.practitioner.headings
        for absent in (
            headings["root_cause"],
            headings["constraints"],
            headings["findings"],
            headings["chain"],
            headings["tripod"],
        ):
            assert absent not in text
        for wording in [*kb.texts.constraints.values(), *kb.texts.root_causes.values()]:
            assert wording.title not in text
        assert "<svg" not in html

    def test_incomplete_screening_reports_findings_as_provisional_and_advises_nothing(
        self, classic_doc: Any
    ) -> None:
        classic_doc["red_flags"]["rf_fever"] = "unknown"
        case = parse_case("unknown_flag.yaml", classic_doc)
        assessment = assess(case)
        assert assessment.status == "incomplete" and assessment.root_cause is None
        words = catalog().report_texts
        practitioner = html_text(render_report(assessment, case, "practitioner"))
        assert words.practitioner.headings["findings_provisional"] in practitioner
        assert words.pictures.chain.provisional in practitioner
        question = catalog().red_flags.flags["rf_fever"].question
        missing = practitioner.index(words.practitioner.headings["missing"])
        # First on page 1's "What to assess next", then under its state with every other one.
        assert practitioner.index(words.practitioner.headings["next_assess"]) < practitioner.index(
            question) < missing
        unknown = practitioner.index(words.practitioner.missing_states["unknown"], missing)
        assert unknown < practitioner.index(question, unknown)
        assert words.practitioner.headings["constraints"] not in practitioner
        client = html_text(render_report(assessment, case, "client"))
        assert words.client.labels["early"] in client
        assert words.client.headings["found_early"] in client
        assert words.client.headings["do"] not in client

    @pytest.mark.parametrize("tier", ["emergency", "urgent", "routine"])
    def test_a_referral_of_each_tier_says_who_to_see_how_soon(
        self, tier: str, classic_doc: Any
    ) -> None:
        kb = catalog()
        flag = next(
            f
            for f, spec in kb.red_flags.flags.items()
            if spec.tier == tier and spec.effect == "refer"
        )
        classic_doc["red_flags"][flag] = "yes"
        case = parse_case(f"{flag}.yaml", classic_doc)
        assessment = assess(case)
        assert assessment.referral.urgency == tier
        urgency = kb.report_texts.urgency[tier]
        practitioner = html_text(render_report(assessment, case, "practitioner"))
        client = html_text(render_report(assessment, case, "client"))
        assert urgency.title in practitioner and urgency.practitioner in practitioner
        assert kb.red_flags.flags[flag].question in practitioner
        assert urgency.client_title in client and urgency.client in client

    def test_client_name_with_markup_and_accents_is_escaped(self, classic_doc: Any) -> None:
        case = hostile_case(classic_doc)
        assessment = assess(case)
        for audience in AUDIENCES:
            html = render_report(assessment, case, audience)
            assert "<script>" not in html
            assert "Zoë &lt;script&gt;alert(1)&lt;/script&gt; Brontë" in html
            assert HOSTILE_NAME in html_text(html)


class TestPictures:
    def test_chain_marks_each_segment_with_what_was_found_there(self) -> None:
        case, assessment = assessed(CLASSIC)
        chain = pictures.chain(assessment, case)
        boxes = {(b.segment, b.side): b for b in chain.boxes}
        marks = catalog().report_texts.pictures.chain.marks

        def lines(segment: str, side: str | None) -> str:
            return " ".join(line.text for line in boxes[(segment, side)].lines)

        assert marks["compensatory_pronation"].short in lines("foot", "left")
        assert marks["first_met_unloaded"].short in lines("foot", "left")
        assert marks["tripod_holds"].short in lines("foot", "right")
        assert marks["tibial_er_bias"].short in lines("tibia", "left")
        assert f"{marks['hip_ir_limited'].short} (borderline)" in lines("hip", "left")
        assert marks["hip_ir_available"].short in lines("hip", "right")
        assert marks["pelvic_er_orientation"].short in lines("pelvis", None)
        assert boxes[("tibia", "right")].state == "empty"
        assert [b.side for b in chain.boxes if b.origin] == ["left"]
        assert (
            len(chain.arrows) == 1 and chain.arrows[0].y1 > chain.arrows[0].y2
        )  # upward, foot to hip
        assert [s.text.split(" (")[0] for s in chain.shared] == [marks["hip_ir_asymmetric"].short]

    def test_chain_shows_unassessed_segments_as_such(self) -> None:
        case, assessment = assessed(PARTLY)
        states = {(b.segment, b.side): b.state for b in pictures.chain(assessment, case).boxes}
        assert states == {
            ("pelvis", None): "not_assessed",
            ("hip", "left"): "found",
            ("hip", "right"): "not_assessed",
            ("tibia", "left"): "not_assessed",
            ("tibia", "right"): "not_assessed",
            ("foot", "left"): "found",
            ("foot", "right"): "not_assessed",
        }
        html = report(PARTLY, "practitioner")
        svg = html[html.index("<svg") : html.index("</svg>")]
        assert svg.count(catalog().report_texts.pictures.chain.not_assessed) == 5

    def test_a_segment_judged_only_unsure_is_drawn_as_unsure(self, classic_doc: Any) -> None:
        classic_doc["tibia"]["right"] = {"rotation_bias": "unsure"}
        classic_doc["lateral_chain"]["right"] = {"ober": "unsure", "fibular_head_er": "unsure"}
        case = parse_case("unsure.yaml", classic_doc)
        boxes = {(b.segment, b.side): b for b in pictures.chain(assess(case), case).boxes}
        assert boxes[("tibia", "right")].state == "unsure"

    def test_tripod_draws_the_entered_contact_of_each_point(self) -> None:
        case, _ = assessed(PARTLY)
        picture = pictures.tripods(case)
        drawn = {
            (row.label, foot.side, point.name): point.state
            for row in picture.rows
            for foot in row.feet
            for point in foot.points
        }
        hinge, split = catalog().report_texts.pictures.tripod.movements.values()
        assert drawn[(hinge, "left", "first_met")] == "lost"
        assert drawn[(hinge, "left", "heel")] == "not_assessed"
        assert drawn[(hinge, "right", "first_met")] == "not_assessed"
        assert {
            drawn[(split, side, p)]
            for side in ("left", "right")
            for p in ("heel", "first_met", "fifth_met")
        } == {"not_assessed"}

    def test_tripod_mirrors_the_left_foot_so_both_big_toes_face_the_middle(self) -> None:
        case, _ = assessed(CLASSIC)
        left, right = pictures.tripods(case).rows[0].feet
        first = {f.side: next(p for p in f.points if p.name == "first_met") for f in (left, right)}
        assert first["left"].x - left.x > pictures.FOOT_W / 2 > first["right"].x - right.x


class TestClientReport:
    def test_client_report_uses_the_client_wording_of_findings_and_constraints(self) -> None:
        """The findings that matter in their client words, those that look fine in one line, and
        each constraint as a step: its handout card, else its client wording (issue 18)."""
        from reports.handout import cards, findings_that_matter

        _, assessment = assessed(CLASSIC)
        text = html_text(report(CLASSIC, "client"))
        texts = catalog().texts
        client = catalog().report_texts.client
        matter = findings_that_matter(assessment)
        assert 0 < len(matter.shown) <= client.most_findings
        for finding_id, _sides in matter.shown:
            words = texts.findings[finding_id]
            assert words.client_title and words.client_title in text
            assert words.client in text
        for phrase in matter.fine:
            assert phrase in text
        assert texts.findings["programme_sound"].client_title not in text
        handed = cards(assessment)
        for constraint in assessment.constraints:
            if constraint.id == "avoid_pressure_cues":
                continue
            assert client.steps[constraint.id] in text
            card = handed.get(constraint.id)
            assert (card.change if card else texts.constraints[constraint.id].client) in text
        assert texts.findings["compensatory_pronation"].practitioner not in text
        # Pressure cues are said once, after the steps.
        assert text.index(client.headings["handout"]) < text.index(
            texts.constraints["avoid_pressure_cues"].client)
        assert client.seek_help.items[0] in text

    def test_pressure_cues_are_left_out_when_they_were_not_advised(self) -> None:
        _, assessment = assessed(EXAMPLES / "pelvis_driven_ir_loss.yaml")
        assert "avoid_pressure_cues" not in {c.id for c in assessment.constraints}
        text = html_text(report(EXAMPLES / "pelvis_driven_ir_loss.yaml", "client"))
        assert catalog().texts.constraints["avoid_pressure_cues"].client not in text

    def test_client_referral_gives_only_the_referral_and_who_to_see_how_soon(self) -> None:
        text = html_text(report(REFERRAL, "client"))
        kb = catalog()
        urgency = kb.report_texts.urgency["emergency"]
        assert urgency.client_title in text and urgency.client in text
        assert kb.texts.statuses["referral"].client in text
        for heading in ("handout", "think", "found", "picture", "help"):
            assert kb.report_texts.client.headings[heading] not in text
        for wording in kb.texts.constraints.values():
            assert wording.client not in text

    @pytest.mark.parametrize("path", [*example_paths(), *GOLDEN], ids=lambda p: p.stem)
    def test_client_report_reads_at_about_age_twelve(self, path: Path) -> None:
        """Flesch-Kincaid grade 7 or under: about a reading age of 12."""
        case, assessment = golden(path.stem) if path.parent == CASES else assessed(path)
        grade = textstat.flesch_kincaid_grade(html_text(render_report(assessment, case, "client")))
        assert grade <= 7, grade

    def test_no_client_wording_says_never_or_always(self) -> None:
        """A client sentence states what the model suggests, not a certainty about the body: every
        client-facing string of the knowledge files and the client template is scanned."""
        found = [(where, text) for where, text in client_strings()
                 if re.search(r"\b(never|always)\b", text, re.IGNORECASE)]
        assert found == []

    def test_the_client_is_told_the_ideas_are_not_tested(self) -> None:
        disclaimer = catalog().report_texts.disclaimer.client
        assert "not been tested" in disclaimer and "fully" not in disclaimer

    def test_a_low_confidence_partly_assessed_guess_says_so_in_plain_words(self) -> None:
        case, assessment = golden("14_ir_loss_without_pelvic_signs")
        assert assessment.root_cause and assessment.root_cause.confidence == "low"
        assert assessment.missing_detail
        labels = catalog().report_texts.client.labels
        text = html_text(render_report(assessment, case, "client"))
        assert labels["confidence_low"] in text and labels["partly_assessed"] in text
        case, assessment = golden("04_bilateral_ascending")
        assert assessment.root_cause and assessment.root_cause.confidence == "high"
        text = html_text(render_report(assessment, case, "client"))
        assert labels["confidence_high"] in text and labels["confidence_low"] not in text

    def test_the_pelvic_root_is_told_by_whether_an_er_pelvis_was_found(self) -> None:
        """ROOT-03 found the pelvis turned out; ROOT-04 concluded the pelvis only as the model's
        remainder (penalty pelvic_position_not_confirmed), so the client must not read that the
        pelvis was found turned out."""
        words = catalog().texts.root_causes["descending_pelvic_chain"]
        unconfirmed = words.client_when["pelvic_position_not_confirmed"]
        case, confirmed = golden("13_descending_pelvic_chain")
        assert confirmed.root_cause and confirmed.root_cause.rule == "ROOT-03"
        text = html_text(render_report(confirmed, case, "client"))
        assert words.client in text and unconfirmed.client not in text
        case, remainder = golden("14_ir_loss_without_pelvic_signs")
        assert remainder.root_cause and remainder.root_cause.rule == "ROOT-04"
        assert case.pelvis and case.pelvis.rotation_bias == "neutral"
        text = html_text(render_report(remainder, case, "client"))
        assert unconfirmed.client in text and unconfirmed.client_title in text
        assert words.client not in text and "turned out" not in text.split(unconfirmed.client)[0]

    @pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
    def test_client_report_avoids_unexplained_jargon(self, path: Path) -> None:
        text = html_text(report(path, "client"))
        jargon = (
            r"\b(ER|IR|nutat\w*|counternutat\w*|metatars\w*|pronat\w*|tibia\w*|femur|femoral"
            r"|medial|lateral|dorsiflex\w*|hallux|MTP|eccentric\w*|hypothes\w*|constraints?)\b"
        )
        assert re.findall(jargon, text, flags=re.IGNORECASE) == []


def golden(name: str) -> tuple[Case, Assessment]:
    """A golden case of tests/cases, parsed and assessed."""
    case = parse_case(f"{name}.yaml", golden_case(CASES / f"{name}.yaml")["intake"])
    return case, assess(case)


class TestHipSafety:
    """Examination findings that are hip flags themselves (instruments.md section 14i)."""

    def test_scfe_signs_refer_with_the_convention_cut_offs_and_no_chain_reasoning(self) -> None:
        case, assessment = golden("66_scfe_signs_left_at_13_refer_whatever_rf_scfe")
        assert case.red_flags.rf_scfe == "no"
        assert {"EXAM-01", "EXAM-02", "AGE-01"} == {step.rule for step in assessment.trace}
        kb = catalog()
        spec = kb.red_flags.examination["exam_scfe_signs"]
        practitioner = html_text(render_report(assessment, case, "practitioner"))
        assert spec.question in practitioner and (spec.tier_note or "") in practitioner
        assert kb.report_texts.practitioner.threshold_status["convention"] in practitioner
        for key in ("scfe_age", "scfe_ir_at_most", "scfe_er_high", "scfe_er_excess"):
            assert kb.thresholds[key].meaning in practitioner
        client = html_text(render_report(assessment, case, "client"))
        assert spec.client_title and spec.client_title in client and (spec.client or "") in client
        assert kb.texts.statuses["referral"].client not in client  # nothing was "told us"
        assert kb.report_texts.urgency["urgent"].client not in client  # "today", not "in days"
        for heading in ("do", "found", "why", "cause"):
            assert kb.report_texts.client.headings[heading] not in client

    def test_hip_rotation_lost_both_ways_holds_the_screening_and_says_why(self) -> None:
        case, assessment = golden("60_hip_rotation_lost_both_ways_left_at_50_is_incomplete")
        kb = catalog()
        assert assessment.missing_detail[0].path == "hips.left"
        practitioner = html_text(render_report(assessment, case, "practitioner"))
        assert kb.texts.findings["hip_rotation_lost_both_ways"].practitioner in practitioner
        assert kb.report_texts.practitioner.labels["hip_joint"] in practitioner
        assert kb.report_texts.practitioner.headings["constraints"] not in practitioner
        client = html_text(render_report(assessment, case, "client"))
        assert kb.texts.findings["hip_rotation_lost_both_ways"].client in client
        assert kb.report_texts.client.headings["do"] not in client

    def test_an_older_clients_ir_loss_alone_keeps_the_advice_and_recommends_a_joint_check(
        self,
    ) -> None:
        case, assessment = golden("63_er_25_at_50_ir_loss_alone_advises_a_hip_joint_check")
        assert assessment.status == "complete" and assessment.constraints
        client = html_text(render_report(assessment, case, "client"))
        assert catalog().texts.findings["hip_joint_check_advised"].client in client


    def test_an_answered_scfe_question_says_today_and_nothing_points_below(self, tmp_path: Path
                                                                          ) -> None:
        """rf_scfe answered yes is same day (instruments.md 14f), not the urgent tier's "in the next
        few days"; beside the examination signs, no sentence points to advice that is not there."""
        kb = catalog()
        answered = kb.red_flags.flags["rf_scfe"]
        case, assessment = golden("66_scfe_signs_left_at_13_refer_whatever_rf_scfe")
        case = case.model_copy(update={"red_flags": case.red_flags.model_copy(
            update={"rf_scfe": "yes"})})
        assessment = assess(case)
        assert set(assessment.referral.red_flags) == {"rf_scfe", "exam_scfe_signs"}
        client = html_text(render_report(assessment, case, "client"))
        assert (answered.client_title or "") in client and (answered.client or "") in client
        assert kb.report_texts.urgency["urgent"].client not in client
        assert "below" not in client
        case = case.model_copy(update={"hips": None})  # the question alone
        assessment = assess(case)
        assert list(assessment.referral.red_flags) == ["rf_scfe"]
        client = html_text(render_report(assessment, case, "client"))
        assert (answered.client or "") in client
        assert kb.report_texts.urgency["urgent"].client_title not in client

    def test_a_hip_that_lost_rotation_both_ways_is_not_read_as_the_chain(self) -> None:
        """The joint itself is suspected (EXAM-03): neither the ascending chain nor the lift faults
        read as avoiding IR are concluded on that side (instruments.md 14i)."""
        for name, side in (("60_hip_rotation_lost_both_ways_left_at_50_is_incomplete", "left"),
                           ("61_hip_rotation_lost_both_ways_right_at_67_is_incomplete", "right")):
            _, assessment = golden(name)
            on_side = {f.id for f in assessment.findings if f.side == side}
            assert "hip_rotation_lost_both_ways" in on_side
            assert not on_side & {"ascending_er_chain", "ir_avoidance_in_lifts"}


class TestSidesThatDisagree:
    """When each side reaches its own cause, the client reads each side's own story."""

    def test_the_client_reads_each_sides_cause_in_its_own_words(self) -> None:
        kb = catalog()
        case, assessment = golden("42_left_foot_chain_and_right_pelvic_chain_side_by_side")
        root = assessment.root_cause
        assert root and [f"{s.side}:{s.id}" for s in root.by_side] == [
            "left:ascending_foot_chain", "right:descending_pelvic_chain"]
        client = html_text(render_report(assessment, case, "client"))
        labels = kb.report_texts.client.labels
        foot = kb.texts.root_causes["ascending_foot_chain"].client_when["hip_ir_not_limited"]
        pelvis = kb.texts.root_causes["descending_pelvic_chain"].client_when[
            "pelvic_position_not_confirmed"]
        assert labels["sides_differ"] in client
        assert f"{foot.client_title} ({labels['left']})" in client and foot.client in client
        assert f"{pelvis.client_title} ({labels['right']})" in client and pelvis.client in client

    def test_on_a_tie_the_side_whose_hip_lost_ir_leads(self) -> None:
        """The model turns on the IR loss (C8, C19): a foot chain on a side whose hip is free does
        not lead over a pelvic chain on the side that lost IR."""
        _, assessment = golden("42_left_foot_chain_and_right_pelvic_chain_side_by_side")
        assert assessment.root_cause and assessment.root_cause.id == "descending_pelvic_chain"
        assert assessment.root_cause.sides == ("right",)


class TestReportTexts:
    def test_report_texts_cover_every_id_a_report_can_meet(self) -> None:
        kb = catalog()
        words = kb.report_texts
        assert set(words.client.why) == set(kb.root_causes.causes)
        assert set(words.client.steps) == set(kb.constraints)
        assert set(words.urgency) == {"emergency", "urgent", "routine"}
        assert set(words.practitioner.threshold_status) >= {
            t.status for t in kb.thresholds.values()
        }
        chain = words.pictures.chain
        drawn = (
            {f for drawn in segment_findings().values() for f in drawn} | set(chain.links) | set(chain.marks)
        )
        assert drawn <= set(kb.texts.findings)
        assert set(chain.origins) <= set(kb.root_causes.causes)


@pytest.mark.slow
class TestPdf:
    @pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
    def test_every_example_renders_to_pdf_with_its_conclusion_and_the_disclaimer(
        self, path: Path, weasyprint_log: list[logging.LogRecord]
    ) -> None:
        """Any WeasyPrint warning fails it, but its fallback to fontTools on a machine without
        HarfBuzz subsetting (a speed note, not a fault of the report)."""
        case, assessment = assessed(path)
        kb = catalog()
        practitioner = pdf_text(render_pdf(assessment, case, "practitioner"))
        client = pdf_text(render_pdf(assessment, case, "client"))
        assert [r.getMessage() for r in weasyprint_log if not is_font_fallback(r)] == []
        assert squash(kb.report_texts.disclaimer.practitioner) in practitioner
        client_disclaimer = (
            kb.report_texts.disclaimer.client_referral
            if assessment.referral.required
            else kb.report_texts.disclaimer.client
        )
        assert squash(client_disclaimer) in client
        if assessment.root_cause is not None:
            assert kb.texts.root_causes[assessment.root_cause.id].title in practitioner
            assert kb.texts.root_causes[assessment.root_cause.id].client_title in client
        for finding in assessment.findings:
            assert kb.texts.findings[finding.id].title in practitioner
        assert re.search(r"Page 1 of \d+", practitioner)

    @pytest.mark.parametrize("path", [CLASSIC, EXAMPLES / "pelvis_driven_ir_loss.yaml"],
                             ids=lambda p: p.stem)
    def test_no_word_of_the_evidence_tables_is_split_across_lines(self, path: Path) -> None:
        """Issue 18: values such as "counternutated" and "hamstrings, lower back" broke mid-word.
        Every word the evidence appendix shows comes out of the PDF whole, as often as the HTML
        has it (a word cut in two would count once less)."""
        case, assessment = assessed(path)
        solid = analyse(case)
        html = render_report(assessment, case, "practitioner", solid)
        headings = catalog().report_texts.practitioner.headings
        appendix = html[html.index('<section class="appendix">'):html.index('<section class="references">')]
        text = pdf_text(html_to_pdf(html))
        start = text.index(headings["findings"] if assessment.status == "complete"
                           else headings["findings_provisional"])
        shown = text[start:text.rindex(headings["references"])]
        # A hyphen is a place to break a line ("toe-" / "biased"), so it separates words here; the
        # column headings are printed in capitals.
        words = re.compile(r"[\w.]+")
        missing = (Counter(words.findall(html_text(appendix).lower()))
                   - Counter(words.findall(shown.lower())))
        assert not missing, missing
        assert "counternutated" in words.findall(shown) or path != CLASSIC

    def test_referral_pdf_contains_no_training_constraints(self) -> None:
        case, assessment = assessed(REFERRAL)
        texts = catalog().texts
        for audience in AUDIENCES:
            text = pdf_text(render_pdf(assessment, case, audience))
            for wording in texts.constraints.values():
                assert wording.title not in text
                assert squash(wording.client)[:40] not in text
                assert squash(wording.practitioner)[:40] not in text

    def test_client_name_with_markup_and_accents_prints_literally(self, classic_doc: Any) -> None:
        case = hostile_case(classic_doc)
        assessment = assess(case)
        for audience in AUDIENCES:
            # The name may wrap inside its narrow column, so compare without the spaces.
            text = pdf_text(render_pdf(assessment, case, audience)).replace(" ", "")
            assert HOSTILE_NAME.replace(" ", "") in text

    def test_pdf_renderer_refuses_to_fetch_anything(
        self, tmp_path: Path, weasyprint_log: list[logging.LogRecord]
    ) -> None:
        """A report is self-contained; a stray URL must not reach the network or the disk."""
        secret = tmp_path / "secret.svg"
        secret.write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50">'
            '<text x="0" y="20">SECRET-TEXT</text></svg>'
        )
        html = f'<html><body><p>x</p><img src="{secret.as_uri()}"></body></html>'
        data = html_to_pdf(html)
        assert "SECRET-TEXT" not in pdf_text(data)
        assert any(secret.as_uri() in r.getMessage() for r in weasyprint_log)


def test_referral_report_names_the_red_flags_left_unanswered() -> None:
    text = squash(html_text(report(EXAMPLES / "red_flag_referral.yaml", "practitioner")))
    assert "Red flags not answered" in text
    assert "rf_ces_bladder" in text


def tripod(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed `tripod` command run as a real process."""
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    return subprocess.run([exe, *args], check=False, capture_output=True, text=True, timeout=120)


class TestCli:
    def test_report_writes_private_html(self, tmp_path: Path) -> None:
        out = tmp_path / "out" / "client.html"
        result = runner.invoke(
            app, ["report", str(CLASSIC), "--audience", "client", "--html", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{out}: client report (HTML)\n"
        assert out.read_text(encoding="utf-8") == report(CLASSIC, "client")
        assert os.stat(out).st_mode & 0o777 == 0o600
        assert [p.name for p in out.parent.iterdir()] == ["client.html"]  # no temporary file left

    @pytest.mark.slow
    def test_report_writes_private_html_and_pdf(self, tmp_path: Path) -> None:
        html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
        html.write_text("old")
        result = runner.invoke(
            app,
            [
                "report",
                str(CLASSIC),
                "--audience",
                "practitioner",
                "--html",
                str(html),
                "--pdf",
                str(pdf),
                "--force",
            ],
        )
        assert result.exit_code == 0, result.output
        case, assessment = assessed(CLASSIC)
        expected = render_report(assessment, case, "practitioner", analyse(case))
        assert html.read_text(encoding="utf-8") == expected
        assert "Sam Carter" in pdf_text(pdf.read_bytes())
        assert {os.stat(p).st_mode & 0o777 for p in (html, pdf)} == {0o600}
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf"]

    def test_practitioner_report_says_how_solid_the_conclusion_is(self, tmp_path: Path,
                                                                    classic_doc: Any) -> None:
        """The what-if analysis of the same case: a left hip IR of 16 flips at 14."""
        doc = yaml.safe_load((ROOT / "tests" / "cases" / "01_clean_no_chain_deficit.yaml").read_text())
        doc["intake"]["hips"]["left"]["ir_deg"] = 16
        case_file = tmp_path / "borderline.yaml"
        case_file.write_text(yaml.safe_dump(doc["intake"]))
        out = tmp_path / "p.html"
        result = runner.invoke(app, ["report", str(case_file), "--audience", "practitioner",
                                     "--html", str(out)])
        assert result.exit_code == 0, result.output
        text = squash(html_text(out.read_text(encoding="utf-8")))
        assert "How solid is this?" in text
        assert "does not survive a plausible measurement error" in text
        assert "hips.left.ir_deg 16 → 14: Descending pelvic chain (0.37 times its measurement error)" in text
        client = tmp_path / "c.html"
        runner.invoke(app, ["report", str(case_file), "--audience", "client", "--html", str(client)])
        assert "How solid" not in client.read_text(encoding="utf-8")

    def test_an_incomplete_screening_has_no_how_solid_section(self, classic_doc: Any) -> None:
        """Only a conclusion can be more or less solid; an unanswered red flag leaves none."""
        from engine.whatif import analyse

        classic_doc["red_flags"]["rf_fever"] = "unknown"
        case = parse_case("c.yaml", classic_doc)
        assessment = assess(case)
        assert (assessment.status, assessment.root_cause) == ("incomplete", None)
        html = render_report(assessment, case, "practitioner", analyse(case))
        assert "How solid" not in html

    def test_report_without_an_output_exits_2_naming_both_options(self) -> None:
        result = runner.invoke(app, ["report", str(CLASSIC), "--audience", "client"])
        assert result.exit_code == 2
        assert (
            result.stderr
            == "report: --html, --pdf = (neither given): allowed --html FILE, --pdf FILE or both\n"
        )

    def test_report_with_an_unknown_audience_exits_2_listing_the_allowed_ones(
        self, tmp_path: Path
    ) -> None:
        result = runner.invoke(
            app,
            ["report", str(CLASSIC), "--audience", "patient", "--html", str(tmp_path / "r.html")],
        )
        assert result.exit_code == 2
        assert "--audience" in result.stderr and "'practitioner', 'client'" in result.stderr
        assert not (tmp_path / "r.html").exists()

    def test_report_without_an_audience_exits_2(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["report", str(CLASSIC), "--html", str(tmp_path / "r.html")])
        assert result.exit_code == 2
        assert "Missing option '--audience'" in result.stderr

    def test_report_to_a_directory_or_twice_to_one_file_exits_2(self, tmp_path: Path) -> None:
        result = runner.invoke(
            app,
            [
                "report",
                str(CLASSIC),
                "--audience",
                "client",
                "--html",
                str(tmp_path),
                "--pdf",
                str(tmp_path / "a"),
            ],
        )
        assert result.exit_code == 2
        assert (
            result.stderr
            == f"report: --html = {str(tmp_path)!r}: is a directory; allowed a file name\n"
        )
        same = tmp_path / "same"
        result = runner.invoke(
            app,
            [
                "report",
                str(CLASSIC),
                "--audience",
                "client",
                "--html",
                str(same),
                "--pdf",
                str(same),
            ],
        )
        assert result.exit_code == 2
        assert (
            result.stderr
            == f"report: --pdf = {str(same)!r}: is the --html file; allowed a different file\n"
        )

    def test_report_of_a_bad_case_file_exits_2_with_its_problems(
        self, classic_doc: Any, write_case: Any, tmp_path: Path
    ) -> None:
        classic_doc["hips"]["left"]["ir_deg"] = 140
        bad = write_case(classic_doc, "bad.yaml")
        result = runner.invoke(
            app, ["report", str(bad), "--audience", "client", "--html", str(tmp_path / "r.html")]
        )
        assert result.exit_code == 2
        assert result.stderr == f"{bad}: hips.left.ir_deg = 140: allowed -20 to 100 deg\n"
        assert "Traceback" not in result.output

    def test_report_to_an_unwritable_place_exits_1_naming_the_option(self, tmp_path: Path) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("")
        target = blocker / "r.html"
        result = runner.invoke(
            app, ["report", str(CLASSIC), "--audience", "client", "--html", str(target)]
        )
        assert result.exit_code == 1
        assert result.stderr.startswith(f"report: --html = {str(target)!r}: cannot be written (")
        assert "Traceback" not in result.output

    def test_report_onto_its_own_case_file_is_refused_and_the_case_kept(self, tmp_path: Path
                                                                        ) -> None:
        """`tripod report CASE --pdf CASE` once replaced the case file with a PDF."""
        case = tmp_path / "case.yaml"
        shutil.copy(CLASSIC, case)
        for extra in ([], ["--force"]):
            done = tripod("report", str(case), "--audience", "client", "--pdf", str(case), *extra)
            assert done.returncode == 2, done.stderr
            assert done.stderr == (f"report: --pdf = {str(case)!r}: is the case file; allowed a "
                                   "different file\n")
            assert case.read_bytes() == CLASSIC.read_bytes()

    def test_report_refuses_an_existing_file_without_force(self, tmp_path: Path) -> None:
        out = tmp_path / "r.html"
        out.write_text("kept")
        done = tripod("report", str(CLASSIC), "--audience", "client", "--html", str(out))
        assert done.returncode == 2
        assert done.stderr == (f"report: --html = {str(out)!r}: exists; allowed a new file, or "
                               "--force to overwrite\n")
        assert out.read_text() == "kept"
        assert tripod("report", str(CLASSIC), "--audience", "client", "--html", str(out),
                      "--force").returncode == 0
        assert out.read_text() != "kept"

    @pytest.mark.parametrize("kind", ["fifo", "device", "link to a fifo"])
    def test_report_never_replaces_a_fifo_or_a_device_even_with_force(self, tmp_path: Path,
                                                                      kind: str) -> None:
        """Made in tmp_path: /dev/full (1, 7) is the device a root run once replaced."""
        import stat

        out = tmp_path / "r.html"
        if kind == "device":
            os.mknod(out, 0o600 | stat.S_IFCHR, os.makedev(1, 7))
            what = "a device"
        else:
            os.mkfifo(tmp_path / "pipe" if kind != "fifo" else out)
            if kind != "fifo":
                out.symlink_to(tmp_path / "pipe")
            what = "a FIFO"
        done = tripod("report", str(CLASSIC), "--audience", "client", "--html", str(out),
                      "--force")
        assert done.returncode == 2
        assert done.stderr == (f"report: --html = {str(out)!r}: is {what}; allowed a regular file "
                               "or a new name\n")
        assert not stat.S_ISREG(os.stat(out).st_mode)

    @pytest.mark.slow
    @pytest.mark.parametrize("subsetting", ["as_installed", "missing"])
    def test_installed_tripod_writes_a_pdf_report_as_a_real_process(
        self, tmp_path: Path, subsetting: str
    ) -> None:
        """No library log line reaches the clinician; without HarfBuzz subsetting (a fresh
        Debian machine) one hint in Tripod's words does."""
        exe = shutil.which("tripod")
        assert exe, "the tripod console script is not installed"
        out = tmp_path / "referral.pdf"
        env = dict(os.environ)
        if subsetting == "missing":
            if not sys.platform.startswith("linux"):
                pytest.skip("the library is hidden through the Linux dynamic loader")
            # An empty file of that name first on the loader's path: dlopen fails, WeasyPrint
            # takes its fontTools fallback, as on a machine without libharfbuzz-subset0.
            hidden = tmp_path / "lib"
            hidden.mkdir()
            (hidden / "libharfbuzz-subset.so.0").write_bytes(b"")
            env["LD_LIBRARY_PATH"] = os.pathsep.join(
                [str(hidden), *filter(None, [env.get("LD_LIBRARY_PATH")])]
            )
        done = subprocess.run(
            [exe, "report", str(REFERRAL), "--audience", "client", "--pdf", str(out)],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        if subsetting == "missing":
            assert done.stderr == SLOW_FONTS + "\n"
        else:
            assert done.stderr in ("", SLOW_FONTS + "\n")
        assert catalog().report_texts.urgency["emergency"].client_title in pdf_text(
            out.read_bytes()
        )


    @pytest.mark.slow
    @pytest.mark.parametrize("jobs", ["1", "2"])
    def test_batch_with_pdf_reports_hints_once_at_fonts_embedded_without_subsetting(
        self, tmp_path: Path, jobs: str
    ) -> None:
        """As `tripod report` does: WeasyPrint subsets in the worker processes, and the batch says
        so once, whether its PDFs were made in workers or in its own process."""
        if not sys.platform.startswith("linux"):
            pytest.skip("the library is hidden through the Linux dynamic loader")
        exe = shutil.which("tripod")
        assert exe, "the tripod console script is not installed"
        hidden = tmp_path / "lib"
        hidden.mkdir()
        (hidden / "libharfbuzz-subset.so.0").write_bytes(b"")
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            [str(hidden), *filter(None, [env.get("LD_LIBRARY_PATH")])])
        cases = tmp_path / "cases"
        cases.mkdir()
        for path in (REFERRAL, PARTLY):
            shutil.copy(path, cases / path.name)
        done = subprocess.run(
            [exe, "batch", str(cases), "--out", str(tmp_path / "out"), "--reports", "pdf",
             "--jobs", jobs],
            check=False, capture_output=True, text=True, timeout=300, env=env,
        )
        assert done.returncode == 0, done.stderr
        # Its progress lines aside (a line per tenth, off a terminal), the hint and nothing else.
        said = [line for line in done.stderr.splitlines() if not line.startswith("batch: ")]
        assert said == [SLOW_FONTS]
        assert len(list((tmp_path / "out").glob("*.pdf"))) == 2


class TestCompiledTemplateCache:
    """reports/render.py keeps compiled templates in jinja's per-user cache; it only saves time."""

    def test_no_usable_temporary_folder_still_renders(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import tempfile

        from reports import render

        not_a_folder = tmp_path / "file"
        not_a_folder.write_text("")
        monkeypatch.setattr(tempfile, "tempdir", str(not_a_folder))
        render.environment.cache_clear()
        try:
            assert render.environment().bytecode_cache is None
            case, assessment = assessed(CLASSIC)
            assert render.render_text(assessment)
            assert render.render_report(assessment, case, "practitioner")
        finally:
            render.environment.cache_clear()

    def test_damaged_cache_files_are_compiled_again(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import tempfile

        from reports import render

        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        render.environment.cache_clear()
        try:
            _, assessment = assessed(CLASSIC)
            expected = render.render_text(assessment)
            (cached,) = tmp_path.glob("_jinja2-cache-*/*.cache")
            cached.write_bytes(cached.read_bytes()[:40])  # cut short: marshal cannot read it
            render.environment.cache_clear()
            assert render.render_text(assessment) == expected
        finally:
            render.environment.cache_clear()
