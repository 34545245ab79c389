"""Words a workbook user reads: no file paths, no "generate again", no ids where a label belongs;
checks read OK / Check this; percentage limits as percentages; a Source or note column on every
input table; comments allowed under protection; columns wide enough for the examples' labels."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from generator.build import BuildOptions, blank_partnership, build_workbooks, example_names, example_path
from generator.content import load_content
from generator.schema import load_partnership

CONTENT = load_content()
#: Ids a user should never read: every content id that is not also its own label, and the example scenario ids.
JARGON = re.compile(r"templates/|\.ya?ml\b|generate (it )?again|\bed_transition\b|scenario id")


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("words")
    out = [f for name in example_names() for f in build_workbooks(load_partnership(example_path(name)), base / name)]
    return out + build_workbooks(blank_partnership(), base / "blank", BuildOptions(), blank=True)


def _visible_text(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, text) of every string a user sees, cached formula results included."""
    wb = openpyxl.load_workbook(path, data_only=True)
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets if ws.sheet_state == "visible"
            for row in ws.iter_rows() for c in row if isinstance(c.value, str) and not ws.row_dimensions[c.row].hidden]


def test_no_paths_regeneration_or_ids_in_user_text(books: list[Path]) -> None:
    for path in books:
        bad = [(s, c, t) for s, c, t in _visible_text(path) if JARGON.search(t)]
        assert not bad, (path.name, bad[:3])
        ids = {sc.id for sc in load_partnership(example_path("riverside-housing")).scenario_list(CONTENT)} - {"base", "growth"}
        checks = [t for s, c, t in _visible_text(path) if s == "Checks"]
        assert not [t for t in checks if any(re.search(rf"\b{i}\b", t) for i in ids)]


def test_checks_read_ok_or_check_this(books: list[Path]) -> None:
    for path in books:
        wb = openpyxl.load_workbook(path, data_only=True)
        ws = wb["Checks"]
        header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Check")
        results = [ws.cell(r, 2).value for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 1).value
                   and ws.cell(r, 3).value is not None]
        assert results and set(results) <= {"OK", "Check this"}, path.name
        # the named master stays TRUE/FALSE, in a hidden row (a hidden column's prints as "###" in
        # LibreOffice); the reader sees it as Yes or No
        name = next(n for n in wb.defined_names if n.endswith("_Checks_OK"))
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        flag = wb[sheet][ref.replace("$", "")]
        assert sheet == "Checks" and flag.value in (True, False) and ws.row_dimensions[flag.row].hidden
        assert ws.cell(4, 1).value.startswith("Master check") and ws.cell(4, 2).value == ("Yes" if flag.value else "No")


def _validations(path: Path) -> list[tuple[str, str, str]]:
    out = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = z.read(name).decode()
                for m in re.finditer(r'<dataValidation [^>]*sqref="([^"]+)"[^>]*>', xml):
                    err = re.search(r'error="([^"]*)"', m.group(0))
                    out.append((name, m.group(1), err.group(1) if err else ""))
    return out


def test_percentage_limits_are_percentages(books: list[Path]) -> None:
    wb = openpyxl.load_workbook(books[0])
    pct_cells = {(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                 if c.number_format and "%" in c.number_format and c.protection.locked is False}
    assert pct_cells
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            cells = {(ws.title, str(c)) for rng in dv.sqref.ranges for c in _cells(rng)}
            if cells & pct_cells and dv.error:
                assert "%" in dv.error and "Enter a number" not in dv.error, (ws.title, dv.sqref, dv.error)


def _cells(rng) -> list[str]:
    from openpyxl.utils import get_column_letter
    return [f"{get_column_letter(c)}{r}" for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col, rng.max_col + 1)]


def test_every_input_table_has_an_unlocked_source_column(books: list[Path]) -> None:
    for path in books[:2]:
        wb = openpyxl.load_workbook(path)
        names = set(wb.defined_names)
        tables = {n.split("_")[0] for n in names if re.match(r"^(Staff|Exp|Rev|Unf|FA|Debt|CC|OT|Conf)_", n)}
        assert tables
        for t in tables:
            assert f"{t}_note" in names, (path.name, t)
            dest = next(iter(wb.defined_names[f"{t}_note"].destinations))
            ws = wb[dest[0]]
            first = ws[dest[1].replace("$", "").split(":")[0]]
            header = ws.cell(first.row - 1, first.column).value
            assert header == "Source or note" and first.protection.locked is False


def test_protection_allows_comments(books: list[Path]) -> None:
    with zipfile.ZipFile(books[0]) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    prot = [re.search(r"<sheetProtection [^>]*/>", x).group(0) for x in sheets if "<sheetProtection" in x]
    assert prot and all('objects="1"' not in p for p in prot)  # objects="1" would mean objects are locked


def test_columns_fit_the_examples_labels(books: list[Path]) -> None:
    """Position titles and scenario names are not cut off: the column is at least as wide as the text."""
    for path in books[:-2]:
        wb = openpyxl.load_workbook(path)
        for table in ("Staff_title", "Exp_name", "Rev_name"):
            dest = next(iter(wb.defined_names[table].destinations))
            ws = wb[dest[0]]
            col = re.match(r"\$?([A-Z]+)", dest[1]).group(1)
            width = ws.column_dimensions[col].width
            texts = [c.value for row in ws[dest[1].replace("$", "")] for c in row if isinstance(c.value, str)]
            assert all(len(t) <= width for t in texts), (path.name, table, width, max(texts, key=len))


def test_year_helper_columns_are_whole_numbers(books: list[Path]) -> None:
    """The 'from year' / 'to year' helper columns read 1, 5, not 1.00, 5.00."""
    path = next(p for p in books if p.name.startswith("riverside") and "projections" in p.name)
    wb = openpyxl.load_workbook(path)
    for name in ("Staff_from", "Staff_to", "Exp_from", "Exp_to"):
        dest = next(iter(wb.defined_names[name].destinations))
        first = wb[dest[0]][dest[1].replace("$", "").split(":")[0]]
        assert "0.00" not in first.number_format and first.number_format.startswith("0;"), (name, first.number_format)
