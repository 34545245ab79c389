"""Accessibility, read from the XML of every workbook we build (both kinds for every example,
the blank templates, the collected portfolio): alt text on every chart, no merged cells, a
document title and language, status never told by colour alone, and chart series that differ
by more than colour, in a palette colour-blind readers can tell apart."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from generator.build import BuildOptions, blank_partnership, build_workbooks, example_names, example_path
from generator.readback.collect import collect
from generator.readback.portfolio import write_portfolio
from generator.schema import load_partnership
from generator.workbook.styles import PALETTE

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
      "dc": "http://purl.org/dc/elements/1.1/"}
#: Colours a chart may use: the palette, plus black and grey for totals and reference lines.
ALLOWED = {c.upper().lstrip("#") for c in PALETTE} | {"000000", "595959", "FFFFFF", "D9D9D9"}


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("a11y")
    files = [f for name in example_names() for f in build_workbooks(load_partnership(example_path(name)), base / "returned")]
    files += build_workbooks(blank_partnership(), base / "blank", BuildOptions(), blank=True)
    port = base / "portfolio.xlsx"
    write_portfolio(collect(base / "returned", workers=1), port)
    return files + [port]


def _parts(path: Path, prefix: str) -> dict[str, etree._Element]:
    with zipfile.ZipFile(path) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.startswith(prefix) and n.endswith(".xml")}


def test_every_workbook_kind_is_covered(workbooks: list[Path]) -> None:
    names = [p.name for p in workbooks]
    assert sum("full-cost" in n for n in names) == 4 and sum("scenario-projections" in n for n in names) == 4
    assert "portfolio.xlsx" in names


def test_every_chart_has_alt_text(workbooks: list[Path]) -> None:
    charts = 0
    for path in workbooks:
        for name, root in _parts(path, "xl/drawings/drawing").items():
            for frame in root.iterfind(".//xdr:graphicFrame", NS):
                charts += 1
                descr = frame.find("xdr:nvGraphicFramePr/xdr:cNvPr", NS).get("descr", "")
                assert len(descr) > 40 and descr[0].isupper(), (path.name, name, descr)
    assert charts >= 9 * 2  # 4 Summary + 3 projections charts per pair of examples, and the portfolio's


def test_no_merged_cells(workbooks: list[Path]) -> None:
    for path in workbooks:
        for name, root in _parts(path, "xl/worksheets/sheet").items():
            assert root.find(".//m:mergeCells", NS) is None, (path.name, name)


def test_title_and_language_are_set(workbooks: list[Path]) -> None:
    for path in workbooks:
        core = _parts(path, "docProps/core")["docProps/core.xml"]
        assert (core.findtext("dc:title", namespaces=NS) or "").strip(), path.name
        assert re.fullmatch(r"[a-z]{2}-[A-Z]{2}", core.findtext("dc:language", namespaces=NS) or ""), path.name


def _cells(sqref: str) -> list[str]:
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.utils import get_column_letter

    out = []
    for rng in sqref.split():
        c1, r1, c2, r2 = range_boundaries(rng)
        out += [f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return out


def test_status_is_never_colour_alone(workbooks: list[Path]) -> None:
    """Every conditional colour marks a cell whose own text says it (a word, TRUE/FALSE), a
    negative number (its minus sign), or comes with a number format that adds words."""
    checked = 0
    for path in workbooks:
        styles = _parts(path, "xl/styles")["xl/styles.xml"]
        dxfs = styles.findall("m:dxfs/m:dxf", NS)
        wb = openpyxl.load_workbook(path, data_only=True)
        rels = _parts(path, "xl/workbook")["xl/workbook.xml"]
        sheet_names = [s.get("name") for s in rels.iterfind("m:sheets/m:sheet", NS)]
        for idx, name in enumerate(sheet_names, start=1):
            root = _parts(path, f"xl/worksheets/sheet{idx}.xml").get(f"xl/worksheets/sheet{idx}.xml")
            if root is None:
                continue
            ws = wb[name]
            for cf in root.iterfind("m:conditionalFormatting", NS):
                values = [ws[c].value for c in _cells(cf.get("sqref"))]
                for rule in cf.iterfind("m:cfRule", NS):
                    checked += 1
                    dxf = dxfs[int(rule.get("dxfId"))]
                    words_in_format = dxf.find("m:numFmt", NS) is not None and '"' in dxf.find("m:numFmt", NS).get("formatCode")
                    negative = rule.get("type") == "cellIs" and rule.get("operator") == "lessThan" and rule.findtext("m:formula", namespaces=NS) == "0"
                    texts = all(isinstance(v, (str, bool)) for v in values if v is not None)
                    assert words_in_format or negative or texts, (path.name, name, cf.get("sqref"), etree.tostring(rule))
    assert checked > 20


def test_chart_series_differ_by_more_than_colour(workbooks: list[Path]) -> None:
    multi = 0
    for path in workbooks:
        for name, root in _parts(path, "xl/charts/chart").items():
            for colour in root.iterfind(".//a:srgbClr", NS):
                assert colour.get("val").upper() in ALLOWED, (path.name, name, colour.get("val"))
            for line in root.iterfind(".//c:lineChart", NS):
                sers = line.findall("c:ser", NS)
                looks = [(s.find("c:marker/c:symbol", NS).get("val") if s.find("c:marker/c:symbol", NS) is not None else "auto",
                          s.find("c:spPr/a:ln/a:prstDash", NS).get("val") if s.find("c:spPr/a:ln/a:prstDash", NS) is not None else "solid")
                         for s in sers]
                assert len(set(looks)) == len(looks), (path.name, name, looks)
                multi += len(sers) > 1
            for bar in root.iterfind(".//c:barChart", NS):
                sers = bar.findall("c:ser", NS)
                if len(sers) > 1:
                    multi += 1
                    looks = [(s.find(".//c:spPr/a:pattFill", NS).get("prst") if s.find("c:spPr/a:pattFill", NS) is not None else "solid")
                             for s in sers]
                    assert len(set(looks)) == len(looks), (path.name, name, looks)
    assert multi >= 4
