"""The one-screen result of a signed intake (``tripod intake``, ``tripod amend``): status, root cause
and confidence, the constraints in order, what to assess next and any referral, in the knowledge
texts' words; then, on request, the full reasoning (as ``tripod assess`` prints it) and the reports
(HTML or PDF, practitioner or client, to a folder), rendered by the screening service and written
owner-only by ``storage/safe_output.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine.errors import show_value
from knowledge.catalog import catalog, messages, sayer
from tripod.intake.questions import questions
from tripod.intake.review import label

if TYPE_CHECKING:
    from engine.history import History
    from engine.intake import Case
    from engine.trace import Assessment
    from storage.records import StoredAssessment
    from tripod.service import ReportFormat, Screening

SHOWN_MISSING = 3  # what to assess next: the first few, the rest with the full reasoning
REASONING = ("r", "reasoning")
AUDIENCES = ("practitioner", "client")


_say = sayer("review")


def _sides(sides: tuple[str, ...]) -> str:
    return f" ({', '.join(sides)})" if sides else ""


def _missing(assessment: Assessment, case: Case, more: str) -> list[Text]:
    """What to assess next: what could change the status first, then the root cause, then the
    findings; the first few of them."""
    from reports.render import path_label

    labels = catalog().texts.labels
    items = sorted(assessment.missing_detail,
                   key=lambda m: ("status" not in m.could_change, "root_cause" not in m.could_change))
    lines = []
    for item in items[:SHOWN_MISSING]:
        findings = [c for c in item.could_change if c not in ("status", "root_cause")]
        what = [_say(f"could_{c}") for c in ("status", "root_cause") if c in item.could_change]
        if findings:
            what.append(_say("could_findings", count=len(findings),
                             s="s" if len(findings) != 1 else ""))
        side = next((f" ({s})" for s in ("left", "right") if f".{s}." in item.path), "")
        asked = next((q for q in questions() if q.key == item.path), None)
        words = label(asked, {"hips.method": case.hips.method if case.hips else None}) if asked \
            else path_label(item.path, case)
        lines.append(Text(_say("missing_item", label=words, side=side,
                               state=labels[item.state], what=", ".join(what))))
    if len(items) > SHOWN_MISSING:
        lines.append(Text(more.format(count=len(items) - SHOWN_MISSING), style="dim"))
    return lines or [Text(_say("nothing_missing"))]


def heading(stored: StoredAssessment) -> str:
    """Where the signed assessment is stored (or that it was stored before, unchanged)."""
    return _say("signed", verb=_say("verb_stored" if stored.created else "verb_unchanged"),
                id=stored.id, client=stored.client_id, date=stored.assessed_on,
                version=stored.version, where=stored.where)


def rows(case: Case, assessment: Assessment, more: str | None = None) -> list[tuple[str, Text]]:
    """What matters of the result, row by row: (label, or "" for a row continuing the one above;
    the words, styled): status, referral, root cause and confidence, the constraints in order,
    what to assess next (the first few, then ``more``, a sentence with ``{count}``, says how many
    more there are: where this front end lists them). Every front end shows these rows."""
    texts = catalog().texts
    out: list[tuple[str, Text]] = []
    status = texts.statuses[assessment.status]
    out.append((_say("status"), Text(status.title, style="bold")))
    if assessment.referral.required:
        flags = catalog().red_flags.flags
        for index, flag in enumerate(assessment.referral.red_flags):
            urgency = (assessment.referral.urgency or "").upper()
            out.append((_say("referral") if index == 0 else "",
                        Text(_say("referral_flag", urgency=urgency,
                                  question=flags[flag].question), style="bold red")))
    rc = assessment.root_cause
    if rc is None:
        out.append((_say("root"), Text(_say("no_root", why=status.title.lower()))))
    else:
        out.append((_say("root"), Text(_say("root_cause", title=texts.root_causes[rc.id].title,
                                            sides=_sides(rc.sides), confidence=rc.confidence),
                                       style="bold")))
        if rc.penalties:
            reasons = ", ".join(texts.labels.get(p, p) for p in rc.penalties)
            out.append(("", Text(_say("lowered", reasons=reasons), style="dim")))
    if not assessment.constraints:
        out.append((_say("constraints"), Text(_say("none"))))
    for index, constraint in enumerate(assessment.constraints):
        out.append((_say("constraints") if index == 0 else "",
                    Text(f"{constraint.order}. {texts.constraints[constraint.id].title}"
                         f"{_sides(constraint.sides)}")))
    if not assessment.referral.required:
        more = more or messages().review["more_missing"]
        for index, line in enumerate(_missing(assessment, case, more)):
            out.append((_say("next") if index == 0 else "", line))
    return out


def summary(stored: StoredAssessment, case: Case, assessment: Assessment) -> list[Any]:
    """The result on one screen: a line saying where it is stored, then a table of what matters."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, words in rows(case, assessment):
        table.add_row(name, words)
    return [Text(heading(stored), style="bold green"), Text(_say("aid"), style="dim"), table]


def verdict(stored: StoredAssessment, history: History | None) -> list[Text]:
    """A follow-up's verdict on the last visit's hypothesis, from the client's history, and where
    its reasons are; nothing for a visit no change leads to (a first visit)."""
    change = next((c for c in history.changes if c.to == stored.id), None) if history else None
    if change is None:
        return []
    words = catalog().follow_up.verdicts[change.hypothesis]
    say = messages().say
    first = next(v for v in history.visits if v.assessment_id == change.from_) if history else None
    return [Text(say("follow_up.verdict", title=words.title, first=change.from_,
                     date=first.assessed_on if first else "-"), style="bold"),
            Text(say("follow_up.verdict_where", client=stored.client_id), style="dim")]


@dataclass
class Result:
    """The result of one signed intake on screen, and what may follow it until Enter."""

    stored: StoredAssessment
    console: Console
    read: Callable[[str], str] = input
    fit: Callable[[str], str] = str
    history: History | None = None  # the client's judged history, for a follow-up's verdict
    _screening: Screening | None = field(default=None, init=False)
    _judged: bool = field(default=False, init=False)

    def run(self) -> None:
        """Show the result; then the full reasoning or reports on request, until Enter (or the end
        of the input: the assessment is stored either way)."""
        from tripod import service

        screening = service.from_store(self.stored)
        if self.history is not None:  # a follow-up: its reports show the client's progress
            screening = service.with_history(self.history, self.stored.id, screening)
        self._screening = screening
        self.console.print()
        for part in summary(self.stored, screening.case, screening.assessment):
            self.console.print(part)
        for line in verdict(self.stored, self.history):
            self.console.print(line)
        while True:
            self.console.print(Text(_say("result_keys"), style="dim"))
            try:
                text = self.read(_say("result_prompt")).strip()
            except EOFError:
                return
            if not text:
                return
            if text.lower() in REASONING:
                self.console.print(Text(self.fit(service.as_text(screening.assessment))),
                                   soft_wrap=True)
                continue
            self._reports(text)

    def _reports(self, text: str) -> None:
        """``[pdf|html] [practitioner|client] FOLDER``: each audience's report in each format."""
        from tripod import service

        words = text.split()
        formats: list[ReportFormat] = []
        audiences: list[str] = []
        taken = 0
        for word in words:
            lowered = word.lower()
            if lowered in service.REPORT_FORMATS:
                formats.extend(service.report_formats([lowered]))
            elif lowered in AUDIENCES:
                audiences.append(lowered)
            else:
                break
            taken += 1
        folder = text.split(None, taken)[taken] if taken < len(words) else ""
        if not taken or not folder:
            self._problem(f"result: choice = {show_value(text)}: allowed r, Enter, or pdf or html, "
                          "practitioner or client, then a folder (e.g. pdf ~/reports)")
            return
        if "pdf" in formats and not service.pdf_available():
            self._problem(f"result: format = pdf: {_say('reports_none')}")
            return
        self._write(tuple(dict.fromkeys(formats)) or ("pdf",),
                    tuple(dict.fromkeys(audiences)) or AUDIENCES, Path(folder).expanduser())

    def _write(self, formats: tuple[ReportFormat, ...], audiences: tuple[str, ...],
               folder: Path) -> None:
        from storage.safe_output import write_atomic
        from tripod import service

        assert self._screening is not None
        if "practitioner" in audiences and not self._judged:
            # How solid the conclusion is, as `tripod report` says it, once, when today's rules
            # made the stored assessment.
            self._screening = service.judged_today(self.stored, self._screening)
            self._judged = True
        stored = self.stored
        for audience in audiences:
            files = service.reports(self._screening, audience, formats)
            for fmt, content in files.items():
                path = folder / service.report_name(stored.client_id, str(stored.assessed_on),
                                                    audience, fmt, stored.version)
                try:
                    write_atomic(path, content)
                except OSError as exc:
                    self._problem(f"result: folder = {show_value(str(folder))}: {exc.strerror}; "
                                  "allowed a writable folder")
                    return
                self.console.print(Text(f"  {path}"), soft_wrap=True)
        if "pdf" in formats and service.fonts_embedded_slowly():
            self.console.print(Text(messages().say("cli.slow_fonts"), style="dim"))

    def _problem(self, line: str) -> None:
        self.console.print(Text(f"✗ {line}", style="red"))
