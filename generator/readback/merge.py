"""Merge the inputs extracted from a partnership's two workbooks into one data file."""
from __future__ import annotations

from typing import Any

from ..kinds import FULL_COST_ID, PROJECTIONS_ID
from .extract import Extracted


def _carry_cash_flow(fc: dict[str, Any], data: dict[str, Any]) -> None:
    """The cash-flow timing lives on the Full Cost Workbook only: give it to the matching
    revenue source and expense (by name, in order) of the Scenario Projections Tool's lists."""
    for section, key in (("revenue", "timing"), ("expenses", "payment_months")):
        given: dict[Any, list[Any]] = {}
        for item in fc.get(section) or []:
            if isinstance(item, dict) and key in item:
                given.setdefault(item.get("name"), []).append(item[key])
        for item in data.get(section) or []:
            if isinstance(item, dict) and given.get(item.get("name")):
                item[key] = given[item.get("name")].pop(0)


def merge_extracted(items: list[Extracted]) -> tuple[dict[str, Any], list[str]]:
    """One data file from one or both workbooks, and notes on what was taken from where.

    The Scenario Projections Tool holds every year, so staff, expenses, revenue, assumptions
    and projections come from it; the Full Cost Workbook gives the full_cost section (and
    everything else when it is the only file).
    """
    by_kind: dict[str, Extracted] = {}
    notes: list[str] = []
    for e in items:
        if e.kind in by_kind:
            raise ValueError(f"two workbooks of the same kind ({e.kind}) were given")
        by_kind[e.kind] = e
    fc, sp = by_kind.get(FULL_COST_ID), by_kind.get(PROJECTIONS_ID)
    if fc and sp:
        ids = {fc.meta.get("partnership_id"), sp.meta.get("partnership_id")}
        if len(ids) > 1:
            notes.append(f"the two workbooks carry different partnership ids: {', '.join(sorted(i or '?' for i in ids))}")
        data = dict(sp.data)
        data["full_cost"] = fc.data["full_cost"]
        _carry_cash_flow(fc.data, data)
        return data, notes
    only = fc or sp
    assert only is not None, "no workbook given"
    if only is fc:
        notes.append("only the Full Cost Workbook was given: later hires, revenue after year 1 and the projections are not in it")
    elif "full_cost" not in only.data:
        notes.append("only the Scenario Projections Tool was given: the full-cost section takes its defaults")
    return dict(only.data), notes
