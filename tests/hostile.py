"""Hostile returned files, made from a real built workbook, cheaply (each in well under a second).

Every maker takes the path of a real workbook (see `real_workbook`) and a folder, writes one
file there and returns its path. `HOSTILE` lists them with the reason `inspect_package`
(or `SafeWorkbook`) must give. The big ones are built by streaming so the tests themselves
stay small: the 1 GiB zip bomb is ~1 MB of repeated deflate blocks, never 1 GiB in memory.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

GiB = 1 << 30
MiB = 1 << 20
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
REL_SHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


def real_workbook(outdir: Path) -> Path:
    """A real Full Cost Workbook for the Riverside example."""
    from generator.build import BuildOptions, build_workbooks, example_path
    from generator.schema import load_partnership

    p = load_partnership(example_path("riverside-housing"))
    (path,) = build_workbooks(p, outdir, BuildOptions(kinds=("full-cost",)))
    return path


# ----------------------------------------------------------------------------- a raw zip writer


@dataclass
class RawEntry:
    """One zip entry written exactly as given: compressed bytes, CRC and the sizes it declares."""

    name: str
    data: bytes                 # raw deflate stream (method 8) or the bytes themselves (method 0)
    crc: int
    size: int                   # the uncompressed size the headers declare (may lie)
    method: int = 8

    @classmethod
    def of(cls, name: str, body: bytes, level: int = 6) -> "RawEntry":
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        return cls(name, c.compress(body) + c.flush(), zlib.crc32(body), len(body))


def write_raw_zip(path: Path, entries: Iterable[RawEntry]) -> Path:
    """A plain (non-zip64) zip with exactly these entries; sizes and CRCs are not checked."""
    out = io.BytesIO()
    central = []
    for e in entries:
        offset = out.tell()
        name = e.name.encode("utf-8")
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, e.method, 0, 0x21,
                              e.crc, len(e.data), e.size, len(name), 0))
        out.write(name)
        out.write(e.data)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0x800, e.method, 0, 0x21,
                                   e.crc, len(e.data), e.size, len(name), 0, 0, 0, 0, 0, offset) + name)
    cd_offset = out.tell()
    for c in central:
        out.write(c)
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - cd_offset, cd_offset, 0))
    path.write_bytes(out.getvalue())
    return path


def entries_of(workbook: Path) -> dict[str, bytes]:
    """Every part of a (trusted, small) workbook, in order."""
    with zipfile.ZipFile(workbook) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def rebuild(workbook: Path, target: Path, replace: dict[str, bytes] | None = None,
            extra: Iterable[RawEntry] = (), drop: Iterable[str] = ()) -> Path:
    """The real workbook with parts replaced, dropped or added."""
    replace, drop = replace or {}, set(drop)
    parts = [RawEntry.of(n, replace.get(n, body)) for n, body in entries_of(workbook).items() if n not in drop]
    return write_raw_zip(target, parts + list(extra))


def add_sheet(workbook: Path, target: Path, sheet_name: str, sheet: RawEntry) -> Path:
    """The real workbook with one more worksheet (registered in workbook.xml, its rels and content types)."""
    parts = entries_of(workbook)
    part = sheet.name
    wb = parts["xl/workbook.xml"].replace(
        b"</sheets>", f'<sheet name="{sheet_name}" sheetId="99" r:id="rIdJunk"/></sheets>'.encode())
    rels = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", f'<Relationship Id="rIdJunk" Type="{REL_SHEET}" Target="{part.removeprefix("xl/")}"/></Relationships>'.encode())
    ct = parts["[Content_Types].xml"].replace(
        b"</Types>", f'<Override PartName="/{part}" ContentType="{CT_SHEET}"/></Types>'.encode())
    return rebuild(workbook, target, {"xl/workbook.xml": wb, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": ct}, [sheet])


def _deflate_stream(head: bytes, filler: bytes, repeats: int, tail: bytes, level: int = 9) -> tuple[bytes, int, int]:
    """(raw deflate, crc, size) of head + filler * repeats + tail, without ever holding the whole.

    After a full flush the compressor starts afresh, so every flushed copy of `filler`
    compresses to the same bytes: compress it once and repeat the result.
    """
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    start = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block_c = zlib.compressobj(level, zlib.DEFLATED, -15)
    block = block_c.compress(filler) + block_c.flush(zlib.Z_FULL_FLUSH)
    end_c = zlib.compressobj(level, zlib.DEFLATED, -15)
    end = end_c.compress(tail) + end_c.flush()
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(filler, crc)
    crc = zlib.crc32(tail, crc)
    return start + block * repeats + end, crc, len(head) + len(filler) * repeats + len(tail)


# ----------------------------------------------------------------------------- the hostile files


def zip_bomb(workbook: Path, outdir: Path) -> Path:
    """The Organization sheet replaced by 1 GiB of zeros in ~1 MB (honest headers: 1 GiB declared)."""
    data, crc, size = _deflate_stream(SHEET_HEAD, bytes(MiB), 1024, SHEET_TAIL)
    return rebuild(workbook, outdir / "zip-bomb.xlsx", extra=[RawEntry("xl/worksheets/sheet2.xml", data, crc, size)],
                   drop=["xl/worksheets/sheet2.xml"])


def zip_bomb_lying(workbook: Path, outdir: Path) -> Path:
    """The same 1 GiB bomb whose headers claim the part is 64 KiB: only streaming with a cap catches it."""
    data, crc, _ = _deflate_stream(SHEET_HEAD, bytes(MiB), 1024, SHEET_TAIL)
    return rebuild(workbook, outdir / "zip-bomb-lying.xlsx", extra=[RawEntry("xl/worksheets/sheet2.xml", data, crc, 64 * 1024)],
                   drop=["xl/worksheets/sheet2.xml"])


def ratio_bomb(workbook: Path, outdir: Path) -> Path:
    """90 MiB of spaces (under every size limit) squeezed ~1000:1: caught by the ratio limit."""
    data, crc, size = _deflate_stream(SHEET_HEAD, b" " * MiB, 90, SHEET_TAIL)
    return rebuild(workbook, outdir / "ratio-bomb.xlsx", extra=[RawEntry("xl/worksheets/sheet2.xml", data, crc, size)],
                   drop=["xl/worksheets/sheet2.xml"])


def overlapping_entries(workbook: Path, outdir: Path) -> Path:
    """Many directory entries pointing into the same compressed data (Fifield's overlapping zip bomb)."""
    body = SHEET_HEAD + b" " * (512 * 1024) + SHEET_TAIL
    entry = RawEntry.of("xl/worksheets/sheet2.xml", body, level=9)
    path = write_raw_zip(outdir / "overlap.xlsx", [entry])
    raw = bytearray(path.read_bytes())
    # add 50 central-directory records for other names, all pointing at offset 0
    eocd = raw.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack("<I", raw[eocd + 16:eocd + 20])[0]
    cd = bytes(raw[cd_offset:eocd])
    extra = b""
    for n in range(50):
        name = f"xl/worksheets/copy{n}.xml".encode()
        rec = bytearray(cd[:46])
        rec[28:30] = struct.pack("<H", len(name))
        extra += bytes(rec) + name
    new_cd = cd + extra
    out = raw[:cd_offset] + new_cd + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 51, 51, len(new_cd), cd_offset, 0)
    path.write_bytes(bytes(out))
    return path


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sst [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>"""


def entity_expansion(workbook: Path, outdir: Path) -> Path:
    """Billion laughs in sharedStrings.xml."""
    return rebuild(workbook, outdir / "billion-laughs.xlsx", {"xl/sharedStrings.xml": BILLION_LAUGHS})


def external_entity(workbook: Path, outdir: Path) -> Path:
    """An external entity (XXE) in workbook.xml that would read /etc/passwd, hidden late in a big part."""
    wb = entries_of(workbook)["xl/workbook.xml"]
    decl = b'<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    body = wb.replace(b"?>", b"?>" + decl, 1).replace(b"</workbook>", b"<!-- &xxe; --></workbook>")
    return rebuild(workbook, outdir / "xxe.xlsx", {"xl/workbook.xml": body})


def truncated(workbook: Path, outdir: Path) -> Path:
    """The first 60% of a real workbook (an interrupted download)."""
    data = workbook.read_bytes()
    path = outdir / "truncated.xlsx"
    path.write_bytes(data[: len(data) * 6 // 10])
    return path


def not_a_zip(workbook: Path, outdir: Path) -> Path:
    """A CSV export renamed .xlsx."""
    path = outdir / "not-a-zip.xlsx"
    path.write_text("name,region\nRiverside Housing Partnership,Riverside County\n", encoding="utf-8")
    return path


def empty_file(workbook: Path, outdir: Path) -> Path:
    path = outdir / "empty.xlsx"
    path.write_bytes(b"")
    return path


def legacy_xls(workbook: Path, outdir: Path) -> Path:
    """An OLE2 (Excel 97-2003) file with a .xlsx name."""
    path = outdir / "legacy.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1024))
    return path


def password_protected(workbook: Path, outdir: Path) -> Path:
    """What Excel writes for 'Encrypt with Password': an OLE2 file holding an EncryptedPackage stream."""
    path = outdir / "encrypted.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedInfo".encode("utf-16-le")
                     + bytes(64) + "EncryptedPackage".encode("utf-16-le") + bytes(2048))
    return path


FAKE_VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"ThisWorkbook\"\r\nSub Workbook_Open()\r\nShell \"calc\"\r\nEnd Sub\r\n" + bytes(512)
CT_XLSM = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_XLSX = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def xlsm_with_macros(workbook: Path, outdir: Path) -> Path:
    """The real workbook turned into an .xlsm carrying a vbaProject.bin (as Excel lays it out)."""
    parts = entries_of(workbook)
    ct = parts["[Content_Types].xml"].replace(CT_XLSX, CT_XLSM).replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        b'Target="vbaProject.bin"/></Relationships>')
    return rebuild(workbook, outdir / "macros.xlsm", {"[Content_Types].xml": ct, "xl/_rels/workbook.xml.rels": rels},
                   [RawEntry.of("xl/vbaProject.bin", FAKE_VBA)])


def not_ours(workbook: Path, outdir: Path) -> Path:
    """A perfectly ordinary workbook that this toolkit did not make."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Budget"
    ws.append(["Item", "Amount"])
    ws.append(["Rent", 12000])
    path = outdir / "not-ours.xlsx"
    wb.save(path)
    return path


def _junk_rows(rows: int, cols: int) -> Iterator[bytes]:
    from xlsxwriter.utility import xl_col_to_name

    template = b"".join(f'<c r="{xl_col_to_name(c)}#"><v>1</v></c>'.encode() for c in range(cols))
    for r in range(1, rows + 1):
        n = str(r).encode()
        yield b'<row r="' + n + b'">' + template.replace(b"#", n) + b"</row>"


def huge_junk_sheet(workbook: Path, outdir: Path, rows: int = 30_000, cols: int = 100) -> Path:
    """The real workbook plus a sheet of 3 million small cells (~70 MB of XML, ~6 MB zipped)."""
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    chunks, crc, size = [c.compress(SHEET_HEAD)], zlib.crc32(SHEET_HEAD), len(SHEET_HEAD)
    batch: list[bytes] = []
    for row in _junk_rows(rows, cols):
        batch.append(row)
        if len(batch) == 500:
            blob = b"".join(batch)
            chunks.append(c.compress(blob))
            crc, size = zlib.crc32(blob, crc), size + len(blob)
            batch = []
    blob = b"".join(batch) + SHEET_TAIL
    chunks.append(c.compress(blob) + c.flush())
    crc, size = zlib.crc32(blob, crc), size + len(blob)
    sheet = RawEntry("xl/worksheets/sheet99.xml", b"".join(chunks), crc, size)
    return add_sheet(workbook, outdir / "huge-junk-sheet.xlsx", "Junk", sheet)


def far_cell(workbook: Path, outdir: Path) -> Path:
    """A sheet with two cells, A1 and XFD1048576: tiny on disk, but calamine would allocate
    the whole 17-billion-cell rectangle (and abort the process)."""
    body = SHEET_HEAD + b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + SHEET_TAIL
    return add_sheet(workbook, outdir / "far-cell.xlsx", "Far", RawEntry.of("xl/worksheets/sheet99.xml", body))


def _with_name(workbook: Path, target: Path, name: str, ref: str, sheet: RawEntry | None = None, sheet_name: str = "") -> Path:
    """The real workbook (plus a sheet, if given) with one more defined name, or an existing one re-pointed."""
    if sheet is not None:
        add_sheet(workbook, target, sheet_name, sheet)
        workbook = target
    parts = entries_of(workbook)
    wb = parts["xl/workbook.xml"].decode()
    tag = re.search(rf'<definedName name="{name}">[^<]*</definedName>', wb)
    new = f'<definedName name="{name}">{ref}</definedName>'
    wb = wb.replace(tag.group(0), new) if tag else wb.replace("</definedNames>", new + "</definedNames>")
    return rebuild(workbook, target, {"xl/workbook.xml": wb.encode()})


def far_single_cell(workbook: Path, outdir: Path) -> Path:
    """One cell only, at XFD1048576, and a defined name pointed at it: measured from its first used
    cell the sheet is one cell, but calamine builds its grid from A1 (a Rust panic, or an abort)."""
    body = SHEET_HEAD + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + SHEET_TAIL
    return _with_name(workbook, outdir / "far-single-cell.xlsx", "Far_Cell", "Far!$XFD$1048576",
                      RawEntry.of("xl/worksheets/sheet99.xml", body), "Far")


def far_cell_20000(workbook: Path, outdir: Path) -> Path:
    """One cell at XFD20000: a grid from A1 of 327 million cells (a 10 GB allocation)."""
    body = SHEET_HEAD + b'<row r="20000"><c r="XFD20000"><v>1</v></c></row>' + SHEET_TAIL
    return add_sheet(workbook, outdir / "far-cell-20000.xlsx", "Far", RawEntry.of("xl/worksheets/sheet99.xml", body))


def far_second_address(workbook: Path, outdir: Path) -> Path:
    """One cell with two addresses, A1 and then XFD1048576: a literal scan measures the first,
    python-calamine places the cell at the last (so it would build a grid of 17 billion cells)."""
    body = SHEET_HEAD + b'<row r="1"><c r="A1" r="XFD1048576"><v>1</v></c></row>' + SHEET_TAIL
    return add_sheet(workbook, outdir / "far-second-address.xlsx", "Far", RawEntry.of("xl/worksheets/sheet99.xml", body))


def widened_name(workbook: Path, outdir: Path) -> Path:
    """Meta_Table re-pointed at the whole Metadata sheet (17 billion cells by name)."""
    return _with_name(workbook, outdir / "widened-name.xlsx", "Meta_Table", "Metadata!$A$1:$XFD$1048576")


def huge_salary(workbook: Path, outdir: Path) -> Path:
    """A salary of 1E+308, typed in the first staff row: finite, but the model's sums overflow to infinity."""
    parts = entries_of(workbook)
    sheet = "xl/worksheets/sheet4.xml"   # Staffing; Staff_salary is Staffing!$C$5:...
    xml, n = re.subn(rb'(<c r="C5"[^>]*?)(?:/>|>.*?</c>)', rb'\1><v>1E+308</v></c>', parts[sheet], count=1)
    assert n == 1
    return rebuild(workbook, outdir / "huge-salary.xlsx", {sheet: xml})


def path_traversal(workbook: Path, outdir: Path) -> Path:
    """A real workbook with an extra entry named ../../evil.sh."""
    return rebuild(workbook, outdir / "path-traversal.xlsx", extra=[RawEntry.of("../../evil.sh", b"#!/bin/sh\nrm -rf ~\n")])


def too_many_entries(workbook: Path, outdir: Path) -> Path:
    """A real workbook padded with 2,000 tiny entries."""
    return rebuild(workbook, outdir / "many-entries.xlsx", extra=[RawEntry.of(f"xl/media/pad{n}.bin", b"x") for n in range(2000)])


def corrupt_crc(workbook: Path, outdir: Path) -> Path:
    """A real workbook with one part whose CRC does not match (damaged in transit)."""
    parts = [RawEntry.of(n, body) for n, body in entries_of(workbook).items()]
    for e in parts:
        if e.name == "xl/sharedStrings.xml":
            e.crc ^= 0xFFFF
    return write_raw_zip(outdir / "bad-crc.xlsx", parts)


def word_document(workbook: Path, outdir: Path) -> Path:
    """A .docx renamed .xlsx: a valid Office package, but not a workbook."""
    ct = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    doc = b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>'
    return write_raw_zip(outdir / "letter.xlsx", [RawEntry.of("[Content_Types].xml", ct), RawEntry.of("_rels/.rels", rels),
                                                  RawEntry.of("word/document.xml", doc)])


def utf16_part(workbook: Path, outdir: Path) -> Path:
    """sharedStrings.xml re-encoded as UTF-16 (a way to hide '<!DOCTYPE' from a byte scan)."""
    sst = entries_of(workbook)["xl/sharedStrings.xml"].decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return rebuild(workbook, outdir / "utf16.xlsx", {"xl/sharedStrings.xml": sst.encode("utf-16")})


#: (maker, reason) for every hostile file: `inspect_package` must refuse it with that reason,
#: except the ones marked None, which pass inspection and are refused later (see the tests).
HOSTILE: list[tuple[Callable[[Path, Path], Path], str | None]] = [
    (zip_bomb, "zip_bomb"),
    (zip_bomb_lying, "zip_bomb"),
    (ratio_bomb, "zip_bomb"),
    (overlapping_entries, "zip_bomb"),
    (entity_expansion, "dtd_or_entity"),
    (external_entity, "dtd_or_entity"),
    (truncated, "truncated"),
    (not_a_zip, "not_zip"),
    (empty_file, "empty"),
    (legacy_xls, "not_zip"),
    (password_protected, "encrypted"),
    (huge_junk_sheet, "sheet_too_large"),
    (far_cell, "sheet_too_large"),
    (path_traversal, "unsafe_path"),
    (too_many_entries, "too_many_entries"),
    (corrupt_crc, "corrupt"),
    (word_document, "not_spreadsheet"),
    (utf16_part, "bad_xml"),
    (xlsm_with_macros, None),   # flagged by default; refused ('macros') under Limits(refuse_macros=True)
    (not_ours, None),           # a safe file: refused as 'not_ours' by SafeWorkbook.require_ours
    (far_single_cell, "sheet_too_large"),
    (far_cell_20000, "sheet_too_large"),
    (far_second_address, "bad_xml"),
    (widened_name, None),       # a safe package: its re-pointed name is refused when read by name
    (huge_salary, None),        # a safe package: its salary is refused by the schema
]


def make_all(workbook: Path, outdir: Path) -> dict[str, Path]:
    """Every hostile file, by maker name."""
    outdir.mkdir(parents=True, exist_ok=True)
    return {maker.__name__: maker(workbook, outdir) for maker, _ in HOSTILE}
