"""`pbp-toolkit batch`: every roster row is built or reported, the manifest's hashes are the
files', a bad row never stops the others, and the exit status says what happened."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator.batch import (
    MANIFEST, MANIFEST_COLUMNS, PROBLEM_COLUMNS, PROBLEMS, RosterError, fast_formulas, read_roster, run_batch,
)
from generator.build import builders, example_path
from generator.cli import main
from generator.readback.safety import SafeWorkbook

HEADER = ["name", "region", "focus", "backbone_structure", "fiscal_year_start", "data_file"]

# (row cells, expected outcome: 'built' or (column, reason))
ROWS: list[tuple[list[str], object]] = [
    (["Alpha Partnership", "North", "Education", "hosted_nonprofit", "2026-07-01", ""], "built"),
    (["Beta Coalition", "South", "", "standalone_nonprofit", "2026-01-01", "data/riverside-housing.yaml"], "built"),
    (["", "", "", "", "", "data/eastside-cradle-to-career.yaml"], "built"),          # everything from the data file
    (["Gamma", "", "", "not_a_structure", "2026-07-01", ""], ("backbone_structure", "invalid")),
    (["", "East", "", "hosted_nonprofit", "2026-07-01", ""], ("name", "invalid")),      # missing name
    (["Delta", "", "", "hosted_nonprofit", "07/01/2026", ""], ("fiscal_year_start", "invalid")),
    (["Epsilon", "", "", "", "", "data/invalid.yaml"], ("data_file", "invalid")),
    (["Zeta", "", "", "", "", "data/missing.yaml"], ("data_file", "data_file")),
    (["alpha  partnership", "", "", "hosted_nonprofit", "2026-07-01", ""], ("name", "duplicate")),
    (["Eta", "", "", "fiscally_sponsored", "2026-07-01 00:00:00", ""], "built"),       # an Excel-exported date
    (["Theta", "", "", "hosted_nonprofit", "2026-02-30", ""], ("fiscal_year_start", "invalid")),
]
BUILT_ROWS = [n + 2 for n, (_, want) in enumerate(ROWS) if want == "built"]
FAILED_ROWS = {n + 2: want for n, (_, want) in enumerate(ROWS) if want != "built"}


@pytest.fixture(scope="module", autouse=True)
def fixed_build_time():
    """Workbooks record their build time; fix it so two runs can be compared byte for byte."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1767225600")
    yield
    mp.undo()


@pytest.fixture(scope="module")
def roster_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("roster")
    data = root / "data"
    data.mkdir()
    for name in ("riverside-housing", "eastside-cradle-to-career"):
        shutil.copy(example_path(name), data / f"{name}.yaml")
    (data / "invalid.yaml").write_text(
        "schema: pbp-toolkit/partnership/1\norganization:\n  name: Invalid\n  backbone_structure: hosted_nonprofit\n"
        "  fiscal_year_start: 2026-07-01\nstaff:\n  - {title: Director, fte: 1, salary: 90000, functions: {operations: 0.5}}\n",
        encoding="utf-8")
    return root


def write_csv(path: Path, header: list[str], rows: list[list[str]], blank_line_after: int | None = None) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for n, r in enumerate(rows):
            w.writerow(r)
            if n == blank_line_after:
                w.writerow([""] * len(header))
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def csv_run(roster_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    """The mixed roster through the command line with two worker processes."""
    roster = write_csv(roster_dir / "roster.csv", HEADER, [r for r, _ in ROWS])
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["batch", str(roster), "-o", str(out), "--workers", "2"])
    return out, result, roster


def test_exit_status_and_report(csv_run) -> None:
    out, result, _ = csv_run
    assert result.exit_code == 1, result.output
    assert "row 5 (Gamma), column backbone_structure: unknown backbone structure 'not_a_structure'" in result.output
    assert "row 6, column name: required" in result.output
    assert "row 10 (alpha  partnership), column name: gives the same file name (alpha-partnership-*.xlsx) as row 2" in result.output
    assert f"for {len(BUILT_ROWS)} of {len(ROWS)} partnership(s)" in result.output


def test_every_row_is_in_the_manifest_and_every_failure_in_problems(csv_run) -> None:
    out, _, _ = csv_run
    manifest = read_csv(out / MANIFEST)
    problems = read_csv(out / PROBLEMS)
    assert list(manifest[0]) == list(MANIFEST_COLUMNS)
    assert list(problems[0]) == list(PROBLEM_COLUMNS)
    rows_in_manifest = {int(m["row"]) for m in manifest}
    assert rows_in_manifest == {n + 2 for n in range(len(ROWS))}
    built = {int(m["row"]) for m in manifest if m["status"] == "built"}
    assert sorted(built) == BUILT_ROWS
    failed = {int(m["row"]) for m in manifest if m["status"] == "failed"}
    assert failed == set(FAILED_ROWS)
    assert {int(p["row"]) for p in problems} == set(FAILED_ROWS)
    for p in problems:
        column, reason = FAILED_ROWS[int(p["row"])]
        assert (p["column"], p["reason"]) == (column, reason), p
        assert p["message"]
    for m in manifest:
        if m["status"] != "built":
            assert m["problem"] and not m["file"]


def test_manifest_hashes_are_the_written_files(csv_run) -> None:
    out, _, _ = csv_run
    manifest = [m for m in read_csv(out / MANIFEST) if m["status"] == "built"]
    kinds = set(builders())
    assert len(manifest) == len(BUILT_ROWS) * len(kinds)
    assert {m["workbook"] for m in manifest} == kinds
    for m in manifest:
        data = (out / m["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == m["sha256"]
        assert len(data) == int(m["bytes"])
        assert m["file"] == f"{m['slug']}-{m['workbook']}.xlsx"
    written = {p.name for p in out.glob("*.xlsx")}
    assert written == {m["file"] for m in manifest}  # nothing written for a failed row


def test_overrides_and_data_files_reach_the_workbooks(csv_run) -> None:
    out, _, _ = csv_run
    with SafeWorkbook(out / "beta-coalition-full-cost.xlsx") as wb:
        org = wb.sheet("Organization")
        assert org["B5"] == "Beta Coalition"
        values = {v for _, _, v in org.cells()}
        assert "South" in values                               # the row's region overrides the data file's
        assert "Ending homelessness" in values                 # the data file's focus stays (cell empty)
        assert dt.date(2026, 1, 1) in values or dt.datetime(2026, 1, 1) in values
        staff = {v for _, _, v in wb.sheet("Staffing").cells()}
        assert "Executive Director" in staff                   # the data file's staff came along
    with SafeWorkbook(out / "alpha-partnership-full-cost.xlsx") as wb:
        assert wb.sheet("Organization")["B5"] == "Alpha Partnership"
        assert wb.require_ours() == "pbp-full-cost"
    assert (out / "eastside-cradle-to-career-scenario-projections.xlsx").is_file()


def test_xlsx_roster_gives_the_same_outcome(roster_dir: Path, csv_run, tmp_path: Path) -> None:
    rows: list[list[object]] = []
    for cells, _ in ROWS:
        cells = list(cells)
        if cells[4] == "2026-07-01":
            cells[4] = dt.datetime(2026, 7, 1)                 # a real date cell, as Excel stores it
        rows.append(cells)
    roster = write_xlsx(roster_dir / "roster.xlsx", [h.replace("_", " ").title() for h in HEADER], rows)
    batch = run_batch(roster, tmp_path, workers=1, progress=False)
    assert batch.exit_code == 1
    assert [r.row for r in batch.built] == BUILT_ROWS
    assert {r.row: (r.problems[0].column, r.problems[0].reason) for r in batch.failed} == FAILED_ROWS
    csv_out = csv_run[0]
    for m in read_csv(tmp_path / MANIFEST):  # same data -> byte-identical workbooks, whatever the roster format
        if m["status"] == "built":
            assert (tmp_path / m["file"]).read_bytes() == (csv_out / m["file"]).read_bytes(), m["file"]


def test_all_good_roster_exits_zero(roster_dir: Path, tmp_path: Path) -> None:
    roster = write_csv(roster_dir / "good.csv", HEADER[:5], [
        ["One", "A", "B", "shared_backbone", "2027-01-01"],
        ["Two", "", "", "government_housed", "2026-10-01"],
    ], blank_line_after=0)
    result = CliRunner().invoke(main, ["batch", str(roster), "-o", str(tmp_path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "1 blank row(s) ignored" in result.output
    assert read_csv(tmp_path / PROBLEMS) == []
    assert [int(m["row"]) for m in read_csv(tmp_path / MANIFEST)] == [2, 2, 4, 4]


@pytest.mark.parametrize("header,rows,message", [
    (HEADER + ["budget"], [["A", "", "", "hosted_nonprofit", "2026-07-01", "", "1"]], "unknown column(s) 'budget'"),
    (["region", "backbone_structure"], [["X", "hosted_nonprofit"]], "no name column"),
    (["name", "name"], [["A", "B"]], "appear more than once"),
    (["name", "", "region"], [["A", "stray", "R"]], "column 2 has values but no header"),
    (HEADER, [], "no partnership rows"),
])
def test_unusable_roster_exits_two(roster_dir: Path, tmp_path: Path, header, rows, message: str) -> None:
    roster = write_csv(tmp_path / "bad-roster.csv", header, rows)
    result = CliRunner().invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out" / MANIFEST).exists()


def test_roster_file_problems(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="not found"):
        read_roster(tmp_path / "nope.csv")
    (tmp_path / "r.ods").write_bytes(b"x")
    with pytest.raises(RosterError, match=r"\.csv or \.xlsx"):
        read_roster(tmp_path / "r.ods")
    (tmp_path / "r.xlsx").write_text("name\nA\n")
    with pytest.raises(RosterError, match="not an .xlsx|text file"):
        read_roster(tmp_path / "r.xlsx")


def test_csv_variants(tmp_path: Path) -> None:
    """Semicolon-separated (Excel in many locales), Windows-1252, extra cells beyond the header."""
    path = tmp_path / "semi.csv"
    path.write_bytes("Name;Region;Backbone_structure;Fiscal_year_start\nCafé Étoile;Nord;hosted_nonprofit;2026-07-01\n"
                     "Two;;hosted_nonprofit;2026-07-01;surprise\n".encode("cp1252"))
    rows, notes = read_roster(path)
    assert rows[0].cells["name"] == "Café Étoile" and rows[0].cells["region"] == "Nord"
    assert any("Windows-1252" in n for n in notes)
    batch = run_batch(path, tmp_path / "out", workers=1, progress=False)
    assert [r.status for r in batch.rows] == ["built", "failed"]
    assert batch.rows[1].problems[0].reason == "extra_cells"


def test_fail_fast_builds_nothing_after_a_bad_row(roster_dir: Path, tmp_path: Path) -> None:
    roster = write_csv(roster_dir / "ff.csv", HEADER, [r for r, _ in ROWS])
    result = CliRunner().invoke(main, ["batch", str(roster), "-o", str(tmp_path), "--fail-fast"])
    assert result.exit_code == 1
    manifest = read_csv(tmp_path / MANIFEST)
    assert {int(m["row"]) for m in manifest} == {n + 2 for n in range(len(ROWS))}
    assert {m["status"] for m in manifest} == {"failed", "not_built"}
    assert not list(tmp_path.glob("*.xlsx"))


def test_fast_formulas_write_byte_identical_files(tmp_path: Path) -> None:
    from generator.build import build_workbooks
    from generator.schema import load_partnership

    p = load_partnership(example_path("riverside-housing"))
    plain = build_workbooks(p, tmp_path / "plain")
    with fast_formulas():
        fast = build_workbooks(p, tmp_path / "fast")
    assert [a.read_bytes() == b.read_bytes() for a, b in zip(plain, fast)] == [True] * len(plain)
    from xlsxwriter.worksheet import Worksheet

    assert not getattr(Worksheet._prepare_formula, "_pbp_fast", False)  # restored afterwards


def test_xlsx_roster_off_a1_keeps_real_row_numbers(tmp_path: Path) -> None:
    """A roster whose table starts at B3 (a title above it): rows are named as Excel shows them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B1"] = None
    ws.append([])
    ws.append([])
    for n, values in enumerate([["Name", "Backbone structure", "Fiscal year start"],
                                ["Ok", "hosted_nonprofit", dt.date(2026, 7, 1)],
                                ["Bad", "hosted_nonprofit", "soon"]]):
        for c, v in enumerate(values):
            ws.cell(row=3 + n, column=2 + c, value=v)
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    rows, _ = read_roster(path)
    assert [(r.row, r.cells["name"]) for r in rows] == [(4, "Ok"), (5, "Bad")]
    batch = run_batch(path, tmp_path / "out", workers=1, progress=False)
    assert [(r.row, r.status) for r in batch.rows] == [(4, "built"), (5, "failed")]
    assert batch.rows[1].problems[0].column == "fiscal_year_start"


def test_a_roster_id_is_the_workbooks_partnership_id(tmp_path: Path) -> None:
    """The optional id column goes into both workbooks' identity (a row without one keeps the
    name's slug); an id that is not one, or that another row already has, is refused by row and column."""
    from generator.readback.validate import validate_file

    path = tmp_path / "roster.csv"
    path.write_text("name,backbone_structure,fiscal_year_start,id\n"
                    "Alpha Partnership,hosted_nonprofit,2026-07-01,P-001\n"
                    "Beta Partnership,hosted_nonprofit,2026-07-01,\n"
                    "Gamma Partnership,hosted_nonprofit,2026-07-01,has spaces\n"
                    "Delta Partnership,hosted_nonprofit,2026-07-01,P-001\n")
    batch = run_batch(path, tmp_path / "out", workers=1, progress=False)
    assert [r.status for r in batch.rows] == ["built", "built", "failed", "failed"]
    assert [(p.row, p.column, p.reason) for p in batch.problems] == [(4, "id", "invalid"), (5, "id", "duplicate")]
    assert "row 2" in batch.problems[1].message
    ids = {f.file: validate_file(tmp_path / "out" / f.file).partnership_id for r in batch.rows for f in r.files}
    assert ids == {"alpha-partnership-full-cost.xlsx": "P-001", "alpha-partnership-scenario-projections.xlsx": "P-001",
                   "beta-partnership-full-cost.xlsx": "beta-partnership", "beta-partnership-scenario-projections.xlsx": "beta-partnership"}
    from generator.readback.upgrade import upgrade_file

    upgraded = upgrade_file(tmp_path / "out" / "alpha-partnership-full-cost.xlsx", tmp_path / "upgraded.xlsx")
    assert validate_file(upgraded).partnership_id == "P-001"     # an upgrade keeps the id, so the rounds still match


@pytest.mark.parametrize("rows,workers", [(1, 2), (7, 2), (100, 2), (1000, 2), (1000, 4), (333, 1)])
def test_rows_go_to_the_workers_in_chunks_that_shrink_towards_the_end(rows: int, workers: int) -> None:
    """Every row once, in order; no chunk above 25 rows; each a quarter of what is left per worker,
    so the chunks shrink and the last few are single rows (no worker idles through a long last one)."""
    from math import ceil

    from generator.batch import _chunks

    todo = list(range(rows))
    chunks = _chunks(todo, workers)
    assert [r for c in chunks for r in c] == todo
    left = rows
    for c in chunks:
        assert 1 <= len(c) <= 25 and len(c) <= ceil(left / (workers * 4))   # at most a quarter of a worker's share of what is left
        left -= len(c)
    assert all(len(a) >= len(b) for a, b in zip(chunks, chunks[1:]))
    assert len(chunks[-1]) == 1
