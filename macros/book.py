"""The small workbook interface every action works through, and its two implementations.

An action (validate, recalculate, risk, upgrade) never talks to Excel or to a file
directly: it reads defined names and ranges, writes a report sheet and colours cells
through a `Book`. Two implementations:

- `FileBook`: a workbook file opened with openpyxl; used by the command line and the tests.
- `XlwingsBook`: an open workbook in desktop Excel (Windows or Mac) through xlwings'
  classic, BSD-licensed API (`xw.Book.caller()`); used by the add-in. No xlwings PRO,
  licence key or server.

A report is plain data (`Report`: a title, notes, settings, a table of year rows and an
optional fan chart), laid out once by `layout` into cells, so both implementations
write the same cells at the same addresses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from openpyxl.utils.cell import get_column_letter, range_boundaries

PCT = "0.0%"
MONEY = "#,##0;[Red]-#,##0"
INPUT_FILL = "FFF2CC"   # the toolkit's pale yellow input colour
HEADER_FILL = "1F3864"
PASS_FILL = "C6EFCE"
FAIL_FILL = "FFC7CE"


# ----------------------------------------------------------------------------- reports


@dataclass
class Row:
    label: str
    values: list[Any]
    number_format: str = MONEY


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


def layout(report: Report) -> Layout:
    """Where every part of a report goes on its sheet."""
    cells: list[Cell] = [Cell(1, 1, report.title, bold=True, size=14)]
    r = 2
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
    cells.append(Cell(r, 1, "", fill=HEADER_FILL))
    for j, label in enumerate(report.header):
        cells.append(Cell(r, 2 + j, label, bold=True, fill=HEADER_FILL, font_color="FFFFFF"))
    categories = f"B{r}:{get_column_letter(1 + n)}{r}"
    table: dict[str, str] = {}

    def put(rows: list[Row], where: dict[str, str]) -> None:
        nonlocal r
        for row in rows:
            r += 1
            cells.append(Cell(r, 1, row.label))
            for j, v in enumerate(row.values):
                cells.append(Cell(r, 2 + j, v, number_format=row.number_format))
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
    return Layout(cells, settings, table, chart, categories, chart_categories, chart_anchor=f"A{r + 3}",
                  widths={1: 38, **{2 + j: 14 for j in range(n)}})


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
    calculated, or what the generator wrote); `save` writes a copy. openpyxl keeps
    formulas, names, validation and charts, but drops the cached values of formulas:
    Excel and LibreOffice recalculate them on open.
    """

    def __init__(self, path: str | Path):
        from openpyxl import load_workbook

        self.path = Path(path)
        keep_vba = self.path.suffix.lower() in (".xlsm", ".xlam")
        self.wb = load_workbook(self.path, keep_vba=keep_vba)
        self._values = None

    def _value_book(self) -> Any:
        if self._values is None:
            from openpyxl import load_workbook

            self._values = load_workbook(self.path, data_only=True, read_only=False)
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
        ws = self._value_book()[sheet]
        cells = ws[address]
        if not isinstance(cells, tuple):
            return [[cells.value]]
        if cells and not isinstance(cells[0], tuple):
            cells = (cells,)
        return [[c.value for c in row] for row in cells]

    def write_report(self, report: Report) -> Layout:
        from openpyxl.styles import Font, PatternFill

        if report.sheet in self.wb.sheetnames:
            del self.wb[report.sheet]
        ws = self.wb.create_sheet(report.sheet)
        lay = layout(report)
        for c in lay.cells:
            cell = ws.cell(row=c.row, column=c.col, value=c.value)
            if c.number_format:
                cell.number_format = c.number_format
            if c.bold or c.font_color or c.size:
                cell.font = Font(bold=c.bold, color=c.font_color, size=c.size)
            if c.fill:
                cell.fill = PatternFill("solid", start_color=c.fill, end_color=c.fill)
        for col, width in lay.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = width
        if report.chart is not None:
            ws.add_chart(self._fan_chart(ws, report.chart, lay), lay.chart_anchor)
        return lay

    @staticmethod
    def _fan_chart(ws: Any, spec: FanChart, lay: Layout) -> Any:
        """Stacked area (P10 invisible + P10-P90 band) with the median and reference as lines."""
        from openpyxl.chart import AreaChart, LineChart, Reference, Series
        from openpyxl.chart.legend import LegendEntry

        def series(label: str, title: str | None = None) -> Series:
            min_col, min_row, max_col, _ = range_boundaries(lay.chart[label])
            values = Reference(ws, min_col=min_col, min_row=min_row, max_col=max_col, max_row=min_row)
            return Series(values, title=title or label)

        min_col, min_row, max_col, _ = range_boundaries(lay.chart_categories)
        cats = Reference(ws, min_col=min_col, min_row=min_row, max_col=max_col, max_row=min_row)
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
        mid.graphicalProperties.line.solidFill = "1F3864"
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
        area.legend.position = "b"
        area.legend.legendEntry = [LegendEntry(idx=0, delete=True)]  # the invisible base of the band
        area.width, area.height = 22, 11
        return area

    def colour(self, sheet: str, address: str, rgb: str | None) -> None:
        from openpyxl.styles import PatternFill

        cells = self.wb[sheet][address]
        rows = cells if isinstance(cells, tuple) else ((cells,),)
        for row in rows:
            for cell in row if isinstance(row, tuple) else (row,):
                cell.fill = PatternFill("solid", start_color=rgb, end_color=rgb) if rgb else PatternFill(fill_type=None)

    def save(self, path: str | Path | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        self.wb.save(target)
        return target


# ----------------------------------------------------------------------------- xlwings


class XlwingsBook:
    """An open workbook in desktop Excel through xlwings (Windows and Mac).

    Only xlwings' cross-platform API is used (no `.api` calls), so the same code runs on
    both. Not exercised on Linux (no Excel there): see macros/README.md for the manual
    acceptance checklist.
    """

    def __init__(self, book: Any):
        self.book = book

    @classmethod
    def caller(cls) -> "XlwingsBook":
        """The workbook that was active when the ribbon button or macro was pressed."""
        import xlwings as xw

        return cls(xw.Book.caller())

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def defined_names(self) -> dict[str, str]:
        out = {}
        for n in self.book.names:
            if "!" in n.name.split("'")[-1]:  # sheet-scoped: Sheet1!Name
                continue
            out[n.name] = n.refers_to
        return out

    def read_name(self, name: str) -> list[list[Any]]:
        rng = self.book.names[name].refers_to_range
        return _rows(rng.value, rng.address)

    def read_range(self, sheet: str, address: str) -> list[list[Any]]:
        rng = self.book.sheets[sheet].range(address)
        return _rows(rng.value, address)

    def write_report(self, report: Report) -> Layout:
        names = self.sheet_names()
        if report.sheet in names:
            ws = self.book.sheets[report.sheet]
            for chart in list(ws.charts):
                chart.delete()
            ws.clear()
        else:
            ws = self.book.sheets.add(report.sheet, after=self.book.sheets[len(names) - 1])
        lay = layout(report)
        for c in lay.cells:
            rng = ws.range((c.row, c.col))
            rng.value = c.value
            if c.number_format:
                rng.number_format = c.number_format
            if c.bold:
                rng.font.bold = True
            if c.size:
                rng.font.size = c.size
            if c.font_color:
                rng.font.color = "#" + c.font_color
            if c.fill:
                rng.color = "#" + c.fill
        for col, width in lay.widths.items():
            ws.range((1, col)).column_width = width
        if report.chart is not None:
            # a line chart of the first rows of the chart block (low, mid, high, reference): xlwings'
            # cross-platform chart API has no per-series fill, so the band is drawn as its two edges
            spec = report.chart
            labels = [row.label for row in report.chart_rows[:len(spec.lines)]]
            if labels != spec.lines:
                raise ValueError(f"the chart rows must start with {spec.lines}, got {labels}")
            min_col, min_row, max_col, _ = range_boundaries(lay.chart_categories)
            source = ws.range((min_row, 1), (min_row + len(labels), max_col))
            anchor = ws.range(lay.chart_anchor)
            chart = ws.charts.add(left=anchor.left, top=anchor.top, width=620, height=300)
            chart.chart_type = "line"
            chart.set_source_data(source)
        ws.activate()
        return lay

    def colour(self, sheet: str, address: str, rgb: str | None) -> None:
        self.book.sheets[sheet].range(address).color = ("#" + rgb) if rgb else None
