"""Returned files are untrusted: every hostile file is refused with the right reason, quickly
and in bounded memory, and a real workbook passes and reads back with true coordinates."""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from generator.readback.safety import (
    REASONS, Limits, SafeWorkbook, UnsafeFile, inspect_package, read_sheet_values, strip_macros,
)

from . import hostile

TIME_LIMIT_S = 5.0
MEMORY_GROWTH_LIMIT_MB = 200


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.real_workbook(tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="module")
def hostile_files(real: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return hostile.make_all(real, tmp_path_factory.mktemp("hostile"))


def _refusal(path: Path | bytes, limits: Limits | None = None) -> UnsafeFile:
    with pytest.raises(UnsafeFile) as caught:
        inspect_package(path, limits)
    return caught.value


# ----------------------------------------------------------------------------- the real workbook


def test_real_workbook_passes(real: Path) -> None:
    info = inspect_package(real)
    assert info.kind == "xlsx"
    assert not info.had_macros and not info.macro_parts
    assert info.custom_properties["pbp_template_id"] == "pbp-full-cost"
    assert {"Organization", "Staffing", "Metadata"} <= set(info.sheet_names)
    assert all(s.kind == "worksheet" and s.part for s in info.sheets)
    assert info.sheet("Metadata").state == "hidden"
    assert 0 < info.inflated < Limits().max_total_inflated
    assert info.warnings == []
    assert inspect_package(real.read_bytes()).sheet_names == info.sheet_names


def test_real_workbook_is_ours_and_reads_with_true_coordinates(real: Path) -> None:
    expected = openpyxl.load_workbook(real, data_only=True)
    with SafeWorkbook(real) as wb:
        assert wb.require_ours() == "pbp-full-cost"
        for name in ("Organization", "Staffing", "Metadata"):
            got = wb.sheet(name)
            want = {(c.row - 1, c.column - 1): c.value for row in expected[name].iter_rows() for c in row
                    if c.value not in (None, "")}
            have = {(r, c): v for r, c, v in got.cells()}
            assert set(have) == set(want), name
            for key, value in want.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    assert have[key] == pytest.approx(value), (name, key)
                elif isinstance(value, dt.datetime):
                    assert have[key] in (value, value.date()), (name, key)
                else:
                    assert have[key] == value, (name, key)
        assert wb.sheet("Organization")["B5"] == "Riverside Housing Partnership"


def test_grid_offset_kept_when_the_sheet_does_not_start_at_a1(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Offset"
    ws["C5"], ws["E7"], ws["D6"] = 1.5, "x", "middle"
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    values = read_sheet_values(path, "Offset")
    assert (values.first_row, values.first_col) == (4, 2)
    assert values["C5"] == 1.5 and values["E7"] == "x" and values["D6"] == "middle"
    assert values.get(0, 0) is None and values["A1"] is None and values["Z99"] is None
    assert list(values.cells()) == [(4, 2, 1.5), (5, 3, "middle"), (6, 4, "x")]
    info = inspect_package(path)
    assert (info.sheet("Offset").first, info.sheet("Offset").last) == ((4, 2), (6, 4))


def test_template_id_from_metadata_sheet_when_custom_properties_are_gone(real: Path, tmp_path: Path) -> None:
    parts = hostile.entries_of(real)
    rels = parts["_rels/.rels"]
    stripped = hostile.rebuild(real, tmp_path / "no-props.xlsx", {"_rels/.rels": rels}, drop=["docProps/custom.xml"])
    with SafeWorkbook(stripped) as wb:
        assert wb.info.custom_properties == {}
        assert wb.template_id() == "pbp-full-cost"


# ----------------------------------------------------------------------------- hostile files


@pytest.mark.parametrize("maker,reason", [(m, r) for m, r in hostile.HOSTILE if r is not None],
                         ids=[m.__name__ for m, r in hostile.HOSTILE if r is not None])
def test_hostile_file_refused_with_reason_in_bounded_time(maker, reason: str, hostile_files: dict[str, Path]) -> None:
    path = hostile_files[maker.__name__]
    started = time.perf_counter()
    exc = _refusal(path)
    elapsed = time.perf_counter() - started
    assert exc.reason == reason, str(exc)
    assert reason in REASONS
    assert str(exc).startswith(path.name + ": ") and len(exc.message) > 15
    assert elapsed < TIME_LIMIT_S, f"{maker.__name__} took {elapsed:.2f} s"
    with pytest.raises(UnsafeFile) as again:  # the reader refuses it too, before calamine sees it
        SafeWorkbook(path)
    assert again.value.reason == reason


def test_macros_flagged_by_default_refused_by_policy_and_strippable(hostile_files: dict[str, Path], real: Path, tmp_path: Path) -> None:
    xlsm = hostile_files["xlsm_with_macros"]
    info = inspect_package(xlsm)
    assert info.kind == "xlsm" and info.had_macros and info.macro_parts == ["xl/vbaProject.bin"]
    assert any("never run" in w for w in info.warnings)
    assert _refusal(xlsm, Limits(refuse_macros=True)).reason == "macros"

    clean = strip_macros(xlsm, tmp_path / "clean.xlsx")
    assert clean.kind == "xlsx" and not clean.had_macros and clean.macro_parts == []
    with zipfile.ZipFile(tmp_path / "clean.xlsx") as z:
        assert not [n for n in z.namelist() if "vba" in n.lower()]
        assert b"vbaProject" not in z.read("[Content_Types].xml")
        assert b"vbaProject" not in z.read("xl/_rels/workbook.xml.rels")
        assert b"macroEnabled" not in z.read("[Content_Types].xml")
    inspect_package(tmp_path / "clean.xlsx", Limits(refuse_macros=True))
    assert openpyxl.load_workbook(tmp_path / "clean.xlsx").sheetnames == openpyxl.load_workbook(real).sheetnames
    assert read_sheet_values(tmp_path / "clean.xlsx", "Organization")["B5"] == "Riverside Housing Partnership"
    with pytest.raises(ValueError):
        strip_macros(xlsm, tmp_path / "clean.xlsm")


def test_workbook_that_is_not_ours(hostile_files: dict[str, Path]) -> None:
    path = hostile_files["not_ours"]
    info = inspect_package(path)  # perfectly safe ...
    assert info.kind == "xlsx" and info.sheet_names == ["Budget"]
    with SafeWorkbook(path) as wb:  # ... but not one of ours
        assert wb.template_id() is None
        with pytest.raises(UnsafeFile) as caught:
            wb.require_ours()
    assert caught.value.reason == "not_ours"


def test_every_file_in_a_folder_is_accounted_for_in_bounded_memory(hostile_files: dict[str, Path], real: Path, tmp_path: Path) -> None:
    """All hostile files and a real one, read in a fresh interpreter: each is either read or
    refused with a reason; peak RSS (Python and calamine's Rust heap alike) grows < 200 MB.
    A failure to refuse the far-cell sheet would abort that interpreter (calamine allocation)."""
    folder = tmp_path / "returned"
    folder.mkdir()
    for path in [*hostile_files.values(), real]:
        shutil.copy(path, folder / path.name)
    script = textwrap.dedent("""
        import json, resource, sys, time
        from pathlib import Path
        from generator.readback.safety import SafeWorkbook, UnsafeFile
        import python_calamine, openpyxl  # imports in the baseline
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = {}
        for path in sorted(Path(sys.argv[1]).iterdir()):
            started = time.perf_counter()
            try:
                with SafeWorkbook(path) as wb:
                    for name in wb.info.sheet_names:
                        wb.sheet(name)
                    out[path.name] = ["read", wb.require_ours()]
            except UnsafeFile as exc:
                out[path.name] = ["refused", exc.reason]
            out[path.name].append(time.perf_counter() - started)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"results": out, "growth_kb": peak - base}))
    """)
    proc = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    results = report["results"]
    assert set(results) == {p.name for p in folder.iterdir()}
    assert results[real.name][:2] == ["read", "pbp-full-cost"]
    assert results["macros.xlsm"][:2] == ["read", "pbp-full-cost"]  # flagged, read, never run
    assert results["not-ours.xlsx"][:2] == ["refused", "not_ours"]
    expected = {hostile_files[m.__name__].name: r for m, r in hostile.HOSTILE if r is not None}
    assert {name: results[name][1] for name in expected} == expected
    assert max(r[2] for r in results.values()) < TIME_LIMIT_S
    assert report["growth_kb"] / 1024 < MEMORY_GROWTH_LIMIT_MB, report["growth_kb"]


# ----------------------------------------------------------------------------- limits and edge cases


def test_limits_are_configurable(real: Path) -> None:
    assert _refusal(real, Limits(max_file_bytes=10_000)).reason == "too_large"
    assert _refusal(real, Limits(max_entries=10)).reason == "too_many_entries"
    assert _refusal(real, Limits(max_entry_inflated=20_000)).reason == "zip_bomb"
    assert _refusal(real, Limits(max_total_inflated=100_000)).reason == "zip_bomb"
    assert _refusal(real, Limits(max_sheet_cells=100)).reason == "sheet_too_large"
    assert _refusal(real, Limits(max_total_cells=1000)).reason == "sheet_too_large"
    assert _refusal(real, Limits(max_xml_parse_bytes=1000)).reason == "too_large"


def test_not_a_file(tmp_path: Path) -> None:
    assert _refusal(tmp_path / "missing.xlsx").reason == "not_found"
    assert _refusal(tmp_path).reason == "not_regular_file"
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    started = time.perf_counter()
    assert _refusal(fifo).reason == "not_regular_file"  # and no hang waiting for a writer
    assert time.perf_counter() - started < 1


def test_missing_sheet(real: Path) -> None:
    with pytest.raises(UnsafeFile) as caught:
        read_sheet_values(real, "No Such Sheet")
    assert caught.value.reason == "sheet_missing" and "Organization" in caught.value.message


def _sheet_file(real: Path, tmp_path: Path, body: bytes, name: str = "extra.xlsx") -> Path:
    xml = hostile.SHEET_HEAD + body + hostile.SHEET_TAIL
    return hostile.add_sheet(real, tmp_path / name, "Extra", hostile.RawEntry.of("xl/worksheets/sheet99.xml", xml))


def test_cells_without_addresses_are_placed_as_a_reader_would(real: Path, tmp_path: Path) -> None:
    body = b'<row r="3"><c><v>1</v></c><c><v>2</v></c></row><row><c r="B4"><v>3</v></c><c><v>4</v></c></row>'
    path = _sheet_file(real, tmp_path, body)
    sheet = inspect_package(path).sheet("Extra")
    assert (sheet.cells, sheet.first, sheet.last) == (4, (2, 0), (3, 2))
    values = read_sheet_values(path, "Extra")
    assert (values.first_row, values.first_col) == (2, 0)
    assert [values["A3"], values["B3"], values["B4"], values["C4"]] == [1, 2, 3, 4]


def test_far_cells_without_addresses_are_refused(real: Path, tmp_path: Path) -> None:
    """A cell at A1, then a row far below whose cells carry no address: the rectangle is caught."""
    body = b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c><v>1</v></c><c><v>1</v></c><c><v>1</v></c></row>'
    exc = _refusal(_sheet_file(real, tmp_path, body))
    assert exc.reason == "sheet_too_large" and "A1:C1048576" in exc.message


def test_dtd_split_across_chunks_and_single_quoted_refs(real: Path, tmp_path: Path) -> None:
    """'<!DOCTYPE' straddling the 1 MiB boundary between two inflated chunks is still seen."""
    cells = b"<row r='1'><c r='A1'><v>1</v></c></row><!--"
    filler = base64.b64encode(os.urandom(1024 * 1024))  # incompressible, so no ratio refusal
    room = 1024 * 1024 - 3 - len(hostile.SHEET_HEAD) - len(cells) - 3
    exc = _refusal(_sheet_file(real, tmp_path, cells + filler[:room] + b"-->" + b"<!DOCTYPE x>", "dtd.xlsx"))
    assert exc.reason == "dtd_or_entity"
    far = b"<row r='1'><c s='1' r='A1'><v>1</v></c></row><row r='900000'><c  r = 'ZZ900000'><v>1</v></c></row>"
    assert _refusal(_sheet_file(real, tmp_path, far, "quoted.xlsx")).reason == "sheet_too_large"


def test_comments_and_cdata_are_not_declarations(real: Path, tmp_path: Path) -> None:
    body = b"<!-- a comment --><row r='1'><c r='A1' t='inlineStr'><is><t><![CDATA[a < b]]></t></is></c></row>"
    info = inspect_package(_sheet_file(real, tmp_path, body))
    assert info.sheet("Extra").cells == 1


def test_cells_are_measured_in_every_part_not_only_declared_sheets(real: Path, tmp_path: Path) -> None:
    """A reader could be pointed at any part as a sheet: far cells in workbook.xml count too."""
    wb = hostile.entries_of(real)["xl/workbook.xml"].replace(b"</workbook>", b'<x><c r="A1"/><c r="XFD1048576"/></x></workbook>')
    exc = _refusal(hostile.rebuild(real, tmp_path / "cells-in-workbook.xlsx", {"xl/workbook.xml": wb}))
    assert exc.reason == "sheet_too_large" and "part 'xl/workbook.xml'" in exc.message


def _reference_scan(buf: bytes) -> tuple[int, int, tuple[int, int] | None, tuple[int, int]]:
    """The cell count and extent as _XmlScan found them before its second literal fast path
    (issue 22): the literal expression only when every '<c' is '<c r="', else the strict ones."""
    from generator.readback.safety import _CELL_OPEN, _CELL_REF, _FAST_REF, col_index

    if buf.count(b"<c") == buf.count(b'<c r="') and b":c" not in buf:
        n, pairs = buf.count(b'<c r="'), _FAST_REF.findall(buf)
    else:
        n, pairs = len(_CELL_OPEN.findall(buf)), _CELL_REF.findall(buf)
    cols = [col_index(c) for c, _ in pairs]
    rows = [int(r) - 1 for _, r in pairs]
    first = (min(rows), min(cols)) if pairs else None
    return n, min(len(pairs), n), first, ((max(rows), max(cols)) if pairs else (-1, -1))


def _reference_refuses(buf: bytes) -> bool:
    """Whether a cell's tag in buf would be read apart by python-calamine and a literal scan, worked out
    character by character: a tag whose first '>' outside quotes comes after a '<', or after a '<' or
    '>' inside a quoted value, or never (calamine reads on to a later address); or with two attributes
    named r (calamine takes the last). A cell's tag is '<c' or '<prefix:c' followed by a space."""
    import re

    i = buf.find(b"<")
    while i >= 0:
        j = i + 1
        while j < len(buf) and buf[j:j + 1] not in b" \t\r\n/<>\"'=":
            j += 1
        name, prefix = buf[i + 1:j], buf[i + 1:j].rpartition(b":")[0]
        if (name == b"c" or (name.endswith(b":c") and re.fullmatch(rb"[A-Za-z_][\w.-]{0,40}", prefix))) and buf[j:j + 1].isspace():
            quote, names, word, last, end = b"", [], b"", b"", -1  # last: a name followed by spaces only
            for k in range(j, len(buf)):
                ch = buf[k:k + 1]
                if quote:
                    if ch in b"<>":
                        return True
                    quote = b"" if ch == quote else quote
                elif ch == b"<":
                    return True
                elif ch == b">":
                    end = k
                    break
                elif ch in b"\"'":
                    quote, word, last = ch, b"", b""
                elif ch == b"=":
                    names.append(word or last)
                    word = last = b""
                elif ch.isspace():
                    if word:
                        last, word = word, b""
                elif ch == b"/":
                    word = last = b""
                else:
                    if not word:
                        last = b""
                    word += ch
            if end < 0:
                return True
            if names.count(b"r") >= 2:
                return True
        i = buf.find(b"<", i + 1)
    return False


def test_the_fast_cell_count_finds_what_it_always_found() -> None:
    """_XmlScan takes a literal fast path also where other tags start '<c' (<cols>, <color>), only
    when the strict expressions would find the same cells; over such tags, oddly written cells and
    prefixed tags, the count and extent (which decide sheet_too_large) are what they were. A cell's
    tag that readers would read apart (see _reference_refuses) is refused instead, in every path."""
    from hypothesis import given, settings, strategies as st

    from generator.readback.safety import _XmlScan

    pieces = [b'<c r="A1">', b'<c r="B7" s="2"/>', b'<c r="AA10" t="s"><v>3</v></c>', b'<cols><col min="1" max="2"/></cols>',
              b'<cfRule type="x"/>', b'<color rgb="FF"/>', b'<c r="C3 ">', b"<c r='D4'/>", b'<c  r="E5"/>', b'<c s="1" r="F6"/>',
              b"<c>", b"<c/>", b'<c\tr="G7"/>', b'<x:c r="H8"/>', b'<c r="A1x"/>', b'<c r="ZZZZ99"/>', b'<row r="9">', b"</row>",
              b'<customSheetView/>', b'<c r="Q1234567"/>', b" ", b"text:c",
              # the one-pass path's edges: its letter and digit bounds, tags that only start '<c'
              b'<c r="ABCDEFGH1"/>', b'<c r="ABCDEFGHI1"/>', b'<c r="A123456789012"/>', b'<c r="A1234567890123"/>',
              b'<c r=""/>', b'<c r="1A"/>', b'<c r="a7"/>', b'<cx r="A1"/>', b'<c\nr="B2"/>', b"<c",
              # tags readers read apart, and their look-alikes
              b'<c r="A1" r="B2"/>', b'<c r="C1"r="D2">', b"<c r='E1' s='2' r = 'F2'/>", b'<c r="G1" s=">"/>', b'<c s="<" r="H1">',
              b'<c r="J1" x:r="K2"/>', b'<c r="L1" ar="M2"/>', b'<c r="N1" foo="1"/>', b'<c r="P1" s="1" cm="1" vm="2" ph="1"/>',
              b'<c r="Q1" s="r=1"/>', b'<c r="R1" t="\'">', b'"', b">", b"'"]

    @settings(max_examples=2000, deadline=None)
    @given(st.lists(st.sampled_from(pieces), max_size=30))
    def check(parts: list[bytes]) -> None:
        buf = b"".join(parts)
        scan = _XmlScan("x.xml", cells=True)
        refuse = _reference_refuses(buf)
        try:
            scan._scan(buf)
        except UnsafeFile as exc:
            assert refuse and exc.reason == "bad_xml", buf
            return
        assert not refuse, buf
        n, refs, first, last = _reference_scan(buf)
        got_first = None if scan.min_row is None or scan.min_col is None else (scan.min_row, scan.min_col)
        assert (scan.n_cells, scan.n_refs) == (n, refs), buf
        if refs:
            assert (got_first, (scan.max_row, scan.max_col)) == (first, last), buf

    check()


def _calamine_start(tag: bytes) -> tuple[int, int]:
    """Where python-calamine places the one cell of a sheet holding `tag` (its (row, column), from 0)."""
    import io

    from python_calamine import CalamineWorkbook

    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    src = io.BytesIO()
    wb.save(src)
    out = io.BytesIO()
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            body = z.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, _, rest = body.partition(b"<sheetData>")
                body = head + b'<sheetData><row r="1">' + tag + b"</row></sheetData>" + rest.partition(b"</sheetData>")[2]
            w.writestr(info.filename, body)
    start = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0).start
    assert start is not None
    return start


#: cells with a second address, as calamine reads them: the scan must refuse each
TWO_ADDRESSES = [b'<c r="A1" r="Z1000"><v>1</v></c>', b'<c r="A1" r ="Z1000"><v>1</v></c>', b'<c r="A1"r="Z1000"><v>1</v></c>',
                 b'<c r="A1"\nr="Z1000"><v>1</v></c>', b"<c r='A1' r='Z1000'><v>1</v></c>", b'<c r="A1" s="<" r="Z1000"><v>1</v></c>',
                 b'<c s="1" r="A1"\tr\t=\t"Z1000"><v>1</v></c>', b'<c r="A1" s=">" r="Z1000"><v>1</v></c>']
#: look-alikes calamine places at A1 (a prefixed attribute, an upper-case R, an r= in a formula): the scan measures A1 too
ONE_ADDRESS = [b'<c r="A1" x:r="Z1000" xmlns:x="urn:x"><v>1</v></c>', b'<c r="A1" R="Z1000"><v>1</v></c>',
               b'<c r="A1" t="str"><f>R1=2</f><v>1</v></c>']


@pytest.mark.parametrize("tag", TWO_ADDRESSES)
def test_a_cell_with_two_addresses_is_refused(tag: bytes) -> None:
    """python-calamine places <c r="A1" r="Z1000"> at Z1000, its last address (0.9.1, checked below),
    while a literal scan takes the first: so one cell written <c r="A1" r="XFD1048576"/> would pass the
    extent limit and make calamine build the whole sheet. Such a tag is not well-formed: refused, in
    every path of the scan (one pass, the literal one beside other '<c' tags, the strict one for
    prefixed cells) and wherever a chunk boundary falls. So is a tag whose value holds a '<' or '>'
    (calamine reads on past it, to the second address)."""
    from generator.readback.safety import _XmlScan

    assert _calamine_start(tag) == (999, 25)
    variants = {"alone": tag, "beside <cols>": b'<cols><col min="1" max="1"/></cols>' + tag,
                "prefixed": tag.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>")}
    for label, body in variants.items():
        buf = b'<sheetData><row r="1">' + body + b"</row></sheetData>"
        for cut in [None, *range(1, len(buf))]:
            scan = _XmlScan("x.xml", cells=True)
            with pytest.raises(UnsafeFile) as exc:
                if cut is None:
                    scan._scan(buf)
                else:
                    scan.feed(buf[:cut])
                    scan.feed(buf[cut:])
                    scan.close()
            msg = exc.value.message
            assert exc.value.reason == "bad_xml" and ("two addresses" in msg or "not close cleanly" in msg), (label, cut)


@pytest.mark.parametrize("tag", ONE_ADDRESS)
def test_look_alikes_of_a_second_address_are_measured_where_calamine_reads_them(tag: bytes) -> None:
    from generator.readback.safety import _XmlScan

    assert _calamine_start(tag) == (0, 0)
    scan = _XmlScan("x.xml", cells=True)
    scan._scan(b'<sheetData><row r="1">' + tag + b"</row></sheetData>")
    assert (scan.n_cells, scan.n_refs, scan.min_row, scan.min_col, scan.max_row, scan.max_col) == (1, 1, 0, 0, 0, 0)
