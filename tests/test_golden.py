"""Every example workbook, both kinds and the blanks, against its reviewed dump in tests/golden/.

A change to what a user meets (a label, a formula, a style, a validation, a print setting,
a chart) shows here as a readable diff. When the change is meant, rewrite the dumps with
`python -m tests.golden --update` and say why in the same commit.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from tests.golden import diffs, dump, golden_builds


def test_fresh_builds_match_the_golden_files() -> None:
    found = diffs()
    assert not found, ("".join(found)[:20000]
                       + "\nIf the change is meant: python -m tests.golden --update, and give the reason in the commit.")


def test_a_changed_formula_shows_in_the_dump(tmp_path: Path) -> None:
    """The dump is sensitive: one edited formula and one edited label each change it at that cell."""
    path = next(p for p in golden_builds(tmp_path) if p.name.endswith("full-cost.xlsx"))
    before = dump(path).splitlines()
    wb = load_workbook(path)
    ws = wb["Calculations"]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("="))
    cell.value = cell.value + "+1"
    wb["Start Here"]["A1"] = "Another title"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    after = dump(edited).splitlines()
    changed = {line.split(" ")[0] for line in set(after) - set(before)}
    assert cell.coordinate in changed and "A1" in changed
