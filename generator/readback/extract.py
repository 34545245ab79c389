"""Read a filled workbook's inputs back into a SPEC data file.

Everything is read by defined name (In_OrgName, Staff_salary, Rev_amount, ...), never by
coordinate, so a workbook saved by Excel or LibreOffice, or edited with openpyxl, reads the
same. Every value keeps the cell it came from (`Extracted.cells`, data path -> Cell), so a
problem found later by the schema can be shown at its sheet and cell.

Labels shown in dropdowns are turned back into ids with the workbook's own Lists sheet;
a label that is not in the list is kept as typed, and the schema then reports it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..kinds import FULL_COST_ID, PROJECTIONS_ID, by_template_id  # noqa: F401  (the ids, also for callers that import them from here)
from ..schema import SCHEMA_ID
from .source import Cell, FileSource, SourceError, WorkbookSource

YES, NO = "Yes", "No"


@dataclass
class Extracted:
    """A workbook's inputs as a data file, with the cell behind every value."""

    kind: str                                   # template id
    data: dict[str, Any]
    cells: dict[str, Cell] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    #: section -> the table row (0 = first) of each item: identity of list items in the merge
    positions: dict[str, list[int]] = field(default_factory=dict)
    #: cells the data file has no place for (timing typed on a row with no source): (message, cell)
    problems: list[tuple[str, Cell]] = field(default_factory=list)
    #: the data as the schema gives it back (validate_data(data).to_data()), when the caller has
    #: already validated it (collect's workers): the merge reads it instead of validating again
    normalised: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def cell_for(self, path: str) -> Cell | None:
        """The cell behind a data path, or behind its nearest parent path."""
        probe = path
        while probe:
            if probe in self.cells:
                return self.cells[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return None


class _Reader:
    """Shared plumbing: names, label->id maps, table rows, cell bookkeeping."""

    def __init__(self, src: WorkbookSource):
        self.src = src
        self.cells: dict[str, Cell] = {}
        self._maps: dict[str, dict[str, str]] = {}
        self.positions: dict[str, list[int]] = {}
        self.problems: list[tuple[str, Cell]] = []

    def has(self, name: str) -> bool:
        return name in self.src.names()

    def one(self, name: str, path: str | None = None) -> Any:
        cell_at = getattr(self.src, "cell_at", None)   # FileSource: the first cell without a Cell for every other
        c = cell_at(name, 0) if cell_at is not None else self.src.cells(name)[0]
        if path:
            self.cells[path] = c
        return c.value

    def ids(self, key: str) -> dict[str, str]:
        """label -> id for one of the workbook's lists (List_<key>, List_<key>Ids)."""
        if key not in self._maps:
            labels, ids = self.values(f"List_{key}"), self.values(f"List_{key}Ids")
            self._maps[key] = {str(lab).strip().casefold(): str(i) for lab, i in zip(labels, ids) if lab is not None}
        return self._maps[key]

    def values(self, name: str) -> list[Any]:
        """The values of a named range (without a Cell each where the source can)."""
        values = getattr(self.src, "range_values", None)
        return list(values(name)) if values is not None else [c.value for c in self.src.cells(name)]

    def to_id(self, key: str, value: Any) -> Any:
        """A dropdown label back to its id; anything else is returned unchanged."""
        if isinstance(value, str):
            return self.ids(key).get(value.strip().casefold(), value)
        return value

    def flag(self, value: Any) -> Any:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().casefold() in (YES.casefold(), NO.casefold()):
            return value.strip().casefold() == YES.casefold()
        return value

    def rows(self, prefix: str, keys: Iterable[str], used_keys: Iterable[str]) -> list[dict[str, Cell]]:
        """Rows of an input table (by column names prefix_key) with any used_keys cell filled in."""
        keys = list(keys)
        names = {k: f"{prefix}_{k}" for k in keys if self.has(f"{prefix}_{k}")}
        values, cell_at = getattr(self.src, "range_values", None), getattr(self.src, "cell_at", None)
        if values is None or cell_at is None:   # a source without them: a Cell for every cell
            columns = {k: self.src.cells(n) for k, n in names.items()}
            length = max((len(v) for v in columns.values()), default=0)
            out, at = [], []
            for i in range(length):
                row = {k: col[i] for k, col in columns.items() if i < len(col)}
                if any(not row[k].empty for k in used_keys if k in row):
                    out.append(row)
                    at.append(i)
            self.positions[prefix] = at
            return out
        cols = {k: values(n) for k, n in names.items()}
        used_rows: set[int] = set()
        for col in (cols[k] for k in used_keys if k in cols):   # the used rows, found from the values (most are None)
            used_rows.update(i for i, v in enumerate(col) if v is not None and not _empty(v))   # (_empty only for the few not None)
        out, at = [], []
        for i in sorted(used_rows):   # a Cell is made only for the used rows' cells
            out.append({k: cell_at(names[k], i) for k, col in cols.items() if i < len(col)})
            at.append(i)
        self.positions[prefix] = at
        return out

    def unused(self, prefix: str, keys: Iterable[str], used_keys: Iterable[str], what: str) -> None:
        """A problem at each cell typed on a row of the table that holds no item (the data file has
        no place for it, so it would vanish)."""
        keys, used_keys = list(keys), list(used_keys)
        names = {k: f"{prefix}_{k}" for k in keys + used_keys if self.has(f"{prefix}_{k}")}
        values = getattr(self.src, "range_values", None)
        cols = {k: values(n) if values is not None else [c.value for c in self.src.cells(n)] for k, n in names.items()}
        length = max((len(v) for v in cols.values()), default=0)
        for i in range(length):
            if all(_empty(cols[k][i]) for k in used_keys if k in cols and i < len(cols[k])):
                for k in keys:
                    if k in cols and i < len(cols[k]) and not _empty(cols[k][i]):
                        self.problems.append((what, self.src.cells(names[k])[i]))

    def note_of(self, item: dict[str, Any], row: dict[str, Cell], path: str) -> None:
        """The row's "Source or note" into the item (left out when blank)."""
        c = row.get("note")
        if c is not None and not c.empty:
            item["note"] = _text(self.note(f"{path}.note", c))

    def note(self, path: str, c: Cell) -> Any:
        self.cells[path] = c
        return c.value


def _empty(value: Any) -> bool:
    """Cell.empty, for a value."""
    return value is None or (isinstance(value, str) and value.strip() == "")


def _text(value: Any) -> Any:
    """Names typed as numbers stay names (a partnership called 2030 is text)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _organization(r: _Reader) -> dict[str, Any]:
    org: dict[str, Any] = {"name": _text(r.one("In_OrgName", "organization.name"))}
    for key, name in (("region", "In_Region"), ("focus", "In_Focus")):
        value = _text(r.one(name, f"organization.{key}"))
        if value is not None:
            org[key] = value
    org["backbone_structure"] = r.to_id("Structures", r.one("In_Structure", "organization.backbone_structure"))
    org["fiscal_year_start"] = r.one("In_FYStart", "organization.fiscal_year_start")
    return {k: v for k, v in org.items() if v is not None or k in ("name", "backbone_structure", "fiscal_year_start")}


def _assumptions(r: _Reader) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, name in (("benefits_rate", "In_BenefitsRate"), ("salary_growth", "In_SalaryGrowth"),
                      ("expense_inflation", "In_ExpenseInflation"), ("funder_indirect_cap", "In_IndirectCap")):
        if r.has(name):
            out[key] = r.one(name, f"assumptions.{key}")
    if r.has("Conf_level"):
        probs, notes = {}, {}
        note_cells = r.src.cells("Conf_note") if r.has("Conf_note") else []
        for n, (lab, prob) in enumerate(zip(r.src.cells("Conf_level"), r.src.cells("Conf_prob"))):
            level = r.to_id("Levels", lab.value)
            probs[level] = r.note(f"assumptions.confidence_probability.{level}", prob)
            if n < len(note_cells) and not note_cells[n].empty:
                notes[level] = _text(r.note(f"assumptions.confidence_notes.{level}", note_cells[n]))
        out["confidence_probability"] = probs
        if notes:
            out["confidence_notes"] = notes
    return out


def _functions(r: _Reader, row: dict[str, Cell], path: str) -> dict[str, Any]:
    shares = {}
    for key, c in row.items():
        if key.startswith("share_") and key != "share_total" and not c.empty:
            fid = key[len("share_"):]
            shares[fid] = c.value
            r.cells[f"{path}.{fid}"] = c
    first = next((c for k, c in row.items() if k.startswith("share_")), None)
    if first is not None:
        r.cells[path] = first
    return shares


def _staff(r: _Reader, function_ids: list[str], extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    keys = ["title", "fte", "salary", "in_kind", "note", *[f"share_{f}" for f in function_ids], *extra]
    used = ["title", "fte", "salary", *[f"share_{f}" for f in function_ids]]
    out = []
    for n, row in enumerate(r.rows("Staff", keys, used)):
        path = f"staff[{n}]"
        r.cells[path] = row["title"]
        item: dict[str, Any] = {
            "title": _text(r.note(f"{path}.title", row["title"])),
            "fte": r.note(f"{path}.fte", row["fte"]),
            "salary": r.note(f"{path}.salary", row["salary"]),
            "functions": _functions(r, row, f"{path}.functions"),
            "in_kind": r.flag(r.note(f"{path}.in_kind", row["in_kind"])),
        }
        r.note_of(item, row, path)
        out.append(item)
    return out


def month_numbers(value: Any) -> Any:
    """A months cell ('1, 7', '3;9', 7) as a list of month numbers; a token that is not a whole
    number is kept as typed, so that the schema reports it at its cell."""
    if isinstance(value, bool):
        return [value]
    if isinstance(value, (int, float)):
        return [int(value) if float(value).is_integer() else value]
    out: list[Any] = []
    for token in re.split(r"[,;\s]+", str(value).strip()):
        if token:
            out.append(int(token) if token.isdigit() else token)
    return out


def _payment_months(r: _Reader, row: dict[str, Cell], item: dict[str, Any], path: str) -> None:
    """SPEC section 6: an expense's payment months (Cash Flow sheet); empty = paid evenly."""
    c = row.get("payment_months")
    if c is not None and not c.empty:
        item["payment_months"] = month_numbers(r.note(f"{path}.payment_months", c))


def _timing(r: _Reader, row: dict[str, Cell], item: dict[str, Any], path: str) -> None:
    """SPEC section 6: a source's timing (Cash Flow sheet). All three cells empty = no timing (the
    stream's default); an empty schedule = the stream's schedule (and its lag, unless a lag is
    given); an empty lag with a schedule = 0, as the workbook's formulas read them. What is blank
    in the sheet stays out of the data file, so a later change of the stream's default reaches it."""
    cells = {k: row[k] for k in ("schedule", "lag", "months") if k in row}
    if all(c.empty for c in cells.values()):
        return
    sched, lag, months = cells.get("schedule"), cells.get("lag"), cells.get("months")
    r.cells[f"{path}.timing"] = next(c for c in cells.values() if not c.empty)
    timing: dict[str, Any] = {}
    if sched is not None and not sched.empty:   # blank: the stream's usual schedule, left blank in the data file too
        timing["schedule"] = r.to_id("Schedules", r.note(f"{path}.timing.schedule", sched))
    if lag is not None and not lag.empty:
        timing["lag_months"] = r.note(f"{path}.timing.lag_months", lag)
    if months is not None and not months.empty:
        timing["months"] = month_numbers(r.note(f"{path}.timing.months", months))
    item["timing"] = timing


def _expenses(r: _Reader, extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for n, row in enumerate(r.rows("Exp", ["name", "category", "amount", "function", "in_kind", "note", *extra], ["name", "category", "amount"])):
        path = f"expenses[{n}]"
        r.cells[path] = row["name"]
        item = {
            "name": _text(r.note(f"{path}.name", row["name"])),
            "category": r.to_id("Categories", r.note(f"{path}.category", row["category"])),
            "amount": r.note(f"{path}.amount", row["amount"]),
            "function": r.to_id("FunctionsShared", r.note(f"{path}.function", row["function"])),
            "in_kind": r.flag(r.note(f"{path}.in_kind", row["in_kind"])),
        }
        if item["function"] is None:
            item["function"] = "shared"
        _payment_months(r, row, item, path)
        r.note_of(item, row, path)
        out.append(item)
    return out


def _named_amounts(r: _Reader, prefix: str, path: str, with_function: bool = False, with_years: bool = False) -> list[dict[str, Any]]:
    keys = ["name", "amount"] + (["function"] if with_function else []) + (["years"] if with_years else [])
    out = []
    for n, row in enumerate(r.rows(prefix, [*keys, "note"], keys)):
        p = f"{path}[{n}]"
        r.cells[p] = row["name"]
        item = {"name": _text(r.note(f"{p}.name", row["name"])), "amount": r.note(f"{p}.amount", row["amount"])}
        if with_function:
            fn = r.to_id("FunctionsShared", r.note(f"{p}.function", row["function"]))
            item["function"] = "shared" if fn is None else fn
        if with_years:
            item["years"] = r.note(f"{p}.years", row["years"])
        r.note_of(item, row, p)
        out.append(item)
    return out


def _target(r: _Reader, key: str, path: str) -> dict[str, Any]:
    out = {"months": r.one(f"In_{key}Months", f"{path}.months"),
           "current": r.one(f"In_{key}Current", f"{path}.current"),
           "build_years": r.one(f"In_{key}Build", f"{path}.build_years")}
    if r.has(f"In_{key}Method"):  # working capital only (SPEC section 6); empty = months
        method = r.one(f"In_{key}Method", f"{path}.method")
        if method is not None:
            out["method"] = r.to_id("WCMethods", method)
    return out


def _function_ids(r: _Reader) -> list[str]:
    return [str(c.value) for c in r.src.cells("List_FunctionsIds") if c.value is not None]


def extract_full_cost(src: WorkbookSource) -> Extracted:
    """Inputs of a Full Cost Workbook (year 1 only: no later hires, one revenue year, default projections)."""
    r = _Reader(src)
    revenue = []
    rev_keys = ["name", "stream", "confidence", "amount"]
    for n, row in enumerate(r.rows("Rev", ["name", "stream", "confidence", "restricted", "amount", "schedule", "lag", "months", "note"],
                                   rev_keys)):
        path = f"revenue[{n}]"
        r.cells[path] = row["name"]
        amount = r.note(f"{path}.amounts[0]", row["amount"])
        r.cells[f"{path}.amounts"] = row["amount"]
        revenue.append({
            "name": _text(r.note(f"{path}.name", row["name"])),
            "stream": r.to_id("Streams", r.note(f"{path}.stream", row["stream"])),
            "confidence": r.to_id("Levels", r.note(f"{path}.confidence", row["confidence"])),
            "restricted": r.flag(r.note(f"{path}.restricted", row["restricted"])),
            "amounts": [0 if amount is None else amount],
        })
        _timing(r, row, revenue[-1], path)
        r.note_of(revenue[-1], row, path)
    r.unused("Rev", ["schedule", "lag", "months"], rev_keys, "timing typed on a Cash Flow row with no revenue source beside it "
             "(the Revenue row is empty); clear it, or fill in the source on the Revenue sheet")
    r.unused("Exp", ["payment_months"], ["name", "category", "amount"], "payment months typed on a Cash Flow row with no expense "
             "beside it (the Expenses row is empty); clear them, or fill in the expense on the Expenses sheet")
    data = {
        "schema": SCHEMA_ID,
        "organization": _organization(r),
        "assumptions": _assumptions(r),
        "staff": _staff(r, _function_ids(r)),
        "expenses": _expenses(r, ("payment_months",)),
        "revenue": revenue,
        "full_cost": {
            "depreciation": r.one("In_Depreciation", "full_cost.depreciation"),
            "unfunded": _named_amounts(r, "Unf", "full_cost.unfunded", with_function=True),
            "working_capital": _target(r, "WC", "full_cost.working_capital"),
            "reserves": _target(r, "Res", "full_cost.reserves"),
            "fixed_asset_additions": _named_amounts(r, "FA", "full_cost.fixed_asset_additions"),
            "debt_principal": _named_amounts(r, "Debt", "full_cost.debt_principal"),
            "change_capital": _named_amounts(r, "CC", "full_cost.change_capital", with_years=True),
        },
    }
    return Extracted(FULL_COST_ID, data, r.cells, _meta(src), r.positions, r.problems)


def _meta(src: WorkbookSource) -> dict[str, str]:
    meta = getattr(src, "metadata", None)
    return meta() if callable(meta) else {}


def template_id(src: WorkbookSource) -> str | None:
    """Which of our templates this is (None when it is not one of ours)."""
    return _meta(src).get("template_id") or None


def extract(src: WorkbookSource | str | os.PathLike[str]) -> Extracted:
    """Extract any of our workbooks (a path or an open source)."""
    source = FileSource(src) if isinstance(src, (str, os.PathLike)) else src
    kind = by_template_id(template_id(source))
    if kind is not None:
        return kind.extractor()(source)
    raise SourceError("not a Place-Based Partnerships Toolkit workbook (no template id in its metadata)")
