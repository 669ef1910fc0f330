"""``tripod intake``: screen a client by answering questions in the terminal, against the record
store (``tripod/intake/``), then offer the reports."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tripod.cli.common import DbOption, err, hint_slow_fonts, reported, say

if TYPE_CHECKING:  # for hints only: importing the store at run time would load SQLAlchemy
    from storage.records import Draft, StoredAssessment
    from storage.store import Store


def _draft_to_resume(records: Store, draft: int | None) -> int:
    """The unfinished intake --resume continues: DRAFT, or the only one there is."""
    from engine.errors import InputError, Problem

    if draft is not None:
        found = records.draft(draft)
        if found is None or found.status != "open":
            state = "no such intake" if found is None else (
                f"finished (assessment {found.assessment_id})")
            raise InputError([Problem("intake", "DRAFT", str(draft),
                                      f"{state} in {records.where}; allowed an unfinished intake "
                                      "(tripod intake --resume lists them)")])
        return draft
    unfinished = records.drafts()
    if len(unfinished) == 1:
        return unfinished[0].id
    if not unfinished:
        raise InputError([Problem("intake", "--resume", "(no DRAFT)",
                                  f"no unfinished intake in {records.where}")])
    for item in unfinished:
        err(_draft_line(item))
    raise InputError([Problem("intake", "--resume", "(no DRAFT)", "several unfinished intakes; "
                              "allowed --resume DRAFT with one of "
                              + ", ".join(str(d.id) for d in unfinished))])


def _draft_line(item: Draft) -> str:
    from tripod.terminal import for_terminal

    client = for_terminal(str(item.client_id)) if item.client_id else say("intake.no_client_yet")
    source = say("intake.draft_source", source=for_terminal(item.source)) if item.source else ""
    return say("intake.draft", id=item.id, client=client, answered=item.answered,
               saved=item.updated_at[:16].replace("T", " "), source=source)


def _fit(text: str, width: int) -> str:
    """Text re-wrapped at word boundaries for a terminal ``width`` wide, each wrapped line indented
    under its own first line, so the terminal does not cut a long line mid-word. Same words."""
    import textwrap

    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        out.append(textwrap.fill(line.strip(), width, initial_indent=indent,
                                 subsequent_indent=indent + "  ", break_long_words=False,
                                 break_on_hyphens=False))
    return "\n".join(out)


def _offer_reports(stored: StoredAssessment, read: Callable[[str], str]) -> None:
    """Offer the practitioner and client PDF reports of a finished intake."""
    from knowledge.catalog import catalog
    from storage.safe_output import write_atomic
    from tripod import service

    if not service.pdf_available():  # PDF reports are an optional part of an installation
        return
    screening = service.from_store(stored)
    analysed = False
    while True:
        folder = read(catalog().questions.messages.reports_offer).strip()
        if not folder:
            return
        if not analysed:
            # How solid the conclusion is, as `tripod report` says it, when today's rules made the
            # stored assessment (once, however often a folder is refused).
            screening, analysed = service.judged_today(stored, screening), True
        try:
            for audience in ("practitioner", "client"):
                path = Path(folder).expanduser() / (
                    f"{stored.client_id}_{stored.assessed_on}_{audience}.pdf")
                write_atomic(path, service.reports(screening, audience, ("pdf",))["pdf"])
                typer.echo(f"  {path}")
        except OSError as exc:
            err(f"intake: reports folder = {folder!r}: {exc.strerror}; allowed a writable folder")
            continue
        hint_slow_fonts()
        return


def intake(
    draft: Annotated[int | None, typer.Argument(
        show_default=False, help="With --resume: the unfinished intake to continue.")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue an unfinished intake where it stopped: the only one, or "
        "DRAFT.")] = False,
    from_: Annotated[Path | None, typer.Option(
        "--from", show_default=False,
        help="Pre-fill the answers from a case file; Enter keeps each one.")] = None,
    db: DbOption = None,
) -> None:
    """Screen a client by answering questions in the terminal; each answer is saved as it is given.

    Red flags come first; then only the questions that can change the result. Type skip (not
    assessed), back (previous question) or ? (how to measure, normal band, sources) at any question.
    At the end the case is assessed, printed as tripod assess prints it, and stored.
    """
    import os
    import shutil

    from rich.console import Console

    from engine.errors import InputError, Problem
    from storage.casefile import load_case
    from storage.store import open_store
    from storage.store_location import hide_password
    from tripod.intake.questions import progress
    from tripod.intake.session import Session

    console = Console(highlight=False)
    session: Session | None = None
    where = (f" --db {hide_password(db)}" if db is not None and db != os.environ.get("TRIPOD_DB")
             else "")
    with reported():
        if draft is not None and not resume:
            raise InputError([Problem("intake", "DRAFT", str(draft), "allowed only with --resume")])
        if resume and from_ is not None:
            raise InputError([Problem("intake", "--from", repr(str(from_)),
                                      "allowed only for a new intake, not with --resume")])
        prefill = load_case(from_) if from_ is not None else None
        if sys.stdin.isatty():
            import readline  # noqa: F401 - line editing and history for input()
        with open_store(db, say=err) as records:
            try:
                if resume:
                    chosen = _draft_to_resume(records, draft)
                    session = Session.resume(records, chosen, console)
                    done, total = progress(session.answers)
                    typer.echo(say("intake.resuming", id=chosen, done=done, total=total))
                elif prefill is not None:
                    session = Session.prefilled(records, prefill, str(from_), console)
                else:
                    unfinished = records.drafts()
                    if unfinished:
                        typer.echo(say("intake.unfinished"))
                        for item in unfinished:
                            typer.echo(_draft_line(item))
                    session = Session(records, console)
                stored = session.run()
            except (KeyboardInterrupt, EOFError) as stop:
                typer.echo()
                if session is None or session.draft_id is None:
                    err(say("intake.stopped_early"))
                else:
                    err(say("intake.paused", id=session.draft_id, where=where))
                raise typer.Exit(code=130 if isinstance(stop, KeyboardInterrupt) else 1) from None
            from tripod.service import as_text

            text = as_text(stored.assessment())
            if sys.stdout.isatty():
                text = _fit(text, shutil.get_terminal_size().columns)
            typer.echo()
            typer.echo(text, nl=False)
            verb = say("intake.verb_stored" if stored.created else "intake.verb_already_stored")
            typer.echo(say("intake.stored", verb=verb, id=stored.id, client=stored.client_id,
                           date=stored.assessed_on, version=stored.version, where=records.where))
        try:
            _offer_reports(stored, input)
        except (KeyboardInterrupt, EOFError):
            typer.echo()
            err(say("intake.stopped_after", id=stored.id))
            raise typer.Exit(code=130) from None
