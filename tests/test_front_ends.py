"""The command line works without the add-in package (issue 9, deliverable 5).

Each command runs in a fresh Python process whose import system refuses `macros`, as on a
machine where only the generator is installed: build, validate (with --annotate), recalc and
risk must all work, and nothing under generator/ may import the add-in package.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent

#: Runs pbp-toolkit with a meta path finder in front that refuses `macros` and its submodules.
WRAPPER = """
import sys

class NoAddin:
    def find_spec(self, name, path=None, target=None):
        if name == "macros" or name.startswith("macros."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
        return None

sys.meta_path.insert(0, NoAddin())
from generator.cli import main
try:
    main(sys.argv[1:], prog_name="pbp-toolkit")
finally:
    assert not any(m == "macros" or m.startswith("macros.") for m in sys.modules), "macros was imported"
"""


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WRAPPER, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_the_blocker_blocks() -> None:
    out = subprocess.run([sys.executable, "-c", WRAPPER.split("from generator.cli")[0] + "import macros.actions"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "blocked by the test" in out.stderr


def test_build_validate_recalc_risk_without_the_addin_package(tmp_path: Path) -> None:
    done = cli("build", "--example", "riverside-housing", "-o", tmp_path)
    assert done.returncode == 0, done.stderr
    fc = next(tmp_path.glob("*-full-cost.xlsx"))
    sp = next(tmp_path.glob("*-scenario-projections.xlsx"))

    done = cli("validate", fc, "--annotate", tmp_path / "checked.xlsx")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Toolkit Check" in openpyxl.load_workbook(tmp_path / "checked.xlsx", read_only=True).sheetnames

    done = cli("recalc", sp, "-o", tmp_path / "recalc.xlsx")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Python Recalculation" in openpyxl.load_workbook(tmp_path / "recalc.xlsx", read_only=True).sheetnames

    done = cli("risk", sp, "--runs", "200", "--seed", "7", "-o", tmp_path / "risk.xlsx")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Risk" in openpyxl.load_workbook(tmp_path / "risk.xlsx", read_only=True).sheetnames


def test_build_xlsm_says_what_is_missing(tmp_path: Path) -> None:
    done = cli("build", "--example", "riverside-housing", "--format", "xlsm", "-o", tmp_path / "x")
    assert done.returncode == 2
    assert "pbp-toolkit[addin]" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists() or not list((tmp_path / "x").glob("*.xls*"))


def test_nothing_in_generator_imports_the_addin_package() -> None:
    """Only the add-in's own build (addin, build --format xlsm) may reach into macros, lazily."""
    allowed = {("cli.py", "macros.build_addin")}
    found = set()
    for path in (ROOT / "generator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            found |= {(path.name, n) for n in names if n == "macros" or n.startswith("macros.")}
    assert found <= allowed, found - allowed
