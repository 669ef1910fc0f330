"""What every ``tripod`` command shares: turning failures into a message and an exit status,
the options several commands take, and the note on slow PDF fonts.

Bad input exits 2 with one line per problem and no traceback; other reported failures exit 1;
Ctrl-C exits 130.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

CaseArgs = Annotated[
    list[Path],
    typer.Argument(help="Case files (tripod-case/1, YAML or JSON).", show_default=False),
]


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
        err("tripod: interrupted")
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


# WeasyPrint's own warning about it never reaches the clinician (reports/pdf.py); this line does.
SLOW_FONTS = ("tripod: note: PDF fonts were embedded without HarfBuzz subsetting, which is slower; "
              "install it for faster reports (Debian: apt-get install libharfbuzz-subset0)")


def hint_slow_fonts() -> None:
    from tripod.service import fonts_embedded_slowly

    if fonts_embedded_slowly():
        err(SLOW_FONTS)
