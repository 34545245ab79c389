"""Read a workbook by defined name: the small interface extract, validate and the add-in share.

`WorkbookSource` is the interface (read a named range's cells, list names, read metadata).
`FileSource` implements it over an .xlsx file: defined names from xl/workbook.xml (parsed
with defusedxml: no DTDs, no entities), cell values from python-calamine (fast), with the
real sheet coordinates kept so every value can be traced back to its cell.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from defusedxml import ElementTree as SafeET
from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^!'\s]+))!(\$?[A-Z]{1,3}\$?\d+)(?::(\$?[A-Z]{1,3}\$?\d+))?$")


class SourceError(ValueError):
    """The workbook cannot be read as one of ours (a name is missing or malformed)."""


@dataclass(frozen=True)
class Cell:
    """One cell's value and where it is."""

    value: Any
    sheet: str
    row: int   # zero-based
    col: int   # zero-based

    def __reduce__(self) -> tuple[Any, tuple[Any, str, int, int]]:
        """Pickled as its four fields (collect sends each file's cells from its workers: the
        dataclass's default, a dict of state per cell, is slower and larger)."""
        return (Cell, (self.value, self.sheet, self.row, self.col))

    @property
    def address(self) -> str:
        """'Sheet'!B5 style address for messages."""
        return f"{self.sheet}!{xl_rowcol_to_cell(self.row, self.col)}"

    @property
    def empty(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and self.value.strip() == "")


@dataclass(frozen=True)
class Ref:
    """A defined name's target: sheet and a rectangle (zero-based, inclusive)."""

    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int


def parse_ref(text: str) -> Ref | None:
    """'Sheet'!$B$5:$B$9 -> Ref; None for anything that is not a plain range."""
    m = _REF.match(text.strip())
    if not m:
        return None
    sheet = (m.group(1) or m.group(2)).replace("''", "'")
    r1, c1 = xl_cell_to_rowcol(m.group(3).replace("$", ""))
    r2, c2 = xl_cell_to_rowcol(m.group(4).replace("$", "")) if m.group(4) else (r1, c1)
    return Ref(sheet, r1, c1, r2, c2)


def _short(exc: BaseException, limit: int = 200) -> str:
    """An exception as one bounded line, for messages."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class WorkbookSource(Protocol):
    """What extract and validate need from a workbook, whatever holds it (a file, Excel)."""

    def names(self) -> dict[str, Ref]: ...

    def cells(self, name: str) -> list[Cell]: ...

    def sheet_names(self) -> list[str]: ...


def read_metadata(src: "WorkbookSource") -> dict[str, str]:
    """The hidden Metadata sheet's key/value pairs, through the Meta_Table name (empty when absent)."""
    if "Meta_Table" not in src.names():
        return {}
    cells = src.cells("Meta_Table")
    pairs = [cells[i:i + 2] for i in range(0, len(cells), 2)]
    return {str(k.value): "" if v.value is None else str(v.value) for k, v in pairs if k.value is not None}


def _clean(value: Any) -> Any:
    if isinstance(value, str) and value == "":
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _fast_clean(value: Any) -> Any:
    """_clean, with the values a sheet mostly holds (empty, text, numbers) decided first."""
    t = type(value)
    if t is str:
        return None if value == "" else value
    if value is None:
        return None
    if t is float:
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return _clean(value)


#: The largest rectangle a defined name of ours may cover: the tables hold at most 2,000 rows
#: (build's --staff-rows/--expense-rows/--revenue-rows) and ten years. A name re-pointed at
#: more (say Metadata!$A$1:$XFD$1048576) is refused before one cell of it is read.
MAX_NAME_ROW = 2_500          # zero-based last row of any named range
MAX_NAME_COL = 255            # zero-based last column
MAX_NAME_CELLS = 64_000       # cells in one named range


def check_name_extent(name: str, ref: Ref) -> None:
    """SourceError for a defined name wider than any toolkit template makes it."""
    cells = (ref.r2 - ref.r1 + 1) * (ref.c2 - ref.c1 + 1)
    if ref.r2 > MAX_NAME_ROW or ref.c2 > MAX_NAME_COL or cells > MAX_NAME_CELLS or ref.r2 < ref.r1 or ref.c2 < ref.c1:
        raise SourceError(f"the defined name {name} points at {xl_rowcol_to_cell(ref.r1, ref.c1)}:"
                          f"{xl_rowcol_to_cell(ref.r2, ref.c2)} on {ref.sheet!r}, larger than any toolkit workbook holds "
                          f"(it was changed after the workbook was built)")


#: defined names by the workbook part's bytes: the returned workbooks of one batch share their
#: workbook part, so it is parsed once per process (a Ref is immutable; each source gets its own dict)
_NAMES: dict[bytes, dict[str, Ref]] = {}


class FileSource:
    """A WorkbookSource over an .xlsx file (read-only; nothing is executed).

    The file is read once and inspected (readback.safety) unless the caller passes the
    bytes it already inspected; names and cells are then read from those bytes, never from
    the path again.
    """

    def __init__(self, path: str | os.PathLike[str], data: bytes | None = None, parts: dict[str, bytes] | None = None):
        import io

        import python_calamine

        from .safety import UnsafeFile, inspect_file

        self.path = Path(path)
        if data is None:
            try:
                data, info = inspect_file(self.path, keep_parts=True)
            except UnsafeFile as exc:
                raise SourceError(exc.message) from None
            parts = info.parts
        self._data = data
        self._parts = parts or {}   # the inflated parts the inspection of these bytes kept
        self._names = self._read_names()
        try:
            self._wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # calamine raises its own error types; a Rust panic is a BaseException
            raise SourceError(f"cannot read the workbook: {_short(exc)}") from None
        self._grids: dict[str, tuple[tuple[int, int], list[list[Any]]]] = {}
        self._cells: dict[str, list[Cell]] = {}   # by name: extract reads a table's columns more than once
        self._vals: dict[str, list[Any]] = {}     # by name: the values behind them

    def _read_names(self) -> dict[str, Ref]:
        import io

        try:
            xml = self._parts.get("xl/workbook.xml")
            if xml is None:
                with zipfile.ZipFile(io.BytesIO(self._data)) as z:
                    xml = z.read("xl/workbook.xml")
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise SourceError(f"not an Excel workbook ({exc})") from None
        hit = _NAMES.get(xml)
        if hit is not None:
            return dict(hit)
        try:
            root = SafeET.fromstring(xml, forbid_dtd=True)
        except Exception as exc:  # defusedxml refusals and parse errors
            raise SourceError(f"its workbook part cannot be read ({_short(exc)})") from None
        out: dict[str, Ref] = {}
        for dn in root.iterfind("m:definedNames/m:definedName", NS):
            if dn.get("localSheetId") is not None:
                continue
            ref = parse_ref(dn.text or "")
            if ref is not None:
                check_name_extent(dn.get("name", ""), ref)
                out[dn.get("name", "")] = ref
        if len(_NAMES) >= 64:
            _NAMES.clear()
        _NAMES[bytes(xml)] = out
        return dict(out)

    def names(self) -> dict[str, Ref]:
        return self._names

    def sheet_names(self) -> list[str]:
        return list(self._wb.sheet_names)

    def _grid(self, sheet: str) -> tuple[tuple[int, int], list[list[Any]]]:
        if sheet not in self._grids:
            if sheet not in self._wb.sheet_names:
                raise SourceError(f"the sheet {sheet!r} is missing")
            try:
                sh = self._wb.get_sheet_by_name(sheet)
                # skip_empty_area=False gives the grid from A1 (not from sh.start), so the offset is (0, 0);
                # its size was bounded, counted from A1, by the inspection
                grid = sh.to_python(skip_empty_area=False) if sh.height else []
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # a Rust panic is a BaseException
                raise SourceError(f"the sheet {sheet!r} cannot be read ({_short(exc)})") from None
            self._grids[sheet] = ((0, 0), grid)
        return self._grids[sheet]

    def cells(self, name: str) -> list[Cell]:
        """Every cell of a named range, row-major, with values normalised (empty -> None)."""
        hit = self._cells.get(name)
        if hit is not None:
            return hit
        ref, values = self._ref(name), self.range_values(name)
        sheet, c1, width = ref.sheet, ref.c1, ref.c2 - ref.c1 + 1
        if width == 1:   # a table's column: the usual case
            out = [Cell(value, sheet, r, c1) for r, value in enumerate(values, ref.r1)]
        else:
            out = [Cell(value, sheet, ref.r1 + i // width, c1 + i % width) for i, value in enumerate(values)]
        self._cells[name] = out
        return out

    def cell_at(self, name: str, index: int) -> Cell:
        """The index-th cell (row-major) of a named range: cells(name)[index], without a Cell made
        for every other cell (a table's column has forty rows, and most are empty)."""
        hit = self._cells.get(name)
        if hit is not None:
            return hit[index]
        ref, values = self._ref(name), self.range_values(name)
        width = ref.c2 - ref.c1 + 1
        return Cell(values[index], ref.sheet, ref.r1 + index // width, ref.c1 + index % width)

    def range_values(self, name: str) -> list[Any]:
        """The values of cells(name), without the Cell around each (the cached-values check reads
        hundreds of output cells and wants only their values). The list is the source's own: read it only."""
        hit = self._vals.get(name)
        if hit is None:
            hit = self._vals[name] = self._values(self._ref(name))
        return hit

    def _ref(self, name: str) -> Ref:
        ref = self._names.get(name)
        if ref is None:
            raise SourceError(f"the defined name {name} is missing")
        return ref

    def _values(self, ref: Ref) -> list[Any]:
        """The normalised value of every cell of a rectangle, row-major (slices of the grid's rows,
        padded with None past its edges, then one pass that leaves the usual values, empty and text,
        to the comprehension and gives the rest to _fast_clean)."""
        (r0, c0), grid = self._grid(ref.sheet)
        if ref.r1 == ref.r2 and ref.c1 == ref.c2 and ref.r1 >= r0 and ref.c1 >= c0:   # a single cell: most names
            row = grid[ref.r1 - r0] if ref.r1 - r0 < len(grid) else ()
            v = row[ref.c1 - c0] if ref.c1 - c0 < len(row) else None
            return [None if v is None or (type(v) is str and v == "") else (v if type(v) is str else _fast_clean(v))]
        width = ref.c2 - ref.c1 + 1
        lo, hi = ref.r1 - r0, ref.r2 - r0 + 1
        c_lo, c_hi = ref.c1 - c0, ref.c2 - c0 + 1
        raw: list[Any] = []
        if c_lo < 0 or lo < 0:   # never for our grids (from A1): cell by cell, as it always was
            for r in range(lo, hi):
                row = grid[r] if 0 <= r < len(grid) else ()
                raw.extend(row[c] if 0 <= c < len(row) else None for c in range(c_lo, c_hi))
        else:
            for row in grid[lo:hi]:
                part = row[c_lo:c_hi]
                raw.extend(part)
                if len(part) < width:
                    raw.extend([None] * (width - len(part)))
            if hi > len(grid):
                raw.extend([None] * ((hi - max(lo, len(grid))) * width))
        clean = _fast_clean
        return [None if v is None or (type(v) is str and v == "") else (v if type(v) is str else clean(v)) for v in raw]

    def value(self, name: str) -> Any:
        """The value of a single-cell name."""
        return self.cells(name)[0].value

    def metadata(self) -> dict[str, str]:
        """The hidden Metadata sheet's key/value pairs (empty when absent)."""
        return read_metadata(self)


class BookSource:
    """A WorkbookSource over any object with `defined_names()` and `read_name()` (the add-in's
    Book interface: an open xlwings Book inside Excel, or generator.report.book.FileBook over a file),
    so extract and validate serve every front end with the same code."""

    def __init__(self, book: Any):
        self.book = book
        self._names = {n: r for n, t in book.defined_names().items() if (r := parse_ref(t or "")) is not None}
        for n, r in self._names.items():
            check_name_extent(n, r)
        self._cache: dict[str, list[Cell]] = {}

    def names(self) -> dict[str, Ref]:
        return self._names

    def sheet_names(self) -> list[str]:
        return list(self.book.sheet_names())

    def cells(self, name: str) -> list[Cell]:
        if name not in self._cache:
            ref = self._names.get(name)
            if ref is None:
                raise SourceError(f"the defined name {name} is missing")
            rows = self.book.read_name(name)
            out = []
            for i, r in enumerate(range(ref.r1, ref.r2 + 1)):
                row = rows[i] if i < len(rows) else []
                for j, c in enumerate(range(ref.c1, ref.c2 + 1)):
                    out.append(Cell(_clean(row[j] if j < len(row) else None), ref.sheet, r, c))
            self._cache[name] = out
        return self._cache[name]

    def value(self, name: str) -> Any:
        return self.cells(name)[0].value

    def metadata(self) -> dict[str, str]:
        return read_metadata(self)
