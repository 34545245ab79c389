"""Every command over a corpus of bad inputs: one clear line naming the file, the documented
exit status (README, "Exit status": 0 fine, 1 problems found in the files, 2 unusable input),
never a traceback (issue 8, deliverable 5; issue 10)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

OK, PROBLEMS, UNUSABLE = 0, 1, 2
TYPO_YAML = """schema: pbp-toolkit/partnership/1
organization:
  name: Typo Partnership
  backbone_structure: hosted_nonprofit
  fiscal_year_start: 2026-07-01
staff:
  - title: Director
    fte: 1
    salry: 90000
    functions: strategy_leadership
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bad inputs, plus one good workbook of each kind (for 'the wrong kind')."""
    from generator.build import BuildOptions, build_workbooks, example_path
    from generator.schema import load_partnership
    from tests.hostile import not_ours

    d = tmp_path_factory.mktemp("bad")
    fc, sp = build_workbooks(load_partnership(example_path("riverside-housing")), d / "good", BuildOptions())
    (d / "folder").mkdir()
    (d / "empty.xlsx").write_bytes(b"")
    (d / "text.xlsx").write_text("name,amount\nRent,12000\n", encoding="utf-8")
    (d / "truncated.xlsx").write_bytes(fc.read_bytes()[: len(fc.read_bytes()) // 2])
    (d / "typo.yaml").write_text(TYPO_YAML, encoding="utf-8")
    return {"missing": d / "missing.xlsx", "folder": d / "folder", "empty": d / "empty.xlsx", "text": d / "text.xlsx",
            "truncated": d / "truncated.xlsx", "foreign": not_ours(fc, d), "typo": d / "typo.yaml",
            "full_cost": fc, "projections": sp, "root": d}


WORKBOOK_INPUTS = ["missing", "folder", "empty", "text", "truncated", "foreign", "typo"]


def run(args: list[str]) -> tuple[int, list[str]]:
    res = CliRunner().invoke(main, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), f"{args}: {res.exception!r}"
    text = res.output + (res.stderr if res.stderr_bytes is not None and res.stderr not in res.output else "")
    assert "Traceback" not in text, text
    return res.exit_code, [line for line in text.splitlines() if line.strip()]


def clear(lines: list[str], path: Path, most: int = 3) -> None:
    """Something was said, it names the file in its first line, and it is short."""
    assert lines, "nothing was printed"
    assert path.name in lines[0], lines
    assert len(lines) <= most, lines


@pytest.mark.parametrize("kind", WORKBOOK_INPUTS)
@pytest.mark.parametrize("command", ["validate", "extract", "upgrade", "risk", "recalc", "pdf", "validate-annotate"])
def test_workbook_commands_refuse_bad_inputs(corpus: dict[str, Path], command: str, kind: str, tmp_path: Path) -> None:
    path = corpus[kind]
    args = {"validate": ["validate", str(path)],
            "validate-annotate": ["validate", str(path), "--annotate", str(tmp_path / "annotated.xlsx")],
            "extract": ["extract", str(path), "-o", str(tmp_path / "out.yaml")],
            "upgrade": ["upgrade", str(path), "-o", str(tmp_path / "up.xlsx")],
            "risk": ["risk", str(path), "-o", str(tmp_path / "risk.xlsx"), "--runs", "50"],
            "recalc": ["recalc", str(path), "-o", str(tmp_path / "recalc.xlsx")],
            "pdf": ["pdf", str(path), "-o", str(tmp_path / "out.pdf")]}[command]
    if command == "pdf" and kind == "foreign":
        pytest.skip("a foreign workbook is a fine workbook to print")
    status, lines = run(args)
    assert status == UNUSABLE, lines
    clear(lines, path, most=4 if command.startswith("validate") else 3)
    assert [p.name for p in tmp_path.iterdir()] == [], f"{command} wrote something"


@pytest.mark.parametrize("command", ["risk"])
def test_risk_refuses_a_full_cost_workbook_naming_the_one_it_needs(corpus: dict[str, Path], command: str, tmp_path: Path) -> None:
    status, lines = run(["risk", str(corpus["full_cost"]), "-o", str(tmp_path / "r.xlsx"), "--runs", "50"])
    assert status == UNUSABLE and len(lines) == 1
    assert "Full Cost Workbook" in lines[0] and "Scenario Projections Tool" in lines[0]
    assert not (tmp_path / "r.xlsx").exists()


def test_extract_of_two_of_the_same_kind(corpus: dict[str, Path], tmp_path: Path) -> None:
    fc = corpus["full_cost"]
    status, lines = run(["extract", str(fc), str(fc), "-o", str(tmp_path / "x.yaml")])
    assert status == UNUSABLE and len(lines) == 1 and "two Full Cost Workbooks" in lines[0]
    assert not (tmp_path / "x.yaml").exists()


def test_extract_names_the_file_once(corpus: dict[str, Path], tmp_path: Path) -> None:
    status, lines = run(["extract", str(corpus["empty"]), "-o", str(tmp_path / "x.yaml")])
    assert status == UNUSABLE and lines == [f"{corpus['empty']}: the file is empty (0 bytes)"]


@pytest.mark.parametrize("kind,status", [("missing", UNUSABLE), ("folder", UNUSABLE), ("empty", PROBLEMS),
                                         ("text", PROBLEMS), ("full_cost", UNUSABLE), ("typo", PROBLEMS)])
@pytest.mark.parametrize("command", ["check", "build", "verify"])
def test_data_file_commands(corpus: dict[str, Path], command: str, kind: str, status: int, tmp_path: Path) -> None:
    """A data file that cannot be read as text is unusable (2); text that is not a valid data file has problems (1)."""
    path = corpus[kind]
    args = [command, str(path)] + (["-o", str(tmp_path / "out")] if command == "build" else [])
    got, lines = run(args)
    assert got == status, lines
    assert path.name in lines[0], lines
    if kind == "typo":
        assert any("salry" in line for line in lines)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("kind", ["missing", "folder", "empty", "text", "typo"])
def test_batch_refuses_bad_rosters(corpus: dict[str, Path], kind: str, tmp_path: Path) -> None:
    status, lines = run(["batch", str(corpus[kind]), "-o", str(tmp_path / "out")])
    assert status == UNUSABLE, lines
    assert corpus[kind].name in lines[0] and len(lines) <= 2, lines


def test_collect_of_an_empty_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    status, lines = run(["collect", str(tmp_path / "in"), "-o", str(tmp_path / "p.xlsx")])
    assert status == PROBLEMS and "no workbook found" in lines[-1] and not (tmp_path / "p.xlsx").exists()


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_collect_refuses_what_is_not_a_folder(corpus: dict[str, Path], kind: str, tmp_path: Path) -> None:
    status, lines = run(["collect", str(corpus[kind]), "-o", str(tmp_path / "p.xlsx")])
    assert status == UNUSABLE and corpus[kind].name in lines[0] and len(lines) == 1


def test_collect_over_the_corpus_completes(corpus: dict[str, Path], tmp_path: Path) -> None:
    """Every bad file becomes a Problem; the portfolio and the CSVs are written; exit 1."""
    import csv

    folder = tmp_path / "returned"
    folder.mkdir()
    for kind in ("empty", "text", "truncated", "foreign", "typo", "full_cost", "projections"):
        (folder / corpus[kind].name).write_bytes(corpus[kind].read_bytes())
    status, lines = run(["collect", str(folder), "-o", str(tmp_path / "p.xlsx"), "--csv", str(tmp_path / "csv"), "--workers", "1"])
    assert status == PROBLEMS and (tmp_path / "p.xlsx").is_file()
    with open(tmp_path / "csv" / "problems.csv", encoding="utf-8", newline="") as fh:
        listed = {Path(r["file"]).name for r in csv.DictReader(fh)}
    assert listed == {corpus[k].name for k in ("empty", "text", "truncated", "foreign", "typo")}


def test_no_traceback_from_the_installed_command(corpus: dict[str, Path], tmp_path: Path) -> None:
    """The console script itself (not only CliRunner): one line, status 2."""
    exe = Path(sys.executable).with_name("pbp-toolkit")
    if not exe.exists():
        pytest.skip("console script not installed next to the interpreter")
    for args in (["risk", str(corpus["truncated"])], ["recalc", str(corpus["foreign"]), "-o", str(tmp_path / "r.xlsx")],
                 ["extract", str(corpus["folder"]), "-o", str(tmp_path / "x.yaml")]):
        proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert proc.returncode == UNUSABLE, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        assert len((proc.stderr + proc.stdout).strip().splitlines()) == 1, proc.stderr


def test_build_xlsm_without_the_addin_extra_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    import importlib.util

    real_find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "olefile" else real_find(name, *a))
    status, lines = run(["build", "--example", "riverside-housing", "-o", str(tmp_path / "out"), "--format", "xlsm"])
    assert status == UNUSABLE
    assert len(lines) == 1 and "olefile" in lines[0] and "pbp-toolkit[addin]" in lines[0]
    assert not (tmp_path / "out").exists()


def test_build_xlsm_writes_the_set(tmp_path: Path) -> None:
    pytest.importorskip("olefile")
    pytest.importorskip("xlwings")
    status, lines = run(["build", "--example", "riverside-housing", "-o", str(tmp_path / "out"), "--format", "xlsm"])
    assert status == OK, lines
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "riverside-housing-partnership-full-cost.xlsm", "riverside-housing-partnership-scenario-projections.xlsm"]
