"""The xlwings add-in and the .xlsm copies: VBA compiled on Linux, read back with oletools and LibreOffice.

"Extracted exactly": a module's source as olevba extracts it from the built file equals
the .bas file's text with every line ending turned into CRLF and exactly one CRLF at the
end (`macros.build_addin.bas_source`), byte for byte, the `Attribute VB_Name` line included.
xlwings' own modules equal the template's byte for byte, except the one PROJECT_NAME line.
"""
from __future__ import annotations

import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import olefile
import openpyxl
import pytest

from generator.build import BuildOptions, build_workbooks, example_path
from generator.libreoffice import make_profile
from generator.model.risk import simulate
from generator.schema import load_partnership
from macros import build_addin as ba
from macros.cfb import write_compound_file
from macros.ovba import VbaProject, compress, decompress

xlwings = pytest.importorskip("xlwings")
olevba = pytest.importorskip("oletools.olevba")

CUSTOMUI_NS = "{http://schemas.microsoft.com/office/2006/01/customui}"
REPO = Path(__file__).resolve().parents[1]
#: Our modules as the build stores them: macros/vba/*.bas, with the Subs made from macros/buttons.py filled in.
OUR_MODULES = {m.name: m.source for m in ba.bas_modules()}
BUTTONS = ["Validate", "Recalculate with Python", "Risk analysis", "Upgrade"]


def modules_of(path: Path) -> dict[str, str]:
    """Module name -> source, as olevba extracts them."""
    parser = olevba.VBA_Parser(str(path))
    try:
        return {Path(vba_name).stem: code for _, _, vba_name, code in parser.extract_macros()}
    finally:
        parser.close()


def xml_part(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode()


def template_modules(name: str) -> dict[str, str]:
    with zipfile.ZipFile(ba.xlwings_dir() / name) as z:
        return {m.name: m.source for m in VbaProject.parse(z.read("xl/vbaProject.bin")).modules}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("addin")
    xlsx = build_workbooks(load_partnership(example_path("riverside-housing")), out / "xlsx", slug="riverside")
    addin = ba.build_addin(out)
    xlsms = [ba.make_xlsm(x, out / f"{x.stem}.xlsm") for x in xlsx]
    return {"dir": out, "addin": addin, "xlsx": xlsx, "xlsm": xlsms}


# ----------------------------------------------------------------------------- package structure


def test_addin_is_an_addin_with_a_vba_project(built: dict[str, Any]) -> None:
    addin = built["addin"]
    assert addin.name == "PBP Toolkit.xlam"
    types = xml_part(addin, "[Content_Types].xml")
    assert re.search(r'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.addin.macroEnabled.main\+xml"', types)
    assert 'PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"' in types
    rels = xml_part(addin, "xl/_rels/workbook.xml.rels")
    assert 'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"' in rels
    assert "felix" not in xml_part(addin, "xl/workbook.xml")  # template author's path removed
    assert '<sheet name="_xlwings.conf"' in xml_part(addin, "xl/workbook.xml")


def test_customui_part_its_relationship_and_buttons(built: dict[str, Any]) -> None:
    for path in [built["addin"], *built["xlsm"]]:
        root_rels = ET.fromstring(xml_part(path, "_rels/.rels"))
        # exactly one ribbon relationship of any Office version (xlwings' template brings its own)
        ui = [r for r in root_rels if (r.get("Type") or "").endswith("/relationships/ui/extensibility")]
        assert [(r.get("Type"), r.get("Target")) for r in ui] == [(ba.REL_UI, "customUI/customUI.xml")], path
        assert len({r.get("Id") for r in root_rels}) == len(root_rels)
        custom = ET.fromstring(xml_part(path, "customUI/customUI.xml"))
        assert custom.tag == f"{CUSTOMUI_NS}customUI"
        tabs = custom.findall(f".//{CUSTOMUI_NS}tab")
        assert [t.get("label") for t in tabs] == ["PBP Toolkit"]
        assert [b.get("label") for b in custom.iter(f"{CUSTOMUI_NS}button")] == BUTTONS


def test_every_onaction_names_a_ribbon_sub_in_the_vba(built: dict[str, Any]) -> None:
    custom = ET.fromstring(ba.ribbon_xml())
    actions = [b.get("onAction") for b in custom.iter(f"{CUSTOMUI_NS}button")]
    assert len(actions) == len(BUTTONS)
    for path in [built["addin"], *built["xlsm"]]:
        modules = modules_of(path)
        for action in actions:
            module, _, sub = action.partition(".")
            assert module in modules, (path.name, action)
            assert re.search(rf"^Public Sub {re.escape(sub)}\(control As IRibbonControl\)\r$", modules[module], re.M), action


def test_ribbon_subs_reach_python_actions_that_exist() -> None:
    from macros import actions

    ribbon = OUR_MODULES["PBPRibbon"]
    acts = OUR_MODULES["PBPActions"]
    called = re.findall(r"^    (PBP\w+)\r$", ribbon, re.M)
    assert len(called) == 4
    for sub in called:
        body = re.search(rf"^Public Sub {sub}\(\)\r\n    RunAction \"(\w+)\"\r\nEnd Sub", acts, re.M)
        assert body, sub
        assert callable(actions.ACTIONS[body.group(1)])
    assert ('RunPython "import " & PY_MODULE & " as pbp; pbp.check_xlwings(\'" & XLWINGS_VERSION & "\'); pbp." '
            '& action & "()"') in acts
    assert 'Private Const PY_MODULE As String = "macros.actions"' in acts


def test_a_new_button_is_one_table_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ribbon, its callback and the Sub that runs Python all come from macros/buttons.py."""
    from macros import buttons

    extra = buttons.Button("demo", "Demo & test", "HappyFace", "Demo", "A button added in the table only.", "Analyse")
    monkeypatch.setattr(buttons, "BUTTONS", (*buttons.BUTTONS, extra))
    custom = ET.fromstring(ba.ribbon_xml())
    groups = {g.get("label"): [b.get("label") for b in g.iter(f"{CUSTOMUI_NS}button")] for g in custom.iter(f"{CUSTOMUI_NS}group")}
    assert groups == {"Check": BUTTONS[:2], "Analyse": [BUTTONS[2], "Demo & test"], "Maintain": [BUTTONS[3]]}
    modules = {m.name: m.source for m in ba.bas_modules()}
    assert "Public Sub OnDemo(control As IRibbonControl)\r\n    PBPDemo\r\nEnd Sub\r\n" in modules["PBPRibbon"]
    assert 'Public Sub PBPDemo()\r\n    RunAction "demo"\r\nEnd Sub\r\n' in modules["PBPActions"]
    assert buttons.SUBS_MARKER not in modules["PBPActions"]


# ----------------------------------------------------------------------------- VBA read back


def test_our_modules_are_extracted_exactly(built: dict[str, Any]) -> None:
    assert set(OUR_MODULES) == {"PBPActions", "PBPRibbon"}
    for path in [built["addin"], *built["xlsm"]]:
        modules = modules_of(path)
        for name, source in OUR_MODULES.items():
            assert modules[name] == source, (path.name, name)
            assert modules[name].startswith(f'Attribute VB_Name = "{name}"\r\n')


def test_addin_keeps_xlwings_modules_and_licences(built: dict[str, Any]) -> None:
    modules = modules_of(built["addin"])
    template = template_modules(ba.ADDIN_TEMPLATE)
    assert set(modules) == (set(template) - {"RibbonMyAddin"}) | set(OUR_MODULES)
    for name in ("ThisWorkbook", "Sheet2", "Dictionary"):
        assert modules[name] == template[name], name
    xl, tpl = modules["xlwings"], template["xlwings"]
    changed = [(a, b) for a, b in zip(xl.split("\n"), tpl.split("\n")) if a != b]
    assert changed == [('Public Const PROJECT_NAME As String = "xlwings"', 'Public Const PROJECT_NAME As String = "myaddin"')]
    assert len(xl) == len(tpl) - len("myaddin") + len("xlwings")
    assert "xlwings is distributed under a BSD 3-clause license." in xl
    assert "Copyright (C) 2014-present, Zoomer Analytics LLC." in xl
    assert "License: MIT" in modules["Dictionary"] and "(c) Tim Hall" in modules["Dictionary"]


def test_xlwings_version_in_the_vba_is_the_installed_one(built: dict[str, Any]) -> None:
    for path in [built["addin"], *built["xlsm"]]:
        code = modules_of(path)["xlwings"]
        assert re.findall(r'^Public Const XLWINGS_VERSION As String = "([^"]+)"', code, re.M) == [xlwings.__version__]
        assert f"'Version: {xlwings.__version__}" in code


def test_project_streams(built: dict[str, Any]) -> None:
    with zipfile.ZipFile(built["addin"]) as z:
        data = z.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert 'Name="PBPToolkit"' in project
    assert "Module=PBPRibbon" in project and "Module=PBPActions" in project and "Class=Dictionary" in project
    assert "RibbonMyAddin" not in project
    assert ole.openstream("VBA/_VBA_PROJECT").read()[:4] == b"\xcc\x61\xff\xff"  # p-code cache invalidated
    ole.close()
    parsed = VbaProject.parse(data)
    assert parsed.name == "PBPToolkit"
    assert VbaProject.parse(parsed.to_bytes()) == parsed


def test_builds_are_deterministic(built: dict[str, Any], tmp_path: Path) -> None:
    again = ba.build_addin(tmp_path)
    assert again.read_bytes() == built["addin"].read_bytes()
    xlsx = built["xlsx"][0]
    assert ba.make_xlsm(xlsx, tmp_path / "a.xlsm").read_bytes() == built["xlsm"][0].read_bytes()


# ----------------------------------------------------------------------------- .xlsm


def test_xlsm_is_the_same_workbook_macro_enabled(built: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    for xlsx, xlsm in zip(built["xlsx"], built["xlsm"]):
        types = xml_part(xlsm, "[Content_Types].xml")
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "spreadsheetml.sheet.main+xml" not in types
        modules = modules_of(xlsm)
        workbook = xml_part(xlsm, "xl/workbook.xml")
        assert '<workbookPr codeName="ThisWorkbook"' in workbook
        a = load_workbook(xlsx)
        b = load_workbook(xlsm, keep_vba=True)
        assert b.sheetnames == a.sheetnames + ["_xlwings.conf"]
        assert {n: d.attr_text for n, d in b.defined_names.items()} == {n: d.attr_text for n, d in a.defined_names.items()}
        for i, name in enumerate(b.sheetnames, start=1):
            assert b[name].sheet_properties.codeName == f"Sheet{i}"
            assert modules[f"Sheet{i}"].startswith(f'Attribute VB_Name = "Sheet{i}"\r\n')
            if name in a.sheetnames:
                cells_a = [[c.value for c in row] for row in a[name].iter_rows()]
                cells_b = [[c.value for c in row] for row in b[name].iter_rows()]
                assert cells_a == cells_b, name
        conf = [row[0] for row in b["_xlwings.conf"].iter_rows(values_only=True)]
        assert "Interpreter_Win" in conf and "PYTHONPATH" in conf and "Conda Env" in conf
        assert "Module1" not in modules  # xlwings' sample macro is not carried over
        standalone = template_modules(ba.STANDALONE_TEMPLATE)
        assert modules["xlwings"] == standalone["xlwings"] and modules["Dictionary"] == standalone["Dictionary"]


def test_make_xlsm_refuses_bad_targets(built: dict[str, Any], tmp_path: Path) -> None:
    xlsx = built["xlsx"][0]
    with pytest.raises(ba.AddinBuildError, match="must end in .xlsm"):
        ba.make_xlsm(xlsx, tmp_path / "x.xlsx")
    with pytest.raises(ba.AddinBuildError, match="already holds a VBA project"):
        ba.make_xlsm(built["xlsm"][0], tmp_path / "y.xlsm")


def test_read_bas_rejects_bad_sources(tmp_path: Path) -> None:
    bad = tmp_path / "Wrong.bas"
    bad.write_text('Attribute VB_Name = "Other"\nSub A()\nEnd Sub\n')
    with pytest.raises(ba.AddinBuildError, match="VB_Name"):
        ba.read_bas(bad)
    bad.write_bytes('Attribute VB_Name = "Wrong"\n\' caf\u00e9\n'.encode())
    with pytest.raises(ba.AddinBuildError, match="ASCII"):
        ba.read_bas(bad)
    assert ba.bas_source("a\nb\r\nc\n\n") == "a\r\nb\r\nc\r\n"


def test_no_template_binaries_in_the_repository() -> None:
    binaries = [p for p in (REPO / "macros").rglob("*") if p.suffix.lower() in (".xlam", ".xlsm", ".bin", ".xlsx")]
    assert binaries == []


# ----------------------------------------------------------------------------- compression and compound files


@pytest.mark.parametrize("size", [0, 1, 3, 100, 4095, 4096, 4097, 9000, 20000])
def test_compression_round_trip(size: int) -> None:
    rng = random.Random(size)
    words = [b"Sub ", b"End Sub\r\n", b"Dim x As Long\r\n", b"    RunPython ", b"'", b"\r\n"]
    text = b"".join(rng.choice(words) for _ in range(size))[:size]
    noise = rng.randbytes(size // 4096 * 4096)  # incompressible whole chunks are stored raw
    for data in (text, noise):
        packed = compress(data)
        assert decompress(packed) == data
        assert bytes(olevba.decompress_stream(bytearray(packed))) == data


def _chunks(packed: bytes) -> list[tuple[bool, int]]:
    """(compressed?, stored size) of each chunk of a CompressedContainer."""
    out, pos = [], 1
    while pos < len(packed):
        header = int.from_bytes(packed[pos:pos + 2], "little")
        size = (header & 0x0FFF) + 3
        out.append((bool(header >> 15), size - 2))
        pos += size
    return out


@pytest.mark.parametrize("whole", [0, 1, 2])
def test_incompressible_final_chunk_is_stored_raw(whole: int) -> None:
    """Text with (almost) no repeated three-byte run cannot be compressed; a final chunk of it
    longer than about 3640 bytes used to raise ValueError. Around the 4096-byte chunk
    boundary, every length now round-trips through our decompressor and oletools', the raw
    final chunk padded with zeros to 4096 bytes as [MS-OVBA] 2.4.1.3.10 writes it."""
    rng = random.Random(whole)
    printable = bytes(range(0x21, 0x7F))
    raw_finals = 0
    for tail in (1, 3000, 3639, 3641, 3700, 4000, 4094, 4095, 4096, 4097):
        size = whole * 4096 + tail
        data = bytes(rng.choice(printable) for _ in range(size))
        packed = compress(data)
        chunks = _chunks(packed)
        assert len(chunks) == -(-size // 4096)
        compressed, stored = chunks[-1]
        if not compressed:
            raw_finals += 1
            assert stored == 4096
        for unpacked in (decompress(packed), bytes(olevba.decompress_stream(bytearray(packed)))):
            assert unpacked[:size] == data, (whole, tail)
            padding = unpacked[size:]
            assert padding == (b"" if compressed else b"\x00" * (len(chunks) * 4096 - size)), (whole, tail)
    assert raw_finals >= 5  # the lengths past ~3640 bytes of random text are the ones stored raw


def test_addin_records_and_checks_its_xlwings_version(built: dict[str, Any], capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import requires

    from macros import actions

    version = xlwings.__version__
    # recorded: xlwings' module constant (which the VBA uses) and the document properties
    modules = modules_of(built["addin"])
    assert f'Public Const XLWINGS_VERSION As String = "{version}"' in modules["xlwings"]
    assert f"Built with xlwings {version}" in xml_part(built["addin"], "docProps/core.xml")
    # the addin extra pins exactly the version the add-in is built with
    pins = [r for r in requires("pbp-toolkit") or [] if r.startswith("xlwings") and "addin" in r]
    assert pins and all(r.startswith(f"xlwings=={version};") for r in pins), pins
    # the check: silent when the versions agree; one clear message and exit status 1 otherwise
    actions.check_xlwings(version)
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit) as stop:
        actions.check_xlwings("0.30.0")
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert f"built with xlwings 0.30.0" in err and f"has xlwings {version}" in err
    assert "pip install xlwings==0.30.0" in err and "pbp-toolkit addin -o FOLDER" in err
    assert "Traceback" not in err
    monkeypatch.setitem(sys.modules, "xlwings", None)  # no xlwings at all
    with pytest.raises(SystemExit):
        actions.check_xlwings(version)
    assert "has no xlwings" in capsys.readouterr().err


def test_decompress_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        decompress(b"\x02abc")


def test_compound_file_read_back_strictly() -> None:
    streams = {
        "PROJECT": b"ID=x\r\n",
        "VBA/dir": bytes(range(256)) * 3,
        "VBA/big": b"y" * 70000,  # past the mini-stream cutoff
        **{f"VBA/m{i}": bytes([i]) * (i * 37) for i in range(1, 40)},
    }
    data = write_compound_file(streams)
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    for name, content in streams.items():
        assert ole.openstream(name).read() == content, name
    assert sorted("/".join(e) for e in ole.listdir()) == sorted(streams)
    ole.close()


# ----------------------------------------------------------------------------- LibreOffice


def lo_basic_modules(soffice: str, files: list[Path], outdir: Path) -> dict[str, dict[str, str]]:
    """Open each file in headless LibreOffice (which imports its VBA as a Basic library), save as .ods,
    and list the modules LibreOffice wrote: file stem -> {module name: its Basic source}."""
    profile = make_profile(outdir / "profile")
    cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--invisible", "--nologo", "--nodefault",
           "--nolockcheck", "--norestore", "--infilter=Calc MS Excel 2007 XML", "--convert-to", "ods",
           "--outdir", str(outdir), *map(str, files)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300, start_new_session=True)
    out: dict[str, dict[str, str]] = {}
    for f in files:
        with zipfile.ZipFile(outdir / f"{f.stem}.ods") as z:
            mods = {}
            for name in z.namelist():
                m = re.fullmatch(r"Basic/PBPToolkit/(\w+)\.xml", name)
                if m and m.group(1) != "script-lb":
                    mods[m.group(1)] = z.read(name).decode()
            out[f.stem] = mods
    return out


@pytest.mark.libreoffice
def test_libreoffice_opens_the_addin_and_xlsm_and_lists_the_modules(built: dict[str, Any], soffice: str,
                                                                   tmp_path: Path) -> None:
    files = [built["addin"], *built["xlsm"]]
    listed = lo_basic_modules(soffice, files, tmp_path)
    for path in files:
        expected = set(modules_of(path))
        assert set(listed[path.stem]) == expected, path.name
        ribbon = listed[path.stem]["PBPRibbon"]
        for sub in ("OnValidate", "OnRecalculate", "OnRisk", "OnUpgrade"):
            assert f"Public Sub {sub}(control As IRibbonControl)" in ribbon
        assert "Public Const XLWINGS_VERSION As String = &quot;" + xlwings.__version__ in listed[path.stem]["xlwings"]


# ----------------------------------------------------------------------------- the Python side of the actions


def test_risk_report_over_a_file(built: dict[str, Any], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from macros import actions

    p = load_partnership(example_path("riverside-housing"))
    source = built["xlsx"][-1]
    out, result = actions.run_risk_file(source, tmp_path / "with-risk.xlsx", runs=2_000, seed=11, partnership=p)
    assert result == simulate(p, runs=2_000, seed=11)
    wb = load_workbook(out)
    ws = wb["Risk"]
    rows = {r[0]: list(r[1:1 + p.years]) for r in ws.iter_rows(values_only=True) if r and isinstance(r[0], str)}
    # openpyxl writes floats to 15-16 significant digits
    assert rows["P(ending cash < 0)"] == pytest.approx(result.p_below_zero, rel=1e-14)
    assert rows["P50 ending cash (median)"] == pytest.approx(result.p50, rel=1e-14)
    assert rows["Reserve target"] == pytest.approx(result.reserve_target, rel=1e-14)
    assert len(ws._charts) == 1
    assert wb.sheetnames[:-1] == load_workbook(source).sheetnames
    # the settings written on the sheet repeat the run
    settings = actions.risk_settings(actions.FileBook(out))
    assert settings == {"runs": 2_000, "seed": 11, "scenario_id": "base"}
    _, again = actions.run_risk_file(out, tmp_path / "again.xlsx", partnership=p, **settings)
    assert again == result


def test_risk_from_a_workbook_reads_its_inputs_back(tmp_path: Path) -> None:
    """run_risk_file reads the partnership from the file itself: same numbers as simulating the data file."""
    from generator.build import BuildOptions, build_workbooks, example_path
    from generator.model.risk import simulate
    from generator.schema import load_partnership
    from macros import actions

    p = load_partnership(example_path("riverside-housing"))
    (sp,) = build_workbooks(p, tmp_path, BuildOptions(kinds=("scenario-projections",)))
    target, result = actions.run_risk_file(sp, tmp_path / "risk.xlsx", runs=2000, seed=11)
    direct = simulate(p, runs=2000, seed=11)
    assert list(result.p_below_zero) == list(direct.p_below_zero)
    assert list(result.p50) == list(direct.p50)
    assert "Risk" in openpyxl.load_workbook(target).sheetnames


class _FakeRange:
    """A stand-in for xlwings.Range over a _FakeSheet, following xlwings' conventions: a single
    cell's value is a scalar, one row or one column a flat list, more a list of rows; a nested
    list written to a cell fills the block from that cell. Formats are recorded per cell."""

    def __init__(self, sheet: "_FakeSheet", row: int, col: int, row2: int | None = None, col2: int | None = None):
        object.__setattr__(self, "sheet", sheet)
        object.__setattr__(self, "row", row)
        object.__setattr__(self, "column", col)
        object.__setattr__(self, "last", (row2 or row, col2 or col))
        object.__setattr__(self, "font", _FakeFont(self))
        object.__setattr__(self, "left", 0.0)
        object.__setattr__(self, "top", 0.0)

    @property
    def col(self) -> int:
        return self.column

    @property
    def shape(self) -> tuple[int, int]:
        return self.last[0] - self.row + 1, self.last[1] - self.column + 1

    @property
    def address(self) -> str:
        from openpyxl.utils.cell import get_column_letter

        a = f"${get_column_letter(self.column)}${self.row}"
        b = f"${get_column_letter(self.last[1])}${self.last[0]}"
        return a if a == b else f"{a}:{b}"

    def cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.row, self.last[0] + 1) for c in range(self.column, self.last[1] + 1)]

    def _shaped(self, get: Any) -> Any:
        rows = [[get((r, c)) for c in range(self.column, self.last[1] + 1)] for r in range(self.row, self.last[0] + 1)]
        n_rows, n_cols = self.shape
        if (n_rows, n_cols) == (1, 1):
            return rows[0][0]
        if n_rows == 1:
            return rows[0]
        if n_cols == 1:
            return [r[0] for r in rows]
        return rows

    @property
    def value(self) -> Any:
        return self._shaped(self.sheet.values.get)

    @value.setter
    def value(self, v: Any) -> None:
        rows = v if isinstance(v, list) and v and isinstance(v[0], list) else [v] if isinstance(v, list) else [[v]]
        for i, row in enumerate(rows):
            for j, x in enumerate(row):
                self.sheet.put((self.row + i, self.column + j), x)

    @property
    def formula(self) -> Any:
        """Like Excel's Range.Formula on Windows: constants as text, tuples of tuples for a block."""
        def one(key: tuple[int, int]) -> str:
            if key in self.sheet.formulas:
                return self.sheet.formulas[key]
            v = self.sheet.values.get(key)
            return "" if v is None else str(v)
        if self.shape == (1, 1):
            return one((self.row, self.column))
        return tuple(tuple(one((r, c)) for c in range(self.column, self.last[1] + 1)) for r in range(self.row, self.last[0] + 1))

    @formula.setter
    def formula(self, f: str) -> None:
        self.sheet.put((self.row, self.column), f)

    @property
    def color(self) -> Any:
        return self.sheet.colors.get((self.row, self.column))

    @color.setter
    def color(self, value: Any) -> None:
        if self.sheet.protected:
            raise RuntimeError("The cell or chart you're trying to change is on a protected sheet.")
        for key in self.cells():
            if value is None:
                self.sheet.colors.pop(key, None)
            else:
                h = value.lstrip("#")
                self.sheet.colors[key] = tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))

    def resize(self, rows: int, cols: int) -> "_FakeRange":
        return _FakeRange(self.sheet, self.row, self.column, self.row + rows - 1, self.column + cols - 1)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("value", "formula", "color"):
            object.__setattr__(self, name, value)      # the property's setter
            return
        for key in self.cells():           # number_format, column_width, ...
            self.sheet.styles.setdefault(key, {})[name] = value


class _FakeFont:
    def __init__(self, rng: _FakeRange):
        object.__setattr__(self, "rng", rng)

    def __setattr__(self, name: str, value: Any) -> None:
        for key in self.rng.cells():
            self.rng.sheet.styles.setdefault(key, {})[f"font.{name}"] = value


class _FakeChart:
    def __init__(self) -> None:
        self.source = None

    def set_source_data(self, rng: Any) -> None:
        self.source = rng

    def delete(self) -> None:
        pass


class _FakeCharts(list):
    def add(self, **kw: Any) -> _FakeChart:
        chart = _FakeChart()
        self.append(chart)
        return chart


class _FakeSheet:
    def __init__(self, name: str):
        self.name, self.values, self.charts = name, {}, _FakeCharts()
        self.formulas: dict[tuple[int, int], str] = {}
        self.colors: dict[tuple[int, int], tuple[int, int, int]] = {}
        self.styles: dict[tuple[int, int], dict[str, Any]] = {}
        self.protected = False

    def put(self, key: tuple[int, int], v: Any) -> None:
        """Type into a cell: a formula (text starting with =), a value, or nothing (None)."""
        self.formulas.pop(key, None)
        self.values.pop(key, None)
        if isinstance(v, str) and v.startswith("=") and len(v) > 1:
            self.formulas[key] = v
            m = re.fullmatch(r'=HYPERLINK\("(?:[^"]|"")*","((?:[^"]|"")*)"\)', v)
            self.values[key] = m.group(1).replace('""', '"') if m else None
        elif v is not None:
            self.values[key] = v[1:] if isinstance(v, str) and v.startswith("'") else v

    def range(self, a: Any, b: Any = None) -> Any:
        from openpyxl.utils.cell import range_boundaries

        if isinstance(a, str):
            c1, r1, c2, r2 = range_boundaries(a.replace("$", ""))
            return _FakeRange(self, r1, c1, r2, c2)
        return _FakeRange(self, *a) if b is None else (a, b)

    @property
    def used_range(self) -> _FakeRange:
        keys = set(self.values) | set(self.formulas)
        if not keys:
            return _FakeRange(self, 1, 1)
        rows, cols = [k[0] for k in keys], [k[1] for k in keys]
        return _FakeRange(self, min(rows), min(cols), max(rows), max(cols))

    def clear(self) -> None:
        self.values.clear(), self.formulas.clear(), self.colors.clear(), self.styles.clear()

    def activate(self) -> None:
        pass


class _FakeSheets(list):
    def add(self, name: str, after: Any = None) -> _FakeSheet:
        sheet = _FakeSheet(name)
        self.append(sheet)
        return sheet

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)


class _FakeName:
    def __init__(self, book: Any, name: str, refers_to: str):
        self.book, self.name, self.refers_to = book, name, refers_to

    @property
    def refers_to_range(self) -> _FakeRange:
        from macros.book import split_ref

        sheet, address = split_ref(self.refers_to)
        return self.book.sheets[sheet].range(address)


class _FakeNames(list):
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(n for n in self if n.name == key)
        return list.__getitem__(self, key)


def fake_excel(path: Path) -> Any:
    """A stand-in for an xlwings Book holding `path` open in Excel: its values (as last
    calculated), formulas, fills and workbook-scoped names."""
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    book = type("Book", (), {})()
    book.name, book.fullname = path.name, str(path)
    book.app = type("App", (), {"calculate": lambda self: None})()
    book.sheets = _FakeSheets()
    for ws in formulas.worksheets:
        sheet = _FakeSheet(ws.title)
        for row in ws.iter_rows():
            for c in row:
                key = (c.row, c.column)
                if c.data_type == "f":
                    sheet.formulas[key] = str(c.value)
                v = values[ws.title].cell(c.row, c.column).value
                if v is not None:
                    sheet.values[key] = float(v) if isinstance(v, int) and not isinstance(v, bool) else v
                if c.fill is not None and c.fill.fill_type == "solid" and c.fill.fgColor.type == "rgb":
                    h = c.fill.fgColor.rgb[-6:]
                    sheet.colors[key] = tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))
        book.sheets.append(sheet)
    book.names = _FakeNames(_FakeName(book, n, "=" + dn.attr_text) for n, dn in formulas.defined_names.items())
    return book


def test_xlwings_book_writes_the_same_cells_as_the_file_book() -> None:
    """XlwingsBook over a stand-in for xlwings' objects (no Excel on Linux): same cells as the layout."""
    from macros import actions
    from macros.book import XlwingsBook, layout

    p = load_partnership(example_path("northfield-shared-backbone"))
    result = simulate(p, runs=500, seed=2)
    report = actions.risk_sheet(p, result, seed_setting=2)
    book = type("Book", (), {})()
    book.sheets = _FakeSheets([_FakeSheet("Start Here")])
    XlwingsBook(book).write_report(report)
    risk = book.sheets["Risk"]
    assert risk.values == {(c.row, c.col): c.value for c in layout(report).cells if c.value is not None}
    [chart] = risk.charts
    lay = layout(report)
    first_row = int(re.sub(r"[A-Z]", "", lay.chart_categories.split(":")[0]))
    assert chart.source == ((first_row, 1), (first_row + 4, 1 + p.years))
    assert chart.chart_type == "line"


# ----------------------------------------------------------------------------- XlwingsBook: formulas, links, fills


def test_xlwings_book_reads_formulas_of_every_shape() -> None:
    """Range.formula of a used range is a scalar (one cell), a flat list (one row or column on a
    Mac) or rows (tuples on Windows); the used range need not start at A1."""
    from macros.book import XlwingsBook

    class Used:
        def __init__(self, formula: Any, row: int, column: int, shape: tuple[int, int]):
            self.formula, self.row, self.column, self.shape = formula, row, column, shape

    class Sheet:
        def __init__(self, name: str, used: Used):
            self.name, self.used_range = name, used

    book = type("Book", (), {})()
    book.sheets = [
        Sheet("One", Used("=1+1", 3, 2, (1, 1))),
        Sheet("Row", Used(["=A1", "text", "=SUM(1,2)", 5.0], 2, 3, (1, 4))),
        Sheet("Column", Used(["=B1*2", "", "=B3"], 4, 4, (3, 1))),
        Sheet("Block", Used((("=A1", "x"), ("", "=NOW()")), 2, 2, (2, 2))),
        Sheet("Empty", Used("", 1, 1, (1, 1))),
        Sheet("Text with =", Used("=", 1, 1, (1, 1))),
    ]
    assert XlwingsBook(book).read_formulas() == {
        ("One", "B3"): "=1+1",
        ("Row", "C2"): "=A1", ("Row", "E2"): "=SUM(1,2)",
        ("Column", "D4"): "=B1*2", ("Column", "D6"): "=B3",
        ("Block", "B2"): "=A1", ("Block", "C3"): "=NOW()",
    }


def test_xlwings_book_reads_the_same_formulas_as_the_file_book(tmp_path: Path) -> None:
    from macros.book import FileBook, XlwingsBook

    (path,) = build_workbooks(load_partnership(example_path("northfield-shared-backbone")), tmp_path,
                              BuildOptions(kinds=("full-cost",)))
    assert XlwingsBook(fake_excel(path)).read_formulas() == FileBook(path).read_formulas()


def test_xlwings_book_writes_links_as_hyperlink_formulas() -> None:
    from macros.book import Report, Row, XlwingsBook, hyperlink_formula, layout, location

    report = Report(sheet="Toolkit Check", title="Check", notes=["=not a formula", "-5 is text here"], settings=[],
                    header=["Level", "What"], label_header="Cell", rows=[
                        Row("Staffing Plan!B6", ["error", "bad"], "General", link=location("Staffing Plan", "B6")),
                        Row("O'Brien's \"sheet\"!C3", ["warning", "odd"], "General", link=location("O'Brien's \"sheet\"", "C3"),
                            fill="FFC7CE"),
                        Row("(whole workbook)", ["error", "no link"], "General")],
                    hidden=[["mark", 1, ""], ["Staffing Plan", "B6", "FFF2CC"]])
    book = type("Book", (), {})()
    book.sheets = _FakeSheets([_FakeSheet("Start Here")])
    XlwingsBook(book).write_report(report)
    ws = book.sheets["Toolkit Check"]
    lay = layout(report)
    links = {(c.row, c.col): c for c in lay.cells if c.link}
    assert len(links) == 2
    assert ws.formulas == {k: hyperlink_formula(c.link, c.value) for k, c in links.items()}
    first = min(links)
    assert ws.formulas[first] == """=HYPERLINK("#'Staffing Plan'!B6","Staffing Plan!B6")"""
    assert ws.formulas[max(links)] == """=HYPERLINK("#'O''Brien''s ""sheet""'!C3","O'Brien's ""sheet""!C3")"""
    # every cell shows what the layout says (text that looks like a formula stays text)
    assert ws.values == {(c.row, c.col): c.value for c in lay.cells if c.value is not None}
    assert ws.styles[first]["font.color"] == "#0563C1"
    assert ws.colors[(max(links)[0], 3)] == (255, 199, 206) and (first[0], 3) not in ws.colors
    assert ws.values[(2, 30)] == "Staffing Plan" and ws.styles[(1, 30)]["column_width"] == 0


def test_xlwings_book_colour_and_fill() -> None:
    from macros.book import SheetProtected, XlwingsBook

    book = type("Book", (), {})()
    book.sheets = _FakeSheets([_FakeSheet("Staffing")])
    xb = XlwingsBook(book)
    assert xb.fill("Staffing", "B5") is None
    xb.colour("Staffing", "B5", "FFC7CE")
    assert xb.fill("Staffing", "B5") == "FFC7CE"
    xb.colour("Staffing", "B5", None)
    assert xb.fill("Staffing", "B5") is None
    book.sheets["Staffing"].protected = True
    if not sys.platform.startswith("win"):
        with pytest.raises(SheetProtected, match="Unprotect Sheet"):
            xb.colour("Staffing", "B5", "FFC7CE")


def test_xlwings_book_lifts_and_restores_protection_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows: a sheet protected without a password is unprotected for the change and protected
    again with the same options (Excel's object model, here a stand-in)."""
    from macros.book import SheetProtected, XlwingsBook, _unprotected

    calls: list[Any] = []
    sheet = _FakeSheet("Staffing")
    sheet.protected = True

    class Api:
        ProtectContents, ProtectDrawingObjects, ProtectScenarios, EnableSelection = True, True, False, 0
        Protection = type("P", (), {k: k in ("AllowFormattingColumns", "AllowFormattingRows", "AllowFiltering")
                                    for k in _unprotected.OPTIONS})()

        def Unprotect(self, password: str = "") -> None:
            calls.append(("Unprotect", password))
            sheet.protected = False

        def Protect(self, Password: str = "", **options: Any) -> None:
            calls.append(("Protect", Password, options))
            sheet.protected = True

    sheet.api = Api()
    book = type("Book", (), {})()
    book.sheets = _FakeSheets([sheet])
    monkeypatch.setattr(sys, "platform", "win32")
    XlwingsBook(book).colour("Staffing", "B5", "FFC7CE")
    assert sheet.colors[(5, 2)] == (255, 199, 206) and sheet.protected
    assert calls[0] == ("Unprotect", "")
    name, password, options = calls[1]
    assert (name, password) == ("Protect", "")
    assert options == {"DrawingObjects": True, "Contents": True, "Scenarios": False,
                       **{k: k in ("AllowFormattingColumns", "AllowFormattingRows", "AllowFiltering") for k in _unprotected.OPTIONS}}
    # with a password, Unprotect fails: the cell is reported, the sheet stays protected
    def refuse(self: Any, password: str = "") -> None:
        raise RuntimeError("The password you supplied is not correct.")
    monkeypatch.setattr(Api, "Unprotect", refuse)
    with pytest.raises(SheetProtected):
        XlwingsBook(book).colour("Staffing", "B6", "FFC7CE")
    assert sheet.protected and (6, 2) not in sheet.colors


def test_validate_and_recalc_through_xlwings_book_match_the_file_book(tmp_path: Path) -> None:
    """The actions over XlwingsBook (a stand-in for Excel holding the file open) find the same
    problems at the same cells as over FileBook, link to them and fill them; a second run after
    fixing takes the fills off; Recalculate agrees on every value of a clean workbook."""
    from macros import actions
    from macros.book import FAIL_FILL, FileBook, XlwingsBook, location

    p = load_partnership(example_path("riverside-housing"))
    fc, sp = build_workbooks(p, tmp_path)
    wb = openpyxl.load_workbook(sp)
    target = wb.defined_names["SP_base_Expenses"].attr_text      # 'Calculations'!$C$..:$G$..
    out_ws, out_cell = target.split("!")[0].strip("'"), target.split("!")[1].split(":")[0].replace("$", "")
    formula = wb[out_ws][out_cell].value
    wb[out_ws][out_cell] = 1
    wb["Staffing Plan"]["B6"] = "full time"
    broken = tmp_path / "broken.xlsx"
    wb.save(broken)

    excel = fake_excel(broken)
    book = XlwingsBook(excel)
    result = actions.validate_action(book)
    file_result = actions.validate_action(FileBook(broken))
    assert [str(f) for f in result.report.findings] == [str(f) for f in file_result.report.findings]
    assert set(result.highlighted) == {("Staffing Plan", "B6"), (out_ws, out_cell)} == set(file_result.highlighted)
    check = excel.sheets[actions.CHECK_SHEET]
    links = {f for f in check.formulas.values() if f.startswith("=HYPERLINK")}
    assert {f'=HYPERLINK("#{location(s, c)}","{s}!{c}")' for s, c in result.highlighted} == links
    red = tuple(int(FAIL_FILL[i:i + 2], 16) for i in (0, 2, 4))
    assert excel.sheets["Staffing Plan"].colors[(6, 2)] == red
    before = fake_excel(sp).sheets["Staffing Plan"].colors.get((6, 2))

    # the user fixes both cells in Excel and presses Validate again
    excel.sheets["Staffing Plan"].put((6, 2), 1.0)
    excel.sheets[out_ws].put(openpyxl.utils.cell.coordinate_to_tuple(out_cell), formula)
    again = actions.validate_action(book)
    assert set(again.restored) == set(result.highlighted) and again.highlighted == []
    assert excel.sheets["Staffing Plan"].colors.get((6, 2)) == before
    assert not any(f.startswith("=HYPERLINK") for f in check.formulas.values())

    clean = actions.recalculate_action(XlwingsBook(fake_excel(fc)))
    # 32 single outputs of SPEC section 3, FC_Complete, then section 6's cash flow: 8 single (SPEC 6.1 added
    # FC_CF_Opening, FC_CF_ShortMonths and FC_CF_FirstShortMonth) and 5 of 12 months each (with FC_CF_Cash)
    assert clean.differing == [] and len(clean.outputs) == 33 + 13 and len(clean.lines) == 33 + 8 + 5 * 12
    rows = actions.recalculate_action(XlwingsBook(fake_excel(sp)))
    assert rows.differing == [] and len(rows.lines) > len(rows.outputs)


def test_validate_through_xlwings_book_on_a_sheet_that_stays_protected(tmp_path: Path) -> None:
    """A sheet whose protection cannot be lifted (a password; or a Mac): the problem is still listed
    and linked, the Check sheet says the cell could not be coloured, and the next run tries again."""
    from macros import actions
    from macros.book import XlwingsBook

    (fc,) = build_workbooks(load_partnership(example_path("northfield-shared-backbone")), tmp_path,
                            BuildOptions(kinds=("full-cost",)))
    wb = openpyxl.load_workbook(fc)
    wb["Staffing"]["B5"] = "lots"
    broken = tmp_path / "broken.xlsx"
    wb.save(broken)
    excel = fake_excel(broken)
    excel.sheets["Staffing"].protected = True
    excel.sheets["Staffing"].api = None          # no object model to unprotect with
    result = actions.validate_action(XlwingsBook(excel))
    assert result.highlighted == [] and result.not_filled == [("Staffing", "B5")]
    check = excel.sheets[actions.CHECK_SHEET]
    assert any("could not be coloured" in str(v) and "Staffing!B5" in str(v) for v in check.values.values())
    assert """=HYPERLINK("#'Staffing'!B5","Staffing!B5")""" in check.formulas.values()
