"""pbp-toolkit validate / extract / upgrade on real, edited and broken Full Cost Workbooks."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from generator.build import example_path
from generator.cli import main
from generator.libreoffice import recalculate
from generator.readback.validate import validate_file
from generator.schema import load_partnership
from generator.workbook.full_cost import build_full_cost

from .edit import cell, set_value, foreign_workbook


@pytest.fixture()
def built(tmp_path: Path) -> Path:
    path = tmp_path / "riverside-full-cost.xlsx"
    build_full_cost(load_partnership(example_path("riverside-housing")), path)
    return path


def edited(src: Path, name: str, edit) -> Path:
    wb = openpyxl.load_workbook(src)
    edit(wb)
    out = src.with_name(name)
    wb.save(out)
    return out


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


def test_fresh_workbook_is_clean(built: Path) -> None:
    r = validate_file(built)
    assert r.status == "clean" and r.exit_code == 0, r.render()
    assert (r.template_id, r.template_version, r.partnership_id) == ("pbp-full-cost", "1", "riverside-housing-partnership")
    assert r.formulas_intact and r.inputs_valid and r.cached_values_agree


def test_overwritten_formula_is_listed_with_its_cell(built: Path) -> None:
    def overwrite(wb):
        cell(wb, "FC_Reserves").value = 50000
        cell(wb, "Staff_cost", 3).value = "=D8*2"
    r = validate_file(edited(built, "overwritten.xlsx", overwrite))
    assert r.formulas_intact is False
    changed = {(f.sheet, f.cell) for f in r.findings if f.code == "formula_changed"}
    wb = openpyxl.load_workbook(built)
    assert changed == {("Calculations", cell(wb, "FC_Reserves").coordinate), ("Staffing", cell(wb, "Staff_cost", 3).coordinate)}
    assert r.exit_code == 1


def test_text_in_number_cells_is_reported_at_the_cell(built: Path) -> None:
    def typo(wb):
        set_value(wb, "Staff_fte", "full time", 0)
        set_value(wb, "Exp_amount", "12k", 2)
        set_value(wb, "Rev_confidence", "Maybe", 1)
    r = validate_file(edited(built, "typos.xlsx", typo))
    found = {(f.sheet, f.cell) for f in r.findings if f.code == "invalid_input"}
    assert ("Staffing", "B5") in found and ("Expenses", "C7") in found and ("Revenue", "C6") in found
    assert r.inputs_valid is False and r.exit_code == 1


def test_file_saved_without_recalculation_is_flagged(built: Path) -> None:
    r = validate_file(edited(built, "stale.xlsx", lambda wb: set_value(wb, "Staff_salary", 150000, 0)))
    assert r.inputs_valid and r.formulas_intact
    assert r.cached_values_agree is False and "stale_values" in codes(r)


@pytest.mark.libreoffice
def test_edited_then_recalculated_in_libreoffice_is_clean(built: Path, soffice: str, tmp_path: Path) -> None:
    src = edited(built, "filled.xlsx", lambda wb: (set_value(wb, "Staff_salary", 150000, 0), set_value(wb, "In_ResMonths", 4)))
    (saved,) = recalculate([src], tmp_path / "lo")
    r = validate_file(saved)
    assert r.status == "clean", r.render()
    assert r.partnership.staff[0].salary == 150000 and r.partnership.full_cost.reserves.months == 4


def test_deleted_sheet_is_reported(built: Path) -> None:
    r = validate_file(edited(built, "deleted.xlsx", lambda wb: wb.remove(wb["Revenue"])))
    assert r.status == "problems" and "missing_part" in codes(r), r.render()


def test_workbook_that_is_not_ours(tmp_path: Path) -> None:
    path = foreign_workbook(tmp_path / "budget.xlsx")
    r = validate_file(path)
    assert codes(r) == ["not_ours"] and r.exit_code == 2  # not ours: unusable, like an unreadable file


def test_not_a_workbook_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("just text")
    assert validate_file(path).exit_code == 2


def test_cli_validate_exit_codes_and_json(built: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(built)])
    assert ok.exit_code == 0 and "CLEAN" in ok.output
    bad = edited(built, "bad.xlsx", lambda wb: set_value(wb, "Staff_fte", "lots", 0))
    res = runner.invoke(main, ["validate", "--json", str(built), str(bad)])
    assert res.exit_code == 1
    reports = json.loads(res.output)
    assert [r["status"] for r in reports] == ["clean", "problems"]
    assert reports[1]["findings"][0]["sheet"] == "Staffing" and reports[1]["findings"][0]["cell"] == "B5"
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 truncated")
    assert runner.invoke(main, ["validate", str(built), str(junk)]).exit_code == 2


def test_cli_extract_writes_a_valid_data_file_or_nothing(built: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "back.yaml"
    res = runner.invoke(main, ["extract", str(built), "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = yaml.safe_load(out.read_text())
    assert data["organization"]["name"] == "Riverside Housing Partnership"
    bad = edited(built, "bad.xlsx", lambda wb: set_value(wb, "Staff_salary", "lots", 1))
    out2 = tmp_path / "never.yaml"
    res = runner.invoke(main, ["extract", str(bad), "-o", str(out2)])
    assert res.exit_code == 1 and "Staffing!C6" in res.output and not out2.exists()


def test_cli_upgrade_carries_inputs(built: Path, tmp_path: Path) -> None:
    filled = edited(built, "filled.xlsx", lambda wb: set_value(wb, "Staff_salary", 123456, 2))
    new = tmp_path / "new.xlsx"
    res = CliRunner().invoke(main, ["upgrade", str(filled), "-o", str(new)])
    assert res.exit_code == 0, res.output
    r = validate_file(new)
    assert r.status == "clean" and r.partnership.staff[2].salary == 123456


@pytest.mark.parametrize("name", ["riverside-housing", "eastside-cradle-to-career"])
def test_rebuild_reproduces_every_formula_even_with_spare_rows_filled(name: str, tmp_path: Path) -> None:
    """The formula check compares with a fresh build of the file's shape; filling every spare
    row of a table must not make that build differ (no false 'formula changed')."""
    from generator.build import build_workbooks
    from generator.fingerprint import read_formulas
    from generator.readback.extract import extract
    from generator.readback.validate import _expected_formulas

    for path in build_workbooks(load_partnership(example_path(name)), tmp_path):
        wb = openpyxl.load_workbook(path)
        titles = [c for row in wb[cell(wb, "Staff_title").parent.title][wb.defined_names["Staff_title"].attr_text.split("!")[1].replace("$", "")] for c in row]
        for n, c in enumerate(titles):
            if c.value is None:
                c.value = f"Spare {n}"
        filled = tmp_path / f"filled-{path.name}"
        wb.save(filled)
        assert _expected_formulas(extract(filled)) == read_formulas(path), path.name


def test_formula_text_is_read_with_character_references_decoded() -> None:
    """A writer may store ' · ' as '&#183;' (openpyxl does); '&amp;#183;' stays the literal text '&#183;'."""
    from generator.fingerprint import _unescape

    assert _unescape('IF(A1="",""," &#183; "&amp;B1&amp;"&amp;#183;"&#x41;&lt;&gt;&quot;&apos;)'.encode()) == \
        'IF(A1="",""," \u00b7 "&B1&"&#183;"A<>"\')'


@pytest.mark.libreoffice
def test_renaming_a_scenario_breaks_nothing_and_a_failing_check_is_named(tmp_path: Path, soffice: str) -> None:
    """Scenarios renamed in the sheet, as the sheet invites, recalculated by LibreOffice: Scenario View
    follows the scenario by its place in the table, the master check holds and validate finds nothing.
    A scenario number that is no scenario (typed past the cell's own rule) fails its check, and validate
    names that check from the Checks sheet instead of blaming a missing recalculation."""
    from generator.build import BuildOptions, build_workbooks
    from generator.libreoffice import read_recalculated
    from generator.model.projections import compute_projections

    p = load_partnership(example_path("riverside-housing"))
    (sp,) = build_workbooks(p, tmp_path / "built", BuildOptions(kinds=("scenario-projections",)))
    ids = [s.id for s in p.scenario_list()]
    names = iter(["Core plan", "Stretch plan", "Lean year", "Worst case"])

    def rename(wb: openpyxl.Workbook) -> None:
        for sid in ids:
            cell(wb, f"Scen_{sid}_Name").value = next(names)

    shown_first = edited(sp, "renamed.xlsx", rename)  # the view stays on the first scenario, now "Core plan"
    names = iter(["Core plan", "Stretch plan", "Lean year", "Worst case"])
    shown_second = edited(sp, "picked-then-renamed.xlsx", lambda wb: (setattr(cell(wb, "View_Pick"), "value", 2), rename(wb)))
    no_such = edited(sp, "no-such-scenario.xlsx", lambda wb: setattr(cell(wb, "View_Pick"), "value", 9))
    saved = recalculate([shown_first, shown_second, no_such], tmp_path / "saved")
    model = compute_projections(p)
    for path, sid, name in ((saved[0], ids[0], "Core plan"), (saved[1], ids[1], "Stretch plan")):
        rec = read_recalculated(path)
        assert rec.errors == []
        assert rec.names["View_Scenario"] == name and rec.names["SP_Checks_OK"] is True
        assert rec.names["View_EndCash"] == pytest.approx(model[f"SP_{sid}_EndCash"], abs=0.01)
        report = validate_file(path)
        assert report.status == "clean", report.render()
        assert [s.name for s in report.partnership.scenario_list()] == ["Core plan", "Stretch plan", "Lean year", "Worst case"]
    report = validate_file(saved[2])
    assert "stale_values" not in codes(report) and report.cached_values_agree is True, report.render()
    (finding,) = [f for f in report.findings if f.code == "checks_fail"]
    assert "'The scenario number on Scenario View is one of the scenarios (1 for the first)'" in finding.message
    assert finding.sheet == "Checks" and finding.cell.startswith("A")
