"""The Full Cost Workbook's words come from sheets_full_cost.yaml: every key there is used by a
build (none dead or misspelt), a changed word reaches the built sheet, and the areas list drives
the full-cost sum."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from generator.build import blank_partnership, example_names, example_path
from generator.content import load_content, unused_words
from generator.model.full_cost import AREAS
from generator.schema import load_partnership
from generator.workbook.full_cost import build_full_cost, full_cost_sum


def test_every_full_cost_word_is_used_by_a_build(tmp_path: Path) -> None:
    content = load_content()
    build_full_cost(blank_partnership(), tmp_path / "blank.xlsx", content, blank=True)
    for name in example_names():
        build_full_cost(load_partnership(example_path(name)), tmp_path / f"{name}.xlsx", content)
    unused = [w for w in unused_words(content) if w.startswith("sheets_full_cost.yaml")]
    assert unused == []


def test_a_changed_word_reaches_the_sheet(tmp_path: Path) -> None:
    """Edit one label in a copy of the content folder: the built Calculations sheet shows it."""
    import shutil

    src = Path(load_content().folder)
    folder = tmp_path / "content"
    shutil.copytree(src, folder)
    path = folder / "sheets_full_cost.yaml"
    text = path.read_text(encoding="utf-8")
    assert "label: Non-personnel expenses\n" in text
    path.write_text(text.replace("label: Non-personnel expenses\n", "label: Other costs (edited)\n"), encoding="utf-8")
    out = tmp_path / "edited.xlsx"
    build_full_cost(load_partnership(example_path(example_names()[0])), out, load_content(folder))
    ws = openpyxl.load_workbook(out)["Calculations"]
    labels = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "Other costs (edited)" in labels
    assert "Non-personnel expenses" not in labels


def test_a_seventh_area_joins_the_full_cost_sum(monkeypatch: pytest.MonkeyPatch) -> None:
    """FC_Total (and the check that the areas add up) is the areas list's names added in order:
    one more entry in the list is one more term, with no formula edited by hand."""
    from generator.workbook import full_cost as wb

    before = full_cost_sum()
    assert before == "FC_TotalExpenses+FC_WorkingCapital+FC_Reserves+FC_FixedAssets+FC_DebtPrincipal+FC_ChangeCapital"
    monkeypatch.setattr(wb, "AREAS", [*AREAS, ("endowment", "FC_Endowment")])
    assert wb.full_cost_sum() == before + "+FC_Endowment"
