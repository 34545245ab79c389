"""Read a Scenario Projections Tool's inputs back into a SPEC data file (see extract.py)."""
from __future__ import annotations

from typing import Any

from ..schema import SCHEMA_ID
from ..kinds import PROJECTIONS_ID
from .extract import Extracted, _assumptions, _expenses, _function_ids, _meta, _organization, _Reader, _staff, _text
from .source import WorkbookSource


def _scenario_ids(r: _Reader) -> list[str]:
    return [str(c.value) for c in r.src.cells("Scen_Ids") if c.value is not None]


def _membership(r: _Reader, row: dict, prefix: str, sids: list[str], path: str) -> list[str] | None:
    """Scenario ids whose include flag is Yes or blank (the workbook counts a blank flag as Yes);
    None (all scenarios) when every flag is."""
    chosen = []
    for sid in sids:
        c = row.get(f"inc_{sid}")
        if c is None:
            continue
        r.cells[f"{path}.scenarios"] = c
        if c.value is None or c.value == "" or r.flag(c.value) is True:
            chosen.append(sid)
    return None if chosen == sids else chosen


def _span(r: _Reader, item: dict[str, Any], row: dict, path: str) -> None:
    start = r.note(f"{path}.start_year", row["start"]) if "start" in row else None
    end = r.note(f"{path}.end_year", row["end"]) if "end" in row else None
    item["start_year"] = 1 if start is None else start
    item["end_year"] = end


def _scenarios(r: _Reader, sids: list[str], levels: list[str], streams: list[str]) -> list[dict[str, Any]]:
    out = []
    for n, sid in enumerate(sids):
        path = f"projections.scenarios[{n}]"
        s: dict[str, Any] = {"id": r.one(f"Scen_{sid}_Id", f"{path}.id"), "name": _text(r.one(f"Scen_{sid}_Name", f"{path}.name"))}
        desc = _text(r.one(f"Scen_{sid}_Desc", f"{path}.description"))
        if desc is not None:
            s["description"] = desc
        real = {}
        for lv in levels:
            name = f"Scen_{sid}_Real_{lv}"
            if r.has(name):
                value = r.one(name, f"{path}.realization.{lv}")
                if value is not None:
                    real[lv] = value
        s["realization"] = real or None
        mult = {}
        for k in streams:
            name = f"Scen_{sid}_Mult_{k}"
            if r.has(name):
                value = r.one(name, f"{path}.stream_multipliers.{k}")
                if value is not None and value != 1:
                    mult[k] = value
        s["stream_multipliers"] = mult or None
        s["salary_growth"] = r.one(f"Scen_{sid}_SalaryGrowth", f"{path}.salary_growth")
        em = r.one(f"Scen_{sid}_ExpenseMult", f"{path}.expense_multiplier")
        s["expense_multiplier"] = 1.0 if em is None else em
        out.append(s)
    return out


def extract_projections(src: WorkbookSource) -> Extracted:
    """Inputs of a Scenario Projections Tool (the full-cost section beyond the reserve target takes its defaults)."""
    r = _Reader(src)
    sids = _scenario_ids(r)
    years = r.one("In_Years", "projections.years")
    if years is None and r.has("Yr_Index"):
        # In_Years is =COLUMNS(Yr_Index): a file saved without results (openpyxl, some online
        # editors) has no value there, but the width of the year columns is the same number
        ref = src.names()["Yr_Index"]
        years = ref.c2 - ref.c1 + 1
    n_years = years if isinstance(years, int) and years > 0 else 0
    inc = tuple(f"inc_{sid}" for sid in sids)

    staff = _staff(r, _function_ids(r), ("start", "end", *inc))
    rows = r.rows("Staff", ["title", "fte", "salary", "start", "end", *inc],
                  ["title", "fte", "salary", *[f"share_{f}" for f in _function_ids(r)]])
    for n, (item, row) in enumerate(zip(staff, rows)):
        _span(r, item, row, f"staff[{n}]")
        item["scenarios"] = _membership(r, row, "Staff", sids, f"staff[{n}]")

    expenses = _expenses(r, ("start", "end"))
    rows = r.rows("Exp", ["name", "category", "amount", "start", "end"], ["name", "category", "amount"])
    for n, (item, row) in enumerate(zip(expenses, rows)):
        _span(r, item, row, f"expenses[{n}]")

    year_keys = [f"y{t}" for t in range(1, n_years + 1)]
    revenue = []
    for n, row in enumerate(r.rows("Rev", ["name", "stream", "confidence", "restricted", "note", *year_keys], ["name", "stream", "confidence", *year_keys])):
        path = f"revenue[{n}]"
        r.cells[path] = row["name"]
        amounts = []
        for t, key in enumerate(year_keys):
            c = row[key]
            r.cells[f"{path}.amounts[{t}]"] = c
            amounts.append(0 if c.value is None else c.value)
        if year_keys:
            r.cells[f"{path}.amounts"] = row[year_keys[0]]
        revenue.append({
            "name": _text(r.note(f"{path}.name", row["name"])),
            "stream": r.to_id("Streams", r.note(f"{path}.stream", row["stream"])),
            "confidence": r.to_id("Levels", r.note(f"{path}.confidence", row["confidence"])),
            "restricted": r.flag(r.note(f"{path}.restricted", row["restricted"])),
            "amounts": amounts,
        })
        r.note_of(revenue[-1], row, path)

    one_time = []
    for n, row in enumerate(r.rows("OT", ["name", "year", "amount", "note", *inc], ["name", "year", "amount"])):
        path = f"projections.one_time[{n}]"
        r.cells[path] = row["name"]
        one_time.append({"name": _text(r.note(f"{path}.name", row["name"])), "year": r.note(f"{path}.year", row["year"]),
                         "amount": r.note(f"{path}.amount", row["amount"]),
                         "scenarios": _membership(r, row, "OT", sids, path)})
        r.note_of(one_time[-1], row, path)

    assumptions = _assumptions(r)
    data = {
        "schema": SCHEMA_ID,
        "organization": _organization(r),
        "assumptions": assumptions,
        "staff": staff,
        "expenses": expenses,
        "revenue": revenue,
        "full_cost": {"reserves": {"months": r.one("In_ReserveMonths", "full_cost.reserves.months")}},
        "projections": {
            "years": years,
            "starting_cash": r.one("In_StartingCash", "projections.starting_cash"),
            "one_time": one_time,
            "scenarios": _scenarios(r, sids, list(r.ids("Levels").values()), list(r.ids("Streams").values())),
        },
    }
    return Extracted(PROJECTIONS_ID, data, r.cells, _meta(src), r.positions, r.problems)
