"""Cell addressing for the workbooks: tables with spare rows, named cells, checked writes.

Every cell the builders touch is addressed through `Table` (an input table with a fixed
capacity) or through a defined name registered on `Book`; no builder spells a literal
coordinate. `Book` also turns xlsxwriter's silent failures (non-zero return codes,
warnings) into exceptions, so a broken file is never written quietly.
"""
from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Sequence

import xlsxwriter
import xlsxwriter.core
import xlsxwriter.packager
from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

from . import fill

_prepared = fill._PREPARED.get   # (cleared when full, never replaced: the bound method stays good)
_new_tuple = tuple.__new__
_FormulaCell = fill.CellFormulaTuple
from .styles import Styles

#: Language of every workbook's text (docProps/core.xml dc:language; screen readers use it).
LANGUAGE = "en-US"


class _CoreWithLanguage(xlsxwriter.core.Core):
    """xlsxwriter's core properties plus dc:language, which it does not write itself."""

    def _write_cp_content_status(self) -> None:
        super()._write_cp_content_status()
        if self.properties.get("language"):
            self._xml_data_element("dc:language", self.properties["language"])


# the packager makes the core part with this class; it only adds dc:language when it is set
xlsxwriter.packager.Core = _CoreWithLanguage

#: Fixed document date so the same input gives a byte-identical file.
FIXED_CREATED = dt.datetime(2026, 1, 1, 0, 0, 0)
_CELLISH = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*|FY\d+)$")


class TypedEmpty(str):
    """The cached result "" of a formula, written typed (t="str"): xlsxwriter writes a plain
    "" untyped, which readers that do not recalculate take for an empty number cell."""

    def __eq__(self, other: object) -> bool:  # only xlsxwriter's `value == ""` test sees this
        return isinstance(other, TypedEmpty)

    __hash__ = str.__hash__


#: The key of a validation rule's wrong-entry message: (words key, placeholder values), worded by Book.validate.
RULE_MESSAGE = "_message"


class WorkbookBuildError(RuntimeError):
    """xlsxwriter refused a write, a name or a validation."""


_CELL_NAMES: dict[tuple[int, int], str] = {}
#: workbook-level defined names xlsxwriter has accepted (it judges them by the name alone)
_GOOD_NAMES: set[str] = set()
#: data validations xlsxwriter has accepted, by fill.plain_key of their range and options (it judges
#: a rule by these alone: each of its warnings comes with a refusal) -> the options it made of them
#: (a function of these alone too), which a sheet given the same rule again holds as they are
_GOOD_RULES: dict[str, dict[str, Any]] = {}


def row_points(ws: Worksheet, row: int) -> float:
    """A row's printed height in points: xlsxwriter keeps row heights in pixels (20 a default row of
    15 points), and a hidden row prints none."""
    px, hidden = ws.row_sizes.get(row, [20, False])[:2]
    return 0.0 if hidden else 0.75 * float(px or 20)


def cell_name(row: int, col: int) -> str:
    """'C6' for a zero-based row and column, each made once per process (every formula records its cell)."""
    name = _CELL_NAMES.get((row, col))
    if name is None:
        if len(_CELL_NAMES) > 1_000_000:
            _CELL_NAMES.clear()
        name = _CELL_NAMES[(row, col)] = xl_rowcol_to_cell(row, col)
    return name


def abs_cell(sheet: str, row: int, col: int) -> str:
    """'Sheet'!$C$6 for a zero-based row and column."""
    return f"{quote_sheetname(sheet)}!{xl_rowcol_to_cell(row, col, True, True)}"


def abs_range(sheet: str, r1: int, c1: int, r2: int, c2: int) -> str:
    """'Sheet'!$C$6:$C$45."""
    return f"{quote_sheetname(sheet)}!{xl_rowcol_to_cell(r1, c1, True, True)}:{xl_rowcol_to_cell(r2, c2, True, True)}"


@dataclass
class Column:
    """One column of a table: key, header, width, style and input help."""

    key: str
    header: str
    width: float = 14
    style: str = "in_text"          # a Styles attribute name
    help: str = ""                  # input message shown when the cell is selected
    validation: dict[str, Any] | None = None
    is_input: bool = True


@dataclass
class Table:
    """A block of rows with a header, placed at (top, left) on a sheet, with `capacity` rows."""

    sheet: str
    name: str                       # prefix of the column names, e.g. 'Staff'
    top: int                        # header row (zero-based)
    left: int
    columns: list[Column]
    capacity: int

    @property
    def first(self) -> int:
        """Zero-based row of the first data row."""
        return self.top + 1

    @property
    def last(self) -> int:
        """Zero-based row of the last data row (capacity included)."""
        return self.top + self.capacity

    #: key -> column, made again when the columns change in number (the builders call col for nearly every cell)
    _index: ClassVar[dict[str, int] | None] = None

    def col(self, key: str) -> int:
        """Zero-based column of a key."""
        index = self._index
        if index is None or len(index) != len(self.columns):
            index = self._index = {c.key: self.left + n for n, c in enumerate(self.columns)}  # type: ignore[misc]
        try:
            return index[key]
        except KeyError:
            raise KeyError(f"{self.name} has no column {key!r}") from None

    def row(self, i: int) -> int:
        """Zero-based sheet row of data row i (0-based)."""
        if not 0 <= i < self.capacity:
            raise IndexError(f"{self.name} row {i} outside capacity {self.capacity}")
        return self.first + i

    def cell(self, i: int, key: str, col_abs: bool = False) -> str:
        """Relative address of data row i in a column, e.g. C6 (for same-sheet formulas)."""
        return xl_rowcol_to_cell(self.row(i), self.col(key), False, col_abs)

    def ref(self, key: str) -> str:
        """Absolute, sheet-qualified range of a whole column across the capacity."""
        c = self.col(key)
        return abs_range(self.sheet, self.first, c, self.last, c)

    def col_name(self, key: str) -> str:
        """Defined name for a column, e.g. Staff_FTE."""
        return f"{self.name}_{key}"

    @property
    def width(self) -> int:
        return len(self.columns)


#: Column-width units that fit across an A4 page at full scale (0.5-inch margins), as LibreOffice lays it out.
PAGE_UNITS = {True: 130.0, False: 88.0}   # landscape, portrait
#: Points down an A4 page inside the top and bottom margins, header and footer lines (landscape, portrait).
PAGE_POINTS = {True: 470.0, False: 715.0}
MIN_SCALE = 70
#: A last page filled less than this share of a page is a spill-over (no_short_last_page).
SHORT_PAGE = 0.3


def page_room(width: float, landscape: bool) -> float:
    """Points of rows (as set on the sheet) that one page holds when a sheet `width` units wide prints
    one page wide, scaled to fit: PAGE_POINTS over the scale, a twentieth kept spare for the readers'
    own rounding."""
    scale = min(1.0, PAGE_UNITS[landscape] / width) if width else 1.0
    return PAGE_POINTS[landscape] / scale * 0.95


def paginate(heights: Sequence[float], keep: Mapping[int, int | tuple[int, ...]], room: float, title: float) -> list[int]:
    """Page breaks for rows of these printed heights (a hidden row 0), pages of `room` points, every page
    after the first repeating `title` points of print titles: each page filled with whole rows, with a
    break before a row whose kept rows (`keep`: a heading's row -> the last row that prints on its page,
    or several such last rows, the first whose rows a fresh page holds kept: a whole table where it fits,
    else its header and first rows) would not fit where a fresh page holds them. Every break is
    returned, so the pages never drift."""
    used, breaks = 0.0, []
    for r, h in enumerate(heights):
        ends = keep.get(r, r)
        needs = [sum(heights[r:end + 1]) for end in (ends if isinstance(ends, tuple) else (ends,))]
        need = next((n for n in needs if n <= room - title), needs[-1])
        if (used + need > room and used > title and need <= room - title) or used + h > room:
            breaks.append(r)
            used = title
        used += h
    return breaks


def fill_last_page(heights: Sequence[float], breaks: list[int], may_start: Callable[[int], bool], room: float,
                   title: float, short: float = SHORT_PAGE) -> list[int]:
    """A last page that would hold less than `short` of a page takes rows from the page before it: its
    break moves up to the row that shares the two pages' rows most evenly, among the rows that
    `may_start` a page (not a heading's rows, not inside a part kept whole)."""
    if not breaks:
        return breaks
    n, last, prev = len(heights), breaks[-1], breaks[-2] if len(breaks) > 1 else 0

    def page(a: int, b: int) -> float:
        return (title if a else 0.0) + sum(heights[a:b])

    if page(last, n) - title >= short * (room - title):
        return breaks
    options = [r for r in range(prev + 1, last + 1) if may_start(r) and page(r, n) <= room]
    best = min(options, key=lambda r: (abs(page(prev, r) - page(r, n)), -r), default=last)  # a tie moves fewer rows
    return breaks[:-1] + [best]


class Sheet(Worksheet):
    """A worksheet that remembers its column widths (in characters), so a table never narrows a
    column that an earlier part of the sheet needs wide (`widen`)."""

    def __init__(self) -> None:
        super().__init__()
        self.widths: dict[int, float] = {}
        self.hidden_cols: set[int] = set()

    def set_column(self, first_col: int, last_col: int, width: float | None = None, *args: Any, **kwargs: Any) -> Any:
        options = kwargs.get("options", args[1] if len(args) > 1 else None) or {}
        for c in range(first_col, last_col + 1):
            if width is not None:
                self.widths[c] = width
            if options.get("hidden"):
                self.hidden_cols.add(c)
            else:
                self.hidden_cols.discard(c)
        return super().set_column(first_col, last_col, width, *args, **kwargs)

    def printed_width(self, col: int) -> float:
        """A column's width on paper (0 when hidden)."""
        return 0.0 if col in self.hidden_cols else self.widths.get(col, 8.43)

    def no_short_last_page(self) -> None:
        """A sheet printed one page wide whose last page would hold only a few rows (the last lines of
        a table, a note) prints on one page fewer, a little smaller, when that keeps it at 70% or more."""
        if not self.fit_page or self.fit_height or self.hbreaks or self.vbreaks or self.dim_rowmax is None:
            return
        landscape = self.orientation == 0
        last_row, last_col = self.dim_rowmax, self.dim_colmax or 0
        if self.print_area_range:
            from xlsxwriter.utility import xl_cell_to_rowcol
            last_row, last_col = xl_cell_to_rowcol(self.print_area_range.split("!")[-1].replace("$", "").split(":")[-1])
        width = sum(0.0 if c in self.hidden_cols else self.widths.get(c, 8.43) for c in range(last_col + 1))
        scale = min(1.0, PAGE_UNITS[landscape] / width) if width else 1.0
        height = sum(row_points(self, r) for r in range(last_row + 1))
        pages = height * scale / PAGE_POINTS[landscape]
        full = int(pages)
        if full >= 1 and pages - full < SHORT_PAGE and scale * full / pages >= MIN_SCALE / 100:
            self.fit_to_pages(1, full)

    def print_area_with_charts(self) -> None:
        """A sheet with charts and no print area of its own prints the used range and every chart
        whole: LibreOffice and Excel cut a drawing at the print area's edge. (A print area a sheet
        sets is its own to keep charts inside; the print audit measures it.)"""
        if not self.charts or self.print_area_range:
            return
        last_row, last_col = self.dim_rowmax or 0, self.dim_colmax or 0
        first_row = first_col = 0
        for row, col, chart, x_off, y_off, x_scale, y_scale, anchor, *_ in self.charts:
            width, height = int(0.5 + chart.width * x_scale), int(0.5 + chart.height * y_scale)
            _, _, _, _, col_end, row_end, x2, y2, _, _ = self._position_object_pixels(col, row, x_off, y_off, width, height, anchor)
            last_col = max(last_col, col_end - (1 if x2 == 0 else 0))
            last_row = max(last_row, row_end - (1 if y2 == 0 else 0))
        self.print_area(first_row, first_col, last_row, last_col)

    def widen(self, col: int, width: float) -> None:
        """Make a column at least this wide."""
        if self.widths.get(col, 0) < width:
            self.set_column(col, col, width)


def hide_column(ws: Worksheet, col: int) -> None:
    """A helper column the formulas need but a reader does not: kept, out of sight and out of print."""
    width = getattr(ws, "widths", {}).get(col, 8.43)
    ws.set_column(col, col, width, None, {"hidden": True})


@dataclass
class Book:
    """An xlsxwriter workbook plus a registry of defined names and checked writes."""

    path: str
    styles: Styles = field(init=False)
    wb: Workbook = field(init=False)
    names: dict[str, str] = field(default_factory=dict, init=False)
    #: the words of the messages shown for a wrong entry (sheets_shared.yaml `input_rules`)
    rule_words: Any = None

    def __post_init__(self) -> None:
        self.wb = xlsxwriter.Workbook(
            self.path,
            # in_memory: no scratch files (faster, and nothing left behind in /tmp)
            {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False, "in_memory": True},
        )
        self.styles = Styles(self.wb)
        self.sheets: dict[str, Worksheet] = {}
        self.formulas: list[tuple[str, str, str]] = []  # (sheet, cell, formula) as written, for the fingerprint

    # -- sheets and names

    def sheet(self, name: str) -> Worksheet:
        """Add a worksheet (checked name)."""
        ws = self.wb.add_worksheet(name, worksheet_class=Sheet)
        self.sheets[name] = ws
        return ws

    def define(self, name: str, ref: str) -> str:
        """A workbook-scoped defined name for an absolute reference; returns the name."""
        if _CELLISH.match(name):
            raise WorkbookBuildError(f"defined name {name!r} looks like a cell reference")
        if name in self.names:
            raise WorkbookBuildError(f"defined name {name!r} defined twice")
        if name in _GOOD_NAMES:   # a workbook-level name xlsxwriter took before takes again: what
            # Workbook.define_name does with a name it accepts (its checks look at the name alone)
            self.wb.defined_names.append([name, -1, ref.lstrip("="), False])
            self.names[name] = ref
            return name
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                ret = self.wb.define_name(name, "=" + ref)
            except Warning as w:  # xlsxwriter warns and skips bad names
                raise WorkbookBuildError(f"define_name({name!r}): {w}") from None
        if ret not in (0, None):
            raise WorkbookBuildError(f"define_name({name!r}, {ref!r}) failed")
        if "!" not in name:   # xlsxwriter judges a workbook-level name by the name alone
            if len(_GOOD_NAMES) >= 100_000:
                _GOOD_NAMES.clear()
            _GOOD_NAMES.add(name)
        self.names[name] = ref
        return name

    def define_cell(self, name: str, sheet: str, row: int, col: int) -> str:
        return self.define(name, abs_cell(sheet, row, col))

    def define_table(self, table: Table) -> None:
        """Names for every column of an input table (e.g. Staff_FTE)."""
        for c in table.columns:
            self.define(table.col_name(c.key), table.ref(c.key))

    # -- checked writes

    @staticmethod
    def _ok(ret: Any, what: str) -> None:
        if ret not in (0, None):
            raise WorkbookBuildError(f"{what} failed with code {ret}")

    @staticmethod
    def _failed(ret: Any, ws: Worksheet, row: int, col: int, what: str) -> None:
        """A refused cell write, named (the words are made only when a write fails)."""
        raise WorkbookBuildError(f"{ws.name}!{xl_rowcol_to_cell(row, col)} {what} failed with code {ret}")

    # the writes below call xlsxwriter's undecorated methods (_write_string, ...): the builders
    # always give a row and a column, so the A1-notation wrapper round the public ones has nothing to do

    def text(self, ws: Worksheet, row: int, col: int, value: str | None, fmt: Any = None) -> None:
        """User text, always as a string (never a formula or a URL)."""
        on = fill.STATE["on"]
        if value is None or value == "":
            ret = fill.put_blank(ws, row, col, fmt) if on else ws._write_blank(row, col, None, fmt)
            if ret:
                self._failed(ret, ws, row, col, "blank")
            return
        ret = fill.put_string(ws, row, col, str(value), fmt) if on else ws._write_string(row, col, str(value), fmt)
        if ret:
            self._failed(ret, ws, row, col, "text")

    def number(self, ws: Worksheet, row: int, col: int, value: float | None, fmt: Any = None) -> None:
        """A number input (blank when None)."""
        on = fill.STATE["on"]
        if value is None:
            ret = fill.put_blank(ws, row, col, fmt) if on else ws._write_blank(row, col, None, fmt)
            if ret:
                self._failed(ret, ws, row, col, "blank")
            return
        if isinstance(value, bool):
            raise WorkbookBuildError(f"{ws.name}!{xl_rowcol_to_cell(row, col)}: bool where a number belongs")
        ret = fill.put_number(ws, row, col, value, fmt) if on else ws._write_number(row, col, value, fmt)
        if ret:
            self._failed(ret, ws, row, col, "number")

    def date(self, ws: Worksheet, row: int, col: int, value: dt.date, fmt: Any) -> None:
        self._ok(ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt), f"{ws.name} date")

    def formula(self, ws: Worksheet, row: int, col: int, formula: str, value: Any, fmt: Any = None) -> None:
        """A live formula with the model's value cached."""
        vcls = value.__class__
        if vcls is float or vcls is int:   # the commonest, tested first
            if value != value:  # NaN never cached
                raise WorkbookBuildError(f"{ws.name}!{xl_rowcol_to_cell(row, col)}: NaN cached value")
        elif isinstance(value, float) and value != value:
            raise WorkbookBuildError(f"{ws.name}!{xl_rowcol_to_cell(row, col)}: NaN cached value")
        elif isinstance(value, str):
            # xlsxwriter writes a formula's cached text raw: escape control characters (and
            # U+FFFE/U+FFFF) as _xHHHH_, as it does for shared strings, or the sheet XML breaks
            value = XMLwriter._escape_control_characters(value) if value else TypedEmpty("")
        text = formula.lstrip("=")
        if fill.STATE["on"]:
            prepared = _prepared(text)
            # fill.put_formula's commonest case inline (a formula prepared before, a cell in range): its
            # call was a tenth of this method's time, and the builders write about 5,000 formulas a pair
            if (prepared and 0 <= row < ws.xls_rowmax and 0 <= col < ws.xls_colmax and ws.dim_rowmin is not None
                    and ws.dim_colmin is not None and not ws.use_future_functions and not ws.constant_memory):
                if row < ws.dim_rowmin:
                    ws.dim_rowmin = row
                elif row > ws.dim_rowmax:
                    ws.dim_rowmax = row
                if col < ws.dim_colmin:
                    ws.dim_colmin = col
                elif col > ws.dim_colmax:
                    ws.dim_colmax = col
                ws.table[row][col] = _new_tuple(_FormulaCell, (prepared, fmt, value))
                ret = 0
            else:
                ret = fill.put_formula(ws, row, col, text, fmt, value)
        else:
            ret = ws._write_formula(row, col, "=" + text, fmt, value)
        if ret:
            self._failed(ret, ws, row, col, "formula")
        self.formulas.append((ws.name, _CELL_NAMES.get((row, col)) or cell_name(row, col), text))

    def blank(self, ws: Worksheet, row: int, col: int, fmt: Any) -> None:
        self._ok(ws.write_blank(row, col, None, fmt), f"{ws.name} blank")

    def link(self, ws: Worksheet, row: int, col: int, sheet: str, text: str, fmt: Any = None, tip: str | None = None) -> None:
        """An internal hyperlink to A1 of another sheet."""
        target = f"internal:{quote_sheetname(sheet)}!A1"
        self._ok(ws.write_url(row, col, target, fmt, text, tip), f"{ws.name} link to {sheet}")

    def validate(self, ws: Worksheet, r1: int, c1: int, r2: int, c2: int, options: dict[str, Any]) -> None:
        """Data validation on a range; warnings become errors. A rule that names its wrong-entry
        message (RULE_MESSAGE: key and values) is worded here, from `rule_words`."""
        opts = dict(options)
        if RULE_MESSAGE in opts:
            key, values = opts.pop(RULE_MESSAGE)
            if self.rule_words is None:
                raise WorkbookBuildError("a rule's message needs the workbook's words (Book.rule_words)")
            title = "choose_title" if key == "choose" else "number_title"
            opts.setdefault("error_title", self.rule_words.word(title))
            opts.setdefault("error_message", self.rule_words.word(key, **values))
        for key in ("input_title", "error_title"):
            if key in opts:
                opts[key] = opts[key][:32]
        if "input_message" in opts:
            opts["input_message"] = opts["input_message"][:255]
        if "error_message" in opts:
            opts["error_message"] = opts["error_message"][:255]
        rule = fill.plain_key((r1, c1, r2, c2, opts))
        made = None if rule is None else _GOOD_RULES.get(rule)
        if made is not None:   # xlsxwriter took this rule before: the options it made of it then
            ws.validations.append(made)
            return
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                ret = ws.data_validation(r1, c1, r2, c2, opts)
            except Warning as w:
                raise WorkbookBuildError(f"data_validation on {ws.name}: {w}") from None
        self._ok(ret, f"data_validation on {ws.name}")
        if rule is not None:
            if len(_GOOD_RULES) >= 20_000:
                _GOOD_RULES.clear()
                fill.RULE_OF.clear()
            made = _GOOD_RULES[rule] = ws.validations[-1]
            fill.RULE_OF[id(made)] = (made, rule)

    def close(self, properties: dict[str, Any], custom: dict[str, str] | None = None) -> None:
        """Fixed document properties (byte-identical output), then write the file."""
        props = {"created": FIXED_CREATED, "language": LANGUAGE, **properties}
        self.wb.set_properties(props)
        for k, v in (custom or {}).items():
            self._ok(self.wb.set_custom_property(k, str(v)), f"custom property {k}")
        self.wb.set_calc_mode("auto")
        for ws in self.wb.worksheets():
            if isinstance(ws, Sheet):
                ws.print_area_with_charts()
                ws.no_short_last_page()
        token = fill.BOOK_ZIP.set(True)   # its parts at the toolkit's zlib level (fill.COMPRESS_LEVEL)
        try:
            self.wb.close()
        finally:
            fill.BOOK_ZIP.reset(token)
        # each sheet holds its workbook's add_format: the one cycle that keeps a written workbook's
        # tens of thousands of cells for the garbage collector; without it they go when the Book goes
        for ws in self.wb.worksheets():
            ws.workbook_add_format = None


def col_letter(col: int) -> str:
    """Zero-based column -> letter(s)."""
    return xl_col_to_name(col)


def hide_zero(fmt_num: str) -> str:
    """A number format that shows nothing for zero (spare rows stay quiet)."""
    return f'{fmt_num};-{fmt_num};""'


def plural_rows(values: Sequence[Any], capacity: int) -> list[Any]:
    """Pad a list of row values to the capacity with None."""
    if len(values) > capacity:
        raise WorkbookBuildError(f"{len(values)} rows do not fit a capacity of {capacity}")
    return list(values) + [None] * (capacity - len(values))


#: Blank rows between the parts of a sheet.
GAP = 1
#: Pixels in a row of the default height (15 points): how a chart's height is counted in rows.
ROW_PX = 20


def rows_spanned(height_px: int, y_offset: int = 0) -> int:
    """The default-height rows an object reaches into when placed y_offset pixels down its first row."""
    return -(-(y_offset + height_px) // ROW_PX)


@dataclass
class Rows:
    """A cursor down a sheet: each part takes its rows where the part above it ended, so a part's
    row is derived in one place and never written as a number."""

    row: int = 0

    def take(self, n: int = 1) -> int:
        """The first of the next n rows; the cursor moves past them."""
        first = self.row
        self.row += n
        return first

    def skip(self, n: int) -> None:
        """Leave n rows blank."""
        self.row += n
