"""The reports as laid out (issue 18) and a follow-up's progress in them (issue 17): page 1 of the
practitioner's PDF holds the decision, the client's PDF is two pages with its picture, a follow-up
charts its outcome measures and says the verdict, the clinic's details are printed and a remote
logo is refused. Real templates, real WeasyPrint, the real `tripod` command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pypdf
import pytest
import textstat

from engine.errors import InputError
from knowledge.catalog import catalog
from reports.pdf import html_to_pdf, local_fetcher
from reports.render import evidence, evidence_segments
from storage.clinic_config import Clinic, read_clinic
from tests.conftest import EXAMPLES
from tests.test_reports import html_text
from tripod import service

CLASSIC = EXAMPLES / "classic_compensatory_pronation.yaml"
PARTLY = EXAMPLES / "partly_assessed.yaml"
FOLLOW_UPS = EXAMPLES / "follow_up"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d4944415478da63f8cfc0f01f0005000201a0e8e3a70000000049454e44ae426082")


def _pages(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(BytesIO(data)).pages]


def _render(path: Path, audience: str, details: Clinic | None = None) -> tuple[str, bytes]:
    from storage.casefile import load_case

    screening = service.screen(load_case(path), judge=audience == "practitioner")
    made = service.reports(screening, audience, ("html", "pdf"), details or Clinic())
    return str(made["html"]), bytes(made["pdf"])  # type: ignore[arg-type]


@pytest.mark.slow
class TestPractitionerFirstPage:
    @pytest.mark.parametrize("path", [p for p in sorted(EXAMPLES.glob("*.yaml"))
                                      if "referral" not in p.stem], ids=lambda p: p.stem)
    def test_page_one_holds_the_status_the_root_cause_and_every_constraint(self, path: Path) -> None:
        """With the clinic's details above the title too."""
        from storage.casefile import load_case

        html, pdf = _render(path, "practitioner", Clinic(name="Northside", address="12 Harbour Road",
                                                         phone="0131 555 0100"))
        first = _pages(pdf)[0]
        assert "Northside" in first
        assessment = service.screen(load_case(path)).assessment
        texts = catalog().texts
        assert assessment.root_cause is not None
        assert "Screening complete" in first
        assert texts.root_causes[assessment.root_cause.id].title in first
        assert f"confidence: {assessment.root_cause.confidence}" in first
        assert "How solid is this?" in first
        for constraint in assessment.constraints:
            assert texts.constraints[constraint.id].title in first, constraint.id
        # What to assess next: its heading, and the first observation missing when one is.
        assert catalog().report_texts.practitioner.headings["next_assess"] in first
        if assessment.missing_detail:
            assert assessment.missing_detail[0].path in " ".join(first.split())
        # The chain picture on page 1 or 2, the evidence after it.
        pages = _pages(pdf)
        assert any("The chain, foot to pelvis" in page for page in pages[:2])
        assert "<svg" in html


def _appendix(path: Path) -> tuple[list[tuple[str, int, list[list[tuple[str, int]]]]], str]:
    """Where the practitioner PDF of ``path`` prints its evidence appendix, read in order: for each
    segment's table its heading and the heading's page, and for each finding in the table the
    parts that must stay on one page (its title, the first words of its text, each observation and
    cut-off row it rests on), each with its page. Also the pages' starts, for failure messages.
    The text is compared without white space: a line may break anywhere (after "ER-", say)."""
    from storage.casefile import load_case

    _, pdf = _render(path, "practitioner")
    pages = ["".join(page.split()) for page in _pages(pdf)]
    starts = [sum(len(page) for page in pages[:n]) for n in range(len(pages))]
    text = "".join(pages)

    def page_at(offset: int) -> int:
        return max(number for number, start in enumerate(starts, 1) if start <= offset)

    def squeeze(words: str) -> str:
        return "".join(words.split())

    kb = catalog()
    labels = kb.report_texts.practitioner.labels
    assessment = service.screen(load_case(path)).assessment
    cursor, tables = 0, []
    for segment, findings in evidence_segments(assessment):
        # The table's heading: the segment's name, then its column headings (printed in capitals).
        heading = squeeze(f"{labels['segment_' + segment]} {labels['value'].upper()}")
        cursor = text.index(heading, cursor)
        heading_page, groups = page_at(cursor), []
        for finding in findings:
            ev = evidence(assessment, finding)
            wording = kb.texts.findings[finding.id]
            # Its title is followed by its side, perhaps a tag, and its rules ("Rule FOOT-07"), not
            # by "; " as where another finding's "builds on" line names it.
            title = re.compile(re.escape(squeeze(wording.title)) + r"(\([^)]*\))?\w*"
                               + re.escape(labels["rule"]))
            match = title.search(text, cursor)
            assert match, (wording.title, path.stem)
            cursor, group = match.end(), [(wording.title, page_at(match.start()))]
            for part in [" ".join(wording.practitioner.split()[:6]),
                         *(o.path for o in ev.observations),
                         *(f"{labels['cutoff']} {t.text}" for t in ev.thresholds)]:
                cursor = text.index(squeeze(part), cursor)
                group.append((part, page_at(cursor)))
            groups.append(group)
        tables.append((heading, heading_page, groups))
    return tables, " | ".join(f"page {n}: {page[:60]}" for n, page in enumerate(pages, 1))


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in sorted(EXAMPLES.glob("*.yaml"))
                                  if "referral" not in p.stem], ids=lambda p: p.stem)
def test_the_evidence_appendix_keeps_each_finding_and_its_table_heading_on_one_page(
        path: Path) -> None:
    """Issue 18: a finding's row group (its title, its text, the observations and cut-offs it rests
    on) is never split across pages, so no page begins with a row whose finding's title is on the
    page before; and a segment's table heading is never left alone at a page's foot: it is on the
    page of the table's first finding. (Every example's groups are shorter than a page.)"""
    tables, pages = _appendix(path)
    assert tables
    for heading, heading_page, groups in tables:
        assert groups[0][0][1] == heading_page, (heading, groups[0][0][0], pages)
        for (title, title_page), *rows in groups:
            for part, page in rows:
                assert page == title_page, (title, part, pages)


@pytest.mark.slow
@pytest.mark.parametrize("title", ["Pelvis in an externally rotated orientation",
                                   "Glutes not felt in the hinge"])
def test_a_finding_taller_than_a_page_breaks_between_its_rows(title: str) -> None:
    """The first finding of its table or a later one, made three pages tall: the PDF is laid out
    (WeasyPrint would stop on a group it may not break on an empty page) with every row once."""
    html, _ = _render(CLASSIC, "practitioner")
    head = html.index(f"<strong>{title}</strong>")
    start = html.index("<tr><td>", head)
    end = html.index("</tr>", start) + len("</tr>")
    row = html[start:end]
    rows = "".join(row.replace("<td>", f"<td>Row{n:03d} ", 1) for n in range(90))
    pages = _pages(html_to_pdf(html[:end] + rows + html[end:]))
    found = [number for page in pages for number in re.findall(r"Row(\d{3}) ", page)]
    assert found == [f"{n:03d}" for n in range(90)]
    assert sum(1 for page in pages if re.search(r"Row\d{3} ", page)) >= 3


@pytest.mark.slow
class TestClientReport:
    @pytest.mark.parametrize("path", [p for p in sorted(EXAMPLES.glob("*.yaml"))
                                      if "referral" not in p.stem], ids=lambda p: p.stem)
    def test_a_complete_screening_is_two_pages_with_its_picture_on_page_one(self, path: Path
                                                                          ) -> None:
        html, pdf = _render(path, "client", Clinic(name="Northside", address="12 Harbour Road"))
        reader = pypdf.PdfReader(BytesIO(pdf))
        assert len(reader.pages) <= 2
        assert '<svg class="tripod"' in html
        # The picture is drawn on page 1: its drawing operators (paths, curves) are in the page's content.
        content = reader.pages[0].get_contents()
        assert content is not None
        ops = content.get_data()
        assert ops.count(b" c\n") + ops.count(b" c ") > 20
        assert "Your feet in the lifts" in _pages(pdf)[0]

    def test_normal_findings_are_one_line_and_the_handout_says_how_to_know_and_when_to_stop(
            self) -> None:
        html, _ = _render(CLASSIC, "client")
        text = html_text(html)
        assert "Your training plan looks fine" not in text
        assert "These look fine:" in text and "your training plan" in text
        card = catalog().handouts.cards["restore_medial_foot_loading"]
        assert card.check in text and card.stop in text and card.lifts in text
        assert "card stays pinned" in card.check

    def test_a_partly_assessed_screening_says_how_uncertain_it_is(self) -> None:
        html, _ = _render(PARTLY, "client")
        text = html_text(html)
        words = catalog().report_texts.client.labels
        assert "We have finished the check" not in text
        assert words["partly_done"] in text

    @pytest.mark.parametrize("path", [CLASSIC, PARTLY], ids=lambda p: p.stem)
    def test_client_report_reads_at_grade_seven_or_below(self, path: Path) -> None:
        html, _ = _render(path, "client")
        assert textstat.flesch_kincaid_grade(html_text(html)) <= 7


class TestClinic:
    def test_clinic_details_and_a_local_logo_are_printed_on_both_reports(self, tmp_path: Path) -> None:
        (tmp_path / "logo.png").write_bytes(PNG)
        config = tmp_path / "clinic.yaml"
        config.write_text("name: Northside Strength\naddress: 12 Harbour Road\n"
                          "phone: '0131 555 0100'\nlogo: logo.png\n", encoding="utf-8")
        details = read_clinic(config)
        assert details.logo is not None and details.logo.startswith("data:image/png;base64,")
        for audience in ("practitioner", "client"):
            from storage.casefile import load_case

            html = str(service.reports(service.screen(load_case(CLASSIC)), audience, ("html",),
                                       details)["html"])
            assert "Northside Strength" in html and "12 Harbour Road" in html
            assert "0131 555 0100" in html and 'src="data:image/png;base64,' in html

    def test_the_config_folder_clinic_yaml_is_read(self, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
        (tmp_path / "tripod").mkdir()
        (tmp_path / "tripod" / "clinic.yaml").write_text("name: Eastside\n", encoding="utf-8")
        assert service.clinic() == Clinic(name="Eastside")

    @pytest.mark.parametrize(("text", "line"), [
        ("logo: https://example.com/logo.png\n",
         ("logo = 'https://example.com/logo.png': allowed a local PNG or SVG file of at most 256 kB; "
         "a URL is never fetched")),
        ("logo: logo.gif\n", "logo = 'logo.gif': allowed a local PNG or SVG file"),
        ("colour: blue\n", "colour = 'blue': unknown key; allowed name, address, phone, logo"),
        ("name: [1, 2]\n", "name = '[1, 2]': allowed one line of text"),
    ])
    def test_a_bad_clinic_file_is_one_problem_line(self, tmp_path: Path, text: str, line: str) -> None:
        config = tmp_path / "clinic.yaml"
        config.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as caught:
            read_clinic(config)
        assert line in str(caught.value)
        assert str(caught.value).count("\n") == 0

    def test_the_pdf_fetcher_refuses_every_remote_url(self) -> None:
        fetcher = local_fetcher()
        fetch = getattr(fetcher, "fetch", fetcher)
        for url in ("https://example.com/logo.png", "http://example.com/x", "file:///etc/passwd"):
            with pytest.raises(ValueError, match="disallowed protocol|refused"):
                fetch(url)

    @pytest.mark.slow
    def test_a_report_with_a_remote_image_makes_no_request(self) -> None:
        # A port nothing listens on: a fetch would fail loudly in the log, a refusal does not try.
        html = '<html><body><img src="http://127.0.0.1:9/logo.png"><p>x</p></body></html>'
        assert html_to_pdf(html).startswith(b"%PDF")


@pytest.mark.slow
class TestClinicOption:
    def test_report_and_batch_print_the_clinic_of_clinic_option(self, tmp_path: Path) -> None:
        config = tmp_path / "clinic.yaml"
        config.write_text("name: Westside Clinic\nphone: '555 0199'\n", encoding="utf-8")
        html = tmp_path / "c.html"
        done = _tripod("report", str(CLASSIC), "--audience", "client", "--html", str(html),
                       "--clinic", str(config))
        assert done.returncode == 0, done.stderr
        assert "Westside Clinic" in html.read_text(encoding="utf-8")
        out = tmp_path / "out"
        done = _tripod("batch", str(CLASSIC), "--out", str(out), "--jobs", "1", "--reports", "html",
                       "--audience", "client", "--clinic", str(config))
        assert done.returncode == 0, done.stderr
        written = (out / service.report_name("TR-0007", "2026-11-20", "client", "html"))
        assert "555 0199" in written.read_text(encoding="utf-8")

    def test_a_remote_logo_stops_the_report_with_one_line_and_exit_2(self, tmp_path: Path) -> None:
        config = tmp_path / "clinic.yaml"
        config.write_text("logo: http://example.com/logo.svg\n", encoding="utf-8")
        done = _tripod("report", str(CLASSIC), "--audience", "client", "--html",
                       str(tmp_path / "c.html"), "--clinic", str(config))
        assert done.returncode == 2
        assert done.stderr.strip().count("\n") == 0 and "a URL is never fetched" in done.stderr
        assert not (tmp_path / "c.html").exists()


def _tripod(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("tripod")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120,
                          check=False, env={**os.environ, "XDG_CONFIG_HOME": "/nonexistent-tripod"})


@pytest.mark.slow
class TestFollowUpReports:
    @pytest.mark.parametrize(("client", "verdict"), [("TR-0021", "Supported"),
                                                      ("TR-0022", "Not supported")])
    def test_a_stored_follow_up_charts_its_outcomes_and_says_the_verdict(
            self, tmp_path: Path, client: str, verdict: str) -> None:
        db = str(tmp_path / "t.db")
        for visit in ("initial", "follow_up"):
            done = _tripod("assess", str(FOLLOW_UPS / f"{client}_{visit}.yaml"), "--store", "--db", db)
            assert done.returncode == 0, done.stderr
        practitioner, client_html = tmp_path / "p.html", tmp_path / "c.html"
        assert _tripod("report", "2", "--audience", "practitioner", "--html", str(practitioner),
                       "--db", db).returncode == 0
        assert _tripod("report", "2", "--audience", "client", "--html", str(client_html),
                       "--pdf", str(tmp_path / "c.pdf"), "--db", db).returncode == 0
        html = practitioner.read_text(encoding="utf-8")
        assert html.count('<svg class="outcome"') == 3
        assert "MCID 2" in html and "Outcome measures over the visits" in html
        assert f"Verdict on the hypothesis: {verdict}" in html and "HYP-" in html
        text = html_text(client_html.read_text(encoding="utf-8"))
        assert "How you are doing" in text and "What comes next" in text
        assert "last time" in text
        assert catalog().report_texts.client.next["supported" if verdict == "Supported"
                                                   else "not_supported"] in text
        # The first visit has no earlier one: no chart.
        first = tmp_path / "first.html"
        assert _tripod("report", "1", "--audience", "practitioner", "--html", str(first),
                       "--db", db).returncode == 0
        assert '<svg class="outcome"' not in first.read_text(encoding="utf-8")


@pytest.mark.slow
class TestPdfLaidOutOnce:
    """What html_to_pdf does once per process (the stylesheet parsed, one font configuration) gives
    the very PDF WeasyPrint makes from the self-contained HTML on its own."""

    @pytest.mark.parametrize("audience", ["practitioner", "client"])
    def test_the_pdf_is_byte_for_byte_weasyprint_s_own_rendering_of_the_html(
            self, audience: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without HarfBuzz subsetting, WeasyPrint subsets fonts with fontTools, which stamps each
        font with the second it was made: the time is fixed here (the reproducible-builds
        variable fontTools reads), so that two renderings a second apart compare byte for byte."""
        import base64

        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")

        import weasyprint

        from reports.render import stylesheet

        logo = "data:image/png;base64," + base64.b64encode(PNG).decode()
        html, _ = _render(CLASSIC, audience, Clinic(name="Northside", logo=logo))
        assert stylesheet() in html  # the shortcut applies to the reports as rendered
        own = weasyprint.HTML(string=html, url_fetcher=local_fetcher(), base_url=None).write_pdf()
        assert html_to_pdf(html) == own
        assert html_to_pdf(html) == own  # and again, with the process's fonts already in use

    def test_html_without_the_reports_stylesheet_is_laid_out_as_it_is(self) -> None:
        html = "<html><body><p style='font-size: 30pt'>Only this</p></body></html>"
        assert " ".join(_pages(html_to_pdf(html))) == "Only this"
