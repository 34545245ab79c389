"""No CSV field and no workbook cell the toolkit writes holds a formula it did not author
(issue 10, "Formula injection", CWE-1236)."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.safecsv import neutralise, write_csv

ATTACKS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "=cmd|' /c calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", " =1+1"]


def _raw_fields(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [f for row in csv.reader(fh) for f in row]


def _dangerous(field: str) -> bool:
    """Would a spreadsheet program take this field for a formula?"""
    stripped = field.lstrip(" ")
    return stripped[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?", field.strip())


@pytest.mark.parametrize("text", ATTACKS)
def test_neutralise_prefixes_an_apostrophe(text: str) -> None:
    out = neutralise(text)
    assert out == "'" + text and not _dangerous(out)


@pytest.mark.parametrize("value", [-12.5, 0, 3, "-12.5", "+3", "1e6", "plain text", "a=b", "x-y"])
def test_neutralise_leaves_numbers_and_plain_text(value: object) -> None:
    assert neutralise(value) == value


def test_cr_and_lf_are_quoted_and_never_split_a_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["a", "b"], [["one\rtwo", "x"], ["three\nfour", "y"], ["\rlead", "z"]])
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["a", "b"], ["one\rtwo", "x"], ["three\nfour", "y"], ["'\rlead", "z"]]
    assert b'"one\rtwo"' in path.read_bytes()


def test_batch_manifest_and_problems_are_neutralised(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    with open(roster, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "backbone_structure", "fiscal_year_start"])
        for n, attack in enumerate(ATTACKS[:5]):
            w.writerow([attack, "hosted_nonprofit", "2026-07-01"])
        w.writerow(["=BadDate()", "hosted_nonprofit", "=NOW()"])      # fails: its name and the value quoted in the message
    res = CliRunner().invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert res.exit_code == 1, res.output
    for name in ("manifest.csv", "problems.csv"):
        fields = _raw_fields(tmp_path / "out" / name)
        assert fields and not [f for f in fields if _dangerous(f)], name
    with open(tmp_path / "out" / "manifest.csv", encoding="utf-8", newline="") as fh:
        parts = {r["partnership"] for r in csv.DictReader(fh)}
    assert "'=cmd|' /c calc'!A0" in parts and "'=BadDate()" in parts


def test_collect_csv_and_portfolio_hold_text_only(tmp_path: Path) -> None:
    from generator.build import BuildOptions, build_workbooks
    from generator.schema import validate_data

    returned = tmp_path / "returned"
    for n, attack in enumerate(ATTACKS[:3]):
        p = validate_data({"organization": {"name": attack, "region": "@region", "backbone_structure": "hosted_nonprofit",
                                            "fiscal_year_start": "2026-07-01"}})
        build_workbooks(p, returned, BuildOptions(), slug=f"p{n}")
    (returned / "=HYPERLINK(1).xlsx").write_text("not a workbook", encoding="utf-8")
    res = CliRunner().invoke(main, ["collect", str(returned), "-o", str(tmp_path / "portfolio.xlsx"), "--csv", str(tmp_path / "csv"),
                                    "--workers", "1"])
    assert res.exit_code == 1, res.output
    for name in ("portfolio.csv", "benchmarks.csv", "problems.csv"):
        fields = _raw_fields(tmp_path / "csv" / name)
        assert not [f for f in fields if _dangerous(f)], (name, [f for f in fields if _dangerous(f)])
    with zipfile.ZipFile(tmp_path / "portfolio.xlsx") as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("HYPERLINK" in f or "cmd|" in f for s in sheets for f in re.findall(r"<f>(.*?)</f>", s))
    wb = openpyxl.load_workbook(tmp_path / "portfolio.xlsx")
    names = [c.value for c in wb["Portfolio"]["A"][4:]]
    assert set(ATTACKS[:3]) <= set(names)


def test_recalc_writes_a_typed_formula_as_text(tmp_path: Path) -> None:
    """A partner typed "=cmd|' /c calc'!A0" over an output cell, as text: the Python
    Recalculation sheet shows it as text, never as a live formula."""
    from generator.build import BuildOptions, build_workbooks, example_path
    from generator.schema import load_partnership
    from tests.edit import cell

    (sp,) = build_workbooks(load_partnership(example_path("riverside-housing")), tmp_path, BuildOptions(kinds=("scenario-projections",)))
    wb = openpyxl.load_workbook(sp)
    target = cell(wb, "SP_base_EndCash", 0)
    target.value = ATTACKS[1]
    target.data_type = "s"
    hostile = tmp_path / "typed-over.xlsx"
    wb.save(hostile)
    res = CliRunner().invoke(main, ["recalc", str(hostile), "-o", str(tmp_path / "out.xlsx")])
    assert res.exit_code == 1, res.output          # the typed-over value differs from the model
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        wbxml = z.read("xl/workbook.xml").decode()
        rid = re.search(r'<sheet [^>]*name="Python Recalculation"[^>]*r:id="(rId\d+)"', wbxml).group(1)
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        part = re.search(rf'Id="{rid}"[^>]*Target="/?(?:xl/)?([^"]+)"', rels) or re.search(rf'Target="/?(?:xl/)?([^"]+)"[^>]*Id="{rid}"', rels)
        xml = z.read("xl/" + part.group(1)).decode()
    assert "cmd|" in xml                                           # the text is there ...
    assert not [f for f in re.findall(r"<f>(.*?)</f>", xml) if "cmd" in f]  # ... never as a formula
    out = openpyxl.load_workbook(tmp_path / "out.xlsx")["Python Recalculation"]
    shown = [c for row in out.iter_rows() for c in row if c.value == ATTACKS[1]]
    assert shown and all(c.data_type == "s" for c in shown)


def test_ampersand_in_the_organisation_name_is_escaped_in_footers(tmp_path: Path) -> None:
    from generator.build import BuildOptions, build_workbooks
    from generator.schema import validate_data
    from generator.workbook.common import footer_text

    assert footer_text("A&B Partners") == "&LA&&B Partners&C&A&RPage &P of &N"
    assert footer_text("A&G Partners") == "&LA&&\u2060G Partners&C&A&RPage &P of &N"   # no "&G" image placeholder
    long = footer_text("x" * 79 + "&G")
    assert long.startswith("&L" + "x" * 79 + "&&&C")
    p = validate_data({"organization": {"name": "Smith &G Jones", "backbone_structure": "hosted_nonprofit",
                                        "fiscal_year_start": "2026-07-01"}})
    (fc,) = build_workbooks(p, tmp_path, BuildOptions(kinds=("full-cost",)))
    with zipfile.ZipFile(fc) as z:
        footers = [m for n in z.namelist() if n.startswith("xl/worksheets/sheet")
                   for m in re.findall(r"<oddFooter>(.*?)</oddFooter>", z.read(n).decode())]
    assert footers and all("Smith &amp;&amp;\u2060G Jones" in f for f in footers)
