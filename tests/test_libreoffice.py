"""Tests for generator.libreoffice: LibreOffice really recalculates, and we read it back right."""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xlsxwriter

from generator import libreoffice as lo
from generator.libreoffice import (
    LibreOfficeError,
    Recalculated,
    convert,
    find_soffice,
    is_error_value,
    make_profile,
    read_recalculated,
    recalc_and_read,
    recalculate,
    to_pdf,
)

WRONG = 999  # deliberately wrong cached value: only a real recalculation replaces it


def _check(ret: int) -> None:
    """xlsxwriter write/define_name return codes: 0 is success."""
    assert ret == 0, f"xlsxwriter returned {ret}"


def build_main(path: Path) -> Path:
    """Workbook with wrong cached values, names, a spaced sheet name, a hidden #DIV/0!, and '#hashtag' and
    '#NUM!' typed as text."""
    wb = xlsxwriter.Workbook(str(path))
    full = wb.add_worksheet("Full Cost")
    hidden = wb.add_worksheet("Calc")
    hidden.hide()
    _check(full.write_number("A1", 21))
    _check(full.write_formula("B1", "=A1*2", None, WRONG))
    _check(full.write_row("A3", [1, 2, 3]))
    _check(full.write_formula("D3", "=SUM(A3:C3)", None, WRONG))
    _check(full.write_formula("A4", "=A3*10", None, WRONG))
    _check(full.write_formula("B4", "=B3*10", None, WRONG))
    _check(full.write_formula("C4", "=C3*10", None, WRONG))
    _check(full.write_string("A6", "#hashtag"))
    _check(full.write_string("A7", "#NUM!"))  # a name someone typed: text that reads like an error
    _check(full.write_string("A7", "#TODO"))
    _check(hidden.write_number("A1", 5))
    _check(hidden.write_number("B1", 0))
    _check(hidden.write_formula("C4", "=A1/B1", None, WRONG))
    _check(wb.define_name("Answer", "='Full Cost'!$B$1"))
    _check(wb.define_name("Tens", "='Full Cost'!$A$4:$C$4"))
    _check(wb.define_name("Total", "='Full Cost'!$D$3"))
    _check(wb.define_name("Grid", "='Full Cost'!$A$3:$C$4"))
    _check(wb.define_name("Rate", "=0.05"))
    _check(wb.define_name("Calc!LocalOnly", "=Calc!$A$1"))  # sheet-scoped: not in names
    wb.close()
    return path


def build_simple(path: Path, n: int) -> Path:
    """Workbook whose Result (=Input*3) must recalc to 3*n."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Inputs")
    _check(ws.write_number("A1", n))
    _check(ws.write_formula("A2", "=A1*3", None, WRONG))
    _check(wb.define_name("Result", "=Inputs!$A$2"))
    wb.close()
    return path


# --- no LibreOffice needed -------------------------------------------------------------


def test_make_profile_sets_always_recalc(tmp_path: Path) -> None:
    url = make_profile(tmp_path / "prof")
    assert url.startswith("file://") and url.endswith("/prof")
    xcu = tmp_path / "prof" / "user" / "registrymodifications.xcu"
    root = ET.parse(xcu).getroot()
    oor = "{http://openoffice.org/2001/registry}"
    found = {
        prop.get(f"{oor}name"): prop.findtext("value")
        for item in root
        if item.get(f"{oor}path") == "/org.openoffice.Office.Calc/Formula/Load"
        for prop in item
    }
    assert found == {"OOXMLRecalcMode": "0", "ODFRecalcMode": "0"}


def test_find_soffice_honours_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "my-soffice"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PBP_SOFFICE", str(fake))
    assert find_soffice() == str(fake)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("#DIV/0!", True),
        ("#NAME?", True),
        ("#REF!", True),
        ("#VALUE!", True),
        ("#N/A", True),
        ("#NUM!", True),
        ("#NULL!", True),
        ("Err:502", True),
        ("#hashtag", False),
        ("#TODO", False),
        ("#DIV/0", False),
        ("Err:50", False),
        ("", False),
        (0, False),
        (None, False),
    ],
)
def test_is_error_value(value: object, expected: bool) -> None:
    assert is_error_value(value) is expected


def test_read_recalculated_reads_cached_values_without_libreoffice(tmp_path: Path) -> None:
    """read_recalculated works on any xlsx: here xlsxwriter's (wrong) cached values come back."""
    path = build_main(tmp_path / "main.xlsx")
    got = read_recalculated(path)
    assert got.names["Answer"] == WRONG
    assert got.names["Tens"] == [WRONG] * 3
    assert got.names["Rate"] == 0.05
    assert "LocalOnly" not in got.names
    assert got.errors == []  # cached 999 everywhere, '#hashtag' and '#NUM!' are text


def test_convert_refuses_to_overwrite_input(tmp_path: Path) -> None:
    path = build_simple(tmp_path / "a.xlsx", 1)
    with pytest.raises(ValueError, match="overwrite"):
        convert([path], tmp_path)


def test_convert_refuses_colliding_output_names(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = build_simple(tmp_path / "x" / "same.xlsx", 1)
    b = build_simple(tmp_path / "y" / "same.xlsx", 2)
    with pytest.raises(ValueError, match="same output name"):
        convert([a, b], tmp_path / "out")


def test_convert_empty_list_starts_nothing(tmp_path: Path) -> None:
    assert convert([], tmp_path / "out") == []


def test_convert_without_soffice_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lo, "find_soffice", lambda: None)
    path = build_simple(tmp_path / "a.xlsx", 1)
    with pytest.raises(LibreOfficeError, match="not found"):
        convert([path], tmp_path / "out")


# --- LibreOffice -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def recalculated(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> list[Recalculated]:
    """main.xlsx plus three simple files, recalculated in ONE soffice call."""
    src = tmp_path_factory.mktemp("src")
    files = [build_main(src / "main.xlsx")] + [build_simple(src / f"simple{n}.xlsx", n) for n in (1, 2, 3)]
    out = tmp_path_factory.mktemp("out")
    return recalc_and_read(files, out)


@pytest.mark.libreoffice
def test_formula_really_recalculated(recalculated: list[Recalculated]) -> None:
    main = recalculated[0]
    assert main.names["Answer"] == 42  # =A1*2 with A1=21, cached 999
    assert main.names["Total"] == 6


@pytest.mark.libreoffice
def test_defined_names_scalar_row_and_grid(recalculated: list[Recalculated]) -> None:
    names = recalculated[0].names
    assert names["Tens"] == [10, 20, 30]
    assert names["Grid"] == [1, 2, 3, 10, 20, 30]  # row-major
    assert names["Rate"] == 0.05
    assert "LocalOnly" not in names


@pytest.mark.libreoffice
def test_error_on_hidden_sheet_found_and_hashtag_ignored(recalculated: list[Recalculated]) -> None:
    assert recalculated[0].errors == [("Calc", "C4", "#DIV/0!")]


@pytest.mark.libreoffice
def test_many_files_one_call_in_input_order(recalculated: list[Recalculated]) -> None:
    assert [r.path.name for r in recalculated] == ["main.xlsx", "simple1.xlsx", "simple2.xlsx", "simple3.xlsx"]
    assert [r.names["Result"] for r in recalculated[1:]] == [3, 6, 9]
    assert all(r.errors == [] for r in recalculated[1:])


@pytest.mark.libreoffice
def test_recalculate_default_outdir_is_fresh_temp_dir(soffice: str, tmp_path: Path) -> None:
    src = build_simple(tmp_path / "one.xlsx", 7)
    [out] = recalculate([src])
    assert out.parent != tmp_path and out.is_file()
    assert read_recalculated(out).names["Result"] == 21


@pytest.mark.libreoffice
def test_without_recalc_profile_cached_value_survives(soffice: str, tmp_path: Path) -> None:
    """Control experiment: the recalc profile is what makes the numbers above right."""
    src = build_simple(tmp_path / "one.xlsx", 7)
    [out] = convert([src], tmp_path / "out", recalc=False)
    assert read_recalculated(out).names["Result"] == WRONG


@pytest.mark.libreoffice
def test_missing_output_is_reported(soffice: str, tmp_path: Path) -> None:
    good = build_simple(tmp_path / "good.xlsx", 1)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LibreOfficeError, match=r"did not write 1 of 2 output\(s\):\n  \S*bad\.xlsx ->") as exc:
        convert([good, bad], tmp_path / "out")
    assert "could not be loaded" in str(exc.value)  # soffice's stderr is included


@pytest.mark.libreoffice
def test_timeout_kills_soffice(soffice: str, tmp_path: Path) -> None:
    src = build_simple(tmp_path / "a.xlsx", 1)
    with pytest.raises(LibreOfficeError, match="timed out"):
        convert([src], tmp_path / "out", timeout=0.2)


@pytest.mark.libreoffice
def test_to_pdf(soffice: str, tmp_path: Path) -> None:
    src = build_main(tmp_path / "main.xlsx")
    out = to_pdf(src, tmp_path / "board" / "Board pack.pdf")
    assert out == tmp_path / "board" / "Board pack.pdf"
    data = out.read_bytes()
    assert len(data) > 500 and data.startswith(b"%PDF")
    assert not (tmp_path / "main.pdf").exists()


def test_soffice_fixture_logic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without soffice the fixture skips locally and fails (not skips) when CI is set."""
    import tests.conftest as conftest

    monkeypatch.setattr(lo, "find_soffice", lambda: None)
    fixture = getattr(conftest.soffice, "__wrapped__", None)
    if fixture is None:
        pytest.skip("pytest does not expose the fixture function")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        fixture()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        fixture()
