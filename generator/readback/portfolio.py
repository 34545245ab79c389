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
from xlsxwriter.utility import xl_rowcol_to_cell
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
    groups.append(("Change since the round before", group([c for c in columns if c == "change" or c.startswith("change_")])))
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
                 ("timing_months", "Timing need, months of cash spending", "0.0"),
                 ("short_months", "Months short of cash in year 1, with the working capital held", "0")]
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
    "short_months": "Months short of cash (year 1)", "first_short_month": "First month short of cash",
    "final_year": "Final year", "status": "Validation", "missing": "Missing workbook", "files": "Files",
    "copies": "Copies (the same inputs again, counted once)",
}


def _width(col: str) -> float:
    """Portfolio column width: names and files wide, months of cash wide enough for its warning words."""
    if col in ("partnership", "files", "copies", "structure") or col.endswith(("_CashWarning", "_MonthsCash")):
        return 28
    if col == "change":
        return 48
    return 14


def _fmt_for(col: str) -> str | None:
    if col in ("required_surplus_pct", "indirect_rate", "indirect_cap"):
        return PCT
    if col.endswith("MonthsCash") or col.endswith("FTE") or col in ("fte", "timing_months"):
        return "0.0"
    if col == "short_months":
        return "0"
    if col in ("full_cost", "total_expenses", "cash_need", "expected_revenue", "gap", "timing_need") or col.startswith("cost_") or col.endswith("EndCash"):
        return MONEY
    return None


def _label(col: str, scenario_names: dict[str, str], extra: dict[str, str] | None = None) -> str:
    content = load_content()
    if extra and col in extra:
        return extra[col]
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

    def csv_writer(frame: pd.DataFrame, formats: dict[str, str | None]) -> Callable[[Path], object]:
        return lambda tmp: write_rows(tmp, list(frame.columns), (tuple(_csv_value(v, formats.get(c)) for c, v in zip(frame.columns, rec))
                                                                 for rec in frame.itertuples(index=False, name=None)))

    if csv_dir:
        port_formats = {c: port.column_formats.get(c) or _fmt_for(c) for c in df.columns}
        bench_csv = bench.copy()
        for col in ("p25", "median", "p75"):   # each row has its own unit: money to cents, the rest to six decimals
            bench_csv[col] = [_csv_value(v, f) for v, f in zip(bench[col], bench["format"])]
        for name, frame, formats in (("portfolio.csv", df, port_formats), ("benchmarks.csv", bench_csv.drop(columns=["format"]), {}),
                                     ("problems.csv", probs, {})):
            jobs.append((Path(csv_dir) / name, csv_writer(frame, formats)))
    jobs.append((Path(path), lambda tmp: _write_book(port, tmp, df, bench, probs)))
    write_set(jobs)


def _csv_value(value: Any, fmt: str | None) -> Any:
    """A CSV cell: money rounded to cents, other numbers to six decimals (no 1464333.3333333335)."""
    if isinstance(value, bool) or not isinstance(value, float) or not math.isfinite(value):
        return value            # words, flags and counts as they are
    if fmt == MONEY:
        return round(float(value), 2)
    return round(float(value), 6)


def _breakable(path: str) -> str:
    """A file path with the places a spreadsheet wraps it (after / and -) as spaces, to count its lines."""
    return path.replace("/", "/ ").replace("\\", "\\ ").replace("-", "- ")


def funcs_any(bench: pd.DataFrame) -> bool:
    return any(m.startswith("Cost: ") for m in bench["measure"]) if len(bench) else False


def _cell(book: Book, ws: Any, r: int, c: int, value: Any, num: str | None, fmt: Callable[[str | None], Any]) -> None:
    """One value: a number in its format, yes/no for a flag, words otherwise; never an empty cell that looks filled."""
    if value is None or (isinstance(value, float) and value != value):
        book.text(ws, r, c, "", fmt(None))
    elif isinstance(value, bool):
        book.text(ws, r, c, "yes" if value else "no", fmt(None))
    elif _finite(value):
        book.number(ws, r, c, float(value), fmt(num))
    else:
        book.text(ws, r, c, str(value), fmt(None))


def _glance_columns(df: pd.DataFrame, port: Portfolio) -> list[str]:
    sid = _first_scenario(port.scenarios)
    want = ["partnership", "status", "full_cost", "gap", "cash_need", "expected_revenue", "indirect_rate"]
    if sid:
        want += [f"{sid}_EndCash", f"{sid}_MonthsCash", f"{sid}_CashWarning"]
    want += ["change"]
    return [c for c in want if c in df.columns]


def _write_glance(book: Book, ws: Any, df: pd.DataFrame, port: Portfolio, names: dict[str, str], words: dict[str, str],
                  fmt: Callable[[str | None], Any]) -> None:
    """One landscape page: a row per partnership, the figures a board asks about first."""
    s = book.styles
    sid = _first_scenario(port.scenarios)
    book.text(ws, 0, 0, words["glance_title"], s.title)
    book.text(ws, 1, 0, words["glance_note"].format(n=len(df), scenario=names.get(sid or "", sid or "-")), s.subtitle)
    cols = _glance_columns(df, port)
    for c, col in enumerate(cols):
        book.text(ws, 3, c, _label(col, names, port.column_labels), s.th)
        ws.set_column(c, c, {"partnership": 30, "change": 50}.get(col, 26 if col.endswith("CashWarning") else 13))
    ws.set_row(3, 45)
    figures = [c for c, col in enumerate(cols) if col not in ("partnership", "status", "change")]
    for r, rec in enumerate(df.to_dict("records"), start=4):
        empty = rec.get("status") in (words["not_returned"], NOT_FILLED)
        for c, col in enumerate(cols):
            value = rec.get(col)
            if empty and c in figures:
                continue
            if c in figures and not _finite(value) and (value is None or value != value):
                value = "" if col.endswith("CashWarning") else words["no_value"]
            if col in ("change", "partnership"):   # wrapped words (written once: a cell written twice leaves a stray shared-string count)
                book.text(ws, r, c, str(value or ""), s.wrap)
            else:
                _cell(book, ws, r, c, value, port.column_formats.get(col) or _fmt_for(col), fmt)
        if empty and figures:   # one statement across the figures it has none of, never empty cells that look filled
            why = words["not_returned_value"] if rec.get("status") == words["not_returned"] else words["without_data_value"]
            book.text(ws, r, figures[0], why, fmt(None))   # runs on over the empty figure cells beside it (no merge: screen readers and sorting trip on them)
        fit_row(ws, r, [(str(rec.get("change") or ""), 50), (str(rec.get("partnership") or ""), 30)])
    print_setup(ws, "Partnership portfolio", repeat_rows=(3, 3))
    ws.fit_to_pages(1, 1)


def _long_line(book: Book, ws: Any, row: int, text: str, wrap: Any) -> None:
    """A profile's line of words: wrapped in the first column, its row as tall as the words need
    (no merged cells: screen readers and sorting trip on them)."""
    book.text(ws, row, 0, text, wrap)
    fit_row(ws, row, [(_breakable(text), PROFILE_TEXT_WIDTH)])



#: width of a profile's first column, where its longer lines wrap
PROFILE_TEXT_WIDTH = 44


def _write_profiles(book: Book, ws: Any, df: pd.DataFrame, port: Portfolio, probs: pd.DataFrame, names: dict[str, str],
                    words: dict[str, str], fmt: Callable[[str | None], Any]) -> None:
    """A page per partnership: who it is, its headline figures, what changed, its status and its files' problems."""
    s = book.styles
    ws.set_column(0, 0, PROFILE_TEXT_WIDTH)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 40)
    figure_cols = [c for c in ("full_cost", "total_expenses", "cash_need", "expected_revenue", "gap", "required_surplus_pct",
                               "indirect_rate", "indirect_cap", "timing_need", "timing_months", "fte") if c in df.columns]
    for sid in port.scenarios:
        figure_cols += [c for c in (f"{sid}_EndCash", f"{sid}_MonthsCash", f"{sid}_RunwayCash") if c in df.columns]
    figure_cols += [c for c in df.columns if c.startswith("change_")]
    sent_by: dict[str, set[str]] = {}
    for res in port.results:
        if res.usable:
            sent_by.setdefault(res.partnership_id or res.org.get("name", ""), set()).add(res.path)
    r, breaks = 0, []
    for rec in df.to_dict("records"):
        if r:
            breaks.append(r)
        book.text(ws, r, 0, f"{words['profiles_title']}: {rec.get('partnership', '')}", s.title)
        r += 1
        who = "; ".join(str(rec.get(k)) for k in ("partnership_id", "region", "structure", "fiscal_year") if rec.get(k) not in (None, "") and rec.get(k) == rec.get(k))
        book.text(ws, r, 0, who, s.subtitle)
        r += 2
        book.text(ws, r, 0, words["profile_status"], s.h)
        book.blank(ws, r, 1, s.h)
        r += 1
        status = str(rec.get("status") or "")
        missing = rec.get("missing")
        if missing and missing == missing:
            status += f" (missing: {missing})"
        _long_line(book, ws, r, status, s.wrap)
        r += 2
        if rec.get("change") not in (None, "") and rec.get("change") == rec.get("change"):
            book.text(ws, r, 0, port.column_labels.get("change", words["profile_trend"]), s.h)
            book.blank(ws, r, 1, s.h)
            r += 1
            _long_line(book, ws, r, str(rec["change"]), s.wrap)
            r += 2
        book.text(ws, r, 0, words["profile_figures"], s.h)
        book.blank(ws, r, 1, s.h)
        r += 1
        absent = rec.get("status") in (NOT_FILLED, words["not_returned"])
        if absent:   # one line that says why, not a column of dashes
            book.text(ws, r, 0, words["without_data_value"] if rec.get("status") == NOT_FILLED else words["not_returned_value"], s.wrap)
            r += 1
        for col in figure_cols if not absent else []:
            value = rec.get(col)
            if value is None or (isinstance(value, float) and value != value):
                value = words["not_returned_value"] if rec.get("status") == words["not_returned"] else words["no_value"]
            book.text(ws, r, 0, _label(col, names, port.column_labels), fmt(None))
            _cell(book, ws, r, 1, value, port.column_formats.get(col) or _fmt_for(col), fmt)
            if col.endswith("_MonthsCash"):
                warn = months_warning(value)
                if warn:
                    book.text(ws, r, 2, warn, s.wrap)
            if col == "indirect_rate" and _finite(value) and _finite(rec.get("indirect_cap")):
                book.text(ws, r, 2, "above the funder cap" if value > rec["indirect_cap"] else "within the funder cap", s.wrap)
            r += 1
        r += 1
        files = [f for f in str(rec.get("files") or "").split("; ") if f]
        sent = set(files) | sent_by.get(str(rec.get("partnership_id", "")), set())   # its unused files too
        mine = [p for p in probs.to_dict("records") if p["file"] in sent]
        book.text(ws, r, 0, words["profile_problems"], s.h)
        book.blank(ws, r, 1, s.h)
        r += 1
        for p in mine or [{"file": "", "reason": words["no_problems"]}]:
            text = f"{Path(p['file']).name}: {p['reason']}" if p["file"] else p["reason"]
            _long_line(book, ws, r, text[:2000], s.wrap)
            r += 1
        r += 1
        book.text(ws, r, 0, words["profile_files"], s.h)
        book.blank(ws, r, 1, s.h)
        r += 1
        for f in files or [words["no_value"]]:
            _long_line(book, ws, r, f, s.wrap)
            r += 1
        r += 1
    print_setup(ws, "Partnership portfolio", landscape=False)
    ws.repeat_row_range = ""   # a page per partnership: no repeated row (row 0 is the first one's title)
    ws.fit_to_pages(1, 0)
    ws.set_h_pagebreaks(breaks)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _write_book(port: Portfolio, path: Path, df: pd.DataFrame, bench: pd.DataFrame, probs: pd.DataFrame) -> None:
    book = Book(str(path))
    s = book.styles
    wb = book.wb
    names = {sid: port.scenario_names.get(sid, sid) for sid in port.scenarios}
    fmts: dict[str | None, Any] = {}

    def fmt(num: str | None) -> Any:
        if num not in fmts:  # top-aligned like the wrapped notes, so a note sits on the row it explains
            fmts[num] = wb.add_format({"font_name": "Calibri", "font_size": 10, "valign": "top", **({"num_format": num} if num else {})})
        return fmts[num]

    words = load_content().models["history.yaml"].words
    glance = book.sheet("At a glance")
    # Portfolio
    ws = book.sheet("Portfolio")
    book.text(ws, 0, 0, "Portfolio: one row per partnership", s.title)
    book.text(ws, 1, 0, f"{len(df)} partnership(s) from {port.files_seen} file(s); {len(probs)} file(s) listed on Problems. "
                        "Numbers are recomputed by the toolkit's model from each workbook's inputs.", s.subtitle)
    cols = list(df.columns)
    for c, col in enumerate(cols):
        book.text(ws, 3, c, _label(col, names, port.column_labels), s.th)
        ws.set_column(c, c, _width(col))
    for r, rec in enumerate(df.itertuples(index=False), start=4):
        for c, (col, value) in enumerate(zip(cols, rec)):
            if value is None or (isinstance(value, float) and value != value):
                continue
            if isinstance(value, bool):
                book.text(ws, r, c, "yes" if value else "no", fmt(None))
            elif _finite(value):
                book.number(ws, r, c, float(value), fmt(port.column_formats.get(col) or _fmt_for(col)))
            elif isinstance(value, (int, float)):  # an infinity: shown as text, never given to write_number
                book.text(ws, r, c, str(value), fmt(None))
            else:
                book.text(ws, r, c, str(value), fmt(None))
    ws.set_row(3, 45)
    for c, col in enumerate(cols):  # months of cash: red below two months, with words; an empty cell is never filled
        cell = xl_rowcol_to_cell(4, c, row_abs=False, col_abs=True)
        if col.endswith("_MonthsCash") and len(df):
            ws.conditional_format(4, c, 3 + len(df), c, {"type": "formula", "criteria": f"=AND(ISNUMBER({cell}),{cell}<0)",
                                                         "format": s.cf_months_negative, "stop_if_true": True})
            ws.conditional_format(4, c, 3 + len(df), c, {"type": "formula", "criteria": f"=AND(ISNUMBER({cell}),{cell}<2)",
                                                         "format": s.cf_months_low})
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
    wsb.set_column(7, 7, 56)
    wsb.set_row(3, 28)
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
        fit_row(wsb, r, [(rec.note, 56)])
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
        wsb.insert_chart(chart_at[0], 0, chart, {"y_offset": 10, "description": f"Bar chart: {title.lower()}, "
                                                            + "; ".join(f"{lab} {val:,.0f}" for lab, val in pairs) + "."})

    CT = 9  # chart tables start here, right of the Note column (not printed: the charts print below the quartiles)
    wsb.set_column(CT, CT, 36)
    wsb.set_column(CT + 1, CT + 1, 14)
    struct = [(rec.group.removeprefix("Structure: "), rec.median) for rec in bench.itertuples(index=False)
              if rec.measure == "Full cost" and rec.group.startswith("Structure: ")]
    chart_top = 4 + len(bench) + 1
    chart_at = [chart_top]
    if struct or funcs_any(bench):
        wsb.set_h_pagebreaks([chart_top])   # the charts start a page of their own, never split across two
    if struct:
        chart_table(3, "Median full cost by backbone structure", struct, PALETTE[0])
        chart_at[0] += 17
    funcs = [(rec.measure.removeprefix("Cost: "), rec.median) for rec in bench.itertuples(index=False)
             if rec.group == "All partnerships" and rec.measure.startswith("Cost: ")]
    if funcs:
        chart_table(20, "Median cost by function (all partnerships)", funcs, PALETTE[2])

    wsb.print_area(0, 0, max(chart_at[0] + 17, 4 + len(bench)), 7)

    # Problems
    wsp = book.sheet("Problems")
    book.text(wsp, 0, 0, "Problems: files not used, or used with warnings", s.title)
    book.text(wsp, 1, 0, "Every file found is either part of a Portfolio row or listed here (or both, when used with warnings).", s.subtitle)
    for c, h in enumerate(["File", "Used?", "Status", "Reason"]):
        book.text(wsp, 3, c, h, s.th)
    wsp.set_column(0, 0, 50)
    wsp.set_column(1, 2, 14)
    wsp.set_column(3, 3, 80)
    for r, rec in enumerate(probs.itertuples(index=False), start=4):
        for c, v in enumerate(rec):
            book.text(wsp, r, c, str(v)[:32000], s.wrap)
        fit_row(wsp, r, [(_breakable(str(rec[0])), 50), (str(rec[3])[:2000], 80)])
    wsp.freeze_panes(4, 0)
    for sheet, header in ((wsb, 3), (wsp, 3)):
        print_setup(sheet, "Partnership portfolio", repeat_rows=(header, header))
        sheet.fit_to_pages(1, 0)
    # the Portfolio prints its headline columns one page wide (every column stays on screen and in the CSV)
    printed = headline_width(df, port.scenarios) + sum(1 for c in cols if c == "change" or c.startswith("change_"))
    book.text(ws, 2, 0, words["portfolio_printed"], s.subtitle)
    print_setup(ws, "Partnership portfolio", repeat_rows=(3, 3))
    ws.print_area(0, 0, 3 + len(df), max(printed, 1) - 1)
    ws.fit_to_pages(1, 0)
    ws.repeat_columns(0, 0)
    _write_glance(book, glance, df, port, names, words, fmt)
    _write_profiles(book, book.sheet("Profiles"), df, port, probs, names, words, fmt)
    book.close({"title": "Partnership portfolio", "author": "Place-Based Partnerships Toolkit"})
