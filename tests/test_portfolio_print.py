"""The portfolio a board reads: `pbp-toolkit pdf portfolio.xlsx` of the example roster, read back
from LibreOffice's PDF; and the portfolio workbook's own promises (no fill without words, CSV
money in cents)."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.test_print import _overlaps, _pages

ROSTER = Path(__file__).resolve().parent.parent / "templates" / "rosters" / "example-roster.csv"
#: Pages of `pbp-toolkit pdf portfolio.xlsx` for the example roster before this work (5 partnerships).
BEFORE = 14


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("board")
    run = CliRunner()
    assert run.invoke(main, ["batch", str(ROSTER), "-o", str(base / "returned"), "--workers", "1"]).exit_code == 0
    res = run.invoke(main, ["collect", str(base / "returned"), "-o", str(base / "portfolio.xlsx"), "--csv", str(base / "csv"),
                            "--workers", "1"])
    assert res.exit_code == 1, res.output   # two partnerships returned their workbooks without data
    return base


@pytest.mark.libreoffice
def test_the_portfolio_pdf_is_a_board_pack(portfolio: Path, soffice: str) -> None:
    pdf = portfolio / "portfolio.pdf"
    res = CliRunner().invoke(main, ["pdf", str(portfolio / "portfolio.xlsx"), "-o", str(pdf)])
    assert res.exit_code == 0, res.output
    pages = [" ".join(w[4] for w in words) for words in _pages(pdf)]
    names = [r["partnership"] for r in csv.DictReader(open(portfolio / "csv" / "portfolio.csv", newline=""))]
    assert len(names) == 5
    assert "Portfolio at a glance" in pages[0] and all(n in pages[0] for n in names)      # one page, everyone on it
    assert sum("Portfolio at a glance" in p for p in pages) == 1
    assert "Portfolio: one row per partnership" in pages[1]                             # the title is whole, not cut
    for n in names:                                                                      # a page per partnership
        own = [i for i, p in enumerate(pages) if f"Profile: {n}" in p]
        assert len(own) == 1, n
        assert sum(f"Profile: {m}" in pages[own[0]] for m in names) == 1
    lakeshore = next(p for p in pages if "Profile: Lakeshore Youth Pathways" in p)   # returned without data: said, with its files
    assert "returned without data" in lakeshore and "lakeshore-youth-pathways-full-cost.xlsx" in lakeshore
    assert len(pages) < BEFORE, len(pages)
    for i, words in enumerate(_pages(pdf)):
        assert not _overlaps(words), (i + 1, _overlaps(words)[:3])


def test_no_fill_without_words_and_csv_money_in_cents(portfolio: Path) -> None:
    wb = openpyxl.load_workbook(portfolio / "portfolio.xlsx")
    ws = wb["Portfolio"]
    for rng in ws.conditional_formatting:
        for rule in rng.rules:
            if rule.type == "cellIs":
                raise AssertionError(f"{rng.sqref}: a cell rule fills a blank cell (read as 0)")
            if rule.type == "expression":
                assert all("ISNUMBER(" in f for f in rule.formula), rule.formula
    glance = wb["At a glance"]
    heads = [c.value for c in glance[4]]
    rows = [r for r in glance.iter_rows(min_row=5, values_only=True)]
    empty = [r for r in rows if r[heads.index("Validation")] == "not filled in"]
    assert len(empty) == 2 and all(r[heads.index("Full cost")] == "returned without data" for r in empty)
    with open(portfolio / "csv" / "portfolio.csv", newline="") as fh:
        lines = list(csv.DictReader(fh))
    money = ["full_cost", "cash_need", "expected_revenue", "gap", "base_EndCash"]
    values = [r[c] for r in lines for c in money if r[c]]
    assert values and all(re.fullmatch(r"-?\d+(\.\d{1,2})?", v) for v in values), values
    eastside = next(r for r in lines if r["partnership"].startswith("Eastside"))
    assert float(eastside["full_cost"]) == pytest.approx(1464333.33, abs=0.005)
