"""Portable formulas (SPEC section 5): engines nobody on the project wrote give the model's numbers.

Gnumeric (`ssconvert --recalc`) recalculates the examples, the blank templates, 20 generated
data files (3 to 10 years, 1 to 6 scenarios) and files a user edited; the Python `formulas`
package recalculates the examples and the blanks. Every named output must equal the model,
every formula cell must equal the value cached in the file (LibreOffice's recalculation for
an edited file, which carries no cached values), and no cell may hold an error value.
"""
from __future__ import annotations

import copy
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from generator.build import blank_partnership, example_names, example_path
from generator.content import load_content
from generator.engines import cell_values, formula_cells, formulas_recalc, gnumeric_recalculate
from generator.libreoffice import is_error_value, read_recalculated, recalculate
from generator.model.full_cost import compute_full_cost, year1_staff
from generator.model.projections import compute_projections
from generator.schema import validate_data
from generator.workbook.full_cost import build_full_cost
from generator.workbook.projections import build_projections

from .compare import mismatches, same
from .edit import cell, set_value
from .strategies import drawn

# Gnumeric writes no default cell style; openpyxl says so when reading its files, harmlessly
pytestmark = pytest.mark.filterwarnings("ignore:Workbook contains no default style")

CONTENT = load_content()
N_GENERATED = 20
BUILD = {"full-cost": build_full_cost, "scenario-projections": build_projections}
MODEL = {"full-cost": compute_full_cost, "scenario-projections": compute_projections}


@dataclass
class Case:
    key: str
    kind: str
    path: Path
    model: dict[str, Any]
    edited: bool = False
    data: dict[str, Any] = field(default_factory=dict)


def _generated() -> list[dict[str, Any]]:
    return drawn(N_GENERATED)


def _edit(data: dict[str, Any], kind: str) -> tuple[dict[str, Any], Any]:
    """What a user types into a built workbook (by defined name) and the same change to the data file:
    a new benefits rate, a revenue amount, and a new position typed into the first empty row
    (start, end, in-kind and scenario cells left empty)."""
    new = copy.deepcopy(data)
    new.setdefault("assumptions", {})["benefits_rate"] = 0.31
    new["revenue"][0]["amounts"][0] = 123_456
    fid = CONTENT.function_ids[0]
    new["staff"].append({"title": "Data analyst", "fte": 0.5, "salary": 61_000, "functions": {fid: 1}})
    p = validate_data(data, "edit")
    row = len(year1_staff(p)) if kind == "full-cost" else len(p.staff)  # the first empty Staffing row

    def apply(wb: Any) -> None:
        set_value(wb, "In_BenefitsRate", 0.31)
        set_value(wb, "Rev_amount" if kind == "full-cost" else "Rev_y1", 123_456, 0)
        set_value(wb, "Staff_title", "Data analyst", row)
        set_value(wb, "Staff_fte", 0.5, row)
        set_value(wb, "Staff_salary", 61_000, row)
        set_value(wb, f"Staff_share_{fid}", 1, row)

    return new, apply


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    out = tmp_path_factory.mktemp("engines")
    found: dict[str, Case] = {}

    def add(key: str, kind: str, data: dict[str, Any] | None, blank: bool = False) -> None:
        p = blank_partnership(content=CONTENT) if blank else validate_data(data, key)
        path = out / f"{key}-{kind}.xlsx"
        BUILD[kind](p, path, CONTENT, blank=blank)
        found[f"{key}/{kind}"] = Case(f"{key}/{kind}", kind, path, MODEL[kind](p, CONTENT), data=data or {})

    for name in example_names():
        data = yaml.safe_load(example_path(name).read_text(encoding="utf-8"))
        for kind in BUILD:
            add(name, kind, data)
    for kind in BUILD:
        add("blank", kind, None, blank=True)
    for n, data in enumerate(_generated()):
        for kind in BUILD:
            add(f"generated-{n:02d}", kind, data)
    # live edits on an example
    base = found["riverside-housing/full-cost"].data
    for kind in BUILD:
        new, apply = _edit(base, kind)
        src = found[f"riverside-housing/{kind}"].path
        wb = openpyxl.load_workbook(src)
        apply(wb)
        path = out / f"edited-{kind}.xlsx"
        wb.save(path)
        found[f"edited/{kind}"] = Case(f"edited/{kind}", kind, path, MODEL[kind](validate_data(new, "edited"), CONTENT),
                                       edited=True, data=new)
    return found


@pytest.fixture(scope="module")
def gnumeric(cases: dict[str, Case], ssconvert: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Gnumeric's recalculated copy of every case (ssconvert runs two at a time)."""
    keys = list(cases)
    outs = gnumeric_recalculate([cases[k].path for k in keys], tmp_path_factory.mktemp("gnumeric"))
    return dict(zip(keys, outs))


@pytest.fixture(scope="module")
def reference(cases: dict[str, Case], soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """What each formula cell must hold: the file itself (its cached values), or for an edited
    file (openpyxl keeps no results) LibreOffice's recalculation of it, in one soffice run."""
    edited = [k for k, c in cases.items() if c.edited]
    saved = recalculate([cases[k].path for k in edited], tmp_path_factory.mktemp("lo"))
    ref = {k: c.path for k, c in cases.items()}
    ref.update(dict(zip(edited, saved)))
    return ref


def _expected_names(case: Case) -> dict[str, Any]:
    """The model's outputs, or for a blank template the values cached in it (its inputs are empty,
    so the checks and runway read differently from the model of an empty partnership)."""
    if case.key.startswith("blank/"):
        cached = read_recalculated(case.path).names
        return {k: ("" if cached[k] is None else cached[k]) for k in case.model}
    return case.model


def _cell_mismatches(formulas: dict[tuple[str, str], str], want: dict[tuple[str, str], Any],
                     got: dict[tuple[str, str], Any], label: str) -> list[str]:
    bad = []
    for key, f in formulas.items():
        w, g = want[key], got.get(key)
        w = "" if w is None else w
        g = "" if g is None else g
        if is_error_value(g) or not same(w, g):
            bad.append(f"{label} {key[0]}!{key[1]} ={f[:80]}: expected {w!r}, got {g!r}")
    return bad


def test_generated_files_vary(cases: dict[str, Case]) -> None:
    datas = [c.data for k, c in cases.items() if k.startswith("generated") and c.kind == "scenario-projections"]
    assert len(datas) == N_GENERATED
    years = {d["projections"]["years"] for d in datas}
    scenarios = {len(d["projections"]["scenarios"] or CONTENT.scenarios) for d in datas}
    assert min(years) >= 3 and max(years) <= 10 and len(years) >= 3
    assert len(scenarios) >= 3 and max(scenarios) <= 6


@pytest.mark.gnumeric
def test_gnumeric_reproduces_every_named_output(cases: dict[str, Case], gnumeric: dict[str, Path]) -> None:
    problems: list[str] = []
    for key, case in cases.items():
        rec = read_recalculated(gnumeric[key])
        problems += [f"{key}: error {e}" for e in rec.errors]
        problems += [f"{key}: {m}" for m in mismatches(_expected_names(case), rec.names)]
    assert problems == []


@pytest.mark.gnumeric
@pytest.mark.libreoffice
def test_gnumeric_reproduces_every_formula_cell(cases: dict[str, Case], gnumeric: dict[str, Path],
                                                reference: dict[str, Path]) -> None:
    problems: list[str] = []
    for key, case in cases.items():
        formulas = formula_cells(case.path)
        assert len(formulas) > 300, key
        problems += _cell_mismatches(formulas, cell_values(reference[key], list(formulas)),
                                     cell_values(gnumeric[key], list(formulas)), key)
    assert problems == []


@pytest.mark.gnumeric
def test_runway_is_not_none_when_cash_runs_out(cases: dict[str, Case], gnumeric: dict[str, Path]) -> None:
    """The generated batch has scenarios that run out of cash, and Gnumeric names the same year."""
    short = [(k, n) for k, c in cases.items() if c.kind == "scenario-projections" and not c.key.startswith("blank")
             for n, v in c.model.items() if n.endswith("_RunwayCash") and v != "none"]
    assert len(short) >= 5
    names = {key: read_recalculated(gnumeric[key]).names for key in {k for k, _ in short}}
    for key, name in short:
        assert names[key][name] == cases[key].model[name], (key, name)


@pytest.fixture(scope="module")
def formulas_results(cases: dict[str, Case]) -> dict[str, Any]:
    pytest.importorskip("formulas")
    keys = [k for k in cases if not k.startswith(("generated", "edited"))]
    with ProcessPoolExecutor(max_workers=2) as pool:  # pure Python and slow: both cores
        return dict(zip(keys, pool.map(formulas_recalc, [cases[k].path for k in keys])))


def test_formulas_package_reproduces_examples_and_blanks(cases: dict[str, Case], formulas_results: dict[str, Any]) -> None:
    assert len(formulas_results) == 2 * (len(example_names()) + 1)
    problems: list[str] = []
    for key, rec in formulas_results.items():
        case = cases[key]
        problems += [f"{key}: error {e}" for e in rec.errors]
        problems += [f"{key}: {m}" for m in mismatches(_expected_names(case), rec.names)]
        formulas = formula_cells(case.path)
        got = {(s, c): rec.cells.get((s.upper(), c)) for s, c in formulas}
        missing = [k for k in formulas if (k[0].upper(), k[1]) not in rec.cells]
        assert missing == [], f"{key}: formulas did not evaluate {missing[:5]}"
        problems += _cell_mismatches(formulas, cell_values(case.path, list(formulas)), got, key)
    assert problems == []


def test_edit_helper_types_into_the_first_empty_row(cases: dict[str, Case]) -> None:
    """The live-edit case really changed the inputs the model was given."""
    for kind in BUILD:
        wb = openpyxl.load_workbook(cases[f"edited/{kind}"].path)
        titles = [c.value for c in [cell(wb, "Staff_title", i) for i in range(12)]]
        assert titles.count("Data analyst") == 1
        assert cell(wb, "In_BenefitsRate").value == 0.31


@pytest.mark.gnumeric
def test_verify_command_with_gnumeric(ssconvert: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from generator.cli import main

    result = CliRunner().invoke(main, ["verify", "--engine", "gnumeric", "--keep", str(tmp_path),
                                       str(example_path("northfield-shared-backbone"))])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert [line.split()[:2] for line in lines] == [["full-cost", "ok"], ["scenario-projections", "ok"]]
    assert list((tmp_path / "recalculated-gnumeric").glob("*.xlsx"))


def test_verify_command_rejects_an_unknown_engine(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from generator.cli import main

    result = CliRunner().invoke(main, ["verify", "--engine", "excel", str(example_path("riverside-housing"))])
    assert result.exit_code == 2 and "excel" in result.output


@pytest.mark.gnumeric
def test_runway_shows_an_error_never_none_when_cash_cannot_be_computed(cases: dict[str, Case], ssconvert: str,
                                                                        tmp_path: Path) -> None:
    """Text typed as starting cash breaks every ending cash: the runway must not read "none"."""
    wb = openpyxl.load_workbook(cases["riverside-housing/scenario-projections"].path)
    set_value(wb, "In_StartingCash", "lots")
    wb.save(tmp_path / "broken.xlsx")
    (out,) = gnumeric_recalculate([tmp_path / "broken.xlsx"], tmp_path / "g")
    names = read_recalculated(out).names
    runways = [v for k, v in names.items() if k.endswith(("_RunwayCash", "_RunwayReserve"))]
    assert len(runways) == 2 * 4 + 2 and all(is_error_value(v) for v in runways), runways  # 4 scenarios + Scenario View


def test_formulas_engine_counts_computed_errors_not_text_that_reads_like_one(tmp_path: Path) -> None:
    """A partnership named "#NUM!" is text; only a computed error (here 1/0) is an error."""
    import xlsxwriter

    path = tmp_path / "errors.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    ws = wb.add_worksheet("Sheet1")
    ws.write_string("A1", "#NUM!")
    ws.write_number("A2", 0)
    ws.write_formula("A3", "=1/A2", None, 0)
    ws.write_formula("A4", '=A1&" partnership"', None, "")
    wb.define_name("Name", "=Sheet1!$A$1")
    wb.close()
    got = formulas_recalc(path)
    assert [(s, c) for s, c, _ in got.errors] == [("SHEET1", "A3")]
    assert got.cells[("SHEET1", "A4")] == "#NUM! partnership"
