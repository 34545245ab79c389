"""Build then extract gives back the same data (Full Cost Workbook: its year-1 part)."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings

from generator.build import example_names, example_path
from generator.libreoffice import recalculate
from generator.readback.extract import extract
from generator.readback.source import FileSource, SourceError
from generator.schema import Partnership, load_partnership, validate_data
from generator.workbook.full_cost import build_full_cost

from .edit import set_value, foreign_workbook
from .strategies import partnership_data


def year1_part(p: Partnership) -> dict:
    """What a Full Cost Workbook holds of a data file."""
    d = p.to_data()
    keep_staff = ("title", "fte", "salary", "functions", "in_kind")
    keep_exp = ("name", "category", "amount", "function", "in_kind", "payment_months")
    return {
        "organization": d["organization"],
        "assumptions": d["assumptions"],
        "staff": [{k: s[k] for k in keep_staff} for s in d["staff"] if s["start_year"] == 1],
        "expenses": [{k: e[k] for k in keep_exp} for e in d["expenses"] if e["start_year"] == 1],
        "revenue": [{**{k: r[k] for k in ("name", "stream", "confidence", "restricted", "timing")}, "amounts": [r["amounts"][0] if r["amounts"] else 0]}
                    for r in d["revenue"]],
        "full_cost": d["full_cost"],
    }


def roundtrip(p: Partnership, path: Path) -> Partnership:
    build_full_cost(p, path)
    e = extract(path)
    assert e.kind == "pbp-full-cost"
    return validate_data(e.data, str(path))


@pytest.mark.parametrize("name", example_names())
def test_examples_round_trip(name: str, tmp_path: Path) -> None:
    p = load_partnership(example_path(name))
    assert year1_part(roundtrip(p, tmp_path / "fc.xlsx")) == year1_part(p)


@settings(max_examples=40, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(partnership_data())
def test_generated_files_round_trip(data: dict) -> None:
    import tempfile

    p = validate_data(data, "generated")
    with tempfile.TemporaryDirectory() as tmp:
        assert year1_part(roundtrip(p, Path(tmp) / "fc.xlsx")) == year1_part(p)


@pytest.mark.libreoffice
def test_file_saved_by_libreoffice_round_trips(soffice: str, tmp_path: Path) -> None:
    p = load_partnership(example_path("riverside-housing"))
    src = tmp_path / "fc.xlsx"
    build_full_cost(p, src)
    (saved,) = recalculate([src], tmp_path / "lo")
    assert year1_part(validate_data(extract(saved).data, "lo")) == year1_part(p)


def test_values_keep_their_cells_and_user_edits_are_read(tmp_path: Path) -> None:
    p = load_partnership(example_path("riverside-housing"))
    src = tmp_path / "fc.xlsx"
    build_full_cost(p, src)
    wb = openpyxl.load_workbook(src)
    set_value(wb, "Staff_salary", "eighty thousand", 2)
    set_value(wb, "Rev_stream", "Lottery", 1)
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    e = extract(edited)
    assert e.data["staff"][2]["salary"] == "eighty thousand"
    assert e.cells["staff[2].salary"].address == "Staffing!C7"
    assert e.data["revenue"][1]["stream"] == "Lottery"
    assert e.cell_for("revenue[1].stream").address == "Revenue!B6"
    assert e.cell_for("staff[0].functions.operations").sheet == "Staffing"


def test_not_our_workbook_is_refused(tmp_path: Path) -> None:
    path = foreign_workbook(tmp_path / "other.xlsx")
    with pytest.raises(SourceError, match="not a Place-Based Partnerships Toolkit workbook"):
        extract(path)
    with pytest.raises(SourceError, match="defined name Staff_title is missing"):
        FileSource(path).cells("Staff_title")


def _both(p: Partnership, outdir: Path) -> Partnership:
    from generator.build import build_workbooks
    from generator.readback.merge import merge_extracted

    data, notes = merge_extracted([extract(f) for f in build_workbooks(p, outdir)])
    assert notes == []
    return validate_data(data, "both")


@pytest.mark.parametrize("name", example_names())
def test_both_workbooks_round_trip_to_the_same_numbers(name: str, tmp_path: Path) -> None:
    from generator.model.full_cost import compute_full_cost
    from generator.model.projections import compute_projections
    from generator.verify import mismatches

    p = load_partnership(example_path(name))
    back = _both(p, tmp_path)
    assert mismatches(compute_projections(p), compute_projections(back)) == []
    assert mismatches(compute_full_cost(p), compute_full_cost(back)) == []
    d, b = p.to_data(), back.to_data()
    assert b["organization"] == d["organization"] and b["full_cost"] == d["full_cost"]
    assert [s["title"] for s in b["staff"]] == [s["title"] for s in d["staff"]]
    assert [(s["start_year"], s["end_year"]) for s in b["staff"]] == [(s["start_year"], s["end_year"]) for s in d["staff"]]
    assert b["projections"]["one_time"] == [{**o, "scenarios": o["scenarios"]} for o in d["projections"]["one_time"]]


@settings(max_examples=25, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(partnership_data())
def test_generated_files_round_trip_through_both_workbooks(data: dict) -> None:
    import tempfile

    from generator.model.full_cost import compute_full_cost
    from generator.model.projections import compute_projections
    from generator.verify import mismatches

    p = validate_data(data, "generated")
    with tempfile.TemporaryDirectory() as tmp:
        back = _both(p, Path(tmp))
    assert mismatches(compute_projections(p), compute_projections(back)) == []
    assert mismatches(compute_full_cost(p), compute_full_cost(back)) == []
