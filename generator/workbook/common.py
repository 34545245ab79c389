"""Sheets and pieces both workbooks share: Start Here, Guide, Lists, Checks, Metadata,
labelled input fields, input tables, print setup and protection."""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from xlsxwriter.worksheet import Worksheet

from ..content import SHARED, Content, Item, SheetWords, Words
from .layout import GAP, MIN_SCALE, PAGE_UNITS, RULE_MESSAGE, Book, Rows, Table, abs_cell, abs_range, page_room, paginate, row_points
from .font_widths import wrapped_lines
from .styles import LEGEND

LISTS = "Lists"
META = "Metadata"
CHECKS = "Checks"
GUIDE = "Guide"
START = "Start Here"

YES, NO = "Yes", "No"


START_TEXT_WIDTH = 76   # Start Here's text column: the page prints portrait at about 75%
GUIDE_TEXT_WIDTH = 84   # the Guide's text column, likewise
LINE_HEIGHT = 13.0       # points per line of 10-point Calibri
CHARS_PER_WIDTH = 1.1    # characters of ordinary text per unit of column width (10-point Calibri, a safe estimate)


@functools.lru_cache(maxsize=65536)   # the same words, in the same columns, in every workbook of a batch
def text_lines(text: str, width: float, bold: bool = False) -> int:
    """How many lines a wrapped text takes in a column of this width (xlsxwriter does not autofit,
    and Excel does not grow rows on open: a row too short hides or overprints text). Laid out word
    by word at Calibri's real widths (bold ones for bold text), so a row is as tall as its text and
    no taller."""
    return wrapped_lines(text, width, bold=bold)


def fit_row(ws: Worksheet, row: int, cells: Sequence[tuple[str, float]], minimum: int = 1, bold: bool = False) -> None:
    """Set a row's height to fit its tallest wrapped cell ((text, column width) pairs; `bold` when
    the cells' text is bold)."""
    lines = max([minimum] + [text_lines(t, w, bold) for t, w in cells if t])
    if lines > 1:
        ws.set_row(row, LINE_HEIGHT * lines + 2)


def wrap_across(book: "Book", ws: Worksheet, row: int, last_col: int, text: str, fmt: Any) -> None:
    """A line of text that would run on past the printed columns (0..last_col), wrapped inside the
    first column instead (no merged cells: screen readers and sorting trip on them), its row as tall
    as the text needs; left as it is when it fits."""
    width = sum(column_width(ws, c) for c in range(last_col + 1) if c not in getattr(ws, "hidden_cols", set()))
    if len(text) <= width * CHARS_PER_WIDTH:
        book.text(ws, row, 0, text, fmt)
        return
    book.text(ws, row, 0, text, fmt)
    fit_row(ws, row, [(text, column_width(ws, 0))])


def group_label(book: "Book", ws: Worksheet, row: int, first_col: int, last_col: int, text: str, fmt: Any,
                wrapped: Any = None) -> None:
    """A label over a group of columns (the years, the scenarios), written again on every page the
    columns print over: run on over that page's part of the group where it fits there, else wrapped
    in the part's first column (`wrapped`, a wrapping style). A label run on across a page break
    would be cut in two."""
    edges = [first_col] + [c for c in getattr(ws, "vbreaks", []) if first_col < c <= last_col] + [last_col + 1]
    lines = 1
    for lo, hi in zip(edges, edges[1:]):
        width = sum(column_width(ws, c) for c in range(lo, hi) if c not in getattr(ws, "hidden_cols", set()))
        if len(edges) == 2 or len(text) <= width * CHARS_PER_WIDTH:
            book.text(ws, row, lo, text, fmt)
        else:
            book.text(ws, row, lo, text, wrapped or fmt)
            lines = max(lines, text_lines(text, column_width(ws, lo), bold=True))  # group labels are bold
    if lines > 1:
        ws.set_row(row, LINE_HEIGHT * lines + 2)


def column_width(ws: Worksheet, col: int) -> float:
    """A column's width as set so far (Excel's default when not set)."""
    return float(getattr(ws, "widths", {}).get(col, 8.43))


def footer_text(org_name: str) -> str:
    """Print footer: organisation, sheet, page (ampersands escaped)."""
    # cut first: a cut after escaping could leave a lone '&' control code. xlsxwriter counts every
    # "&G" (and "&[Picture]") as an image placeholder, escaped or not, and drops the whole footer when the
    # count is off, so an invisible word joiner keeps an escaped "&&" from touching a following G or [
    org = (org_name or "")[:80].replace("&", "&&")
    org = re.sub(r"&&(?=[Gg\[])", "&&\u2060", org)
    return f"&L{org}&C&A&RPage &P of &N"




def print_setup(ws: Worksheet, org_name: str, repeat_rows: tuple[int, int] | None = None, landscape: bool = True,
                last_col: int | None = None) -> bool:
    """Landscape, one page wide, repeated headers, footer with organisation/sheet/page.

    Every sheet repeats its title row on each page it runs over (the table's header rows where
    given). A sheet too wide to print one page wide at 70% or more prints at 70% instead, its columns
    split over as few pages as it takes, balanced so that each page holds a like share of the
    table (never one column alone), with the first column repeated on each. Hidden columns take
    no room. Only the columns up to last_col count when the print area stops there (helper columns
    beyond it). Returns whether the columns split over pages."""
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)  # A4; Excel adapts to Letter where that is the default printer paper
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.set_footer(footer_text(org_name))
    ws.repeat_rows(*(repeat_rows or (TITLE_ROW, TITLE_ROW)))
    width = getattr(ws, "printed_width", None) or (lambda c: float(getattr(ws, "widths", {}).get(c, 8.43)))
    widths = dict(getattr(ws, "widths", {}))
    last = max(widths, default=0) if last_col is None else last_col
    room = PAGE_UNITS[landscape] * 100 / MIN_SCALE
    if sum(width(c) for c in range(last + 1)) <= room:
        ws.fit_to_pages(1, 0)
        return False
    ws.set_print_scale(MIN_SCALE)
    ws.repeat_columns(0, 0)
    ws.set_v_pagebreaks(column_breaks([width(c) for c in range(1, last + 1)], room - width(0), first=1))
    return True


def column_breaks(widths: Sequence[float], room: float, first: int = 0) -> list[int]:
    """Where to break a row of columns (`widths`, the first at column `first`) over pages of `room`:
    as few pages as greedy filling takes, then the narrowest page width that still needs no more,
    so the last page is not left holding a column or two."""
    def pack(cap: float) -> list[int]:
        breaks, used = [], 0.0
        for i, w in enumerate(widths):
            if used and used + w > cap:
                breaks.append(first + i)
                used = 0.0
            used += w
        return breaks

    pages = len(pack(room))
    low, high = max(widths, default=0.0), room
    while high - low > 0.5:
        mid = (low + high) / 2
        if len(pack(mid)) <= pages:
            high = mid
        else:
            low = mid
    return pack(high)


#: Empty rows of an input table that still print, to show where more would go.
SPARE_PRINTED = 3


def print_filled(ws: Worksheet, table: Table, used: int, spare: int = SPARE_PRINTED) -> None:
    """Print a one-table sheet down to its last filled row plus a few spare ones, not the whole
    capacity (no pages of empty grid); on screen every spare row stays."""
    last = table.row(min(table.capacity, used + spare) - 1)
    ws.print_area(0, 0, last, table.left + table.width - 1)


def quoted(text: str) -> str:
    """Text for inside a formula's string literal (a double quote doubled): worded text from YAML
    may hold quotes, and a lone one would end the literal."""
    return text.replace('"', '""')


#: Every sheet opens with its title and the note under it (sheet_title); its body starts after a
#: blank row. A table with group labels over its header (a scenario's name, "Amount expected in
#: each year") starts GROUP_LABEL_ROWS lower.
TITLE_ROW, NOTE_ROW = 0, 1
BODY_TOP = NOTE_ROW + 1 + GAP
GROUP_LABEL_ROWS = 1
#: An output or calculation sheet shows the master status under its title and note (master_banner).
BANNER_ROW = NOTE_ROW + 1
OUTPUT_TOP = BANNER_ROW + 1 + GAP


def sheet_title(book: Book, ws: Worksheet, words: SheetWords, note: bool = True) -> None:
    """A sheet's title and the note under it, from its words (the first two rows of every input,
    output and reference sheet). note=False: the caller writes the note once it knows how the sheet
    prints (a cell written twice leaves a stray count in the shared strings table)."""
    book.text(ws, TITLE_ROW, 0, words.title, book.styles.title)
    if note:
        book.text(ws, NOTE_ROW, 0, words.note, book.styles.subtitle)


def protect(ws: Worksheet, password: str | None) -> None:
    """Protect formulas; inputs stay editable (they carry unlocked formats), and comments may be added."""
    ws.protect(password or "", {
        "select_locked_cells": True,
        "select_unlocked_cells": True,
        "format_columns": True,
        "format_rows": True,
        "autofilter": True,
        "sort": False,
        "objects": True,     # comments (notes) can be added to any cell: say where a number came from
    })


# ----------------------------------------------------------------------------- lists


@dataclass
class Lists:
    """The hidden Lists sheet: ids and labels behind every dropdown, and names for them."""

    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # list key -> id -> label
    names: dict[str, str] = field(default_factory=dict)              # list key -> defined name of its label range
    cells: dict[tuple[str, str], str] = field(default_factory=dict)  # (list key, id) -> abs ref of its label cell

    def label(self, key: str, id_: str) -> str:
        return self.labels[key][id_]

    def cell(self, key: str, id_: str) -> str:
        """Absolute reference to the cell holding an id's label (for formulas)."""
        return self.cells[(key, id_)]


def bullets_text(items: Sequence[str]) -> str:
    """Bullets joined as lines for one wrapped cell."""
    return "\n".join(f"• {b}" for b in items)


def write_lists(book: Book, content: Content, words: Words, ws: Worksheet) -> Lists:
    """Fill the hidden Lists sheet: one column block per list; names List_<Key>."""
    shared_label = words.sheet("lists").word("shared")
    lists = Lists()
    s = book.styles
    blocks: list[tuple[str, list[tuple[str, str]], list[tuple[str, Callable[[Item], str]]]]] = [
        ("Functions", [(i.id, i.label) for i in content.functions], []),
        ("FunctionsShared", [(i.id, i.label) for i in content.functions] + [(SHARED, shared_label)], []),
        ("Structures", [(i.id, i.label) for i in content.structures], [
            ("Description", lambda i: i.text("description")),
            ("Benefits", lambda i: bullets_text(i.bullets("benefits"))),
            ("Challenges", lambda i: bullets_text(i.bullets("challenges"))),
            ("CostImplications", lambda i: bullets_text(i.bullets("cost_implications"))),
            ("FunderTips", lambda i: bullets_text(i.bullets("funder_tips"))),
        ]),
        ("Streams", [(i.id, i.label) for i in content.streams], []),
        ("Categories", [(i.id, i.label) for i in content.categories], []),
        ("Levels", [(i.id, i.label) for i in content.levels], []),
        ("YesNo", [("yes", YES), ("no", NO)], []),
    ]
    items_by_key = {"Structures": content.structures}
    col = 0
    for key, pairs, extras in blocks:
        book.text(ws, 0, col, f"{key} id", s.th)
        book.text(ws, 0, col + 1, f"{key} label", s.th)
        for n, (extra, _) in enumerate(extras):
            book.text(ws, 0, col + 2 + n, extra, s.th)
        lists.labels[key] = {}
        for r, (id_, label) in enumerate(pairs, start=1):
            book.text(ws, r, col, id_)
            book.text(ws, r, col + 1, label)
            lists.labels[key][id_] = label
            lists.cells[(key, id_)] = abs_cell(LISTS, r, col + 1)
            for n, (_, fn) in enumerate(extras):
                book.text(ws, r, col + 2 + n, fn(items_by_key[key][r - 1]))
        last = len(pairs)
        lists.names[key] = book.define(f"List_{key}", abs_range(LISTS, 1, col + 1, last, col + 1))
        book.define(f"List_{key}Ids", abs_range(LISTS, 1, col, last, col))
        for n, (extra, _) in enumerate(extras):
            book.define(f"List_{key}{extra}", abs_range(LISTS, 1, col + 2 + n, last, col + 2 + n))
        ws.set_column(col, col + 1 + len(extras), 22)
        col += 3 + len(extras)
    ws.hide()
    return lists


# ----------------------------------------------------------------------------- inputs


def dropdown(book: Book, ws: Worksheet, r1: int, c1: int, r2: int, c2: int, list_name: str, title: str, message: str) -> None:
    """A dropdown that points at a Lists range (no 255-character limit)."""
    book.validate(ws, r1, c1, r2, c2, {
        "validate": "list", "source": "=" + list_name,
        "input_title": title, "input_message": message, RULE_MESSAGE: ("choose", {}),
    })


def table_dropdown(book: Book, ws: Worksheet, table: Table, key: str, list_name: str, title: str, message: str) -> None:
    """A dropdown over one column of a table, across its whole capacity."""
    c = table.col(key)
    dropdown(book, ws, table.first, c, table.last, c, list_name, title, message)


def worded_dropdown(book: Book, ws: Worksheet, table: Table, words: SheetWords, key: str, list_name: str,
                    column: str = "") -> None:
    """A table column's dropdown, its input message from the column's words (`column`: the table's
    column key when it differs from the words' key, e.g. one column per scenario)."""
    text = words.column(key)
    table_dropdown(book, ws, table, column or key, list_name, text.title or text.header, text.help)


def number_rule(kind: str, minimum: float | None = None, maximum: float | None = None, title: str = "", message: str = "") -> dict[str, Any]:
    """Data validation options for a number input ('decimal' or 'integer'); the message shown for a
    wrong entry is worded when the rule is written (Book.validate, sheets_shared.yaml input_rules)."""
    opts: dict[str, Any] = {"validate": kind, "input_title": title, "input_message": message}
    if minimum is not None and maximum is not None:
        opts.update({"criteria": "between", "minimum": minimum, "maximum": maximum,
                     RULE_MESSAGE: ("between", {"low": f"{minimum:g}", "high": f"{maximum:g}"})})
    elif minimum is not None:
        opts.update({"criteria": ">=", "value": minimum, RULE_MESSAGE: ("at_least", {"low": f"{minimum:g}"})})
    else:
        opts.update({"criteria": "between", "minimum": -1e12, "maximum": 1e12, RULE_MESSAGE: ("any_number", {})})
    return opts


def as_percent(rule: dict[str, Any] | None) -> dict[str, Any] | None:
    """The same rule for a cell shown as a percentage: its limits are stated as percentages
    ("from 0% to 200%"), as the user sees them, not as fractions."""
    if not rule or rule.get("validate") != "decimal":
        return rule
    out = dict(rule)
    kind = out.get(RULE_MESSAGE, ("",))[0]
    if kind == "between":
        out[RULE_MESSAGE] = ("percent_between", {"low": f"{out['minimum'] * 100:g}", "high": f"{out['maximum'] * 100:g}"})
    elif kind == "at_least":
        out[RULE_MESSAGE] = ("percent_at_least", {"low": f"{out['value'] * 100:g}"})
    return out


@dataclass
class Form:
    """Labelled single-cell inputs and outputs down a sheet: label | value | unit | note."""

    book: Book
    ws: Worksheet
    row: int = 0
    label_col: int = 0
    value_col: int = 1
    #: the rows of the headings written so far (for page breaks that keep a part whole)
    headings: list[int] = field(default_factory=list)

    def heading(self, text: str, gap: int = 1) -> None:
        self.row += gap
        self.headings.append(self.row)
        self.book.text(self.ws, self.row, self.label_col, text, self.book.styles.h)
        self.book.blank(self.ws, self.row, self.value_col, self.book.styles.h)
        self.book.blank(self.ws, self.row, self.value_col + 1, self.book.styles.h)
        self.book.blank(self.ws, self.row, self.value_col + 2, self.book.styles.h)
        self.row += 1

    def _tail(self, unit: str, note: str) -> None:
        s = self.book.styles
        if unit:
            self.book.text(self.ws, self.row, self.value_col + 1, unit, s.subtitle)
        if note:
            self.book.text(self.ws, self.row, self.value_col + 2, note, s.note)
            fit_row(self.ws, self.row, [(note, column_width(self.ws, self.value_col + 2))])

    def number(self, label: str, name: str | None, value: float | None, style: Any, rule: dict[str, Any] | None, unit: str = "", note: str = "") -> int:
        """A number input with validation; returns its row."""
        b = self.book
        b.text(self.ws, self.row, self.label_col, label, b.styles.label)
        b.number(self.ws, self.row, self.value_col, value, style)
        if rule:
            if style is b.styles.in_pct:
                rule = as_percent(rule)
            b.validate(self.ws, self.row, self.value_col, self.row, self.value_col, rule or {})
        if name:
            b.define_cell(name, self.ws.name, self.row, self.value_col)
        self._tail(unit, note)
        self.row += 1
        return self.row - 1

    def text(self, label: str, name: str | None, value: str | None, style: Any, unit: str = "", note: str = "", rule: dict[str, Any] | None = None) -> int:
        """A text input; returns its row."""
        b = self.book
        b.text(self.ws, self.row, self.label_col, label, b.styles.label)
        b.text(self.ws, self.row, self.value_col, value, style)
        if rule:
            b.validate(self.ws, self.row, self.value_col, self.row, self.value_col, rule)
        if name:
            b.define_cell(name, self.ws.name, self.row, self.value_col)
        self._tail(unit, note)
        self.row += 1
        return self.row - 1

    def formula(self, label: str, name: str | None, formula: str, value: Any, style: Any, unit: str = "", note: str = "") -> int:
        """A calculated line; returns its row."""
        b = self.book
        b.text(self.ws, self.row, self.label_col, label, b.styles.label)
        b.formula(self.ws, self.row, self.value_col, formula, value, style)
        if name:
            b.define_cell(name, self.ws.name, self.row, self.value_col)
        self._tail(unit, note)
        self.row += 1
        return self.row - 1

    def note(self, text: str) -> None:
        self.book.text(self.ws, self.row, self.label_col, text, self.book.styles.note)
        fit_row(self.ws, self.row, [(text, column_width(self.ws, self.label_col))])
        self.row += 1

    def skip(self, n: int = 1) -> None:
        self.row += n


def write_table(book: Book, ws: Worksheet, table: Table, rows: Sequence[dict[str, Any]],
                formulas: dict[str, tuple[Callable[[int], str], Callable[[int, dict[str, Any] | None], Any], Any]] | None = None,
                live_headers: Sequence[str] = ()) -> None:
    """Header, input rows padded to capacity, per-column validation, and per-row formulas.

    `formulas` maps a column key to (formula for data row i, cached value for row i, format).
    `live_headers` are columns whose header the caller writes as a formula: no text is written
    there first (a cell written twice leaves a stray count in the shared strings table).
    """
    s = book.styles
    formulas = formulas or {}
    for c in table.columns:
        if c.key not in live_headers:
            book.text(ws, table.top, table.col(c.key), c.header, s.th)
        # wide enough for the longest entry (position titles, source names), within reason
        longest = max((len(str(r.get(c.key))) for r in rows if isinstance(r.get(c.key), str)), default=0)
        width = min(75.0, max(c.width, longest * 1.1 + 2 if c.style in ("in_text", "calc_text") else c.width))
        if hasattr(ws, "widen"):
            ws.widen(table.col(c.key), width)
        else:
            ws.set_column(table.col(c.key), table.col(c.key), width)
    # each column's place, formula and style worked out once, not once a cell
    plan = [(c.key, table.col(c.key), formulas.get(c.key), getattr(s, c.style), c.style in ("note", "wrap", "in_wrap", "calc_wrap"))
            for c in table.columns]
    for i in range(table.capacity):
        data = rows[i] if i < len(rows) else None
        r = table.row(i)
        wrapped: list[tuple[str, float]] = []   # the row is as tall as its tallest wrapped cell, not its last one
        for key, col, live, style, wraps in plan:
            if live is not None:
                f, val, fmt = live
                book.formula(ws, r, col, f(i), val(i, data), fmt)
                continue
            value = None if data is None else data.get(key)
            if isinstance(value, str):
                book.text(ws, r, col, value, style)
                if wraps:
                    wrapped.append((value, column_width(ws, col)))
            else:
                book.number(ws, r, col, value, style)
        if wrapped:
            fit_row(ws, r, wrapped)
    for c in table.columns:
        if c.validation:
            opts = dict((as_percent(c.validation) if c.style == "in_pct" else c.validation) or {})
            opts.setdefault("input_title", c.header[:32])
            if c.help:
                opts.setdefault("input_message", c.help)
            book.validate(ws, table.first, table.col(c.key), table.last, table.col(c.key), opts)
        elif c.is_input and c.help:
            book.validate(ws, table.first, table.col(c.key), table.last, table.col(c.key),
                          {"validate": "any", "input_title": c.header[:32], "input_message": c.help})
    book.define_table(table)


# ----------------------------------------------------------------------------- standard sheets


def write_start_here(book: Book, ws: Worksheet, title: str, org_name: str, purpose: list[str], steps: list[str],
                     sheets: list[tuple[str, str]], status: Status, words: SheetWords,
                     extra: list[tuple[str, list[str]]] | None = None) -> None:
    """Purpose, steps, colour legend, links to every sheet, and the master check."""
    s = book.styles
    ws.set_column(0, 0, 4)
    ws.set_column(1, 1, 34)
    ws.set_column(2, 2, START_TEXT_WIDTH)
    book.text(ws, 0, 1, title, s.title)
    book.text(ws, 1, 1, org_name, s.subtitle)
    r = 3
    master_banner(book, ws, r, 1, status)
    r += 2
    book.text(ws, r, 1, words.heading("purpose"), s.h)
    book.blank(ws, r, 2, s.h)
    r += 1
    for para in purpose:  # in the wide column, no merged cells (screen readers and sorting trip on them)
        book.text(ws, r, 2, para, s.wrap)
        fit_row(ws, r, [(para, START_TEXT_WIDTH)])
        r += 1
    r += 1
    book.text(ws, r, 1, words.heading("steps"), s.h)
    book.blank(ws, r, 2, s.h)
    r += 1
    for n, step in enumerate(steps, start=1):
        book.text(ws, r, 1, words.line("step").label.format(n=n), s.label_b)
        book.text(ws, r, 2, step, s.wrap)
        fit_row(ws, r, [(step, START_TEXT_WIDTH)])
        r += 1
    r += 1
    book.text(ws, r, 1, words.heading("legend"), s.h)
    book.blank(ws, r, 2, s.h)
    r += 1
    for style_name, key in LEGEND:
        book.text(ws, r, 1, "", getattr(s, style_name))
        book.text(ws, r, 2, words.word(f"legend_{key}"), s.label)
        r += 1
    r += 1
    book.text(ws, r, 1, words.heading("sheets"), s.h)
    book.blank(ws, r, 2, s.h)
    r += 1
    for name, what in sheets:
        book.link(ws, r, 1, name, name, s.link, words.note_text("go_to", sheet=name))
        book.text(ws, r, 2, what, s.wrap)
        fit_row(ws, r, [(what, START_TEXT_WIDTH)])
        r += 1
    for heading, lines in extra or []:
        r += 1
        book.text(ws, r, 1, heading, s.h)
        book.blank(ws, r, 2, s.h)
        r += 1
        for line in lines:
            book.text(ws, r, 2, line, s.wrap)
            fit_row(ws, r, [(line, START_TEXT_WIDTH)])
            r += 1
    ws.activate()
    print_setup(ws, org_name, landscape=False)
    ws.fit_to_pages(1, 1)  # one page: its last lines never spill onto a page of their own


@dataclass(frozen=True)
class Status:
    """The master status of a workbook: its master check and completeness names, their cached
    values, and the sheets to fill in first (SPEC 5: an unfilled workbook never claims success)."""

    master: str                 # FC_Checks_OK / SP_Checks_OK
    complete: str               # FC_Complete / SP_Complete
    ok: bool
    filled: bool
    staffing: str               # the sheets to fill in first
    expenses: str
    words: SheetWords           # sheets_shared.yaml `status`

    @property
    def todo_text(self) -> str:
        return self.words.word("todo", staffing=self.staffing, expenses=self.expenses)

    def formula(self) -> str:
        todo, good, bad = (quoted(t) for t in (self.todo_text, self.words.word("all_pass"), self.words.word("needs_attention")))
        return f'IF(NOT({self.complete}),"{todo}",IF({self.master},"{good}","{bad}"))'

    @property
    def value(self) -> str:
        return self.todo_text if not self.filled else self.words.word("all_pass" if self.ok else "needs_attention")

    @property
    def not_applicable(self) -> str:
        """What a result's note says until the workbook is filled in."""
        return self.words.word("not_applicable")


def master_banner(book: Book, ws: Worksheet, row: int, col: int, status: Status) -> None:
    """The master status in words, in three states (not filled in yet / some checks need
    attention / all checks pass), with a grey, red or green fill that only repeats the words."""
    s = book.styles
    book.text(ws, row, col, status.words.word("label"), s.label_b)
    # no border of its own: a box round the first cell would be narrower than the words that run on from it
    book.formula(ws, row, col + 1, status.formula(), status.value, s.label)
    done, ok = status.complete, status.master
    # the words run on into the empty cells to their right: the fill covers as many cells as the longest status
    # needs, so no status reads as spilling out of its box
    last = col + 1 + status_span(ws, col + 1, status)
    ws.conditional_format(row, col + 1, row, last, {"type": "formula", "criteria": f"=NOT({done})", "format": s.cf_todo,
                                                    "stop_if_true": True})
    ws.conditional_format(row, col + 1, row, last, {"type": "formula", "criteria": f"={ok}", "format": s.cf_pass})
    ws.conditional_format(row, col + 1, row, last, {"type": "formula", "criteria": f"=NOT({ok})", "format": s.cf_fail})


#: Characters of a status per column-width unit, with room to spare (LibreOffice's and Excel's fonts differ).
STATUS_CHAR = 1.0


def status_span(ws: Worksheet, col: int, status: Status) -> int:
    """How many columns right of `col` the longest status runs into (0: it fits its own cell)."""
    need = STATUS_CHAR * max(len(status.todo_text), len(status.words.word("all_pass")), len(status.words.word("needs_attention")))
    extra, room = 0, column_width(ws, col)
    while room < need and extra < 20:
        extra += 1
        room += column_width(ws, col + extra)
    return extra


@dataclass
class Check:
    """One row of the Checks sheet: a description and a formula that is TRUE when it passes."""

    description: str
    formula: str
    value: bool = True
    where: str = ""


#: The rounding tolerance every check allows (Chk_Tolerance), and the largest FTE one position may
#: have (Chk_MaxFTE): both workbooks' checks read these names.
TOLERANCE = 0.001
MAX_FTE = 1.5


#: The columns of the Checks sheet's hidden row that hold the named master check and completeness (TRUE/FALSE).
FLAG_COLS = (1, 2)


def write_checks(book: Book, ws: Worksheet, checks: list[Check], master_name: str, org_name: str,
                 complete: tuple[str, str, bool, str], workbook: Words) -> None:
    """Every check reading OK or Check this, the master check named `master_name` (TRUE/FALSE),
    the completeness cell (`complete`: name, formula, cached value, what it asks for), and the
    constants the checks read, above the table (so that none prints alone on a last page)."""
    s = book.styles
    words = workbook.sheet("checks")
    ok, check_this = quoted(words.word("ok")), quoted(words.word("check_this"))
    for col, width in enumerate((70, 12, 30)):
        ws.set_column(col, col, width)
    book.text(ws, TITLE_ROW, 0, words.title, s.title)
    book.text(ws, NOTE_ROW, 0, words.note, s.note)  # wraps: the note is longer than a subtitle
    at = Rows(BODY_TOP)
    master, done, flags, tolerance, max_fte, head = (at.take() for _ in range(6))
    first, last = at.row, at.row + len(checks) - 1
    rng = abs_range(CHECKS, first, 1, last, 1)
    name, formula, value, what = complete
    yes, no = quoted(words.word("yes")), quoted(words.word("no"))
    # the named TRUE/FALSE (what formulas, readback and the add-in read) in a hidden row, the reader sees Yes
    # or No: LibreOffice prints a hidden column's TRUE/FALSE as a sliver of "###" beside the table, print area
    # or not, and prints no hidden row
    book.text(ws, flags, 0, words.line("flags").label, s.label)
    ws.set_row(flags, None, None, {"hidden": True})
    for row, flag_col, label, name_, cell_formula, cached in (
            (master, FLAG_COLS[0], words.line("master").label, master_name, f'COUNTIF({rng},"{ok}")=ROWS({rng})', all(c.value for c in checks)),
            (done, FLAG_COLS[1], words.line("complete").label.format(what=what), name, formula, value)):
        book.text(ws, row, 0, label, s.wrap_b)  # a long one wraps rather than run on under its result
        fit_row(ws, row, [(label, 70)])
        book.formula(ws, flags, flag_col, cell_formula, cached, s.calc_bool)
        book.define_cell(name_, CHECKS, flags, flag_col)
        book.formula(ws, row, 1, f'IF({name_},"{yes}","{no}")', words.word("yes" if cached else "no"), s.calc_bool)
    ws.conditional_format(master, 1, master, 1, {"type": "cell", "criteria": "==", "value": f'"{yes}"', "format": s.cf_pass})
    ws.conditional_format(master, 1, master, 1, {"type": "cell", "criteria": "==", "value": f'"{no}"', "format": s.cf_fail})
    ws.conditional_format(done, 1, done, 1, {"type": "cell", "criteria": "==", "value": f'"{no}"', "format": s.cf_todo})
    for row, key, constant, name_ in ((tolerance, "tolerance", TOLERANCE, "Chk_Tolerance"), (max_fte, "max_fte", MAX_FTE, "Chk_MaxFTE")):
        book.text(ws, row, 0, words.line(key).label, s.label)
        book.number(ws, row, 1, constant, s.calc_dec0)
        book.define_cell(name_, CHECKS, row, 1)
    ws.set_row(tolerance, None, None, {"hidden": True})  # a constant of the checks' arithmetic, not a reader's figure
    for c, key in enumerate(("check", "result", "where")):
        book.text(ws, head, c, words.column(key).header, s.th)
    for r, chk in enumerate(checks, start=first):
        book.text(ws, r, 0, chk.description, s.wrap)
        book.formula(ws, r, 1, f'IF({chk.formula},"{ok}","{check_this}")', words.word("ok" if chk.value else "check_this"), s.calc_bool)
        book.text(ws, r, 2, chk.where, s.note)
        fit_row(ws, r, [(chk.description, 70)])
    # each check's words and result by name, so that validate can say which check fails, not guess
    book.define("Chk_Texts", abs_range(CHECKS, first, 0, last, 0))
    book.define("Chk_Results", rng)
    ws.conditional_format(first, 1, last, 1, {"type": "cell", "criteria": "==", "value": f'"{ok}"', "format": s.cf_pass})
    ws.conditional_format(first, 1, last, 1, {"type": "cell", "criteria": "==", "value": f'"{check_this}"', "format": s.cf_fail})
    ws.freeze_panes(first, 0)
    print_setup(ws, org_name, repeat_rows=(head, head))


def write_guide(book: Book, ws: Worksheet, content: Content, workbook_key: str, org_name: str,
                reference: list[tuple[str, list[tuple[str, str]]]],
                screen_only: list[tuple[str, list[tuple[str, str]]]] | None = None) -> None:
    """Guidance sections from templates/, then reference tables (label, explanation); the
    `screen_only` tables (the defined names, for those who write formulas) follow, left out of print."""
    s = book.styles
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, GUIDE_TEXT_WIDTH)
    sheet_title(book, ws, content.words(workbook_key).sheet("guide"))
    r = 3
    headings: set[int] = set()
    for sec in content.guidance_for(workbook_key):
        headings.add(r)
        book.text(ws, r, 0, sec.label, s.h)
        book.blank(ws, r, 1, s.h)
        r += 1
        for para in sec.bullets("paragraphs"):
            book.text(ws, r, 1, para, s.wrap)
            fit_row(ws, r, [(para, GUIDE_TEXT_WIDTH)])
            r += 1
        for bullet in sec.bullets("bullets"):
            book.text(ws, r, 1, f"• {bullet}", s.wrap)
            fit_row(ws, r, [(f"• {bullet}", GUIDE_TEXT_WIDTH)])
            r += 1
        r += 1
    printed = 0
    for part in (reference, screen_only or []):
        for heading, rows in part:
            headings.add(r)
            book.text(ws, r, 0, heading, s.h)
            book.blank(ws, r, 1, s.h)
            r += 1
            for label, text in rows:
                book.text(ws, r, 0, label, s.wrap_b)
                book.text(ws, r, 1, text, s.wrap)
                fit_row(ws, r, [(text, GUIDE_TEXT_WIDTH)], minimum=text_lines(label, 30, bold=True))  # the label is bold
                r += 1
            r += 1
        printed = printed or r - 2
    print_setup(ws, org_name, landscape=False)
    if screen_only:
        ws.print_area(0, 0, printed, 1)
    keep_headings_with_rows(ws, {h: h + 1 for h in headings}, (printed or r) if screen_only else r, landscape=False)


def keep_headings_with_rows(ws: Worksheet, keep: dict[int, int | tuple[int, ...]], last_row: int, landscape: bool) -> None:
    """Set the page breaks `heading_breaks` works out (none when the sheet fits on a page)."""
    breaks = heading_breaks(ws, keep, last_row, landscape)
    if breaks:
        ws.set_h_pagebreaks(breaks)


def heading_breaks(ws: Worksheet, keep: dict[int, int | tuple[int, ...]], last_row: int, landscape: bool) -> list[int]:
    """Page breaks of a sheet printed one page wide, so that no page ends on a section heading with
    its rows on the next: `keep` maps each heading's row to the last row that prints on its page
    (its first row, or a whole short table), or to several such rows, the first that fits a page
    kept (a whole table where a page holds it, else its header and first rows). Each page is filled
    with whole rows to a little less than it holds (row heights as set, the title row repeated on
    every page), with a break before a heading whose rows would not fit (layout.paginate)."""
    width = sum(column_width(ws, c) for c in range(max(getattr(ws, "widths", {0: 0}), default=0) + 1)
                if c not in getattr(ws, "hidden_cols", set()))
    heights = [row_points(ws, r) for r in range(last_row + 1)]
    return paginate(heights, keep, page_room(width, landscape), row_points(ws, TITLE_ROW))


def identity(book: Book, template_id: str, template_version: str, partnership_id: str,
             build_time: "dt.datetime | None", extra: dict[str, str] | None = None) -> dict[str, str]:
    """Identity and integrity of a workbook: template, versions, partnership, build time and
    the fingerprint of every formula written so far (call it after the last formula)."""
    from .. import __version__
    from ..schema import SCHEMA_ID
    from . import fill

    return {
        "template_id": template_id,
        "template_version": template_version,
        "generator_version": __version__,
        "data_schema": SCHEMA_ID,
        "partnership_id": partnership_id,
        "build_time": build_time.strftime("%Y-%m-%dT%H:%M:%SZ") if build_time else "",
        "formula_fingerprint": fill.fingerprint(book.formulas),   # made once per set of formulas
        "formula_count": str(len(book.formulas)),
        **(extra or {}),
    }


def document_properties(workbook: Words, org_name: str) -> dict[str, str]:
    """The file's properties (title, subject, author) as a file manager or Excel's Info pane shows them."""
    from .. import __version__
    words, toolkit = workbook.sheet("document"), workbook.sheet("toolkit")
    title = words.word("title")
    return {"title": f"{title}: {org_name}" if org_name else title, "subject": words.word("subject"),
            "author": toolkit.word("name"), "company": "", "comments": f"generator {__version__}"}


def write_metadata(book: Book, ws: Worksheet, meta: dict[str, str]) -> None:
    """Hidden key/value sheet: template id and version, generator version, and so on."""
    s = book.styles
    book.text(ws, 0, 0, "key", s.th)
    book.text(ws, 0, 1, "value", s.th)
    for r, (k, v) in enumerate(meta.items(), start=1):
        book.text(ws, r, 0, k)
        book.text(ws, r, 1, v)
    book.define("Meta_Table", abs_range(META, 1, 0, len(meta), 1))
    ws.set_column(0, 1, 28)
    ws.hide()


#: The notes under the backbone structure dropdown: (words key, Lists column suffix, text of a structure).
STRUCTURE_NOTES: list[tuple[str, str, Callable[[Item], str]]] = [
    ("note_description", "Description", lambda i: i.text("description")),
    ("note_benefits", "Benefits", lambda i: bullets_text(i.bullets("benefits"))),
    ("note_challenges", "Challenges", lambda i: bullets_text(i.bullets("challenges"))),
    ("note_cost_implications", "CostImplications", lambda i: bullets_text(i.bullets("cost_implications"))),
    ("note_funder_tips", "FunderTips", lambda i: bullets_text(i.bullets("funder_tips"))),
]
TEXT_RULE: dict[str, Any] = {"validate": "length", "criteria": "<=", "value": 200}


def write_organization(book: Book, ws: Worksheet, content: Content, workbook: Words, org: Any, blank: bool,
                       org_name: str) -> None:
    """The Organization sheet both workbooks share: name, region, focus, fiscal year start and
    label, and the backbone structure dropdown with its notes (named Org_Structure<Key>),
    which follow the dropdown through INDEX/MATCH over the Lists sheet. What the fiscal year
    means differs by workbook: its words are the workbook's `fiscal_year` sheet words."""
    s = book.styles
    words = workbook.sheet("organization")
    for col, width in enumerate((30, 60, 10, 50)):
        ws.set_column(col, col, width)
    sheet_title(book, ws, words)
    f = Form(book, ws, row=BODY_TOP)
    f.heading(words.heading("partnership"), gap=0)
    for key, name, value in (("name", "In_OrgName", org_name), ("region", "In_Region", None if blank else org.region),
                             ("focus", "In_Focus", None if blank else org.focus)):
        line = words.line(key)
        f.text(line.label, name, value, s.in_text, note=line.note,
               rule={**TEXT_RULE, "input_title": line.label, "input_message": line.help})
    _fiscal_year(book, f, words, workbook.sheet("fiscal_year"), org, blank)
    _structure(book, f, content, words, org, blank)
    print_setup(ws, org_name)
    ws.fit_to_pages(1, 1)  # a little over a page: "Tips for funders" never spills onto a page of its own


def _fiscal_year(book: Book, f: Form, words: SheetWords, fy: SheetWords, org: Any, blank: bool) -> None:
    """The fiscal year's first day (a date input) and its FY label (a formula); `fy` says what
    they mean in this workbook (input message, note, label)."""
    s, ws, row = book.styles, f.ws, f.row
    line = words.line("fy_start")
    book.text(ws, row, 0, line.label, s.label)
    if blank:
        book.blank(ws, row, 1, s.in_date)
    else:
        book.date(ws, row, 1, org.fiscal_year_start, s.in_date)
    book.validate(ws, row, 1, row, 1, {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                                       "maximum": dt.date(2100, 12, 31), "input_title": line.title,
                                       "input_message": fy.word("message"),
                                       "error_title": words.word("date_error_title"), "error_message": words.word("date_error")})
    book.define_cell("In_FYStart", ws.name, row, 1)
    book.text(ws, row, 2, line.unit, s.subtitle)
    book.text(ws, row, 3, fy.word("note"), s.note)
    f.row += 1
    f.formula(fy.word("label"), "Org_FYLabel",
              'IF(In_FYStart="","",CONCATENATE("FY",YEAR(In_FYStart)+IF(AND(MONTH(In_FYStart)=1,DAY(In_FYStart)=1),0,1)))',
              "" if blank else f"FY{org.first_fy}", s.calc_text, note=words.line("fy_label").note)


def _structure(book: Book, f: Form, content: Content, words: SheetWords, org: Any, blank: bool) -> None:
    """The backbone structure dropdown and the notes that follow it."""
    s, ws = book.styles, f.ws
    f.heading(words.heading("structure"))
    label = "" if blank else content.label(content.structures, org.backbone_structure)
    line = words.line("structure")
    row = f.text(line.label, "In_Structure", label or None, s.in_text, note=line.note)
    dropdown(book, ws, row, 1, row, 1, "List_Structures", line.label, line.help)
    item = None if blank else content.by_id(content.structures, org.backbone_structure)
    choose = words.word("choose_structure")
    for note_key, key, text_of in STRUCTURE_NOTES:
        value = text_of(item) if item else choose
        r = f.formula(words.word(note_key), f"Org_Structure{key}",
                      f'IF(ISNA(MATCH(In_Structure,List_Structures,0)),"{quoted(choose)}",'
                      f'INDEX(List_Structures{key},MATCH(In_Structure,List_Structures,0)))', value, s.calc_wrap)
        # tall enough for the longest note of any structure, since the notes follow the dropdown
        fit_row(ws, r, [(text_of(it), 60) for it in content.structures] + [(value, 60)], minimum=2)


def write_start_page(book: Book, ws: Worksheet, content: Content, page_id: str, visible_sheets: list[str], org_name: str,
                     status: Status) -> None:
    """Start Here from templates/content/start_here.yaml: the page's purpose, steps, a line
    for every sheet of the workbook but Start Here and the hidden ones (an error when one is
    missing), its sections and the notes."""
    page = content.by_id(content.start_pages, page_id)
    visible_sheets = [n for n in visible_sheets if n not in (START, LISTS, META)]
    described: dict[str, str] = dict(page.data.get("sheets") or {})
    missing = [name for name in visible_sheets if name not in described]
    if missing:
        raise ValueError(f"templates/content/start_here.yaml: page {page_id!r} describes no sheet {', '.join(missing)}")
    sections = [(str(sec["heading"]), [str(x) for x in sec.get("lines") or []]) for sec in page.data.get("sections") or []]
    shared = content.by_id(content.start_pages, "shared").bullets("good_to_know") if "shared" in content.ids(content.start_pages) else []
    words = content.words(page_id).sheet("start_here")
    sections.append((words.word("good_to_know"), shared + page.bullets("good_to_know")))
    write_start_here(book, ws, page.label, org_name or words.word("blank_subtitle"),
                     page.bullets("purpose"), page.bullets("steps"), [(name, described[name]) for name in visible_sheets],
                     status, words, sections)
