"""The Cash Flow sheet of the Full Cost Workbook (SPEC section 6).

Month by month for year 1: money in by stream and money out by kind, the net and the
running position, a chart of the position with the lowest month marked, and the cash that
timing alone needs. Below them, one row per revenue source and per expense (mirroring the
Revenue and Expenses tables across their whole capacity) holds the timing inputs: a
schedule, a lag and custom months beside each source, payment months beside each expense.
Every output is a live formula under its SPEC name, with the model's value cached.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Callable

from xlsxwriter.utility import xl_rowcol_to_cell as rc

from ..content import MAX_LAG, SCHEDULE_IDS, SheetWords
from ..model.cash_flow import MONTH_NAMES, MONTHS, TIE, SourceTiming, month_label, expense_outflows, source_inflows, timing_of
from ..model.full_cost import staff_cost, year1_expenses, year1_staff
from ..schema import Revenue
from .common import BANNER_ROW, LISTS, OUTPUT_TOP, SPARE_PRINTED, TITLE_ROW, dropdown, fit_row, master_banner, number_rule, print_setup, quoted, sheet_title
from .styles import AXIS_MONEY, PALETTE
from .layout import GAP, Rows, Table, abs_cell, abs_range, fill_last_page, page_room, paginate, row_points, rows_spanned
from .styles import BORDER, FONT, GREY, INPUT_FILL, INPUT_FONT

if TYPE_CHECKING:
    from .full_cost import FullCostBuilder

CASH = "Cash Flow"
#: First column of the cash-flow lists on the Lists sheet (clear of the shared lists), their width, and the
#: blank columns between their blocks.
LIST_COL, LIST_WIDTH, LIST_GAP = 40, 22, 1
#: The Lists sheet's head row (as the shared lists have it); each list's items follow on the rows below.
LIST_HEAD = 0
CUSTOM = SCHEDULE_IDS.index("custom") + 1   # its number in List_Schedules

# columns of the sheet (zero-based)
C_LABEL, C_AMOUNT, C_SCHED, C_LAG, C_MONTHS, C_USE = 0, 1, 2, 3, 4, 5
C_M1 = 6                       # month 1; month m is C_M1 + m - 1
C_AFTER = C_M1 + MONTHS        # due this year, arrives after month 12
C_SPACER = C_AFTER + 1         # a narrow blank column between the printed part and the working columns
C_HELP = C_SPACER + 1          # working columns: kind, schedule used, code, lag used, months list, count, problem
H_KIND, H_SCHED, H_CODE, H_LAG, H_NORM, H_COUNT, H_BAD, H_PERIOD, H_PART = range(C_HELP, C_HELP + 9)
H_TIE, H_TIE_VALUE = C_HELP, C_HELP + 1   # on the month-number row: the tie tolerance's label and value
#: Column widths (characters) of the printed part: the left block, each month, "After year end".
WIDTHS = {C_LABEL: 30, C_AMOUNT: 10, C_SCHED: 12, C_LAG: 7, C_MONTHS: 9, C_USE: 12, C_AFTER: 9}
MONTH_WIDTH = 8
#: The chart of cash on hand, beside the key figures: its height and offset into its first cell, in pixels.
#: Its width is that of the month columns and "After year end", so that it stays inside the print area; its
#: height, with the offset, fills 15 rows whole (a pixel more would take a 16th, a row the page of the key
#: figures and the revenue timing table does not have to spare).
CHART_HEIGHT, CHART_X_OFFSET, CHART_Y_OFFSET = 296, 4, 2
#: Rows the key figures take: their heading, eleven figures and the two hidden month numbers behind the
#: months shown in words (checked as they are written).
KEY_FIGURE_ROWS = 14
#: Of those, the hidden ones: the chart beside the key figures spans that many rows more.
KEY_FIGURE_HIDDEN = 2


def pixels(width: float) -> int:
    """A column width in characters as pixels (Excel's rule for the default font, as xlsxwriter has it)."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


#: The chart's width: the month columns and "After year end", less its offset at each side.
CHART_WIDTH = MONTHS * pixels(MONTH_WIDTH) + pixels(WIDTHS[C_AFTER]) - 2 * CHART_X_OFFSET
#: Heights in points of the month header (two lines of heads) and of a timing table's heads (three lines).
MONTH_HEAD_HEIGHT, TIMING_HEAD_HEIGHT = 28, 42
#: Blank rows under the chart before the revenue timing table's heading (which may print on the same page).
AFTER_CHART = GAP
#: The column heads of the two timing tables and their working columns: sheet column -> key of its words.
REV_HEADS = {C_LABEL: "source", C_AMOUNT: "expected", C_SCHED: "schedule", C_LAG: "lag", C_MONTHS: "custom_months", C_USE: "in_use"}
REV_HELPERS = {H_KIND: "h_stream", H_SCHED: "h_schedule", H_CODE: "h_code", H_LAG: "h_lag", H_NORM: "h_months", H_COUNT: "h_count",
               H_BAD: "h_timing_problem", H_PERIOD: "h_period", H_PART: "h_part"}
EXP_HEADS = {C_LABEL: "expense", C_AMOUNT: "cash", C_SCHED: "payment_months", C_USE: "in_use"}
EXP_HELPERS = {H_KIND: "h_category", H_NORM: "h_months", H_COUNT: "h_count", H_BAD: "h_months_problem"}
#: Each schedule as (months between payments, number of payments); custom: (0, the months listed).
SCHEDULE_SHAPE = {"even": (1, 12), "upfront": (12, 1), "quarterly": (3, 4), "semiannual": (6, 2), "custom": (0, 0)}


def money_words(x: float) -> str:
    """TEXT(ROUND(x,-2),"$#,##0") as Excel writes it."""
    hundreds = (Decimal(repr(x)) / 100).quantize(Decimal(1), ROUND_HALF_UP) * 100
    return f"${int(hundreds):,}"


def one_decimal(x: float) -> str:
    """TEXT(x,"0.0")."""
    return str(Decimal(repr(x)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def months_words(x: float) -> str:
    """In_WCMonths shown as 2 or 1.5."""
    return str(int(x)) if float(x).is_integer() else one_decimal(x)


def formula_of(text: str, expressions: dict[str, str]) -> str:
    """A worded text as a formula: the words around each {placeholder} in quotes, joined by & to the
    placeholder's expression (so the words live in YAML and the formula follows them)."""
    parts = re.split(r"\{(\w+)\}", text)
    out = [expressions[p] if n % 2 else f'"{quoted(p)}"' for n, p in enumerate(parts) if p]
    return "&".join(out)


def dollars(x: float) -> str:
    """TEXT(ROUND(x,0),"$#,##0") as Excel writes it, for x >= 0."""
    return f"${int(Decimal(repr(x)).quantize(Decimal(1), ROUND_HALF_UP)):,}"


def plain_words(m: dict[str, Any], wc_months: float, sw: SheetWords, method: str = "months") -> str:
    """The sheet's timing line (the cached value of its formula), in the words `sw`."""
    if m["FC_CashOpex"] == 0:
        return sw.word("plain_none")
    if method == "cash_flow":
        return sw.word("plain_method", money=money_words(m["FC_CF_TimingNeed"]), months=one_decimal(m["FC_CF_MonthsEquivalent"]))
    return sw.word("plain", money=money_words(m["FC_CF_TimingNeed"]), months=one_decimal(m["FC_CF_MonthsEquivalent"]),
                   assumed=months_words(wc_months))


def plain_words_formula(words: SheetWords) -> str:
    """The timing line as a formula over the timing need, the method and the months assumed."""
    money, months = 'TEXT(ROUND(FC_CF_TimingNeed,-2),"$#,##0")', 'TEXT(FC_CF_MonthsEquivalent,"0.0")'
    return (f'IF(FC_CashOpex=0,"{quoted(words.word("plain_none"))}",IF(In_WCMethod=Label_WCCashFlow,'
            + formula_of(words.word("plain_method"), {"money": money, "months": months}) + ","
            + formula_of(words.word("plain"), {"money": money, "months": months,
                         "assumed": 'IF(In_WCMonths=INT(In_WCMonths),TEXT(In_WCMonths,"0"),TEXT(In_WCMonths,"0.0"))'}) + "))")


@dataclass(frozen=True)
class CashWords:
    """What the year says in words (SPEC 6.1), as formulas and as their cached values: the structural
    result, and the cash held today against the months; until the workbook is filled in, each says what
    it waits for, in words of its own. `start` is the fiscal year's first day (None: months are "Month m")."""

    sw: SheetWords
    start: dt.date | None

    def year(self, m: dict[str, Any]) -> str:
        if not m["FC_Complete"]:
            return self.sw.word("year_waiting")
        result = float(m["FC_CF_Position"][-1])
        key = "year_short" if result < -TIE else "year_covered"
        return self.sw.word(key, month=month_label(self.start, MONTHS), money=dollars(abs(result)))

    def year_formula(self) -> str:
        month = f"INDEX(CF_Months,1,{MONTHS})"
        return (f'IF(NOT(FC_Complete),"{quoted(self.sw.word("year_waiting"))}",IF(CF_YearResult<-CF_Tie,'
                + formula_of(self.sw.word("year_short"), {"month": month, "money": 'TEXT(ROUND(-CF_YearResult,0),"$#,##0")'}) + ","
                + formula_of(self.sw.word("year_covered"), {"month": month, "money": 'TEXT(ROUND(CF_YearResult,0),"$#,##0")'}) + "))")

    def cash(self, m: dict[str, Any]) -> str:
        if not m["FC_Complete"]:
            return self.sw.word("cash_waiting")
        held = dollars(float(m["FC_CF_Opening"]))
        n = int(m["FC_CF_ShortMonths"])
        if n == 0:
            return self.sw.word("cash_covered", held=held)
        return self.sw.word("cash_short", held=held, month=month_label(self.start, int(m["FC_CF_FirstShortMonth"])), n=n)

    def cash_formula(self) -> str:
        held = 'TEXT(ROUND(FC_CF_Opening,0),"$#,##0")'
        return (f'IF(NOT(FC_Complete),"{quoted(self.sw.word("cash_waiting"))}",IF(FC_CF_ShortMonths>0,'
                + formula_of(self.sw.word("cash_short"), {"held": held, "month": "INDEX(CF_Months,1,FC_CF_FirstShortMonth)",
                                                          "n": 'TEXT(FC_CF_ShortMonths,"0")'}) + ","
                + formula_of(self.sw.word("cash_covered"), {"held": held}) + "))")


def _here(r: int) -> Callable[[int], str]:
    """A cell of row r with its column fixed (one formula shape down a table)."""
    return lambda col: rc(r, col, False, True)


# The formula texts of a timing row, worked out once per row (and month-number row) in a process: the
# same in every workbook, and about 40 of them a row, each spelling half a dozen cell references.

@functools.lru_cache(maxsize=4096)
def _month_count(r: int, month_no: int) -> str:
    """How many distinct months 1..12 row r's months list (its working column H_NORM) names."""
    norm = rc(r, H_NORM, False, True)
    return "0+" + "+".join(f'ISNUMBER(SEARCH(","&{rc(month_no, C_M1 + k - 1, True, False)}&",",{norm}))'
                           for k in range(1, MONTHS + 1))


@functools.lru_cache(maxsize=4096)
def _revenue_months(r: int, month_no: int) -> tuple[str, ...]:
    """A revenue timing row's 12 month formulas, then what arrives after month 12: the part due in month
    j = m - lag arrives in month m, a payment month of the schedule or a listed month."""
    A = _here(r)
    out = []
    for k in range(1, MONTHS + 1):
        j = f"({rc(month_no, C_M1 + k - 1, True, False)}-{A(H_LAG)})"
        out.append(f'IF({j}<1,0,{A(H_PART)}*IF({A(H_PERIOD)}=0,ISNUMBER(SEARCH(","&{j}&",",{A(H_NORM)})),MOD({j}-1,{A(H_PERIOD)})=0))')
    out.append(f"IF({A(H_CODE)}=0,0,{A(C_AMOUNT)})-SUM({rc(r, C_M1)}:{rc(r, C_AFTER - 1)})")
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _expense_months(r: int, month_no: int) -> tuple[str, ...]:
    """An expense timing row's 12 month formulas: evenly when no month is listed, else shared among them."""
    A = _here(r)
    norm = A(H_NORM)
    return tuple(f'IF({A(H_COUNT)}=0,{A(C_AMOUNT)}/12,IF(ISNUMBER(SEARCH(","&{rc(month_no, C_M1 + k - 1, True, False)}&",",{norm})),'
                 f'{A(C_AMOUNT)}/{A(H_COUNT)},0))' for k in range(1, MONTHS + 1))


def _col_range(t: Table, col: int) -> str:
    """One column of a table, absolute."""
    return f"{rc(t.first, col, True, True)}:{rc(t.last, col, True, True)}"


def _rel(t: Table, col: int) -> str:
    """One column of a table, rows fixed and column relative: one formula shape across the months."""
    return f"{rc(t.first, col, True, False)}:{rc(t.last, col, True, False)}"


def _sumif_by(t: Table, crit: str) -> Callable[[int, int], str]:
    """A monthly line's formula: the timing table's month column summed where its kind is `crit`."""
    return lambda col, k: f"SUMIF({_col_range(t, H_KIND)},{crit},{_rel(t, col)})"


def _row_range(r: int) -> str:
    """The 12 months of one row of the monthly table, absolute."""
    return f"{rc(r, C_M1, True, True)}:{rc(r, C_AFTER - 1, True, True)}"


def months_text(months: list[int] | tuple[int, ...] | None) -> str | None:
    """[1, 7] -> '1, 7' (how a month list is typed into the sheet)."""
    return ", ".join(str(m) for m in months) if months else None


def monthly_rows(streams: int, categories: int) -> int:
    """Rows of the monthly table under the month numbers, counted as _totals writes them."""
    money_in = 1 + streams + 1               # section, one line a stream, total
    money_out = 1 + 2 + categories + 1       # section, staff and unfunded, one line a category, total
    position = 6                             # net, running position, tie helper, cash on hand, below zero, its words
    balanced = GAP + 1 + 2                   # a gap, the section, scaled money in and its running position
    return money_in + money_out + position + balanced


@dataclass(frozen=True)
class TimingRows:
    """Rows of one timing table: its heading, its note (beside it the working columns' heading) and its
    column heads, with the table's rows below them."""

    heading: int
    note: int
    top: int

    @classmethod
    def take(cls, rows: Rows, capacity: int) -> TimingRows:
        heading, note, top = rows.take(), rows.take(), rows.take()
        rows.skip(capacity)
        return cls(heading, note, top)


@dataclass(frozen=True)
class CashLayout:
    """Where each part of the sheet starts, each below the one above. Laid out before anything is
    written, because the monthly formulas refer to the timing tables further down."""

    year_words: int  # the year's structural result in words
    plain: int       # the timing need in words
    cash_words: int  # the cash held today against the months, in words
    sized_by: int
    head: int       # the month labels (and the monthly table's column heads)
    month_no: int   # month numbers 1..12, which the formulas read
    lines: int      # the monthly table's first line
    key_top: int    # the key figures' heading, with the chart beside them
    key_end: int    # the last row of the key figures or the chart, whichever reaches lower
    rev: TimingRows
    exp: TimingRows

    @classmethod
    def of(cls, streams: int, categories: int, revenue_rows: int, expense_rows: int) -> CashLayout:
        rows = Rows(OUTPUT_TOP)  # under the title, note and status every output sheet opens with
        year_words, plain, cash_words, sized_by = rows.take(), rows.take(), rows.take(), rows.take()
        rows.skip(GAP)
        head, month_no = rows.take(), rows.take()
        lines = rows.take(monthly_rows(streams, categories))
        rows.skip(GAP)
        key_top = rows.take(max(KEY_FIGURE_ROWS, rows_spanned(CHART_HEIGHT, CHART_Y_OFFSET) + KEY_FIGURE_HIDDEN))
        key_end = rows.row - 1
        rows.skip(AFTER_CHART)
        rev = TimingRows.take(rows, revenue_rows)
        rows.skip(GAP)
        return cls(year_words, plain, cash_words, sized_by, head, month_no, lines, key_top, key_end, rev,
                   TimingRows.take(rows, expense_rows))


class CashFlowSheet:
    """Writes the Cash Flow sheet and its lists; `builder` is the FullCostBuilder."""

    def __init__(self, builder: FullCostBuilder) -> None:
        self.fb = builder
        self.b = builder.book
        self.s = builder.book.styles
        self.c = builder.content
        self.m = builder.model
        self.ws = builder.ws[CASH]
        base = {"font_name": FONT, "font_size": 10, "valign": "top"}
        self.in_months = self.b.wb.add_format({**base, "bg_color": INPUT_FILL, "font_color": INPUT_FONT, "locked": False,
                                               "border": 1, "border_color": BORDER, "num_format": "@"})
        self.helper_h = self.b.wb.add_format({**base, "italic": True, "font_color": GREY, "text_wrap": True, "bottom": 1})
        self.month_no = self.b.wb.add_format({**base, "font_color": GREY, "align": "center", "font_size": 8})
        self.calc_int = self.b.wb.add_format({**base, "border": 1, "border_color": BORDER, "num_format": "0"})
        self.calc_tie = self.b.wb.add_format({**base, "border": 1, "border_color": BORDER, "num_format": "0.000"})
        #: a key figure said in words (a month's label), in line with the figures beside it
        self.calc_word = self.b.wb.add_format({**base, "border": 1, "border_color": BORDER, "align": "right"})
        #: a month's finding in a word ("Short"), bold so that it reads without its colour
        self.short_word = self.b.wb.add_format({**base, "bold": True, "font_color": PALETTE[1], "align": "center",
                                                "border": 1, "border_color": BORDER})
        #: the sheet's words (templates/content/sheets_full_cost.yaml)
        self.w = builder.w.sheet("cash_flow")
        cap = builder.cap
        #: where each part of the sheet goes
        self.at = CashLayout.of(len(self.c.stream_ids), len(self.c.category_ids), cap.revenue, cap.expenses)
        #: the write cursor of the monthly table and the key figures (_totals and the writers it calls)
        self.r = self.at.lines
        #: the monthly table's section labels, each kept on the page of its first line
        self.sections: list[int] = []
        #: the two timing tables, one row per Revenue and per Expenses row
        self.revt = Table(CASH, "CFRev", self.at.rev.top, C_LABEL, [], cap.revenue)
        self.exp = Table(CASH, "CFExp", self.at.exp.top, C_LABEL, [], cap.expenses)

    # ------------------------------------------------------------------ lists

    def lists(self) -> None:
        """Schedules, methods and each stream's default timing, on the Lists sheet: blocks of named
        columns side by side from LIST_COL, a blank column between blocks."""
        c, w, ws = self.c, self.fb.w.sheet("cash_flow_lists"), self.fb.ws[LISTS]
        shapes = [SCHEDULE_SHAPE[i] for i in c.ids(c.schedules)]
        timings = [c.default_timing(sid) for sid in c.stream_ids]
        blocks: list[list[tuple[str, str, list[Any]]]] = [
            [("List_SchedulesIds", w.word("ids", list="Schedules"), c.ids(c.schedules)),
             ("List_Schedules", w.word("labels", list="Schedules"), [i.label for i in c.schedules]),
             # what each schedule means, for the formulas
             ("List_SchedulesPeriod", w.word("period"), [period for period, _ in shapes]),
             ("List_SchedulesParts", w.word("parts"), [parts for _, parts in shapes])],
            [("List_WCMethodsIds", w.word("ids", list="WCMethods"), c.ids(c.methods)),
             ("List_WCMethods", w.word("labels", list="WCMethods"), [i.label for i in c.methods])],
            [("List_StreamsSchedule", w.word("stream_schedule"), [c.label(c.schedules, sched) for sched, _ in timings]),
             ("List_StreamsLag", w.word("stream_lag"), [lag for _, lag in timings])],
        ]
        cols: dict[str, int] = {}
        first = LIST_COL
        for block in blocks:
            for col, (name, head, values) in enumerate(block, start=first):
                self._list_column(ws, col, name, head, values)
                cols[name] = col
            ws.set_column(first, first + len(block) - 1, LIST_WIDTH)
            first += len(block) + LIST_GAP
        method_row = LIST_HEAD + 1 + c.ids(c.methods).index("cash_flow")
        self.b.define("Label_WCCashFlow", abs_cell(LISTS, method_row, cols["List_WCMethods"]))

    def _list_column(self, ws: Any, col: int, name: str, head: str, values: list[Any]) -> None:
        """One named list on the Lists sheet: its head, then its items below it."""
        b = self.b
        b.text(ws, LIST_HEAD, col, head, self.s.th)
        for r, value in enumerate(values, start=LIST_HEAD + 1):
            (b.text if isinstance(value, str) else b.number)(ws, r, col, value)
        b.define(name, abs_range(LISTS, LIST_HEAD + 1, col, LIST_HEAD + len(values), col))

    # ------------------------------------------------------------------ the sheet

    def write(self) -> None:
        """The sheet: title, plain words, the monthly table, the key figures with their chart, then the two timing
        tables, paged by _page_breaks."""
        b, s, ws, m = self.b, self.s, self.ws, self.m
        fb = self.fb
        # narrow enough that the printed part (up to "After year end") is one page wide at 70% or more
        for col, w in WIDTHS.items():
            ws.set_column(col, col, w)
        ws.set_column(C_M1, C_M1 + MONTHS - 1, MONTH_WIDTH)
        ws.set_column(C_SPACER, C_SPACER, 3)
        ws.set_column(C_HELP, H_PART, 13)
        at = self.at
        sheet_title(b, ws, self.w)
        master_banner(b, ws, BANNER_ROW, C_LABEL, fb.status)
        # the year in words (each one line that runs on across the empty cells to its right: no merged cells),
        # then the method in use
        wc = fb.p.full_cost.working_capital
        words = self.words()
        b.formula(ws, at.year_words, C_LABEL, words.year_formula(), words.year(m), s.label_b)
        b.define_cell("CF_YearWords", CASH, at.year_words, C_LABEL)
        b.formula(ws, at.plain, C_LABEL, plain_words_formula(self.w), plain_words(m, wc.months, self.w, wc.method), s.label_b)
        b.define_cell("CF_PlainWords", CASH, at.plain, C_LABEL)
        b.formula(ws, at.cash_words, C_LABEL, words.cash_formula(), words.cash(m), s.label_b)
        b.define_cell("CF_CashWords", CASH, at.cash_words, C_LABEL)
        method_label = self.c.label(self.c.methods, wc.method)
        b.formula(ws, at.sized_by, C_LABEL, self._words_formula("sized_by", "method", "In_WCMethod"),
                  self.w.word("sized_by", method=method_label), s.subtitle)

        self._month_header(at.head, {C_LABEL: self.w.column("month_by_month").header, C_USE: self.w.column("year").header})
        b.text(ws, at.month_no, H_TIE, self.w.word("tie"), self.helper_h)
        b.number(ws, at.month_no, H_TIE_VALUE, TIE, self.calc_tie)
        b.define_cell("CF_Tie", CASH, at.month_no, H_TIE_VALUE)
        # the timing tables first: the monthly formulas above them sum their rows
        rev_rows = self._revenue_table()
        exp_rows = self._expense_table()
        self._totals(rev_rows, exp_rows)
        ws.freeze_panes(at.lines, C_AMOUNT)  # the month labels and the line labels stay in view
        # every page repeats the sheet's title (print titles), as every sheet does: the month-by-month table
        # prints whole on the first page, and the key figures and each timing table below it carry their
        # own heads, so the month labels repeated over them would head columns they are not; pages one wide
        # need no repeated columns
        print_setup(ws, fb.org_name, repeat_rows=(TITLE_ROW, TITLE_ROW), last_col=C_AFTER)
        ws.print_area(TITLE_ROW, C_LABEL, self.exp.last, C_AFTER)
        breaks = self._page_breaks()
        if breaks:
            ws.set_h_pagebreaks(breaks)

    def _printed_heights(self) -> list[float]:
        """Each row's printed height in points, down to the last timing row: the print copy (`pdf`) leaves
        out a timing table's empty rows after the first SPARE_PRINTED of them, as it does on Revenue and
        Expenses, so those count none."""
        shown = set()
        for t, used in ((self.revt, len(self.fb.p.revenue)), (self.exp, len(year1_expenses(self.fb.p)))):
            shown |= {t.row(i) for i in range(min(t.capacity, used + SPARE_PRINTED))}
        spare = set(range(self.revt.first, self.revt.last + 1)) | set(range(self.exp.first, self.exp.last + 1))
        return [0.0 if r in spare and r not in shown else row_points(self.ws, r) for r in range(self.exp.last + 1)]

    def _page_breaks(self) -> list[int]:
        """Page breaks worked out from the rows' printed heights: no heading or section label last on a
        page, the key figures and their chart kept whole, the two timing tables on one page when they fit
        on one (a short expense table never alone on the last page), and no last page of a few rows."""
        at, heights = self.at, self._printed_heights()
        room = page_room(sum(self.ws.printed_width(c) for c in range(C_AFTER + 1)), landscape=True)
        title = row_points(self.ws, TITLE_ROW)
        rev_end = max(r for r in range(self.revt.first, self.revt.last + 1) if heights[r] > 0)
        exp_end = max(r for r in range(self.exp.first, self.exp.last + 1) if heights[r] > 0)

        # what a page never breaks inside: a section label and its first line, the key figures with their
        # chart, a timing table's heading, note and column heads with its first row
        whole = {**{r: r + 1 for r in self.sections}, at.key_top: at.key_end,
                 at.rev.heading: self.revt.first, at.exp.heading: self.exp.first}
        # and what it keeps together where a page holds it (paginate takes the first that fits): both timing
        # tables, else the revenue table whole; the expense table whole
        keep: dict[int, int | tuple[int, ...]] = {**whole, at.rev.heading: (exp_end, rev_end, self.revt.first),
                                                  at.exp.heading: (exp_end, self.exp.first)}
        inside = {r for first, last in whole.items() for r in range(first + 1, last + 1)}
        breaks = paginate(heights, keep, room, title)
        return fill_last_page(heights, breaks, lambda r: heights[r] > 0 and r not in inside, room, title)

    def words(self) -> CashWords:
        """What the year says in words (on this sheet and on the Summary)."""
        fb = self.fb
        return CashWords(self.w, None if fb.blank else fb.p.organization.fiscal_year_start)

    def _month_header(self, r: int, heads: dict[int, str]) -> None:
        """Column heads (left block), the 12 month labels and the after-year-end head on row r."""
        b, s, ws = self.b, self.s, self.ws
        after = self.w.column("after").header
        start = None if self.fb.blank else self.fb.p.organization.fiscal_year_start
        for col in range(C_LABEL, C_USE + 1):
            b.text(ws, r, col, heads.get(col) or None, s.th)
        for k in range(1, MONTHS + 1):
            if r == self.at.head:
                b.formula(ws, r, C_M1 + k - 1,
                          f'IF(ISNUMBER(In_FYStart),CHOOSE(MONTH(DATE(YEAR(In_FYStart),MONTH(In_FYStart)+{self._no(k)}-1,1)),'
                          + ",".join(f'"{n}"' for n in MONTH_NAMES)
                          + f')&" "&YEAR(DATE(YEAR(In_FYStart),MONTH(In_FYStart)+{self._no(k)}-1,1)),"Month "&{self._no(k)})',
                          month_label(start, k), s.th)
            else:
                b.formula(ws, r, C_M1 + k - 1, f"{rc(self.at.head, C_M1 + k - 1, True, False)}", month_label(start, k), s.th)
        b.text(ws, r, C_AFTER, after, s.th)
        if r == self.at.head:
            ws.set_row(r, MONTH_HEAD_HEIGHT)
            b.text(ws, self.at.month_no, C_LABEL, self.w.word("month_no"), self.month_no)
            for k in range(1, MONTHS + 1):
                b.number(ws, self.at.month_no, C_M1 + k - 1, k, self.month_no)
            b.define("CF_MonthNo", abs_range(CASH, self.at.month_no, C_M1, self.at.month_no, C_AFTER - 1))
            b.define("CF_Months", abs_range(CASH, self.at.head, C_M1, self.at.head, C_AFTER - 1))

    def _words_formula(self, key: str, placeholder: str, expression: str) -> str:
        """A word with one {placeholder} as a formula: its text around the placeholder in quotes, the
        expression in its place (the cached value is the same word filled in)."""
        return formula_of(self.w.word(key), {placeholder: expression})

    def _no(self, k: int) -> str:
        """The month-number cell of month k (row fixed), for formulas."""
        return rc(self.at.month_no, C_M1 + k - 1, True, False)

    def _timing_head(self, at: TimingRows, key: str, heads: dict[int, str], helpers: dict[int, str]) -> None:
        """A timing table's heading, note and column heads, with heads over the working columns right of
        the print area (so a reader sees what each computes)."""
        b, s, ws, w = self.b, self.s, self.ws, self.w
        b.text(ws, at.heading, C_LABEL, w.heading(key), s.h)
        b.text(ws, at.note, C_LABEL, w.note_text(key), s.subtitle)
        self._month_header(at.top, {col: w.column(k).header for col, k in heads.items()})
        ws.set_row(at.top, TIMING_HEAD_HEIGHT)
        b.text(ws, at.note, C_HELP, w.word("working"), self.helper_h)
        for col, k in helpers.items():
            b.text(ws, at.top, col, w.column(k).header, self.helper_h)

    # ------------------------------------------------------------------ revenue timing

    def _revenue_table(self) -> list[list[float]]:
        """One row per Revenue row: timing inputs, the month each part arrives, and what arrives next year."""
        fb = self.fb
        t = self.revt
        self._timing_head(self.at.rev, "revenue", REV_HEADS, REV_HELPERS)
        revs = fb.p.revenue
        arrivals = [self._revenue_row(t.row(i), fb.rev.row(i), revs[i] if i < len(revs) else None) for i in range(t.capacity)]
        self._revenue_rules(t)
        return arrivals

    def _revenue_row(self, r: int, src: int, x: Revenue | None) -> list[float]:
        """One source's timing row (inputs, then working columns, then months); returns its arrivals."""
        b, s, ws, c, rev = self.b, self.s, self.ws, self.c, self.fb.rev

        def ref(key: str) -> str:
            return abs_cell(rev.sheet, src, rev.col(key)).replace("$", "")

        E = x.amount(1) * self.fb.p.probability()[x.confidence] if x else 0.0
        timing: SourceTiming | None = timing_of(x, c) if x else None
        arrive, later = source_inflows(E, timing) if timing else ([0.0] * MONTHS, 0.0)
        b.formula(ws, r, C_LABEL, f'IF({ref("name")}="","",{ref("name")})', x.name if x else "", s.calc_wrap)
        b.formula(ws, r, C_AMOUNT, f'IF(ISNUMBER({ref("expected")}),{ref("expected")},0)', E, s.calc_money)
        own = x.timing if x else None
        b.text(ws, r, C_SCHED, c.label(c.schedules, own.schedule) if own and own.schedule else None, s.in_text)
        b.number(ws, r, C_LAG, own.lag_months if own else None, s.in_int)
        b.text(ws, r, C_MONTHS, months_text(own.months) if own else None, self.in_months)
        stream = self.fb.lists.label("Streams", x.stream) if x else ""
        b.formula(ws, r, H_KIND, f'IF({ref("stream")}="","",{ref("stream")})', stream, s.calc_text)
        use = self._revenue_helpers(r, x is not None, timing, E)
        # a long source name or timing wraps: the row is as tall as its text (no reader autofits a formula's row)
        fit_row(ws, r, [(x.name if x else "", WIDTHS[C_LABEL]), (use, WIDTHS[C_USE])])
        texts = _revenue_months(r, self.at.month_no)
        for k in range(MONTHS):
            b.formula(ws, r, C_M1 + k, texts[k], arrive[k], s.calc_money)
        b.formula(ws, r, C_AFTER, texts[MONTHS], later, s.calc_money)
        return arrive

    def _revenue_helpers(self, r: int, used: bool, timing: SourceTiming | None, E: float) -> str:
        """The working columns of one source: the schedule and lag in force, its shape, and any problem;
        returns the words shown under In use."""
        b, s, ws, c = self.b, self.s, self.ws, self.c
        A = _here(r)
        sched_label = c.label(c.schedules, timing.schedule) if timing else ""
        match = f"MATCH({A(H_KIND)},List_Streams,0)"
        b.formula(ws, r, H_SCHED, f'IF({A(C_SCHED)}<>"",{A(C_SCHED)},IF(ISNA({match}),"",INDEX(List_StreamsSchedule,{match})))',
                  sched_label, s.calc_text)
        code = c.ids(c.schedules).index(timing.schedule) + 1 if timing else 0
        b.formula(ws, r, H_CODE, f'IF(ISNA(MATCH({A(H_SCHED)},List_Schedules,0)),0,MATCH({A(H_SCHED)},List_Schedules,0))', code, s.calc_text)
        lag = timing.lag if timing else 0
        b.formula(ws, r, H_LAG, f'IF(ISNUMBER({A(C_LAG)}),{A(C_LAG)},IF({A(C_SCHED)}="",IF(ISNA({match}),0,INDEX(List_StreamsLag,{match})),0))',
                  lag, s.calc_text)
        self._months_helpers(r, timing.months if timing else ())
        b.formula(ws, r, H_BAD,
                  f'IF(AND(OR({A(C_SCHED)}="",ISNUMBER(MATCH({A(C_SCHED)},List_Schedules,0))),'
                  f'IF(ISNUMBER({A(C_LAG)}),AND({A(C_LAG)}>=0,{A(C_LAG)}<={MAX_LAG},INT({A(C_LAG)})={A(C_LAG)}),{A(C_LAG)}=""),'
                  f'OR({A(H_CODE)}<>{CUSTOM},{A(H_COUNT)}>0),OR({A(C_MONTHS)}="",{A(H_CODE)}={CUSTOM})),0,1)', 0, s.calc_text)
        timing_words = formula_of(self.w.word("in_use_timing"), {"schedule": A(H_SCHED), "lag": A(H_LAG)})
        use = self.w.word("in_use_timing", schedule=sched_label, lag=lag) if used else ""
        b.formula(ws, r, C_USE, f'IF({A(C_LABEL)}="","",{timing_words})', use, s.calc_wrap)
        period, parts = SCHEDULE_SHAPE[timing.schedule] if timing else (0, 0)
        b.formula(ws, r, H_PERIOD, f"IF({A(H_CODE)}=0,0,INDEX(List_SchedulesPeriod,{A(H_CODE)}))", period, s.calc_text)
        n = len(set(timing.months)) if timing and timing.schedule == "custom" else parts
        b.formula(ws, r, H_PART, f"IF({A(H_CODE)}=0,0,IF({A(H_CODE)}={CUSTOM},IF({A(H_COUNT)}=0,0,{A(C_AMOUNT)}/{A(H_COUNT)}),"
                                 f"{A(C_AMOUNT)}/INDEX(List_SchedulesParts,{A(H_CODE)})))", E / n if n else 0.0, s.calc_money)
        return use

    def _revenue_rules(self, t: Table) -> None:
        """Input messages and validation of the timing inputs, and their defined names."""
        b, ws = self.b, self.ws
        sched, lag, months = self.w.column("schedule"), self.w.column("lag"), self.w.column("custom_months")
        dropdown(b, ws, t.first, C_SCHED, t.last, C_SCHED, "List_Schedules", sched.title, sched.help)
        b.validate(ws, t.first, C_LAG, t.last, C_LAG, number_rule("integer", 0, MAX_LAG, lag.title or lag.header, lag.help))
        b.validate(ws, t.first, C_MONTHS, t.last, C_MONTHS, {"validate": "any", "input_title": months.title, "input_message": months.help})
        for key, col in (("schedule", C_SCHED), ("lag", C_LAG), ("months", C_MONTHS)):
            b.define(f"Rev_{key}", abs_range(CASH, t.first, col, t.last, col))
        b.define("CF_Rev_problem", abs_range(CASH, t.first, H_BAD, t.last, H_BAD))

    def _months_helpers(self, r: int, months: tuple[int, ...] | list[int]) -> None:
        """The months list as ',1,7,' and how many distinct months 1..12 it names."""
        b, s = self.b, self.s
        cell = rc(r, C_MONTHS, False, True)
        b.formula(self.ws, r, H_NORM, f'","&SUBSTITUTE(SUBSTITUTE({cell}," ",""),";",",")&","',
                  "," + ",".join(str(x) for x in months) + ",", s.calc_text)
        b.formula(self.ws, r, H_COUNT, _month_count(r, self.at.month_no), len(set(months)), s.calc_text)

    # ------------------------------------------------------------------ expense timing

    def _expense_table(self) -> list[list[float]]:
        """One row per Expenses row: payment months, the cash paid each month (evenly when none are given)."""
        b, s, ws, fb = self.b, self.s, self.ws, self.fb
        exp = fb.exp
        t = self.exp
        self._timing_head(self.at.exp, "expenses", EXP_HEADS, EXP_HELPERS)
        exps = year1_expenses(fb.p)
        payments: list[list[float]] = []
        for i in range(t.capacity):
            r = t.row(i)
            src = exp.row(i)
            x = exps[i] if i < len(exps) else None

            def ref(key: str) -> str:
                return abs_cell(exp.sheet, src, exp.col(key)).replace("$", "")

            A = lambda col: rc(r, col, False, True)  # noqa: E731
            cash = 0.0 if x is None or x.in_kind else x.amount
            pay = [v if x and not x.in_kind else 0.0 for v in (expense_outflows(x) if x else [0.0] * MONTHS)]
            payments.append(pay)
            b.formula(ws, r, C_LABEL, f'IF({ref("name")}="","",{ref("name")})', x.name if x else "", s.calc_wrap)
            b.formula(ws, r, C_AMOUNT, f'IF({ref("in_kind")}=Flag_Yes,0,IF(ISNUMBER({ref("amount")}),{ref("amount")},0))', cash, s.calc_money)
            b.text(ws, r, C_SCHED, months_text(x.payment_months) if x else None, self.in_months)
            b.blank(ws, r, C_LAG, None)
            b.blank(ws, r, C_MONTHS, None)
            b.formula(ws, r, H_KIND, f'IF({ref("category")}="","",{ref("category")})',
                      fb.lists.label("Categories", x.category) if x else "", s.calc_text)
            cell = rc(r, C_SCHED, False, True)
            listed = tuple(x.payment_months or ()) if x else ()
            b.formula(ws, r, H_NORM, f'","&SUBSTITUTE(SUBSTITUTE({cell}," ",""),";",",")&","', "," + ",".join(map(str, listed)) + ",", s.calc_text)
            b.formula(ws, r, H_COUNT, _month_count(r, self.at.month_no), len(set(listed)), s.calc_text)
            b.formula(ws, r, H_BAD, f'IF(AND({cell}<>"",{A(H_COUNT)}=0),1,0)', 0, s.calc_text)
            evenly = self.w.word("evenly")
            use = "" if x is None else (evenly if not listed else self.w.word("in_months", n=len(set(listed))))
            b.formula(ws, r, C_USE, f'IF({A(C_LABEL)}="","",IF({A(H_COUNT)}=0,"{evenly}",{self._words_formula("in_months", "n", A(H_COUNT))}))',
                      use, s.calc_wrap)
            fit_row(ws, r, [(x.name if x else "", WIDTHS[C_LABEL]), (use, WIDTHS[C_USE])])
            for k, text in enumerate(_expense_months(r, self.at.month_no)):
                b.formula(ws, r, C_M1 + k, text, pay[k], s.calc_money)
        paid = self.w.column("payment_months")
        b.validate(ws, t.first, C_SCHED, t.last, C_SCHED, {"validate": "any", "input_title": paid.title, "input_message": paid.help})
        b.define("Exp_payment_months", abs_range(CASH, t.first, C_SCHED, t.last, C_SCHED))
        b.define("CF_Exp_problem", abs_range(CASH, t.first, H_BAD, t.last, H_BAD))
        return payments

    # ------------------------------------------------------------------ totals, outputs, chart

    def _totals(self, arrivals: list[list[float]], payments: list[list[float]]) -> None:
        """The monthly table: money in, money out, the running position, the balanced year, then the key figures."""
        self.r = self.at.lines
        row_in = self._money_in(arrivals)
        row_out = self._money_out(payments)
        row_pos, row_tie, row_cash, row_short = self._position(row_in, row_out)
        row_run = self._balanced_year(row_in, row_out)
        self._placed("monthly table", self.r, self.at.key_top - GAP, "monthly_rows")
        self.r = self.at.key_top
        self._key_figures(row_pos, row_tie, row_run, row_short)
        self._placed("key figures", self.r, self.at.key_top + KEY_FIGURE_ROWS, "KEY_FIGURE_ROWS")
        self._chart(row_cash, row_short, self.at.key_top)

    @staticmethod
    def _placed(part: str, end: int, laid_out: int, count: str) -> None:
        """The layout placed the parts below by counting rows: a writer that wrote more or fewer is a bug."""
        if end != laid_out:
            raise RuntimeError(f"Cash Flow, {part}: written up to row {end}, laid out up to row {laid_out}: update {count}")

    def _section(self, title: str) -> None:
        """A bold section label in the monthly table, at the cursor."""
        self.b.text(self.ws, self.r, C_LABEL, title, self.s.label_b)
        self.sections.append(self.r)
        self.r += 1

    def _line(self, label: str, values: list[float], formula_of: Callable[[int, int], str], style: Any = None,
              name: str | None = None, total: bool = True, after: tuple[str, float] | None = None,
              label_style: Any = None) -> int:
        """One monthly line at the cursor: label, 12 month formulas, the year total, what falls after year end."""
        b, s, ws, r = self.b, self.s, self.ws, self.r
        b.text(ws, r, C_LABEL, label, label_style or s.label)
        for k in range(1, MONTHS + 1):
            b.formula(ws, r, C_M1 + k - 1, formula_of(C_M1 + k - 1, k), values[k - 1], style or s.calc_money)
        if total:
            b.formula(ws, r, C_USE, f"SUM({rc(r, C_M1)}:{rc(r, C_AFTER - 1)})", sum(values), style or s.calc_money)
        if after is not None:
            b.formula(ws, r, C_AFTER, after[0], after[1], style or s.calc_money)
        if name:
            b.define(name, abs_range(CASH, r, C_M1, r, C_AFTER - 1))
        self.r += 1
        return r

    def _money_in(self, arrivals: list[list[float]]) -> int:
        """Expected money in by stream, summed from the revenue timing table; returns the total's row."""
        fb, c, m, revt = self.fb, self.c, self.m, self.revt
        prob = fb.p.probability()
        revs = fb.p.revenue
        self._section(self.w.heading("money_in"))
        for sid in c.stream_ids:
            vals = [sum(arrivals[i][k] for i, x in enumerate(revs) if x.stream == sid) for k in range(MONTHS)]
            later = sum(source_inflows(x.amount(1) * prob[x.confidence], timing_of(x, c))[1] for x in revs if x.stream == sid)
            crit = fb.lists.cell("Streams", sid)
            self._line(self.w.word("indent", name=fb.lists.label("Streams", sid)), vals,
                       _sumif_by(revt, crit),
                       after=(f"SUMIF({_col_range(revt, H_KIND)},{crit},{_col_range(revt, C_AFTER)})", later))
        row_in = self._line(self.w.line("total_in").label, m["FC_CF_In"], lambda col, k: f"SUM({_rel(revt, col)})",
                            self.s.out_money, "FC_CF_In", after=(f"SUM({_col_range(revt, C_AFTER)})", m["FC_CF_Receivable"]),
                            label_style=self.s.label_b)
        self.b.define_cell("FC_CF_Receivable", CASH, row_in, C_AFTER)
        return row_in

    def _money_out(self, payments: list[list[float]]) -> int:
        """Cash going out: staff and unfunded costs evenly, expenses by category from the timing table."""
        fb, c, m, expt = self.fb, self.c, self.m, self.exp
        self._section(self.w.heading("money_out"))
        b_rate = fb.p.assumptions.benefits_rate
        cash_staff = sum(staff_cost(x, b_rate) for x in year1_staff(fb.p) if not x.in_kind)
        unfunded = sum(u.amount for u in fb.p.full_cost.unfunded)
        row_staff = self._line(self.w.line("staff").label, [cash_staff / MONTHS] * MONTHS,
                               lambda col, k: "(FC_Personnel-SUMIF(Staff_in_kind,Flag_Yes,Staff_cost))/12")
        row_unf = self._line(self.w.line("unfunded").label, [unfunded / MONTHS] * MONTHS, lambda col, k: "FC_Unfunded/12")
        exps = year1_expenses(fb.p)
        for cid in c.category_ids:
            vals = [sum(payments[i][k] for i, x in enumerate(exps) if x.category == cid) for k in range(MONTHS)]
            crit = fb.lists.cell("Categories", cid)
            self._line(self.w.word("indent", name=fb.lists.label("Categories", cid)), vals,
                       _sumif_by(expt, crit))
        return self._line(self.w.line("total_out").label, m["FC_CF_Out"],
                          lambda col, k: f"{rc(row_staff, col, True)}+{rc(row_unf, col, True)}+SUM({_rel(expt, col)})",
                          self.s.out_money, "FC_CF_Out", label_style=self.s.label_b)

    def _position(self, row_in: int, row_out: int) -> tuple[int, int, int, int]:
        """Net, running position and the tie helper, then cash on hand, the months below zero and their
        words; returns the rows of the position, the tie helper, cash on hand and the months below zero."""
        s, m = self.s, self.m
        row_net = self._line(self.w.line("net").label, m["FC_CF_Net"],
                             lambda col, k: f"{rc(row_in, col, True)}-{rc(row_out, col, True)}", s.calc_money0, "FC_CF_Net")
        row_pos = self._line(self.w.line("position").label, m["FC_CF_Position"],
                             lambda col, k: f"SUM({rc(row_net, C_M1, True, True)}:{rc(row_net, col, True)})", s.out_money,
                             "FC_CF_Position", total=False, label_style=s.label_b)
        # the first month whose position is within half a cent of the lowest: a helper row of 1s and 0s
        row_tie = self._line(self.w.line("tie").label,
                             [1.0 if v <= m["FC_CF_Lowest"] + TIE else 0.0 for v in m["FC_CF_Position"]],
                             lambda col, k: f"IF({rc(row_pos, col, True)}<=FC_CF_Lowest+CF_Tie,1,0)", self.calc_int, total=False)
        self.ws.set_row(row_tie, None, None, {"hidden": True})  # arithmetic for the lowest month, not a reader's figure
        # SPEC 6.1: cash on hand from the working capital held today; a month below zero shows its amount and a word
        cash = m["FC_CF_Cash"]
        row_cash = self._line(self.w.line("cash").label, cash,
                              lambda col, k: f"FC_CF_Opening+{rc(row_pos, col, True)}", s.out_money, "FC_CF_Cash", total=False,
                              label_style=s.label_b)
        row_short = self._line(self.w.line("short_amount").label, [v if v < -TIE else 0.0 for v in cash],
                               lambda col, k: f"IF({rc(row_cash, col, True)}<-CF_Tie,{rc(row_cash, col, True)},0)", s.calc_money,
                               total=False)
        short = self.w.word("short")
        self._words_line(self.w.line("short_words").label, [short if v < -TIE else "" for v in cash],
                         lambda col: f'IF({rc(row_cash, col, True)}<-CF_Tie,"{quoted(short)}","")')
        return row_pos, row_tie, row_cash, row_short

    def _words_line(self, label: str, values: list[str], formula_of: Callable[[int], str]) -> int:
        """A monthly line of words at the cursor (a month's finding said in a word, not only by colour)."""
        b, s, ws, r = self.b, self.s, self.ws, self.r
        b.text(ws, r, C_LABEL, label, s.label)
        for k in range(1, MONTHS + 1):
            b.formula(ws, r, C_M1 + k - 1, formula_of(C_M1 + k - 1), values[k - 1], self.short_word)
        self.r += 1
        return r

    def _balanced_year(self, row_in: int, row_out: int) -> int:
        """Money in scaled to the cash spending: what timing alone needs; returns the running row."""
        m = self.m
        o, rv = m["FC_CashOpex"], m["FC_ExpectedRevenue"]
        scaled = [o / MONTHS] * MONTHS if rv == 0 else [i * o / rv for i in m["FC_CF_In"]]
        self.r += GAP
        self._section(self.w.heading("balanced"))
        row_sc = self._line(self.w.line("scaled").label, scaled,
                            lambda col, k: f"IF(FC_ExpectedRevenue=0,FC_CashOpex/12,{rc(row_in, col, True)}*FC_CashOpex/FC_ExpectedRevenue)")
        bal, run = 0.0, []
        for x, y in zip(scaled, m["FC_CF_Out"]):
            bal += x - y
            run.append(bal)
        return self._line(self.w.line("balanced_run").label, run,
                          lambda col, k: f"SUM({rc(row_sc, C_M1, True, True)}:{rc(row_sc, col, True)})"
                                         f"-SUM({rc(row_out, C_M1, True, True)}:{rc(row_out, col, True)})",
                          total=False)

    def _key_figures(self, row_pos: int, row_tie: int, row_run: int, row_short: int) -> None:
        """The key figures, left of the chart, each a formula over the monthly rows."""
        b, s, ws, m, fb = self.b, self.s, self.ws, self.m, self.fb
        b.text(ws, self.r, C_LABEL, self.w.heading("key_figures"), s.h)
        for col in range(C_AMOUNT, C_USE + 1):
            b.blank(ws, self.r, col, s.h)
        self.r += 1
        start = None if fb.blank else fb.p.organization.fiscal_year_start
        figures = [
            ("year_result", "CF_YearResult", f"INDEX(FC_CF_Position,1,{MONTHS})", m["FC_CF_Position"][-1], s.out_money),
            ("opening", "FC_CF_Opening", "IF(ISNUMBER(In_WCCurrent),In_WCCurrent,0)", m["FC_CF_Opening"], s.calc_money0),
            ("short_months", "FC_CF_ShortMonths", f'COUNTIF({_row_range(row_short)},"<0")', m["FC_CF_ShortMonths"], self.calc_int),
            ("first_short", "FC_CF_FirstShortMonth",
             # the words row is the one under the months below zero (_position)
             f'IF(FC_CF_ShortMonths=0,0,MATCH("{quoted(self.w.word("short"))}",{_row_range(row_short + 1)},0))',
             m["FC_CF_FirstShortMonth"], self.calc_int),
            ("lowest", "FC_CF_Lowest", f"MIN({_row_range(row_pos)})", m["FC_CF_Lowest"], s.out_money),
            ("lowest_month", "FC_CF_LowestMonth", f"MATCH(1,{_row_range(row_tie)},0)",
             m["FC_CF_LowestMonth"], self.calc_int),
            ("receivable", None, "FC_CF_Receivable", m["FC_CF_Receivable"], s.calc_money0),
            ("timing_need", "FC_CF_TimingNeed", f"MAX(0,-MIN({_row_range(row_run)}))",
             m["FC_CF_TimingNeed"], s.out_money),
            ("months_equivalent", "FC_CF_MonthsEquivalent",
             "IF(FC_CashOpex=0,0,FC_CF_TimingNeed/(FC_CashOpex/12))", m["FC_CF_MonthsEquivalent"], s.out_dec),
            ("months_assumed", None, "In_WCMonths", fb.p.full_cost.working_capital.months, s.calc_dec0),
            ("wc_add", None, "FC_WorkingCapital", m["FC_WorkingCapital"], s.out_money),
        ]
        # a month is shown by its label (or "None"): its number (1..12, 0 for none), the SPEC 6.1 name that
        # readback and the add-in read, sits in a hidden helper row under it
        first, lowest = int(m["FC_CF_FirstShortMonth"]), int(m["FC_CF_LowestMonth"])
        none, alike = self.w.word("no_month"), self.w.word("every_month")
        # a year whose running position is the same every month (a workbook not filled in yet) has no
        # lowest month to name: MATCH would name the first, which reads as a finding
        flat = all(v <= m["FC_CF_Lowest"] + TIE for v in m["FC_CF_Position"])   # the tie row's test (_position)
        in_words = {
            "FC_CF_FirstShortMonth": (f'IF(FC_CF_FirstShortMonth=0,"{quoted(none)}",INDEX(CF_Months,1,FC_CF_FirstShortMonth))',
                                      month_label(start, first) if first else none),
            "FC_CF_LowestMonth": (f'IF(COUNTIF({_row_range(row_tie)},1)={MONTHS},"{quoted(alike)}",INDEX(CF_Months,1,FC_CF_LowestMonth))',
                                  alike if flat else month_label(start, lowest)),
        }
        for key, name, formula, value, style in figures:
            b.text(ws, self.r, C_LABEL, self.w.line(key).label, s.label)
            if name in in_words:
                b.formula(ws, self.r, C_USE, *in_words[name], self.calc_word)
                self.r += 1
                b.text(ws, self.r, C_LABEL, self.w.line(f"{key}_number").label, s.label)
                ws.set_row(self.r, None, None, {"hidden": True})  # the number behind the words, not a reader's figure
            b.formula(ws, self.r, C_USE, formula, value, style)
            if name:
                b.define_cell(name, CASH, self.r, C_USE)
            self.r += 1

    def _chart(self, row_cash: int, row_short: int, top: int) -> None:
        """Cash on hand as a line, every month below zero also a hatched column with its amount (more than
        colour), beside the key figures and inside the print area. The title says when the chart waits for data."""
        b, wb, ws, fb = self.b, self.b.wb, self.ws, self.fb
        cats = [CASH, self.at.head, C_M1, self.at.head, C_AFTER - 1]
        bars = wb.add_chart({"type": "column"})
        # no outline: a month at or above zero is a column of height 0, whose outline LibreOffice draws as a dash
        bars.add_series({"name": self.w.word("chart_short"), "categories": cats, "values": [CASH, row_short, C_M1, row_short, C_AFTER - 1],
                         "pattern": {"pattern": "dark_upward_diagonal", "fg_color": PALETTE[1], "bg_color": "#FFFFFF"},
                         "border": {"none": True}, "gap": 150,
                         "data_labels": {"value": True, "num_format": '$#,##0;-$#,##0;;', "position": "outside_end"}})
        line = wb.add_chart({"type": "line"})
        line.add_series({"name": self.w.word("chart_cash"), "categories": cats, "values": [CASH, row_cash, C_M1, row_cash, C_AFTER - 1],
                         "line": {"color": PALETTE[0], "width": 2.25}, "marker": {"type": "circle", "size": 5,
                         "fill": {"color": PALETTE[0]}, "border": {"color": PALETTE[0]}}})
        bars.combine(line)
        # the title is a cell: the chart's own words, or that it waits for data while the workbook is not filled in
        title, waiting = self.w.word("chart_title"), self.w.word("chart_waiting")
        b.formula(ws, top, C_HELP, f'IF(FC_Complete,"{quoted(title)}","{quoted(waiting)}")',
                  title if self.m["FC_Complete"] else waiting, self.helper_h)
        b.define_cell("CF_ChartTitle", CASH, top, C_HELP)
        bars.set_title({"name": [CASH, top, C_HELP], "name_font": {"size": 11}})
        bars.set_y_axis({"num_format": AXIS_MONEY, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        bars.set_x_axis({"label_position": "low"})
        bars.set_legend({"position": "bottom"})
        bars.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
        ws.insert_chart(top, C_M1, bars, {"x_offset": CHART_X_OFFSET, "y_offset": CHART_Y_OFFSET, "description": self.w.word("chart_alt")})
