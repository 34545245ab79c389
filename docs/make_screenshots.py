"""Make the README's screenshots: one sheet of an example workbook, as LibreOffice prints it.

python docs/make_screenshots.py   (needs LibreOffice and pdftoppm from poppler-utils)

A copy of the workbook is made with every other sheet hidden (LibreOffice does not print
hidden sheets), printed to PDF through LibreOffice, and the first page turned into a PNG.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import BuildOptions, build_workbooks, example_path  # noqa: E402
from generator.libreoffice import to_pdf  # noqa: E402
from generator.schema import load_partnership  # noqa: E402

SHOTS = [  # (example, workbook, sheet, png, printed page)
    ("riverside-housing", "full-cost", "Summary", "summary.png", 1),
    ("riverside-housing", "full-cost", "Summary", "summary-charts.png", 3),
    ("riverside-housing", "full-cost", "Cash Flow", "cash-flow.png", 1),
    ("riverside-housing", "full-cost", "Cash Flow", "cash-flow-chart.png", 2),
    ("riverside-housing", "scenario-projections", "Compare", "compare.png", 1),
    ("portfolio", "portfolio", "Benchmarks", "benchmarks.png", 1),
    ("portfolio", "portfolio", "Portfolio", "portfolio.png", 1),
]


def only_sheet(src: Path, dst: Path, sheet: str) -> None:
    """Copy an .xlsx with every sheet but `sheet` hidden and `sheet` active."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/workbook.xml":
                text = data.decode("utf-8")
                names = re.findall(r'<sheet name="([^"]*)"', text)
                if sheet not in names:
                    raise SystemExit(f"{src.name} has no sheet {sheet!r}")

                def hide(m: re.Match[str]) -> str:
                    tag = m.group(0)
                    if m.group(1) == sheet or 'state="' in tag:
                        return tag
                    return tag.replace("<sheet ", '<sheet state="hidden" ', 1)

                text = re.sub(r'<sheet name="([^"]*)"[^>]*/>', hide, text)
                # a hidden sheet with a print area still prints in LibreOffice: keep only this sheet's
                keep = names.index(sheet)
                text = re.sub(r'<definedName name="_xlnm\.Print_Area" localSheetId="(\d+)"[^>]*>[^<]*</definedName>',
                              lambda m: m.group(0) if int(m.group(1)) == keep else "", text)
                text = re.sub(r'<workbookView ', f'<workbookView activeTab="{names.index(sheet)}" ', text)
                data = text.encode("utf-8")
            zout.writestr(item, data)


def portfolio_workbook(tmpdir: Path) -> Path:
    """A small real portfolio: the examples and some variations, built, collected, written."""
    from generator.build import example_names
    from generator.readback.collect import collect
    from generator.readback.portfolio import write_portfolio
    from generator.schema import validate_data

    inbox = tmpdir / "returned"
    towns = ["Millbrook", "Harbor City", "Cedar Falls", "Pine Ridge", "Westgate"]
    for n, name in enumerate(example_names()):
        p = load_partnership(example_path(name))
        build_workbooks(p, inbox)
        for k, town in enumerate(towns[n::3]):
            data = p.to_data()
            data["organization"]["name"] = f"{town} {p.organization.name.split(' ', 1)[1]}"
            data["staff"][0]["salary"] = round(data["staff"][0]["salary"] * (0.9 + 0.1 * k))
            build_workbooks(validate_data(data, town), inbox)
    (inbox / "budget-notes.xlsx").write_text("not a workbook")
    out = tmpdir / "portfolio.xlsx"
    write_portfolio(collect(inbox), out)
    return out


def main() -> int:
    out_dir = ROOT / "docs"
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        for example, kind, sheet, png, page in SHOTS:
            if example == "portfolio":
                book = portfolio_workbook(tmpdir)
            else:
                p = load_partnership(example_path(example))
                (book,) = build_workbooks(p, tmpdir, BuildOptions(kinds=(kind,)))
            single = tmpdir / f"{kind}-{sheet}-{page}.xlsx"
            only_sheet(book, single, sheet)
            pdf = to_pdf(single, tmpdir / f"{kind}-{sheet}-{page}.pdf")
            stem = tmpdir / "page"
            subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(stem)], check=True)
            shutil.copy(f"{stem}.png", out_dir / png)
            print(f"wrote docs/{png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
