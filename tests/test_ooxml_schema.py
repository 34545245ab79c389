"""Structure of the files as Excel reads them: every part of every workbook we write is valid
against the ECMA-376 schemas, data validations never overlap, the shared-strings count is
exact, and a formula whose cached result is "" says it is text."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from openpyxl.utils.cell import range_boundaries

from generator.build import BuildOptions, blank_partnership, build_workbooks, example_names, example_path
from generator.cli import main
from generator.content import load_content
from generator.schema import load_partnership, validate_data

from .ooxml import validate_package
from .strategies import partnership_data

CONTENT = load_content()


def _widest() -> dict:
    """One generated data file stretched to 10 years and 6 scenarios."""
    found: list[dict] = []

    @settings(max_examples=1, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(partnership_data(min_years=10, max_years=10))
    def one(data: dict) -> None:
        found.append(data)

    one()
    data = found[0]
    data["projections"]["scenarios"] = [{"id": f"s{k}", "name": f"Scenario {k}"} for k in range(6)]
    for item in data["staff"] + data["projections"]["one_time"]:
        item.pop("scenarios", None)
    return data


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Both workbooks of every example, the blanks and a 10-year, 6-scenario file, and collect's portfolio."""
    out = tmp_path_factory.mktemp("ooxml")
    made: list[Path] = []
    for name in example_names():
        made += build_workbooks(load_partnership(example_path(name)), out / "returned", BuildOptions(), content=CONTENT)
    made += build_workbooks(blank_partnership(content=CONTENT), out / "blank", BuildOptions(), blank=True, content=CONTENT)
    made += build_workbooks(validate_data(_widest(), "widest"), out / "widest", BuildOptions(), content=CONTENT)
    portfolio = out / "portfolio.xlsx"
    result = CliRunner().invoke(main, ["collect", str(out / "returned"), "-o", str(portfolio), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return [*made, portfolio]


def test_every_part_is_schema_valid(workbooks: list[Path]) -> None:
    assert len(workbooks) == 2 * (len(example_names()) + 2) + 1
    problems = {p.name: validate_package(p) for p in workbooks}
    assert {k: v for k, v in problems.items() if v} == {}


def test_validator_finds_a_broken_part(workbooks: list[Path], tmp_path: Path) -> None:
    """The validator is not a rubber stamp: an element out of place, or a part nobody knows, is reported."""
    src = workbooks[0]
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData><bogus/>", 1)
            zout.writestr(item, data)
        zout.writestr("xl/unknown.xml", b"<nobody xmlns='urn:x'/>")
    problems = validate_package(bad)
    assert any("sheet1.xml" in p and "bogus" in p for p in problems)
    assert any("xl/unknown.xml" in p for p in problems)


def _sheet_parts(z: zipfile.ZipFile) -> list[str]:
    return sorted(n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))


def _cells(sqref: str) -> set[tuple[int, int]]:
    out = set()
    for rng in sqref.split():
        c1, r1, c2, r2 = range_boundaries(rng)
        out |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    return out


def test_no_cell_has_two_data_validations(workbooks: list[Path]) -> None:
    """Excel keeps one validation per cell: a second one over the same cells may drop the dropdown."""
    for path in workbooks:
        with zipfile.ZipFile(path) as z:
            for part in _sheet_parts(z):
                seen: set[tuple[int, int]] = set()
                for sqref in re.findall(rb'<dataValidation [^>]*?sqref="([^"]+)"', z.read(part)):
                    cells = _cells(sqref.decode())
                    assert not (cells & seen), f"{path.name} {part}: overlapping validations at {sqref.decode()}"
                    seen |= cells


def test_shared_strings_count_is_exact(workbooks: list[Path]) -> None:
    """sst count = the cells that use a shared string (a cell written twice would count twice)."""
    for path in workbooks:
        with zipfile.ZipFile(path) as z:
            if "xl/sharedStrings.xml" not in z.namelist():
                continue
            count = int(re.search(rb'<sst [^>]*?count="(\d+)"', z.read("xl/sharedStrings.xml")).group(1))
            used = sum(len(re.findall(rb'<c [^>]*?t="s"', z.read(part))) for part in _sheet_parts(z))
            assert count == used, path.name


def test_empty_text_results_are_typed(workbooks: list[Path]) -> None:
    """A formula whose cached result is "" is written t="str", so readers that do not recalculate see text."""
    typed = 0
    for path in workbooks[:-1]:
        with zipfile.ZipFile(path) as z:
            for part in _sheet_parts(z):
                data = z.read(part)
                assert not re.search(rb'<c r="[A-Z]+\d+"(?: s="\d+")?><f>[^<]*</f><v></v>', data), f"{path.name} {part}: untyped empty result"
                typed += len(re.findall(rb't="str"><f>[^<]*</f><v></v>', data))
    assert typed > 0
