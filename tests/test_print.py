"""Printing, read back from the PDFs LibreOffice makes of the print copies (`pbp-toolkit pdf`):
the board pack of every example holds only the output sheets, Summary or Scenario View first,
each page headed by the partnership and numbered; no page is empty; no two words overprint;
nothing prints below 70% scale; the whole workbook prints in fewer pages than before."""
from __future__ import annotations

import datetime as dt
import re
import statistics
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from generator.boardpack import BOARD_SHEETS, print_copy
from generator.build import build_workbooks, example_names, example_path
from generator.cli import main
from generator.libreoffice import convert
from generator.schema import load_partnership

WHEN = dt.date(2026, 11, 30)
#: Pages of `pbp-toolkit pdf` of the Riverside workbooks before this work (every sheet printed).
BEFORE = {"full-cost": 19, "scenario-projections": 23}
#: Height of a word's box in 10-point Calibri printed at full scale (points), measured on the Checks page.
FULL_SCALE_WORD = 13.0


def _pages(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.HTMLParser())
    return [[(float(w.get("xmin")), float(w.get("ymin")), float(w.get("xmax")), float(w.get("ymax")), w.text or "")
             for w in page.iter("word")] for page in root.iter("page")]


def _overlaps(words: list[tuple[float, float, float, float, str]]) -> list[tuple[str, str]]:
    """Pairs of words whose boxes overlap by more than half a line and more than a point across."""
    bad, ws = [], sorted(words)
    for i, a in enumerate(ws):
        for b in ws[i + 1:]:
            if b[0] >= a[2] - 1:
                break
            h = min(a[3] - a[1], b[3] - b[1])
            if min(a[3], b[3]) - max(a[1], b[1]) > 0.5 * h and min(a[2], b[2]) - max(a[0], b[0]) > 1:
                bad.append((a[4], b[4]))
    return bad


def _text(page: list[tuple[float, float, float, float, str]]) -> str:
    return " ".join(w[4] for w in page)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict[str, list]:
    """Board packs of every example, and every sheet of Riverside, as PDF pages."""
    base = tmp_path_factory.mktemp("print")
    copies, keys = [], []
    for name in example_names():
        for book in build_workbooks(load_partnership(example_path(name)), base / "built"):
            kind = "full-cost" if book.stem.endswith("full-cost") else "scenario-projections"
            copies.append(print_copy(book, base / "copies" / f"board-{book.name}", when=WHEN))
            keys.append(("board", name, kind))
            if name == "riverside-housing":
                copies.append(print_copy(book, base / "copies" / f"all-{book.name}", all_sheets=True, when=WHEN))
                keys.append(("all", name, kind))
    pdfs = convert(copies, base / "pdf", fmt="pdf")
    return {"|".join(k): _pages(p) for k, p in zip(keys, pdfs)}


def test_board_pack_page_counts(printed: dict[str, list]) -> None:
    counts = {k: len(v) for k, v in printed.items()}
    print("page counts:", counts)
    for key, n in counts.items():
        mode, _, kind = key.split("|")
        if mode == "board":
            assert 2 <= n <= (5 if kind == "full-cost" else 6), (key, n)
        else:
            assert n <= BEFORE[kind] + 6, (key, n)  # legible (>= 70%), not much longer than the old print at 45-60%


def test_board_pack_holds_the_output_sheets_first(printed: dict[str, list]) -> None:
    for key, pages in printed.items():
        mode, name, kind = key.split("|")
        if mode != "board":
            continue
        sheets = BOARD_SHEETS["pbp-full-cost" if kind == "full-cost" else "pbp-scenario-projections"]
        org = load_partnership(example_path(name)).organization.name
        footers = []
        for page in pages:
            text = _text(page)
            assert f"Board pack: {org} - 30 November 2026" in text, (key, text[:120])
            footers.append(next(s for s in sorted(sheets, key=len, reverse=True) if s in text))
        assert footers[0] == sheets[0] and set(footers) == set(sheets), (key, footers)
        assert footers == sorted(footers, key=sheets.index)


def test_every_page_is_numbered_and_not_empty(printed: dict[str, list]) -> None:
    for key, pages in printed.items():
        for k, page in enumerate(pages, start=1):
            text = _text(page)
            assert f"Page {k} of {len(pages)}" in text, (key, k)
            body = [w for w in page if 60 < w[1] < 540]  # leave out the header and footer lines
            assert len(body) >= 10, (key, k, text[:200])


def test_no_two_words_overprint(printed: dict[str, list]) -> None:
    for key, pages in printed.items():
        for k, page in enumerate(pages, start=1):
            assert not _overlaps(page), (key, k, _overlaps(page)[:5])


def test_nothing_prints_below_70_percent(printed: dict[str, list]) -> None:
    for key, pages in printed.items():
        for k, page in enumerate(pages, start=1):
            heights = [round(w[3] - w[1], 1) for w in page if 60 < w[1] < 540]
            if len(heights) >= 10:
                scale = statistics.mode(heights) / FULL_SCALE_WORD
                assert scale >= 0.69, (key, k, round(scale, 2))


def test_cli_pdf_board_pack_and_all(tmp_path: Path, soffice: str) -> None:
    [book] = build_workbooks(load_partnership(example_path("northfield-shared-backbone")), tmp_path, kinds_options())
    runner = CliRunner()
    board = runner.invoke(main, ["pdf", str(book), "-o", str(tmp_path / "board.pdf")])
    assert board.exit_code == 0, board.output
    whole = runner.invoke(main, ["pdf", "--all", str(book), "-o", str(tmp_path / "all.pdf")])
    assert whole.exit_code == 0, whole.output
    assert 0 < len(_pages(tmp_path / "board.pdf")) < len(_pages(tmp_path / "all.pdf"))
    assert re.search(r"Board pack: Northfield", _text(_pages(tmp_path / "board.pdf")[0]))


def kinds_options():
    from generator.build import BuildOptions
    return BuildOptions(kinds=("full-cost",))


def test_print_copy_leaves_out_sheets_and_spare_rows(tmp_path: Path) -> None:
    """Without LibreOffice: the copy's XML hides every non-board sheet, puts Summary first, keeps
    its charts, and (printing every sheet) hides the empty spare rows of the Full Cost tables beyond
    three; the workbook itself is untouched."""
    import zipfile

    import openpyxl

    [book] = build_workbooks(load_partnership(example_path("riverside-housing")), tmp_path, kinds_options())
    before = book.read_bytes()
    copy = print_copy(book, tmp_path / "copy.xlsx", when=WHEN)
    assert book.read_bytes() == before
    wb = openpyxl.load_workbook(copy)
    visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert visible == ["Summary"]  # the output pages only: the Full Cost sheet is inputs
    assert "Board pack: Riverside Housing Partnership - 30 November 2026" in (wb["Summary"].oddHeader.left.text or "")
    with zipfile.ZipFile(copy) as z, zipfile.ZipFile(book) as orig:
        assert sorted(n for n in z.namelist() if "chart" in n) == sorted(n for n in orig.namelist() if "chart" in n)
    wb = openpyxl.load_workbook(print_copy(book, tmp_path / "all.xlsx", all_sheets=True, when=WHEN))
    ws = wb["Full Cost"]
    dest = next(iter(wb.defined_names["FA_name"].destinations))[1].replace("$", "")
    rows = [c.row for (c,) in ws[dest]]
    used = [c.row for (c,) in ws[dest] if c.value]
    shown = [r for r in rows if not ws.row_dimensions[r].hidden]
    assert shown == rows[: len(used) + 3]
    assert "Printed: Riverside Housing Partnership - 30 November 2026" in (ws.oddHeader.left.text or "")
