"""What each page shows, gathered from the same functions the command line calls (batch's
roster checks, collect's portfolio, the round book's history): shaping for display only."""
from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from markupsafe import Markup

from ..kinds import slugify
from .charts import Bar, bar_chart, line_chart


def slug(label: str) -> str:
    return slugify(label) or "round"


# ----------------------------------------------------------------------------- Send


@dataclass
class RosterCheck:
    """A roster read and every row checked, before anything is built."""

    error: str = ""                                   # the roster as a whole cannot be used
    notes: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)   # row, partnership, ok, problems[(column, message)]

    @property
    def good(self) -> int:
        return sum(1 for r in self.rows if r["ok"])

    @property
    def usable(self) -> bool:
        return not self.error and self.good > 0


def check_roster(path: Path) -> RosterCheck:
    """batch's own reading and row checks (read_roster, plan_rows), with data files refused."""
    from ..batch import NoDataFiles, RosterError, plan_rows, read_roster
    from ..content import load_content

    try:
        rows, notes = read_roster(path)
    except RosterError as exc:
        return RosterCheck(error=str(exc).replace(path.name, "the roster", 1))
    failed, _ = plan_rows(rows, NoDataFiles(path.parent), load_content(), "roster")
    out = RosterCheck(notes=notes)
    for row in rows:
        bad = failed.get(row.row)
        out.rows.append({"row": row.row, "partnership": (bad.partnership if bad else "") or row.label, "ok": bad is None,
                         "problems": [(p.column or "(whole row)", p.message) for p in (bad.problems if bad else [])]})
    return out


def zip_batch(batch: Any, target: Path) -> dict[str, Any]:
    """The built workbooks, manifest.csv and problems.csv as one zip; a summary for the page."""
    from ..batch import MANIFEST, PROBLEMS

    out = batch.outdir
    names = [f.file for r in batch.rows for f in r.files] + [MANIFEST, PROBLEMS]
    tmp = target.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.write(out / name, name)
    tmp.replace(target)
    return {"built": len(batch.built), "rows": len(batch.rows), "files": batch.files, "seconds": batch.seconds,
            "problems": [str(p) for p in batch.problems], "zip": target.parent.name}


# ----------------------------------------------------------------------------- Portfolio

#: The columns of the round's table, in order (the rest are in portfolio.xlsx).
TABLE = [("partnership", "Partnership", "text"), ("structure", "Backbone structure", "text"), ("status", "Validation", "text"),
         ("full_cost", "Full cost", "money"), ("expected_revenue", "Expected revenue", "money"), ("gap", "Gap (+ = shortfall)", "money"),
         ("indirect_rate", "True indirect rate", "pct"), ("cash_need", "Cash need", "money")]


def fmt(value: Any, kind: str) -> str:
    if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind == "money" and isinstance(value, (int, float)):
        return f"${value:,.0f}"
    if kind == "pct" and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if kind == "num" and isinstance(value, (int, float)):
        return f"{value:,.1f}"
    return str(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    if value in (None, ""):
        return (2, "")
    return (1, str(value).lower())


@dataclass
class PortfolioView:
    label: str
    info: Any
    columns: list[tuple[str, str, str]]
    rows: list[dict[str, Any]]
    total: int
    sort: str
    desc: bool
    query: str
    status: str
    statuses: list[str]
    charts: list[dict[str, Any]]
    attention: list[dict[str, Any]]
    problems: list[dict[str, str]]


def portfolio_view(book: Any, label: str, args: Mapping[str, str]) -> PortfolioView | None:
    """The round's table (sorted and filtered as asked), its benchmark charts and tables, who needs attention."""
    info = book.round(label)
    if info is None:
        return None
    port = book.portfolio(label)
    months = [f"{sid}_MonthsCash" for sid in port.scenarios[:1]]
    columns = list(TABLE)
    for col in months:
        columns.append((col, f"Months of cash, final year ({port.scenario_names.get(col[:-11], col[:-11])} scenario)", "num"))
    keys = [c for c, _, _ in columns]
    sort = args.get("sort", "partnership")
    sort = sort if sort in keys else "partnership"
    desc = args.get("dir") == "desc"
    query = (args.get("q") or "").strip()[:100]
    status = (args.get("status") or "").strip()[:40]
    rows = list(port.rows)
    statuses = sorted({str(r.get("status", "")) for r in rows})
    if query:
        q = query.lower()
        rows = [r for r in rows if q in str(r.get("partnership", "")).lower() or q in str(r.get("region", "")).lower()
                or q in str(r.get("structure", "")).lower()]
    if status:
        rows = [r for r in rows if str(r.get("status", "")) == status]
    rows.sort(key=lambda r: _sort_key(r.get(sort)), reverse=desc)
    shown = []
    for r in rows:
        cells = [(fmt(r.get(c), kind), kind) for c, _, kind in columns]
        notes = []
        if r.get("indirect_above_cap"):
            notes.append("indirect rate above the funder cap")
        for col in months:
            warn = r.get(col[:-len("MonthsCash")] + "CashWarning")
            if warn:
                notes.append(f"months of cash {warn}")
        if r.get("missing"):
            notes.append(f"missing: {r['missing']}")
        shown.append({"id": r.get("partnership_id", ""), "cells": cells, "notes": notes})
    charts = book.remember(f"charts:{label}", lambda: _charts(book.benchmarks(label)))
    return PortfolioView(label=label, info=info, columns=columns, rows=shown, total=len(port.rows), sort=sort, desc=desc,
                         query=query, status=status, statuses=statuses, charts=charts,
                         attention=book.attention(label), problems=port.problems)


def _charts(bench: Any) -> list[dict[str, Any]]:
    """The Benchmarks table as one chart a measure (median by group, the middle half as a line) with its table."""
    charts = []
    kinds = {"#,##0": "money", "0.0%": "pct"}
    if not bench.empty:
        allp = bench[bench["group"] == "All partnerships"]
        for i, rec in enumerate(allp.to_dict("records")):
            kind = kinds.get(rec["format"], "num")
            by_group = bench[bench["measure"] == rec["measure"]].to_dict("records")
            bars = [Bar(g["group"].replace("Structure: ", ""), _num(g["median"]), _num(g["p25"]), _num(g["p75"])) for g in by_group]
            charts.append({"id": f"bench{i}", "measure": rec["measure"], "kind": kind,
                           "svg": bar_chart(f"{rec['measure']}: median by group, with the middle half as a line", bars, kind, f"bench{i}"),
                           "table": [{"group": g["group"], "count": f"{g['count']} of {g['of']}", "p25": fmt(_num(g["p25"]), kind),
                                      "median": fmt(_num(g["median"]), kind), "p75": fmt(_num(g["p75"]), kind), "note": g["note"] or ""}
                                     for g in by_group]})
    return charts


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# ----------------------------------------------------------------------------- Partnership

#: The figures a partnership's page follows over the rounds.
FIGURES = [("FC_Total", "Full cost", "money"), ("FC_Gap", "Gap (+ = shortfall)", "money"),
           ("FC_ExpectedRevenue", "Expected revenue", "money"), ("FC_IndirectRate", "True indirect rate", "pct"),
           ("FC_CashNeed", "Cash need", "money")]


@dataclass
class PartnershipView:
    id: str
    name: str
    rounds: list[str]
    figures: list[dict[str, Any]]
    submissions: list[dict[str, Any]]


def partnership_view(book: Any, pid: str) -> PartnershipView | None:
    """One partnership over every round: its figures (charts and a table), its submissions and their problems."""
    hist = book.partnership(pid)
    if hist is None:
        return None
    figures = []
    for i, (name, label, kind) in enumerate(FIGURES):
        points = [(r, hist["figures"].get(r, {}).get(name)) for r in hist["rounds"]]
        if all(v is None for _, v in points):
            continue
        figures.append({"id": f"fig{i}", "label": label, "kind": kind,
                        "svg": line_chart(f"{label} in each round", points, kind, f"fig{i}"),
                        "values": [(r, fmt(v, kind) if v is not None else "not returned") for r, v in points]})
    return PartnershipView(id=pid, name=hist["name"], rounds=hist["rounds"], figures=figures, submissions=hist["submissions"])


__all__ = ["check_roster", "zip_batch", "portfolio_view", "partnership_view", "slug", "Markup"]
