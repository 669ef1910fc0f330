"""A value as a person writes it: the one way an observed or answered value is shown in words.

Reports, ``tripod history`` and the intake's questions all show values through :func:`shown`:
``22`` not ``22.0``, a list's items joined by commas. Error lines use ``engine.errors.show_value``
instead, which shows a value unambiguously (quoted, as written) because there the value is at fault.
"""

from __future__ import annotations

from typing import Any


def shown(value: Any, *, unknown: str = "None", brackets: bool = False) -> str:
    """``value`` in words; ``unknown`` for None (not assessed), ``brackets`` around a list."""
    if value is None:
        return unknown
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        joined = ", ".join(str(item) for item in value)
        return f"[{joined}]" if brackets else joined
    return str(value)
