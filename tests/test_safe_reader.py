"""One safe reader for every command (issue 10, "One hostile file costs the whole collect" and
"Commands outside the safe path"): every command that opens a returned workbook goes through
readback.safety, reads the inspected bytes, and turns any reader failure into one line (a
command) or one Problem (collect), within time and memory bounds."""
from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

from . import hostile

UNUSABLE = 2
ROOT = Path(__file__).resolve().parents[1]
#: files the safety checks accept as packages: what each command must say about them
SAFE = {"xlsm_with_macros", "not_ours", "widened_name", "huge_salary"}


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.real_workbook(tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="module")
def files(real: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return hostile.make_all(real, tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def projections(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from generator.build import BuildOptions, build_workbooks, example_path
    from generator.schema import load_partnership

    (sp,) = build_workbooks(load_partnership(example_path("riverside-housing")), tmp_path_factory.mktemp("sp"),
                            BuildOptions(kinds=("scenario-projections",)))
    return sp


def _invoke(args: list[str]) -> tuple[int, str, float]:
    started = time.perf_counter()
    res = CliRunner().invoke(main, args)
    took = time.perf_counter() - started
    assert res.exception is None or isinstance(res.exception, SystemExit), f"{args}: {res.exception!r}"
    assert "Traceback" not in res.output
    return res.exit_code, res.output, took


def _expected(command: str, name: str) -> set[int]:
    if name not in SAFE:
        return {UNUSABLE}
    if name == "not_ours" or name == "widened_name":
        return {UNUSABLE}
    if command == "risk":
        return {UNUSABLE}         # a Full Cost Workbook: risk needs the Scenario Projections Tool
    if name == "huge_salary":
        return {1}                # read, and its salary refused by the schema: a problem in the file
    return {0, 1}                 # the real workbook with macros: read, macros ignored


@pytest.mark.parametrize("command", ["validate", "extract", "upgrade", "recalc", "risk", "annotate"])
def test_hostile_corpus_through_every_command(files: dict[str, Path], command: str, tmp_path: Path) -> None:
    slow = []
    for name, path in files.items():
        out = tmp_path / f"{name}-out"
        args = {"validate": ["validate", str(path)], "extract": ["extract", str(path), "-o", f"{out}.yaml"],
                "upgrade": ["upgrade", str(path), "-o", f"{out}.xlsx"], "recalc": ["recalc", str(path), "-o", f"{out}.xlsx"],
                "risk": ["risk", str(path), "-o", f"{out}.xlsx", "--runs", "20"],
                "annotate": ["validate", str(path), "--annotate", f"{out}.xlsx"]}[command]
        status, output, took = _invoke(args)
        assert status in _expected(command, name), f"{command} {name}: {status}\n{output}"
        if status == UNUSABLE or (status == 1 and command in ("validate", "extract", "upgrade")):
            assert path.name in output.splitlines()[0], output
        if status == UNUSABLE:
            assert not list(tmp_path.glob(f"{name}-out*")), f"{command} {name} wrote an output"
        for written in tmp_path.glob(f"{name}-out*.xlsx"):   # macros never travel into an output
            from generator.readback.safety import inspect_package

            assert not inspect_package(written).had_macros, f"{command} {name}: {written.name} carries macros"
        slow += [(name, took)] if took > 20 else []
    assert not slow, slow


PDF_REFUSED = ["far_single_cell", "zip_bomb", "entity_expansion", "truncated", "empty_file", "password_protected", "word_document"]


@pytest.mark.parametrize("name", PDF_REFUSED)
def test_pdf_refuses_hostile_files_before_libreoffice(files: dict[str, Path], name: str, tmp_path: Path, monkeypatch) -> None:
    import generator.libreoffice as lo

    monkeypatch.setattr(lo, "find_soffice", lambda: "/bin/true")
    monkeypatch.setattr(lo, "to_pdf", lambda *a, **k: pytest.fail("LibreOffice was given a hostile file"))
    status, output, _ = _invoke(["pdf", str(files[name]), "-o", str(tmp_path / "x.pdf")])
    assert status == UNUSABLE and len(output.strip().splitlines()) == 1 and not (tmp_path / "x.pdf").exists()


def _limited(limit_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return apply


@pytest.mark.parametrize("name", ["far_single_cell", "far_cell_20000", "widened_name", "zip_bomb_lying", "huge_junk_sheet"])
def test_worst_files_end_within_60_s_and_2_gb(files: dict[str, Path], name: str, tmp_path: Path) -> None:
    """The real console script, in a process capped at 2 GB of address space."""
    exe = Path(sys.executable).with_name("pbp-toolkit")
    if not exe.exists():
        pytest.skip("console script not installed")
    for args in (["validate", str(files[name])], ["recalc", str(files[name]), "-o", str(tmp_path / "r.xlsx")],
                 ["extract", str(files[name]), "-o", str(tmp_path / "x.yaml")]):
        started = time.perf_counter()
        proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60, preexec_fn=_limited(2 << 30))
        assert time.perf_counter() - started < 60
        assert proc.returncode == UNUSABLE, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout and files[name].name in (proc.stdout + proc.stderr)


def test_collect_completes_over_the_hostile_folder(files: dict[str, Path], projections: Path, tmp_path: Path) -> None:
    """Through validate_file and collect (worker processes): every hostile file is a Problem, the good
    file is in the Portfolio, and every output is written."""
    folder = tmp_path / "returned"
    folder.mkdir()
    for path in files.values():
        os.link(path, folder / path.name) if path.stat().st_dev == folder.stat().st_dev else (folder / path.name).write_bytes(path.read_bytes())
    (folder / projections.name).write_bytes(projections.read_bytes())
    started = time.perf_counter()
    status, output, _ = _invoke(["collect", str(folder), "-o", str(tmp_path / "p.xlsx"), "--csv", str(tmp_path / "csv"), "--workers", "2"])
    assert time.perf_counter() - started < 120
    assert status == 1 and (tmp_path / "p.xlsx").is_file()
    with open(tmp_path / "csv" / "problems.csv", encoding="utf-8", newline="") as fh:
        problems = {Path(r["file"]).name: r for r in csv.DictReader(fh)}
    with open(tmp_path / "csv" / "portfolio.csv", encoding="utf-8", newline="") as fh:
        used = [r["files"] for r in csv.DictReader(fh)]
    not_used = {n for n, r in problems.items() if r["used"] == "no"}
    assert not_used == {p.name for n, p in files.items() if n != "xlsm_with_macros"}
    assert any(projections.name in f for f in used) and any("macros.xlsm" in f for f in used)
    assert "1e+308" in problems["huge-salary.xlsx"]["reason"] or "1E+308" in problems["huge-salary.xlsx"]["reason"]


def test_a_reader_panic_is_a_problem_for_that_file_only(real: Path, projections: Path, tmp_path: Path, monkeypatch) -> None:
    """pyo3's PanicException derives from BaseException, not Exception."""
    import python_calamine

    from generator.readback.collect import collect

    class PanicException(BaseException):
        pass

    original = python_calamine.CalamineWorkbook.from_filelike
    fc_bytes = real.read_bytes()

    def panicking(fp):
        data = fp.read()
        fp.seek(0)
        if data == fc_bytes:   # the Full Cost Workbook only
            raise PanicException("called `Result::unwrap()` on an `Err` value")
        return original(fp)

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", staticmethod(panicking))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "fc.xlsx").write_bytes(real.read_bytes())
    (folder / "sp.xlsx").write_bytes(projections.read_bytes())
    port = collect(folder, workers=1)
    assert [Path(p["file"]).name for p in port.problems] == ["fc.xlsx"]
    assert "PanicException" in port.problems[0]["reason"] or "cannot read" in port.problems[0]["reason"]
    assert len(port.rows) == 1


def _dying(path: str):
    """collect's reader, except that it kills its process on die.xlsx, as an abort in a reader would."""
    from generator.readback.collect import FileResult
    from generator.readback.validate import validate_file
    import generator.readback.collect as collect_mod

    if path.endswith("die.xlsx"):
        os._exit(3)
    return collect_mod._summarise_checked(path, validate_file(path)) if path else FileResult(path, "")


def test_a_worker_that_dies_costs_only_its_file(real: Path, projections: Path, tmp_path: Path, monkeypatch) -> None:
    import generator.readback.collect as collect_mod

    monkeypatch.setattr(collect_mod, "_summarise", _dying)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "sp.xlsx").write_bytes(projections.read_bytes())
    (folder / "fc.xlsx").write_bytes(real.read_bytes())
    (folder / "junk.xlsx").write_text("not a workbook", encoding="utf-8")
    (folder / "die.xlsx").write_bytes(real.read_bytes())
    port = collect_mod.collect(folder, workers=2)
    reasons = {Path(p["file"]).name: p["reason"] for p in port.problems if p["used"] == "no"}
    assert set(reasons) == {"die.xlsx", "junk.xlsx"} and "stopped its reader process" in reasons["die.xlsx"]
    assert len(port.rows) == 1 and "fc.xlsx" in port.rows[0]["files"] and "sp.xlsx" in port.rows[0]["files"]


def test_an_unreadable_subfolder_is_a_problem(projections: Path, tmp_path: Path, monkeypatch) -> None:
    from generator.readback.collect import collect

    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "hidden.xlsx").write_bytes(projections.read_bytes())
    (folder / "sp.xlsx").write_bytes(projections.read_bytes())
    real_scandir = os.scandir

    def scandir(path=".", *a, **k):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path, *a, **k)

    monkeypatch.setattr(os, "scandir", scandir)
    port = collect(folder, workers=1)
    assert len(port.rows) == 1
    assert [(Path(p["file"]).name, p["used"]) for p in port.problems] == [("locked", "no")]
    assert "Permission denied" in port.problems[0]["reason"]


def test_the_read_uses_the_inspected_bytes_not_the_path(real: Path, tmp_path: Path, monkeypatch) -> None:
    """A file swapped after the check cannot be read: the path is opened once."""
    import generator.readback.safety as safety
    from generator.readback.validate import validate_file

    path = tmp_path / "swapped.xlsx"
    path.write_bytes(real.read_bytes())
    original = safety.read_bounded
    opened = []

    def read_then_swap(p, limits=None):
        data = original(p, limits)
        opened.append(p)
        Path(p).write_bytes(b"PK\x03\x04" + b"\xff" * 5000)   # swapped the moment after it was read
        return data

    monkeypatch.setattr(safety, "read_bounded", read_then_swap)
    report = validate_file(path)
    assert opened == [path] and report.status == "clean", report.render()


def test_outputs_never_carry_macros(projections: Path, tmp_path: Path) -> None:
    pytest.importorskip("olefile")
    pytest.importorskip("xlwings")
    from generator.readback.safety import inspect_package
    from macros.build_addin import make_xlsm

    xlsm = make_xlsm(projections, tmp_path / "with-macros.xlsm")
    assert inspect_package(xlsm).had_macros
    for args, out in ((["recalc", str(xlsm)], tmp_path / "with-macros-recalc.xlsx"),
                      (["risk", str(xlsm), "--runs", "20", "--seed", "1"], tmp_path / "with-macros-risk.xlsx"),
                      (["validate", str(xlsm), "--annotate", str(tmp_path / "checked.xlsx")], tmp_path / "checked.xlsx")):
        status, output, _ = _invoke(args)
        assert status in (0, 1), output
        info = inspect_package(out)
        assert info.kind == "xlsx" and not info.had_macros and not info.macro_parts, (args, info.macro_parts)
        with zipfile.ZipFile(out) as z:
            assert not [n for n in z.namelist() if "vba" in n.lower()]
    status, output, _ = _invoke(["recalc", str(xlsm), "-o", str(tmp_path / "keep.xlsm")])
    assert status == UNUSABLE and "name it .xlsx" in output and not (tmp_path / "keep.xlsm").exists()


def test_collect_skips_the_toolkit_own_csv_files(projections: Path, tmp_path: Path) -> None:
    """collect over a batch output folder: manifest.csv and problems.csv are recognised, skipped and named."""
    from generator.batch import MANIFEST_COLUMNS, PROBLEM_COLUMNS

    folder = tmp_path / "sent"
    folder.mkdir()
    (folder / "sp.xlsx").write_bytes(projections.read_bytes())
    (folder / "manifest.csv").write_text(",".join(MANIFEST_COLUMNS) + "\n1,X,x,built,,,,,\n", encoding="utf-8")
    (folder / "problems.csv").write_text(",".join(PROBLEM_COLUMNS) + "\n", encoding="utf-8")
    (folder / "notes.csv").write_text("a,b\n", encoding="utf-8")   # any other CSV is still a problem
    status, output, _ = _invoke(["collect", str(folder), "-o", str(tmp_path / "p.xlsx"), "--workers", "1"])
    assert "skipped 2 file(s) the toolkit itself wrote" in output and "manifest.csv" in output
    assert status == 1   # notes.csv could not be used
    from generator.readback.collect import collect

    port = collect(folder, workers=1)
    assert [Path(p["file"]).name for p in port.problems] == ["notes.csv"] and len(port.rows) == 1


def test_a_re_pointed_defined_name_is_found(real: Path, tmp_path: Path) -> None:
    """A name moved to other cells within the sheet (so every size bound holds) no longer validates clean."""
    from generator.readback.validate import validate_file

    moved = hostile._with_name(real, tmp_path / "moved.xlsx", "Staff_salary", "Staffing!$D$5:$D$44")
    report = validate_file(moved)
    found = [f for f in report.findings if f.code == "name_changed"]
    assert report.status == "problems" and found, report.render()
    assert "Staff_salary" in found[0].message and "Staffing!C5:C44" in found[0].message


def test_portfolio_never_hands_a_non_finite_number_to_xlsxwriter(tmp_path: Path) -> None:
    """Defence in depth behind the schema's bound: an infinity is shown as text, never written as a number."""
    import openpyxl

    from generator.readback.collect import Portfolio
    from generator.readback.portfolio import write_portfolio

    port = Portfolio(rows=[{"partnership": "Overflow", "partnership_id": "x", "region": "", "structure": "Hosted",
                            "fiscal_year": "FY2027", "full_cost": float("inf"), "cash_need": 1.0, "status": "clean",
                            "missing": "", "files": "a.xlsx"}], files_seen=1)
    write_portfolio(port, tmp_path / "p.xlsx", tmp_path / "csv")
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["Portfolio"]
    assert "inf" in [str(c.value) for c in ws[5]]
