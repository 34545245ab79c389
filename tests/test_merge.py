"""Reading a pair back is a three-way merge against the inputs each workbook was built with:
a field edited in one workbook survives, a field edited differently in both is a conflict."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator.build import build_workbooks, example_path
from generator.cli import main
from generator.libreoffice import recalculate
from generator.schema import load_partnership

from .edit import cell, set_values


def _pair(tmp_path: Path, name: str = "riverside-housing") -> tuple[Path, Path]:
    fc, sp = build_workbooks(load_partnership(example_path(name)), tmp_path / "built")
    return fc, sp


def _first_empty(path: Path, name: str) -> int:
    wb = openpyxl.load_workbook(path)
    i = 0
    while cell(wb, name, i).value not in (None, ""):
        i += 1
    return i


def _extract(*args: object) -> tuple[int, str, dict]:
    import yaml

    out = Path(str(args[-1]))
    res = CliRunner().invoke(main, ["extract", *map(str, args[:-1]), "-o", str(out)])
    data = yaml.safe_load(out.read_text()) if out.exists() else {}
    return res.exit_code, res.output, data


def _one_sided_edits(fc: Path, sp: Path) -> None:
    """A salary, a new position, a new expense, a new revenue source and the benefits rate typed
    into the Full Cost Workbook only; a reserve target typed into the projections only."""
    staff, exp, rev = _first_empty(fc, "Staff_title"), _first_empty(fc, "Exp_name"), _first_empty(fc, "Rev_name")
    set_values(fc, [("Staff_salary", 97_500, 0), ("In_BenefitsRate", 0.31, 0),
               ("Staff_title", "Housing navigator", staff), ("Staff_fte", 0.8, staff), ("Staff_salary", 61_000, staff),
               ("Staff_share_community_engagement", 1, staff), ("Staff_in_kind", "No", staff),
               ("Exp_name", "Translation", exp), ("Exp_category", "Professional services", exp), ("Exp_amount", 7_200, exp),
               ("Exp_in_kind", "No", exp),
               ("Rev_name", "Credit union sponsorship", rev), ("Rev_stream", "Philanthropy", rev),
               ("Rev_confidence", "Likely", rev), ("Rev_amount", 15_000, rev), ("Rev_restricted", "No", rev)])
    set_values(sp, [("In_ReserveMonths", 5, 0)])


@pytest.mark.libreoffice
def test_one_sided_edits_survive_a_libreoffice_save(soffice: str, tmp_path: Path) -> None:
    fc, sp = _pair(tmp_path)
    original = load_partnership(example_path("riverside-housing")).to_data()
    _one_sided_edits(fc, sp)
    saved_fc, saved_sp = recalculate([fc, sp], tmp_path / "lo")
    code, output, data = _extract(saved_fc, saved_sp, tmp_path / "back.yaml")
    assert code == 0, output
    assert data["staff"][0]["salary"] == 97_500
    assert data["assumptions"]["benefits_rate"] == pytest.approx(0.31)
    assert data["full_cost"]["reserves"]["months"] == 5
    new = [s for s in data["staff"] if s["title"] == "Housing navigator"]
    assert len(new) == 1 and new[0]["fte"] == pytest.approx(0.8) and new[0]["salary"] == 61_000
    assert new[0]["functions"] == {"community_engagement": 1}
    assert [e["amount"] for e in data["expenses"] if e["name"] == "Translation"] == [7_200]
    assert [(r["confidence"], r["amounts"][0]) for r in data["revenue"] if r["name"] == "Credit union sponsorship"] == [("likely", 15_000)]
    # everything else is as built: the staff the projections hold beyond year 1 are kept, in order
    assert len(data["staff"]) == len(original["staff"]) + 1
    assert [s["title"] for s in data["staff"][:len(original["staff"])]] == [s["title"] for s in original["staff"]]
    assert data["projections"]["one_time"] == original["projections"]["one_time"]


def test_conflict_names_both_values_and_cells_and_writes_nothing(tmp_path: Path) -> None:
    fc, sp = _pair(tmp_path)
    set_values(fc, [("Staff_salary", 101_000, 0), ("In_BenefitsRate", 0.27, 0)])
    set_values(sp, [("Staff_salary", 99_000, 0), ("In_BenefitsRate", 0.27, 0)])   # the same rate on both sides: no conflict
    out = tmp_path / "back.yaml"
    code, output, _ = _extract(fc, sp, out)
    assert code == 1 and not out.exists()
    lines = [ln for ln in output.splitlines() if "staff[0].salary" in ln]
    assert len(lines) == 1, output
    assert re.search(r"Full Cost Workbook has 101000 \(Staffing!C\d+\)", lines[0]), lines[0]
    assert re.search(r"Scenario Projections Tool has 99000 \(Staffing Plan!C\d+\)", lines[0]), lines[0]
    assert "benefits_rate" not in output
    for prefer, want in (("full-cost", 101_000), ("projections", 99_000)):
        code, output, data = _extract("--prefer", prefer, fc, sp, tmp_path / f"{prefer}.yaml")
        assert code == 0, output
        assert data["staff"][0]["salary"] == want
        assert data["assumptions"]["benefits_rate"] == pytest.approx(0.27)


def test_a_row_cleared_in_one_workbook_is_deleted_and_an_edit_elsewhere_is_kept(tmp_path: Path) -> None:
    fc, sp = _pair(tmp_path)
    original = load_partnership(example_path("riverside-housing")).to_data()
    # clear the second expense in the projections; change the first expense's amount in the Full Cost Workbook
    set_values(sp, [(f"Exp_{k}", None, 1) for k in ("name", "category", "amount", "function", "in_kind")])
    set_values(fc, [("Exp_amount", 12_345, 0)])
    code, output, data = _extract(fc, sp, tmp_path / "back.yaml")
    assert code == 0, output
    names = [e["name"] for e in original["expenses"]]
    assert [e["name"] for e in data["expenses"]] == names[:1] + names[2:]
    assert data["expenses"][0]["amount"] == 12_345


def test_workbooks_built_before_the_base_was_recorded_keep_the_old_rule(tmp_path: Path) -> None:
    fc, sp = _pair(tmp_path)
    for path in (fc, sp):
        wb = openpyxl.load_workbook(path)
        ws = wb["Metadata"]
        for row in ws.iter_rows(min_row=2):
            if str(row[0].value or "").startswith("inputs"):
                row[0].value, row[1].value = "unused", None
        wb.save(path)
    set_values(fc, [("Staff_salary", 101_000, 0)])
    code, output, data = _extract(fc, sp, tmp_path / "back.yaml")
    assert code == 0, output
    assert "record the inputs they were built with" in output
    assert data["staff"][0]["salary"] == load_partnership(example_path("riverside-housing")).staff[0].salary


def test_copies_of_one_file_extract_alone(tmp_path: Path) -> None:
    fc, _ = _pair(tmp_path)
    copy = tmp_path / "copy.xlsx"
    shutil.copy(fc, copy)
    code, output, _ = _extract(fc, copy, tmp_path / "back.yaml")
    assert code == 2 and "two Full Cost Workbooks" in output


# ----------------------------------------------------------------------------- notes are data


def test_notes_survive_extract_of_either_workbook_and_of_the_pair(tmp_path: Path) -> None:
    fc, sp = _pair(tmp_path)
    p = load_partnership(example_path("riverside-housing"))
    assert p.staff[0].note and p.expenses[1].note and p.revenue[2].note and p.projections.one_time[1].note
    # a note typed in one workbook only, and one changed in the other only
    # row 2 of the Full Cost Workbook's Staffing is staff[3]: the first three include two that start in year 3
    set_values(fc, [("Staff_note", "Salary survey, Riverside nonprofits 2026", 1), ("Unf_note", None, 0)])
    set_values(sp, [("Rev_note", "Letter of intent on file", 0)])
    code, output, data = _extract(fc, sp, tmp_path / "back.yaml")
    assert code == 0, output
    assert data["staff"][0]["note"] == p.staff[0].note
    assert data["staff"][3]["note"] == "Salary survey, Riverside nonprofits 2026"
    assert data["expenses"][1]["note"] == p.expenses[1].note
    assert data["revenue"][0]["note"] == "Letter of intent on file"
    assert data["revenue"][2]["note"] == p.revenue[2].note
    assert data["full_cost"]["unfunded"][0]["note"] is None      # cleared in the Full Cost Workbook
    assert data["projections"]["one_time"][1]["note"] == p.projections.one_time[1].note
    assert data["assumptions"]["confidence_notes"] == {"likely": p.assumptions.confidence_notes["likely"]}
    code, output, alone = _extract(fc, tmp_path / "fc.yaml")
    assert code == 0, output
    assert alone["full_cost"]["unfunded"][1]["note"] == p.full_cost.unfunded[1].note
    assert alone["staff"][1]["note"] == "Salary survey, Riverside nonprofits 2026"


def test_notes_edited_differently_in_both_are_a_conflict(tmp_path: Path) -> None:
    fc, sp = _pair(tmp_path)
    set_values(fc, [("Exp_note", "Quote A", 1)])
    set_values(sp, [("Exp_note", "Quote B", 1)])
    code, output, _ = _extract(fc, sp, tmp_path / "back.yaml")
    assert code == 1
    assert "expenses[1].note" in output and "'Quote A'" in output and "'Quote B'" in output


def test_upgrade_keeps_notes_and_the_recorded_inputs(tmp_path: Path) -> None:
    from generator.readback.extract import extract
    from generator.recorded import recalled

    fc, sp = _pair(tmp_path)
    set_values(fc, [("Staff_note", "Typed before the upgrade", 1), ("Staff_salary", 80_500, 1)])
    new = tmp_path / "upgraded.xlsx"
    res = CliRunner().invoke(main, ["upgrade", str(fc), "-o", str(new)])
    assert res.exit_code == 0, res.output
    up = extract(new)
    assert up.data["staff"][1]["note"] == "Typed before the upgrade"
    assert up.data["staff"][0]["note"] == load_partnership(example_path("riverside-housing")).staff[0].note
    # the upgraded workbook still records what the pair was built with, so its edits stay edits
    assert recalled(up.meta) == recalled(extract(sp).meta)
    set_values(sp, [("Staff_salary", 99_000, 0)])
    code, output, data = _extract(new, sp, tmp_path / "back.yaml")
    assert code == 0, output
    assert data["staff"][3]["salary"] == 80_500 and data["staff"][0]["salary"] == 99_000


# ----------------------------------------------------------------------------- collect merges a pair too


def test_collect_counts_a_one_sided_edit_in_both_workbooks_and_lists_conflicts(tmp_path: Path) -> None:
    from generator.model.projections import compute_projections
    from generator.readback.collect import collect
    from generator.schema import validate_data

    returned = tmp_path / "returned"
    fc, sp = build_workbooks(load_partnership(example_path("riverside-housing")), returned)
    set_values(fc, [("Staff_salary", 97_500, 0)])          # typed into the Full Cost Workbook only
    port = collect(returned, workers=1)
    (row,) = port.rows
    data = load_partnership(example_path("riverside-housing")).to_data()
    data["staff"][0]["salary"] = 97_500
    want = compute_projections(validate_data(data, "edited"))
    assert row["base_EndCash"] == pytest.approx(want["SP_base_EndCash"][-1])
    assert not any("conflict" in p["reason"] for p in port.problems)

    set_values(sp, [("Staff_salary", 99_000, 0)])          # now typed differently into both
    port = collect(returned, workers=1)
    (row,) = port.rows
    reasons = [p["reason"] for p in port.problems if p["used"] != "no"]
    assert any("conflict: staff[0].salary" in r and "97500" in r and "99000" in r for r in reasons), reasons
    assert row["status"] == "used with warnings"


def test_collect_in_worker_processes_merges_pairs_as_one_process_does(tmp_path: Path) -> None:
    """With worker processes, collect merges each pair while the other files are still read
    (issue 22): the Portfolio, its Problems and every file's numbers must be those of a
    one-process collect, and the one-sided edit must count in the projections' numbers."""
    from generator.model.projections import compute_projections
    from generator.readback.collect import collect
    from generator.schema import validate_data

    returned = tmp_path / "returned"
    fc, sp = build_workbooks(load_partnership(example_path("riverside-housing")), returned)
    set_values(fc, [("Staff_salary", 97_500, 0)])          # one-sided: counts in both
    fc2, sp2 = build_workbooks(load_partnership(example_path("eastside-cradle-to-career")), returned)
    set_values(fc2, [("Staff_salary", 51_000, 0)])
    set_values(sp2, [("Staff_salary", 52_000, 0)])        # both sides, differently: a conflict
    one, two = collect(returned, workers=1), collect(returned, workers=2)
    assert two.rows == one.rows and two.problems == one.problems
    assert [(r.path, r.numbers, r.figures, r.findings) for r in two.results] == \
        [(r.path, r.numbers, r.figures, r.findings) for r in one.results]
    data = load_partnership(example_path("riverside-housing")).to_data()
    data["staff"][0]["salary"] = 97_500
    want = compute_projections(validate_data(data, "edited"))
    row = next(r for r in two.rows if r["files"].startswith(str(fc)))
    assert row["base_EndCash"] == pytest.approx(want["SP_base_EndCash"][-1])
    assert any("conflict: staff[0].salary" in p["reason"] for p in two.problems if str(fc2) in p["file"])
