"""Blank means blank, and a value a workbook cannot hold is named at its cell (issue 18, item 6)."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator.build import build_workbooks, example_path
from generator.cli import main
from generator.libreoffice import read_recalculated, recalculate
from generator.model.full_cost import compute_full_cost
from generator.readback.extract import extract
from generator.schema import DataFileError, load_partnership, validate_data
from generator.verify import mismatches
from generator.workbook.full_cost import build_full_cost

from .edit import cell, set_values


def _fc(tmp_path: Path) -> Path:
    path = tmp_path / "fc.xlsx"
    build_full_cost(load_partnership(example_path("riverside-housing")), path)
    return path


def _extract(*files: Path, out: Path) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["extract", *map(str, files), "-o", str(out)])
    return res.exit_code, res.output


def test_a_blank_schedule_comes_back_blank(tmp_path: Path) -> None:
    p = load_partnership(example_path("riverside-housing"))
    assert p.revenue[0].timing is None and p.revenue[2].timing is not None
    path = set_values(_fc(tmp_path), [("Rev_lag", 3, 0)])      # a lag typed, the schedule left blank (the stream's usual)
    data = extract(path).data
    assert data["revenue"][0]["timing"] == {"lag_months": 3}
    assert "timing" not in data["revenue"][1]             # nothing typed: no timing at all
    assert data["revenue"][2]["timing"] == {"schedule": "quarterly", "lag_months": 1}
    back = validate_data(data, "back")
    # rebuilt, the schedule cell stays blank and the lag is kept
    again = tmp_path / "again.xlsx"
    build_full_cost(back, again)
    wb = openpyxl.load_workbook(again)
    assert cell(wb, "Rev_schedule", 0).value is None and cell(wb, "Rev_lag", 0).value == 3


@pytest.mark.libreoffice
def test_a_blank_schedule_means_the_streams_schedule_in_the_model_and_in_libreoffice(soffice: str, tmp_path: Path) -> None:
    path = set_values(_fc(tmp_path), [("Rev_lag", 3, 0), ("Rev_schedule", None, 2), ("Rev_lag", 2, 2)])
    (saved,) = recalculate([path], tmp_path / "lo")
    back = validate_data(extract(saved).data, "back")
    assert back.revenue[2].timing is not None and back.revenue[2].timing.schedule is None
    model = compute_full_cost(back)
    got = read_recalculated(saved).names
    names = ["FC_CF_In", "FC_CF_Receivable", "FC_CF_TimingNeed", "FC_CF_Lowest"]
    assert mismatches({n: model[n] for n in names}, {n: got[n] for n in names}) == []
    # and the lag does change the months (so the test can fail): philanthropy's usual lag is 0
    plain = compute_full_cost(load_partnership(example_path("riverside-housing")))
    assert mismatches({"FC_CF_In": plain["FC_CF_In"]}, {"FC_CF_In": model["FC_CF_In"]}) != []


@pytest.mark.parametrize("name, value, where", [
    ("Staff_fte", True, "Staffing!B6"),                  # TRUE typed in an FTE cell
    ("Staff_salary", "eighty thousand", "Staffing!C6"),  # text in a number cell
    ("Staff_title", "   ", "Staffing!A6"),               # a title of spaces only
])
def test_a_value_validate_rejects_stops_extract_at_its_cell(tmp_path: Path, name: str, value: object, where: str) -> None:
    fc, sp = build_workbooks(load_partnership(example_path("riverside-housing")), tmp_path / "built")
    set_values(fc, [(name, value, 1)])
    out = tmp_path / "back.yaml"
    code, output = _extract(fc, sp, out=out)
    assert code == 1 and not out.exists(), output
    assert where in output


def test_a_formula_typed_in_an_input_cell_stops_extract(tmp_path: Path) -> None:
    fc, sp = build_workbooks(load_partnership(example_path("riverside-housing")), tmp_path / "built")
    set_values(sp, [("Staff_salary", "=70000+6000", 3)])
    out = tmp_path / "back.yaml"
    code, output = _extract(fc, sp, out=out)
    assert code == 1 and not out.exists(), output
    assert "Staffing Plan!C9" in output and "=70000+6000" in output


def test_timing_on_a_cash_flow_row_with_no_source_is_flagged_at_its_cell(tmp_path: Path) -> None:
    path = _fc(tmp_path)
    n = len(load_partnership(example_path("riverside-housing")).revenue)
    wb = openpyxl.load_workbook(path)
    lag = cell(wb, "Rev_lag", n + 2)
    months = cell(wb, "Exp_payment_months", 30)
    set_values(path, [("Rev_lag", 2, n + 2), ("Exp_payment_months", "3, 9", 30)])
    out = tmp_path / "back.yaml"
    code, output = _extract(path, out=out)
    assert code == 1 and not out.exists(), output
    assert f"Cash Flow!{lag.coordinate}" in output and f"Cash Flow!{months.coordinate}" in output
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 1 and lag.coordinate in res.output and "no revenue source" in res.output


def test_a_partnership_name_of_spaces_is_refused() -> None:
    data = load_partnership(example_path("riverside-housing")).to_data()
    data["organization"]["name"] = "   "
    with pytest.raises(DataFileError, match="organization.name: expected some text, not only spaces"):
        validate_data(data, "spaces")
