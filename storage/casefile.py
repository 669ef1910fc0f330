"""Reading and writing case files (``tripod-case/1``) in YAML or JSON.

Every way a file can be wrong ends in a :class:`~engine.errors.CaseFileError` whose problems name
the file, the field, the value and what is allowed: a missing file, a directory, anything else that
is not a regular file (a FIFO, a device, a socket: never opened so as to block, never read past the
limit), a file over 1 MiB, bytes that are not UTF-8, an empty file, text that is not YAML or JSON, a
duplicate key, a value the parser cannot build (a number too long for Python, a list as a key),
nesting deeper than ``MAX_DEPTH`` or more than ``MAX_VALUES`` values, a document that is not a
mapping, and every field the intake model rejects. YAML dates are kept as text, so the intake model checks them as it checks JSON's, naming
the field; YAML numbers are read as decimal or kept as written (``engine/forms.py``), never as
YAML 1.1's octal, hex, binary, underscored or base-60 values. How YAML is read and written differs
from PyYAML's in ``storage/caseyaml.py``.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.errors import (
    CaseFileError,
    Problem,
    guarded,
    problems_from_validation,
    show_value,
)
from engine.intake import FORMAT, Case
from storage.caseyaml import CaseDumper, CaseLoader, DuplicateKey, Unbuildable, digit_limit
from storage.fhir_response import case_document, is_response

MAX_BYTES = 1024 * 1024
_AT_MOST = f"allowed at most {MAX_BYTES} bytes (1 MiB)"
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}
FILE = "(file)"


# A case file nests five levels at most (movements.hinge.left.heel) and holds about a hundred
# values. Far more is an attack or an accident: left alone, deep nesting exhausts the recursion of
# the validators and error printers, and YAML aliases can make a small file a billion values.
MAX_DEPTH = 32
MAX_VALUES = 10_000


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key, 0)
        seen[key] = value
    return seen


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > sys.get_int_max_str_digits():
        raise Unbuildable(f"a number of {digits} digits", digit_limit())
    return int(text)


def _reject_constant(name: str) -> Any:
    raise Unbuildable(name, "allowed valid JSON; NaN and Infinity are not JSON numbers")


_TOO_DEEP = ("(nested too deeply)", f"allowed at most {MAX_DEPTH} levels of nesting")
_TOO_MANY = (f"(more than {MAX_VALUES} values)", f"allowed a case file of at most {MAX_VALUES} values")


def _oversized(document: Any) -> tuple[str, str] | None:
    """The problem (value, allowed) when lists and mappings nest more than MAX_DEPTH levels or hold
    more than MAX_VALUES values, counting each alias as often as it is used; walked without
    recursion, and stopped at the first value over, so a billion-value file costs no more."""
    stack = [(document, 1)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            return _TOO_MANY
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_DEPTH:
            return _TOO_DEEP
        stack.extend((child, depth + 1) for child in children)
    return None


def _fail(where: str, field: str, value: str, allowed: str) -> CaseFileError:
    return CaseFileError([Problem(where, field, value, allowed)])


def _unreadable(where: str, exc: OSError) -> CaseFileError:
    return _fail(where, FILE, repr(where),
                 f"cannot be read ({exc.strerror}); allowed a readable file")


# What a path can be besides a regular file, in the words of a problem line.
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(where: str, mode: int) -> CaseFileError | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((words for test, words in _KINDS if test(mode)), "not a regular file")
    return _fail(where, FILE, repr(where), f"is {kind}; allowed a regular file")


def read_regular(where: str, path: Path) -> bytes:
    """The bytes of a regular file, at most MAX_BYTES of them, or a CaseFileError naming ``where``.

    A FIFO would block open() and read() until a writer came; /dev/zero or /dev/urandom report a
    size of 0 and never end. So the path is checked before it is opened, opened without blocking
    (O_NONBLOCK: a FIFO opens at once), checked again on what was opened (it may have been swapped
    in between), and read up to one byte past the limit whatever stat said.
    """
    try:
        refused = _not_regular(where, path.stat().st_mode)
        if refused is not None:
            raise refused
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
        try:
            info = os.fstat(fd)
            refused = _not_regular(where, info.st_mode)
            if refused is not None:
                raise refused
            if info.st_size > MAX_BYTES:
                raise _fail(where, FILE, f"{info.st_size} bytes", _AT_MOST)
            chunks: list[bytes] = []
            left = MAX_BYTES + 1
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 16))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _unreadable(where, exc) from exc
    if left <= 0:
        raise _fail(where, FILE, f"more than {MAX_BYTES} bytes", _AT_MOST)
    return b"".join(chunks)


def read_document(path: Path) -> Any:
    """The parsed YAML or JSON document of ``path``, or a CaseFileError saying why not."""
    where = str(path)
    suffix = path.suffix.lower()
    try:
        # exists() and is_dir() raise for a name too long for the system, say, not only False.
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as exc:
        raise _unreadable(where, exc) from exc
    if not exists:
        raise _fail(where, FILE, repr(where), "no such file; allowed an existing case file")
    if is_dir:
        raise _fail(where, FILE, repr(where), "is a directory; allowed a case file")
    if suffix not in SUFFIXES:
        raise _fail(where, FILE, show_value(path.name),
                    "allowed a YAML (.yaml, .yml) or JSON (.json) case file")
    return parse_document(where, read_regular(where, path), SUFFIXES[suffix])


def parse_document(where: str, raw: bytes, fmt: str) -> Any:
    """The parsed document of ``raw`` bytes, ``fmt`` "json" or "yaml" (a case file's content, or a
    request's body of at most ``MAX_BYTES``), or a CaseFileError saying why not."""
    if len(raw) > MAX_BYTES:
        raise _fail(where, FILE, f"more than {MAX_BYTES} bytes", _AT_MOST)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(where, FILE, f"byte {exc.start} = {raw[exc.start:exc.start + 1]!r}",
                    "allowed UTF-8 text") from exc
    if not text.strip():
        raise _fail(where, FILE, "(empty)", "allowed a tripod-case/1 document")
    if fmt == "json":
        return _parse_json(where, text)
    return _parse_yaml(where, text)


def _parse_json(where: str, text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_json_pairs, parse_constant=_reject_constant,
                          parse_int=_json_int)
    except DuplicateKey as exc:
        raise _fail(where, str(exc.key), "(given twice)", "each key at most once") from exc
    except Unbuildable as exc:
        raise _fail(where, FILE, exc.value, exc.allowed) from exc
    except RecursionError as exc:
        raise _fail(where, FILE, *_TOO_DEEP) from exc
    except json.JSONDecodeError as exc:
        # Its message is the parser's own (what was expected, line and column), never the text.
        raise _fail(where, FILE, "(not JSON)", f"allowed valid JSON; {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise _fail(where, FILE, "(not JSON)", "allowed valid JSON values") from exc


def _parse_yaml(where: str, text: str) -> Any:
    try:
        return yaml.load(text, Loader=CaseLoader)  # a SafeConstructor-based loader
    except DuplicateKey as exc:
        raise _fail(where, str(exc.key), f"(given twice, line {exc.line})",
                    "each key at most once") from exc
    except Unbuildable as exc:
        raise _fail(where, FILE, exc.value, exc.allowed) from exc
    except RecursionError as exc:
        raise _fail(where, FILE, *_TOO_DEEP) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        if problem.startswith("could not determine a constructor"):  # it quotes the file's tag
            problem = "a tag Tripod does not read (case files use no tags)"
        raise _fail(where, FILE, f"(not YAML at {place})", f"allowed valid YAML; {problem}") from exc
    except (ValueError, TypeError) as exc:
        raise _fail(where, FILE, "(not YAML)", "allowed valid YAML values") from exc


def _kind_of(document: Any) -> str:
    kinds = {str: "a text", list: "a list", bool: "true or false", int: "a number",
             float: "a number", type(None): "nothing"}
    return kinds.get(type(document), "a value")


def parse_case(where: str, document: Any) -> Case:
    """Validate a parsed document as a case (or a FHIR QuestionnaireResponse of Tripod's
    Questionnaire, ``storage/fhir_response.py``); all problems at once."""
    oversized = _oversized(document)
    if oversized is not None:
        raise _fail(where, FILE, *oversized)
    if not isinstance(document, dict):
        # Its kind, never its content: a file that is not a case (/etc/passwd) is not ours to quote.
        raise _fail(where, "(document)", f"({_kind_of(document)})",
                    "allowed a mapping that starts with format: tripod-case/1")
    if is_response(document):  # a FHIR QuestionnaireResponse of Tripod's Questionnaire
        document = case_document(where, document)
    try:
        return Case.model_validate(document)
    except ValidationError as exc:
        raise CaseFileError(problems_from_validation(where, exc, Case, document)) from exc


def load_case(path: str | os.PathLike[str]) -> Case:
    """Read, parse and validate one case file; a fault no check foresaw is an InternalError."""
    path = Path(path)
    with guarded(str(path), "reading"):
        return parse_case(str(path), read_document(path))


def case_to_document(case: Case) -> dict[str, Any]:
    """The case as a plain document: not-assessed fields left out, dates as ISO text; written as
    ``tripod-case/2`` whatever version it was read from (a version-1 case is a version-2 one)."""
    document: dict[str, Any] = case.model_dump(mode="json", exclude_none=True)
    document["format"] = FORMAT
    return document


def dump_case(case: Case, fmt: str = "yaml") -> str:
    """The case as a case file's text; read back, it gives the same case."""
    document = case_to_document(case)
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(document, Dumper=CaseDumper, sort_keys=False, allow_unicode=True, width=100)
