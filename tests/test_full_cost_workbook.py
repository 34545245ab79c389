"""The Full Cost Workbook against the model: cached values, LibreOffice recalculation, live edits."""
from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings

from generator.build import blank_partnership, example_names, example_path
from generator.content import load_content
from generator.libreoffice import read_recalculated, recalc_and_read
from generator.model.full_cost import compute_full_cost
from generator.schema import load_partnership, validate_data
from generator.workbook.full_cost import build_full_cost

from .compare import mismatches
from .edit import cell, set_value, target
from .strategies import partnership_data

CONTENT = load_content()
N_GENERATED = 50


def _generated() -> list[dict]:
    """50 hypothesis data files, the same every run."""
    found: list[dict] = []

    @settings(max_examples=N_GENERATED, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(partnership_data())
    def collect(data: dict) -> None:
        found.append(data)

    collect()
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, object, Path]]:
    """(label, partnership, file) for every example and every generated data file."""
    out = tmp_path_factory.mktemp("fc")
    items = []
    for name in example_names():
        p = load_partnership(example_path(name))
        items.append((name, p, out / f"{name}.xlsx"))
    for n, data in enumerate(_generated()):
        items.append((f"generated-{n}", validate_data(data, f"generated-{n}"), out / f"generated-{n}.xlsx"))
    for _, p, path in items:
        build_full_cost(p, path)
    return items


@pytest.fixture(scope="module")
def recalculated(built: list, soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """LibreOffice's recalculation of every built file, in one soffice run."""
    results = recalc_and_read([path for _, _, path in built], tmp_path_factory.mktemp("fc-recalc"))
    return {label: r for (label, _, _), r in zip(built, results)}


def test_generated_files_are_many_and_varied(built: list) -> None:
    generated = [p for label, p, _ in built if label.startswith("generated")]
    assert len(generated) == N_GENERATED
    assert any(not p.staff for p in generated) and any(len(p.staff) >= 3 for p in generated)
    assert any(any(s.in_kind for s in p.staff) for p in generated)


def test_cached_values_equal_model(built: list) -> None:
    for label, p, path in built:
        cached = read_recalculated(path)  # no recalculation: the values xlsxwriter cached
        assert mismatches(compute_full_cost(p), cached.names) == [], label
        assert cached.errors == [], label


@pytest.mark.libreoffice
def test_libreoffice_recalculation_equals_model(built: list, recalculated: dict) -> None:
    for label, p, _ in built:
        r = recalculated[label]
        assert mismatches(compute_full_cost(p), r.names) == [], label


@pytest.mark.libreoffice
def test_no_error_value_anywhere(built: list, recalculated: dict) -> None:
    for label, _, _ in built:
        assert recalculated[label].errors == [], label


@pytest.mark.libreoffice
def test_recalculation_really_happened(built: list, recalculated: dict, tmp_path: Path) -> None:
    """Poison the cache of one file: LibreOffice must still give the model's numbers."""
    label, p, path = built[0]
    poisoned = tmp_path / "poisoned.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(poisoned, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                import re
                data = re.sub(rb"(<f>[^<]*</f><v>)[-0-9.E+]+(</v>)", rb"\g<1>123456789\g<2>", data)
            zout.writestr(item, data)
    assert read_recalculated(poisoned).names["FC_Total"] == 123456789
    (r,) = recalc_and_read([poisoned], tmp_path / "out")
    assert mismatches(compute_full_cost(p), r.names) == []


def test_every_spec_name_is_defined(built: list) -> None:
    _, p, path = built[0]
    wb = openpyxl.load_workbook(path)
    spec = ["FC_Personnel", "FC_NonPersonnel", "FC_Depreciation", "FC_Unfunded", "FC_TotalExpenses", "FC_InKind",
            "FC_CashOpex", "FC_WorkingCapital", "FC_Reserves", "FC_FixedAssets", "FC_DebtPrincipal", "FC_ChangeCapital",
            "FC_Total", "FC_RequiredSurplus", "FC_RequiredSurplusPct", "FC_CashNeed", "FC_ExpectedRevenue", "FC_Gap",
            "FC_IndirectRate", "FC_IndirectCap", "FC_Checks_OK"]
    spec += [f"FC_Revenue_{k}" for k in CONTENT.stream_ids] + [f"FC_Function_{f}" for f in CONTENT.function_ids]
    for name in spec:
        assert name in wb.defined_names, name
        ws_name, coord = next(iter(wb.defined_names[name].destinations))
        value = wb[ws_name][coord.replace("$", "")].value
        assert isinstance(value, str) and value.startswith("="), f"{name} is not a live formula: {value!r}"


# ----------------------------------------------------------------------------- live formulas


def _edited_model_data(p: object) -> dict:
    data = p.to_data()
    data["staff"] = [s for s in data["staff"] if s["start_year"] == 1]
    data["expenses"] = [e for e in data["expenses"] if e["start_year"] == 1]
    return data


@pytest.mark.libreoffice
def test_user_edits_flow_through_formulas(soffice: str, tmp_path: Path) -> None:
    p = load_partnership(example_path("riverside-housing"))
    src = tmp_path / "riverside.xlsx"
    build_full_cost(p, src)
    data = _edited_model_data(p)
    n_staff = len(data["staff"])

    wb = openpyxl.load_workbook(src)
    # 1. a salary
    set_value(wb, "Staff_salary", 99000, 1)
    data["staff"][1]["salary"] = 99000
    # 2. a share: move 0.2 of position 0's first function to operations
    first_fn = next(iter(data["staff"][0]["functions"]))
    old = data["staff"][0]["functions"][first_fn]
    data["staff"][0]["functions"][first_fn] = round(old - 0.2, 10)
    data["staff"][0]["functions"]["operations"] = data["staff"][0]["functions"].get("operations", 0) + 0.2
    set_value(wb, f"Staff_share_{first_fn}", data["staff"][0]["functions"][first_fn], 0)
    set_value(wb, "Staff_share_operations", data["staff"][0]["functions"]["operations"], 0)
    # 3. a reserve target and the years to build it
    set_value(wb, "In_ResMonths", 6)
    set_value(wb, "In_ResBuild", 2)
    data["full_cost"]["reserves"].update({"months": 6, "build_years": 2})
    # 4. a new position typed into the first spare row
    i = n_staff
    set_value(wb, "Staff_title", "Community organizer", i)
    set_value(wb, "Staff_fte", 0.5, i)
    set_value(wb, "Staff_salary", 64000, i)
    set_value(wb, "Staff_in_kind", "No", i)
    set_value(wb, "Staff_share_community_engagement", 1, i)
    data["staff"].append({"title": "Community organizer", "fte": 0.5, "salary": 64000, "functions": {"community_engagement": 1.0}})
    # 5. a revenue amount and a confidence level, as labels from the dropdown
    set_value(wb, "Rev_amount", 1000, 0)
    data["revenue"][0]["amounts"][0] = 1000
    set_value(wb, "Rev_confidence", CONTENT.label(CONTENT.levels, "possible"), 0)
    data["revenue"][0]["confidence"] = "possible"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)

    expected = compute_full_cost(validate_data(data, "edited"))
    assert expected["FC_Total"] != compute_full_cost(p)["FC_Total"]
    (r,) = recalc_and_read([edited], tmp_path / "out")
    assert r.errors == []
    assert mismatches(expected, r.names) == []


# ----------------------------------------------------------------------------- file properties


def test_same_data_builds_byte_identical_file(tmp_path: Path) -> None:
    p = load_partnership(example_path("eastside-cradle-to-career"))
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    build_full_cost(p, a)
    build_full_cost(p, b)
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "=1+1", "@SUM(A1)", "+A1"])
def test_formula_like_text_stays_text(text: str, tmp_path: Path) -> None:
    p = load_partnership(example_path("riverside-housing"))
    data = p.to_data()
    data["organization"]["name"] = text
    data["organization"]["region"] = text
    data["staff"][0]["title"] = text
    data["expenses"][0]["name"] = text
    data["revenue"][0]["name"] = text
    data["full_cost"]["unfunded"][0]["name"] = text
    p2 = validate_data(data, "injected")
    path = tmp_path / "injected.xlsx"
    build_full_cost(p2, path)
    wb = openpyxl.load_workbook(path)
    for name in ("In_OrgName", "In_Region"):
        assert cell(wb, name).value == text and cell(wb, name).data_type == "s"
    for name in ("Staff_title", "Exp_name", "Rev_name", "Unf_name"):
        assert cell(wb, name, 0).value == text and cell(wb, name, 0).data_type == "s", name
    # no formula anywhere calls HYPERLINK (the footer may show the name, as text)
    import re
    with zipfile.ZipFile(path) as z:
        for item in z.namelist():
            if item.startswith("xl/worksheets/"):
                formulas = re.findall(rb"<f>([^<]*)</f>", z.read(item))
                assert not any(b"HYPERLINK" in f for f in formulas), item


def test_blank_template_has_empty_inputs_and_failing_name_check(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    build_full_cost(blank_partnership(), path, blank=True)
    wb = openpyxl.load_workbook(path)
    assert cell(wb, "In_OrgName").value is None
    assert cell(wb, "Staff_title", 0).value is None
    cached = read_recalculated(path)
    assert cached.names["FC_Checks_OK"] is False
    assert cached.names["FC_Total"] == 0


@pytest.mark.libreoffice
def test_blank_template_recalculates_cleanly(soffice: str, tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    build_full_cost(blank_partnership(), path, blank=True)
    (r,) = recalc_and_read([path], tmp_path / "out")
    assert r.errors == []
    assert r.names["FC_Checks_OK"] is False and r.names["FC_Total"] == 0


def test_spare_rows_meet_the_spec_minimums(tmp_path: Path) -> None:
    path = tmp_path / "fc.xlsx"
    build_full_cost(load_partnership(example_path("northfield-shared-backbone")), path)
    wb = openpyxl.load_workbook(path)
    for name, minimum in (("Staff_title", 40), ("Exp_name", 40), ("Rev_name", 50)):
        _, _, r1, _, r2 = target(wb, name)
        assert r2 - r1 + 1 >= minimum, name


def test_inputs_are_unlocked_and_sheets_protected(tmp_path: Path) -> None:
    path = tmp_path / "fc.xlsx"
    build_full_cost(load_partnership(example_path("riverside-housing")), path)
    wb = openpyxl.load_workbook(path)
    assert all(ws.protection.sheet for ws in wb.worksheets)
    for name in ("Staff_salary", "Exp_amount", "Rev_amount", "In_ResMonths", "In_OrgName"):
        assert cell(wb, name, 0).protection.locked is False, name
    for name in ("FC_Total", "Staff_cost"):
        assert cell(wb, name, 0).protection.locked is True, name
    for name in ("Staff_fte", "Staff_salary", "Exp_category", "Rev_confidence", "In_BenefitsRate"):
        c = cell(wb, name, 0)
        rules = [dv for dv in c.parent.data_validations.dataValidation if c.coordinate in dv.sqref]
        assert rules and rules[0].prompt, f"{name} has no validation with an input message"


@pytest.mark.libreoffice
def test_structure_notes_follow_the_dropdown(soffice: str, tmp_path: Path) -> None:
    src = tmp_path / "fc.xlsx"
    build_full_cost(load_partnership(example_path("riverside-housing")), src)
    wb = openpyxl.load_workbook(src)
    chosen = CONTENT.by_id(CONTENT.structures, "government_housed")
    set_value(wb, "In_Structure", chosen.label)
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    (r,) = recalc_and_read([edited], tmp_path / "out")
    assert r.names["Org_StructureDescription"] == chosen.text("description")
    assert r.names["Org_StructureBenefits"] == "\n".join(f"• {b}" for b in chosen.bullets("benefits"))
    assert r.names["Org_StructureCostImplications"] == "\n".join(f"• {b}" for b in chosen.bullets("cost_implications"))
    # and the cached notes in the original file are those of the file's own structure
    own = CONTENT.by_id(CONTENT.structures, "hosted_nonprofit")
    assert read_recalculated(src).names["Org_StructureChallenges"] == "\n".join(f"• {b}" for b in own.bullets("challenges"))
