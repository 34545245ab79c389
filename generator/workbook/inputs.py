"""The input sheets both workbooks share, declared once, and the one writer that lays them out.

Organization is `common.write_organization`. Here are the rates, the confidence table, the
columns that Staffing, Expenses and Revenue have in both workbooks (each workbook adds its own
columns after them: the Full Cost Workbook a cost, the projections start and end years and a
Yes/No per scenario), the checks both make of them, and `write_input_sheet`, which lays out
any input-table sheet. A change here (a column, a width, a rule, a dropdown) reaches both
workbooks; the words come from the workbook's sheet words, the shared ones from
templates/content/sheets_shared.yaml.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..content import Item, SheetWords, Words
from .common import (CHARS_PER_WIDTH, MAX_FTE, NOTE_ROW, Check, Form, column_width, fit_row, number_rule, print_filled, print_setup, sheet_title,
                     worded_dropdown, write_table)
from .layout import Book, Column, Table, hide_column

ORG, ASSUME = "Organization", "Assumptions"


@dataclass(frozen=True)
class Col:
    """A table column as data; its header and input message are the sheet words' `columns.<key>`.

    kind: "" free input with its message; "list" a dropdown from the Lists range `choices` (its
    message comes with the dropdown); "calc" calculated (locked, no message); "decimal" or
    "integer" a number from `low` to `high` (None: no limit); "year" a projection year (the
    workbook gives the rule, as only it knows the horizon).
    """

    key: str
    width: float
    style: str
    kind: str = ""
    low: float | None = None
    high: float | None = None
    choices: str = ""


#: A rule for a "year" column: (input title, input message) -> validation options.
YearRule = Callable[[str, str], dict[str, Any]]


def column(words: SheetWords, spec: Col, name: str = "", year_rule: YearRule | None = None, **values: Any) -> Column:
    """The table column `spec` declares, worded by `words` (`name`: the table's column key when it
    differs from the words' key, e.g. one column per function; {placeholders} filled from `values`)."""
    text = words.column(spec.key, **values)
    header, help_, title = text.header, text.help, text.title or text.header
    key = name or spec.key
    if spec.kind == "calc":
        return Column(key, header, spec.width, spec.style, is_input=False)
    if spec.kind in ("decimal", "integer"):
        return Column(key, header, spec.width, spec.style, "", number_rule(spec.kind, spec.low, spec.high, title, help_))
    if spec.kind == "year":
        if year_rule is None:
            raise ValueError(f"column {spec.key!r} is a projection year: give its rule")
        return Column(key, header, spec.width, spec.style, "", year_rule(title, help_))
    return Column(key, header, spec.width, spec.style, "" if spec.kind == "list" else help_)


def columns(words: SheetWords, specs: Sequence[Col], year_rule: YearRule | None = None) -> list[Column]:
    """The columns of `specs`, in order."""
    return [column(words, spec, year_rule=year_rule) for spec in specs]


def source_note(words: Words) -> Column:
    """The unlocked "Source or note" column every input table ends with: where a number came from."""
    text = words.shared_column("note")
    return Column("note", text.header, 22, "in_wrap", text.help)   # wraps in its width: a long note must not widen the table off the page


# ----------------------------------------------------------------------------- the shared sheets

#: Staffing's first columns in both workbooks; then one SHARE column per function and SHARE_TOTAL.
STAFF_COLUMNS = (
    Col("title", 30, "in_text"),
    Col("fte", 7, "in_dec", "decimal", 0, MAX_FTE),
    Col("salary", 13, "in_money", "decimal", 0),
    Col("in_kind", 8, "in_flag", "list", choices="List_YesNo"),
)
#: A function's share of a position's time (words: {function}, {function_lc}).
SHARE = Col("share", 11, "in_pct", "decimal", 0, 1)
#: The shares' total, flagged red unless 100% (see flag_share_totals).
SHARE_TOTAL = Col("share_total", 9, "calc_pct", "calc")

#: Expenses' first columns in both workbooks.
EXPENSE_COLUMNS = (
    Col("name", 34, "in_text"),
    Col("category", 24, "in_text", "list", choices="List_Categories"),
    Col("amount", 13, "in_money", "decimal", 0),
    Col("function", 28, "in_text", "list", choices="List_FunctionsShared"),
    Col("in_kind", 8, "in_flag", "list", choices="List_YesNo"),
)

#: Revenue's first columns in both workbooks (then a year-1 amount, or one amount per year).
REVENUE_COLUMNS = (
    Col("name", 36, "in_text"),
    Col("stream", 24, "in_text", "list", choices="List_Streams"),
    Col("confidence", 13, "in_text", "list", choices="List_Levels"),
    Col("restricted", 11, "in_flag", "list", choices="List_YesNo"),
)

def staff_columns(words: SheetWords, functions: Sequence[Item]) -> list[Column]:
    """Staffing's shared columns: STAFF_COLUMNS, a share per function, and the shares' total."""
    shares = [column(words, SHARE, f"share_{fn.id}", function=fn.label, function_lc=fn.label.lower()) for fn in functions]
    return columns(words, STAFF_COLUMNS) + shares + columns(words, (SHARE_TOTAL,))


#: The confidence table on Assumptions (Conf): each level and its probability.
CONFIDENCE_COLUMNS = (
    Col("level", 34, "calc_text", "calc"),
    Col("prob", 14, "in_pct", "decimal", 0, 1),
)


@dataclass(frozen=True)
class Rate:
    """A rate on Assumptions: its words' line key, defined name, style and limits."""

    key: str
    name: str
    style: str
    low: float | None
    high: float | None


#: The rates both workbooks carry, in order, so that the two agree.
RATES = (
    Rate("benefits_rate", "In_BenefitsRate", "in_pct", 0, 2),
    Rate("salary_growth", "In_SalaryGrowth", "in_pct", -0.5, 1),
    Rate("expense_inflation", "In_ExpenseInflation", "in_pct", -0.5, 1),
    Rate("indirect_cap", "In_IndirectCap", "in_pct", 0, 1),
)


def rate_values(p: Any) -> dict[str, float]:
    """Each shared rate's value in the partnership file."""
    a = p.assumptions
    return {"benefits_rate": a.benefits_rate, "salary_growth": a.salary_growth,
            "expense_inflation": a.expense_inflation, "indirect_cap": a.funder_indirect_cap}


def write_rates(f: Form, words: SheetWords, rates: Sequence[Rate], values: dict[str, float],
                side_note: Callable[[int, str], None] | None = None) -> None:
    """One validated input line per rate at the Form cursor: label, value, unit and note (the note
    wraps in the note column, or `side_note` writes it, where that column is narrow)."""
    for rate in rates:
        line = words.line(rate.key)
        rule = number_rule("decimal", rate.low, rate.high, line.title or line.label, line.help)
        row = f.number(line.label, rate.name, values[rate.key], getattr(f.book.styles, rate.style), rule, line.unit,
                       "" if side_note else line.note)
        if side_note:
            side_note(row, line.note)


#: The checks both workbooks make of the shared sheets, in order: (words key, formula, where to look
#: ("" the workbook's Staffing sheet), whether a blank workbook fails it). Their words are
#: sheets_shared.yaml's `basic_checks`.
BASIC_CHECKS = (
    ("org_name", "LEN(In_OrgName)>0", ORG, True),
    ("structure", "ISNUMBER(MATCH(In_Structure,List_Structures,0))", ORG, True),
    ("fy_start", "ISNUMBER(In_FYStart)", ORG, True),
    ("shares", 'SUMPRODUCT((Staff_title<>"")*((Staff_share_total-1>Chk_Tolerance)+(1-Staff_share_total>Chk_Tolerance)))=0',
     "", False),
    ("fte", 'SUMPRODUCT((Staff_title<>"")*((Staff_fte<=0)+(Staff_fte>Chk_MaxFTE)))=0', "", False),
    ("probabilities", "SUMPRODUCT((Conf_prob<0)+(Conf_prob>1))=0", ASSUME, False),
)


def basic_checks(words: Words, blank: bool, staff_sheet: str) -> list[Check]:
    """The shared checks as the first lines of the Checks sheet (the Organization ones fail until it
    is filled in)."""
    sw = words.sheet("basic_checks")
    return [Check(sw.check(key).text, formula, not (blank and blank_fails), where or staff_sheet)
            for key, formula, where, blank_fails in BASIC_CHECKS]


def flag_share_totals(book: Book, ws: Worksheet, t: Table) -> None:
    """Red when a position with a title has shares that do not add up to 100%."""
    c_title, c_tot = t.col("title"), t.col("share_total")
    ws.conditional_format(t.first, c_tot, t.last, c_tot, {
        "type": "formula",
        "criteria": f'=AND({xl_rowcol_to_cell(t.first, c_title, col_abs=True)}<>"",'
                    f'ABS({xl_rowcol_to_cell(t.first, c_tot)}-1)>Chk_Tolerance)',
        "format": book.styles.cf_fail_share})


def dropdowns(specs: Sequence[Col]) -> list[tuple[str, str, str]]:
    """(words key, list name, column key) of every dropdown column of `specs`."""
    return [(spec.key, spec.choices, spec.key) for spec in specs if spec.kind == "list"]


def write_dropdowns(book: Book, ws: Worksheet, t: Table, words: SheetWords, lists: Sequence[tuple[str, str, str]]) -> None:
    """A table's dropdowns (words key, list name, column key), each with its column's input message."""
    for key, choices, col in lists:
        worded_dropdown(book, ws, t, words, key, choices, col)


@dataclass
class InputSheet:
    """An input-table sheet as data: the table, its dropdowns (words key, list name, column key)
    and its header row's height (None: one line)."""

    table: Table
    dropdowns: Sequence[tuple[str, str, str]]
    header_height: float | None = None
    hidden: Sequence[str] = ()
    """Keys of helper columns the formulas read but a reader need not see (hidden, never printed)."""


def write_input_sheet(book: Book, ws: Worksheet, words: SheetWords, sheet: InputSheet, rows: Sequence[dict[str, Any]],
                      org_name: str, formulas: dict[str, Any] | None = None, live_headers: Sequence[str] = ()) -> None:
    """Title and note, the table with its rows, its dropdowns, the header kept in view and printed
    on every page, and the print area ending a few rows under the last one filled in."""
    t = sheet.table
    sheet_title(book, ws, words, note=False)
    write_table(book, ws, t, rows, formulas, live_headers)
    write_dropdowns(book, ws, t, words, sheet.dropdowns)
    for key in sheet.hidden:
        hide_column(ws, t.col(key))
    if sheet.header_height:
        ws.set_row(t.top, sheet.header_height)
    ws.freeze_panes(t.first, 1)
    if print_setup(ws, org_name, repeat_rows=(t.top, t.top)):
        # the columns print over pages with the first one repeated: the note wraps inside that column,
        # or its run past the column would be cut at the first page's edge and again on the next
        book.text(ws, NOTE_ROW, 0, words.note, book.styles.note)
        fit_row(ws, NOTE_ROW, [(words.note, column_width(ws, 0))])
    elif len(words.note) > CHARS_PER_WIDTH * sum(column_width(ws, c) for c in range(t.left + t.width)
                                                 if c not in getattr(ws, "hidden_cols", set())):
        # longer than the table is wide: run on, it would be cut at the print area's edge
        book.text(ws, NOTE_ROW, 0, words.note, book.styles.note)
        fit_row(ws, NOTE_ROW, [(words.note, column_width(ws, 0))])
    else:
        book.text(ws, NOTE_ROW, 0, words.note, book.styles.subtitle)
    print_filled(ws, t, len(rows))
