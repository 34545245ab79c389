"""Collect: real returns (filled with openpyxl, saved by LibreOffice with recalculation) mixed
with broken and hostile files; every file is accounted for and the numbers are the model's."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator.build import BuildOptions, build_workbooks, example_names, example_path
from generator.cli import main
from generator.libreoffice import recalculate
from generator.model.full_cost import compute_full_cost
from generator.model.projections import compute_projections
from generator.readback.collect import collect
from generator.schema import load_partnership, validate_data

from . import hostile
from .edit import cell, set_saved_time, set_value


def _filled(src: Path, dst: Path, salary: float) -> Path:
    """A user types a new salary for the first position."""
    wb = openpyxl.load_workbook(src)
    set_value(wb, "Staff_salary", salary, 0)
    wb.save(dst)
    return dst


@pytest.fixture(scope="module")
def returned(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict:
    """A folder of returned files: good ones, broken ones and hostile ones, and what to expect."""
    base = tmp_path_factory.mktemp("collect")
    built, filled, expected = base / "built", base / "filled", {}
    filled.mkdir()
    partnerships = []
    for n, name in enumerate(example_names()):
        p = load_partnership(example_path(name))
        partnerships.append(p)
        for kind_path in build_workbooks(p, built):
            _filled(kind_path, filled / kind_path.name, 100_000 + 1000 * n)
        data = p.to_data()
        data["staff"][0]["salary"] = 100_000 + 1000 * n
        expected[p.organization.name] = validate_data(data, name)
    # one more partnership, renamed, so the portfolio has four rows
    data = partnerships[0].to_data()
    data["organization"]["name"] = "Lakeside Housing Coalition"
    data["organization"]["backbone_structure"] = "fiscally_sponsored"
    p4 = validate_data(data, "lakeside")
    for kind_path in build_workbooks(p4, built):
        shutil.copy(kind_path, filled / kind_path.name)
    expected[p4.organization.name] = p4
    inbox = base / "inbox"
    saved = recalculate(sorted(filled.iterdir()), inbox / "returned")
    # broken returns, made from a good one
    good_fc = next(p for p in saved if p.name.startswith("riverside") and "full-cost" in p.name)
    broken = inbox / "broken"
    broken.mkdir()

    def variant(name: str, edit) -> None:
        wb = openpyxl.load_workbook(good_fc)
        edit(wb)
        wb.save(broken / name)

    variant("deleted-sheet.xlsx", lambda wb: wb.remove(wb["Staffing"]))
    variant("text-in-numbers.xlsx", lambda wb: set_value(wb, "Staff_fte", "full time", 1))
    variant("saved-without-recalc.xlsx", lambda wb: set_value(wb, "Staff_salary", 1, 2))
    set_saved_time(broken / "saved-without-recalc.xlsx", "2026-02-01T00:00:00Z")  # an earlier return than the good one
    shutil.copy(good_fc, broken / "duplicate-of-riverside.xlsx")
    # an overwritten formula, recalculated by LibreOffice: inputs still good, so it is used with a warning
    over = base / "overwritten.xlsx"
    wb = openpyxl.load_workbook(next(p for p in saved if p.name.startswith("eastside") and "full-cost" in p.name))
    cell(wb, "FC_Reserves").value = 1
    wb.save(over)
    # it replaces eastside's own full cost file, so it is not a duplicate
    (east,) = [p for p in saved if p.name.startswith("eastside") and "full-cost" in p.name]
    east.unlink()
    recalculate([over], inbox / "returned")
    # hostile files
    hostile_dir = inbox / "hostile"
    hostile_dir.mkdir()
    seed = hostile.real_workbook(base / "seed")
    made = {
        "zip_bomb": hostile.zip_bomb(seed, hostile_dir), "entities": hostile.entity_expansion(seed, hostile_dir),
        "truncated": hostile.truncated(seed, hostile_dir), "not_zip": hostile.not_a_zip(seed, hostile_dir),
        "macros": hostile.xlsm_with_macros(seed, hostile_dir), "not_ours": hostile.not_ours(seed, hostile_dir),
        "junk": hostile.huge_junk_sheet(seed, hostile_dir),
    }
    (inbox / "notes.txt").write_text("thanks for the toolkit!")
    return {"inbox": inbox, "expected": expected, "hostile": made, "broken": broken}


@pytest.mark.libreoffice
def test_every_file_is_accounted_for_exactly_once(returned: dict) -> None:
    started = time.perf_counter()
    port = collect(returned["inbox"], workers=2)
    elapsed = time.perf_counter() - started
    files = {str(p) for p in returned["inbox"].rglob("*") if p.is_file()}
    in_rows = [f for row in port.rows for f in row["files"].split("; ")]
    not_used = [p["file"] for p in port.problems if p["used"] == "no"]
    copies = [c["file"] for c in port.copies]
    assert sorted(in_rows + not_used + copies) == sorted(files)  # each exactly once
    assert port.files_seen == len(files)
    assert elapsed < 60
    # each file is known to the store by the SHA-256 of its bytes: those read (or, refused before they
    # were read, those on disk), the same here as the file's own, which nothing changed meanwhile
    import hashlib

    assert port.results and {r.path: r.sha256 for r in port.results} == {
        r.path: hashlib.sha256(Path(r.path).read_bytes()).hexdigest() for r in port.results}


@pytest.mark.libreoffice
def test_portfolio_numbers_are_the_model_on_the_filled_inputs(returned: dict) -> None:
    port = collect(returned["inbox"], workers=2)
    rows = {r["partnership"]: r for r in port.rows}
    assert set(rows) == set(returned["expected"])
    for name, p in returned["expected"].items():
        row = rows[name]
        fc, sp = compute_full_cost(p), compute_projections(p)
        assert row["full_cost"] == pytest.approx(fc["FC_Total"], rel=1e-9)
        assert row["gap"] == pytest.approx(fc["FC_Gap"], rel=1e-9, abs=1e-6)
        assert row["indirect_rate"] == pytest.approx(fc["FC_IndirectRate"], rel=1e-9, abs=1e-9)
        assert row["base_EndCash"] == pytest.approx(sp["SP_base_EndCash"][-1], rel=1e-9, abs=1e-6)
        assert row["base_RunwayCash"] == sp["SP_base_RunwayCash"]
        assert row["missing"] == ""


@pytest.mark.libreoffice
def test_each_problem_has_its_reason(returned: dict) -> None:
    port = collect(returned["inbox"], workers=1)
    reasons = {Path(p["file"]).name: (p["used"], p["reason"], p["status"]) for p in port.problems}
    h = returned["hostile"]
    assert "zip" in reasons[h["zip_bomb"].name][1].lower() or "inflat" in reasons[h["zip_bomb"].name][1].lower()
    assert "entit" in reasons[h["entities"].name][1].lower() or "dtd" in reasons[h["entities"].name][1].lower()
    assert reasons[h["truncated"].name][0] == "no" and reasons[h["not_zip"].name][0] == "no"
    assert "not_ours" in reasons[h["not_ours"].name][1] or "not a Place-Based" in reasons[h["not_ours"].name][1]
    assert reasons[h["junk"].name][0] == "no"
    assert reasons["deleted-sheet.xlsx"][0] == "no" and "Staffing" in reasons["deleted-sheet.xlsx"][1]
    assert reasons["text-in-numbers.xlsx"][0] == "no" and "Staffing!B6" in reasons["text-in-numbers.xlsx"][1]
    assert "recalculation" in reasons["saved-without-recalc.xlsx"][1]
    # four Riverside full-cost files: the one LibreOffice saved last is used; the stale one and the
    # .xlsm (ours, macros flagged), both saved earlier with other inputs, are earlier returns, each with
    # its own warnings kept in the reason; the byte-for-byte copy is one return with the one used
    earlier = sorted(k for k, v in reasons.items() if v[2] == "earlier return")
    assert earlier == sorted(["saved-without-recalc.xlsx", h["macros"].name])
    assert "macros" in reasons[h["macros"].name][1] and "recalculation" in reasons["saved-without-recalc.xlsx"][1]
    assert all("an earlier return of the same partnership" in reasons[k][1] for k in earlier)
    (copy,) = port.copies
    assert {Path(copy["file"]).name, Path(copy["copy_of"]).name} == {"duplicate-of-riverside.xlsx", "riverside-housing-partnership-full-cost.xlsx"}
    assert Path(copy["file"]).name not in reasons
    assert reasons["overwritten.xlsx"][0] == "yes, with warnings" and "formula changed" in reasons["overwritten.xlsx"][1]
    assert reasons["notes.txt"][0] == "no"


@pytest.mark.libreoffice
def test_cli_collect_writes_portfolio_and_csv(returned: dict, tmp_path: Path) -> None:
    out = tmp_path / "portfolio.xlsx"
    res = CliRunner().invoke(main, ["collect", str(returned["inbox"]), "-o", str(out), "--csv", str(tmp_path / "csv")])
    assert res.exit_code == 1  # some files could not be used
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["At a glance", "Portfolio", "Benchmarks", "Problems", "Profiles"]
    assert (tmp_path / "csv" / "portfolio.csv").read_text().count("\n") == 1 + len(returned["expected"])
    bench = (tmp_path / "csv" / "benchmarks.csv").read_text()
    assert "All partnerships,Full cost,4," in bench and "Structure: " in bench


def _returns_of_one_partnership(tmp_path: Path) -> dict[str, Path]:
    """Riverside's Full Cost Workbook as sent twice: the untouched draft (saved when built) and the
    final with a salary typed in (saved later, by openpyxl), plus two copies of the final: one
    byte for byte, one saved again (another saved time, the same inputs)."""
    built = tmp_path / "built"
    (fc,) = build_workbooks(load_partnership(example_path("riverside-housing")), built, BuildOptions(kinds=("full-cost",)))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    draft = shutil.copy(fc, inbox / "a-draft.xlsx")  # found first: today's collect keeps it
    wb = openpyxl.load_workbook(fc)
    set_value(wb, "Staff_salary", 150_000, 0)
    final = inbox / "b-final.xlsx"
    wb.save(final)
    from .edit import set_saved_time

    set_saved_time(final, "2026-11-30T16:45:00Z")
    shutil.copy(final, inbox / "c-copy.xlsx")
    again = openpyxl.load_workbook(final)
    again.save(inbox / "d-saved-again.xlsx")
    set_saved_time(inbox / "d-saved-again.xlsx", "2026-11-29T08:00:00Z")
    return {"draft": Path(draft), "final": final, "copy": inbox / "c-copy.xlsx", "again": inbox / "d-saved-again.xlsx"}


def test_the_later_saved_return_is_used_and_the_earlier_listed(tmp_path: Path) -> None:
    """Two returns of one partnership with different inputs: the one saved later (by the workbook's
    own saved time, not the order files are found) is used; the other is on Problems saying why;
    copies with the same inputs are one return, not problems."""
    f = _returns_of_one_partnership(tmp_path)
    port = collect(f["draft"].parent, workers=1)
    (row,) = port.rows
    assert row["files"] == str(f["final"])
    data = load_partnership(example_path("riverside-housing")).to_data()
    data["staff"][0]["salary"] = 150_000
    assert row["full_cost"] == pytest.approx(compute_full_cost(validate_data(data, "edited"))["FC_Total"], rel=1e-12)
    unused = {Path(p["file"]).name: p for p in port.problems if p["used"] == "no"}
    assert set(unused) == {"a-draft.xlsx"}
    reason = unused["a-draft.xlsx"]["reason"]
    assert unused["a-draft.xlsx"]["status"] == "earlier return"
    assert "an earlier return of the same partnership" in reason and "saved 2026-01-01 00:00:00 UTC" in reason
    assert f"the later one, saved 2026-11-30 16:45:00 UTC, was used ({f['final']})" in reason
    assert sorted(Path(c["file"]).name for c in port.copies) == ["c-copy.xlsx", "d-saved-again.xlsx"]
    assert all(c["copy_of"] == str(f["final"]) for c in port.copies)
    assert "c-copy.xlsx (the same inputs as" in row["copies"]
    # the order the files are found in does not matter: the draft found last is still set aside
    f["draft"].rename(f["draft"].with_name("z-draft.xlsx"))
    again = collect(f["draft"].parent, workers=1)
    assert again.rows[0]["files"] == str(f["final"])
    assert [Path(p["file"]).name for p in again.problems if p["used"] == "no"] == ["z-draft.xlsx"]
