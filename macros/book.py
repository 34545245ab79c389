"""The add-in's `Book`: an open workbook in desktop Excel through xlwings (`XlwingsBook`).

`XlwingsBook` uses xlwings' classic, BSD-licensed API (`xw.Book.caller()`); no xlwings PRO,
licence key or server. The `Book` interface, the report layout and `FileBook` (a file through
openpyxl, for the command line and the tests) live in generator.report.book and are
re-exported here for callers of the old module.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.report.book import *  # noqa: F401,F403
from openpyxl.utils.cell import get_column_letter, range_boundaries

from generator.report.book import HIDDEN_COL, LINK_COLOR, Layout, Report, SheetProtected, _rows, layout


# ----------------------------------------------------------------------------- xlwings


class XlwingsBook:
    """An open workbook in desktop Excel through xlwings (Windows and Mac).

    Only xlwings' cross-platform API is used, so the same code runs on both, with one
    exception: to fill a cell on a protected sheet (the toolkit protects its sheets without a
    password), `colour` lifts the protection for the moment of the change and puts it back
    with the same options, through Excel's object model (`.api`; Windows only, see
    `_unprotected`). Links to cells are HYPERLINK formulas: xlwings' `add_hyperlink` has
    no sub-address, so it cannot link inside the workbook. Exercised on Linux only against
    stand-ins (tests/test_addin.py): see macros/README.md for the manual acceptance checklist.
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
        # few calls: each is a round trip to Excel (slow through AppleScript on a Mac). Values go in
        # one block per area, formats one rectangle at a time, links one cell at a time.
        for block in ([c for c in lay.cells if c.col < HIDDEN_COL], [c for c in lay.cells if c.col >= HIDDEN_COL]):
            if not block:
                continue
            r0, c0 = min(c.row for c in block), min(c.col for c in block)
            grid: list[list[Any]] = [[None] * (max(c.col for c in block) - c0 + 1)
                                     for _ in range(max(c.row for c in block) - r0 + 1)]
            for c in block:
                if not c.link:
                    grid[c.row - r0][c.col - c0] = _literal(c.value)
            ws.range((r0, c0)).value = grid
        for c in lay.cells:
            if c.link:
                ws.range((c.row, c.col)).formula = hyperlink_formula(c.link, str(c.value))
        styles: list[tuple[str, Any]] = [
            ("number_format", lambda c: c.number_format),
            ("bold", lambda c: True if c.bold else None),
            ("size", lambda c: c.size),
            ("font_color", lambda c: c.font_color or (LINK_COLOR if c.link else None)),
            ("fill", lambda c: c.fill),
        ]
        for attr, get in styles:
            for (r1, c1, r2, c2), value in _rectangles({(c.row, c.col): get(c) for c in lay.cells if get(c) is not None}):
                rng = ws.range((r1, c1)) if (r1, c1) == (r2, c2) else ws.range((r1, c1)).resize(r2 - r1 + 1, c2 - c1 + 1)
                if attr == "number_format":
                    rng.number_format = value
                elif attr == "bold":
                    rng.font.bold = True
                elif attr == "size":
                    rng.font.size = value
                elif attr == "font_color":
                    rng.font.color = "#" + value
                else:
                    rng.color = "#" + value
        for col, width in lay.widths.items():
            ws.range((1, col)).column_width = width
        for col in lay.hidden_cols:
            ws.range((1, col)).column_width = 0   # a width of 0 hides the column (Windows and Mac)
        if report.chart is not None:
            # a line chart of the first rows of the chart block (low, mid, high, reference): xlwings'
            # cross-platform chart API has no per-series fill, so the band is drawn as its two edges
            spec = report.chart
            labels = [row.label for row in report.chart_rows[:len(spec.lines)]]
            if labels != spec.lines:
                raise ValueError(f"the chart rows must start with {spec.lines}, got {labels}")
            min_col, min_row, max_col, _ = range_boundaries(lay.chart_categories)
            if min_row is None or max_col is None:
                raise ValueError(f"the chart categories must be a cell range, got {lay.chart_categories!r}")
            source = ws.range((min_row, 1), (min_row + len(labels), max_col))
            anchor = ws.range(lay.chart_anchor)
            chart = ws.charts.add(left=anchor.left, top=anchor.top, width=620, height=300)
            chart.chart_type = "line"
            chart.set_source_data(source)
        ws.activate()
        return lay

    def colour(self, sheet: str, address: str, rgb: str | None) -> None:
        ws = self.book.sheets[sheet]
        value = ("#" + rgb) if rgb else None
        try:
            ws.range(address).color = value
        except Exception:
            with _unprotected(ws):        # a protected sheet: lift it for the change, then put it back
                ws.range(address).color = value

    def fill(self, sheet: str, address: str) -> str | None:
        color = self.book.sheets[sheet].range(address.split(":")[0]).color
        if color is None:
            return None
        if isinstance(color, str):
            return color.lstrip("#").upper()
        return "".join(f"{int(v):02X}" for v in color[:3])

    def read_formulas(self) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for ws in self.book.sheets:
            used = ws.used_range
            rows = _grid(used.formula, used.shape)
            for i, row in enumerate(rows):
                for j, f in enumerate(row):
                    if isinstance(f, str) and f.startswith("=") and len(f) > 1:
                        out[(ws.name, f"{get_column_letter(used.column + j)}{used.row + i}")] = f
        return out

    def name(self) -> str:
        return str(self.book.name)

    def saved_path(self) -> Path | None:
        """The workbook's file (xlwings maps OneDrive and SharePoint addresses to the local copy)."""
        full = Path(str(self.book.fullname))
        return full if full.is_absolute() and full.parent != full else None

    def calculate(self) -> None:
        self.book.app.calculate()


def hyperlink_formula(target: str, text: str) -> str:
    """=HYPERLINK("#'Sheet'!B5","text"): a link inside the workbook that Excel (Windows, Mac,
    web), LibreOffice and Google Sheets all follow."""
    return '=HYPERLINK("#' + target.replace('"', '""') + '","' + text.replace('"', '""') + '")'


def _literal(value: Any) -> Any:
    """Text Excel would read as a formula (or a sign) when assigned as a value is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _rectangles(cells: dict[tuple[int, int], Any]) -> list[tuple[tuple[int, int, int, int], Any]]:
    """Cells with the same value grouped into rectangles ((row1, col1, row2, col2), value): runs
    along each row, then runs that repeat over consecutive rows merged."""
    runs: dict[int, list[tuple[int, int, Any]]] = {}
    for (r, c) in sorted(cells):
        v = cells[(r, c)]
        row = runs.setdefault(r, [])
        if row and row[-1][1] == c - 1 and row[-1][2] == v:
            row[-1] = (row[-1][0], c, v)
        else:
            row.append((c, c, v))
    out: list[tuple[tuple[int, int, int, int], Any]] = []
    open_: dict[tuple[int, int, Any], int] = {}     # run -> index in out of the rectangle it extends
    last_row = None
    for r in sorted(runs):
        still: dict[tuple[int, int, Any], int] = {}
        for run in runs[r]:
            i = open_.get(run) if last_row == r - 1 else None
            if i is not None:
                (r1, c1, _, c2), v = out[i]
                out[i] = ((r1, c1, r, c2), v)
            else:
                out.append(((r, run[0], r, run[1]), run[2]))
                i = len(out) - 1
            still[run] = i
        open_, last_row = still, r
    return out


def _grid(values: Any, shape: tuple[int, int]) -> list[list[Any]]:
    """xlwings' value/formula of a range as rows: a single cell gives a scalar, one row or
    one column may give a flat list, more give a list of rows (tuples on Windows)."""
    n_rows, n_cols = shape
    if not isinstance(values, (list, tuple)):
        return [[values]]
    if values and not isinstance(values[0], (list, tuple)):
        return [list(values)] if n_rows == 1 else [[v] for v in values]
    return [list(r) for r in values]


class _unprotected:
    """Lift a sheet's password-less protection for a change, then protect it again with the same
    options. Windows only (Excel's COM object model through `sheet.api`); elsewhere, or when the
    sheet has a password, the original error stands (`SheetProtected`)."""

    OPTIONS = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows", "AllowInsertingColumns",
               "AllowInsertingRows", "AllowInsertingHyperlinks", "AllowDeletingColumns", "AllowDeletingRows",
               "AllowSorting", "AllowFiltering", "AllowUsingPivotTables")

    def __init__(self, ws: Any):
        self.ws = ws
        self.api: Any = None
        self.options: dict[str, Any] = {}
        self.selection: Any = None   # the sheet's EnableSelection, restored on exit

    def __enter__(self) -> "_unprotected":
        import sys

        if not sys.platform.startswith("win"):
            raise SheetProtected(self.ws.name)
        try:
            api = self.ws.api
            if not api.ProtectContents:
                raise SheetProtected(self.ws.name)
            prot = api.Protection
            self.options = {"DrawingObjects": bool(api.ProtectDrawingObjects), "Contents": True,
                            "Scenarios": bool(api.ProtectScenarios),
                            **{k: bool(getattr(prot, k)) for k in self.OPTIONS}}
            self.selection = api.EnableSelection
            api.Unprotect("")          # fails when the sheet has a password
        except SheetProtected:
            raise
        except Exception:
            raise SheetProtected(self.ws.name) from None
        self.api = api
        return self

    def __exit__(self, *exc: Any) -> None:
        self.api.Protect(Password="", **self.options)
        self.api.EnableSelection = self.selection


