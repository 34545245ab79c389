"""Write a collected Portfolio as an .xlsx report (and CSV tables for analysts)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from ..content import load_content
from ..workbook.common import fit_row, print_setup
from ..workbook.layout import Book
from ..workbook.styles import PALETTE
from .collect import NOT_FILLED, Portfolio, months_warning

MONEY = "#,##0"
PCT = "0.0%"
#: Column-width units across a landscape page at the Portfolio's 70% print scale (as LibreOffice lays it out).
PORTFOLIO_PAGE_WIDTH = 175


HEADLINE = ["partnership", "structure", "status", "full_cost", "cash_need", "expected_revenue", "gap",
            "required_surplus_pct", "indirect_rate", "indirect_cap"]
HEADLINE_SCENARIO = ["EndCash", "MonthsCash", "CashWarning", "RunwayCash"]


def _first_scenario(scenarios: list[str]) -> str | None:
    return "base" if "base" in scenarios else (scenarios[0] if scenarios else None)


def column_groups(columns: list[str], scenarios: list[str]) -> list[tuple[str, list[str]]]:
    """The Portfolio's columns in logical groups, in order: the headline, the first scenario's cash,
    the full cost in detail, every other scenario, then who and which files (each group prints on
    its own pages, beside the partnership's name)."""
    sid = _first_scenario(scenarios)
    taken: set[str] = set()

    def group(cols: list[str]) -> list[str]:
        out = [c for c in cols if c in columns and c not in taken]
        taken.update(out)
        return out

    groups = [("Headline", group(HEADLINE))]
    if sid:
        groups.append((f"Scenario: {sid}", group([c for c in columns if c.startswith(f"{sid}_")])))
    groups.append(("Full cost in detail", group(["total_expenses", "fte", "indirect_above_cap"] + [c for c in columns if c.startswith("cost_")])))
    for other in scenarios:
        if other != sid:
            groups.append((f"Scenario: {other}", group([c for c in columns if c.startswith(f"{other}_")])))
    groups.append(("Partnership and files", group(["partnership_id", "region", "fiscal_year", "final_year", "missing", "files", "copies"])))
    rest = [c for c in columns if c not in taken]
    if rest:
        groups.append(("Other", rest))
    return [(name, cols) for name, cols in groups if cols]


def portfolio_frame(port: Portfolio) -> pd.DataFrame:
    """One row per partnership, the columns in logical groups, the headline first."""
    df = pd.DataFrame(port.rows)
    sid = _first_scenario(port.scenarios)
    head = [c for c in HEADLINE + ([f"{sid}_{w}" for w in HEADLINE_SCENARIO] if sid else []) if c in df]
    order = [c for _, cols in column_groups(list(df.columns), port.scenarios) for c in cols]
    return df[head + [c for c in order if c not in head]]


def headline_width(df: pd.DataFrame, scenarios: list[str]) -> int:
    """How many leading columns are the headline ones (the printed page shows those)."""
    sid = _first_scenario(scenarios)
    head = HEADLINE + ([f"{sid}_{w}" for w in HEADLINE_SCENARIO] if sid else [])
    return sum(1 for c in df.columns[: len(head)] if c in head)


def _months_column(df: pd.DataFrame, scenarios: list[str]) -> str | None:
    for sid in (["base"] if "base" in scenarios else []) + scenarios:
        col = f"{sid}_MonthsCash"
        if col in df:
            return col
    return None


#: Quartiles are shown for groups of at least this many partnerships (fewer: count and median only).
MIN_FOR_QUARTILES = 4


def _missing_reason(rec: dict[str, Any], col: str) -> str:
    """Why a partnership has no value for a measure."""
    if rec.get("status") == NOT_FILLED:
        return "returned without data"
    if col.endswith("MonthsCash"):
        if "final_year" not in rec or rec.get("final_year") != rec.get("final_year"):
            return "no Scenario Projections Tool returned"
        return "no expenses in the final year (months of cash undefined)"
    if "full_cost" not in rec or rec.get("full_cost") != rec.get("full_cost"):
        return "no Full Cost Workbook returned"
    return "no value"


def benchmarks_frame(port: Portfolio) -> pd.DataFrame:
    """Quartiles of the key measures across the portfolio, and by backbone structure.

    Partnerships returned without data are left out. A group of fewer than MIN_FOR_QUARTILES
    partnerships shows its count and median only. Every measure's count is given against the
    group's size, with the reason for any difference."""
    df = portfolio_frame(port)
    content = load_content()
    measures: list[tuple[str, str, str]] = [("full_cost", "Full cost", MONEY), ("cash_need", "Cash need", MONEY),
                                            ("fte", "FTE (year 1)", "0.0")]
    measures += [(f"cost_{f}", f"Cost: {content.label(content.functions, f)}", MONEY) for f in content.function_ids]
    measures += [("indirect_rate", "True indirect rate", PCT), ("required_surplus_pct", "Required surplus %", PCT),
                 ("timing_need", "Working capital timing needs (cash flow)", MONEY),
                 ("timing_months", "Timing need, months of cash spending", "0.0")]
    months = _months_column(df, port.scenarios)
    if months:
        sid = months[: -len("_MonthsCash")]
        measures.append((months, f"Months of cash, final year ({port.scenario_names.get(sid, sid)} scenario)", "0.0"))
    rows = []
    if "status" in df:
        df = df[df["status"] != NOT_FILLED]
    groups: list[tuple[str, pd.DataFrame]] = [("All partnerships", df)]
    if "structure" in df:
        groups += [(f"Structure: {s}", g) for s, g in df.groupby("structure", sort=True)]
    for group, g in groups:
        for col, label, fmt in measures:
            if col not in g:
                continue
            numeric = pd.to_numeric(g[col], errors="coerce")
            values = numeric.dropna()
            if values.empty:
                continue
            quartiles = values.size >= MIN_FOR_QUARTILES
            reasons: dict[str, int] = {}
            for rec, v in zip(g.to_dict("records"), numeric):
                if v != v:
                    why = _missing_reason(rec, col)
                    reasons[why] = reasons.get(why, 0) + 1
            note = "; ".join(f"{k} left out: {why}" for why, k in reasons.items())
            if not quartiles:
                note = "; ".join(x for x in (f"fewer than {MIN_FOR_QUARTILES} partnerships: count and median only", note) if x)
            median = values.median()
            if col.endswith("MonthsCash"):
                warn = months_warning(median)
                if warn:
                    note = "; ".join(x for x in (f"median {warn}", note) if x)
            rows.append({"group": group, "measure": label, "count": int(values.size), "of": int(len(g)),
                         "p25": values.quantile(0.25) if quartiles else None, "median": median,
                         "p75": values.quantile(0.75) if quartiles else None, "note": note, "format": fmt})
    return pd.DataFrame(rows, columns=["group", "measure", "count", "of", "p25", "median", "p75", "note", "format"])


def problems_frame(port: Portfolio) -> pd.DataFrame:
    return pd.DataFrame(port.problems, columns=["file", "used", "status", "reason"])


COLUMN_LABELS = {
    "partnership": "Partnership", "partnership_id": "Id", "region": "Region", "structure": "Backbone structure",
    "fiscal_year": "Fiscal year", "full_cost": "Full cost", "total_expenses": "Total expenses", "cash_need": "Cash need",
    "expected_revenue": "Expected revenue", "gap": "Gap (+ = shortfall)", "required_surplus_pct": "Required surplus %",
    "indirect_rate": "True indirect rate", "indirect_cap": "Funder cap", "indirect_above_cap": "Above cap?", "fte": "FTE",
    "timing_need": "Timing need (working capital)", "timing_months": "Timing need, months",
    "final_year": "Final year", "status": "Validation", "missing": "Missing workbook", "files": "Files",
    "copies": "Copies (the same inputs again, counted once)",
}


def _width(col: str) -> float:
    """Portfolio column width: names and files wide, months of cash wide enough for its warning words."""
    if col in ("partnership", "files", "copies", "structure") or col.endswith(("_CashWarning", "_MonthsCash")):
        return 28
    return 14


def _fmt_for(col: str) -> str | None:
    if col in ("required_surplus_pct", "indirect_rate", "indirect_cap"):
        return PCT
    if col.endswith("MonthsCash") or col.endswith("FTE") or col in ("fte", "timing_months"):
        return "0.0"
    if col in ("full_cost", "total_expenses", "cash_need", "expected_revenue", "gap", "timing_need") or col.startswith("cost_") or col.endswith("EndCash"):
        return MONEY
    return None


def _label(col: str, scenario_names: dict[str, str]) -> str:
    content = load_content()
    if col in COLUMN_LABELS:
        return COLUMN_LABELS[col]
    if col.startswith("cost_"):
        return f"Cost: {content.label(content.functions, col[5:])}"
    for sid in scenario_names:
        if col.startswith(f"{sid}_"):
            what = {"EndCash": "ending cash, final year", "MonthsCash": "months of cash, final year",
                    "CashWarning": "months of cash warning", "RunwayCash": "first year below zero",
                    "RunwayReserve": "first year below reserve target", "FTE": "FTE, year 1"}.get(col[len(sid) + 1:], col)
            return f"{scenario_names[sid]}: {what}"
    return col


def write_portfolio(port: Portfolio, path: Path, csv_dir: Path | None = None) -> None:
    """The Portfolio, Benchmarks and Problems sheets (and the same tables as CSV), written as a
    set (generator.fileio.write_set): all are renamed into place only when all were written, so
    a failure (a full disk included) leaves none of them half-written and none replaced."""
    from ..fileio import write_set
    from ..safecsv import write_rows

    df, bench, probs = portfolio_frame(port), benchmarks_frame(port), problems_frame(port)
    jobs: list[tuple[Path, Callable[[Path], object]]] = []

    def csv_writer(frame: pd.DataFrame) -> Callable[[Path], object]:
        return lambda tmp: write_rows(tmp, list(frame.columns), frame.itertuples(index=False, name=None))

    if csv_dir:
        for name, frame in (("portfolio.csv", df), ("benchmarks.csv", bench.drop(columns=["format"])), ("problems.csv", probs)):
            jobs.append((Path(csv_dir) / name, csv_writer(frame)))
    jobs.append((Path(path), lambda tmp: _write_book(port, tmp, df, bench, probs)))
    write_set(jobs)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _write_book(port: Portfolio, path: Path, df: pd.DataFrame, bench: pd.DataFrame, probs: pd.DataFrame) -> None:
    book = Book(str(path))
    s = book.styles
    wb = book.wb
    names = {sid: port.scenario_names.get(sid, sid) for sid in port.scenarios}
    fmts: dict[str | None, Any] = {}

    def fmt(num: str | None) -> Any:
        if num not in fmts:
            fmts[num] = wb.add_format({"font_name": "Calibri", "font_size": 10, **({"num_format": num} if num else {})})
        return fmts[num]

    # Portfolio
    ws = book.sheet("Portfolio")
    book.text(ws, 0, 0, "Portfolio: one row per partnership", s.title)
    book.text(ws, 1, 0, f"{len(df)} partnership(s) from {port.files_seen} file(s); {len(probs)} file(s) listed on Problems. "
                        "Numbers are recomputed by the toolkit's model from each workbook's inputs.", s.subtitle)
    cols = list(df.columns)
    for c, col in enumerate(cols):
        book.text(ws, 3, c, _label(col, names), s.th)
        ws.set_column(c, c, _width(col))
    for r, rec in enumerate(df.itertuples(index=False), start=4):
        for c, (col, value) in enumerate(zip(cols, rec)):
            if value is None or (isinstance(value, float) and value != value):
                continue
            if isinstance(value, bool):
                book.text(ws, r, c, "yes" if value else "no", fmt(None))
            elif _finite(value):
                book.number(ws, r, c, float(value), fmt(_fmt_for(col)))
            elif isinstance(value, (int, float)):  # an infinity: shown as text, never given to write_number
                book.text(ws, r, c, str(value), fmt(None))
            else:
                book.text(ws, r, c, str(value), fmt(None))
    ws.set_row(3, 45)
    for c, col in enumerate(cols):  # months of cash: red below two months, with words in the warning column
        if col.endswith("_MonthsCash") and len(df):
            ws.conditional_format(4, c, 3 + len(df), c, {"type": "cell", "criteria": "<", "value": 0, "format": s.cf_months_negative,
                                                         "stop_if_true": True})
            ws.conditional_format(4, c, 3 + len(df), c, {"type": "cell", "criteria": "<", "value": 2, "format": s.cf_months_low})
        if col.endswith("_CashWarning") and len(df):
            ws.conditional_format(4, c, 3 + len(df), c, {"type": "no_blanks", "format": s.cf_fail})
    ws.freeze_panes(4, 1)
    if len(df):
        ws.autofilter(3, 0, 3 + len(df), len(cols) - 1)

    # Benchmarks
    wsb = book.sheet("Benchmarks")
    book.text(wsb, 0, 0, "Benchmarks: quartiles across the portfolio", s.title)
    book.text(wsb, 1, 0, f"P25, median and P75 of each measure, for all partnerships and by backbone structure. Quartiles need at least "
                         f"{MIN_FOR_QUARTILES} partnerships: a smaller group shows its count and median.", s.subtitle)
    book.text(wsb, 2, 0, "Count is how many of the group's partnerships (Of) have the measure; Note says why any are left out. "
                         "Workbooks returned without data are left out (see Problems).", s.subtitle)
    heads = ["Group", "Measure", "Count", "Of", "P25", "Median", "P75", "Note"]
    for c, h in enumerate(heads):
        book.text(wsb, 3, c, h, s.th)
    wsb.set_column(0, 0, 34)
    wsb.set_column(1, 1, 44)
    wsb.set_column(2, 3, 8)
    wsb.set_column(4, 6, 17)
    wsb.set_column(7, 7, 38)
    for r, rec in enumerate(bench.itertuples(index=False), start=4):
        book.text(wsb, r, 0, rec.group, fmt(None))
        book.text(wsb, r, 1, rec.measure, fmt(None))
        book.number(wsb, r, 2, rec.count, fmt("0"))
        book.number(wsb, r, 3, rec.of, fmt("0"))
        for c, v in enumerate((rec.p25, rec.median, rec.p75), start=4):
            if not _finite(v):
                book.text(wsb, r, c, "", fmt(None))
            else:
                book.number(wsb, r, c, float(v), fmt(rec.format))
        book.text(wsb, r, 7, rec.note, s.wrap)
        fit_row(wsb, r, [(rec.note, 38)])
        if rec.measure.startswith("Months of cash"):
            wsb.conditional_format(r, 5, r, 5, {"type": "cell", "criteria": "<", "value": 0, "format": s.cf_months_negative,
                                                "stop_if_true": True})
            wsb.conditional_format(r, 5, r, 5, {"type": "cell", "criteria": "<", "value": 2, "format": s.cf_months_low})
    wsb.freeze_panes(4, 0)
    # charts, each over a small contiguous table to the right of the quartiles
    def chart_table(top: int, title: str, pairs: list[tuple[str, float]], colour: str) -> None:
        book.text(wsb, top, CT, title, s.h)
        book.blank(wsb, top, CT + 1, s.h)
        for i, (label, value) in enumerate(pairs, start=1):
            book.text(wsb, top + i, CT, label, fmt(None))
            if _finite(value):
                book.number(wsb, top + i, CT + 1, float(value), fmt(MONEY))
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": title, "categories": ["Benchmarks", top + 1, CT, top + len(pairs), CT],
                          "values": ["Benchmarks", top + 1, CT + 1, top + len(pairs), CT + 1], "fill": {"color": colour},
                          "data_labels": {"value": True, "num_format": "#,##0"}})
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"num_format": "#,##0"})
        chart.set_size({"width": 620, "height": 300})
        wsb.insert_chart(top, CT + 3, chart, {"description": f"Bar chart: {title.lower()}, "
                                                            + "; ".join(f"{lab} {val:,.0f}" for lab, val in pairs) + "."})

    CT = 9  # chart tables start here, right of the Note column
    wsb.set_column(CT, CT, 36)
    wsb.set_column(CT + 1, CT + 1, 14)
    struct = [(rec.group.removeprefix("Structure: "), rec.median) for rec in bench.itertuples(index=False)
              if rec.measure == "Full cost" and rec.group.startswith("Structure: ")]
    if struct:
        chart_table(3, "Median full cost by backbone structure", struct, PALETTE[0])
    funcs = [(rec.measure.removeprefix("Cost: "), rec.median) for rec in bench.itertuples(index=False)
             if rec.group == "All partnerships" and rec.measure.startswith("Cost: ")]
    if funcs:
        chart_table(20, "Median cost by function (all partnerships)", funcs, PALETTE[2])

    # Problems
    wsp = book.sheet("Problems")
    book.text(wsp, 0, 0, "Problems: files not used, or used with warnings", s.title)
    book.text(wsp, 1, 0, "Every file found is either part of a Portfolio row or listed here (or both, when used with warnings).", s.subtitle)
    for c, h in enumerate(["File", "Used?", "Status", "Reason"]):
        book.text(wsp, 3, c, h, s.th)
    wsp.set_column(0, 0, 60)
    wsp.set_column(1, 2, 16)
    wsp.set_column(3, 3, 120)
    for r, rec in enumerate(probs.itertuples(index=False), start=4):
        for c, v in enumerate(rec):
            book.text(wsp, r, c, str(v)[:32000], s.wrap if c == 3 else fmt(None))
    wsp.freeze_panes(4, 0)
    for sheet, header in ((ws, 3), (wsb, 3), (wsp, 3)):
        print_setup(sheet, "Partnership portfolio", repeat_rows=(header, header))
    # print every column, group by group: each group starts a new page, the partnership's name repeated
    ws.fit_page = 0  # a fixed scale: print_setup's fit-to-width would shrink every column onto one page
    ws.set_print_scale(70)
    ws.repeat_columns(0, 0)
    breaks, used, col = [], 28.0, 1
    for _, group_cols in column_groups(cols, port.scenarios):
        width = sum(_width(c) for c in group_cols if c != "partnership")
        if col > 1 and used + width > PORTFOLIO_PAGE_WIDTH:
            breaks.append(col)
            used = 28.0
        used += width
        col += len([c for c in group_cols if c != "partnership"])
    ws.set_v_pagebreaks(breaks)
    book.close({"title": "Partnership portfolio", "author": "Place-Based Partnerships Toolkit"})
