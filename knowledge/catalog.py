"""The one door to Tripod's knowledge files.

Everything a person reads (claims, sources, instrument descriptions, red-flag questions, finding and
constraint wording) and every number a rule or validator uses (ranges, cut-offs) lives in YAML under
``knowledge/data/``. This module loads those files through ``importlib.resources``, fills in the
``{cut:}``/``{error:}`` numbers, checks them with pydantic models that forbid unknown keys
(``knowledge/clinical.py``, ``knowledge/wording.py``) and the links between them
(``knowledge/links.py``), and hands out one cached :class:`Catalog`. Nothing else in Tripod opens a
knowledge file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import Field

from knowledge.clinical import (
    Constraint,
    Instrument,
    RedFlagBook,
    RootCauses,
    Source,
    Threshold,
    WatchedObservation,
    _num,
    _Strict,
)
from knowledge.follow_up import FollowUp
from knowledge.links import _broken_links
from knowledge.wording import Handouts, Messages, Questions, ReportTexts, Texts

if TYPE_CHECKING:  # its model is made only by the FHIR export that reads it
    from knowledge.fhir_codes import FhirCodes


class Catalog(_Strict):
    claims: dict[str, str]
    sources: dict[str, Source]
    instruments: dict[str, Instrument]
    thresholds: dict[str, Threshold]
    red_flags: RedFlagBook
    texts: Texts
    root_causes: RootCauses
    constraints: dict[str, Constraint]
    observations: tuple[WatchedObservation, ...]
    questions: Questions
    report_texts: ReportTexts
    follow_up: FollowUp
    handouts: Handouts
    version: str = Field(description="Hash of the knowledge files, stored with every assessment")

    def threshold(self, key: str) -> Threshold:
        return self.thresholds[key]

    def instrument(self, key: str) -> Instrument:
        return self.instruments[key]



_FILES = (
    "claims",
    "sources",
    "instruments",
    "thresholds",
    "red_flags",
    "texts",
    "root_causes",
    "constraints",
    "observations",
    "questions",
    "report_texts",
    "follow_up",
    "handouts",
)


# libyaml's safe loader, when PyYAML has it: the same data, a tenth of the time (about 0.1 s saved at
# every start of a command that reasons, and of every batch worker).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _data_folder() -> Any:
    # Looked up once: importlib.resources' lookup costs more than reading a small file.
    return resources.files("knowledge").joinpath("data")


def _raw(name: str) -> bytes:
    return _data_folder().joinpath(f"{name}.yaml").read_bytes()  # type: ignore[no-any-return]


def _read(name: str) -> tuple[Any, bytes]:
    raw = _raw(name)
    return yaml.load(raw, Loader=_SafeLoader), raw


def _version(raws: dict[str, bytes]) -> str:
    """The knowledge version: a hash of every knowledge file's name and content."""
    digest = hashlib.sha256()
    for name in _FILES:
        digest.update(name.encode() + b"\0" + raws[name])
    return f"kb-{digest.hexdigest()[:12]}"


def load_data(raws: dict[str, bytes] | None = None) -> dict[str, Any]:
    """Every knowledge file's data (``raws``: their bytes, read here when not given), numbers filled
    in, not yet checked; ``version`` its content hash."""
    raws = raws if raws is not None else {name: _raw(name) for name in _FILES}
    data: dict[str, Any] = {name: yaml.load(raws[name], Loader=_SafeLoader) for name in _FILES}
    data["claims"] = {str(k): str(v) for k, v in data["claims"].items()}
    for name in _WORDED:  # the files a person reads: numbers written {cut:<key>} (see texts.yaml)
        data[name] = _with_numbers(data[name], data, name)
    data["version"] = _version(raws)
    return data


def build(data: dict[str, Any]) -> Catalog:
    """The checked catalog of ``data``: each file against its model, then every link between the
    files; a broken link is a ValueError listing every one, a line each."""
    kb = Catalog(**data)
    problems = _broken_links(kb)
    if problems:
        raise ValueError("\n".join(problems))
    return kb


@cache
def catalog() -> Catalog:
    """Load and check every knowledge file once per process. A catalog already checked for these very
    files (and this very code) is taken from the user's cache instead (``knowledge/catalog_cache.py``)."""
    from knowledge import catalog_cache as kept

    raws = {name: _raw(name) for name in _FILES}
    key = kept.key(raws)
    found = kept.load(key)
    if isinstance(found, Catalog) and found.version == _version(raws):
        return found
    kb = build(load_data(raws))
    kept.save(key, kb)
    return kb


_WORDED = ("texts", "instruments", "questions", "report_texts", "red_flags", "handouts")
_NUMBER = re.compile(r"\{(cut|error):([a-z0-9_]+)\}")


def _number(data: dict[str, Any], kind: str, key: str) -> str | None:
    """``{cut:<key>}``: a cut-off's value from thresholds.yaml; ``{error:<key>}``: an instrument's
    published measurement error from instruments.yaml. None if there is no such number."""
    if kind == "cut":
        entry = data["thresholds"].get(key)
    else:
        entry = (data["instruments"].get(key) or {}).get("error")
    if not isinstance(entry, dict) or entry.get("value") is None:
        return None
    return _num(entry["value"])


def _with_numbers(value: Any, data: dict[str, Any], file: str, where: str = "") -> Any:
    """``value`` (a knowledge file's data) with each ``{cut:<key>}`` and ``{error:<key>}`` in its
    text replaced by that number from thresholds.yaml or instruments.yaml, so that no wording
    repeats a number that could drift from the rule's or the instrument's own. An unknown key, or
    a ``{cut``/``{error`` left over, is an error naming the place."""
    if isinstance(value, dict):
        return {key: _with_numbers(item, data, file, f"{where}.{key}" if where else str(key))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_with_numbers(item, data, file, f"{where}[{index}]")
                for index, item in enumerate(value)]
    if not isinstance(value, str):
        return value

    def problem(text: str) -> ValueError:
        return ValueError(f"knowledge/data/{file}.yaml: {where} = {text!r}: unknown number; allowed "
                          "{cut:<key of thresholds.yaml>} or {error:<key of an instrument with an "
                          "error>}")

    def number(match: re.Match[str]) -> str:
        found = _number(data, match.group(1), match.group(2))
        if found is None:
            raise problem(match.group(0))
        return found

    text = _NUMBER.sub(number, value)
    for leftover in ("{cut", "{error"):
        if leftover in text:
            raise problem(text[text.index(leftover):][:40])
    return text


# -- The application's own sentences: knowledge/data/messages.yaml -----------------------------------
# What `tripod` and its intake say that is neither a problem line nor report wording, as format
# strings named by key. Kept out of the knowledge version (no conclusion depends on them), and read
# on first use, so that commands which never speak to a person do not load them. The model,
# Messages, is in knowledge/wording.py.


@cache
def messages() -> Messages:
    """Load and check knowledge/data/messages.yaml once per process."""
    return Messages.model_validate(_read("messages")[0])


def sayer(group: str) -> Callable[..., str]:
    """``say(key, **values)``: the sentence ``group.key`` of messages.yaml with ``values`` filled in,
    the one way a module that speaks from one group says it (messages are read when first said)."""

    def say(key: str, **values: Any) -> str:
        return messages().say(f"{group}.{key}", **values)

    return say


@cache
def fhir_codes() -> FhirCodes:
    """Load and check knowledge/data/fhir_codes.yaml once per process (outside the version)."""
    from knowledge.fhir_codes import FhirCodes

    return FhirCodes.model_validate(_read("fhir_codes")[0])
