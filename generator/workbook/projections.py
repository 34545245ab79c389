"""The Scenario Projections Tool (SPEC section 4) as a formula-driven .xlsx.

Inputs go on Organization, Assumptions (horizon, rates and the scenario table, one
column per scenario), Revenue, Staffing Plan, Expenses and One-time Items. Calculations
holds one block per scenario (one formula shape per row across the year columns), and
every SPEC output is a 1 x N row there under its defined name, with the model's values
cached. Below the blocks, one table gives every revenue source's factor in each scenario
(realization of its confidence level x multiplier of its stream); a block's revenue lines
multiply a year's column of Rev_Amounts by its scenario's factor column inside SUMPRODUCT,
so no per-source, per-year, per-scenario cells are needed. Scenario View shows one scenario
picked from a dropdown; Compare puts every scenario side by side and answers "in which
scenario and which year do we run out of cash?".
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, replace
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Callable

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..content import Content, SheetWords, load_content
from ..recorded import is_part, record
from ..kinds import PROJECTIONS, Capacity, slugify
from ..model.projections import (
    NONE_LABEL, NOT_APPLICABLE, ScenarioResult, compute_projections, fy_labels, multiplier, project_scenario, realization,
    salary_growth, scenario_names_ok,
)
from ..schema import Partnership, Scenario
from .common import (
    BANNER_ROW, BODY_TOP, GROUP_LABEL_ROWS, NOTE_ROW, OUTPUT_TOP, TITLE_ROW, CHECKS, GUIDE, LISTS, META, NO, START, YES, Check, fit_row, text_lines, as_percent, Form, Lists, Status, identity, master_banner,
    MIN_SCALE, PAGE_UNITS, column_breaks, group_label, keep_headings_with_rows, number_rule, print_setup, protect, wrap_across, write_checks, write_guide, write_lists, write_metadata,
    document_properties, write_table, write_organization, write_start_page, quoted, sheet_title,
)
from . import inputs
from .inputs import (
    ASSUME, ORG, Col, InputSheet, Rate, basic_checks, column, columns, dropdowns, flag_share_totals, rate_values, source_note, staff_columns, write_input_sheet,
    write_rates,
)
from .font_widths import CELL_PADDING, column_pixels, text_pixels
from .layout import GAP, Book, Column, Table, WorkbookBuildError, abs_range, col_letter
from .styles import AXIS_MONEY, MONEY, series_fill, series_line

TEMPLATE_ID = PROJECTIONS.template_id
TEMPLATE_VERSION = PROJECTIONS.version
ONE_TIME_CAPACITY = 20
SPARE_ROWS = 10
#: Rows that fit on a landscape page at full scale, with room to spare (for page breaks).
ROWS_PER_PAGE = 30
#: Column-width units across a landscape A4 page at full scale, as LibreOffice lays it out.
PAGE_WIDTH = 130
#: Points down a landscape A4 page inside the margins, header and footer.
PAGE_HEIGHT = 470
#: Pixels across and down a landscape A4 page inside the margins, header and footer, at full scale.
CHART_PAGE = (1025, 620)

REV, STAFF, EXP, ONE, CALC, VIEW, CMP = (
    "Revenue", "Staffing Plan", "Expenses", "One-time Items",
    "Calculations", "Scenario View", "Compare",
)
SHEETS = [START, ORG, ASSUME, REV, STAFF, EXP, ONE, CALC, VIEW, CMP, GUIDE, CHECKS, LISTS, META]

#: Per-scenario output rows: (suffix, kind) in the order they appear in a block (labels: calculations.lines).
#: kind: money / key (key money) / pct / dec.
ROWS: list[tuple[str, str]] = [
    ("Revenue", "key"),
    ("Personnel", "money"),
    ("NonPersonnel", "money"),
    ("OneTime", "money"),
    ("Expenses", "key"),
    ("Surplus", "key"),
    ("EndCash", "key"),
    ("MonthsCash", "dec"),
    ("ReserveTarget", "money"),
    ("ReserveGap", "money"),
    ("FTE", "dec"),
    ("TopSourceShare", "pct"),
    ("TopStreamShare", "pct"),
    ("RestrictedShare", "pct"),
]

#: Metrics on Compare: (suffix, kind); titles: compare.lines.
COMPARE: list[tuple[str, str]] = [
    ("Revenue", "money"),
    ("Expenses", "money"),
    ("Surplus", "money"),
    ("EndCash", "money"),
    ("MonthsCash", "dec"),
    ("ReserveGap", "money"),
    ("FTE", "dec"),
]

#: Cash and rates on Assumptions: (key, defined name, style, rule minimum, rule maximum).
#: The input tables' header row: group labels (scenario names, years, shares) go over it; on
#: One-time Items a ready-made example under the note takes PRESET_ROWS more.
TABLE_TOP = BODY_TOP + GROUP_LABEL_ROWS
PRESET_ROWS = 1

#: Cash lines above the rates both workbooks share (inputs.RATES).
CASH_LINES = (
    Rate("starting_cash", "In_StartingCash", "in_signed", None, None),
    Rate("reserve_months", "In_ReserveMonths", "in_dec", 0, None),
)

#: This workbook's columns after the shared ones (inputs.py): the years each row runs, the
#: helper columns that resolve blank years, a Yes/No per scenario, and the amounts by year.
START_END = (Col("start", 8, "in_int", "year"), Col("end", 8, "in_int", "year"))
FROM_TO = (Col("from", 9, "calc_int", "calc"), Col("to", 9, "calc_int", "calc"))
REVENUE_YEAR = Col("year", 13, "in_money", "decimal", 0)   # one per projection year (words: {t})
REVENUE_TOTAL = Col("total", 14, "calc_money", "calc")
#: Assumptions: the label column, the room across a page at 70% (less a little slack) and the
#: narrowest a column of year labels gets there (FY2032 in bold, header style).
ASSUME_LABEL_WIDTH = 46.0
ASSUME_ROOM = PAGE_UNITS[True] * 100 / MIN_SCALE - 2
YEAR_MIN_WIDTH = 9.0
#: Lines a scenario's description wraps to on Assumptions where the page has room (_scenario_width).
DESC_LINES = 4
CONF_HELP = Col("help", 14, "note", "calc")   # wraps in its column: the Source or note column beside it holds words too
IN_SCENARIO = Col("inc", 11, "in_flag", "list", choices="List_YesNo")  # one per scenario, headed by its name
ONE_TIME_COLUMNS = (Col("name", 36, "in_text"), Col("year", 8, "in_int", "year"), Col("amount", 13, "in_signed", "decimal"))

#: Scenario View's table, top to bottom: (key, style); style "h" is a heading (key: scenario_view.headings),
#: key "Revenue_*" is one line per funding stream; other keys are lines (scenario_view.lines).
VIEW_LINES: list[tuple[str, str]] = [
    ("revenue", "h"),
    ("Revenue_*", "calc_money0"),
    ("Revenue", "out_money"),
    ("expenses", "h"),
    ("Personnel", "calc_money0"),
    ("NonPersonnel", "calc_money0"),
    ("OneTime", "calc_money0"),
    ("Expenses", "out_money"),
    ("result", "h"),
    ("Surplus", "out_money"),
    ("EndCash", "out_money"),
    ("MonthsCash", "calc_dec0"),
    ("ReserveTarget", "calc_money0"),
    ("ReserveGap", "calc_money0"),
    ("FTE", "calc_dec0"),
    ("risk", "h"),
    ("TopSourceShare", "calc_pct0"),
    ("TopStreamShare", "calc_pct0"),
    ("RestrictedShare", "calc_pct0"),
]

#: The Guide's leadership-transition steps and defined-name rows, in order (words: guide_reference.lines).
GUIDE_STEPS = ["repurpose", "departing", "as_usual", "successor", "one_time", "result"]
GUIDE_NAMES = ["revenue_stream", "revenue", "cash", "reserve", "fte", "risk", "runway", "checks"]
#: Indent of the lines under a sub-heading of the scenario table.
INDENT = "    "
#: Rows kept free on Compare for the two charts, between the runway table and the metric tables.
COMPARE_CHART_ROWS = 19
#: The narrowest the year columns of Scenario View and Compare get (wider where an amount needs it).
VIEW_YEAR_WIDTH, COMPARE_YEAR_WIDTH = 13.0, 14.0
#: The label column of Scenario View and of Compare.
VIEW_LABEL_WIDTH, COMPARE_LABEL_WIDTH = 46.0, 40.0


def shown_text(value: Any, kind: str) -> str:
    """The text a cell of Scenario View or Compare shows for a number, as its format writes it: money
    ($#,##0), months of cash (0.00, and 0.0 with its words when negative or under two, _months_colours),
    a decimal (0.00) or a share (0.0%); "" for what is no number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    if kind == "money":
        return f"{'-' if round(value) < 0 else ''}${abs(value):,.0f}"
    if kind == "months" and value < 2:
        return f"{value:.1f} ({'negative' if value < 0 else 'under 2'})"
    return f"{value * 100:.1f}%" if kind == "pct" else f"{value:.2f}"


def amount_width(amounts: list[tuple[Any, str]], minimum: float, most: float) -> float:
    """Width in characters of a column that shows every one of these (value, kind) on one line, with a
    digit more to spare (a number typed in later may be ten times larger) where the page has room (up to
    `most`: wider, the sheet would split over pages across), never under `minimum`: LibreOffice and
    Excel print ### for a number wider than its cell."""
    def width(scale: float) -> float:
        shown = {shown_text(v * scale, k) for v, k in amounts}   # (many amounts show alike: each text measured once)
        widest = max([text_pixels(text, bold=True) for text in shown] + [0.0])
        return math.ceil(2 * (widest + CELL_PADDING - 5) / 7) / 2

    return max(minimum, min(width(10), math.floor(2 * most) / 2), width(1))


#: Lines of a Calculations block after the per-stream revenue lines and ROWS: two helper rows and two runways.
RUNWAY_KEYS = ["ShortCash", "ShortReserve", "RunwayCash", "RunwayReserve"]


@dataclass(frozen=True)
class CalcLayout:
    """Rows and columns of Calculations, fixed before anything is written there: the scenario blocks,
    then the revenue factor table (one column per scenario), then each scenario's realized revenue by
    source and year. Every block reads the tables below it, and the Checks sheet reads the factor table.
    Its places are worked out once each (cached_property: the builders ask for them about 1,400 times a pair)."""

    years: int
    scenario_ids: tuple[str, ...]
    block_lines: int
    revenue_rows: int
    c_lab: int = 0
    c_aux: int = 1
    c_y0: int = 2
    hdr_row: int = OUTPUT_TOP
    yr_row: int = OUTPUT_TOP + 1

    @cached_property
    def c_name(self) -> int:
        """The column of the defined names, right of the year columns."""
        return self.c_y0 + self.years

    @cached_property
    def tops(self) -> list[int]:
        """Each block's heading row."""
        return [self.yr_row + 2 + k * (self.block_lines + 2) for k in range(len(self.scenario_ids))]

    @cached_property
    def fac_head(self) -> int:
        """The factor table's heading row, two rows under the last block."""
        return self.tops[-1] + self.block_lines + 2

    @cached_property
    def fac_first(self) -> int:
        """The factor table's first data row (under its heading and header)."""
        return self.fac_head + 2

    @cached_property
    def fac_col(self) -> dict[str, int]:
        """Each scenario's column of the factor table (from the first year column on)."""
        return {sid: self.c_y0 + j for j, sid in enumerate(self.scenario_ids)}

    @cached_property
    def real_head(self) -> dict[str, int]:
        """Each scenario's heading row of realized revenue, one block of revenue rows each, under the factor table."""
        cap = self.revenue_rows
        return {sid: self.fac_first + cap + 1 + j * (cap + 2) for j, sid in enumerate(self.scenario_ids)}


@dataclass(frozen=True)
class BlockRefs:
    """Cell references inside one scenario block of Calculations, for its formula templates."""

    rows: dict[str, int]
    yr_row: int

    def yr(self, c: int) -> str:
        """The year index of column c (row absolute)."""
        return f"{col_letter(c)}${self.yr_row + 1}"

    def at(self, key: str, c: int) -> str:
        """Line `key` in column c."""
        return f"{col_letter(c)}{self.rows[key] + 1}"

    def span(self, first: str, last: str, c: int) -> str:
        """Lines `first` to `last` in column c."""
        return f"{self.at(first, c)}:{self.at(last, c)}"


@dataclass(frozen=True)
class PlanCapacity:
    """Rows in each input table of this workbook (spare rows included)."""

    staff: int
    expenses: int
    revenue: int
    one_time: int


def plan_capacity(p: Partnership, capacity: Capacity | None = None, spare: int = SPARE_ROWS) -> PlanCapacity:
    """Capacities from a full_cost.Capacity (one_time read when it has one), grown to fit every item."""
    cap = capacity or Capacity()
    return PlanCapacity(
        staff=max(cap.staff, len(p.staff) + spare),
        expenses=max(cap.expenses, len(p.expenses) + spare),
        revenue=max(cap.revenue, len(p.revenue) + spare),
        one_time=max(cap.one_time, len(p.projections.one_time) + spare),
    )


def _flag(v: bool) -> str:
    """The Yes/No word of a flag, as the Lists sheet spells it."""
    return YES if v else NO


def _no_case_clash(names: Any) -> None:
    """Excel names ignore case: two names that differ only in case would break the file
    (possible only with contrived scenario ids, e.g. `a` and `a_revenue_earned`)."""
    seen: dict[str, str] = {}
    for name in names:
        key = name.lower()
        if key in seen:
            raise WorkbookBuildError(f"defined names {seen[key]!r} and {name!r} differ only in case; rename a scenario id")
        seen[key] = name


class ProjectionsBuilder:
    """Writes one Scenario Projections Tool workbook."""

    #: The inputs recorded as built (readback/merge.py); None: the partnership being built.
    #: `upgrade` sets the old workbook's record, so edits made before the upgrade stay edits.
    base: "dict[str, Any] | None" = None

    def __init__(self, p: Partnership, path: Path, content: Content | None = None, capacity: Capacity | None = None,
                 password: str | None = None, blank: bool = False, build_time: dt.datetime | None = None,
                 partnership_id: str | None = None):
        self.p = p
        self.build_time = build_time
        self.partnership_id = partnership_id
        self.content = content or load_content()
        self.cap = plan_capacity(p, capacity)
        self.password = password
        self.blank = blank
        self.n = p.years
        self.scenarios: list[Scenario] = p.scenario_list(self.content)
        self.model = compute_projections(p, self.content)
        self.results: dict[str, ScenarioResult] = {s.id: project_scenario(p, s, self.content) for s in self.scenarios}
        self.org_name = "" if blank else p.organization.name
        model_labels = fy_labels(p)
        self.labels = [f"Year {t}" for t in range(1, self.n + 1)] if blank else model_labels
        self._label_of = dict(zip(model_labels, self.labels))
        _no_case_clash(self.model)  # before any file is opened
        self.book = Book(str(path), rule_words=self.content.words("projections").sheet("input_rules"))
        self.s = self.book.styles
        self.ws = {name: self.book.sheet(name) for name in SHEETS}
        self.words = self.content.words("projections")
        self._lists: Lists | None = None
        self.checks: list[Check] = []
        self.rows: dict[tuple[str, str], int] = {}  # (scenario id, suffix) -> Calculations row
        # Assumptions: rows found by the Form cursor as it writes, read by the sheets written after it
        self.yr_first_col = 1
        self.yr_index_row = self.yr_label_row = 0
        self.scen_cols = [1 + k for k in range(len(self.scenarios))]
        self.scen_rows: dict[str, int] = {}  # scenario table line key -> row
        # the year columns of Scenario View and Compare, wide enough for every scenario's amounts (any can be picked)
        room = PAGE_UNITS[True] * 100 / MIN_SCALE - 1   # one page wide at 70%, a unit to spare
        self.view_width = amount_width(self._amounts([k for k, st in VIEW_LINES if st != "h"]), VIEW_YEAR_WIDTH,
                                       (room - VIEW_LABEL_WIDTH) / self.n)
        self.compare_width = amount_width(self._amounts([k for k, _ in COMPARE]), COMPARE_YEAR_WIDTH,
                                          (room - COMPARE_LABEL_WIDTH) / max(self.n, 5))
        self.scenario_width = self._scenario_width()  # Assumptions' scenario columns
        self.compare_scale = 0  # Compare's print scale where printing smaller saves a page, else 0 (fit to width)
        self.side_notes: list[str] = []  # Assumptions' notes right of a line, which the print area must take in
        self.table_starts: dict[int, int] = {}  # Assumptions: a table's heading row -> the row of its first line
        # the input tables, declared here so any writer may refer to them whatever the order
        self.conf = self._confidence_table()
        self.rev = self._revenue_table()
        self.staff = self._staff_table()
        self.exp = self._expense_table()
        self.ot = self._one_time_table()
        self.calc = CalcLayout(self.n, tuple(sc.id for sc in self.scenarios),
                               len(self.content.stream_ids) + len(ROWS) + len(RUNWAY_KEYS), self.cap.revenue)

    @property
    def lists(self) -> Lists:
        """The Lists sheet's lists (written first by build)."""
        if self._lists is None:
            raise WorkbookBuildError("the Lists sheet is written first")
        return self._lists

    # ------------------------------------------------------------------ entry point

    def build(self) -> dict[str, str]:
        """Write every sheet and close the file; returns the defined names."""
        self._lists = write_lists(self.book, self.content, self.words, self.ws[LISTS])
        self.book.define("Flag_Yes", self.lists.cell("YesNo", "yes"))
        self.book.define("Flag_No", self.lists.cell("YesNo", "no"))
        self._organization()
        self._assumptions()
        self._revenue()
        self._staffing()
        self._expenses()
        self._one_time()
        self._checks()
        self._calculations()
        self._view()
        self._compare()
        self._guide()
        self._start_here()
        meta = self.metadata()
        write_metadata(self.book, self.ws[META], meta)
        _no_case_clash(self.book.names)
        for ws in self.ws.values():
            protect(ws, self.password)
        self.book.close(document_properties(self.words, self.org_name), {f"pbp_{k}": v for k, v in meta.items() if not is_part(k)})
        return self.book.names

    def metadata(self) -> dict[str, str]:
        """Identity, integrity (formula fingerprint), shape and table capacities (written after the last formula)."""
        extra = {f"capacity_{k}": str(v) for k, v in asdict(self.cap).items()}
        extra.update({"years": str(self.n), "scenario_ids": ",".join(s.id for s in self.scenarios)})
        extra.update(record(self.base or self.p.to_data()))
        return identity(self.book, TEMPLATE_ID, TEMPLATE_VERSION, "" if self.blank else (self.partnership_id or slugify(self.p.organization.name)),
                        self.build_time, extra)

    # ------------------------------------------------------------------ small helpers

    def _amounts(self, keys: list[str]) -> list[tuple[Any, str]]:
        """Every scenario's values of these lines (Revenue_* a line per stream) with their kinds (shown_text)."""
        kinds = {**dict(ROWS), "MonthsCash": "months"}
        out: list[tuple[Any, str]] = []
        for res in self.results.values():
            for key in keys:
                if key == "Revenue_*":
                    out += [(v, "money") for vals in res.revenue_by_stream.values() for v in vals]
                else:
                    kind = {"key": "money"}.get(kinds[key], kinds[key])
                    out += [(v, kind) for v in res.rows[key]]
        return out

    def _scenario_columns(self) -> list[Column]:
        """A Yes/No column per scenario, headed by the scenario's live name (see _scenario_headers)."""
        return [Column(f"inc_{sc.id}", sc.name, IN_SCENARIO.width, IN_SCENARIO.style) for sc in self.scenarios]

    def _scenario_dropdowns(self) -> list[tuple[str, str, str]]:
        """The per-scenario Yes/No columns' dropdowns, worded once by `inc`."""
        return [(IN_SCENARIO.key, IN_SCENARIO.choices, f"inc_{sc.id}") for sc in self.scenarios]

    def _all_checks_pass(self) -> bool:
        """What the master check reads (the cached value of SP_Checks_OK and of every banner)."""
        return all(c.value for c in self.checks)

    @property
    def status(self) -> Status:
        """The master status every output sheet shows (three states, SPEC 5)."""
        return Status("SP_Checks_OK", "SP_Complete", self._all_checks_pass(), bool(self.model["SP_Complete"]),
                      STAFF, EXP, self.words.sheet("status"))

    def _style(self, kind: str) -> Any:
        """The cell style of a Calculations line kind (money / key / pct / dec)."""
        s = self.s
        return {"money": s.calc_money0, "key": s.out_money, "pct": s.calc_pct0, "dec": s.calc_dec0}[kind]

    def _year_cols(self, first_col: int) -> list[int]:
        """The year columns from `first_col`: one per projection year."""
        return [first_col + t for t in range(self.n)]

    def _label_formula(self, sheet: str, row: int, first_col: int, header_fmt: Any) -> None:
        """A row of fiscal-year labels linked to Yr_Label (one shape across the row)."""
        ws = self.ws[sheet]
        for t, c in enumerate(self._year_cols(first_col)):
            src = xl_rowcol_to_cell(self.yr_label_row, self.yr_first_col + t, row_abs=True)
            self.book.formula(ws, row, c, f"{quote_sheetname(ASSUME)}!{src}", self.labels[t], header_fmt)

    def _index_row(self, sheet: str, row: int, first_col: int) -> None:
        """A row of year numbers 1..N linked to Yr_Index."""
        ws = self.ws[sheet]
        for t, c in enumerate(self._year_cols(first_col)):
            src = xl_rowcol_to_cell(self.yr_index_row, self.yr_first_col + t, row_abs=True)
            self.book.formula(ws, row, c, f"{quote_sheetname(ASSUME)}!{src}", t + 1, self.s.calc_text)

    # ------------------------------------------------------------------ inputs

    def _organization(self) -> None:
        """Organization (the shared writer); its fiscal-year words say the start of year 1."""
        write_organization(self.book, self.ws[ORG], self.content, self.words, self.p.organization, self.blank, self.org_name)

    def _assumptions(self) -> None:
        """Assumptions, top to bottom: each part starts where the Form cursor of the part above left off."""
        ws, S, n = self.ws[ASSUME], len(self.scenarios), self.n
        sheet_title(self.book, ws, self.words.sheet("assumptions"))
        f = Form(self.book, ws, row=BODY_TOP)
        self._assumption_widths()   # first, so that wrapped cells are measured at the widths they print at
        self._horizon(f)
        self._rates(f)
        self._confidence(f)
        self._scenario_inputs(f)
        self._scenario_params(f)
        self._assumption_widths(f.row - 1)   # again: a table's own widening of a column must not stand
        ws.freeze_panes(0, 1)
        print_setup(ws, self.org_name)
        self._assumption_breaks(f)

    def _assumption_breaks(self, f: Form) -> None:
        """Each part of Assumptions on one page where a page holds it (the scenario table whole: its
        header names the columns, and a page of its rows without it would leave the reader guessing
        which column is which scenario), else its heading and header with its first lines."""
        heads = f.headings
        ends = [h - 1 for h in heads[1:]] + [f.row - 1]
        keep: dict[int, int | tuple[int, ...]] = {h: (end, self.table_starts.get(h, h + 1)) for h, end in zip(heads, ends)}
        keep_headings_with_rows(f.ws, keep, f.row - 1, landscape=True)

    def _assumption_widths(self, last_row: int | None = None) -> None:
        """Assumptions' columns: the labels, then one column per scenario (the tables above share them),
        then the year columns the scenarios leave, narrowed so that the sheet prints one page wide at
        70% or more (never split over pages across). Given the last row (the second call), the print
        area runs on past the columns as far as the side notes reach, so that no note is cut at the
        page's edge."""
        ws, S, n = self.ws[ASSUME], len(self.scenarios), self.n
        last = max(S, n, 3)
        ws.set_column(0, 0, ASSUME_LABEL_WIDTH)
        ws.set_column(1, last, 16)
        ws.set_column(1, S, self.scenario_width)  # scenario names wrap in it, never cut off
        years_only = range(max(S, 3) + 1, last + 1)   # the year rows only: FY labels and year numbers
        used = sum(ws.printed_width(c) for c in range(last + 1))
        if years_only and used > ASSUME_ROOM:
            ws.set_column(years_only[0], last, max(YEAR_MIN_WIDTH, 16 - (used - ASSUME_ROOM) / len(years_only)))
        if last_row is None:
            return
        start = column_pixels(ws.printed_width(0)) + column_pixels(ws.printed_width(1)) + column_pixels(ws.printed_width(2))
        reach = max([start + text_pixels(t, italic=True) for t in self.side_notes] + [0.0])
        pad = min((reach - sum(column_pixels(ws.printed_width(c)) for c in range(last + 1))) / 7 + 1,
                  ASSUME_ROOM - sum(ws.printed_width(c) for c in range(last + 1)))
        if pad > 1:
            ws.set_column(last + 1, last + 1, pad)
            last += 1
        ws.print_area(0, 0, last_row, last)

    def _scenario_width(self) -> float:
        """Width of a scenario's column on Assumptions: its name on one line and its description in a few
        (DESC_LINES) where the page has room, else narrower (they wrap) so that the table, and the year
        columns beyond it at their narrowest, print one page wide at 70%. (A description wrapped into a
        tall narrow row would push the scenario table off the page it needs whole.)"""
        longest = max(len(sc.name) for sc in self.scenarios)
        S = len(self.scenarios)
        room = (ASSUME_ROOM - ASSUME_LABEL_WIDTH - YEAR_MIN_WIDTH * max(0, self.n - max(S, 3))) / S
        descs = [sc.description or "" for sc in self.scenarios]
        # text_lines: wrapped_lines cached, as the same descriptions come back in every workbook of a batch
        described = next((w for w in range(16, 31) if max(text_lines(d, w) for d in descs) <= DESC_LINES), 30)
        return max(12.0, min(30.0, max(16.0, longest * 1.1 + 2, described), room))

    def _side_note(self, f: Form, row: int, text: str) -> None:
        """A note right of a line's unit, in the subtitle style (Form's own note style wraps); it runs on
        over the empty cells to its right, which the print area takes in (_assumption_widths)."""
        self.book.text(f.ws, row, f.value_col + 2, text, self.s.subtitle)
        self.side_notes.append(text)

    def _note_line(self, f: Form, text: str) -> None:
        """A note on a line of its own, not wrapped inside the label column."""
        self.book.text(f.ws, f.row, f.label_col, text, self.s.subtitle)
        f.row += 1

    def _horizon(self, f: Form) -> None:
        """The horizon: the number of years, year 1's fiscal year, and the rows of year numbers and
        fiscal-year labels (Yr_Index, Yr_Label) that every year column of the workbook links to."""
        b, s, ws, n, w = self.book, self.s, f.ws, self.n, self.words.sheet("assumptions")
        f.heading(w.heading("horizon"), gap=0)
        line = w.line("years")
        self._side_note(f, f.formula(line.label, "In_Years", "COLUMNS(Yr_Index)", n, s.calc_text, line.unit), line.note)
        first_fy = "" if self.blank else self.p.organization.first_fy
        line = w.line("first_fy")
        r = f.formula(line.label, "Yr_FirstFY",
                      'IF(In_FYStart="","",YEAR(In_FYStart)+IF(AND(MONTH(In_FYStart)=1,DAY(In_FYStart)=1),0,1))',
                      first_fy, s.calc_text, line.unit)
        self._side_note(f, r, line.note)
        cols = self._year_cols(self.yr_first_col)
        self.yr_index_row = f.row
        b.text(ws, f.row, f.label_col, w.line("year_index").label, s.label_b)
        for t, c in enumerate(cols):
            b.number(ws, f.row, c, t + 1, s.calc_text)
        b.define("Yr_Index", abs_range(ASSUME, f.row, cols[0], f.row, cols[-1]))
        f.row += 1
        self.yr_label_row = f.row
        b.text(ws, f.row, f.label_col, w.line("year_label").label, s.label_b)
        for t, c in enumerate(cols):
            idx = xl_rowcol_to_cell(self.yr_index_row, c, row_abs=True)
            b.formula(ws, f.row, c, f'IF(Yr_FirstFY="","Year "&{idx},"FY"&(Yr_FirstFY+{idx}-1))', self.labels[t], s.out_text)
        b.define("Yr_Label", abs_range(ASSUME, f.row, cols[0], f.row, cols[-1]))
        f.row += 1

    def _rates(self, f: Form) -> None:
        """Cash, then the rates both workbooks share: one validated input line each."""
        pr = self.p.projections
        values = {"starting_cash": pr.starting_cash, "reserve_months": self.p.full_cost.reserves.months, **rate_values(self.p)}
        w = self.words.sheet("assumptions")
        f.heading(w.heading("cash_rates"))
        write_rates(f, w, (*CASH_LINES, *inputs.RATES), values, partial(self._side_note, f))

    def _confidence(self, f: Form) -> None:
        """The confidence table (Conf): each level's probability, placed at the cursor."""
        w = self.words.sheet("assumptions")
        f.heading(w.heading("confidence"))
        self._note_line(f, w.note_text("confidence"))
        self.conf = replace(self.conf, top=f.row)
        self.table_starts[f.headings[-1]] = self.conf.first
        prob = self.p.probability()
        notes = self.p.assumptions.confidence_notes or {}
        write_table(self.book, f.ws, self.conf,
                    [{"level": lv.label, "prob": prob[lv.id], "help": lv.text("help"), "note": notes.get(lv.id)} for lv in self.content.levels])
        f.row = self.conf.last + 1

    def _confidence_table(self) -> Table:
        """The confidence table's columns (its row is the Form cursor's when it is written)."""
        w = self.words.sheet("assumptions")
        return Table(ASSUME, "Conf", 0, 0, columns(w, (*inputs.CONFIDENCE_COLUMNS, CONF_HELP)) + [source_note(self.words)],
                     len(self.content.levels))

    def _scenario_range(self, row: int) -> str:
        """A row of the scenario table across the scenario columns."""
        return abs_range(ASSUME, row, self.scen_cols[0], row, self.scen_cols[-1])

    def _scenario_row(self, f: Form, key: str, label: str, values: list[Any], style: Any,
                      rule: dict[str, Any] | None, name: str, label_style: Any = None) -> int:
        """One input line of the scenario table: a cell per scenario, each its own defined name
        (`name` with {sid} for the scenario id); the row is remembered under `key` for the checks."""
        b, ws, r = self.book, f.ws, f.row
        b.text(ws, r, f.label_col, label, label_style or self.s.label)
        for sc, c, v in zip(self.scenarios, self.scen_cols, values):
            if isinstance(v, str) or v is None:
                b.text(ws, r, c, v, style)
            else:
                b.number(ws, r, c, v, style)
            b.define_cell(name.format(sid=sc.id), ASSUME, r, c)
        if rule:
            b.validate(ws, r, self.scen_cols[0], r, self.scen_cols[-1], (as_percent(rule) if style is self.s.in_pct else rule) or {})
        self.scen_rows[key] = r
        f.row += 1
        return r

    def _sub(self, f: Form, label: str) -> None:
        """A bold sub-heading line inside the scenario table."""
        self.book.text(f.ws, f.row, f.label_col, label, self.s.label_b)
        f.row += 1

    def _scenario_inputs(self, f: Form) -> None:
        """The scenario table: one column per scenario, so changing a scenario is editing its column."""
        b, s, ws, w = self.book, self.s, f.ws, self.words.sheet("assumptions")
        f.heading(w.heading("scenarios"))
        self._note_line(f, w.note_text("scenarios"))
        self._note_line(f, w.note_text("scenario_count"))
        b.text(ws, f.row, f.label_col, w.line("scenario").label, s.th)
        for k, c in enumerate(self.scen_cols):
            b.text(ws, f.row, c, w.word("scenario_n", k=k + 1), s.th)
        f.row += 1
        self._scenario_names(f)
        self.table_starts[f.headings[-1]] = self.scen_rows["desc"]   # the names and descriptions: which column is which
        self._scenario_shares(f)

    def _scenario_names(self, f: Form) -> None:
        """Id (hidden: the defined names are built on it), name and description of each scenario."""
        b, s, ws, w = self.book, self.s, f.ws, self.words.sheet("assumptions")
        r = self._scenario_row(f, "id", w.line("id").label, [sc.id for sc in self.scenarios], s.calc_text, None, "Scen_{sid}_Id")
        b.define("Scen_Ids", self._scenario_range(r))
        ws.set_row(r, None, None, {"hidden": True})  # the ids the names are built on: read back, never shown
        name = w.line("name")
        r = self._scenario_row(f, "name", name.label, [sc.name for sc in self.scenarios], s.in_wrap,
                               {"validate": "length", "criteria": "between", "minimum": 1, "maximum": 200,
                                "input_title": name.title or name.label, "input_message": name.help}, "Scen_{sid}_Name")
        fit_row(ws, r, [(sc.name, self.scenario_width) for sc in self.scenarios])
        b.define("Scen_Names", self._scenario_range(r))
        descs, desc = [sc.description for sc in self.scenarios], w.line("desc")
        r = self._scenario_row(f, "desc", desc.label, descs, s.in_wrap,
                               {"validate": "any", "input_title": desc.title or desc.label, "input_message": desc.help}, "Scen_{sid}_Desc")
        b.define("Scen_Descs", self._scenario_range(r))
        fit_row(ws, r, [(d or "", self.scenario_width) for d in descs], minimum=2)  # room for a description to come

    def _share_rule(self, key: str, low: float, high: float | None, **values: str) -> dict[str, Any]:
        """The validation of a scenario-table line, worded by its line `key` ({placeholders} from values)."""
        line = self.words.sheet("assumptions").line(key)
        return number_rule("decimal", low, high, line.title or line.label, line.help.format(**values))

    def _scenario_shares(self, f: Form) -> None:
        """Each scenario's realization shares, stream multipliers, salary growth and expense multiplier."""
        s, scs, w = self.s, self.scenarios, self.words.sheet("assumptions")
        self._sub(f, w.heading("shares"))
        for lv in self.content.levels:
            self._scenario_row(f, f"real_{lv.id}", INDENT + lv.label, [(sc.realization or {}).get(lv.id) for sc in scs], s.in_pct,
                               self._share_rule("realization", 0, 1, level=lv.label.lower()), f"Scen_{{sid}}_Real_{lv.id}")
        self._sub(f, w.heading("multipliers"))
        for st in self.content.streams:
            self._scenario_row(f, f"mult_{st.id}", INDENT + st.label, [multiplier(sc, st.id) for sc in scs], s.in_pct,
                               self._share_rule("multiplier", 0, None, stream=st.label.lower()), f"Scen_{{sid}}_Mult_{st.id}")
        self._sub(f, w.heading("costs"))
        self._scenario_row(f, "growth", INDENT + w.line("growth").label, [sc.salary_growth for sc in scs], s.in_pct,
                           self._share_rule("growth", -0.5, 1), "Scen_{sid}_SalaryGrowth")
        self._scenario_row(f, "expmult", INDENT + w.line("expmult").label, [sc.expense_multiplier for sc in scs], s.in_pct,
                           self._share_rule("expmult", 0, None), "Scen_{sid}_ExpenseMult")

    def _scenario_params(self, f: Form) -> None:
        """What each scenario uses, calculated from its inputs: a blank share falls back to its level's
        probability, a blank multiplier to 100%, a blank salary growth to the general rate."""
        b, s, ws, scs, w = self.book, self.s, f.ws, self.scenarios, self.words.sheet("assumptions")
        f.heading(w.heading("uses"))
        b.text(ws, f.row, f.label_col, w.line("scenario").label, s.th)
        for sc, c in zip(scs, self.scen_cols):
            b.formula(ws, f.row, c, f"Scen_{sc.id}_Name", sc.name, s.th)
        f.row += 1
        self.table_starts[f.headings[-1]] = f.row
        first, reals = f.row, [realization(self.p, sc) for sc in scs]
        for i, lv in enumerate(self.content.levels):
            prob = xl_rowcol_to_cell(self.conf.row(i), self.conf.col("prob"), True, True)
            self._param_row(f, w.word("par_realization", level=lv.label), f"real_{lv.id}", prob, [real[lv.id] for real in reals])
        self._param_ranges(first, f.row - 1, "Par_{sid}_Real")
        first = f.row
        for st in self.content.streams:
            self._param_row(f, w.word("par_multiplier", stream=st.label), f"mult_{st.id}", "1", [multiplier(sc, st.id) for sc in scs])
        self._param_ranges(first, f.row - 1, "Par_{sid}_Mult")
        self._param_row(f, w.line("par_growth").label, "growth", "In_SalaryGrowth", [salary_growth(self.p, sc) for sc in scs],
                        "Par_{sid}_Growth")
        self._param_row(f, w.line("par_expmult").label, "expmult", "1", [sc.expense_multiplier for sc in scs], "Par_{sid}_ExpMult")

    def _param_row(self, f: Form, label: str, key: str, default: str, values: list[Any], name: str = "") -> None:
        """One calculated line: each scenario's input on row `key`, or `default` when it is blank."""
        b, ws = self.book, f.ws
        b.text(ws, f.row, f.label_col, label, self.s.label)
        for sc, c, v in zip(self.scenarios, self.scen_cols, values):
            inp = xl_rowcol_to_cell(self.scen_rows[key], c)
            b.formula(ws, f.row, c, f'IF({inp}="",{default},{inp})', v, self.s.calc_pct0)
            if name:
                b.define_cell(name.format(sid=sc.id), ASSUME, f.row, c)
        f.row += 1

    def _param_ranges(self, first: int, last: int, name: str) -> None:
        """Each scenario's column of a group of calculated lines, under one name per scenario."""
        for sc, c in zip(self.scenarios, self.scen_cols):
            self.book.define(name.format(sid=sc.id), abs_range(ASSUME, first, c, last, c))

    def _year_header(self, ws: Worksheet, table: Table, keys: list[str]) -> None:
        """Replace the static headers of a table's year columns with live fiscal-year labels."""
        for t, key in enumerate(keys):
            src = xl_rowcol_to_cell(self.yr_label_row, self.yr_first_col + t, True, True)
            self.book.formula(ws, table.top, table.col(key), f"{quote_sheetname(ASSUME)}!{src}", self.labels[t], self.s.th)

    def _scenario_headers(self, ws: Worksheet, table: Table, prefix: str, group_label_text: str) -> None:
        """Headers of the per-scenario Yes/No columns: live scenario names, with a group label above."""
        first = table.col(f"{prefix}{self.scenarios[0].id}")
        last = table.col(f"{prefix}{self.scenarios[-1].id}")
        group_label(self.book, ws, table.top - GROUP_LABEL_ROWS, first, last, group_label_text, self.s.label_b, self.s.wrap_b)
        for sc in self.scenarios:
            self.book.formula(ws, table.top, table.col(f"{prefix}{sc.id}"), f"Scen_{sc.id}_Name", sc.name, self.s.th)

    def _revenue_table(self) -> Table:
        """The Revenue table: a source per row, an amount column per year."""
        w = self.words.sheet("revenue")
        cols = columns(w, inputs.REVENUE_COLUMNS) + [column(w, REVENUE_YEAR, f"y{t}", t=t) for t in range(1, self.n + 1)]
        return Table(REV, "Rev", TABLE_TOP, 0, cols + [column(w, REVENUE_TOTAL), source_note(self.words)], self.cap.revenue)

    def _revenue(self) -> None:
        """Revenue: the sources, their live fiscal-year headers and dropdowns; Rev_Amounts is what the blocks read."""
        b, s, ws, n, t_ = self.book, self.s, self.ws[REV], self.n, self.rev
        w = self.words.sheet("revenue")
        ykeys = [f"y{t}" for t in range(1, n + 1)]
        revs = self.p.revenue
        rows = []
        for src in revs:
            row: dict[str, Any] = {"name": src.name, "stream": self.lists.label("Streams", src.stream),
                                   "confidence": self.lists.label("Levels", src.confidence), "restricted": _flag(src.restricted),
                                   "note": src.note}
            for t in range(1, min(n, len(src.amounts)) + 1):
                row[f"y{t}"] = src.amounts[t - 1]
            rows.append(row)
        first, last = t_.col(ykeys[0]), t_.col(ykeys[-1])
        write_input_sheet(b, ws, w, InputSheet(t_, dropdowns(inputs.REVENUE_COLUMNS), 30), rows, self.org_name, live_headers=ykeys, formulas={
            "total": (lambda i: f"SUM({xl_rowcol_to_cell(t_.row(i), first)}:{xl_rowcol_to_cell(t_.row(i), last)})",
                      lambda i, d: sum(revs[i].amount(t) for t in range(1, n + 1)) if i < len(revs) else 0.0, s.calc_money),
        })
        self._year_header(ws, t_, ykeys)
        group_label(b, ws, t_.top - GROUP_LABEL_ROWS, first, last, w.heading("years"), s.label_b, s.wrap_b)
        b.define("Rev_Amounts", abs_range(REV, t_.first, first, t_.last, last))

    def _span_formulas(self, t: Table, used: str, items: list[Any]) -> dict[str, Any]:
        """'From year' / 'to year' helper columns: blank start = 1, blank end = the last year; 0 for an unused row
        (`used` is the column that makes a row count: FTE for positions, amount for expenses)."""
        s = self.s

        def used_value(i: int) -> bool:
            return i < len(items) and getattr(items[i], used) != 0

        return {
            "from": (lambda i: f'IF(IF(ISNUMBER({t.cell(i, used)}),{t.cell(i, used)},0)=0,0,'
                               f'IF({t.cell(i, "start")}="",1,IF(ISNUMBER({t.cell(i, "start")}),{t.cell(i, "start")},0)))',
                     lambda i, d: items[i].start_year if used_value(i) else 0, s.calc_int),
            "to": (lambda i: f'IF(IF(ISNUMBER({t.cell(i, used)}),{t.cell(i, used)},0)=0,0,'
                             f'IF({t.cell(i, "end")}="",In_Years,IF(ISNUMBER({t.cell(i, "end")}),{t.cell(i, "end")},0)))',
                   lambda i, d: (items[i].end_year or self.n) if used_value(i) else 0, s.calc_int),
        }

    def _year_rule(self, title: str, message: str) -> dict[str, Any]:
        """A projection year from 1 to In_Years (the error words are shared by every input table)."""
        w = self.words.sheet("input_tables")
        return {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": "=In_Years",
                "input_title": title, "input_message": message, "error_title": w.word("year_error_title"),
                "error_message": w.word("year_error")}

    def _staff_table(self) -> Table:
        """The Staffing Plan table: a position per row, a share column per function and a Yes/No column per scenario."""
        w = self.words.sheet("staffing")
        cols = staff_columns(w, self.content.functions) + columns(w, START_END, self._year_rule)
        cols += self._scenario_columns() + columns(w, FROM_TO)
        return Table(STAFF, "Staff", TABLE_TOP, 0, cols + [source_note(self.words)], self.cap.staff)

    def _staffing(self) -> None:
        """Staffing Plan: positions, their function shares (flagged red unless 100%) and scenario flags."""
        b, s, ws, t = self.book, self.s, self.ws[STAFF], self.staff
        fids = self.content.function_ids
        w = self.words.sheet("staffing")
        staff = self.p.staff
        rows = []
        for st in staff:
            row: dict[str, Any] = {"title": st.title, "fte": st.fte, "salary": st.salary, "in_kind": _flag(st.in_kind),
                                   "start": st.start_year, "end": st.end_year, "note": st.note}
            row.update({f"share_{f}": st.functions[f] for f in fids if f in st.functions})
            row.update({f"inc_{sc.id}": _flag(st.scenarios is None or sc.id in st.scenarios) for sc in self.scenarios})
            rows.append(row)
        share_keys = [f"share_{f}" for f in fids]
        first_share, last_share = t.col(share_keys[0]), t.col(share_keys[-1])
        formulas = {
            "share_total": (lambda i: f"SUM({xl_rowcol_to_cell(t.row(i), first_share)}:{xl_rowcol_to_cell(t.row(i), last_share)})",
                            lambda i, d: sum(staff[i].functions.values()) if i < len(staff) else 0.0, s.calc_pct),
            **self._span_formulas(t, "fte", staff),
        }
        sheet = InputSheet(t, dropdowns(inputs.STAFF_COLUMNS) + self._scenario_dropdowns(), 45, hidden=("from", "to"))
        write_input_sheet(b, ws, w, sheet, rows, self.org_name, formulas, live_headers=[f"inc_{sc.id}" for sc in self.scenarios])
        self._scenario_headers(ws, t, "inc_", w.heading("scenarios"))
        group_label(b, ws, t.top - GROUP_LABEL_ROWS, first_share, last_share, w.heading("shares"), s.label_b, s.wrap_b)
        flag_share_totals(b, ws, t)

    def _expense_table(self) -> Table:
        """The Expenses table: a non-personnel cost per row, with the years it runs."""
        w = self.words.sheet("expenses")
        return Table(EXP, "Exp", TABLE_TOP, 0, columns(w, (*inputs.EXPENSE_COLUMNS, *START_END, *FROM_TO), self._year_rule)
                     + [source_note(self.words)], self.cap.expenses)

    def _expenses(self) -> None:
        """Expenses: non-personnel costs with the years they run (from/to helper columns for the blocks)."""
        b, ws, t = self.book, self.ws[EXP], self.exp
        w = self.words.sheet("expenses")
        exps = self.p.expenses
        rows = [{"name": e.name, "category": self.lists.label("Categories", e.category), "amount": e.amount,
                 "function": self.lists.label("FunctionsShared", e.function), "in_kind": _flag(e.in_kind),
                 "start": e.start_year, "end": e.end_year, "note": e.note} for e in exps]
        write_input_sheet(b, ws, w, InputSheet(t, dropdowns(inputs.EXPENSE_COLUMNS), 30, hidden=("from", "to")), rows, self.org_name,
                          self._span_formulas(t, "amount", exps))

    def _one_time_table(self) -> Table:
        """The One-time Items table: an item per row, a Yes/No column per scenario."""
        w = self.words.sheet("one_time")
        cols = columns(w, ONE_TIME_COLUMNS, self._year_rule) + self._scenario_columns()
        return Table(ONE, "OT", TABLE_TOP + PRESET_ROWS, 0, cols + [source_note(self.words)], self.cap.one_time)

    def _one_time(self) -> None:
        """One-time Items: a ready-made item as an example, then the items with their scenario flags."""
        b, s, ws, t = self.book, self.s, self.ws[ONE], self.ot
        w = self.words.sheet("one_time")
        preset = self.content.presets[0] if self.content.presets else None
        items = self.p.projections.one_time
        rows = [{"name": o.name, "year": o.year, "amount": o.amount, "note": o.note,
                 **{f"inc_{sc.id}": _flag(o.scenarios is None or sc.id in o.scenarios) for sc in self.scenarios}} for o in items]
        write_input_sheet(b, ws, w, InputSheet(t, self._scenario_dropdowns(), 30), rows, self.org_name,
                          live_headers=[f"inc_{sc.id}" for sc in self.scenarios])
        self._scenario_headers(ws, t, "inc_", w.heading("scenarios"))
        if preset is not None:  # wrapped over the table's width, not run on past the page edge
            wrap_across(b, ws, NOTE_ROW + 1, t.left + t.width - 1, w.word(
                "preset", name=preset.text("name") or preset.label, amount_note=preset.text("typical_amount_note"),
                help=preset.text("help")), s.note)

    # ------------------------------------------------------------------ calculations

    def _calculations(self) -> None:
        """Calculations: the header rows, one block per scenario, then the factor and realized-revenue tables
        the blocks read; only the blocks print, a page each."""
        b, s, ws, n, L = self.book, self.s, self.ws[CALC], self.n, self.calc
        ws.set_column(L.c_lab, L.c_lab, 50)
        ws.set_column(L.c_aux, L.c_aux, 12)
        ws.set_column(L.c_y0, L.c_y0 + n - 1, 13)
        ws.set_column(L.c_name, L.c_name, 30)
        if max(L.fac_col.values()) > L.c_name:  # the factor table's scenario columns reach past the names
            ws.set_column(L.c_name + 1, max(L.fac_col.values()), 13)
        sheet_title(self.book, ws, self.words.sheet("calculations"), note=False)  # the note: wrap_across below
        master_banner(b, ws, BANNER_ROW, 0, self.status)
        w = self.words.sheet("calculations")
        b.text(ws, L.hdr_row, L.c_lab, w.column("year_label").header, s.th)
        b.text(ws, L.hdr_row, L.c_aux, w.column("start").header, s.th)
        self._label_formula(CALC, L.hdr_row, L.c_y0, s.th)
        b.text(ws, L.hdr_row, L.c_name, w.column("name").header, s.th)
        b.text(ws, L.yr_row, L.c_lab, w.line("year_index").label, s.label)
        self._index_row(CALC, L.yr_row, L.c_y0)
        for k, (sc, top) in enumerate(zip(self.scenarios, L.tops), start=1):
            self._block(k, sc, top)
        self._factors()
        self._realized()
        ws.freeze_panes(L.yr_row + 1, L.c_y0)
        print_setup(ws, self.org_name, repeat_rows=(L.hdr_row, L.yr_row), last_col=L.c_name - 1)
        # print the scenario blocks, a page never splitting one and holding as many whole blocks as fit
        # (balanced); the revenue factor table under them is a helper whose scenario columns would print
        # under the fiscal-year headings, so it stays on screen, and the defined names' column is for
        # formula writers, on screen only
        ws.print_area(0, 0, L.fac_head - 1, L.c_name - 1)
        wrap_across(b, ws, NOTE_ROW, L.c_name - 1, self.words.sheet("calculations").note, s.note)
        scale = max(MIN_SCALE, min(100, 100 * PAGE_WIDTH / (50 + 12 + 13 * n)))
        sizes = [b_ - a for a, b_ in zip(L.tops, [*L.tops[1:], L.fac_head])]
        sizes[0] += L.tops[0]  # the title, status and headers above the first block
        ws.set_h_pagebreaks([L.tops[i] for i in column_breaks(sizes, int(PAGE_HEIGHT * 100 / (15 * scale)) - 3)])

    def _listed_range(self) -> str:
        """The factor table's 'from the lists?' column: 1 when a revenue row's level and stream are in the lists."""
        L = self.calc
        return abs_range(CALC, L.fac_first, L.c_aux, L.fac_first + self.rev.capacity - 1, L.c_aux)

    def _realized_range(self, sid: str, c: int) -> str:
        """A scenario's realized revenue of every source in the year of column c (column relative, rows absolute)."""
        first = self.calc.real_head[sid] + 1
        return f"{col_letter(c)}${first + 1}:{col_letter(c)}${first + self.rev.capacity}"

    def _realized(self) -> None:
        """Realized revenue by source and year, one block of rows per scenario: the year's amount on Revenue
        times the source's factor. The blocks' revenue lines sum, filter and take the largest of these
        with SUMIF and MAX, which every spreadsheet program evaluates the same way."""
        b, s, ws, rev, n, L = self.book, self.s, self.ws[CALC], self.rev, self.n, self.calc
        rev_sheet, title = quote_sheetname(REV), self.words.sheet("calculations").word("realized")
        for sc in self.scenarios:
            head, res = L.real_head[sc.id], self.results[sc.id]
            b.formula(ws, head, L.c_lab, f'"{quoted(title)}"&Scen_{sc.id}_Name', title + sc.name, s.h)
            for c in range(L.c_lab + 1, L.c_y0 + n):
                b.blank(ws, head, c, s.h)
            fc, fac_first = L.fac_col[sc.id], L.fac_first
            year_cols = list(enumerate(self._year_cols(L.c_y0)))
            amount_cols = [rev.col(f"y{t + 1}") for t, _ in year_cols]
            for i in range(rev.capacity):
                r = head + 1 + i
                name = self.p.revenue[i].name if i < len(self.p.revenue) else ""
                b.formula(ws, r, L.c_lab, xl_rowcol_to_cell(fac_first + i, L.c_lab, col_abs=True), name, s.calc_text)
                factor = xl_rowcol_to_cell(fac_first + i, fc, col_abs=True)
                src_row = rev.row(i)
                for t, c in year_cols:
                    amount = f"{rev_sheet}!{xl_rowcol_to_cell(src_row, amount_cols[t])}"
                    value = res.revenue_by_source[i][t] if i < len(self.p.revenue) else 0.0
                    b.formula(ws, r, c, f"{amount}*{factor}", value, s.calc_money)
                ws.set_row(r, None, None, {"level": 1})

    def _factors(self) -> None:
        """What a scenario counts of each revenue source: the realization of its confidence level times the
        multiplier of its stream (0 for a row without a level or stream from the lists). One column per
        scenario, one row per row of the Revenue table; the blocks multiply it by the year's amounts."""
        b, s, ws, rev, L = self.book, self.s, self.ws[CALC], self.rev, self.calc
        head, first = L.fac_head, L.fac_first
        last_col = max(L.c_name, max(L.fac_col.values()))
        w = self.words.sheet("calculations")
        b.text(ws, head, L.c_lab, w.heading("factors"), s.h)
        for c in range(L.c_lab + 1, last_col + 1):
            b.blank(ws, head, c, s.h)
        b.text(ws, head + 1, L.c_lab, w.column("source").header, s.th)
        b.text(ws, head + 1, L.c_aux, w.column("listed").header, s.th)
        for sc in self.scenarios:
            b.formula(ws, head + 1, L.fac_col[sc.id], f"Scen_{sc.id}_Name", sc.name, s.th)
        srcs = self.p.revenue
        rev_sheet = quote_sheetname(REV)
        factor = {sc.id: (realization(self.p, sc), sc) for sc in self.scenarios}
        for i in range(rev.capacity):
            r = first + i
            name_cell = f"{rev_sheet}!{rev.cell(i, 'name')}"
            conf = f"{rev_sheet}!{rev.cell(i, 'confidence')}"
            strm = f"{rev_sheet}!{rev.cell(i, 'stream')}"
            have = i < len(srcs)
            b.formula(ws, r, L.c_lab, f'IF({name_cell}="","",{name_cell})', srcs[i].name if have else "", s.calc_text)
            level, stream = f"MATCH({conf},Conf_level,0)", f"MATCH({strm},List_Streams,0)"
            b.formula(ws, r, L.c_aux, f"IF(ISNA({level})+ISNA({stream}),0,1)", 1 if have else 0, s.calc_text)
            listed = xl_rowcol_to_cell(r, L.c_aux, col_abs=True)
            for sid, (r_of, sc) in factor.items():
                value = r_of[srcs[i].confidence] * multiplier(sc, srcs[i].stream) if have else 0.0
                b.formula(ws, r, L.fac_col[sid], f"IF({listed}=0,0,INDEX(Par_{sid}_Real,{level})*INDEX(Par_{sid}_Mult,{stream}))",
                          value, s.calc_dec)
            ws.set_row(r, None, None, {"level": 1})

    def _block(self, k: int, sc: Scenario, top: int) -> int:
        """One scenario's block on Calculations: a heading, the revenue of each stream, the ROWS lines
        (one formula template each) and the runway; returns its last row."""
        b, s, ws, L, sid = self.book, self.s, self.ws[CALC], self.calc, sc.id
        res, w = self.results[sid], self.words.sheet("calculations")
        keys = [f"Revenue_{st}" for st in self.content.stream_ids] + [key for key, _ in ROWS] + RUNWAY_KEYS
        ref = BlockRefs({key: top + 1 + j for j, key in enumerate(keys)}, L.yr_row)
        self.rows.update({(sid, key): r for key, r in ref.rows.items()})
        head = w.word("block", k=k)
        b.formula(ws, top, L.c_lab, f'"{quoted(head)}"&Scen_{sid}_Name', head + sc.name, s.h)
        for c in range(L.c_lab + 1, L.c_name + 1):
            b.blank(ws, top, c, s.h)
        for st in self.content.stream_ids:
            lab = self.lists.cell("Streams", st)
            self._block_line(ref, f"Revenue_{st}", w.word("stream_revenue", stream=self.lists.label("Streams", st)), s.calc_money0,
                             partial(lambda c, lab: f"SUMIF(Rev_stream,{lab},{self._realized_range(sid, c)})", lab=lab),
                             res.revenue_by_stream[st], f"SP_{sid}_Revenue_{st}")
        formulas = self._block_formulas(sid, ref)
        for key, kind in ROWS:
            self._block_line(ref, key, w.line(key).label, self._style(kind), formulas[key], res.rows[key], f"SP_{sid}_{key}")
        # opening cash in the column before year 1, so EndCash has one shape across the years
        b.formula(ws, ref.rows["EndCash"], L.c_aux, "In_StartingCash", self.p.projections.starting_cash, s.calc_money0)
        self._block_runway(sid, ref)
        return ref.rows["RunwayReserve"]

    def _block_line(self, ref: BlockRefs, key: str, label: str, style: Any, formula: Callable[[int], str],
                    values: list[Any], name: str | None) -> None:
        """One line of a block: one formula shape across the year columns, under its defined name."""
        b, s, ws, L, r = self.book, self.s, self.ws[CALC], self.calc, ref.rows[key]
        b.text(ws, r, L.c_lab, label, s.label_b if style is s.out_money else s.label)
        for t, c in enumerate(self._year_cols(L.c_y0)):
            b.formula(ws, r, c, formula(c), values[t], style)
        if name:
            b.define(name, abs_range(CALC, r, L.c_y0, r, L.c_y0 + self.n - 1))
            b.text(ws, r, L.c_name, name, s.subtitle)

    def _block_formulas(self, sid: str, ref: BlockRefs) -> dict[str, Callable[[int], str]]:
        """The formula template of each ROWS line of a block, by the column it is written in."""
        at, yr = ref.at, ref.yr
        first_st, last_st = f"Revenue_{self.content.stream_ids[0]}", f"Revenue_{self.content.stream_ids[-1]}"
        g, e = f"Par_{sid}_Growth", f"Par_{sid}_ExpMult"

        def real(c: int) -> str:  # realized revenue of the year: the year's column of the realized-revenue rows
            return self._realized_range(sid, c)

        def staff_mask(c: int) -> str:
            return f"(Staff_in_kind<>Flag_Yes)*(Staff_from<={yr(c)})*(Staff_to>={yr(c)})*(Staff_inc_{sid}<>Flag_No)"

        return {
            "Revenue": lambda c: f"SUM({ref.span(first_st, last_st, c)})",
            "Personnel": lambda c: f"SUMPRODUCT(Staff_fte,Staff_salary,{staff_mask(c)})*(1+{g})^({yr(c)}-1)*(1+In_BenefitsRate)",
            "NonPersonnel": lambda c: (f"SUMPRODUCT(Exp_amount,(Exp_in_kind<>Flag_Yes)*(Exp_from<={yr(c)})*(Exp_to>={yr(c)}))"
                                       f"*(1+In_ExpenseInflation)^({yr(c)}-1)*{e}"),
            "OneTime": lambda c: f"SUMPRODUCT(OT_amount,(OT_year={yr(c)})*(OT_inc_{sid}<>Flag_No))",
            "Expenses": lambda c: f"{at('Personnel', c)}+{at('NonPersonnel', c)}+{at('OneTime', c)}",
            "Surplus": lambda c: f"{at('Revenue', c)}-{at('Expenses', c)}",
            "EndCash": lambda c: f"{at('EndCash', c - 1)}+{at('Surplus', c)}",
            "MonthsCash": lambda c: f'IF({at("Expenses", c)}=0,"",{at("EndCash", c)}/({at("Expenses", c)}/12))',
            "ReserveTarget": lambda c: f"In_ReserveMonths*{at('Expenses', c)}/12",
            "ReserveGap": lambda c: f"MAX(0,{at('ReserveTarget', c)}-{at('EndCash', c)})",
            "FTE": lambda c: f"SUMPRODUCT(Staff_fte,{staff_mask(c)})",
            "TopSourceShare": lambda c: f"IF({at('Revenue', c)}=0,0,MAX({real(c)})/{at('Revenue', c)})",
            "TopStreamShare": lambda c: f"IF({at('Revenue', c)}=0,0,MAX({ref.span(first_st, last_st, c)})/{at('Revenue', c)})",
            "RestrictedShare": lambda c: f"IF({at('Revenue', c)}=0,0,SUMIF(Rev_restricted,Flag_Yes,{real(c)})/{at('Revenue', c)})",
        }

    def _block_runway(self, sid: str, ref: BlockRefs) -> None:
        """The runway: a helper row holds each year's index where cash falls short and In_Years+1 where it
        does not, so MIN gives the first short year (an error in ending cash shows as an error, never as "none")."""
        b, s, ws, L, n, at = self.book, self.s, self.ws[CALC], self.calc, self.n, ref.at
        res, w = self.results[sid], self.words.sheet("calculations")
        ends, target = res.rows["EndCash"], res.rows["ReserveTarget"]
        shorts: list[tuple[str, str, Callable[[int], str], list[bool]]] = [
            ("ShortCash", w.line("ShortCash").label, lambda c: f"{at('EndCash', c)}<0",
             [ends[t] < 0 for t in range(n)]),
            ("ShortReserve", w.line("ShortReserve").label,
             lambda c: f"{at('EndCash', c)}<{at('ReserveTarget', c)}", [ends[t] < target[t] for t in range(n)])]
        for key, label, short, is_short in shorts:
            self._block_line(ref, key, label, s.calc_text, partial(lambda c, short: f"IF({short(c)},{ref.yr(c)},In_Years+1)", short=short),
                             [t + 1 if is_short[t] else n + 1 for t in range(n)], None)
            ws.set_row(ref.rows[key], None, None, {"hidden": True})  # an index for MIN, not a reader's figure
        for key, helper, value in [("RunwayCash", "ShortCash", res.runway_cash), ("RunwayReserve", "ShortReserve", res.runway_reserve)]:
            r = ref.rows[key]
            first = f"MIN({at(helper, L.c_y0)}:{at(helper, L.c_y0 + n - 1)})"
            b.text(ws, r, L.c_lab, w.line(key).label, s.label_b)
            b.formula(ws, r, L.c_y0, f'IF(NOT(SP_Complete),"{NOT_APPLICABLE}",IF({first}>In_Years,"{NONE_LABEL}",INDEX(Yr_Label,1,{first})))',
                      self._label_of.get(value, value), s.out_text)
            b.define_cell(f"SP_{sid}_{key}", CALC, r, L.c_y0)
            b.text(ws, r, L.c_name, f"SP_{sid}_{key}", s.subtitle)

    # ------------------------------------------------------------------ checks

    def _checks(self) -> None:
        """The Checks sheet: the input checks, one balance check per scenario, the completeness cell and
        the largest FTE allowed (a constant the checks read by name)."""
        self.checks = basic_checks(self.words, self.blank, STAFF) + self._input_checks() + self._assumption_checks()
        for k, sc in enumerate(self.scenarios, start=1):
            end = f"INDEX(SP_{sc.id}_EndCash,1,In_Years)"
            self.checks.append(self._check(
                "balance", f"ABS({end}-In_StartingCash-SUM(SP_{sc.id}_Surplus))<=Chk_Tolerance*MAX(1,ABS({end}))", True, CALC, k=k))
        ws = self.ws[CHECKS]
        active = 'COUNTIFS({t}_{used},">0",{t}_from,">=1",{t}_from,"<="&In_Years)'
        write_checks(self.book, ws, self.checks, "SP_Checks_OK", self.org_name,
                     ("SP_Complete", f"{active.format(t='Staff', used='fte')}+{active.format(t='Exp', used='amount')}>0",
                      bool(self.model["SP_Complete"]),
                      self.words.sheet("scenario_checks").word("complete")), self.words)
        if self._all_checks_pass() != self.model["SP_Checks_OK"] and not self.blank:
            raise WorkbookBuildError("the Checks sheet and the model disagree on SP_Checks_OK")

    def _check(self, key: str, formula: str, value: bool, where: str = "", **values: Any) -> Check:
        """A line of the Checks sheet worded by `key`; the words may name where to look, else `where`."""
        text = self.words.sheet("scenario_checks").check(key)
        return Check(text.text.format(**values), formula, value, text.where or where)

    def _flags_ok(self, prefix: str) -> str:
        """Every per-scenario Yes/No column of a table (`prefix` + scenario id) holds Yes, No or nothing."""
        return "+".join(f"SUMPRODUCT(({prefix}{sc.id}<>\"\")*({prefix}{sc.id}<>Flag_Yes)*({prefix}{sc.id}<>Flag_No))"
                        for sc in self.scenarios) + "=0"

    @staticmethod
    def _span_ok(t: str, used: str) -> str:
        """Every used row of table `t` has its from/to years inside the projection, from first."""
        return f"SUMPRODUCT(({t}_{used}<>0)*(({t}_from<1)+({t}_from>In_Years)+({t}_to<{t}_from)+({t}_to>In_Years)))=0"

    def _input_checks(self) -> list[Check]:
        """Checks of the input tables beyond the shared ones."""
        return [
            self._check("staff_title",
                        'SUMPRODUCT((Staff_title="")*(((Staff_fte<>0)+(Staff_salary<>0))>0))=0', True, STAFF),
            self._check("staff_years",
                        self._span_ok("Staff", "fte"), True, STAFF),
            self._check("flags",
                        'SUMPRODUCT((Staff_in_kind<>"")*(Staff_in_kind<>Flag_Yes)*(Staff_in_kind<>Flag_No))'
                        '+SUMPRODUCT((Exp_in_kind<>"")*(Exp_in_kind<>Flag_Yes)*(Exp_in_kind<>Flag_No))'
                        '+SUMPRODUCT((Rev_restricted<>"")*(Rev_restricted<>Flag_Yes)*(Rev_restricted<>Flag_No))=0', True),
            self._check("staff_scenarios", self._flags_ok("Staff_inc_"), True, STAFF),
            self._check("expense_named",
                        'SUMPRODUCT((Exp_amount<>0)*((Exp_name="")+(Exp_category="")))=0', True, EXP),
            self._check("expense_years",
                        self._span_ok("Exp", "amount"), True, EXP),
            self._check("revenue_listed",
                        f"SUMPRODUCT((Rev_total<>0)*({self._listed_range()}=0))=0", True, REV),
            self._check("one_time_year",
                        "SUMPRODUCT((OT_amount<>0)*((OT_year<1)+(OT_year>In_Years)))=0", True, ONE),
            self._check("one_time_scenarios", self._flags_ok("OT_inc_"), True, ONE),
        ]

    def _scen_block(self, first_key: str, last_key: str) -> str:
        """Lines `first_key` to `last_key` of the scenario table, across the scenario columns."""
        return abs_range(ASSUME, self.scen_rows[first_key], self.scen_cols[0], self.scen_rows[last_key], self.scen_cols[-1])

    def _assumption_checks(self) -> list[Check]:
        """Checks of Assumptions and Scenario View, and the no-text-in-a-number-cell check."""
        levels, streams, sids = self.content.level_ids, self.content.stream_ids, [sc.id for sc in self.scenarios]
        number_names = (["Staff_fte", "Staff_salary", "Staff_start", "Staff_end", *[f"Staff_share_{f}" for f in self.content.function_ids],
                         "Exp_amount", "Exp_start", "Exp_end", "Rev_Amounts", "OT_year", "OT_amount", "Conf_prob"])
        scen_inputs = self._scen_block(f"real_{levels[0]}", "expmult")
        # COUNTA-COUNT: the non-empty cells that hold no number (no function over a range inside SUMPRODUCT)
        text_cols = [f"COUNTA({nm})-COUNT({nm})" for nm in [*number_names, scen_inputs]]
        scalar_numbers = ["In_StartingCash", "In_ReserveMonths", "In_BenefitsRate", "In_SalaryGrowth", "In_ExpenseInflation"]
        real_rows = self._scen_block(f"real_{levels[0]}", f"real_{levels[-1]}")
        mult_rows = self._scen_block(f"mult_{streams[0]}", f"mult_{streams[-1]}")
        exp_row = self._scen_block("expmult", "expmult")
        unique = "AND(" + ",".join(f"SUMPRODUCT((Scen_Names=Scen_{sid}_Name)*1)=1" for sid in sids) + ")"
        return [
            self._check("realization",
                        f"SUMPRODUCT(({real_rows}<0)+({real_rows}>1))=0", True, ASSUME),
            self._check("multipliers",
                        f"SUMPRODUCT(({mult_rows}<0)*1)+SUMPRODUCT(({exp_row}<0)*1)=0", True, ASSUME),
            self._check("scenario_names",
                        f'AND(SUMPRODUCT((Scen_Names="")*1)=0,{unique})', scenario_names_ok(self.scenarios), ASSUME),
            self._check("numbers",
                        "AND(" + ",".join(f"ISNUMBER({nm})" for nm in scalar_numbers) + ")", True, ASSUME),
            self._check("no_text", "+".join(text_cols) + "=0", True),
            self._check("view_pick", "AND(ISNUMBER(View_Pick),View_Index=View_Pick)", True, VIEW),
        ]

    # ------------------------------------------------------------------ outputs

    def _output_top(self, ws: Worksheet, title: str) -> None:
        """Title, the organization and its years (live), and the master status of an output sheet."""
        b, s = self.book, self.s
        b.text(ws, TITLE_ROW, 0, title, s.title)
        b.formula(ws, NOTE_ROW, 0, 'IF(In_OrgName="","",In_OrgName&IF(Yr_FirstFY="",""," · "&INDEX(Yr_Label,1,1)&" to "&INDEX(Yr_Label,1,In_Years)))',
                  "" if self.blank else f"{self.org_name} · {self.labels[0]} to {self.labels[-1]}", s.subtitle)
        master_banner(b, ws, BANNER_ROW, 0, self.status)

    def _view(self) -> None:
        """Scenario View: a dropdown picks a scenario; its runway, its table by year and a chart follow."""
        ws, n = self.ws[VIEW], self.n
        ws.set_column(0, 0, VIEW_LABEL_WIDTH)
        ws.set_column(1, n, self.view_width)
        self._output_top(ws, self.words.sheet("scenario_view").title)
        r = self._view_picker(ws, OUTPUT_TOP)
        r = self._view_runway(ws, r) + GAP
        hdr, yrow = r, r + 1
        rows, r = self._view_table(ws, hdr)
        # a fixed scale, a little under full size, so the whole table fits its page above the chart's page
        desc_lines = max(text_lines(sc.description or "", 46) for sc in self.scenarios)
        height = 15 * (r + desc_lines + 2)  # points down to the chart's page break, titles and tall rows included
        scale = max(70, min(88, int(100 * PAGE_WIDTH / (VIEW_LABEL_WIDTH + self.view_width * n)), int(100 * PAGE_HEIGHT / height)))
        self._view_chart(ws, r, hdr, rows, scale)
        ws.freeze_panes(yrow + 1, 1)
        print_setup(ws, self.org_name)
        ws.set_print_scale(scale)

    def _view_picker(self, ws: Worksheet, r: int) -> int:
        """The scenario picked by its position in the scenario table (View_Pick, an input), its
        name shown beside it (View_Scenario), the position used (View_Index) and its description;
        returns the next row. By position, not by name: a scenario renamed on Assumptions stays
        picked, and every number below follows it."""
        b, s, first, w = self.book, self.s, self.scenarios[0], self.words.sheet("scenario_view")
        pick, n = w.line("pick"), len(self.scenarios)
        b.text(ws, r, 0, pick.label, s.label_b)
        b.number(ws, r, 1, 1, s.in_int)
        b.validate(ws, r, 1, r, 1, {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": n,
                                    "input_title": pick.title or pick.label, "input_message": pick.help,
                                    "error_title": w.word("pick_error_title"), "error_message": w.word("pick_error")})
        b.define_cell("View_Pick", VIEW, r, 1)
        # CHOOSE, not INDEX(Scen_Names,...): Gnumeric gives #REF! for INDEX over one cell; &"": its CHOOSE gives 0 for an empty cell
        names = ",".join(f'Scen_{sc.id}_Name&""' for sc in self.scenarios)
        b.formula(ws, r, 2, f"CHOOSE(View_Index,{names})", first.name, s.out_text)
        b.define_cell("View_Scenario", VIEW, r, 2)
        b.text(ws, r, 4, pick.note, s.subtitle)
        # a number that is no scenario's says so beside it (the row below, which holds the position used, is hidden)
        b.formula(ws, r, 3, f'IF(AND(ISNUMBER(View_Pick),View_Index=View_Pick),"","{quoted(w.word("not_a_number"))}")', "", s.note)
        r += 1
        # the scenario's position in the table, which the formulas below read: a helper, hidden
        b.text(ws, r, 0, w.line("index").label, s.label)
        b.formula(ws, r, 1, f"IF(ISNUMBER(View_Pick),IF(AND(View_Pick>=1,View_Pick<=COLUMNS(Scen_Ids),INT(View_Pick)=View_Pick),View_Pick,1),1)",
                  1, s.calc_text)
        b.define_cell("View_Index", VIEW, r, 1)
        ws.set_row(r, None, None, {"hidden": True})
        r += 1
        b.text(ws, r, 0, w.line("desc").label, s.label)
        # wrapped in the wide first column, tall enough for the longest description (text that ran on
        # past the last column would print on a page of its own)
        r += 1
        # CHOOSE, not INDEX(Scen_Descs,...): Gnumeric gives #REF! for INDEX over one cell (a single scenario)
        # (each description joined to "" inside: Gnumeric's CHOOSE gives 0 for an empty cell)
        descs = ",".join(f'Scen_{sc.id}_Desc&""' for sc in self.scenarios)
        b.formula(ws, r, 0, f"CHOOSE(View_Index,{descs})", first.description or "", s.calc_wrap)
        fit_row(ws, r, [(sc.description or "", 46) for sc in self.scenarios])
        return r + 1

    def _view_runway(self, ws: Worksheet, r: int) -> int:
        """The runway first, next to the scenario's name: the answer a board looks for, never stranded on
        a page of its own; returns the next row."""
        b, s, res, w = self.book, self.s, self.results[self.scenarios[0].id], self.words.sheet("scenario_view")
        for key, value in [("RunwayCash", res.runway_cash), ("RunwayReserve", res.runway_reserve)]:
            b.text(ws, r, 0, w.line(key).label, s.label_b)
            parts = ",".join(f"SP_{sc.id}_{key}" for sc in self.scenarios)
            b.formula(ws, r, 1, f"CHOOSE(View_Index,{parts})", self._label_of.get(value, value), s.out_text)
            b.define_cell(f"View_{key}", VIEW, r, 1)
            self._runway_colours(ws, r, 1, r, 1)
            r += 1
        return r

    def _view_table(self, ws: Worksheet, hdr: int) -> tuple[dict[str, int], int]:
        """The picked scenario's lines by year (VIEW_LINES), each one CHOOSE over the scenarios' rows;
        returns the row of each line and the next row."""
        b, s, n = self.book, self.s, self.n
        w = self.words.sheet("scenario_view")
        b.text(ws, hdr, 0, w.line("year_label").label, s.th)
        self._label_formula(VIEW, hdr, 1, s.th)
        b.text(ws, hdr + 1, 0, w.line("year_index").label, s.label)
        self._index_row(VIEW, hdr + 1, 1)
        ws.set_row(hdr + 1, None, None, {"hidden": True})  # the year index the lines' INDEX formulas read
        res = self.results[self.scenarios[0].id]
        vals = {**res.rows, **{f"Revenue_{k}": v for k, v in res.revenue_by_stream.items()}}
        w = self.words.sheet("scenario_view")
        lines: list[tuple[str, str, str]] = []
        for key, style in VIEW_LINES:
            if key == "Revenue_*":
                lines += [(f"Revenue_{st.id}", INDENT + st.label, style) for st in self.content.streams]
            else:
                lines.append((key, w.heading(key) if style == "h" else w.line(key).label, style))
        rows: dict[str, int] = {}
        r = hdr + 2
        for key, label, style in lines:
            if style == "h":
                b.text(ws, r, 0, label, s.h)
                for c in range(1, n + 1):
                    b.blank(ws, r, c, s.h)
            else:
                self._view_line(ws, r, hdr + 1, key, label, getattr(s, style), vals[key])
                rows[key] = r
            r += 1
        for key in ("Surplus", "EndCash"):
            ws.conditional_format(rows[key], 1, rows[key], n, {"type": "cell", "criteria": "<", "value": 0, "format": s.cf_fail})
        self._months_colours(ws, rows["MonthsCash"], 1, rows["MonthsCash"], n)
        return rows, r

    def _view_line(self, ws: Worksheet, r: int, yrow: int, key: str, label: str, style: Any, values: list[Any]) -> None:
        """One line of Scenario View: in each year, the picked scenario's value of that year."""
        b, s = self.book, self.s
        b.text(ws, r, 0, label, s.label_b if style is s.out_money else s.label)
        for t, c in enumerate(self._year_cols(1)):
            t_ref = f"{col_letter(c)}${yrow + 1}"
            parts = ",".join(f"INDEX(SP_{sc.id}_{key},1,{t_ref})" for sc in self.scenarios)
            b.formula(ws, r, c, f"CHOOSE(View_Index,{parts})", values[t], style)
        b.define(f"View_{key}", abs_range(VIEW, r, 1, r, self.n))

    def _view_chart(self, ws: Worksheet, r: int, hdr: int, rows: dict[str, int], scale: int) -> None:
        """Revenue and expenses as columns, ending cash as a line, on a page of its own from row r,
        as large as that page printed at `scale` percent holds (never a small chart on an empty page)."""
        n, wb = self.n, self.book.wb
        chart = wb.add_chart({"type": "column"})
        for j, key in enumerate(("Revenue", "Expenses")):
            rr = rows[key]
            chart.add_series({"name": [VIEW, rr, 0], "categories": [VIEW, hdr, 1, hdr, n], "values": [VIEW, rr, 1, rr, n],
                              **series_fill(j)})
        line = wb.add_chart({"type": "line"})
        rr = rows["EndCash"]
        line.add_series({"name": [VIEW, rr, 0], "categories": [VIEW, hdr, 1, hdr, n], "values": [VIEW, rr, 1, rr, n],
                         "line": {"color": "#000000", "width": 2.5}, "marker": {"type": "diamond", "size": 7,
                                                                               "fill": {"color": "#000000"}, "border": {"color": "#000000"}}})
        chart.combine(line)
        w = self.words.sheet("scenario_view")
        chart.set_title({"name": self._chart_title(ws, VIEW, r + 3, 1, w, "chart"), "name_font": {"size": 11}})
        chart.set_y_axis({"num_format": AXIS_MONEY})
        chart.set_x_axis({"label_position": "low"})
        chart.set_legend({"position": "bottom"})
        # pixels (96 to the inch) of the page inside the margins at this scale, less the repeated title row
        # (and no wider than the columns that fit across it: xlsxwriter lays a drawing over 7 pixels a unit)
        width, height = (CHART_PAGE[0] * 100 / scale), (CHART_PAGE[1] * 100 / scale - 30)
        chart.set_size({"width": int(min(width * 0.92, 7 * PAGE_UNITS[True] * 100 / scale * 0.85)), "height": int(height * 0.9)})
        ws.set_h_pagebreaks([r])
        ws.insert_chart(r + 1, 0, chart, {"x_offset": 8, "y_offset": 4, "description": w.word("chart_text")})

    def _months_colours(self, ws: Worksheet, r1: int, c1: int, r2: int, c2: int) -> None:
        """Months of cash below zero or under two months: red, and the number says so in words."""
        s = self.s
        ws.conditional_format(r1, c1, r2, c2, {"type": "cell", "criteria": "<", "value": 0, "format": s.cf_months_negative,
                                                 "stop_if_true": True})
        ws.conditional_format(r1, c1, r2, c2, {"type": "cell", "criteria": "<", "value": 2, "format": s.cf_months_low})

    def _runway_colours(self, ws: Worksheet, r1: int, c1: int, r2: int, c2: int) -> None:
        """Runway cells: grey while not applicable, green for "none", red for a year (the words say it too)."""
        s = self.s
        cell = xl_rowcol_to_cell(r1, c1)
        ws.conditional_format(r1, c1, r2, c2, {"type": "formula", "criteria": f'={cell}="{NOT_APPLICABLE}"', "format": s.cf_todo,
                                                 "stop_if_true": True})
        ws.conditional_format(r1, c1, r2, c2, {"type": "formula", "criteria": f'={cell}="{NONE_LABEL}"', "format": s.cf_pass})
        ws.conditional_format(r1, c1, r2, c2, {"type": "formula", "criteria": f'={cell}<>"{NONE_LABEL}"', "format": s.cf_fail})

    def _compare(self) -> None:
        """Compare: the runway of every scenario, two charts, then one table per metric (COMPARE) with
        a row per scenario; a page never splits a table."""
        ws, n = self.ws[CMP], self.n
        ws.set_column(0, 0, COMPARE_LABEL_WIDTH)
        ws.set_column(1, max(n, 5), self.compare_width)
        w = self.words.sheet("compare")
        self._output_top(ws, w.title)
        note = BANNER_ROW + 1
        self.book.text(ws, note, 0, w.note, self.s.subtitle)
        top = note + 1 + GAP
        chart_row = self._compare_runway(ws, top) + 1 + GAP  # under the runway table's note
        tables, zero_row, breaks = self._compare_tables(ws, chart_row + COMPARE_CHART_ROWS)
        width = self._compare_chart_width()
        self._compare_cash_chart(ws, chart_row, tables["EndCash"], zero_row, width)
        self._compare_surplus_chart(ws, chart_row, tables["Surplus"], width)
        ws.freeze_panes(top, 1)
        print_setup(ws, self.org_name)
        if self.compare_scale:  # the scale that saves a page of tables (_compare_tables), not fit to width
            ws.fit_page = False
            ws.set_print_scale(self.compare_scale)
        ws.set_h_pagebreaks(breaks)

    def _compare_chart_width(self) -> int:
        """Pixels across each of Compare's two charts, side by side, about the tables' width."""
        return max(520, (column_pixels(COMPARE_LABEL_WIDTH) + column_pixels(self.compare_width) * self.n) // 2 - 24)

    def _compare_runway(self, ws: Worksheet, r: int) -> int:
        """The runway table from row r: a row per scenario; returns the row of the note under it."""
        b, s, w = self.book, self.s, self.words.sheet("compare")
        b.text(ws, r, 0, w.heading("runway"), s.h)
        heads = [w.column(k).header for k in ("scenario", "runway_cash", "runway_reserve", "lowest", "last")]
        for c in range(1, len(heads) + 1):
            b.blank(ws, r, c, s.h)
        r += 1
        for c, h in enumerate(heads):
            b.text(ws, r, c, h, s.th)
        ws.set_row(r, 30)
        first = r + 1
        for r, sc in enumerate(self.scenarios, start=first):
            res = self.results[sc.id]
            ends = res.rows["EndCash"]
            b.formula(ws, r, 0, f"Scen_{sc.id}_Name", sc.name, s.label_b)
            b.formula(ws, r, 1, f"SP_{sc.id}_RunwayCash", self._label_of.get(res.runway_cash, res.runway_cash), s.out_text)
            b.formula(ws, r, 2, f"SP_{sc.id}_RunwayReserve", self._label_of.get(res.runway_reserve, res.runway_reserve), s.calc_text)
            b.formula(ws, r, 3, f"MIN(SP_{sc.id}_EndCash)", min(ends), s.calc_money0)
            b.formula(ws, r, 4, f"INDEX(SP_{sc.id}_EndCash,1,In_Years)", ends[-1], s.calc_money0)
        last = first + len(self.scenarios) - 1
        self._runway_colours(ws, first, 1, last, 2)
        ws.conditional_format(first, 3, last, 4, {"type": "cell", "criteria": "<", "value": 0, "format": s.cf_fail})
        b.text(ws, last + 1, 0, w.note_text("runway"), s.subtitle)
        return last + 1

    def _compare_tables(self, ws: Worksheet, r: int) -> tuple[dict[str, tuple[int, int]], int, list[int]]:
        """The metric tables from row r, under a row of year numbers: returns each table's (header row,
        first row), the zero line's row and the page breaks (the tables start on a page of their own)."""
        w = self.words.sheet("compare")
        self.book.text(ws, r, 0, w.line("year_index").label, self.s.label)
        self._index_row(CMP, r, 1)
        ws.set_row(r, None, None, {"hidden": True})  # the year index the tables' INDEX formulas read
        yrow, S = r, len(self.scenarios)
        r += 2
        tables: dict[str, tuple[int, int]] = {}
        breaks, zero_row = [yrow], 0
        # as few pages as the tables need, each holding a like share of them (no last page with one table)
        # (rows of a page at the scale the sheet prints at, one page wide with its charts; the zero line's
        # row is hidden and takes no room)
        units = max(COMPARE_LABEL_WIDTH + self.compare_width * max(self.n, 5), (2 * self._compare_chart_width() + 40) / 7)
        scale = max(MIN_SCALE, min(100, 100 * PAGE_WIDTH / units))
        sizes = [2 + S for _ in COMPARE]

        def pages(at: float) -> int:
            return len(column_breaks(sizes, int(PAGE_HEIGHT * 100 / (15 * at)) - 3)) + 1

        # a page of tables fewer when printing a little smaller (70% or more) saves one: a last page of
        # two or three small tables is a spill-over, not a page
        fewer = next((at for at in range(int(scale), MIN_SCALE - 1, -1) if pages(at) < pages(scale)), None)
        if fewer is not None:
            scale = self.compare_scale = fewer
        new_page = set(column_breaks(sizes, int(PAGE_HEIGHT * 100 / (15 * scale)) - 3))
        for i, (key, kind) in enumerate(COMPARE):
            if i in new_page:
                breaks.append(r)
            tables[key] = (r, r + 1)
            r = self._compare_table(ws, r, yrow, key, w.line(key).label, kind)
            if key == "EndCash":
                zero_row = r
                self.book.text(ws, r, 0, w.line("zero").label, self.s.subtitle)
                for c in self._year_cols(1):
                    self.book.number(ws, r, c, 0, self.s.calc_money0)
                ws.set_row(r, None, None, {"hidden": True})  # the chart's zero line: plotted, not printed
                r += 1
            r += 1
        return tables, zero_row, breaks

    def _compare_table(self, ws: Worksheet, hdr: int, yrow: int, key: str, title: str, kind: str) -> int:
        """One metric's table: a header of fiscal years, a row per scenario; returns the row after it."""
        b, s, n = self.book, self.s, self.n
        b.text(ws, hdr, 0, title, s.th)
        self._label_formula(CMP, hdr, 1, s.th)
        first = hdr + 1
        for r, sc in enumerate(self.scenarios, start=first):
            vals = self.results[sc.id].rows[key]
            b.formula(ws, r, 0, f"Scen_{sc.id}_Name", sc.name, s.label)
            for t, c in enumerate(self._year_cols(1)):
                b.formula(ws, r, c, f"INDEX(SP_{sc.id}_{key},1,{col_letter(c)}${yrow + 1})", vals[t],
                          s.calc_dec0 if kind == "dec" else s.calc_money0)
        last = first + len(self.scenarios) - 1
        if key in ("Surplus", "EndCash"):
            ws.conditional_format(first, 1, last, n, {"type": "cell", "criteria": "<", "value": 0, "format": s.cf_fail})
        if key == "MonthsCash":
            self._months_colours(ws, first, 1, last, n)
        return last + 1

    def _chart_title(self, ws: Worksheet, sheet: str, row: int, col: int, w: SheetWords, key: str) -> list[Any]:
        """A chart's title as a cell the chart covers (under the cash chart on Compare): its words, or that it waits for data while the
        workbook is not filled in (SPEC 5). Returns the reference a chart title takes."""
        title = w.word(key)
        waiting = w.word("waiting", title=title)
        # white on white: where the words run on past the chart into the gap beside it, they stay unseen
        hidden = self.book.wb.add_format({"font_color": "#FFFFFF", "font_size": 8})
        self.book.formula(ws, row, col, f'IF(SP_Complete,"{quoted(title)}","{quoted(waiting)}")',
                          title if self.model["SP_Complete"] else waiting, hidden)
        return [sheet, row, col]

    def _compare_cash_chart(self, ws: Worksheet, row: int, table: tuple[int, int], zero_row: int, width: int) -> None:
        """Ending cash by scenario as lines, with the zero line, left of the two charts."""
        n, (hdr, first) = self.n, table
        line = self.book.wb.add_chart({"type": "line"})
        for j in range(len(self.scenarios)):
            line.add_series({"name": [CMP, first + j, 0], "categories": [CMP, hdr, 1, hdr, n], "values": [CMP, first + j, 1, first + j, n],
                             **series_line(j)})
        line.add_series({"name": [CMP, zero_row, 0], "categories": [CMP, hdr, 1, hdr, n], "values": [CMP, zero_row, 1, zero_row, n],
                         "line": {"color": "#595959", "width": 1.25, "dash_type": "square_dot"}, "marker": {"type": "none"}})
        w = self.words.sheet("compare")
        line.show_hidden_data()  # the zero line's row is hidden from print
        line.set_title({"name": self._chart_title(ws, CMP, row + 2, 1, w, "cash_chart"), "name_font": {"size": 11}})
        line.set_y_axis({"num_format": AXIS_MONEY, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        line.set_x_axis({"label_position": "low"})
        line.set_legend({"position": "bottom"})
        line.set_size({"width": width, "height": 360})
        ws.insert_chart(row, 0, line, {"x_offset": 8, "y_offset": 4, "description": w.word("cash_chart_text")})

    def _compare_surplus_chart(self, ws: Worksheet, row: int, table: tuple[int, int], width: int) -> None:
        """Surplus or deficit by scenario as columns, right of the cash chart."""
        n, (hdr, first) = self.n, table
        col = self.book.wb.add_chart({"type": "column"})
        for j in range(len(self.scenarios)):
            col.add_series({"name": [CMP, first + j, 0], "categories": [CMP, hdr, 1, hdr, n], "values": [CMP, first + j, 1, first + j, n],
                            **series_fill(j)})
        w = self.words.sheet("compare")
        col.set_title({"name": self._chart_title(ws, CMP, row + 3, 1, w, "surplus_chart"), "name_font": {"size": 11}})
        col.set_y_axis({"num_format": AXIS_MONEY})
        col.set_x_axis({"label_position": "low"})
        col.set_legend({"position": "bottom"})
        col.set_size({"width": width, "height": 360})
        ws.insert_chart(row, 0, col, {"x_offset": 8 + width + 16, "y_offset": 4, "description": w.word("surplus_chart_text")})

    # ------------------------------------------------------------------ guide and start

    def _guide(self) -> None:
        """The Guide: the shared guidance, then this workbook's reference tables (GUIDE_STEPS, GUIDE_NAMES
        and the content lists), worded in the guide_reference words."""
        c, w = self.content, self.words.sheet("guide_reference")
        preset = c.presets[0] if c.presets else None
        fallback = w.word("preset")  # asked for every time, so the unused-words check sees it in use
        preset_name = (preset.text("name") or preset.label) if preset else fallback
        values = {"preset": preset_name, "amount_note": preset.text("typical_amount_note") if preset else ""}
        transition = [(w.line(f"step_{k}").label, w.line(f"step_{k}").note.format(**values)) for k in GUIDE_STEPS]
        names = [(w.line(f"name_{k}").label, w.line(f"name_{k}").note) for k in GUIDE_NAMES]
        reference = [
            (w.heading("transition"), transition),
            (w.heading("presets"), [((p.text("name") or p.label), f"{p.text('typical_amount_note')} {p.text('help')}") for p in c.presets]),
            (w.heading("scenarios"), [((sc.text("name") or sc.label), sc.text("description")) for sc in c.scenarios]),
            (w.heading("streams"), [(sm.label, sm.text("description")) for sm in c.streams]),
            (w.heading("levels"), [(lv.label, lv.text("help")) for lv in c.levels]),
            (w.heading("functions"), [(fn.label, fn.text("covers")) for fn in c.functions]),
            (w.heading("categories"), [(cat.label, cat.text("help")) for cat in c.categories]),
        ]
        write_guide(self.book, self.ws[GUIDE], c, "projections", self.org_name, reference, [(w.heading("names"), names)])

    def _start_here(self) -> None:
        """Start Here (the shared writer), listing this workbook's sheets."""
        write_start_page(self.book, self.ws[START], self.content, "projections", SHEETS,
                         self.org_name, self.status)


def build_projections(p: Partnership, path: Path, content: Content | None = None, capacity: Capacity | None = None,
                      password: str | None = None, blank: bool = False, build_time: dt.datetime | None = None,
                      partnership_id: str | None = None, base: dict[str, Any] | None = None) -> dict[str, str]:
    """Write the Scenario Projections Tool for a partnership; returns its defined names.

    `build_time` is recorded in the metadata when given; without it the same data gives a
    byte-identical file. `base` is the data file recorded as the inputs it was built with
    (default: `p`'s own; `upgrade` passes the old workbook's record).
    """
    builder = ProjectionsBuilder(p, Path(path), content, capacity, password, blank, build_time, partnership_id)
    builder.base = base
    return builder.build()


__all__ = ["TEMPLATE_ID", "TEMPLATE_VERSION", "build_projections", "plan_capacity", "PlanCapacity", "ProjectionsBuilder"]
