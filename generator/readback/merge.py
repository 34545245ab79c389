"""Merge the inputs extracted from a partnership's two workbooks into one data file.

The two workbooks are two copies of one file (DESIGN: the round trip). Each records the
inputs it was built with (generator/recorded.py), so reading a pair back is a three-way
merge, field by field, against that base, as git merges two branches:

- a field edited in one workbook only is taken from it;
- a field edited in both, to the same value, is taken;
- a field edited in both to different values is a `Conflict` (both values, both cells),
  unless `prefer` names the workbook that wins;
- a field that only one workbook holds (full_cost beyond the reserve target and the cash-flow
  timing: the Full Cost Workbook; later years, start and end years, scenarios, one-time items:
  the Scenario Projections Tool) is taken from the one that holds it.

Items of the staff, expense and revenue tables are matched by their row in the input table:
row k of the projections is item k of the base; row k of the Full Cost Workbook is the k-th
year-1 item of the base (it holds only those). A row cleared in one workbook is deleted unless
the other workbook edited that item (a conflict). Rows added below the base's items are new
items; the k-th new row of each workbook are the same new item when both added one there.

Workbooks built before the base was recorded keep the old rule (staff, expenses, revenue
and projections from the projections, full_cost from the Full Cost Workbook), with a note.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from ..kinds import FULL_COST, FULL_COST_ID, PROJECTIONS, PROJECTIONS_ID
from ..recorded import RecordError, recalled
from .extract import Extracted
from .source import Cell

#: --prefer's choices -> the template id that wins a conflict.
PREFER = {"full-cost": FULL_COST_ID, "projections": PROJECTIONS_ID}
NO_BASE = ("the two workbooks do not record the inputs they were built with (built by an earlier version): staff, "
           "expenses, revenue and projections were taken from the Scenario Projections Tool and the full-cost section "
           "from the Full Cost Workbook; an edit typed only into the Full Cost Workbook's shared tables is not carried")
_MISSING = object()
_CLEARED = object()   # an item whose row was cleared


@dataclass(frozen=True)
class Conflict:
    """One field edited differently in the two workbooks."""

    path: str
    full_cost: Any
    projections: Any
    full_cost_cell: str
    projections_cell: str

    def __str__(self) -> str:
        return (f"{self.path}: the {FULL_COST.name} has {show(self.full_cost)} ({self.full_cost_cell or 'no cell'}), "
                f"the {PROJECTIONS.name} has {show(self.projections)} ({self.projections_cell or 'no cell'})")


@dataclass
class Merged:
    """The merged data file, with notes, conflicts and the cell behind each merged path."""

    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    cells: dict[str, Cell] = field(default_factory=dict)

    def cell_for(self, path: str) -> Cell | None:
        return Extracted("", {}, self.cells).cell_for(path)


class ConflictError(ValueError):
    """The two workbooks disagree on fields edited in both; nothing should be written."""

    def __init__(self, conflicts: list[Conflict]):
        super().__init__("\n".join(str(c) for c in conflicts))
        self.conflicts = conflicts


def show(value: Any) -> str:
    """A value as a conflict line shows it."""
    if value is _CLEARED:
        return "the row cleared"
    if value is None or value is _MISSING:
        return "(blank)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def same(a: Any, b: Any) -> bool:
    """Equal as inputs: numbers within rounding (a LibreOffice save), a zero share as no share."""
    if type(a) is str and type(b) is str:   # the most common case, decided as the last line would
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if (a is None and b == {}) or (b is None and a == {}):   # an empty mapping means its defaults, as null does
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        a2 = {k: v for k, v in a.items() if v not in (0, None)}
        b2 = {k: v for k, v in b.items() if v not in (0, None)}
        return a2.keys() == b2.keys() and all(same(a2[k], b2[k]) for k in a2)
    if isinstance(a, list) and isinstance(b, list):
        if a and b and all(isinstance(x, str) for x in a + b):   # scenario ids: a set, in any order
            return sorted(a) == sorted(b)
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if a is _MISSING:
        a = None
    if b is _MISSING:
        b = None
    return bool(a == b)


def keep_base(b: Any, v: Any) -> Any:
    """`v`, with every part equal to the base's kept as the base wrote it (null stays null, amounts
    past the horizon stay), so that what nobody edited comes back as it was."""
    if same(v, b):
        return b
    if isinstance(b, dict) and isinstance(v, dict):
        return {k: keep_base(b.get(k), x) for k, x in v.items()}
    if isinstance(b, list) and isinstance(v, list) and len(b) == len(v):
        return [keep_base(x, y) for x, y in zip(b, v)]
    return v


# ----------------------------------------------------------------------------- what each workbook holds


@dataclass(frozen=True)
class ListSpec:
    section: str
    prefix: str                                 # the input table's name prefix (positions)
    both: tuple[str, ...]                       # fields both workbooks hold
    sp_only: tuple[str, ...]
    fc_only: tuple[str, ...]
    fc_holds: Callable[[dict[str, Any]], bool]  # the items of the base the Full Cost Workbook holds


def _year1(item: dict[str, Any]) -> bool:
    return item.get("start_year", 1) == 1


LISTS = (
    ListSpec("staff", "Staff", ("title", "fte", "salary", "functions", "in_kind", "note"),
             ("start_year", "end_year", "scenarios"), (), _year1),
    ListSpec("expenses", "Exp", ("name", "category", "amount", "function", "in_kind", "note"),
             ("start_year", "end_year"), ("payment_months",), _year1),
    ListSpec("revenue", "Rev", ("name", "stream", "confidence", "restricted", "note"),
             (), ("timing",), lambda item: True),
)


def _get(d: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return _MISSING
        d = d[part]
    return d


def _set(d: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        if not isinstance(d.get(part), dict):
            d[part] = {}
        d = d[part]
    if value is _MISSING:
        d.pop(parts[-1], None)
    else:
        d[parts[-1]] = value


def _shared_scalars(content_levels: list[str]) -> list[str]:
    org = [f"organization.{k}" for k in ("name", "region", "focus", "backbone_structure", "fiscal_year_start")]
    rates = [f"assumptions.{k}" for k in ("benefits_rate", "salary_growth", "expense_inflation", "funder_indirect_cap")]
    probs = [f"assumptions.confidence_probability.{lv}" for lv in content_levels]
    notes = [f"assumptions.confidence_notes.{lv}" for lv in content_levels]
    return org + rates + probs + notes + ["full_cost.reserves.months"]


# ----------------------------------------------------------------------------- the merge


class _Merge:
    def __init__(self, fc: Extracted, sp: Extracted, f: dict[str, Any], s: dict[str, Any], base: dict[str, Any],
                 prefer: str | None):
        self.fc, self.sp, self.f, self.s, self.base, self.prefer = fc, sp, f, s, base, prefer
        self.conflicts: list[Conflict] = []
        self.cells: dict[str, Cell] = {}

    def _cell(self, side: Extracted, path: str | None) -> str:
        c = side.cell_for(path) if path else None
        return c.address if c else ""

    def three_way(self, path: str, b: Any, fv: Any, sv: Any, fpath: str | None, spath: str | None) -> Any:
        """The merged value of one field both workbooks hold (fpath/spath: the field in each side's data)."""
        f_changed, s_changed = not same(fv, b), not same(sv, b)
        if not f_changed and not s_changed:
            self._note_cell(path, self.sp, spath)
            return b
        if f_changed and (not s_changed or same(fv, sv)):
            self._note_cell(path, self.fc, fpath)
            return fv
        if s_changed and not f_changed:
            self._note_cell(path, self.sp, spath)
            return sv
        if self.prefer == FULL_COST_ID:
            return fv
        if self.prefer == PROJECTIONS_ID:
            return sv
        self.conflicts.append(Conflict(path, fv, sv, self._cell(self.fc, fpath), self._cell(self.sp, spath)))
        return b

    def _note_cell(self, path: str, side: Extracted, side_path: str | None) -> None:
        c = side.cell_for(side_path) if side_path else None
        if c is not None:
            self.cells[path] = c

    @staticmethod
    def one_sided(b: Any, v: Any) -> Any:
        """A field one workbook holds: its value, or the base's own where equal (kept as it was written)."""
        return keep_base(b, v)

    # -- lists

    def items(self, spec: ListSpec) -> list[dict[str, Any]]:
        base = [x for x in self.base.get(spec.section) or [] if isinstance(x, dict)]
        fitems, sitems = self.f.get(spec.section) or [], self.s.get(spec.section) or []
        fpos = self.fc.positions.get(spec.prefix, list(range(len(fitems))))
        spos = self.sp.positions.get(spec.prefix, list(range(len(sitems))))
        held = [i for i, x in enumerate(base) if spec.fc_holds(x)]
        f_at = dict(zip(fpos, range(len(fitems))))       # FC table row -> index in FC's data
        s_at = dict(zip(spos, range(len(sitems))))
        f_of_base = {bi: f_at.get(row) for row, bi in enumerate(held)}
        out: list[dict[str, Any]] = []
        for i, b in enumerate(base):
            fi = f_of_base.get(i, -1)          # -1: not held by the FC; None: its row was cleared
            si = s_at.get(i)
            item = self.item(spec, len(out), b, fi, si, f"{spec.section}[{i}]", held.index(i) if i in held else -1, i)
            if item is not None:
                out.append(item)
        f_new = [n for row, n in sorted(f_at.items()) if row >= len(held)]
        s_new = [n for row, n in sorted(s_at.items()) if row >= len(base)]
        s_paired = [n for n in s_new if spec.fc_holds(sitems[n])]
        for k in range(max(len(f_new), len(s_paired))):
            fi2 = f_new[k] if k < len(f_new) else -1
            si2 = s_paired[k] if k < len(s_paired) else None
            item = self.item(spec, len(out), None, fi2, si2, f"{spec.section}[{len(out)}]")
            if item is not None:
                out.append(item)
        for n in s_new:
            if n not in s_paired:
                item = self.item(spec, len(out), None, -1, n, f"{spec.section}[{len(out)}]")
                if item is not None:
                    out.append(item)
        return out

    def item(self, spec: ListSpec, m: int, b: dict[str, Any] | None, fi: int | None, si: int | None,
             label: str, fc_row: int = -1, sp_row: int = -1) -> dict[str, Any] | None:
        """One merged item (None: deleted). fi = -1: the FC does not hold it; None: cleared there or absent."""
        sec = spec.section
        f = self.f[sec][fi] if isinstance(fi, int) and fi >= 0 else None
        s = self.s[sec][si] if si is not None else None
        f_cleared = b is not None and fi is None
        s_cleared = b is not None and s is None
        if b is None and f is None and s is None:
            return None
        if f_cleared or s_cleared:
            other, side, idx = (s, self.sp, si) if f_cleared else (f, self.fc, fi)
            keys = spec.both + (spec.sp_only if f_cleared else spec.fc_only) + (("amounts",) if sec == "revenue" else ())
            edited = other is not None and any(not same(self._field(other, k, side, other), self._field(b, k, side, other)) for k in keys)
            if (f_cleared and s_cleared) or other is None or not edited:
                return None
            if self.prefer == (FULL_COST_ID if f_cleared else PROJECTIONS_ID):
                return None
            if self.prefer is None:
                fpath = f"{sec}[{fi}]" if not f_cleared else None
                spath = f"{sec}[{si}]" if not s_cleared else None
                fcell = self._row_cell(self.fc, spec, fc_row) if f_cleared else self._cell(self.fc, fpath)
                scell = self._row_cell(self.sp, spec, sp_row) if s_cleared else self._cell(self.sp, spath)
                self.conflicts.append(Conflict(label, _CLEARED if f_cleared else "the item edited",
                                               _CLEARED if s_cleared else "the item edited", fcell, scell))
                return None
            # the preferred side edited it: it stays, as that side has it
        base = b or {}
        fpath0 = f"{sec}[{fi}]" if f is not None else None
        spath0 = f"{sec}[{si}]" if s is not None else None
        out: dict[str, Any] = {}
        for key in (*spec.both, *spec.fc_only, *spec.sp_only):
            bv = base.get(key, _MISSING)
            fv = f.get(key, _MISSING) if f is not None and key not in spec.sp_only else _MISSING
            sv = s.get(key, _MISSING) if s is not None and key not in spec.fc_only else _MISSING
            path = f"{sec}[{m}].{key}"
            if fv is not _MISSING and sv is not _MISSING:
                value = self.three_way(f"{label}.{key}", bv, fv, sv, f"{fpath0}.{key}", f"{spath0}.{key}")
            elif fv is not _MISSING:
                value = self.one_sided(bv, fv) if b is not None else fv
                self._note_cell(path, self.fc, f"{fpath0}.{key}")
            elif sv is not _MISSING:
                value = self.one_sided(bv, sv) if b is not None else sv
                self._note_cell(path, self.sp, f"{spath0}.{key}")
            else:
                value = bv
            if value is not _MISSING:
                out[key] = value
        if sec == "revenue":
            out["amounts"] = self.amounts(label, base.get("amounts") or [], f, s, fpath0, spath0)
        for side, p0 in ((self.fc, fpath0), (self.sp, spath0)):
            c = side.cell_for(p0) if p0 else None
            if c is not None:
                self.cells.setdefault(f"{sec}[{m}]", c)
        return out

    def _field(self, item: dict[str, Any] | None, key: str, side: Extracted, other: dict[str, Any]) -> Any:
        """A field as `side` holds it (revenue amounts: the years `other`, its own item, shows)."""
        if item is None:
            return _MISSING
        if key == "amounts":
            n = 1 if side is self.fc else len(other.get("amounts") or [])
            values = list(item.get("amounts") or [])
            return [values[t] if t < len(values) else 0.0 for t in range(n)]
        return item.get(key, _MISSING)

    @staticmethod
    def _row_cell(side: Extracted, spec: ListSpec, pos: int) -> str:
        """The first cell of a table row that is empty now, found from another item of the same table."""
        for n, p in enumerate(side.positions.get(spec.prefix, [])):
            c = side.cells.get(f"{spec.section}[{n}]")
            if c is not None:
                return Cell(None, c.sheet, c.row - p + pos, c.col).address
        return f"its {spec.section} row, now empty"

    def amounts(self, label: str, base: list[Any], f: dict[str, Any] | None, s: dict[str, Any] | None,
                fpath: str | None, spath: str | None) -> list[Any]:
        """Per year: year 1 is in both workbooks, later years in the projections only."""
        fa = list(f.get("amounts") or [0.0]) if f is not None else []
        sa = list(s.get("amounts") or []) if s is not None else []
        out = list(base)
        years = max(len(sa), 1 if fa else 0)

        def at(values: list[Any], t: int) -> Any:
            return values[t] if t < len(values) else 0.0

        for t in range(years):
            bv = at(base, t)
            if t == 0 and fa and s is not None:
                value = self.three_way(f"{label}.amounts[0]", bv, at(fa, 0), at(sa, 0), f"{fpath}.amounts[0]", f"{spath}.amounts[0]")
            elif t == 0 and fa:
                value = at(fa, 0)
            else:
                value = at(sa, t)
            if not same(value, bv):
                while len(out) <= t:
                    out.append(0.0)
                out[t] = value
        return out

    # -- the whole file

    def run(self, levels: list[str], default_scenarios: list[dict[str, Any]]) -> dict[str, Any]:
        f, s, b = self.f, self.s, self.base
        data: dict[str, Any] = {"schema": s.get("schema") or f.get("schema")}
        data["organization"] = dict(b.get("organization") or {})
        data["assumptions"] = dict(b.get("assumptions") or {})
        data["full_cost"] = dict(keep_base(b.get("full_cost"), f.get("full_cost") or {}))
        data["full_cost"]["reserves"] = dict(data["full_cost"].get("reserves") or {})
        for path in _shared_scalars(levels):
            bv, fv, sv = _get(b, path), _get(f, path), _get(s, path)
            value = self.three_way(path, bv, fv, sv, path, path)
            _set(data, path, None if value is _MISSING and path.startswith("assumptions.confidence_notes") else value)
        notes = data["assumptions"].get("confidence_notes")
        if isinstance(notes, dict):
            kept = {k: v for k, v in notes.items() if v is not None}
            data["assumptions"]["confidence_notes"] = kept or None
        for spec in LISTS:
            data[spec.section] = self.items(spec)
        base_proj = b.get("projections") or {}
        proj = dict(keep_base(base_proj, s.get("projections") or {}))
        if base_proj.get("scenarios") is None and same(proj.get("scenarios"), [_scenario(x) for x in default_scenarios]):
            proj["scenarios"] = None          # the defaults, as the data file had them: left to follow templates/
        data["projections"] = proj
        return data


def _scenario(sc: Any) -> Any:
    """A scenario as the workbook shows it: a stream multiplier of 100% is the same as none, an
    empty description or realization the same as none."""
    if not isinstance(sc, dict):
        return sc
    mult = {k: v for k, v in (sc.get("stream_multipliers") or {}).items() if not same(v, 1.0)}
    return {**sc, "stream_multipliers": mult or None, "realization": sc.get("realization") or None,
            "description": sc.get("description") or None}


_ATOMS = (str, int, float, bool, type(None))


def _tree_copy(value: Any) -> Any:
    """copy.deepcopy for a data file's tree of dicts, lists and plain values (five times faster:
    collect merges every partnership's pair); anything else is deep-copied as before."""
    t = type(value)
    if t is dict:
        return {k: _tree_copy(v) for k, v in value.items()}
    if t is list:
        return [_tree_copy(v) for v in value]
    if t in _ATOMS:
        return value
    import copy

    return copy.deepcopy(value)


def canonical(data: dict[str, Any], default_ids: list[str]) -> dict[str, Any]:
    """A data file with each input written one way where several mean the same (every scenario
    listed = all scenarios, null; see _scenario), so the merge compares meanings, not spellings."""
    data = _tree_copy(data)
    proj = data.get("projections") or {}
    scen = proj.get("scenarios")
    if isinstance(scen, list):
        proj["scenarios"] = [_scenario(sc) for sc in scen]
    ids = sorted(str(sc.get("id")) for sc in scen if isinstance(sc, dict)) if isinstance(scen, list) else sorted(default_ids)
    for item in [*(data.get("staff") or []), *(proj.get("one_time") or [])]:
        if isinstance(item, dict) and isinstance(item.get("scenarios"), list) and sorted(item["scenarios"]) == ids:
            item["scenarios"] = None
    return data


def _normalised(e: Extracted) -> dict[str, Any]:
    """The side's data as the schema gives it back (read only: canonical copies it)."""
    from ..schema import validate_data

    if e.normalised is not None:
        return e.normalised
    return validate_data(e.data, e.kind).to_data()


def _base(fc: Extracted, sp: Extracted, notes: list[str]) -> dict[str, Any] | None:
    from ..schema import DataFileError, validate_data

    bases = []
    for e, kind in ((fc, FULL_COST), (sp, PROJECTIONS)):
        try:
            bases.append(recalled(e.meta))
        except RecordError as exc:
            notes.append(f"the {kind.name}: {exc}")
            bases.append(None)
    fb, sb = bases
    if fb is not None and sb is not None and fb != sb:
        notes.append("the two workbooks were built from different inputs (not one build): the merge takes the "
                     f"{PROJECTIONS.name}'s as the common base")
    base = sb if sb is not None else fb
    if base is None:
        return None
    try:
        return validate_data(base, "the recorded inputs").to_data()
    except DataFileError:
        notes.append("the recorded inputs of the workbooks cannot be read as a data file; the old rule was used")
        return None


def merge(items: list[Extracted], prefer: str | None = None) -> Merged:
    """One data file from one or both workbooks (each already valid on its own when two are given).

    `prefer` ('full-cost' or 'projections', or a template id) settles every conflict in favour
    of that workbook; without it conflicts are listed in `Merged.conflicts` and the data holds
    the base's value there (the caller must not write it).
    """
    from ..content import load_content
    from ..schema import default_scenarios

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
        base = _base(fc, sp, notes)
        if base is None:
            notes.append(NO_BASE)
            return Merged(_legacy(fc, sp), notes, [], {**fc.cells, **sp.cells})
        content = load_content()
        default_ids = content.ids(content.scenarios)
        m = _Merge(fc, sp, canonical(_normalised(fc), default_ids), canonical(_normalised(sp), default_ids),
                   canonical(base, default_ids),
                   PREFER.get(prefer or "", prefer))
        data = m.run(content.level_ids, [sc.model_dump(mode="json") for sc in default_scenarios(content)])
        cells = {k: v for k, v in sp.cells.items() if k.startswith("projections")}
        cells.update({k: v for k, v in fc.cells.items() if k.startswith("full_cost")})
        cells.update(m.cells)
        return Merged(data, notes, m.conflicts, cells)
    only = fc or sp
    assert only is not None, "no workbook given"
    if only is fc:
        notes.append("only the Full Cost Workbook was given: later hires, revenue after year 1 and the projections are not in it")
    elif "full_cost" not in only.data:
        notes.append("only the Scenario Projections Tool was given: the full-cost section takes its defaults")
    return Merged(dict(only.data), notes, [], dict(only.cells))


def merge_extracted(items: list[Extracted], prefer: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """`merge` as (data, notes); ConflictError when fields were edited differently in both."""
    merged = merge(items, prefer)
    if merged.conflicts:
        raise ConflictError(merged.conflicts)
    return merged.data, merged.notes


def _carry_cash_flow(fc: dict[str, Any], data: dict[str, Any]) -> None:
    """The old rule: the cash-flow timing lives on the Full Cost Workbook only: give it to the
    matching revenue source and expense (by name, in order) of the Scenario Projections Tool's lists."""
    for section, key in (("revenue", "timing"), ("expenses", "payment_months")):
        given: dict[Any, list[Any]] = {}
        for item in fc.get(section) or []:
            if isinstance(item, dict) and key in item:
                given.setdefault(item.get("name"), []).append(item[key])
        for item in data.get(section) or []:
            if isinstance(item, dict) and given.get(item.get("name")):
                item[key] = given[item.get("name")].pop(0)


def _legacy(fc: Extracted, sp: Extracted) -> dict[str, Any]:
    """Workbooks that record no base: staff, expenses, revenue, assumptions and projections from
    the projections, full_cost from the Full Cost Workbook (the rule before the merge)."""
    data = dict(sp.data)
    data["full_cost"] = fc.data["full_cost"]
    _carry_cash_flow(fc.data, data)
    return data
