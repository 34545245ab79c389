"""The Full Cost Workbook (SPEC section 3) as a formula-driven .xlsx.

Inputs go on Organization, Assumptions, Staffing, Expenses, Full Cost and Revenue; every
SPEC output is a formula on Calculations under its defined name, with the model's value
cached; Summary reads those names in plain words and charts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from xlsxwriter.utility import xl_rowcol_to_cell as rc

from ..content import INDIRECT_FUNCTION, SHARED, Content, SheetWords, load_content
from ..recorded import is_part, record
from ..kinds import FULL_COST, Capacity, capacity_meta, slugify
from ..model.full_cost import AREAS, FunctionCosts, compute_full_cost, function_costs, staff_cost, year1_expenses, year1_staff
from ..schema import NamedAmount, Partnership
from .common import (
    BANNER_ROW, BODY_TOP, NOTE_ROW, OUTPUT_TOP, TITLE_ROW, CHECKS, GUIDE, LISTS, META, NO, START, YES, Check, Form, Lists, Status,
    column_width, dropdown, fit_row, identity,
    master_banner, number_rule, print_setup, protect, write_checks, write_guide, write_lists, write_metadata,
    document_properties, write_table, write_organization, write_start_page, quoted, sheet_title,
)
from .cash_flow import CASH, CashFlowSheet, CashWords
from . import inputs
from .inputs import (
    ASSUME, ORG, Col, InputSheet, basic_checks, columns, dropdowns, flag_share_totals, rate_values, source_note, staff_columns, write_dropdowns, write_input_sheet,
    write_rates,
)
from .layout import GAP, Book, Column, Rows, Table, rows_spanned
from .styles import AXIS_MONEY, MONEY, PALETTE

TEMPLATE_ID = FULL_COST.template_id
TEMPLATE_VERSION = FULL_COST.version

STAFF, EXP, FULL, REV, CALC, SUMMARY = (
    "Staffing", "Expenses", "Full Cost", "Revenue", "Calculations", "Summary",
)
SHEETS = [START, ORG, ASSUME, STAFF, EXP, FULL, REV, CASH, CALC, SUMMARY, GUIDE, CHECKS, LISTS, META]


#: This workbook's columns after the shared ones (inputs.py): Staffing's cost, Revenue's year-1
#: amount and its expected value, the confidence table's explanation, and the Full Cost tables.
STAFF_COST = Col("cost", 14, "calc_money", "calc")
REVENUE_YEAR1 = (Col("amount", 14, "in_money", "decimal", 0), Col("prob", 12, "calc_pct", "calc"),
                 Col("expected", 14, "calc_money", "calc"))
CONF_HELP = Col("help", 50, "note", "calc")
ITEM_NAME = Col("name", 40, "in_text")
ITEM_AMOUNT = Col("amount", 16, "in_money", "decimal", 0)
ITEM_FUNCTION = Col("function", 30, "in_text", "list", choices="List_FunctionsShared")
CC_YEARS = Col("years", 30, "in_int", "integer", 1, 50)
CC_ANNUAL = Col("annual", 16, "calc_money", "calc")

#: The Calculations column that shows each result's defined name (column G).
CALC_NAME_COL = 6


@dataclass(frozen=True)
class CalcLine:
    """One result line on Calculations: its defined name (also its words' key), formula, and style (a Styles attribute)."""

    name: str
    formula: str
    style: str = "calc_money0"


#: Area 1, piece by piece, then what is in kind and the cash operating expenses.
AREA1_LINES = [
    CalcLine("FC_Personnel", "SUM(Staff_cost)"),
    CalcLine("FC_NonPersonnel", "SUM(Exp_amount)"),
    CalcLine("FC_Depreciation", "In_Depreciation"),
    CalcLine("FC_Unfunded", "SUM(Unf_amount)"),
    CalcLine("FC_TotalExpenses", "FC_Personnel+FC_NonPersonnel+FC_Depreciation+FC_Unfunded", "out_money"),
    CalcLine("FC_InKind", "SUMIF(Staff_in_kind,Flag_Yes,Staff_cost)+SUMIF(Exp_in_kind,Flag_Yes,Exp_amount)"),
    # the cash items summed, not FC_TotalExpenses-FC_Depreciation-FC_InKind: with no cash spending that
    # difference is a rounding residue that each engine computes differently (generator.model.full_cost)
    CalcLine("FC_CashOpex", "SUMPRODUCT(Staff_cost,(Staff_in_kind<>Flag_Yes)*1)"
             "+SUMPRODUCT(Exp_amount,(Exp_in_kind<>Flag_Yes)*1)+FC_Unfunded"),
]

#: The calculation of each area after area 1, by its defined name (the order is AREAS').
AREA_LINES = {line.name: line for line in [
    CalcLine("FC_WorkingCapital", "IF(In_WCMethod=Label_WCCashFlow,MAX(0,FC_CF_TimingNeed-In_WCCurrent)/In_WCBuild,"
             "MAX(0,In_WCMonths*FC_CashOpex/12-In_WCCurrent)/In_WCBuild)"),
    CalcLine("FC_Reserves", "MAX(0,In_ResMonths*FC_CashOpex/12-In_ResCurrent)/In_ResBuild"),
    CalcLine("FC_FixedAssets", "SUM(FA_amount)"),
    CalcLine("FC_DebtPrincipal", "SUM(Debt_amount)"),
    CalcLine("FC_ChangeCapital", "SUM(CC_annual)"),
]}

#: What follows from the full cost.
TOTAL_LINES = [
    CalcLine("FC_RequiredSurplus", "FC_Total-FC_TotalExpenses"),
    CalcLine("FC_RequiredSurplusPct", "IF(FC_TotalExpenses=0,0,FC_RequiredSurplus/FC_TotalExpenses)", "calc_pct0"),
    CalcLine("FC_CashNeed", "FC_Total-FC_InKind", "out_money"),
]
REVENUE_LINE = CalcLine("FC_ExpectedRevenue", "SUM(Rev_expected)", "out_money")
GAP_LINE = CalcLine("FC_Gap", "FC_CashNeed-FC_ExpectedRevenue", "out_money")


@dataclass(frozen=True)
class SummaryLine:
    """One Summary result in plain words: its defined name (also its words' key) and style. Its note is
    words, or (with no note in the words) a live verdict."""

    name: str
    style: str


SUMMARY_LINES = [SummaryLine(name, style) for name, style in [
    ("FC_Total", "out_money"),
    ("FC_TotalExpenses", "calc_money0"),
    ("FC_InKind", "calc_money0"),
    ("FC_CashNeed", "out_money"),
    ("FC_ExpectedRevenue", "out_money"),
    ("FC_Gap", "out_money"),
    ("FC_RequiredSurplus", "calc_money0"),
    ("FC_RequiredSurplusPct", "calc_pct0"),
    ("CF_YearResult", "calc_money0"),
    ("FC_CF_TimingNeed", "calc_money0"),
    ("FC_CF_ShortMonths", "calc_count"),
    ("FC_IndirectRate", "out_pct"),
    ("FC_IndirectCap", "calc_pct0"),
]]

#: The Summary charts, by key (their titles are words): (chart type, colour).
SUMMARY_CHARTS = {"by_area": ("column", PALETTE[0]), "by_function": ("bar", PALETTE[2]),
                  "revenue": ("column", PALETTE[0]), "indirect": ("column", PALETTE[1])}
#: Summary columns: the label, the figure, and its note or verdict; with their widths.
S_LABEL, S_FIGURE, S_NOTE = 0, 1, 2
SUMMARY_WIDTHS = {S_LABEL: 52, S_FIGURE: 16, S_NOTE: 70}
#: The Summary charts, in pixels: their size, their offset into the first cell, and the space between two side by side.
CHART_WIDTH, CHART_HEIGHT, CHART_X_OFFSET, CHART_Y_OFFSET, CHART_SPACING = 470, 300, 8, 4, 16
CHARTS_PER_ROW = 2
#: Rows from one row of charts to the next: the rows a chart reaches into, and one blank row.
CHART_ROW_PITCH = rows_spanned(CHART_HEIGHT, CHART_Y_OFFSET) + GAP
#: The area table on the Full Cost sheet: the area, this year's figure, and what it covers, in the columns
#: of the inputs' label, value and note below it (the unit column between stays empty).
A_LABEL, A_VALUE, A_WHAT = 0, 1, 3


@dataclass(frozen=True)
class AreaTable:
    """Rows of the area table at the top of the Full Cost sheet: its header, one row per area, the total.
    `below` is the first row under it, where the inputs may start."""

    head: int

    @property
    def rows(self) -> range:
        """One row per area, in AREAS' order."""
        return range(self.head + 1, self.head + 1 + len(AREAS))

    @property
    def total(self) -> int:
        return self.rows.stop

    @property
    def below(self) -> int:
        return self.total + 1


@dataclass(frozen=True)
class ChartData:
    """One Summary chart's table: its key, its rows on the sheet, and the (label, value) it was built with."""

    key: str
    first: int
    last: int
    points: list[tuple[str, float]]

    @property
    def title_row(self) -> int:
        """The table's heading, the chart's title, is the row above its first line."""
        return self.first - 1


def full_cost_sum() -> str:
    """FC_Total's formula: the areas' defined names added up, in the areas' order."""
    return "+".join(name for _, name in AREAS)


def _flag(v: bool) -> str:
    """A flag as the Yes/No list's words."""
    return YES if v else NO


class FullCostBuilder:
    """Writes one Full Cost Workbook."""

    #: The inputs recorded as built (readback/merge.py); None: the partnership being built.
    #: `upgrade` sets the old workbook's record, so edits made before the upgrade stay edits.
    base: "dict[str, Any] | None" = None

    def __init__(self, p: Partnership, path: Path, content: Content | None = None, capacity: Capacity | None = None,
                 password: str | None = None, blank: bool = False, build_time: "dt.datetime | None" = None,
                 partnership_id: str | None = None):
        self.p = p
        self.build_time = build_time
        self.partnership_id = partnership_id
        self.content = content or load_content()
        self.cap = (capacity or Capacity()).fit(p)
        self.password = password
        self.blank = blank
        self.model = compute_full_cost(p, self.content)
        self.org_name = "" if blank else p.organization.name
        self.book = Book(str(path), rule_words=self.content.words("full_cost").sheet("input_rules"))
        self.s = self.book.styles
        self.ws = {name: self.book.sheet(name) for name in SHEETS}
        #: the words of every sheet (templates/content/sheets_full_cost.yaml)
        self.w = self.content.words("full_cost")
        self.lists: Lists = write_lists(self.book, self.content, self.w, self.ws[LISTS])  # first: every dropdown reads it
        self.checks: list[Check] = []
        #: the Full Cost sheet's area table, under the title; its inputs follow below it
        self.areas = AreaTable(BODY_TOP)
        # the input tables, set by the sheet writers and read by the Cash Flow sheet and the checks
        self.conf: Table
        self.staff: Table
        self.exp: Table
        self.rev: Table
        self.unf: Table
        self.fa: Table
        self.debt: Table
        self.cc: Table
        self.func_table: Table
        self.cash_words: CashWords

    # ------------------------------------------------------------------ entry point

    def build(self) -> dict[str, str]:
        """Write every sheet and close the file; returns the defined names."""
        self.book.define("Flag_Yes", self.lists.cell("YesNo", "yes"))
        self.book.define("Label_Shared", self.lists.cell("FunctionsShared", SHARED))
        self.book.define("Label_Operations", self.lists.cell("Functions", INDIRECT_FUNCTION))
        cash_flow = CashFlowSheet(self)
        self.cash_words = cash_flow.words()
        cash_flow.lists()
        self._organization()
        self._assumptions()
        self._staffing()
        self._expenses()
        self._full_cost_inputs()
        self._revenue()
        cash_flow.write()
        self._calculations()
        self._checks()
        self._summary()
        self._full_cost_results()
        self._guide()
        self._start_here()
        meta = self.metadata()
        write_metadata(self.book, self.ws[META], meta)
        for name, ws in self.ws.items():
            protect(ws, self.password)
        self.book.close(document_properties(self.w, self.org_name), {f"pbp_{k}": v for k, v in meta.items() if not is_part(k)})
        return self.book.names

    def metadata(self) -> dict[str, str]:
        """Identity, integrity and table capacities (written after the last formula)."""
        return identity(self.book, TEMPLATE_ID, TEMPLATE_VERSION, "" if self.blank else (self.partnership_id or slugify(self.p.organization.name)),
                        self.build_time, {**capacity_meta(self.cap), **record(self.base or self.p.to_data())})

    # ------------------------------------------------------------------ inputs

    def _titled(self, ws: Any, sheet: str) -> SheetWords:
        """A sheet's title and note from its words; returns the words for the rest of the sheet."""
        sw = self.w.sheet(sheet)
        sheet_title(self.book, ws, sw)
        return sw

    @staticmethod
    def _number(f: Form, sw: SheetWords, key: str, name: str, value: float | None, style: Any,
                rule: tuple[str, float | None, float | None]) -> int:
        """A labelled number input from its line's words: label, rule (title and message), unit and note."""
        ln = sw.line(key)
        return f.number(ln.label, name, value, style, number_rule(rule[0], rule[1], rule[2], ln.title or ln.label, ln.help),
                        ln.unit, ln.note)

    def _organization(self) -> None:
        """The shared Organization sheet (its fiscal-year words are this workbook's)."""
        write_organization(self.book, self.ws[ORG], self.content, self.w, self.p.organization, self.blank, self.org_name)

    def _assumptions(self) -> None:
        """The shared rates (each a named input with unit and note) and the confidence table."""
        b, ws = self.book, self.ws[ASSUME]
        for col, width in enumerate((34, 14, 12, 60)):
            ws.set_column(col, col, width)
        sw = self._titled(ws, "assumptions")
        f = Form(b, ws, row=BODY_TOP)
        f.heading(sw.heading("rates"), gap=0)
        write_rates(f, sw, inputs.RATES, rate_values(self.p))
        f.heading(sw.heading("confidence"))
        f.note(sw.note_text("confidence"))
        table = Table(ASSUME, "Conf", f.row, 0, columns(sw, (*inputs.CONFIDENCE_COLUMNS, CONF_HELP)) + [source_note(self.w)],
                      len(self.content.levels))
        prob = self.p.probability()
        notes = self.p.assumptions.confidence_notes or {}
        rows = [{"level": lv.label, "prob": prob[lv.id], "help": lv.text("help"), "note": notes.get(lv.id)} for lv in self.content.levels]
        write_table(b, ws, table, rows)
        self.conf = table
        print_setup(ws, self.org_name)

    def _staff_table(self) -> InputSheet:
        """The shared Staffing columns, a share per function, their total and the cost."""
        sw = self.w.sheet("staffing")
        cols = staff_columns(sw, self.content.functions) + columns(sw, (STAFF_COST,)) + [source_note(self.w)]
        return InputSheet(Table(STAFF, "Staff", BODY_TOP, 0, cols, self.cap.staff), dropdowns(inputs.STAFF_COLUMNS), 45)

    def _staffing(self) -> None:
        """The positions table: time shares per function, their total flagged when not 100%, and the cost."""
        sheet = self._staff_table()
        t, s, fids = sheet.table, self.s, self.content.function_ids
        staff = year1_staff(self.p)
        rows = [{"title": st.title, "fte": st.fte, "salary": st.salary, "in_kind": _flag(st.in_kind), "note": st.note,
                 **{f"share_{f}": st.functions[f] for f in fids if f in st.functions}} for st in staff]
        rate = self.p.assumptions.benefits_rate

        def total(i: int, d: Any) -> float:
            return sum(staff[i].functions.values()) if i < len(staff) else 0.0

        def cost(i: int, d: Any) -> float:
            return staff_cost(staff[i], rate) if i < len(staff) else 0.0

        first_share, last_share = t.col(f"share_{fids[0]}"), t.col(f"share_{fids[-1]}")
        write_input_sheet(self.book, self.ws[STAFF], self.w.sheet("staffing"), sheet, rows, self.org_name, {
            "share_total": (lambda i: f"SUM({rc(t.row(i), first_share)}:{rc(t.row(i), last_share)})", total, s.calc_pct),
            "cost": (lambda i: f"{t.cell(i, 'fte')}*{t.cell(i, 'salary')}*(1+In_BenefitsRate)", cost, s.calc_money),
        })
        flag_share_totals(self.book, self.ws[STAFF], t)
        self.staff = t

    def _expenses(self) -> None:
        """The shared Expenses columns: name, category, amount, function and in-kind."""
        sw = self.w.sheet("expenses")
        t = Table(EXP, "Exp", BODY_TOP, 0, columns(sw, inputs.EXPENSE_COLUMNS) + [source_note(self.w)], self.cap.expenses)
        rows = [{"name": e.name, "category": self.lists.label("Categories", e.category), "amount": e.amount,
                 "function": self.lists.label("FunctionsShared", e.function), "in_kind": _flag(e.in_kind), "note": e.note}
                for e in year1_expenses(self.p)]
        write_input_sheet(self.book, self.ws[EXP], sw, InputSheet(t, dropdowns(inputs.EXPENSE_COLUMNS)), rows, self.org_name)
        self.exp = t

    def _full_cost_inputs(self) -> None:
        """The Full Cost sheet's inputs, area by area, under the area table (written later, see _full_cost_results)."""
        ws = self.ws[FULL]
        ws.set_column(0, 0, 40)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 2, 30)
        ws.set_column(3, 3, 42)
        self._titled(ws, "full_cost")
        # the area table (written later, once the results exist), then a gap before the inputs
        f = Form(self.book, ws, row=self.areas.below + GAP)
        self._area1_inputs(f)
        area2 = f.row + 1  # its heading, after the gap Form.heading leaves
        self._months_targets(f)
        self.fa = self._item_table(f, "FA", self.p.full_cost.fixed_asset_additions, self.cap.fixed_assets)
        self.debt = self._item_table(f, "Debt", self.p.full_cost.debt_principal, self.cap.debt)
        self._change_capital(f)
        print_setup(ws, self.org_name)  # landscape: the tables and their notes are wide
        # the area table and Area 1 on the first page, Areas 2 to 6 together on the next: no heading
        # is left at a page's foot with its rows overleaf
        ws.set_h_pagebreaks([area2])

    def _area1_inputs(self, f: Form) -> None:
        """Area 1 beyond Staffing and Expenses: depreciation and the unfunded-costs table."""
        b, s, ws, fc = self.book, self.s, self.ws[FULL], self.p.full_cost
        sw, tw = self.w.sheet("full_cost"), self.w.sheet("unfunded")
        f.heading(sw.heading("area1"), gap=0)
        self._number(f, sw, "depreciation", "In_Depreciation", fc.depreciation, s.in_money, ("decimal", 0, None))
        f.note(sw.note_text("unfunded"))
        unf = Table(FULL, "Unf", f.row, 0, [
            *columns(tw, (ITEM_NAME, ITEM_AMOUNT, ITEM_FUNCTION)), source_note(self.w)], self.cap.unfunded)
        write_table(b, ws, unf, [{"name": u.name, "amount": u.amount, "function": self.lists.label("FunctionsShared", u.function), "note": u.note}
                                 for u in fc.unfunded])
        write_dropdowns(self.book, ws, unf, tw, dropdowns((ITEM_FUNCTION,)))
        self.unf = unf
        f.row = unf.last + 1

    def _months_targets(self, f: Form) -> None:
        """Areas 2 and 3: a target in months of cash spending, what is held today, and the years to build it up."""
        s, fc, sw = self.s, self.p.full_cost, self.w.sheet("full_cost")
        for key, target in [("WC", fc.working_capital), ("Res", fc.reserves)]:
            k = key.lower()
            f.heading(sw.heading(k))
            self._number(f, sw, f"{k}_months", f"In_{key}Months", target.months, s.in_dec, ("decimal", 0, None))
            self._number(f, sw, f"{k}_current", f"In_{key}Current", target.current, s.in_money, ("decimal", 0, None))
            self._number(f, sw, f"{k}_build", f"In_{key}Build", target.build_years, s.in_int, ("integer", 1, 50))
            if key == "WC":
                self._working_capital_method(f)

    def _item_table(self, f: Form, key: str, items: Sequence[NamedAmount], capacity: int) -> Table:
        """Areas 4 and 5: a table of named amounts for this year (words: the sheet named by the table's key)."""
        sw = self.w.sheet(f"{key.lower()}_table")
        f.heading(self.w.sheet("full_cost").heading(key.lower()))
        t = Table(FULL, key, f.row, 0, [
            *columns(sw, (ITEM_NAME, ITEM_AMOUNT)), source_note(self.w)], capacity)
        write_table(self.book, self.ws[FULL], t, [{"name": x.name, "amount": x.amount, "note": x.note} for x in items])
        f.row = t.last + 1
        return t

    def _change_capital(self, f: Form) -> None:
        """Area 6: one-off investments, each spread over its years."""
        s, sw = self.s, self.w.sheet("cc_table")
        f.heading(self.w.sheet("full_cost").heading("cc"))
        cc = Table(FULL, "CC", f.row, 0, [
            *columns(sw, (ITEM_NAME, ITEM_AMOUNT, CC_YEARS, CC_ANNUAL)), source_note(self.w)], self.cap.change_capital)
        ccs = self.p.full_cost.change_capital
        write_table(self.book, self.ws[FULL], cc, [{"name": c.name, "amount": c.amount, "years": c.years, "note": c.note} for c in ccs], {
            "annual": (lambda i: f"IF(ISNUMBER({cc.cell(i, 'years')}),IF({cc.cell(i, 'years')}>0,{cc.cell(i, 'amount')}/{cc.cell(i, 'years')},0),0)",
                       lambda i, d: ccs[i].amount / ccs[i].years if i < len(ccs) else 0.0, s.calc_money)})
        self.cc = cc

    def _working_capital_method(self, f: Form) -> None:
        """Area 2's method (a dropdown) and the timing need from the Cash Flow sheet beside the months rule."""
        b, s, ws, c, sw = self.book, self.s, self.ws[FULL], self.content, self.w.sheet("full_cost")
        wc = self.p.full_cost.working_capital
        method = sw.line("wc_method")
        # a blank workbook starts on the default method (the months rule), so its check passes out of the box
        row = f.text(method.label, "In_WCMethod", c.label(c.methods, wc.method), s.in_wrap)
        dropdown(b, ws, row, 1, row, 1, "List_WCMethods", method.title, method.help)
        # as tall as the longest choice needs: a choice wider than its cell would run on over the units beside it
        fit_row(ws, row, [(max((x.label for x in c.methods), key=len), column_width(ws, 1))])
        m = self.model
        need, months = sw.line("timing_need"), sw.line("timing_months")
        f.formula(need.label, None, "FC_CF_TimingNeed", m["FC_CF_TimingNeed"], s.calc_money0, need.unit)
        f.formula(months.label, None, "FC_CF_MonthsEquivalent", m["FC_CF_MonthsEquivalent"], s.calc_dec0, months.unit)
        from .cash_flow import plain_words
        # one line that runs on across the empty cells to its right (no merged cells), with no box of its own
        # (a box round its first cell would be narrower than the sentence)
        b.formula(ws, f.row, 0, "CF_PlainWords", plain_words(m, wc.months, self.w.sheet("cash_flow"), wc.method), s.label)
        f.row += 1

    def _revenue(self) -> None:
        """The shared Revenue columns, then the year-1 amount: expected revenue is each amount times
        its confidence's probability."""
        s, sw = self.s, self.w.sheet("revenue")
        t = Table(REV, "Rev", BODY_TOP, 0, columns(sw, (*inputs.REVENUE_COLUMNS, *REVENUE_YEAR1)) + [source_note(self.w)], self.cap.revenue)
        prob = self.p.probability()
        revs = self.p.revenue
        rows = [{"name": r.name, "stream": self.lists.label("Streams", r.stream), "confidence": self.lists.label("Levels", r.confidence),
                 "restricted": _flag(r.restricted), "amount": r.amount(1), "note": r.note} for r in revs]
        write_input_sheet(self.book, self.ws[REV], sw, InputSheet(t, dropdowns(inputs.REVENUE_COLUMNS)), rows, self.org_name, {
            "prob": (lambda i: f'IF({t.cell(i, "confidence")}="",0,INDEX(Conf_prob,MATCH({t.cell(i, "confidence")},Conf_level,0)))',
                     lambda i, d: prob[revs[i].confidence] if i < len(revs) else 0.0, s.calc_pct),
            "expected": (lambda i: f"{t.cell(i, 'amount')}*{t.cell(i, 'prob')}",
                         lambda i, d: revs[i].amount(1) * prob[revs[i].confidence] if i < len(revs) else 0.0, s.calc_money),
        })
        self.rev = t

    # ------------------------------------------------------------------ calculations

    def _calculations(self) -> None:
        """Every SPEC output as a formula under its defined name, section by section, then the function table."""
        b, ws, sw = self.book, self.ws[CALC], self.w.sheet("calculations")
        ws.set_column(0, 0, 44)
        ws.set_column(1, 5, 16)
        ws.set_column(CALC_NAME_COL, CALC_NAME_COL, 50)
        sheet_title(b, ws, sw)
        master_banner(b, ws, BANNER_ROW, 0, self.status)
        f = Form(b, ws, row=OUTPUT_TOP, value_col=1)
        for n, (heading, lines) in enumerate(self._calc_sections()):
            self._calc_section(f, heading, lines, gap=0 if n == 0 else 1)
        ws.set_h_pagebreaks([f.row])  # the function table and the true indirect rate print together
        self._function_table(f)
        # the direct functions summed, not FC_TotalExpenses less operations: where every cost is operations
        # that difference is a rounding residue the rate would divide by (generator.model.full_cost)
        direct = "+".join(f"FC_Function_{fid}" for fid in self.content.function_ids if fid != INDIRECT_FUNCTION) or "0"
        self._calc_section(f, "indirect", [
            CalcLine("FC_IndirectRate", f"IF({direct}=0,0,FC_Function_{INDIRECT_FUNCTION}/({direct}))", "out_pct"),
            CalcLine("FC_IndirectCap", "In_IndirectCap", "calc_pct0"),
        ])
        print_setup(ws, self.org_name)

    def _calc_sections(self) -> list[tuple[str, list[CalcLine]]]:
        """The result lines above the function table, as data: (heading key, lines)."""
        fu = self.lists
        streams = [CalcLine(f"FC_Revenue_{k}", f"SUMIF(Rev_stream,{fu.cell('Streams', k)},Rev_expected)") for k in self.content.stream_ids]
        return [
            ("area1", AREA1_LINES),
            ("areas", [AREA_LINES[name] for _, name in AREAS[1:]]),
            ("full_cost", [CalcLine("FC_Total", full_cost_sum(), "out_money"), *TOTAL_LINES]),
            ("revenue", [REVENUE_LINE, *streams, GAP_LINE]),
        ]

    def _calc_section(self, f: Form, heading: str, lines: Sequence[CalcLine], gap: int = 1) -> None:
        """A heading, then each line: label, formula under its name (with the model's value), the name beside it."""
        sw = self.w.sheet("calculations")
        f.heading(sw.heading(heading), gap=gap)
        for line in lines:
            r = f.formula(self._calc_label(line.name), line.name, line.formula, self.model[line.name], getattr(self.s, line.style))
            self.book.text(self.ws[CALC], r, CALC_NAME_COL, line.name, self.s.subtitle)

    def _calc_label(self, name: str) -> str:
        """A result's label: its own line in the words, or "of which <stream>" for a stream's revenue."""
        sw = self.w.sheet("calculations")
        if name.startswith("FC_Revenue_"):
            return sw.word("of_which", stream=self.lists.label("Streams", name.removeprefix("FC_Revenue_")))
        return sw.line(name).label

    def _function_table(self, f: Form) -> None:
        """Cost by function: personnel by time shares, direct costs, and a share of the shared pool."""
        b, s, ws, sw = self.book, self.s, self.ws[CALC], self.w.sheet("calculations")
        f.heading(sw.heading("functions"), gap=0)
        f.note(sw.note_text("functions"))
        fcosts = function_costs(self.p, self.content)
        t = Table(CALC, "Func", f.row, 0, [
            Column("label", sw.column("label").header, 44, "calc_text", is_input=False),
            Column("personnel", sw.column("personnel").header, 16, "calc_money0", is_input=False),
            Column("direct", sw.column("direct").header, 16, "calc_money0", is_input=False),
            Column("shared", sw.column("shared").header, 16, "calc_money0", is_input=False),
            Column("total", sw.column("total").header, 16, "out_money", is_input=False),
        ], len(self.content.function_ids))
        for c in t.columns:
            b.text(ws, t.top, t.col(c.key), c.header, s.th)
        after = t.last + 1
        # totals rows under the table: personnel total and shared pool
        b.text(ws, after, 0, sw.word("personnel_total"), s.label)
        b.formula(ws, after, 1, f"SUM({t.ref('personnel')})", sum(fcosts.personnel.values()), s.calc_money0)
        b.define_cell("Calc_PersonnelTotal", CALC, after, 1)
        b.text(ws, after + 1, 0, sw.word("shared_pool"), s.label)
        b.formula(ws, after + 1, 1, "SUMIF(Exp_function,Label_Shared,Exp_amount)+SUMIF(Unf_function,Label_Shared,Unf_amount)+FC_Depreciation",
                  fcosts.shared, s.calc_money0)
        b.define_cell("Calc_SharedPool", CALC, after + 1, 1)
        for i, fid in enumerate(self.content.function_ids):
            self._function_row(t, i, fid, fcosts)
        b.define("Calc_FunctionTotals", t.ref("total"))
        f.row = after + 3
        self.func_table = t

    def _function_row(self, t: Table, i: int, fid: str, fcosts: FunctionCosts) -> None:
        """One function's row of the function table, its total under FC_Function_<id>."""
        b, s, ws, fu = self.book, self.s, self.ws[CALC], self.lists
        r = t.row(i)
        b.formula(ws, r, t.col("label"), fu.cell("Functions", fid), fu.label("Functions", fid), s.calc_text)
        b.formula(ws, r, t.col("personnel"), f"SUMPRODUCT(Staff_cost,Staff_share_{fid})", fcosts.personnel[fid], s.calc_money0)
        b.formula(ws, r, t.col("direct"), f"SUMIF(Exp_function,{t.cell(i, 'label')},Exp_amount)+SUMIF(Unf_function,{t.cell(i, 'label')},Unf_amount)",
                  fcosts.direct[fid], s.calc_money0)
        alloc = fcosts.total[fid] - fcosts.personnel[fid] - fcosts.direct[fid]
        b.formula(ws, r, t.col("shared"),
                  f"IF(Calc_PersonnelTotal=0,IF({t.cell(i, 'label')}=Label_Operations,Calc_SharedPool,0),Calc_SharedPool*{t.cell(i, 'personnel')}/Calc_PersonnelTotal)",
                  alloc, s.calc_money0)
        name = f"FC_Function_{fid}"
        b.formula(ws, r, t.col("total"), f"{t.cell(i, 'personnel')}+{t.cell(i, 'direct')}+{t.cell(i, 'shared')}", self.model[name], s.out_money)
        b.define_cell(name, CALC, r, t.col("total"))
        b.text(ws, r, CALC_NAME_COL, name, s.subtitle)

    # ------------------------------------------------------------------ checks

    def _all_checks_pass(self) -> bool:
        """The cached master check: a blank workbook fails its identity checks until filled in."""
        return not self.blank

    @property
    def status(self) -> Status:
        """The master status every output sheet shows (three states, SPEC 5)."""
        return Status("FC_Checks_OK", "FC_Complete", self._all_checks_pass(), bool(self.model["FC_Complete"]),
                      STAFF, EXP, self.w.sheet("status"))

    def _checks(self) -> None:
        """The workbook's checks (each TRUE when it passes), the master check and the FTE limit."""
        ok = not self.blank
        fids = self.content.function_ids
        # COUNTA-COUNT: the non-empty cells that hold no number (no function over a range inside SUMPRODUCT)
        text_cols = [f"COUNTA({nm})-COUNT({nm})" for nm in
                     ["Staff_fte", "Staff_salary", "Exp_amount", "Rev_amount", "Unf_amount", "FA_amount", "Debt_amount",
                      "CC_amount", "CC_years", *[f"Staff_share_{f}" for f in fids]]]
        checks = [  # (key of its words, formula, cached result, where to look): after the shared ones
            ("cost_no_title", 'SUMPRODUCT((Staff_title="")*(Staff_cost<>0))=0', True, STAFF),
            ("in_kind_flag", 'SUMPRODUCT((Staff_in_kind<>"")*(Staff_in_kind<>Flag_Yes)*(Staff_in_kind<>INDEX(List_YesNo,2)))=0', True, STAFF),
            ("expense_complete", 'SUMPRODUCT((Exp_amount<>0)*((Exp_name="")+(Exp_category="")+(Exp_function="")))=0', True, EXP),
            ("unfunded_function", 'SUMPRODUCT((Unf_amount<>0)*(Unf_function=""))=0', True, FULL),
            ("revenue_complete", 'SUMPRODUCT((Rev_amount<>0)*((Rev_stream="")+(Rev_confidence="")))=0', True, REV),
            ("build_years", "AND(In_WCBuild>=1,In_ResBuild>=1)", True, FULL),
            ("change_capital_years", "SUMPRODUCT((CC_amount<>0)*(CC_years<1))=0", True, FULL),
            ("text_in_numbers", "+".join(text_cols) + "=0", True, "Staffing, Expenses, Revenue, Full Cost"),
            ("cash_out", "ABS(SUM(FC_CF_Out)-FC_CashOpex)<=Chk_Tolerance*MAX(1,ABS(FC_CashOpex))", True, CASH),
            ("revenue_timing", "SUM(CF_Rev_problem)=0", True, CASH),
            ("payment_months", "SUM(CF_Exp_problem)=0", True, CASH),
            ("wc_method", "ISNUMBER(MATCH(In_WCMethod,List_WCMethods,0))", True, FULL),
            ("function_totals", "ABS(SUM(Calc_FunctionTotals)-FC_TotalExpenses)<=Chk_Tolerance*MAX(1,ABS(FC_TotalExpenses))", True, CALC),
            ("areas_total", f"ABS({full_cost_sum()}-FC_Total)<=Chk_Tolerance*MAX(1,ABS(FC_Total))",
                  True, CALC),
        ]
        sw = self.w.sheet("full_cost_checks")
        self.checks = basic_checks(self.w, self.blank, STAFF) + [
            Check(sw.check(key).text, formula, value, where) for key, formula, value, where in checks]
        ws = self.ws[CHECKS]
        write_checks(self.book, ws, self.checks, "FC_Checks_OK", self.org_name,
                     ("FC_Complete", 'COUNTIF(Staff_fte,">0")+COUNTIF(Exp_amount,">0")>0', bool(self.model["FC_Complete"]),
                      sw.word("complete")), self.w)

    # ------------------------------------------------------------------ outputs

    def _full_cost_results(self) -> None:
        """The six areas at the top of the Full Cost sheet, beside their explanations."""
        b, s, ws, sw = self.book, self.s, self.ws[FULL], self.w.sheet("full_cost")
        at = self.areas
        heads = {A_LABEL: sw.column("area").header, A_VALUE: sw.column("this_year").header, A_WHAT: sw.column("what").header}
        for col in range(A_LABEL, A_WHAT + 1):
            b.text(ws, at.head, col, heads.get(col, ""), s.th)
        for n, ((area_id, name), r) in enumerate(zip(AREAS, at.rows), start=1):
            item = self.content.by_id(self.content.areas, area_id)
            b.text(ws, r, A_LABEL, f"{n}. {item.label}", s.label)
            b.formula(ws, r, A_VALUE, name, self.model[name], s.calc_money0)
            b.text(ws, r, A_WHAT, item.text("what"), s.note)
            fit_row(ws, r, [(item.text("what"), column_width(ws, A_WHAT))])
        b.text(ws, at.total, A_LABEL, sw.word("total"), s.label_b)
        b.formula(ws, at.total, A_VALUE, "FC_Total", self.model["FC_Total"], s.out_money)

    def _summary(self) -> None:
        """The results in plain words, the chart data, then the charts from a new page."""
        b, s, ws, sw = self.book, self.s, self.ws[SUMMARY], self.w.sheet("summary")
        for col, width in SUMMARY_WIDTHS.items():
            ws.set_column(col, col, width)
        b.text(ws, TITLE_ROW, S_LABEL, sw.title, s.title)
        b.formula(ws, NOTE_ROW, S_LABEL, 'IF(In_OrgName="","",In_OrgName&IF(Org_FYLabel="",""," · "&Org_FYLabel))',
                  "" if self.blank else f"{self.org_name} · FY{self.p.organization.first_fy}", s.subtitle)
        master_banner(b, ws, BANNER_ROW, S_LABEL, self.status)
        self._headline(ws, sw)
        rows = Rows(OUTPUT_TOP)  # each part below the one above
        r = rows.take()
        b.text(ws, r, S_LABEL, sw.heading("plain"), s.h)
        b.blank(ws, r, S_FIGURE, s.h)
        b.blank(ws, r, S_NOTE, s.h)
        for line in SUMMARY_LINES:
            self._summary_line(rows.take(), line)
        rows.skip(GAP)
        data_top = rows.row
        tables = self._chart_data(rows)
        # the charts under the tables, two a row, from a new page: the page prints near full size
        ws.set_h_pagebreaks([data_top, rows.row])  # the chart data on a page of its own, never split from its heading
        self._charts(ws, tables, rows.row)
        print_setup(ws, self.org_name)

    def _headline(self, ws: Any, sw: SheetWords) -> None:
        """With the status, the finding a short month is (SPEC 6.1: a finding, not a failed check)."""
        m, start = self.model, None if self.blank else self.p.organization.fiscal_year_start
        from .cash_flow import formula_of, month_label
        n, first = int(m["FC_CF_ShortMonths"]), int(m["FC_CF_FirstShortMonth"])
        cached = sw.word("finding_short", month=month_label(start, first), n=n) if m["FC_Complete"] and n else ""
        words = formula_of(sw.word("finding_short"), {"month": "INDEX(CF_Months,1,FC_CF_FirstShortMonth)", "n": 'TEXT(FC_CF_ShortMonths,"0")'})
        # on the row under the status (whose words run on across the columns to its right)
        self.book.formula(ws, BANNER_ROW + 1, S_LABEL, f'IF(AND(FC_Complete,FC_CF_ShortMonths>0),{words},"")', cached, self.s.label_b)

    def _summary_line(self, r: int, line: SummaryLine) -> None:
        """A result in words: the label, the figure under its name, and a note (text, or a live verdict)."""
        b, s, ws, m, sw = self.book, self.s, self.ws[SUMMARY], self.model, self.w.sheet("summary")
        words = sw.line(line.name)
        b.text(ws, r, S_LABEL, words.label, s.wrap)
        value = m["FC_CF_Position"][-1] if line.name == "CF_YearResult" else m[line.name]
        b.formula(ws, r, S_FIGURE, line.name, value, getattr(s, line.style))
        wc, na = self.p.full_cost.working_capital, self.status.not_applicable
        live = ""  # words a formula writes: as tall as the words of today's figures and room for larger ones
        if words.note:
            b.text(ws, r, S_NOTE, words.note, s.note)
        elif line.name == "FC_CF_TimingNeed":
            from .cash_flow import plain_words
            live = plain_words(m, wc.months, self.w.sheet("cash_flow"), wc.method)
            b.formula(ws, r, S_NOTE, "CF_PlainWords", live, s.calc_wrap)
        elif line.name == "CF_YearResult":
            live = self.cash_words.year(m)
            b.formula(ws, r, S_NOTE, "CF_YearWords", live, s.calc_wrap)
        elif line.name == "FC_CF_ShortMonths":
            live = self.cash_words.cash(m)
            b.formula(ws, r, S_NOTE, "CF_CashWords", live, s.calc_wrap)
        elif line.name == "FC_Gap":
            self._verdict(r, "FC_Gap>0", m["FC_Gap"] > 0, sw.word("shortfall"), sw.word("covered"))
        else:
            self._verdict(r, "FC_IndirectRate>FC_IndirectCap", m["FC_IndirectRate"] > m["FC_IndirectCap"], sw.word("above_cap"),
                          sw.word("within_cap"))
        notes = [words.note] if words.note else [live + " $000,000"] if live else \
            [na, sw.word("shortfall"), sw.word("covered"), sw.word("above_cap"), sw.word("within_cap")]
        fit_row(ws, r, [(words.label, SUMMARY_WIDTHS[S_LABEL])] + [(t, SUMMARY_WIDTHS[S_NOTE]) for t in notes])

    def _verdict(self, r: int, test: str, holds: bool, yes: str, no: str) -> None:
        """A note that reads the figures (not applicable until the workbook is complete)."""
        na = self.status.not_applicable
        cached = na if not self.model["FC_Complete"] else yes if holds else no
        self.book.formula(self.ws[SUMMARY], r, S_NOTE,
                          f'IF(NOT(FC_Complete),"{quoted(na)}",IF({test},"{quoted(yes)}","{quoted(no)}"))', cached, self.s.calc_wrap)

    def _chart_tables(self) -> list[tuple[str, list[tuple[str, str, Any]]]]:
        """The data of the four Summary charts: (chart key, [(label, defined name, value)])."""
        m, c, fu, sw = self.model, self.content, self.lists, self.w.sheet("summary")
        return [
            ("by_area", [(f"{c.by_id(c.areas, a).label}", n, m[n]) for a, n in AREAS]),
            ("by_function", [(fu.label("Functions", f), f"FC_Function_{f}", m[f"FC_Function_{f}"]) for f in c.function_ids]),
            ("revenue", [(fu.label("Streams", k), f"FC_Revenue_{k}", m[f"FC_Revenue_{k}"]) for k in c.stream_ids]
             + [(sw.word("all_streams"), "FC_ExpectedRevenue", m["FC_ExpectedRevenue"]), (sw.word("cash_need"), "FC_CashNeed", m["FC_CashNeed"])]),
            ("indirect", [(sw.word("true_rate"), "FC_IndirectRate", m["FC_IndirectRate"]), (sw.word("cap"), "FC_IndirectCap", m["FC_IndirectCap"])]),
        ]

    def _chart_data(self, rows: Rows) -> list[ChartData]:
        """The chart tables, each a heading, its rows and a blank row, from the cursor on; returns where each one went."""
        b, s, ws = self.book, self.s, self.ws[SUMMARY]
        tables = []
        for key, lines in self._chart_tables():
            r = rows.take()
            # the heading is the chart's title: until the workbook is filled in, it says the chart waits for data
            sw = self.w.sheet("summary")
            title, waiting = sw.heading(key), sw.word("waiting", title=sw.heading(key))
            b.formula(ws, r, S_LABEL, f'IF(FC_Complete,"{quoted(title)}","{quoted(waiting)}")',
                      title if self.model["FC_Complete"] else waiting, s.h)
            b.blank(ws, r, S_FIGURE, s.h)
            first = rows.row
            for label, name, value in lines:
                r = rows.take()
                b.text(ws, r, S_LABEL, label, s.label)
                b.formula(ws, r, S_FIGURE, name, value, s.calc_pct0 if "Indirect" in name else s.calc_money0)
            tables.append(ChartData(key, first, rows.row - 1, [(label, float(value)) for label, _, value in lines]))
            rows.skip(GAP)
        return tables

    def _alt_text(self, data: ChartData) -> str:
        """What a Summary chart shows, in words: not its figures, which go stale after the first edit."""
        sw, key = self.w.sheet("summary"), data.key
        return sw.word("alt_chart", title=sw.heading(key).lower()) + sw.word("alt_current")

    def _charts(self, ws: Any, tables: list[ChartData], top: int) -> None:
        """The four Summary charts, two a row from row `top` (under the chart data), each with alt text."""
        wb = self.book.wb
        for n, data in enumerate(tables):
            key, first, last = data.key, data.first, data.last
            kind, colour = SUMMARY_CHARTS[key]
            title = self.w.sheet("summary").heading(key)
            chart = wb.add_chart({"type": kind})
            points = None
            if key == "revenue":  # the two totals stand apart from the streams
                points = [None] * (len(data.points) - 2) + [{"fill": {"color": PALETTE[5]}},
                                                        {"pattern": {"pattern": "wide_upward_diagonal", "fg_color": PALETTE[1], "bg_color": "#FFFFFF"},
                                                         "border": {"color": PALETTE[1]}}]
            chart.add_series({
                "name": title,
                "categories": [SUMMARY, first, S_LABEL, last, S_LABEL],
                "values": [SUMMARY, first, S_FIGURE, last, S_FIGURE],
                "fill": {"color": colour},
                "points": points,
                "data_labels": {"value": True, "num_format": "0%" if key == "indirect" else MONEY},
            })
            chart.set_title({"name": [SUMMARY, data.title_row, S_LABEL], "name_font": {"size": 11}})
            chart.set_legend({"none": True})
            if key == "indirect":
                chart.set_y_axis({"num_format": "0%", "min": 0})
            else:
                (chart.set_x_axis if kind == "bar" else chart.set_y_axis)({"num_format": AXIS_MONEY})
            if kind == "bar":  # list the categories top-down, as in the table
                chart.set_y_axis({"reverse": True})
            chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
            across = n % CHARTS_PER_ROW
            ws.insert_chart(top + (n // CHARTS_PER_ROW) * CHART_ROW_PITCH, S_LABEL, chart,
                            {"x_offset": CHART_X_OFFSET + across * (CHART_WIDTH + CHART_SPACING), "y_offset": CHART_Y_OFFSET,
                             "description": self._alt_text(data)})

    def _guide(self) -> None:
        """The Guide sheet, with this workbook's reference lists (areas, functions, structures ...)."""
        c, w = self.content, self.w.sheet("guide_reference")
        reference = [
            (w.heading("areas"), [(a.label, w.word("area", what=a.text("what"), how=a.text("how_to_estimate"))) for a in c.areas]),
            (w.heading("functions"), [(fn.label, w.word("function", covers=fn.text("covers"), roles=", ".join(fn.bullets("typical_roles"))))
                                      for fn in c.functions]),
            (w.heading("structures"), [(st.label, st.text("description")) for st in c.structures]),
            (w.heading("streams"), [(sm.label, sm.text("description")) for sm in c.streams]),
            (w.heading("categories"), [(cat.label, cat.text("help")) for cat in c.categories]),
            (w.heading("levels"), [(lv.label, lv.text("help")) for lv in c.levels]),
        ]
        write_guide(self.book, self.ws[GUIDE], c, "full_cost", self.org_name, reference)

    def _start_here(self) -> None:
        """The Start Here page, listing this workbook's sheets and the master status."""
        write_start_page(self.book, self.ws[START], self.content, "full_cost", SHEETS,
                         self.org_name, self.status)


def build_full_cost(p: Partnership, path: Path, content: Content | None = None, capacity: Capacity | None = None,
                    password: str | None = None, blank: bool = False, build_time: dt.datetime | None = None,
                    partnership_id: str | None = None, base: dict[str, Any] | None = None) -> dict[str, str]:
    """Write the Full Cost Workbook for a partnership; returns its defined names.

    `build_time` is recorded in the metadata when given; without it the same data gives a
    byte-identical file. `base` is the data file recorded as the inputs it was built with
    (default: `p`'s own; `upgrade` passes the old workbook's record).
    """
    builder = FullCostBuilder(p, Path(path), content, capacity, password, blank, build_time, partnership_id)
    builder.base = base
    return builder.build()
