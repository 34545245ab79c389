"""CSV files a spreadsheet program can open safely, written all or nothing.

Every CSV the toolkit writes (collect --csv, batch's manifest.csv and problems.csv) holds
text that came from partnerships: names, file names, messages quoting their cells. Opened
in Excel, a field that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is taken
as a formula (CWE-1236, "CSV injection"). Such a field gets a leading apostrophe, as OWASP
recommends, unless it is a true number; fields with a CR or LF are always quoted, so a
stray CR can never split a row.
"""
from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

from .fileio import atomic_write

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """A CSV field that no spreadsheet program will run: text starting like a formula gets a
    leading apostrophe; numbers (and text that is exactly a number) are left alone."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "" if value != value else str(value)   # NaN is a missing value (pandas); inf as text
        return value
    text = str(value)
    probe = text.lstrip(" ")
    if probe.startswith(_TRIGGERS) and not _NUMBER.match(text.strip()):
        return "'" + text
    return text


def write_rows(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write the rows to path as they are (no renaming): every field neutralised, CR and LF always quoted."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow([neutralise(h) for h in header])
        for row in rows:
            w.writerow([neutralise(v) for v in row])


def write_csv(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a CSV atomically (generator.fileio: renamed into place, removed on any failure,
    a full disk included; readable by others), every field neutralised."""
    return atomic_write(path, lambda tmp: write_rows(tmp, header, rows))
