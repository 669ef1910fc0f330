"""What a number and a piece of text look like in Tripod's input.

Numbers are decimal, as a person writes them.

A YAML 1.1 loader reads ``030`` as 24 (octal), ``0x1E`` and ``0b11110`` as 30, ``1_5`` as 15 and
``1:10`` as 70 (base 60); Python's ``int()`` and ``float()`` read ``2_2`` as 22 and full-width or
Arabic-Indic digits as ASCII ones. None of that is what a practitioner meant, and a clinical value
silently re-valued is worse than one refused. So a number in a case file or an intake answer is
plain decimal (ASCII digits, an optional sign, fraction and exponent, no leading zero), or it is
kept as a :class:`NumberForm`, which every field refuses with one line naming what was written.

The case-file reader (``storage/casefile.py``) and the intake (``tripod/intake/questions.py``) read numbers
with these patterns; the intake model (``engine/intake.py``) words the refusal.

Text holds no control characters: a NUL, an escape sequence or a bell in a name would reach
reports, terminals and the record store. A name is one line (no line break, no tab); notes may
span lines, so they keep the line breaks (LF, CR, NEL U+0085, U+2028, U+2029) and tabs. A lone
surrogate (JSON's ``"\ud800"``) is not text at all: it cannot be written as UTF-8.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

_EXPONENT = r"(?:[eE][-+]?[0-9]+)?"
# A whole number: 0, 30, -5, +30; never 030.
DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
# Any decimal number: the whole ones, 22.5, 0.5, .5, 1., 2.25e1 (as JSON and YAML 1.2 read them).
DECIMAL = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)" + _EXPONENT)
# What YAML 1.1 or 1.2 reads as a number besides the decimal forms (tried after DECIMAL): octal
# 030 and 0o36, hex 0x1E, binary 0b11110, underscores 1_5, base 60 1:10, leading zeros 030.5.
OTHER_NUMBER = re.compile(r"[-+]?(?:0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+"
                          r"|[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?" + _EXPONENT
                          + r"|\.[0-9_]+" + _EXPONENT + ")")

NOT_DECIMAL = ("allowed a number in plain decimal digits, as 30 or 22.5 (no leading 0, no 0x, 0o or "
               "0b, no _ or :)")


@dataclass(frozen=True)
class NumberForm:
    """A number written in a form other than plain decimal, kept as written so that every field
    refuses it: numeric fields saying how to write it, text and choice fields as not text."""

    text: str

    def __str__(self) -> str:
        return self.text


def refuse_number_form(value: Any) -> Any:
    """A before-validator of numeric fields: a NumberForm is refused with what is allowed."""
    if isinstance(value, NumberForm):
        raise ValueError(NOT_DECIMAL)  # noqa: TRY004 - pydantic names the field for a ValueError
    return value


def _python_reads_as_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        try:
            int(text, 0)
        except ValueError:
            return bool(OTHER_NUMBER.fullmatch(text))
    return True


def number_from_text(text: str) -> int | float | NumberForm | str:
    """A typed answer as a number: an int for a whole decimal number, a float for another decimal
    one, a NumberForm for what Python or YAML would read as a number in another form (2_2, ３０,
    0x1E, inf), else the text itself, which a numeric field refuses as not a number.

    Raises ValueError for a whole number of more digits than Python turns into an int.
    """
    if DECIMAL_INT.fullmatch(text):
        return int(text)
    if DECIMAL.fullmatch(text):
        return float(text)
    return NumberForm(text) if _python_reads_as_number(text) else text


LINE_BREAKS = "\n\r\x85\u2028\u2029"


def _refused_char(text: str, kept: str) -> tuple[int, str] | None:
    """The first character of ``text`` that is a control character, a line or paragraph separator
    or a lone surrogate, and not in ``kept``, with its position (1-based)."""
    for at, char in enumerate(text, start=1):
        if char not in kept and unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            return at, char
    return None


def _found(at: int, char: str) -> str:
    what = "a lone surrogate" if unicodedata.category(char) == "Cs" else "a control character"
    return f"found {what} U+{ord(char):04X} at character {at}"


def one_line(text: str) -> str:
    """An after-validator of names: one line of text, no control character."""
    refused = _refused_char(text, "")
    if refused is not None:
        raise ValueError(f"allowed one line of text without control characters or line breaks; "
                         f"{_found(*refused)}")
    return text


def multi_line(text: str) -> str:
    """An after-validator of notes: text over any number of lines, tabs kept."""
    refused = _refused_char(text, LINE_BREAKS + "\t")
    if refused is not None:
        raise ValueError("allowed text without control characters (line breaks and tabs are "
                         f"kept); {_found(*refused)}")
    return text
