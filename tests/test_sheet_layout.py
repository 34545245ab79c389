"""The sheets placed by a row cursor hold together in the file written: no chart covers a table,
a heading or another chart, and nothing written below a table overwrites it.

The chart boxes are read back from the drawing anchors, which xlsxwriter computes from the real
row heights and column widths, not from the layout's own row count (the golden files keep only
where a chart starts, so a taller chart or a taller row would pass them)."""
from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from defusedxml import ElementTree as ET

from generator.build import example_path
from generator.content import load_content
from generator.model.full_cost import AREAS
from generator.schema import load_partnership
from generator.workbook.cash_flow import C_M1, C_USE, CASH
from generator.workbook.full_cost import FULL, SUMMARY, AreaTable, build_full_cost
from generator.workbook.layout import GAP

NS = {
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
}
Corner = tuple[int, int, int, int]  # row, offset in the row, column, offset in the column (EMU)
WORDS = load_content().words("full_cost")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("layout") / "riverside.xlsx"
    build_full_cost(load_partnership(example_path("riverside-housing")), path)
    return path


def chart_boxes(path: Path, sheet: str) -> list[tuple[Corner, Corner]]:
    """Each chart's top-left and bottom-right corners on a sheet, as its drawing anchors them."""
    zf = zipfile.ZipFile(io.BytesIO(path.read_bytes()))

    def rels(part: str) -> dict[str, str]:
        rp = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        root = ET.fromstring(zf.read(rp))
        return {r.get("Id"): posixpath.normpath(posixpath.join(posixpath.dirname(part), r.get("Target")))
                for r in root.findall("rel:Relationship", NS)}

    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    sh = next(s for s in wb.findall("m:sheets/m:sheet", NS) if s.get("name") == sheet)
    part = rels("xl/workbook.xml")[sh.get(f"{{{NS['r']}}}id")]
    [drawing] = [t for t in rels(part).values() if "/drawings/" in t]

    def corner(el: Any) -> Corner:
        row, row_off, col, col_off = (int(el.findtext(f"xdr:{k}", namespaces=NS)) for k in ("row", "rowOff", "col", "colOff"))
        return row, row_off, col, col_off

    return [(corner(a.find("xdr:from", NS)), corner(a.find("xdr:to", NS)))
            for a in ET.fromstring(zf.read(drawing)) if a.find("xdr:graphicFrame", NS) is not None]


def overlap(a: tuple[Corner, Corner], b: tuple[Corner, Corner]) -> bool:
    """Two boxes share some area (rows and columns compared with their offsets)."""
    (a0, a1), (b0, b1) = a, b
    rows = a0[:2] < b1[:2] and b0[:2] < a1[:2]
    cols = a0[2:] < b1[2:] and b0[2:] < a1[2:]
    return rows and cols


def row_of(ws: Any, text: str) -> int:
    """Zero-based row of the first cell in column A holding this text."""
    return next(c.row - 1 for c in ws["A"] if c.value == text)


def test_summary_charts_cover_nothing_and_keep_a_blank_row_between_rows(book: Path) -> None:
    boxes = chart_boxes(book, SUMMARY)
    assert len(boxes) == 4
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not overlap(a, b), (a, b)
    tops = sorted({frm[0] for frm, _ in boxes})
    assert len(tops) == 2  # two rows of two
    upper_bottom = max(to[0] for frm, to in boxes if frm[0] == tops[0])
    assert tops[1] - upper_bottom - 1 >= GAP
    ws = openpyxl.load_workbook(book)[SUMMARY]
    last_written = max(c.row - 1 for row in ws.iter_rows() for c in row if c.value is not None)
    assert min(tops) > last_written  # under the chart data


def test_cash_flow_chart_sits_beside_the_key_figures_and_above_the_timing_table(book: Path) -> None:
    [(frm, to)] = chart_boxes(book, CASH)
    ws = openpyxl.load_workbook(book)[CASH]
    words = WORDS.sheet("cash_flow")
    assert frm[0] == row_of(ws, words.heading("key_figures"))
    assert frm[2] == C_M1 > C_USE  # right of the figures' values
    assert to[0] < row_of(ws, words.heading("revenue"))


def test_full_cost_inputs_start_below_the_area_table(book: Path) -> None:
    ws = openpyxl.load_workbook(book)[FULL]
    at = AreaTable(row_of(ws, WORDS.sheet("full_cost").column("area").header))
    labels = [ws.cell(r + 1, 1).value for r in at.rows]
    assert [str(v).split(". ")[0] for v in labels] == [str(n) for n in range(1, len(AREAS) + 1)]
    assert ws.cell(at.total + 1, 1).value == WORDS.sheet("full_cost").word("total")
    assert all(ws.cell(at.below + 1, c).value is None for c in range(1, 5))  # a blank row before the inputs


def test_wrapped_lines_at_calibris_widths() -> None:
    """Row heights count lines at Calibri's (Carlito's) widths: a column 10 wide is 75 pixels, 68
    clear of padding; ten 'a's (981/2048 em each at 10 points, 6.39 px) take 63.9 px, one line; a
    space (463/2048 em, 3.01 px) and an 'a' more make 73.3 px, two lines."""
    from generator.workbook.font_widths import column_pixels, wrapped_lines
    assert column_pixels(10) == 75
    assert wrapped_lines("a" * 10, 10) == 1
    assert wrapped_lines("a" * 10 + " a", 10) == 2
    assert wrapped_lines("a" * 10 + "\n" + "a", 10) == 2
    assert wrapped_lines("a" * 25, 10) == 3          # a word longer than a line breaks inside it (3 x 68 px)


def test_font_widths_are_carlitos() -> None:
    """The width table is the installed Carlito's (when fontTools and the fonts are at hand)."""
    ttlib = pytest.importorskip("fontTools.ttLib")
    from pathlib import Path
    from generator.workbook.font_widths import CHARS, WIDTHS
    fonts = Path("/usr/share/fonts/truetype/crosextra")
    if not (fonts / "Carlito-Regular.ttf").exists():
        pytest.skip("Carlito not installed")
    for key, style in (("regular", "Regular"), ("italic", "Italic"), ("bold", "Bold"), ("bold_italic", "BoldItalic")):
        font = ttlib.TTFont(fonts / f"Carlito-{style}.ttf")
        cmap, hmtx = font.getBestCmap(), font["hmtx"]
        assert WIDTHS[key] == tuple(hmtx[cmap[ord(c)]][0] for c in CHARS), key
