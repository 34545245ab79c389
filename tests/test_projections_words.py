"""The projections workbook takes its words from templates/content/sheets_projections.yaml.

One YAML edit changes a header everywhere it shows (the cell and the dropdown's input message),
and a key the build needs but the file lacks is refused with the file and the key named.
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from openpyxl import load_workbook

from generator.build import blank_partnership
from generator.content import ContentError, load_content
from generator.workbook.projections import build_projections

CONTENT_DIR = Path(__file__).resolve().parents[1] / "templates" / "content"


def _content_copy(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    path = folder / "sheets_projections.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return folder


def test_a_header_is_one_yaml_edit(tmp_path: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["sheets"]["staffing"]["columns"]["in_kind"]["header"] = "Paid by a partner?"
        doc["sheets"]["compare"]["words"]["cash_chart"] = "Cash at year end"

    content = load_content(_content_copy(tmp_path, edit))
    out = tmp_path / "p.xlsx"
    build_projections(blank_partnership(), out, content, blank=True)
    wb = load_workbook(out)
    ws = wb["Staffing Plan"]
    headers = [c.value for c in next(ws.iter_rows(min_row=5, max_row=5))]
    assert "Paid by a partner?" in headers and "In-kind?" not in headers
    col = headers.index("Paid by a partner?")
    titles = {dv.promptTitle for dv in ws.data_validations.dataValidation
              if any(rng.min_col == col + 1 and rng.min_row == 6 for rng in dv.sqref.ranges)}
    assert titles == {"Paid by a partner?"}
    with zipfile.ZipFile(out) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert any("Cash at year end" in c for c in charts) and not any("Ending cash by scenario" in c for c in charts)


def test_a_missing_word_names_the_file_and_the_key(tmp_path: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        del doc["sheets"]["revenue"]["columns"]["total"]

    content = load_content(_content_copy(tmp_path, edit))
    with pytest.raises(ContentError, match=r"sheets_projections\.yaml: sheets\.revenue\.columns\.total: missing"):
        build_projections(blank_partnership(), tmp_path / "p.xlsx", content, blank=True)
