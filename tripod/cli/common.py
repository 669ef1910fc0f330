"""What every ``tripod`` command shares: turning failures into a message and an exit status,
the options several commands take, and the note on slow PDF fonts.

Bad input exits 2 with one line per problem and no traceback; other reported failures exit 1;
Ctrl-C exits 130.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

CaseArgs = Annotated[
    list[Path],
    typer.Argument(help="Case files (tripod-case/1 or /2, YAML or JSON).", show_default=False),
]


def say(key: str, **values: Any) -> str:
    """The sentence ``key`` of knowledge/data/messages.yaml with ``values`` filled in. (The catalog
    is imported here: it loads pydantic, which ``tripod --help`` does not need.)"""
    from knowledge.catalog import messages

    return messages().say(key, **values)


def err(text: str) -> None:
    """A line for the person at the terminal, on stderr (stdout may be JSON or a report)."""
    typer.echo(text, err=True)


@contextmanager
def reported() -> Iterator[None]:
    """Turn Tripod's own errors, a file that cannot be read or written, and Ctrl-C into a message
    and an exit status, never a traceback."""
    # Imported here: engine.errors brings in pydantic, which `tripod --help` does not need.
    from engine.errors import TripodError

    try:
        yield
    except TripodError as exc:
        err(str(exc))
        raise typer.Exit(code=exc.exit_code) from None
    except BrokenPipeError:
        raise  # the reader of the output stopped (| head): click ends quietly with status 1
    except OSError as exc:
        # A file no check foresaw failing: its name and the system's reason, never what it held.
        where = repr(exc.filename) if exc.filename else "a file"
        err(f"tripod: {where}: cannot be read or written ({exc.strerror or type(exc).__name__})")
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        err(say("cli.interrupted"))
        raise typer.Exit(code=130) from None


class Format(str, Enum):
    text = "text"
    json = "json"


DbOption = Annotated[str | None, typer.Option(
    "--db", envvar="TRIPOD_DB", show_default=False,
    help="Record store: a file path or an SQLAlchemy URL "
    "[default: tripod.db in the user data folder].")]


AssessmentArg = Annotated[int, typer.Argument(help="An assessment id (see tripod history).",
                                              show_default=False)]


def hint_slow_fonts(slow: bool | None = None) -> None:
    """Say once, in Tripod's words, that PDF fonts were embedded the slow way: ``slow`` as a batch's
    workers found it, else as this process did. WeasyPrint's own warning never reaches the
    clinician (reports/pdf.py); this line does."""
    if slow is None:
        from tripod.service import fonts_embedded_slowly

        slow = fonts_embedded_slowly()
    if slow:
        err(say("cli.slow_fonts"))
