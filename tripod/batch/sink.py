"""A batch's summary and errors files, written row by row: ``summary.csv``, ``summary.json`` (a JSON
array) and ``errors.txt``, each to an owner-only temporary file renamed into place when the batch
stops (:class:`storage.safe_output.AtomicFile`)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, cast

from storage.safe_output import AtomicFile

SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
ERRORS = "errors.txt"
SUMMARY_FORMATS = ("csv", "json")
COLUMNS = ("client_id", "assessed_on", "source", "output", "status", "urgency", "root_cause",
           "confidence", "findings")
FAILED = "failed"


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting = + - @ (a source path can) is quoted."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _inert_name(name: str | None) -> str | None:
    """An output file's name, made inert so that it still names the file: ./-12_2026-11-22.json
    (a client id may start with -), where a quote would name nothing."""
    if name is not None and name.startswith(_FORMULA_STARTS):
        return f"./{name}"
    return name


class Sink:
    """The summary and errors files of one batch, written row by row."""

    def __init__(self, out: Path, formats: Sequence[str]) -> None:
        self.spools: list[AtomicFile] = []
        self.csv: Any = None
        self.json: AtomicFile | None = None
        self.rows = 0
        try:
            if "csv" in formats:
                spool = self._open(out / SUMMARY_CSV)
                self.csv = csv.DictWriter(cast(IO[str], spool.handle), fieldnames=COLUMNS)
                self.csv.writeheader()
            if "json" in formats:
                self.json = self._open(out / SUMMARY_JSON, "[")
            self.errors = self._open(out / ERRORS)
        except BaseException:
            for opened in self.spools:  # the ones opened before the failure leave nothing
                opened.discard()
            raise

    def _open(self, path: Path, head: str = "") -> AtomicFile:
        spool = AtomicFile(path, encoding="utf-8")
        self.spools.append(spool)
        spool.write(head)
        return spool

    def row(self, row: dict[str, Any]) -> None:
        if self.csv is not None:
            cells = {**row, "findings": " ".join(row["findings"])}
            self.csv.writerow({key: _inert_name(value) if key == "output" else _inert(value)
                               for key, value in cells.items()})
        if self.json is not None:
            self.json.write(("\n" if not self.rows else ",\n") + json.dumps(row))
        self.rows += 1

    def error(self, source: str, problems: str, client_id: str | None = None,
              assessed_on: str | None = None) -> None:
        self.errors.write(problems.rstrip("\n") + "\n")
        self.row({column: None for column in COLUMNS} | {
            "source": source, "status": FAILED, "findings": [], "client_id": client_id,
            "assessed_on": assessed_on})

    def close(self) -> None:
        for spool in self.spools:
            if spool is self.json:
                spool.write("\n]\n")
            spool.commit()
