"""Stored text shown on a terminal: every character that could steer it is shown, not obeyed.

A name, a note or a path comes from whoever wrote the record: another tool, an older Tripod, a
pasted value. Printed raw, an escape sequence in it clears the screen or retitles the window, and a
direction override makes ``gnp.exe`` read as ``exe.png``. :func:`for_terminal` is the one helper
for showing stored text: control characters (C0, DEL, C1), format characters (direction marks and
overrides, zero-width joiners and spaces) and line or paragraph separators become visible escapes
(``\\x1b``, ``\\u202e``), a backslash is doubled so an escape cannot be faked, and a newline is
kept only where the caller prints several lines.
"""

from __future__ import annotations

import unicodedata

_STEERING = ("Cc", "Cf", "Zl", "Zp", "Cs")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else (
        f"\\U{code:08x}")


def for_terminal(text: str, *, lines: bool = False) -> str:
    """``text`` safe to print on a terminal; with ``lines``, newlines are kept as they are."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == "\n" and lines:
            out.append(char)
        elif unicodedata.category(char) in _STEERING:
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)
