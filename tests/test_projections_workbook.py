"""The Scenario Projections Tool workbook: three numbers that must agree (model, cached values,
LibreOffice's recalculation), live formulas after user edits, the Scenario View dropdown,
and the build rules (byte-identical output, text stays text, one formula shape per row).

Every workbook that needs LibreOffice is built first and recalculated in ONE soffice call
(`recalculated` fixture): the examples, 50 hypothesis-generated data files, edited copies and
the blank template.
"""
from __future__ import annotations

import copy
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import openpyxl
import openpyxl.utils.cell
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from openpyxl.formula.translate import Translator

from generator.content import load_content
from generator.fingerprint import fingerprint, read_formulas
from generator.libreoffice import Recalculated, read_recalculated, recalc_and_read
from generator.model.projections import compute_projections, fy_labels
from generator.schema import Partnership, validate_data
from generator.workbook.projections import TEMPLATE_ID, TEMPLATE_VERSION, build_projections
from tests.strategies import partnership_data

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "templates" / "examples").glob("*.yaml"))
RIVERSIDE = ROOT / "templates" / "examples" / "riverside-housing.yaml"
HYPOTHESIS_FILES = 49   # 7 groups of 7 (see hypothesis_data)
EVIL = '=HYPERLINK("http://x","y")'
CONTENT = load_content()


# ----------------------------------------------------------------------------- helpers


def load_data(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def partnership(data: dict[str, Any]) -> Partnership:
    return validate_data(copy.deepcopy(data), "<test>", CONTENT)


def same(got: Any, want: Any) -> bool:
    """Model value vs workbook value: relative 1e-9 or absolute 1e-6; text and "" exact (an empty
    formula result reads back as None)."""
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if got is None:
        got = ""
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, str) or isinstance(got, str):
        return got == want
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6)


def mismatches(model: dict[str, Any], names: dict[str, Any], label: str) -> list[str]:
    out = []
    for key, want in model.items():
        if key not in names:
            out.append(f"{label}: {key} is not a defined name")
        elif not same(names[key], want):
            out.append(f"{label}: {key}: model {want!r}, workbook {names[key]!r}")
    return out


def cell_of(wb: openpyxl.Workbook, name: str, row: int = 0, col: int = 0) -> Any:
    """The openpyxl cell at (row, col) inside a defined name's range."""
    [(sheet, ref)] = list(wb.defined_names[name].destinations)
    first = ref.replace("$", "").split(":")[0]
    cell = wb[sheet][first]
    return wb[sheet].cell(row=cell.row + row, column=cell.column + col)


def scenario_dicts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The data file's scenarios written out (defaults filled), so a test can edit them."""
    p = partnership(data)
    return [s.model_dump(mode="json") for s in p.scenario_list(CONTENT)]


@dataclass
class Case:
    """One workbook in the LibreOffice batch and the model it must equal."""

    key: str
    path: Path
    model: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


def build(data: dict[str, Any], path: Path, **kw: Any) -> tuple[Partnership, dict[str, str]]:
    p = partnership(data)
    return p, build_projections(p, path, CONTENT, **kw)


def edited_copy(src: Path, dest: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    """Open a built workbook as a user would (openpyxl), edit input cells, save."""
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(dest)
    return dest


# ----------------------------------------------------------------------------- the batch


def hypothesis_data() -> list[dict[str, Any]]:
    """About HYPOTHESIS_FILES data files from the strategy, deterministically, in equal groups: the
    template's scenarios, then 1 to 6 scenarios of their own. (Grouped so the batch's variety does
    not hang on which constants Hypothesis happens to mix in from the modules under test.)"""
    found: list[dict[str, Any]] = []
    counts = range(0, 7)
    for n_scenarios in counts:
        @settings(max_examples=HYPOTHESIS_FILES // len(counts), derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(partnership_data(n_scenarios=n_scenarios))
        def collect(data: dict[str, Any]) -> None:
            found.append(data)

        collect()
    return found


def widest_data(base: dict[str, Any]) -> dict[str, Any]:
    """Riverside stretched to the limits: 10 years and 6 scenarios (overrides of every kind)."""
    data = copy.deepcopy(base)
    data["projections"]["years"] = 10
    for src in data["revenue"]:
        src["amounts"] = (src["amounts"] * 2)[:10]
    data["projections"]["scenarios"] += [
        {"id": "grant_lost", "name": "Grant lost", "stream_multipliers": {"philanthropy": 0.5}, "salary_growth": 0},
        {"id": "public_cuts", "name": "Public cuts", "realization": {"likely": 0.6}, "stream_multipliers": {"public": 0.7},
         "expense_multiplier": 0.9},
    ]
    data["staff"][0]["end_year"] = 7
    data["expenses"][1]["start_year"], data["expenses"][1]["end_year"] = 3, 8
    data["projections"]["one_time"].append({"name": "Office move", "year": 10, "amount": 30000, "scenarios": ["grant_lost"]})
    return data


def _edits(base: dict[str, Any]) -> list[tuple[str, Callable[[openpyxl.Workbook], None], Callable[[dict[str, Any]], None]]]:
    """(key, workbook edit, the same edit on the data) for Riverside."""

    def scen(data: dict[str, Any], sid: str) -> dict[str, Any]:
        data["projections"]["scenarios"] = data["projections"].get("scenarios") or scenario_dicts(data)
        return next(s for s in data["projections"]["scenarios"] if s["id"] == sid)

    def d_revenue(d: dict[str, Any]) -> None:
        d["revenue"][0]["amounts"][1] = 123456

    def d_realization(d: dict[str, Any]) -> None:
        scen(d, "conservative")["realization"]["likely"] = 0.3
        scen(d, "base")["realization"] = {"possible": 0.2}

    def d_start(d: dict[str, Any]) -> None:
        d["staff"][3]["start_year"] = 2

    def d_include(d: dict[str, Any]) -> None:
        d["staff"][3]["scenarios"] = ["base", "conservative", "ed_transition"]

    new_amounts = [10000, 20000, 30000, 40000, 50000]

    def d_new_revenue(d: dict[str, Any]) -> None:
        d["revenue"].append({"name": "New earned income", "stream": "earned_revenue", "confidence": "possible",
                             "restricted": True, "amounts": new_amounts})

    def d_new_staff(d: dict[str, Any]) -> None:
        d["staff"].append({"title": "Data fellow", "fte": 0.5, "salary": 60000, "functions": "data_impact"})

    def d_new_one_time(d: dict[str, Any]) -> None:
        d["projections"]["one_time"].append({"name": "Bequest", "year": 4, "amount": -20000})

    def d_growth(d: dict[str, Any]) -> None:
        scen(d, "growth")["salary_growth"] = 0

    n_rev, n_staff, n_ot = len(base["revenue"]), len(base["staff"]), len(base["projections"]["one_time"])

    def w_new_revenue(wb: openpyxl.Workbook) -> None:
        cell_of(wb, "Rev_name", n_rev).value = "New earned income"
        cell_of(wb, "Rev_stream", n_rev).value = "Earned revenue"
        cell_of(wb, "Rev_confidence", n_rev).value = "Possible"
        cell_of(wb, "Rev_restricted", n_rev).value = "Yes"
        for t, amount in enumerate(new_amounts, start=1):
            cell_of(wb, f"Rev_y{t}", n_rev).value = amount

    def w_new_staff(wb: openpyxl.Workbook) -> None:  # start, end and scenario flags left blank
        cell_of(wb, "Staff_title", n_staff).value = "Data fellow"
        cell_of(wb, "Staff_fte", n_staff).value = 0.5
        cell_of(wb, "Staff_salary", n_staff).value = 60000
        cell_of(wb, "Staff_share_data_impact", n_staff).value = 1

    def w_new_one_time(wb: openpyxl.Workbook) -> None:
        cell_of(wb, "OT_name", n_ot).value = "Bequest"
        cell_of(wb, "OT_year", n_ot).value = 4
        cell_of(wb, "OT_amount", n_ot).value = -20000

    def setter(name: str, value: Any, row: int = 0) -> Callable[[openpyxl.Workbook], None]:
        def edit(wb: openpyxl.Workbook) -> None:
            cell_of(wb, name, row).value = value
        return edit

    def both(*edits: Callable[[openpyxl.Workbook], None]) -> Callable[[openpyxl.Workbook], None]:
        def edit(wb: openpyxl.Workbook) -> None:
            for e in edits:
                e(wb)
        return edit

    return [
        ("revenue_amount", setter("Rev_y2", 123456, 0), d_revenue),
        ("realization", both(setter("Scen_conservative_Real_likely", 0.3), setter("Scen_base_Real_possible", 0.2)), d_realization),
        ("start_year", setter("Staff_start", 2, 3), d_start),
        ("include_flag", setter("Staff_inc_growth", "No", 3), d_include),
        ("new_revenue_row", w_new_revenue, d_new_revenue),
        ("new_staff_row", w_new_staff, d_new_staff),
        ("new_one_time_row", w_new_one_time, d_new_one_time),
        ("salary_growth_zero", setter("Scen_growth_SalaryGrowth", 0), d_growth),
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """Every workbook of the batch, built (no LibreOffice yet)."""
    out = tmp_path_factory.mktemp("projections")
    cases: dict[str, Case] = {}
    for ex in EXAMPLES:
        data = load_data(ex)
        p, _ = build(data, out / f"ex-{ex.stem}.xlsx")
        cases[f"ex-{ex.stem}"] = Case(f"ex-{ex.stem}", out / f"ex-{ex.stem}.xlsx", compute_projections(p, CONTENT), {"data": data})
    for n, data in enumerate(hypothesis_data()):
        path = out / f"hyp-{n:03d}.xlsx"
        p, _ = build(data, path)
        cases[path.stem] = Case(path.stem, path, compute_projections(p, CONTENT), {"data": data})
    base = load_data(RIVERSIDE)
    widest = widest_data(base)
    p, _ = build(widest, out / "widest.xlsx")
    cases["widest"] = Case("widest", out / "widest.xlsx", compute_projections(p, CONTENT), {"data": widest})
    src = cases["ex-riverside-housing"].path
    for key, w_edit, d_edit in _edits(base):
        data = copy.deepcopy(base)
        d_edit(data)
        path = edited_copy(src, out / f"edit-{key}.xlsx", w_edit)
        cases[f"edit-{key}"] = Case(f"edit-{key}", path, compute_projections(partnership(data), CONTENT))
    p = partnership(base)
    for n, sc in enumerate(p.scenario_list(CONTENT)[1:], start=2):  # picked by its number in the scenario table
        path = edited_copy(src, out / f"view-{sc.id}.xlsx", lambda wb, n=n: setattr(cell_of(wb, "View_Pick"), "value", n))
        cases[f"view-{sc.id}"] = Case(f"view-{sc.id}", path, cases["ex-riverside-housing"].model, {"sid": sc.id})
    blank = {"schema": "pbp-toolkit/partnership/1",
             "organization": {"name": "x", "backbone_structure": "hosted_nonprofit", "fiscal_year_start": "2026-07-01"}}
    p, _ = build(blank, out / "blank.xlsx", blank=True)
    cases["blank"] = Case("blank", out / "blank.xlsx", compute_projections(p, CONTENT), {"p": p})
    evil = copy.deepcopy(base)
    evil["organization"]["name"] = evil["revenue"][0]["name"] = evil["staff"][0]["title"] = EVIL
    evil["expenses"][0]["name"] = evil["projections"]["one_time"][0]["name"] = EVIL
    evil["projections"]["scenarios"][0]["name"] = evil["projections"]["scenarios"][0]["description"] = EVIL
    p, _ = build(evil, out / "evil.xlsx")
    cases["evil"] = Case("evil", out / "evil.xlsx", compute_projections(p, CONTENT))
    return cases


@pytest.fixture(scope="module")
def recalculated(built: dict[str, Case], soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Recalculated]:
    """ONE LibreOffice call over every workbook of the batch."""
    cases = list(built.values())
    recs = recalc_and_read([c.path for c in cases], tmp_path_factory.mktemp("recalc"))
    return {c.key: r for c, r in zip(cases, recs)}


# ----------------------------------------------------------------------------- model = LibreOffice = cached


@pytest.mark.libreoffice
@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_example_recalculation_equals_model(recalculated: dict[str, Recalculated], built: dict[str, Case], example: str) -> None:
    key = f"ex-{example}"
    rec = recalculated[key]
    assert rec.errors == []
    assert mismatches(built[key].model, rec.names, key) == []
    assert rec.names["SP_Checks_OK"] is True


@pytest.mark.libreoffice
def test_generated_files_recalculation_equals_model(recalculated: dict[str, Recalculated], built: dict[str, Case]) -> None:
    keys = [k for k in built if k.startswith("hyp-")]
    assert len(keys) >= HYPOTHESIS_FILES
    problems: list[str] = []
    for key in keys:
        rec = recalculated[key]
        problems += [f"{key}: error {e}" for e in rec.errors]
        problems += mismatches(built[key].model, rec.names, key)
    assert problems == []


def test_cached_values_equal_model(built: dict[str, Case]) -> None:
    """What a reader that does not recalculate sees (openpyxl data_only on the original file)."""
    problems: list[str] = []
    for key, case in built.items():
        if key.startswith(("edit-", "view-")) or key == "blank":
            continue  # openpyxl-saved copies carry no cached values; the blank template has its own test
        cached = read_recalculated(case.path)
        problems += [f"{key}: cached error {e}" for e in cached.errors]
        problems += mismatches(case.model, cached.names, key)
    assert problems == []


def test_generated_files_vary(built: dict[str, Case]) -> None:
    """The generated batch varies in horizon and scenarios; the widest case (10 years, 6 scenarios) is always in.

    (Hypothesis mixes constants from the imported modules into its draws, so the exact batch
    depends on the code; hypothesis_data groups it by scenario count, and only variety is asserted.)"""
    datas = [c.extra["data"] for k, c in built.items() if k.startswith("hyp-")]
    years = {d["projections"]["years"] for d in datas}
    n_scen = {len(d["projections"]["scenarios"] or [1, 2, 3]) for d in datas}
    assert len(years) >= 4 and n_scen >= {1, 2, 3, 4, 5, 6}
    assert any(d["projections"]["scenarios"] is None for d in datas)
    widest = built["widest"].extra["data"]["projections"]
    assert widest["years"] == 10 and len(widest["scenarios"]) == 6


@pytest.mark.libreoffice
def test_widest_workbook_equals_model(recalculated: dict[str, Recalculated], built: dict[str, Case]) -> None:
    rec = recalculated["widest"]
    assert rec.errors == []
    assert mismatches(built["widest"].model, rec.names, "widest") == []
    assert len(rec.names["SP_public_cuts_EndCash"]) == 10


# ----------------------------------------------------------------------------- live formulas


EDIT_KEYS = ["revenue_amount", "realization", "start_year", "include_flag", "new_revenue_row", "new_staff_row",
             "new_one_time_row", "salary_growth_zero"]


@pytest.mark.libreoffice
@pytest.mark.parametrize("edit", EDIT_KEYS)
def test_edited_workbook_equals_model_of_edited_data(recalculated: dict[str, Recalculated], built: dict[str, Case], edit: str) -> None:
    key = f"edit-{edit}"
    rec = recalculated[key]
    assert rec.errors == []
    assert mismatches(built[key].model, rec.names, key) == []
    # the edit really changed something
    assert any(not same(rec.names[k], v) for k, v in built["ex-riverside-housing"].model.items())


@pytest.mark.libreoffice
def test_scenario_view_dropdown_switches_scenario(recalculated: dict[str, Recalculated], built: dict[str, Case]) -> None:
    model = built["ex-riverside-housing"].model
    first = recalculated["ex-riverside-housing"].names
    assert same(first["View_EndCash"], model["SP_base_EndCash"])
    views = [k for k in built if k.startswith("view-")]
    assert len(views) == 3
    for key in views:
        sid, rec = built[key].extra["sid"], recalculated[key].names
        assert recalculated[key].errors == []
        for suffix in ["Revenue", "Personnel", "NonPersonnel", "OneTime", "Expenses", "Surplus", "EndCash", "MonthsCash",
                       "ReserveGap", "FTE", "RunwayCash", "RunwayReserve", *[f"Revenue_{k}" for k in CONTENT.stream_ids]]:
            assert same(rec[f"View_{suffix}"], model[f"SP_{sid}_{suffix}"]), (key, suffix)
        assert rec["View_Index"] == [s.id for s in partnership(load_data(RIVERSIDE)).scenario_list(CONTENT)].index(sid) + 1


def test_scenario_view_caches_first_scenario(built: dict[str, Case]) -> None:
    cached = read_recalculated(built["ex-riverside-housing"].path).names
    model = built["ex-riverside-housing"].model
    assert cached["View_Scenario"] == "Base"
    assert same(cached["View_EndCash"], model["SP_base_EndCash"])
    assert same(cached["View_RunwayCash"], model["SP_base_RunwayCash"])


@pytest.mark.libreoffice
def test_blank_template(recalculated: dict[str, Recalculated], built: dict[str, Case]) -> None:
    case = built["blank"]
    cached, rec = read_recalculated(case.path).names, recalculated["blank"]
    assert rec.errors == []
    assert cached["SP_Checks_OK"] is False and rec.names["SP_Checks_OK"] is False
    assert cached["In_OrgName"] is None and cached["In_FYStart"] is None
    assert rec.names["Yr_Label"] == cached["Yr_Label"] == [f"Year {t}" for t in range(1, 6)]
    model = {k: v for k, v in case.model.items() if k != "SP_Checks_OK" and not k.endswith(("RunwayCash", "RunwayReserve"))}
    assert mismatches(model, rec.names, "blank") == []
    assert mismatches(model, cached, "blank") == []
    assert [rec.names[f"SP_{s}_RunwayCash"] for s in ("base", "conservative", "growth")] == ["not applicable"] * 3  # SPEC 5: never a reassuring "none" before it is filled in


# ----------------------------------------------------------------------------- build rules


def test_defined_names_cover_every_output(tmp_path: Path) -> None:
    data = load_data(RIVERSIDE)
    p, names = build(data, tmp_path / "r.xlsx")
    model = compute_projections(p, CONTENT)
    n = p.years
    for key, value in model.items():
        assert key in names, key
        ref = names[key].split("!")[1].replace("$", "")
        if isinstance(value, list):
            first, last = ref.split(":")
            assert re.sub(r"\D", "", first) == re.sub(r"\D", "", last), f"{key} is not one row"
            assert openpyxl.utils.cell.range_boundaries(ref)[2] - openpyxl.utils.cell.range_boundaries(ref)[0] + 1 == n
        else:
            assert ":" not in ref, key
    for name in ["In_OrgName", "In_Region", "In_Focus", "In_FYStart", "In_Structure", "In_BenefitsRate", "In_SalaryGrowth",
                 "In_ExpenseInflation", "In_IndirectCap", "In_StartingCash", "In_ReserveMonths", "In_Years", "Conf_level",
                 "Conf_prob", "Yr_Index", "Yr_Label", "View_Scenario", "Scen_Names", "Staff_inc_ed_transition", "OT_inc_base"]:
        assert name in names, name
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert all(d.localSheetId is None for d in wb.defined_names.values())


def test_metadata_and_capacity(tmp_path: Path) -> None:
    data = load_data(RIVERSIDE)
    build(data, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    meta = {r[0].value: r[1].value for r in wb["Metadata"].iter_rows(min_row=2)}
    assert meta["template_id"] == TEMPLATE_ID and meta["template_version"] == TEMPLATE_VERSION
    assert meta["scenario_ids"] == "base,conservative,growth,ed_transition" and meta["years"] == "5"
    assert int(meta["capacity_staff"]) >= 40 and int(meta["capacity_expenses"]) >= 40
    assert int(meta["capacity_revenue"]) >= 50 and int(meta["capacity_one_time"]) >= 20
    assert meta["formula_fingerprint"] and int(meta["formula_count"]) > 1000
    assert meta["formula_fingerprint"] == fingerprint((s, c, f) for (s, c), f in read_formulas(tmp_path / "r.xlsx").items())
    assert wb["Metadata"].sheet_state == "hidden" and wb["Lists"].sheet_state == "hidden"
    assert wb.sheetnames[:10] == ["Start Here", "Organization", "Assumptions", "Revenue", "Staffing Plan", "Expenses",
                                  "One-time Items", "Calculations", "Scenario View", "Compare"]
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
    # inputs are unlocked, formulas locked
    assert cell_of(wb, "Rev_y1").protection.locked is False
    assert cell_of(wb, "Scen_base_Name").protection.locked is False
    assert cell_of(wb, "View_Pick").protection.locked is False
    assert cell_of(wb, "View_Scenario").protection.locked is True  # the picked scenario's name, a formula
    assert cell_of(wb, "SP_base_EndCash").protection.locked is True
    assert cell_of(wb, "Scen_base_Id").protection.locked is True


def test_charts_and_password(tmp_path: Path) -> None:
    data = load_data(RIVERSIDE)
    build(data, tmp_path / "r.xlsx", password="s3cret")
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        drawings = [n for n in z.namelist() if n.startswith("xl/drawings/drawing")]
    assert len(charts) == 3 and len(drawings) == 2  # Scenario View: 1 (combined); Compare: 2
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert all(ws.protection.sheet and ws.protection.password for ws in wb.worksheets)


def test_capacity_grows_with_the_data(tmp_path: Path) -> None:
    data = load_data(RIVERSIDE)
    data["revenue"] = [dict(data["revenue"][0], name=f"Source {i}") for i in range(55)]
    build(data, tmp_path / "big.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "big.xlsx")
    meta = {r[0].value: r[1].value for r in wb["Metadata"].iter_rows(min_row=2)}
    assert meta["capacity_revenue"] == "65"


def test_byte_identical_build(tmp_path: Path) -> None:
    data = load_data(RIVERSIDE)
    build(data, tmp_path / "a.xlsx")
    build(data, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def _formulas(path: Path) -> list[tuple[str, str, str]]:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def test_text_stays_text(built: dict[str, Case]) -> None:
    path = built["evil"].path
    wb = openpyxl.load_workbook(path)
    hits = [(ws.title, c.coordinate, c.data_type) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == EVIL]
    assert len(hits) >= 7
    assert all(dt == "s" for _, _, dt in hits)
    assert not any("HYPERLINK" in f for _, _, f in _formulas(path))
    cached = read_recalculated(path).names
    assert cached["In_OrgName"] == EVIL and cached["View_Scenario"] == EVIL


@pytest.mark.libreoffice
def test_text_stays_text_after_recalculation(recalculated: dict[str, Recalculated], built: dict[str, Case]) -> None:
    rec = recalculated["evil"]
    assert rec.errors == []
    assert rec.names["In_OrgName"] == EVIL and rec.names["Scen_Names"][0] == EVIL
    assert mismatches(built["evil"].model, rec.names, "evil") == []


FORBIDDEN = re.compile(r"\b(XLOOKUP|XMATCH|LET|LAMBDA|FILTER|SEQUENCE|SORT|SORTBY|UNIQUE|RANDARRAY|IFS|SWITCH|MAXIFS|MINIFS|TEXTJOIN|CONCAT)\s*\(|_xlfn|_xlws", re.I)
TOKEN = re.compile(r'"[^"]*"|\'[^\']*\'|[A-Za-z_$][A-Za-z0-9_$.]*|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')


def test_formula_rules(tmp_path: Path) -> None:
    """Portable functions only, no array formulas, no numbers typed in formulas except 0, 1 and 12."""
    data = load_data(RIVERSIDE)
    build(data, tmp_path / "r.xlsx")
    formulas = _formulas(tmp_path / "r.xlsx")
    assert len(formulas) > 1000
    for sheet, coord, f in formulas:
        assert isinstance(f, str), (sheet, coord, f)  # ArrayFormula objects would not be str
        assert not FORBIDDEN.search(f), (sheet, coord, f)
        numbers = [t for t in TOKEN.findall(f) if t[0].isdigit()]
        assert set(numbers) <= {"0", "1", "12"}, (sheet, coord, f)
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b't="array"' not in z.read(name), name


def test_one_formula_shape_per_row(tmp_path: Path) -> None:
    """Within a row of year columns every formula is the first one moved across (FAST)."""
    data = load_data(RIVERSIDE)
    data["projections"]["years"] = 7
    p, _ = build(data, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    checked = 0
    for sheet, first_col in [("Calculations", 3), ("Scenario View", 2), ("Compare", 2)]:
        ws = wb[sheet]
        for row in ws.iter_rows():
            cells = [c for c in row[first_col - 1:first_col - 1 + p.years]]
            if len(cells) < p.years or not all(c.data_type == "f" for c in cells):
                continue
            origin = cells[0]
            for c in cells[1:]:
                moved = Translator(origin.value, origin=origin.coordinate).translate_formula(c.coordinate)
                assert moved == c.value, (sheet, c.coordinate, origin.value, c.value)
            checked += 1
    assert checked > 100


def test_fiscal_year_labels_and_runway(tmp_path: Path) -> None:
    data = load_data(RIVERSIDE)
    p, _ = build(data, tmp_path / "r.xlsx")
    cached = read_recalculated(tmp_path / "r.xlsx").names
    assert cached["Yr_Label"] == fy_labels(p) == ["FY2027", "FY2028", "FY2029", "FY2030", "FY2031"]
    assert cached["Yr_Index"] == [1, 2, 3, 4, 5] and cached["In_Years"] == 5
    for sid in ("base", "conservative", "growth", "ed_transition"):
        assert cached[f"SP_{sid}_RunwayCash"] in ["none", *fy_labels(p)]


def test_name_case_clash_is_refused(tmp_path: Path) -> None:
    """Excel names ignore case: scenario ids that would give clashing names are refused by the
    schema (so `check` says so), and the builder still refuses clashing names itself."""
    from generator.schema import DataFileError
    from generator.workbook.layout import WorkbookBuildError
    from generator.workbook.projections import _no_case_clash

    data = load_data(RIVERSIDE)
    data["projections"]["scenarios"] = [{"id": "a", "name": "A"}, {"id": "a_revenue_earned", "name": "B"}]
    for s in data["staff"]:
        s.pop("scenarios", None)
    data["projections"]["one_time"] = []
    with pytest.raises(DataFileError, match="collide"):
        build(data, tmp_path / "x.xlsx")
    with pytest.raises(WorkbookBuildError, match="differ only in case"):
        _no_case_clash(["SP_a_Revenue_earned", "SP_a_revenue_earned"])


def test_duplicate_scenario_names_fail_the_checks(tmp_path: Path) -> None:
    data = load_data(RIVERSIDE)
    data["projections"]["scenarios"][1]["name"] = "BASE"
    p, _ = build(data, tmp_path / "d.xlsx")
    assert compute_projections(p, CONTENT)["SP_Checks_OK"] is False
    assert read_recalculated(tmp_path / "d.xlsx").names["SP_Checks_OK"] is False
