"""``tripod questionnaire``: the intake's questions as an SDC Questionnaire (FHIR R4B), for a
clinic system to fill in; what it sends back (a QuestionnaireResponse) is read by ``tripod validate``
and ``tripod assess`` as a case."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from tripod.cli.common import err, reported, say


class QuestionnaireFormat(str, Enum):
    fhir = "fhir"


def questionnaire(
    fmt: Annotated[QuestionnaireFormat, typer.Option(
        "--format", help="fhir: an SDC Questionnaire (FHIR R4B JSON).")] = QuestionnaireFormat.fhir,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write it to this file instead of printing it.", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out file.")
                     ] = False,
) -> None:
    """Print the intake as a FHIR Questionnaire (items, skip logic, choices, units, ranges)."""
    import json

    from engine.errors import InputError, TripodError
    from storage.safe_output import output_problem, write_atomic
    from tripod import service
    from tripod.intake.questions import questions

    with reported():
        text = service.fhir_questionnaire(questions())
        if out is None:
            typer.echo(text, nl=False)
            return
        refused = output_problem("questionnaire", "--out", out, force)
        if refused is not None:
            raise InputError([refused])
        try:
            write_atomic(out, text)
        except OSError as exc:
            raise TripodError(f"questionnaire: --out = {str(out)!r}: cannot be written "
                              f"({exc.strerror})") from None
        err(say("fhir.questionnaire_written", count=len(json.loads(text)["item"]), path=out))
