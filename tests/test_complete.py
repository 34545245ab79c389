"""SPEC 5 completeness: an unfilled workbook never claims success, in Excel (recalculated by
LibreOffice), in `validate` or in `collect`; a filled one does once its checks pass."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator.build import BuildOptions, build_workbooks, example_path
from generator.cli import main
from generator.libreoffice import recalculate
from generator.model.full_cost import compute_full_cost
from generator.model.projections import NOT_APPLICABLE, compute_projections
from generator.readback.collect import collect
from generator.readback.portfolio import MIN_FOR_QUARTILES, benchmarks_frame, write_portfolio
from generator.readback.validate import validate_file
from generator.schema import load_partnership, validate_data

from .edit import set_value

EMPTY = {"schema": "pbp-toolkit/partnership/1",
         "organization": {"name": "Empty Partnership", "backbone_structure": "hosted_nonprofit", "fiscal_year_start": "2026-07-01"}}
#: Words that claim success or reassure; none may appear in an unfilled workbook.
REASSURING = ("All checks pass", "Covered", "Within the typical cap")


def _texts(path: Path) -> dict[tuple[str, str], str]:
    """Every text value LibreOffice computed, by (sheet, cell)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets if ws.sheet_state == "visible"
            for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def _status_cells(texts: dict[tuple[str, str], str]) -> dict[str, str]:
    """The master status on every sheet that shows one (the cell right of the 'Status' label)."""
    out = {}
    for (sheet, ref), value in texts.items():
        if value == "Status":
            col, row = ref.rstrip("0123456789"), ref[len(ref.rstrip("0123456789")):]
            out[sheet] = texts.get((sheet, chr(ord(col) + 1) + row), "")
    return out


def test_model_completeness() -> None:
    empty = validate_data(EMPTY, "empty")
    assert compute_full_cost(empty)["FC_Complete"] is False
    sp = compute_projections(empty)
    assert sp["SP_Complete"] is False
    assert sp["SP_base_RunwayCash"] == NOT_APPLICABLE and sp["SP_base_RunwayReserve"] == NOT_APPLICABLE
    one_expense = validate_data({**EMPTY, "expenses": [{"name": "Rent", "category": "occupancy", "amount": 1}]}, "x")
    assert compute_full_cost(one_expense)["FC_Complete"] is True
    assert compute_projections(one_expense)["SP_Complete"] is True
    # a position that starts in year 2 is not in the Full Cost Workbook (year 1) but is active in the projections
    later = validate_data({**EMPTY, "staff": [{"title": "Director", "fte": 1, "salary": 1, "functions": "operations",
                                                "start_year": 2}]}, "y")
    assert compute_full_cost(later)["FC_Complete"] is False
    assert compute_projections(later)["SP_Complete"] is True
    riverside = compute_projections(load_partnership(example_path("riverside-housing")))
    assert riverside["SP_Complete"] is True and riverside["SP_base_RunwayCash"] != NOT_APPLICABLE


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict[str, Path]:
    """Unfilled, blank and filled-by-hand workbooks, recalculated by LibreOffice."""
    base = tmp_path_factory.mktemp("complete")
    empty = validate_data(EMPTY, "empty")
    files = build_workbooks(empty, base / "empty")
    files += build_workbooks(empty, base / "blank", BuildOptions(), blank=True)
    # the unfilled workbooks, filled by a user: one position on each
    filled = []
    for f in files[:2]:
        wb = openpyxl.load_workbook(f)
        set_value(wb, "Staff_title", "Director")
        set_value(wb, "Staff_fte", 1)
        set_value(wb, "Staff_salary", 90000)
        set_value(wb, "Staff_share_operations", 1)
        out = base / "filled" / f"filled-{f.name}"
        out.parent.mkdir(exist_ok=True)
        wb.save(out)
        filled.append(out)
    got = recalculate(files + filled, base / "recalculated")
    names = ["empty_fc", "empty_sp", "blank_fc", "blank_sp", "filled_fc", "filled_sp"]
    return dict(zip(names, got)) | {"built_empty_fc": files[0], "built_empty_sp": files[1]}


@pytest.mark.parametrize("key", ["empty_fc", "empty_sp", "blank_fc", "blank_sp"])
def test_unfilled_workbook_never_claims_success(recalculated: dict[str, Path], key: str) -> None:
    texts = _texts(recalculated[key])
    statuses = _status_cells(texts)
    expected_sheets = {"Start Here", "Calculations"} | ({"Summary", "Cash Flow"} if key.endswith("fc") else {"Scenario View", "Compare"})
    assert set(statuses) == expected_sheets
    assert all(v.startswith("Not filled in yet: start with Staffing") for v in statuses.values()), statuses
    claims = [(k, v) for k, v in texts.items() if any(w in v for w in REASSURING)]
    assert not claims
    if key.endswith("sp"):
        wb = openpyxl.load_workbook(recalculated[key], data_only=True)
        runways = [c.value for ws in (wb["Compare"], wb["Scenario View"]) for row in ws.iter_rows() for c in row
                   if c.value in ("none", NOT_APPLICABLE)]
        assert runways and set(runways) == {NOT_APPLICABLE}


@pytest.mark.parametrize("key", ["filled_fc", "filled_sp"])
def test_filled_in_by_hand_reads_all_checks_pass(recalculated: dict[str, Path], key: str) -> None:
    statuses = _status_cells(_texts(recalculated[key]))
    assert statuses and set(statuses.values()) == {"All checks pass"}


def test_validate_reports_not_filled_in(recalculated: dict[str, Path]) -> None:
    for key in ("built_empty_fc", "built_empty_sp"):
        r = validate_file(recalculated[key])
        assert r.status == "unfilled" and r.filled_in is False and r.exit_code == 1
        assert "NOT FILLED IN" in r.render()
    res = CliRunner().invoke(main, ["validate", str(recalculated["built_empty_fc"])])
    assert res.exit_code == 1 and "NOT FILLED IN" in res.output and "CLEAN" not in res.output
    assert validate_file(recalculated["filled_fc"]).status == "clean"


def test_collect_keeps_unfilled_out_of_benchmarks(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    build_workbooks(validate_data(EMPTY, "empty"), inbox)
    riverside = load_partnership(example_path("riverside-housing"))
    data = riverside.to_data()
    for n in range(3):  # four filled partnerships of the same structure as the empty one
        data["organization"]["name"] = f"Partnership {n}"
        data["staff"][0]["salary"] = 100_000 + 5_000 * n
        build_workbooks(validate_data(data, "x"), inbox, BuildOptions(kinds=("full-cost",)))
    build_workbooks(riverside, inbox, BuildOptions(kinds=("full-cost",)))
    port = collect(inbox, workers=1)
    empty_row = next(r for r in port.rows if r["partnership"] == "Empty Partnership")
    assert empty_row["status"] == "not filled in" and "full_cost" not in empty_row
    unfilled = [p for p in port.problems if p["status"] == "not filled in"]
    assert len(unfilled) == 2 and all(p["reason"].startswith("returned without data") and p["used"] == "no" for p in unfilled)
    bench = benchmarks_frame(port)
    full = bench[bench["measure"] == "Full cost"].set_index("group")
    assert full.loc["All partnerships", "count"] == 4 and full.loc["All partnerships", "of"] == 4
    assert full.loc["All partnerships", "p25"] > 0  # no zero from the unfilled workbook
    # groups smaller than the quartile minimum show count and median only, and say so
    for group, rec in full.iterrows():
        if rec["count"] < MIN_FOR_QUARTILES:
            assert rec["p25"] != rec["p25"] or rec["p25"] is None
            assert "count and median only" in rec["note"]
        else:
            assert rec["p25"] == rec["p25"] and rec["p75"] >= rec["median"] >= rec["p25"]
    write_portfolio(port, tmp_path / "portfolio.xlsx")


def test_benchmark_counts_say_why_they_differ(tmp_path: Path) -> None:
    """Months of cash comes from the projections: a partnership that returned only its Full Cost
    Workbook is counted out of it, with the reason; low months of cash are flagged in words."""
    inbox = tmp_path / "inbox"
    build_workbooks(load_partnership(example_path("riverside-housing")), inbox)
    build_workbooks(load_partnership(example_path("eastside-cradle-to-career")), inbox)
    build_workbooks(load_partnership(example_path("northfield-shared-backbone")), inbox, BuildOptions(kinds=("full-cost",)))
    port = collect(inbox, workers=1)
    bench = benchmarks_frame(port)
    allp = bench[bench["group"] == "All partnerships"].set_index("measure")
    months = allp.loc[[m for m in allp.index if m.startswith("Months of cash")][0]]
    assert months["count"] == 2 and months["of"] == 3
    assert "1 left out: no Scenario Projections Tool returned" in months["note"]
    assert allp.loc["Full cost", "count"] == 3 and "left out" not in allp.loc["Full cost", "note"]
    for row in port.rows:
        m = row.get("base_MonthsCash")
        if isinstance(m, float) and m < 2:
            assert row["base_CashWarning"] in ("negative: cash has run out", "under two months: a warning sign")
