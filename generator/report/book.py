"""The small workbook interface every action works through, and its two implementations.

An action (validate, recalculate, risk, upgrade) never talks to Excel or to a file
directly: it reads defined names, ranges and formulas, writes a report sheet (with links
to cells) and colours cells through a `Book`. Two implementations:

- `FileBook`: a workbook file opened with openpyxl; used by the command line and the tests.
- `XlwingsBook` (in the add-in package, macros/book.py): an open workbook in desktop Excel
  (Windows or Mac) through xlwings' classic, BSD-licensed API; used by the add-in.

A report is plain data (`Report`: a title, notes, settings, a table of year rows and an
optional fan chart), laid out once by `layout` into cells, so both implementations
write the same cells at the same addresses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from openpyxl.utils.cell import get_column_letter, range_boundaries

from ..workbook import styles

PCT = "0.0%"
MONEY = "#,##0;[Red]-#,##0"
# the workbooks' own colours (generator.workbook.styles), without the "#" openpyxl and Excel's COM do not take
INPUT_FILL = styles.INPUT_FILL.lstrip("#")
HEADER_FILL = styles.HEADER_FILL.lstrip("#")
PASS_FILL = styles.PASS_FILL.lstrip("#")
FAIL_FILL = styles.FAIL_FILL.lstrip("#")
WARN_FILL = "FFEB9C"
HIDDEN_COL = 30   # first column (AD) of a report's hidden block: data an action keeps for its next run


# ----------------------------------------------------------------------------- reports


@dataclass
class Row:
    label: str
    values: list[Any]
    number_format: str = MONEY
    link: str | None = None    # the label links to this cell of the workbook: "'Staffing'!B5"
    fill: str | None = None    # fill of the whole row (label and values), e.g. FAIL_FILL


def location(sheet: str, cell: str = "A1") -> str:
    """A link target inside the workbook: 'Sheet name'!B5 (quotes always, doubled inside)."""
    return "'" + sheet.replace("'", "''") + "'!" + cell.replace("$", "")


@dataclass
class FanChart:
    """P10-P90 band with the median line (and optionally a reference line), over the year columns."""

    title: str
    low: str        # label of the row drawn as the bottom of the band (P10)
    mid: str        # label of the median row (P50)
    high: str       # label of the top of the band (P90)
    band: str       # label of the row holding high - low (stacked on low to draw the band)
    reference: str | None = None  # e.g. the reserve target row
    y_title: str = "Ending cash"

    @property
    def lines(self) -> list[str]:
        """The rows a plain line chart shows (xlwings): low, mid, high, reference; first in the chart rows."""
        return [self.low, self.mid, self.high] + ([self.reference] if self.reference else [])


@dataclass
class Report:
    """A report sheet: what it says, independent of where it is written."""

    sheet: str
    title: str
    notes: list[str]
    settings: list[tuple[str, Any]]       # (label, value): input cells a user may change before a rerun
    header: list[str]                      # column labels of the table (year labels)
    rows: list[Row]
    chart: FanChart | None = None
    chart_rows: list[Row] = field(default_factory=list)  # the rows the chart plots, in a block of their own under the table
    status: tuple[str, str | None] | None = None  # (text, fill): a bold headline under the title (all good / problems)
    label_header: str = ""                 # header of the label column (column A)
    widths: dict[int, float] | None = None  # column widths (1-based column -> width) replacing the defaults
    hidden: list[list[Any]] = field(default_factory=list)  # rows written from column HIDDEN_COL on, in hidden columns


@dataclass
class Cell:
    row: int   # 1-based
    col: int   # 1-based
    value: Any
    number_format: str | None = None
    bold: bool = False
    fill: str | None = None
    font_color: str | None = None
    size: float | None = None
    link: str | None = None    # an internal link target ("'Staffing'!B5"); the value is the text shown


@dataclass
class Layout:
    cells: list[Cell]
    settings: dict[str, str]               # setting label -> address of its value cell ("B4")
    table: dict[str, str]                  # table row label -> address of its values ("B10:F10")
    chart: dict[str, str]                  # chart data row label -> address of its values
    categories: str                        # address of the year labels of the table
    chart_categories: str                  # address of the year labels of the chart data block
    chart_anchor: str                      # top-left cell of the chart
    widths: dict[int, float]
    hidden_cols: list[int] = field(default_factory=list)


def layout(report: Report) -> Layout:
    """Where every part of a report goes on its sheet."""
    cells: list[Cell] = [Cell(1, 1, report.title, bold=True, size=14)]
    r = 2
    if report.status is not None:
        text, fill = report.status
        cells.append(Cell(r, 1, text, bold=True, fill=fill))
        r += 1
    for note in report.notes:
        cells.append(Cell(r, 1, note))
        r += 1
    r += 1
    settings: dict[str, str] = {}
    if report.settings:
        cells.append(Cell(r, 1, "Settings (change and run again)", bold=True))
        r += 1
        for label, value in report.settings:
            cells.append(Cell(r, 1, label))
            cells.append(Cell(r, 2, value, fill=INPUT_FILL))
            settings[label] = f"B{r}"
            r += 1
        r += 1
    n = len(report.header)
    cells.append(Cell(r, 1, report.label_header, bold=bool(report.label_header), fill=HEADER_FILL,
                      font_color="FFFFFF" if report.label_header else None))
    for j, label in enumerate(report.header):
        cells.append(Cell(r, 2 + j, label, bold=True, fill=HEADER_FILL, font_color="FFFFFF"))
    categories = f"B{r}:{get_column_letter(1 + n)}{r}"
    table: dict[str, str] = {}

    def put(rows: list[Row], where: dict[str, str]) -> None:
        nonlocal r
        for row in rows:
            r += 1
            cells.append(Cell(r, 1, row.label, fill=row.fill, link=row.link))
            for j, v in enumerate(row.values):
                cells.append(Cell(r, 2 + j, v, number_format=row.number_format, fill=row.fill))
            where[row.label] = f"B{r}:{get_column_letter(1 + n)}{r}"

    put(report.rows, table)
    chart: dict[str, str] = {}
    chart_categories = categories
    if report.chart_rows:
        r += 2
        cells.append(Cell(r, 1, "Chart data", bold=True))
        for j, label in enumerate(report.header):
            cells.append(Cell(r, 2 + j, label, bold=True))
        chart_categories = f"B{r}:{get_column_letter(1 + n)}{r}"
        put(report.chart_rows, chart)
    hidden_cols: list[int] = []
    for i, values in enumerate(report.hidden):
        for j, v in enumerate(values):
            cells.append(Cell(1 + i, HIDDEN_COL + j, v))
    if report.hidden:
        hidden_cols = list(range(HIDDEN_COL, HIDDEN_COL + max(len(v) for v in report.hidden)))
    widths = report.widths if report.widths is not None else {1: 38, **{2 + j: 14 for j in range(n)}}
    return Layout(cells, settings, table, chart, categories, chart_categories, chart_anchor=f"A{r + 3}",
                  widths=dict(widths), hidden_cols=hidden_cols)


# ----------------------------------------------------------------------------- interface


class Book(Protocol):
    """What an action may do with a workbook."""

    def sheet_names(self) -> list[str]: ...

    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped defined name -> what it refers to (e.g. "'Revenue'!$B$5:$B$54")."""
        ...

    def read_name(self, name: str) -> list[list[Any]]:
        """The values of the range a defined name refers to, as rows."""
        ...

    def read_range(self, sheet: str, address: str) -> list[list[Any]]:
        """The values of a range ("B5:F54") on a sheet, as rows."""
        ...

    def write_report(self, report: Report) -> Layout:
        """Write `report` on its sheet (replacing a sheet of that name), with its chart."""
        ...

    def colour(self, sheet: str, address: str, rgb: str | None) -> None:
        """Fill a cell or range with a colour ("FFC7CE"), or clear the fill (None)."""
        ...

    def fill(self, sheet: str, address: str) -> str | None:
        """The solid fill of a cell as "RRGGBB", or None when it has none."""
        ...

    def read_formulas(self) -> dict[tuple[str, str], str]:
        """(sheet, "B5") -> formula text ("=..."), for every formula cell of every sheet."""
        ...

    def name(self) -> str:
        """The workbook's file name, for messages."""
        ...

    def saved_path(self) -> Path | None:
        """Where the workbook is saved, or None when it has never been saved."""
        ...

    def calculate(self) -> None:
        """Bring every formula's value up to date (Excel in manual calculation mode); a file: nothing to do."""
        ...


def _rows(values: Any, address: str) -> list[list[Any]]:
    """Normalise a value read from a range into rows."""
    min_col, min_row, max_col, max_row = range_boundaries(address.replace("$", ""))
    if not isinstance(values, list):
        return [[values]]
    if values and not isinstance(values[0], list):
        return [values] if min_row == max_row else [[v] for v in values]
    return values


def split_ref(ref: str) -> tuple[str, str]:
    """("Sheet name", "B5:B54") from "='Sheet name'!$B$5:$B$54"."""
    ref = ref.lstrip("=")
    sheet, _, address = ref.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, address.replace("$", "")


# ----------------------------------------------------------------------------- openpyxl


class FileBook:
    """A workbook file through openpyxl (the command line and the tests).

    `read_name`/`read_range` give the values cached in the file (what Excel last
    calculated, or what the generator wrote), except on sheets written by `write_report`
    in this session, which are read as written; `save` writes a copy. openpyxl keeps
    formulas, names, validation and charts, but drops the cached values of formulas:
    Excel and LibreOffice recalculate them on open.
    """

    #: openpyxl builds an object per cell, slowly: a returned file it reads may hold at most this
    #: many cells (a toolkit workbook at its largest, 2,000-row tables, holds about 140,000)
    MAX_CELLS = 250_000

    def __init__(self, path: str | Path, data: bytes | None = None):
        """Open a returned workbook: read once, inspected (generator.readback.safety), then
        parsed by openpyxl from those very bytes. Macros are never loaded, so never kept:
        `save` writes a plain .xlsx. Raises `BookError` for a file that cannot be used."""
        import io

        from openpyxl import load_workbook

        from ..readback.safety import Limits, UnsafeFile, inspect_file, inspect_package

        self.path = Path(path)
        limits = Limits(max_sheet_cells=self.MAX_CELLS, max_total_cells=self.MAX_CELLS)
        try:
            if data is None:
                data, info = inspect_file(self.path, limits)
            else:
                info = inspect_package(data, limits)
        except UnsafeFile as exc:
            raise BookError(exc.message) from None
        if info.kind not in ("xlsx", "xlsm", "xltx", "xltm"):
            raise BookError(f"an .{info.kind} file: save it as an Excel Workbook (.xlsx)")
        self._data = data
        try:
            self.wb = load_workbook(io.BytesIO(data), keep_vba=False)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # openpyxl's own errors on a damaged but well-formed package
            raise BookError(f"cannot be read as a workbook ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None
        self._values: Any = None  # the openpyxl workbook of cached values, opened on first use
        self._written: set[str] = set()

    def _value_book(self) -> Any:
        if self._values is None:
            import io

            from openpyxl import load_workbook

            self._values = load_workbook(io.BytesIO(self._data), data_only=True, read_only=False, keep_vba=False)
        return self._values

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def defined_names(self) -> dict[str, str]:
        return {name: dn.attr_text for name, dn in self.wb.defined_names.items()}

    def read_name(self, name: str) -> list[list[Any]]:
        dn = self.wb.defined_names.get(name)
        if dn is None:
            raise KeyError(f"no defined name {name!r} in {self.path.name}")
        sheet, address = split_ref(dn.attr_text)
        return self.read_range(sheet, address)

    def read_range(self, sheet: str, address: str) -> list[list[Any]]:
        ws = self.wb[sheet] if sheet in self._written else self._value_book()[sheet]
        cells = ws[address]
        if not isinstance(cells, tuple):
            return [[cells.value]]
        if cells and not isinstance(cells[0], tuple):
            cells = (cells,)
        return [[c.value for c in row] for row in cells]

    def write_report(self, report: Report) -> Layout:
        from openpyxl.styles import Font, PatternFill
        from openpyxl.worksheet.hyperlink import Hyperlink

        if report.sheet in self.wb.sheetnames:
            del self.wb[report.sheet]
        ws = self.wb.create_sheet(report.sheet)
        self._written.add(report.sheet)
        lay = layout(report)
        for c in lay.cells:
            cell = ws.cell(row=c.row, column=c.col, value=c.value)
            if isinstance(c.value, str) and cell.data_type == "f":
                cell.data_type = "s"   # openpyxl takes any text starting with '=' for a formula: report text stays text
            if c.number_format:
                cell.number_format = c.number_format
            if c.link:
                cell.hyperlink = Hyperlink(ref=cell.coordinate, location=c.link, display=str(c.value))
                cell.font = Font(color="0563C1", underline="single", bold=c.bold)
            elif c.bold or c.font_color or c.size:
                cell.font = Font(bold=c.bold, color=c.font_color, size=c.size)
            if c.fill:
                cell.fill = PatternFill("solid", start_color=c.fill, end_color=c.fill)
        for col, width in lay.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = width
        for col in lay.hidden_cols:
            ws.column_dimensions[get_column_letter(col)].hidden = True
        if report.chart is not None:
            ws.add_chart(self._fan_chart(ws, report.chart, lay), lay.chart_anchor)
        return lay

    @staticmethod
    def _fan_chart(ws: Any, spec: FanChart, lay: Layout) -> Any:
        """Stacked area (P10 invisible + P10-P90 band) with the median and reference as lines."""
        from openpyxl.chart import AreaChart, LineChart, Reference, Series
        from openpyxl.chart.legend import LegendEntry
        from openpyxl.chart.series import Series as ChartSeries

        def row_ref(address: str) -> Reference:
            """The first row of a cell range (the layout's chart ranges are always cell ranges)."""
            min_col, min_row, max_col, _ = range_boundaries(address)
            if min_col is None or min_row is None:
                raise ValueError(f"not a cell range: {address!r}")
            return Reference(ws, min_col=min_col, min_row=min_row, max_col=max_col, max_row=min_row)

        def series(label: str, title: str | None = None) -> ChartSeries:
            return Series(row_ref(lay.chart[label]), title=title or label)

        cats = row_ref(lay.chart_categories)
        area = AreaChart()
        area.grouping = "stacked"
        area.title = spec.title
        area.y_axis.title = spec.y_title
        area.y_axis.number_format = "#,##0"
        base, band = series(spec.low), series(spec.band, f"{spec.low} to {spec.high}")
        base.graphicalProperties.noFill = True
        base.graphicalProperties.line.noFill = True
        band.graphicalProperties.solidFill = "9DC3E6"
        band.graphicalProperties.line.noFill = True
        area.series += [base, band]
        area.set_categories(cats)
        line = LineChart()
        mid = series(spec.mid)
        mid.graphicalProperties.line.solidFill = styles.INPUT_FONT.lstrip("#")
        mid.graphicalProperties.line.width = 28575
        line.series.append(mid)
        if spec.reference:
            ref = series(spec.reference)
            ref.graphicalProperties.line.solidFill = "C00000"
            ref.graphicalProperties.line.dashStyle = "dash"
            line.series.append(ref)
        line.set_categories(cats)
        area += line
        area.x_axis.tickLblPos = "low"      # year labels under the plot, also when cash goes negative
        area.x_axis.delete = False          # openpyxl 3.1 otherwise leaves the axes hidden in Excel
        area.y_axis.delete = False
        legend = area.legend
        assert legend is not None  # a new chart has its default legend
        legend.position = "b"
        legend.legendEntry = [LegendEntry(idx=0, delete=True)]  # the invisible base of the band
        area.width, area.height = 22, 11
        return area

    def colour(self, sheet: str, address: str, rgb: str | None) -> None:
        from openpyxl.styles import PatternFill

        cells = self.wb[sheet][address]
        rows = cells if isinstance(cells, tuple) else ((cells,),)
        for row in rows:
            for cell in row if isinstance(row, tuple) else (row,):
                cell.fill = PatternFill("solid", start_color=rgb, end_color=rgb) if rgb else PatternFill(fill_type=None)

    def fill(self, sheet: str, address: str) -> str | None:
        cell = self.wb[sheet][address.replace("$", "").split(":")[0]]
        f = cell.fill
        if f is None or f.fill_type != "solid":
            return None
        rgb = getattr(f.fgColor, "rgb", None)
        if not isinstance(rgb, str) or f.fgColor.type != "rgb":
            return None  # a theme or indexed colour: not one the toolkit writes
        return rgb[-6:].upper()

    def read_formulas(self) -> dict[tuple[str, str], str]:
        from openpyxl.worksheet.formula import ArrayFormula

        out: dict[tuple[str, str], str] = {}
        for ws in self.wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    v = cell.value
                    if isinstance(v, ArrayFormula):
                        v = v.text
                    if cell.data_type == "f" and isinstance(v, str) and v.startswith("="):
                        out[(ws.title, cell.coordinate)] = v
        return out

    def name(self) -> str:
        return self.path.name

    def saved_path(self) -> Path | None:
        return self.path

    def calculate(self) -> None:
        """Nothing to do: a file's values are those cached when it was last saved."""

    def save(self, path: str | Path | None = None) -> Path:
        """Write the workbook, atomically, as a plain .xlsx: macros are never kept."""
        from ..fileio import write_set

        target = Path(path) if path is not None else self.path
        if target.suffix.lower() != ".xlsx":
            raise BookError(f"{target.name}: the copy is written as a plain workbook without macros; name it .xlsx")
        self.wb.template = False
        write_set([(target, lambda tmp: self.wb.save(tmp))])
        return target


LINK_COLOR = "0563C1"   # Excel's hyperlink blue


class BookError(RuntimeError):
    """A workbook file that cannot be opened (refused by the safety checks, or unreadable)."""


class SheetProtected(RuntimeError):
    """A cell could not be formatted: its sheet is protected (with a password, or not on Windows)."""

    def __init__(self, sheet: str):
        super().__init__(f"the sheet {sheet!r} is protected: Review > Unprotect Sheet, then run the action again")
        self.sheet = sheet
