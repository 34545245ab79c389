"""Type hints are enforced: mypy over generator/ and macros/ (config: [tool.mypy] in
pyproject.toml) reports no errors. Run from the repository root so that config is the one used."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_reports_no_errors() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (it comes with the test extra)")
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert run.returncode == 0, (f"mypy exited {run.returncode} with {len(errors)} errors:\n"
                                 f"{run.stdout}{run.stderr}")
