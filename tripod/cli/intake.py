"""``tripod intake`` and ``tripod amend``: screen a client by answering questions in the terminal (or
correct a stored visit), review every answer, sign, and see the result on one screen with the full
reasoning and the reports on request; against the record store (``tripod/intake/``)."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tripod.cli.common import AssessmentArg, DbOption, err, reported, say
from tripod.cli.records import stored_or_fail

if TYPE_CHECKING:  # for hints only: importing the store at run time would load SQLAlchemy
    from rich.console import Console

    from storage.records import Draft
    from storage.store import Store
    from tripod.intake.session import Session


def _draft_to_resume(records: "Store", draft: int | None) -> int:
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


def _draft_line(item: "Draft") -> str:
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


def intake(
    draft: Annotated[int | None, typer.Argument(
        show_default=False, help="With --resume: the unfinished intake to continue.")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue an unfinished intake where it stopped: the only one, or "
        "DRAFT.")] = False,
    from_: Annotated[Path | None, typer.Option(
        "--from", show_default=False,
        help="Pre-fill the answers from a case file; Enter keeps each one.")] = None,
    follow_up: Annotated[str | None, typer.Option(
        "--follow-up", show_default=False, metavar="CLIENT",
        help="A follow-up of CLIENT's last stored visit: its client details carried over, the "
        "outcome measures (the same PSFS activities), the GROC, what was done since, the red flags, "
        "then only the examination sections you pick.")] = None,
    db: DbOption = None,
) -> None:
    """Screen a client by answering questions in the terminal; each answer is saved as it is given.

    Red flags come first; then only the questions that can change the result. Type skip (not
    assessed), back (previous question) or ? (how to measure, normal band, sources) at any question.
    At the end every answer is shown for review: type a number to change it, s to sign, or q to
    leave it for --resume. Nothing is stored before signing; then the result is shown on one screen,
    with the full reasoning and the reports (HTML or PDF, practitioner or client) on request.
    """
    from engine.errors import InputError, Problem, show_value
    from storage.casefile import load_case
    from tripod.intake.questions import progress
    from tripod.intake.session import Session

    with reported():
        if draft is not None and not resume:
            raise InputError([Problem("intake", "DRAFT", str(draft), "allowed only with --resume")])
        if resume and from_ is not None:
            raise InputError([Problem("intake", "--from", repr(str(from_)),
                                      "allowed only for a new intake, not with --resume")])
        if follow_up is not None and (resume or from_ is not None):
            other = "--resume" if resume else "--from"
            raise InputError([Problem("intake", "--follow-up", show_value(follow_up),
                                      f"allowed only for a new intake, not with {other} (a "
                                      "follow-up starts from the client's last stored visit; "
                                      "--resume continues one)")])
        prefill = load_case(from_) if from_ is not None else None

    def begin(records: "Store", console: "Console") -> "Session":
        if resume:
            chosen = _draft_to_resume(records, draft)
            session = Session.resume(records, chosen, console)
            done, total = progress(session.answers)
            typer.echo(say("intake.resuming", id=chosen, done=done, total=total))
            return session
        if follow_up is not None:
            return _following(records, follow_up, console)
        if prefill is not None:
            return Session.prefilled(records, prefill, str(from_), console)
        unfinished = records.drafts()
        if unfinished:
            typer.echo(say("intake.unfinished"))
            for item in unfinished:
                typer.echo(_draft_line(item))
        return Session(records, console)

    _run(begin, db)


def _following(records: "Store", client: str, console: "Console") -> "Session":
    """The follow-up of ``client``'s last stored visit; a one-line problem when the store holds no
    visit of that client, when it is dated today (a second visit on one date would be a
    correction of it), or when a follow-up of it is already under way."""
    import datetime as dt

    from tripod.intake.draft import last_to_follow
    from tripod.intake.session import Session
    from tripod.terminal import for_terminal

    last = last_to_follow(records, client, "--follow-up")
    today = dt.date.today()
    status = last.status
    typer.echo(_fit(say("follow_up.starting", client=for_terminal(client), date=last.assessed_on,
                        id=last.id, status=status, today=today), 100))
    return Session.following(records, last, console)


def amend(assessment: AssessmentArg, db: DbOption = None) -> None:
    """Correct a stored visit: its answers open in the review, and the signed correction is stored as
    the visit's next version (the earlier version is kept; tripod history lists both).

    Each change is saved as it is made; q leaves the correction for tripod intake --resume.
    """
    from engine.errors import InputError, Problem
    from tripod.intake.session import AMENDS_SOURCE, Session

    def begin(records: "Store", console: "Console") -> "Session":
        stored = stored_or_fail(records, assessment, "amend")
        if stored.superseded_by is not None:
            raise InputError([Problem("amend", "ASSESSMENT", str(assessment),
                                      f"corrected by assessment {stored.superseded_by}; allowed "
                                      f"the latest version (tripod amend {stored.superseded_by})")])
        source = AMENDS_SOURCE.format(id=stored.id)
        for item in records.drafts():
            if item.source == source:
                raise InputError([Problem("amend", "ASSESSMENT", str(assessment),
                                          say("review.amend_open", draft=item.id, id=stored.id))])
        return Session.amending(records, stored, console)

    _run(begin, db)


def _run(begin: "Callable[[Store, Console], Session]", db: str | None) -> None:
    """One intake from its first question (or the review) to the signed result on one screen."""
    import os
    import shutil

    from rich.console import Console

    from storage.store import open_store
    from storage.store_location import hide_password
    from tripod.intake.result import Result

    console = Console(highlight=False)
    session: Session | None = None
    where = (f" --db {hide_password(db)}" if db is not None and db != os.environ.get("TRIPOD_DB")
             else "")
    with reported():
        if sys.stdin.isatty():
            import readline  # noqa: F401 - line editing and history for input()
        with open_store(db, say=err) as records:
            from tripod.service import may_change

            may_change(records)  # a store with accounts: who is acting, before any answer is saved
            try:
                session = begin(records, console)
                stored = session.run()
            except (KeyboardInterrupt, EOFError) as stop:
                typer.echo()
                if session is None or session.draft_id is None:
                    err(say("intake.stopped_early"))
                else:
                    err(say("intake.paused", id=session.draft_id, where=where))
                raise typer.Exit(code=130 if isinstance(stop, KeyboardInterrupt) else 1) from None
            if stored is None:
                err(say("review.left_draft", id=session.draft_id, where=where))
                return
            from tripod import service

            history = service.client_history(records, stored.client_id) \
                if stored.case.get("visit") == "follow_up" else None
        width = shutil.get_terminal_size().columns
        try:
            Result(stored, console, fit=(lambda text: _fit(text, width)) if sys.stdout.isatty()
                   else str, history=history).run()
        except KeyboardInterrupt:
            typer.echo()
            err(say("intake.stopped_after", id=stored.id))
            raise typer.Exit(code=130) from None
