"""Open workbooks that come back from partnerships without trusting them.

Every returned file is untrusted (DESIGN.md, "Reading files that come back"). Before any
XML or spreadsheet parser sees a byte of it, `inspect_package` checks, in this order:

1. the file itself: a regular file (never a FIFO or a device), not empty, at most
   `Limits.max_file_bytes`; an Excel 97-2003 or password-protected (OLE2) file is named as such;
2. the zip structure, from our own reading of the end-of-central-directory record:
   a zip at all, not truncated, at most `Limits.max_entries` entries, no duplicate,
   absolute or `..` entry names, no encrypted entries, no entries that overlap
   (the "overlapping files" zip bomb), only the stored and deflate methods;
3. sizes: every entry's declared size, the declared total and the declared ratio;
   then every entry is stream-decompressed (our own inflate loop, 1 MiB at a time) with a
   running cap on its size, the total, the ratio and the size its header declared, and its
   CRC checked, so a lying header cannot get past the limits;
4. XML: every XML part is scanned, while it streams, for any markup declaration
   (`<!DOCTYPE`, `<!ENTITY`, ...: no DTDs, no entities) and for encodings other than
   UTF-8-compatible ones; the few parts we parse (content types, relationships,
   workbook.xml, custom properties) go through defusedxml;
5. worksheets: the cells of every worksheet are counted and their extent measured while
   they stream; calamine allocates the whole rectangle from the first to the last used
   cell, so one cell at XFD1048576 would ask it for hundreds of GB (and abort the process);
   a sheet with more than `Limits.max_sheet_cells` cells or a larger rectangle is refused;
   so is a cell's tag that readers would place apart (two r attributes, of which calamine
   takes the last; a '<' or '>' inside a value; a quote left open), as not well-formed;
6. macros: .xlsm/.xlsb/.xltm/.xlam, any vbaProject.bin, Excel 4 macro sheets and ActiveX
   controls are flagged (`PackageInfo.had_macros`); with `Limits(refuse_macros=True)` they
   are refused. Nothing here ever runs a macro; `strip_macros` writes a macro-free .xlsx copy.

A refused file raises `UnsafeFile` with a short `reason` code (see `REASONS`) and a
message a program officer can act on. `SafeWorkbook` / `read_sheet_values` then read cell
values with python-calamine from the very bytes that were inspected (no re-opening the
path, so the file cannot be swapped between the check and the read), with real
coordinates (calamine's grid starts at the first used cell).
"""
from __future__ import annotations

import functools
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Iterator

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from ..fileio import atomic_write

MiB = 1024 * 1024

#: reason code -> what it means (for help texts and reports).
REASONS: dict[str, str] = {
    "not_found": "the file does not exist",
    "not_regular_file": "not a regular file (a folder, a pipe, a device)",
    "empty": "the file is empty",
    "too_large": "the file, or a part of it we must parse, is larger than the limit",
    "not_zip": "not a zip package, so not an .xlsx (text, CSV, HTML, PDF, an old .xls, ...)",
    "truncated": "the zip is cut short (an incomplete download or e-mail attachment)",
    "corrupt": "the zip or one of its parts is damaged",
    "too_many_entries": "the zip has more entries than any workbook needs",
    "zip_bomb": "the zip inflates to far more than a workbook could (size, ratio, lying or overlapping entries)",
    "unsafe_path": "an entry name is absolute or climbs out of the package (../)",
    "encrypted": "the workbook or an entry is encrypted (password to open)",
    "dtd_or_entity": "an XML part carries a DTD or entity declaration",
    "bad_xml": "an XML part is malformed or not UTF-8 compatible, has an absurdly long tag, or writes a cell that readers would place apart",
    "macros": "the workbook carries macros or is macro-enabled and the policy refuses them",
    "not_spreadsheet": "a zip, but not an Excel workbook (a .docx, an .ods, photos, ...)",
    "sheet_too_large": "a worksheet has more cells, or spans a larger rectangle, than the limit",
    "sheet_missing": "the sheet asked for is not in the workbook",
    "unsupported": "a workbook format we do not read (.xlsb binary workbook)",
    "not_ours": "a workbook, but not one made by this toolkit",
}

_CHUNK = MiB                   # compressed bytes read at a time
_OUT = MiB                     # inflated bytes produced at a time
_RATIO_FLOOR = MiB             # entries smaller than this are never ratio-checked (tiny parts compress well)
_MAX_TAG = MiB                 # a single XML tag longer than this is refused
_MAX_NAME = 1024               # longest entry name accepted
_MAX_KEPT = 64 * MiB           # inflated XML kept for the readers (inspect_package(keep_parts=True))

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKBOOK_KINDS = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xltx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": "xltm",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml": "xlam",
    "application/vnd.ms-excel.sheet.binary.macroEnabled.main": "xlsb",
}
MACRO_KINDS = frozenset({"xlsm", "xltm", "xlam", "xlsb"})
_MACRO_FREE_CT = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
_SHEET_KINDS = {"worksheet", "chartsheet", "dialogsheet", "macrosheet", "intlmacrosheet"}
_OK_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"}


# ----------------------------------------------------------------------------- results


@dataclass
class Limits:
    """What a returned file may be. Defaults fit any real workbook with a wide margin."""

    max_file_bytes: int = 25 * MiB
    max_entries: int = 1000
    max_total_inflated: int = 250 * MiB
    max_entry_inflated: int = 100 * MiB
    max_ratio: float = 200.0            # inflated / compressed, for entries over 1 MiB inflated
    max_sheet_cells: int = 2_000_000    # cells in a worksheet, and the rectangle calamine would allocate
    max_total_cells: int = 4_000_000    # cells in all sheets together
    max_xml_parse_bytes: int = 16 * MiB  # content types, relationships, workbook.xml, custom properties
    refuse_macros: bool = False         # True: reason 'macros'; False: flag in PackageInfo.had_macros


class UnsafeFile(Exception):
    """A returned file that is refused, with a short `reason` code and a readable message."""

    def __init__(self, reason: str, message: str, path: str | os.PathLike[str] | None = None):
        self.reason = reason
        self.message = message
        self.path = str(path) if path is not None else None
        super().__init__(f"{Path(self.path).name}: {message}" if self.path else message)

    def with_path(self, path: str | os.PathLike[str] | None) -> "UnsafeFile":
        """The same refusal, naming the file."""
        return UnsafeFile(self.reason, self.message, path) if path is not None and self.path is None else self


@dataclass
class SheetInfo:
    """One sheet as the package declares it, with its measured cells (worksheets only)."""

    name: str
    part: str                      # zip entry name, '' when the relationship is broken
    kind: str                      # worksheet, chartsheet, dialogsheet, macrosheet, ...
    state: str = "visible"         # visible, hidden, veryHidden
    cells: int = 0                 # <c> elements counted
    first: tuple[int, int] | None = None  # (row, col) zero-based of the first used cell
    last: tuple[int, int] | None = None

    @property
    def area(self) -> int:
        """Cells in the rectangle from the first to the last used cell."""
        if self.first is None or self.last is None:
            return 0
        return (self.last[0] - self.first[0] + 1) * (self.last[1] - self.first[1] + 1)

    @property
    def grid(self) -> int:
        """Cells in the rectangle from A1 to the last used cell: what a reader that builds its
        grid from A1 allocates (calamine with skip_empty_area=False, openpyxl's iter_rows)."""
        if self.last is None:
            return 0
        return (self.last[0] + 1) * (self.last[1] + 1)


@dataclass
class PackageInfo:
    """What `inspect_package` found in a file that passed every check."""

    path: str | None
    size: int
    kind: str                                  # xlsx, xlsm, xlsb, xltx, xltm, xlam, unknown
    workbook_part: str
    sheets: list[SheetInfo] = field(default_factory=list)
    content_types: dict[str, str] = field(default_factory=dict)  # entry name -> content type
    custom_properties: dict[str, str] = field(default_factory=dict)
    core_properties: dict[str, str] = field(default_factory=dict)  # docProps/core.xml: modified, created, lastModifiedBy...
    macro_parts: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    embedded: list[str] = field(default_factory=list)
    #: the inflated XML parts, when inspect_package was asked to keep them (keep_parts): every
    #: reader afterwards takes a part from here instead of inflating it again
    parts: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    entries: int = 0
    inflated: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    @property
    def macro_enabled(self) -> bool:
        return self.kind in MACRO_KINDS

    @property
    def had_macros(self) -> bool:
        """True when the file carried macros or is macro-enabled: never keep or run it as it is."""
        return bool(self.macro_parts) or self.macro_enabled

    def sheet(self, name: str) -> SheetInfo:
        for s in self.sheets:
            if s.name == name:
                return s
        raise UnsafeFile("sheet_missing", f"there is no sheet named {name!r} (sheets: {', '.join(self.sheet_names) or 'none'})", self.path)


# ----------------------------------------------------------------------------- the file


def _human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _open_regular(path: Path, limits: Limits) -> tuple[BinaryIO, int]:
    """Open without blocking (a FIFO would hang a plain open) and check it is a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise UnsafeFile("not_found", "file not found", path) from None
    except IsADirectoryError:
        raise UnsafeFile("not_regular_file", "a folder, not a file", path) from None
    except OSError as exc:
        raise UnsafeFile("not_regular_file", f"cannot be opened ({exc.strerror})", path) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnsafeFile("not_regular_file", "not a regular file (a folder, pipe or device)", path)
    if st.st_size > limits.max_file_bytes:
        os.close(fd)
        raise UnsafeFile("too_large", f"{_human(st.st_size)}, more than the {_human(limits.max_file_bytes)} a returned workbook may be", path)
    return os.fdopen(fd, "rb"), st.st_size


def read_bounded(path: str | os.PathLike[str], limits: Limits | None = None) -> bytes:
    """The bytes of a regular file of at most `limits.max_file_bytes` (refused otherwise)."""
    limits = limits or Limits()
    fp, size = _open_regular(Path(path), limits)
    with fp:
        data = fp.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:  # grew while we read it
        raise UnsafeFile("too_large", f"more than the {_human(limits.max_file_bytes)} a returned workbook may be", path)
    return data


def inspect_file(path: str | os.PathLike[str], limits: Limits | None = None, keep_parts: bool = False) -> tuple[bytes, PackageInfo]:
    """Read a returned file once and inspect those bytes: (bytes, what was found).

    Every reader afterwards works on these very bytes, never on the path again, so a file
    swapped between the check and the read cannot get past the checks.
    """
    limits = limits or Limits()
    data = read_bounded(path, limits)
    try:
        info = inspect_package(data, limits, keep_parts=keep_parts)
    except UnsafeFile as exc:
        raise exc.with_path(path) from None
    info.path = str(path)
    return data, info


def _sniff_not_zip(head: bytes, tail: bytes) -> UnsafeFile:
    """Say what a non-zip file most likely is."""
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if "EncryptedPackage".encode("utf-16-le") in head + tail:
            return UnsafeFile("encrypted", "a password-protected workbook: remove the password to open "
                              "(File > Info > Protect Workbook > Encrypt with Password, clear it) and send it again")
        return UnsafeFile("not_zip", "an Excel 97-2003 .xls (or other OLE2) file, not an .xlsx: open it and save it as an Excel Workbook (.xlsx)")
    if head.startswith(b"%PDF"):
        return UnsafeFile("not_zip", "a PDF, not a workbook")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return UnsafeFile("not_zip", "an HTML page, not a workbook (perhaps a web page saved as .xlsx)")
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        return UnsafeFile("not_zip", "an XML or HTML text file, not an .xlsx workbook (perhaps 'XML Spreadsheet 2003')")
    if head and all(b in b"\t\r\n" or 32 <= b < 127 or b >= 128 for b in head[:512]):
        return UnsafeFile("not_zip", "a text file (CSV or plain text), not an .xlsx workbook")
    return UnsafeFile("not_zip", "not a zip package, so not an .xlsx workbook")


# ----------------------------------------------------------------------------- the zip


def _eocd(fp: BinaryIO, size: int, limits: Limits) -> tuple[int, int]:
    """Our own read of the end-of-central-directory record: (entries, central directory size).

    Checked before zipfile builds one ZipInfo per entry, so a crafted directory with a
    million entries costs nothing.
    """
    fp.seek(0)
    head = fp.read(8192)
    tail_len = min(size, 65535 + 22 + 20 + 56)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        if head.startswith(b"PK\x03\x04"):
            raise UnsafeFile("truncated", "the zip is cut short (its central directory is missing): "
                             "the file was not fully downloaded or saved; ask for it again")
        if head.startswith(b"PK"):
            raise UnsafeFile("corrupt", "a damaged zip (no central directory)")
        raise _sniff_not_zip(head, tail)
    _, _, _, entries, cd_size, cd_offset, _ = struct.unpack("<HHHHIIH", tail[pos + 4:pos + 22])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        loc = pos - 20
        if loc < 0 or tail[loc:loc + 4] != b"PK\x06\x07":
            raise UnsafeFile("corrupt", "a damaged zip64 directory")
        (z64_offset,) = struct.unpack("<Q", tail[loc + 8:loc + 16])
        if z64_offset + 56 > size:
            raise UnsafeFile("truncated", "the zip is cut short (zip64 directory beyond the end)")
        fp.seek(z64_offset)
        rec = fp.read(56)
        if rec[:4] != b"PK\x06\x06":
            raise UnsafeFile("corrupt", "a damaged zip64 directory")
        entries, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
    if entries > limits.max_entries:
        raise UnsafeFile("too_many_entries", f"{entries:,} entries in the zip, more than the {limits.max_entries:,} a workbook may have")
    if cd_size > size:
        raise UnsafeFile("truncated", "the zip is cut short (its central directory runs past the end)")
    if cd_size > limits.max_entries * (46 + 2 * _MAX_NAME) + 65536:
        raise UnsafeFile("too_many_entries", f"a central directory of {_human(cd_size)}, more than {limits.max_entries:,} entries could need")
    return entries, cd_size


_CONTROL = re.compile("[\x00-\x1f]")


def _unsafe_name(name: str) -> str | None:
    """Why an entry name is unsafe, or None."""
    if not name or len(name) > _MAX_NAME:
        return "an empty or over-long entry name"
    if _CONTROL.search(name):
        return f"a control character in the entry name {name!r}"
    if "\\" in name:
        return f"a backslash in the entry name {name!r}"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return f"an absolute entry name {name!r}"
    if ".." in name.split("/"):  # the parts PurePosixPath(name) has, '..' kept as it keeps it
        return f"an entry name that climbs out of the package: {name!r}"
    return None


class _Package:
    """One zip, checked entry by entry; totals run across every read."""

    def __init__(self, fp: BinaryIO, size: int, limits: Limits):
        self.fp, self.size, self.limits = fp, size, limits
        self.total = 0
        _eocd(fp, size, limits)
        fp.seek(0)
        try:
            self.zf = zipfile.ZipFile(fp)
        except zipfile.BadZipFile as exc:
            raise UnsafeFile("corrupt", f"a damaged zip ({exc})") from None
        except (OSError, EOFError, ValueError, struct.error, NotImplementedError) as exc:
            raise UnsafeFile("corrupt", f"a damaged zip ({exc})") from None
        self.infos = self.zf.infolist()
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        self.scans: dict[str, _XmlScan] = {}  # parts already read whole by read_xml
        self.keep = False                      # keep the inflated XML parts (see keep_part)
        self.kept: dict[str, bytes] = {}
        self._check_directory()

    def keep_part(self, name: str, body: bytes) -> None:
        """Keep an inflated XML part for the readers, up to _MAX_KEPT bytes in all (beyond that a
        reader inflates it again from the inspected bytes)."""
        if self.keep and sum(map(len, self.kept.values())) + len(body) <= _MAX_KEPT:
            self.kept[name] = body

    # -- the central directory, before any byte is inflated

    def _check_directory(self) -> None:
        lim = self.limits
        if len(self.infos) > lim.max_entries:
            raise UnsafeFile("too_many_entries", f"{len(self.infos):,} entries in the zip, more than the {lim.max_entries:,} a workbook may have")
        declared = 0
        for info in self.infos:
            name = info.filename
            why = _unsafe_name(info.orig_filename) or _unsafe_name(name)
            if why:
                raise UnsafeFile("unsafe_path", f"{why}; files are never extracted, but a package like this is not a workbook")
            if name in self.by_name:
                raise UnsafeFile("corrupt", f"the entry {name!r} appears twice (readers would disagree on which is real)")
            self.by_name[name] = info
            if info.flag_bits & 0x1:
                raise UnsafeFile("encrypted", f"the entry {name!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UnsafeFile("corrupt", f"the entry {name!r} uses compression method {info.compress_type}, which spreadsheet programs never write")
            if info.file_size > lim.max_entry_inflated:
                raise UnsafeFile("zip_bomb", f"the entry {name!r} declares {_human(info.file_size)} inflated, more than the {_human(lim.max_entry_inflated)} limit")
            if info.file_size > _RATIO_FLOOR and info.file_size > lim.max_ratio * max(info.compress_size, 1):
                raise UnsafeFile("zip_bomb", f"the entry {name!r} declares a compression ratio of {info.file_size / max(info.compress_size, 1):,.0f}:1 "
                                 f"({_human(info.compress_size)} -> {_human(info.file_size)}), more than {lim.max_ratio:,.0f}:1")
            declared += info.file_size
            if declared > lim.max_total_inflated:
                raise UnsafeFile("zip_bomb", f"the entries declare more than {_human(lim.max_total_inflated)} inflated in all")
            if info.header_offset + 30 + info.compress_size > self.size:
                raise UnsafeFile("truncated", f"the zip is cut short (the entry {name!r} runs past the end of the file)")
        spans = sorted((i.header_offset, i.header_offset + 30 + len(i.orig_filename.encode("utf-8", "replace")) + i.compress_size, i.filename)
                       for i in self.infos)
        for (s1, e1, n1), (s2, _, n2) in zip(spans, spans[1:]):
            if s2 < e1:
                raise UnsafeFile("zip_bomb", f"the entries {n1!r} and {n2!r} overlap (an overlapping-entries zip bomb)")

    # -- inflating, with running caps

    def stream(self, name: str) -> Iterator[bytes]:
        """The inflated bytes of one entry, 1 MiB at a time, every limit checked as they come."""
        info = self.by_name[name]
        lim = self.limits
        fp = self.fp
        fp.seek(info.header_offset)
        hdr = fp.read(30)
        if len(hdr) < 30 or hdr[:4] != b"PK\x03\x04":
            raise UnsafeFile("corrupt", f"the entry {name!r} has no valid local header")
        n_len, x_len = struct.unpack("<HH", hdr[26:30])
        start = info.header_offset + 30 + n_len + x_len
        if start + info.compress_size > self.size:
            raise UnsafeFile("truncated", f"the zip is cut short (the entry {name!r} runs past the end of the file)")
        fp.seek(start)
        cap = min(lim.max_entry_inflated, lim.max_total_inflated - self.total)
        remaining = info.compress_size
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        produced = 0
        crc = 0

        def account(out: bytes) -> bytes:
            nonlocal produced, crc
            produced += len(out)
            if produced > info.file_size:
                raise UnsafeFile("zip_bomb", f"the entry {name!r} inflates to more than the {_human(info.file_size)} its header declares")
            if produced > cap:
                what = "per entry" if cap == lim.max_entry_inflated else "in all"
                raise UnsafeFile("zip_bomb", f"the entry {name!r} inflates past the {_human(cap)} limit {what}")
            if produced > _RATIO_FLOOR and produced > lim.max_ratio * max(info.compress_size, 1):
                raise UnsafeFile("zip_bomb", f"the entry {name!r} inflates at more than {lim.max_ratio:,.0f}:1")
            crc = zlib.crc32(out, crc)
            return out

        try:
            while remaining:
                raw = fp.read(min(_CHUNK, remaining))
                if not raw:
                    raise UnsafeFile("truncated", f"the zip is cut short inside the entry {name!r}")
                remaining -= len(raw)
                if inflater is None:
                    yield account(raw)
                    continue
                buf = raw
                while buf:
                    out = inflater.decompress(buf, _OUT)
                    buf = inflater.unconsumed_tail
                    if out:
                        yield account(out)
                    if inflater.eof:
                        break
                if inflater.eof:
                    break
            if inflater is not None:
                while not inflater.eof:
                    out = inflater.decompress(b"", _OUT)
                    if not out:
                        break
                    yield account(out)
                if not inflater.eof:
                    raise UnsafeFile("corrupt", f"the entry {name!r} ends in the middle of its compressed data")
        except zlib.error as exc:
            raise UnsafeFile("corrupt", f"the entry {name!r} is damaged ({exc})") from None
        finally:
            self.total += produced
        if produced != info.file_size:
            raise UnsafeFile("corrupt", f"the entry {name!r} inflates to {produced:,} bytes, not the {info.file_size:,} its header declares")
        if crc != info.CRC:
            raise UnsafeFile("corrupt", f"the entry {name!r} fails its CRC check (damaged in transit)")

    def read_xml(self, name: str) -> bytes:
        """A small XML part we are about to parse: bounded, scanned for DTDs, returned whole."""
        info = self.by_name[name]
        if info.file_size > self.limits.max_xml_parse_bytes:
            raise UnsafeFile("too_large", f"the part {name!r} is {_human(info.file_size)}, more than the {_human(self.limits.max_xml_parse_bytes)} we parse")
        scan = _XmlScan(name, cells=True)
        parts = []
        for chunk in self.stream(name):
            scan.feed(chunk)
            parts.append(chunk)
        scan.close()
        self.scans[name] = scan
        body = b"".join(parts)
        self.keep_part(name, body)
        return body


# ----------------------------------------------------------------------------- XML scanning

_DECL = re.compile(rb"<!(?!--)(?!\[CDATA\[)")
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_C = rb"<(?:[A-Za-z_][\w.-]{0,40}:)?c"  # a cell tag's name, with or without a prefix
_CELL_OPEN = re.compile(_C + rb"[\s/>]")
_CELL_REF = re.compile(_C + rb"""\s(?:[^<>]{0,512}?\s)?r\s*=\s*["']\s*([A-Za-z]{1,8})([0-9]{1,12})\s*["']""")
_FAST_REF = re.compile(rb'<c r="([A-Za-z]{1,8})([0-9]{1,12})"')  # the way Excel & co write cells
_PLAIN_OPEN = re.compile(rb"<c[\s/>]")  # _CELL_OPEN where no tag has a prefix
#: every cell opening (_PLAIN_OPEN's matches, one for one), with its address where its whole tag is
#: written plainly, '<c r="..."' with a clean address, then only attributes named with one or two
#: lower-case letters, not starting with r (s, t, cm, vm, ph), with double-quoted values holding no '<'
#: or '>', up to its '>' ((b"", b"") where not):
#: the count and extent in one C-speed pass, each cell measured by its only address
_OPEN_REF = re.compile(rb'<c(?: r="([A-Za-z]{1,8})([0-9]{1,12})"(?: [a-qs-z][a-z]?="[^"<>]*+")*+/?>|[\s/>])')
#: a cell's tag that does not close cleanly: a '<' or '>' inside a quoted value, a '<' in the tag, a
#: quote left open, or no '>' at all. Calamine's parser ends a tag at its first '>' outside quotes, and a
#: literal scan at the first '>' or '<': refused, so that both read every cell's tag alike.
_UNCLEAN_CELL = re.compile(_C + rb"""\s(?:[^<>"']++|"[^"<>]*+"|'[^'<>]*+')*+(?!>)""")
#: a second r attribute in a cell's tag (not well-formed XML): calamine takes the last, a literal scan
#: the first, so one cell '<c r="A1" r="XFD1048576"/>' would pass the extent limit (read in clean tags;
#: an r after any space, a quote or a '/')
_TWO_R = re.compile(_C + rb"""\s(?:[^>"']|"[^"]*"|'[^']*')*?(?<![\w:.-])r\s*=(?:[^>"']|"[^"]*"|'[^']*')*?(?<![\w:.-])r\s*=""")
_ASK_AGAIN = ("no spreadsheet program writes it, and readers disagree on where the cell is: ask for the file again, "
              "as Excel or LibreOffice saves it")
_PREFIX_C = re.compile(rb":c")  # every prefixed cell opening holds it (a regex search: faster than `in` here)
_col0, _row1 = itemgetter(0), itemgetter(1)


def col_index(letters: bytes | str) -> int:
    """'A' -> 0, 'XFD' -> 16383 (any length: a hostile ref may go far beyond XFD)."""
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.upper().decode("ascii"):
        n = n * 26 + (ord(ch) - 64)
    return n - 1


class _XmlScan:
    """Streaming checks on one XML part: encoding, no markup declarations, and (for
    worksheets) the count and extent of the cells. Works on complete tags only, carrying
    an unfinished tag over to the next chunk."""

    def __init__(self, name: str, cells: bool = False):
        self.name = name
        self.cells = cells
        self.first = True
        self.carry = b""
        self.n_cells = 0
        self.n_refs = 0
        self.min_row = self.min_col = None  # type: int | None
        self.max_row = self.max_col = -1

    def feed(self, chunk: bytes) -> None:
        if self.first:
            self.first = False
            self._check_encoding(chunk)
        buf = self.carry + chunk if self.carry else chunk
        # An unfinished tag is kept for the next chunk. A tag ends at its first '>' (as calamine's
        # parser reads it, even where a '<' comes first, inside a quoted value), so what is kept
        # starts at the first '<' after the chunk's last '>'.
        lt = buf.find(b"<", buf.rfind(b">") + 1)
        if lt >= 0:
            self.carry = buf[lt:]
            buf = buf[:lt]
            if len(self.carry) > _MAX_TAG:
                raise UnsafeFile("bad_xml", f"the part {self.name!r} has a single tag longer than {_human(_MAX_TAG)}")
        else:
            self.carry = b""
        self._scan(buf)

    def close(self) -> None:
        if self.carry:
            self._scan(self.carry)
            self.carry = b""

    def _check_encoding(self, head: bytes) -> None:
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
            raise UnsafeFile("bad_xml", f"the part {self.name!r} is UTF-16 or UTF-32 encoded; spreadsheet programs write UTF-8")
        m = _XML_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
        if m and m.group(1).decode("ascii").lower() not in _OK_ENCODINGS:
            raise UnsafeFile("bad_xml", f"the part {self.name!r} declares the encoding {m.group(1).decode('ascii')!r}; spreadsheet programs write UTF-8")

    def _scan(self, buf: bytes) -> None:
        if _DECL.search(buf):
            raise UnsafeFile("dtd_or_entity", f"the part {self.name!r} carries a DTD or entity declaration (<!DOCTYPE / <!ENTITY): "
                             "refused, as such declarations can expand without bound or read other files")
        if not self.cells:
            return
        if not _PREFIX_C.search(buf):
            # Fastest path, one pass: with no prefixed tag, the cells are _PLAIN_OPEN's matches (as
            # the strict count finds them), and _OPEN_REF matches at each of them and nowhere else
            # (a match holds no '<', so it hides no opening). When every one of them is a plainly written
            # tag, the paths below take exactly these cells and addresses, and refuse none of them.
            found = _OPEN_REF.findall(buf)
            if not found:
                return
            cols_seen = set(map(_col0, found))
            if b"" not in cols_seen:
                self._extend(len(found), found, cols_seen)
                return
        # Fast path, C speed: when every tag starting '<c' in the chunk is a cell written
        # '<c r="..."' (as Excel, LibreOffice, openpyxl and xlsxwriter write them), count and
        # match those literally. Anything else (<cols>, prefixed or oddly spaced cells, cells
        # without an address) takes the strict regular expressions.
        n_lt_c = buf.count(b"<c")
        odd = b":c" in buf
        if not n_lt_c and not odd:
            return
        n_cr = buf.count(b'<c r="')
        if n_cr == n_lt_c and not odd:
            n, pairs = n_cr, _FAST_REF.findall(buf)
        else:
            n, pairs = -1, []
            if not odd:
                # Tags such as <cols>, <color> or <cfRule> also start '<c'. With no prefixed tag
                # (no ':c'), when every cell opening ('<c' then a space, '/' or '>') is written
                # '<c r="' and each of those is a clean address, the strict expressions would
                # find exactly these cells and addresses (each match starts at a cell opening,
                # and there the strict one matches as the literal one does): take them, at C speed.
                # (every '<c' that is neither '<c r="' nor '<co...' (<cols>, <col>, <color>) is
                # counted out first: when none is left, the openings are the '<c r="' ones)
                pairs = _FAST_REF.findall(buf)
                if len(pairs) == n_cr and (n_lt_c == n_cr + buf.count(b"<co") or len(_PLAIN_OPEN.findall(buf)) == n_cr):
                    n = n_cr
            if n < 0:
                n, pairs = len(_CELL_OPEN.findall(buf)), _CELL_REF.findall(buf)
        if n:  # (no cell opening, none to check: charts, drawings and the theme come this way)
            self._clean_tags(buf)  # the expressions above take a cell's first address: make sure it is its only one
        self._extend(n, pairs, set(map(_col0, pairs)) if pairs else set())

    def _clean_tags(self, buf: bytes) -> None:
        """Refuse a cell's tag that readers would read differently (see _UNCLEAN_CELL and _TWO_R)."""
        m = _UNCLEAN_CELL.search(buf)
        if m:
            raise UnsafeFile("bad_xml", f"the part {self.name!r} has a cell whose tag does not close cleanly "
                             f"({_shown(buf[m.start():m.start() + 81])}: a '<' or '>' inside a value, or a quote left open); {_ASK_AGAIN}")
        m = _TWO_R.search(buf)
        if m:
            raise UnsafeFile("bad_xml", f"the part {self.name!r} has a cell with two addresses "
                             f"({_shown(buf[m.start():buf.find(b'>', m.end()) + 1 or len(buf)])}); {_ASK_AGAIN}")

    def _extend(self, n: int, pairs: list[tuple[bytes, bytes]], cols_seen: set[bytes]) -> None:
        """Add a chunk's n cells and the (column, row) addresses found among them."""
        self.n_cells += n
        self.n_refs += min(len(pairs), n)
        if pairs:
            cols = [col_index(c) for c in cols_seen]
            rows = list(map(int, set(map(_row1, pairs))))   # int() reads the digits' bytes as they are
            lo_c, hi_c, lo_r, hi_r = min(cols), max(cols), min(rows) - 1, max(rows) - 1
            self.min_col = lo_c if self.min_col is None else min(self.min_col, lo_c)
            self.min_row = lo_r if self.min_row is None else min(self.min_row, lo_r)
            self.max_col = max(self.max_col, hi_c)
            self.max_row = max(self.max_row, hi_r)


def _shown(tag: bytes) -> str:
    """The start of a tag, fit to quote in a message."""
    text = tag[:80].decode("utf-8", "replace")
    return repr(text + "..." if len(tag) > 80 else text)


def _exact_extent(pkg: _Package, name: str) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Cell extent by a streaming parse (for worksheets whose cells omit the r attribute).

    Runs only on parts that already passed the DTD scan and the cell count; expat never
    sees a DTD here.
    """
    from xml.parsers import expat

    parser = expat.ParserCreate()
    state = {"row": -1, "col": -1, "r1": -1, "c1": -1}
    low: dict[str, int] = {}  # "r0", "c0": the smallest row and column seen, absent until a cell is

    def local(tag: str) -> str:
        return tag.rsplit(":", 1)[-1]

    def start(tag: str, attrs: dict[str, str]) -> None:
        t = local(tag)
        if t == "row":
            r = attrs.get("r")
            state["row"] = int(r) - 1 if r and r.isdigit() else state["row"] + 1
            state["col"] = -1
        elif t == "c":
            ref = attrs.get("r")
            m = re.match(r"^\s*([A-Za-z]{1,8})([0-9]{1,12})\s*$", ref or "")
            if m:
                state["col"], row = col_index(m.group(1)), int(m.group(2)) - 1
            else:
                state["col"], row = state["col"] + 1, max(state["row"], 0)
            for key, val in (("r0", row), ("c0", state["col"])):
                low[key] = min(low[key], val) if key in low else val
            state["r1"] = max(state["r1"], row)
            state["c1"] = max(state["c1"], state["col"])

    parser.StartElementHandler = start
    try:
        for chunk in pkg.stream(name):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise UnsafeFile("bad_xml", f"the worksheet {name!r} is not well-formed XML ({exc})") from None
    if "r0" not in low:
        return None, None
    return (low["r0"], low["c0"]), (state["r1"], state["c1"])


# ----------------------------------------------------------------------------- package structure

_NS_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"


#: parsed small parts by their bytes: returned workbooks of one batch carry the same content types,
#: relationships and workbook part, so each is parsed once per process (a cached tree is only read)
_PARSED: dict[bytes, Any] = {}
_PARSED_MAX_BYTES = 256 * 1024
_PARSED_MAX = 64


def _parse(data: bytes, name: str) -> Any:
    hit = _PARSED.get(data)
    if hit is not None:
        return hit
    root = _parse_new(data, name)
    if len(data) <= _PARSED_MAX_BYTES:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[bytes(data)] = root
    return root


def _parse_new(data: bytes, name: str) -> Any:
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UnsafeFile("dtd_or_entity", f"the part {name!r} carries a DTD or entity declaration") from None
    except SafeET.ParseError as exc:
        raise UnsafeFile("bad_xml", f"the part {name!r} is not well-formed XML ({exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels_name(part: str) -> str:
    """xl/workbook.xml -> xl/_rels/workbook.xml.rels."""
    parent, _, base = part.rpartition("/")
    return f"{parent}/_rels/{base}.rels" if parent else f"_rels/{base}.rels"


@functools.lru_cache(maxsize=4096)
def _resolve(base_part: str, target: str) -> str:
    """A relationship target relative to its source part -> zip entry name."""
    if target.startswith("/"):
        path = target.lstrip("/")
    else:
        base = PurePosixPath(base_part).parent
        path = str(base / target) if str(base) != "." else target
    parts: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts:
                parts.pop()
            continue
        parts.append(seg)
    return "/".join(parts)


def _relationships(pkg: _Package, source_part: str) -> list[tuple[str, str, str, bool]]:
    """(id, type, target entry, external) for a part's relationships ([] when it has none)."""
    rels = "_rels/.rels" if source_part == "" else _rels_name(source_part)
    if rels not in pkg.by_name:
        return []
    root = _parse(pkg.read_xml(rels), rels)
    out = []
    for el in root:
        if _local(el.tag) != "Relationship":
            continue
        external = (el.get("TargetMode") or "").lower() == "external"
        target = el.get("Target") or ""
        out.append((el.get("Id") or "", el.get("Type") or "", target if external else _resolve(source_part, target), external))
    return out


def _content_types(pkg: _Package) -> dict[str, str]:
    name = "[Content_Types].xml"
    if name not in pkg.by_name:
        if "mimetype" in pkg.by_name:
            mt = b"".join(pkg.stream("mimetype"))[:200].decode("ascii", "replace")
            if "opendocument.spreadsheet" in mt:
                raise UnsafeFile("not_spreadsheet", "an OpenDocument spreadsheet (.ods), not an .xlsx: save it as an Excel Workbook (.xlsx)")
            raise UnsafeFile("not_spreadsheet", f"an OpenDocument file ({mt.strip()}), not an Excel workbook")
        raise UnsafeFile("not_spreadsheet", "a zip, but not an Office document (no [Content_Types].xml)")
    root = _parse(pkg.read_xml(name), name)
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for el in root:
        tag = _local(el.tag)
        if tag == "Default":
            defaults[(el.get("Extension") or "").lower()] = el.get("ContentType") or ""
        elif tag == "Override":
            overrides[(el.get("PartName") or "").lstrip("/")] = el.get("ContentType") or ""
    out = {}
    for entry in pkg.by_name:
        if entry.endswith("/"):
            continue
        ct = overrides.get(entry)
        if ct is None:
            ct = defaults.get(_suffix(entry), "")
        out[entry] = ct
    return out


def _is_xml(name: str, ct: str) -> bool:
    return ct.endswith("xml") or name.lower().endswith((".xml", ".rels", ".vml"))


def _looks_like_xml(head: bytes) -> bool:
    return head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or head.lstrip(b" \t\r\n")[:1] == b"<"


@functools.lru_cache(maxsize=4096)
def _suffix(entry: str) -> str:
    """An entry's extension, lower case, without the dot (entry names repeat file after file: cached)."""
    return PurePosixPath(entry).suffix.lstrip(".").lower()


@functools.lru_cache(maxsize=4096)
def _base_name(low: str) -> str:
    return PurePosixPath(low).name


def _is_macro_part(name: str, ct: str) -> bool:
    low, ctl = name.lower(), ct.lower()
    return (_base_name(low) in ("vbaproject.bin", "vbaprojectsignature.bin", "vbaprojectsignatureagile.bin", "vbaprojectsignaturev3.bin")
            or "vbaproject" in ctl or "macrosheet" in ctl or "activex" in ctl or low.startswith("xl/activex/")
            or low.startswith("xl/macrosheets/"))


def inspect_package(source: str | os.PathLike[str] | bytes, limits: Limits | None = None, keep_parts: bool = False) -> PackageInfo:
    """Check a returned file before anything parses it; raise UnsafeFile or describe it.

    `source` is a path or the file's bytes. Nothing is extracted, nothing is executed.
    """
    limits = limits or Limits()
    path = None if isinstance(source, (bytes, bytearray)) else Path(source)
    try:
        if isinstance(source, (bytes, bytearray)):
            if len(source) > limits.max_file_bytes:
                raise UnsafeFile("too_large", f"{_human(len(source))}, more than the {_human(limits.max_file_bytes)} a returned workbook may be")
            fp: BinaryIO = io.BytesIO(source)
            size = len(source)
        else:
            fp, size = _open_regular(Path(source), limits)
        with fp:
            if size == 0:
                raise UnsafeFile("empty", "the file is empty (0 bytes)")
            return _inspect(fp, size, limits, str(path) if path else None, keep_parts)
    except UnsafeFile as exc:
        raise exc.with_path(path) from None


def _inspect(fp: BinaryIO, size: int, limits: Limits, path: str | None, keep_parts: bool = False) -> PackageInfo:
    pkg = _Package(fp, size, limits)
    pkg.keep = keep_parts
    cts = _content_types(pkg)
    info = PackageInfo(path=path, size=size, kind="unknown", workbook_part="", content_types=cts,
                       entries=len(pkg.infos))

    # the workbook part, its kind and its sheets
    root_rels = _relationships(pkg, "")
    office = [t for _, typ, t, ext in root_rels if typ.endswith("/officeDocument") and not ext]
    workbook = office[0] if office else ("xl/workbook.xml" if "xl/workbook.xml" in pkg.by_name else "")
    if not workbook or workbook not in pkg.by_name:
        if "word/document.xml" in pkg.by_name or "ppt/presentation.xml" in pkg.by_name:
            raise UnsafeFile("not_spreadsheet", "a Word or PowerPoint document, not an Excel workbook")
        raise UnsafeFile("not_spreadsheet", "an Office package without a workbook part")
    info.workbook_part = workbook
    info.kind = WORKBOOK_KINDS.get(cts.get(workbook, ""), "unknown")
    if info.kind == "unknown":
        raise UnsafeFile("not_spreadsheet", f"not an Excel workbook (its main part has content type {cts.get(workbook) or 'none'!r})")
    wb_rels = {rid: (typ, target, ext) for rid, typ, target, ext in _relationships(pkg, workbook)}
    info.external_links = [t for typ, t, ext in wb_rels.values() if typ.endswith("/externalLink")]
    if info.kind != "xlsb":
        wb_root = _parse(pkg.read_xml(workbook), workbook)
        for el in wb_root.iter():
            if _local(el.tag) != "sheet":
                continue
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
            typ, target, ext = wb_rels.get(rid, ("", "", True))
            part = "" if ext or target not in pkg.by_name else target
            kind = cts.get(part, "").split("+")[0].rsplit(".", 1)[-1] if part else ""
            kind = kind if kind in _SHEET_KINDS else (typ.rsplit("/", 1)[-1] if typ else "unknown")
            info.sheets.append(SheetInfo(name=el.get("name") or "", part=part, kind=kind, state=el.get("state") or "visible"))
    else:
        info.warnings.append("an .xlsb binary workbook: its sheets cannot be checked or read here")

    # custom document properties (where our workbooks say which template they are)
    custom = next((t for _, typ, t, ext in root_rels if typ.endswith("/custom-properties") and not ext), "docProps/custom.xml")
    if custom in pkg.by_name:
        croot = _parse(pkg.read_xml(custom), custom)
        for prop in croot:
            if _local(prop.tag) == "property" and len(prop):
                info.custom_properties[prop.get("name") or ""] = (prop[0].text or "").strip()

    # core document properties: when the workbook was last saved, and by whom (collect keeps the later of two returns)
    core = next((t for _, typ, t, ext in root_rels if typ.endswith("/core-properties") and not ext), "docProps/core.xml")
    if core in pkg.by_name:
        for prop in _parse(pkg.read_xml(core), core):
            if not len(prop) and (prop.text or "").strip():
                info.core_properties[_local(prop.tag)] = (prop.text or "").strip()[:200]

    # every entry: sizes, CRC, DTD scan, cell counts; macros and embedded objects noted
    by_part: dict[str, list[SheetInfo]] = {}
    total_cells = 0
    for s in info.sheets:
        if s.part:
            by_part.setdefault(s.part, []).append(s)
    for zi in pkg.infos:
        name = zi.filename
        ct = cts.get(name, "")
        if _is_macro_part(name, ct):
            info.macro_parts.append(name)
        if "oleobject" in ct.lower() or "/embeddings/" in name.lower():
            info.embedded.append(name)
        if name.endswith("/"):
            continue
        # every XML part is scanned (and its <c> cells counted: a reader might take any part for a sheet)
        label = ("sheet " + " / ".join(repr(s.name) for s in by_part[name])) if name in by_part else f"part {name!r}"
        scan = pkg.scans.get(name)
        if scan is None:
            scan = _XmlScan(name, cells=True) if (_is_xml(name, ct) or name in by_part) else None
            first = True
            chunks: list[bytes] | None = [] if pkg.keep else None
            for chunk in pkg.stream(name):
                if first:
                    first = False
                    if scan is None and _looks_like_xml(chunk[:64]):
                        scan = _XmlScan(name, cells=True)
                if scan is not None:
                    scan.feed(chunk)
                    if scan.n_cells > limits.max_sheet_cells:
                        raise UnsafeFile("sheet_too_large", f"the {label} has more than {limits.max_sheet_cells:,} cells")
                    if chunks is not None:
                        chunks.append(chunk)
            if scan is not None:
                scan.close()
                if chunks is not None:
                    pkg.keep_part(name, b"".join(chunks))
        if scan is not None:
            if scan.n_cells:
                _measure(pkg, scan, label, by_part.get(name, []), limits)
                total_cells += scan.n_cells
                if total_cells > limits.max_total_cells:
                    raise UnsafeFile("sheet_too_large", f"the sheets hold more than {limits.max_total_cells:,} cells in all")
    info.inflated = pkg.total
    info.parts = pkg.kept

    for s in info.sheets:
        if s.kind in ("macrosheet", "intlmacrosheet") and s.part not in info.macro_parts:
            info.macro_parts.append(s.part or s.name)
    if info.had_macros:
        found = ", ".join(info.macro_parts) or f"a macro-enabled .{info.kind}"
        if limits.refuse_macros:
            raise UnsafeFile("macros", f"carries macros or is macro-enabled ({found}); macros are never run or kept: "
                             "save the workbook as an Excel Workbook (.xlsx) and send it again")
        info.warnings.append(f"macros found and ignored ({found}); they are never run or kept")
    if path and info.kind != "xlsx" and Path(path).suffix.lower() == ".xlsx":
        info.warnings.append(f"the file is named .xlsx but is an .{info.kind}")
    return info


def _measure(pkg: _Package, scan: _XmlScan, label: str, sheets: list[SheetInfo], limits: Limits) -> None:
    """Extent of a part's cells; refuse it when the rectangle a reader would allocate is too large."""
    if scan.n_cells > limits.max_sheet_cells:
        raise UnsafeFile("sheet_too_large", f"the {label} has {scan.n_cells:,} cells, more than the {limits.max_sheet_cells:,} limit")
    first: tuple[int, int] | None
    last: tuple[int, int] | None
    if scan.n_refs == scan.n_cells:  # an empty part has no first cell (its last stays (-1, -1): a grid of 0)
        first = None if scan.min_row is None or scan.min_col is None else (scan.min_row, scan.min_col)
        last = (scan.max_row, scan.max_col)
    else:  # some cells have no address: count positions the way a reader would
        first, last = _exact_extent(pkg, scan.name)
    probe = SheetInfo(name=label, part=scan.name, kind="", cells=scan.n_cells, first=first, last=last)
    if probe.grid > limits.max_sheet_cells and last is not None:  # counted from A1: the grid a reader really builds (a grid above 0 has a last cell)
        first = (0, 0)
        from xlsxwriter.utility import xl_rowcol_to_cell

        def ref(rc: tuple[int, int]) -> str:
            r, c = rc
            return xl_rowcol_to_cell(r, c) if r < 1_048_576 and c < 16_384 else f"row {r + 1:,} column {c + 1:,}"

        raise UnsafeFile("sheet_too_large", f"the {label} spans {ref(first)}:{ref(last)} "
                         f"({probe.grid:,} cells counted from A1), more than the {limits.max_sheet_cells:,} limit")
    for s in sheets:
        s.cells, s.first, s.last = scan.n_cells, first, last


# ----------------------------------------------------------------------------- macros


def strip_macros(src: str | os.PathLike[str], dst: str | os.PathLike[str], limits: Limits | None = None) -> PackageInfo:
    """Write a macro-free .xlsx copy of an .xlsm: no vbaProject.bin (or its signatures),
    no relationship or content type pointing at them, the workbook's content type made
    a plain workbook's. Returns the inspection of the copy (had_macros False).

    Excel 4 macro sheets, ActiveX controls and .xlsb files cannot be removed safely by
    rewriting parts: those raise UnsafeFile('macros').
    """
    limits = limits or Limits()
    dst = Path(dst)
    if dst.suffix.lower() != ".xlsx":
        raise ValueError(f"the macro-free copy must be named .xlsx, not {dst.name!r}")
    data = read_bounded(src, limits)
    info = inspect_package(data, Limits(**{**limits.__dict__, "refuse_macros": False}))
    if info.kind == "xlsb":
        raise UnsafeFile("macros", "an .xlsb binary workbook cannot be made macro-free here: save it as an Excel Workbook (.xlsx)", src)
    vba = [p for p in info.macro_parts if PurePosixPath(p.lower()).name.startswith("vbaproject")]
    other = [p for p in info.macro_parts if p not in vba]
    if other:
        raise UnsafeFile("macros", f"macro sheets or ActiveX controls ({', '.join(other)}) cannot be removed here: "
                         "save the workbook as an Excel Workbook (.xlsx)", src)
    drop = set(vba) | {_rels_name(p) for p in vba}
    vba_targets = {PurePosixPath(p).name for p in vba}

    def clean_rels(xml: bytes) -> bytes:
        def keep(m: re.Match[bytes]) -> bytes:
            tag = m.group(0)
            target = re.search(rb'Target\s*=\s*["\']([^"\']*)["\']', tag)
            name = PurePosixPath(target.group(1).decode("utf-8", "replace")).name if target else ""
            return b"" if name in vba_targets or b"vbaProject" in tag else tag
        return re.sub(rb"<(?:\w+:)?Relationship\b[^>]*?/>", keep, xml)

    def clean_ct(xml: bytes) -> bytes:
        xml = re.sub(rb"<(?:\w+:)?(?:Default|Override)\b[^>]*?vbaProject[^>]*?/>", b"", xml)
        for macro, plain in _MACRO_FREE_CT.items():
            xml = xml.replace(macro.encode(), plain.encode())
        return xml

    clean: PackageInfo | None = None

    def write(tmp: Path) -> None:
        nonlocal clean
        with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for zi in zin.infolist():
                if zi.filename in drop:
                    continue
                body = zin.read(zi)  # already inspected: bounded and CRC-checked
                if zi.filename == "[Content_Types].xml":
                    body = clean_ct(body)
                elif zi.filename.endswith(".rels"):
                    body = clean_rels(body)
                out = zipfile.ZipInfo(zi.filename, date_time=zi.date_time)
                out.compress_type = zipfile.ZIP_DEFLATED
                out.external_attr = zi.external_attr
                zout.writestr(out, body)
        clean = inspect_package(tmp, limits)
        if clean.had_macros:  # pragma: no cover - defensive
            raise UnsafeFile("macros", f"macros remain after stripping: {', '.join(clean.macro_parts)}", src)

    atomic_write(dst, write)
    assert clean is not None
    clean.path = str(dst)
    return clean


# ----------------------------------------------------------------------------- reading values


@dataclass
class SheetValues:
    """A sheet's values with their real coordinates (zero-based row and column).

    `rows[0][0]` is the cell at (`first_row`, `first_col`): calamine's grid starts at the
    first used cell, not at A1. Empty cells read as None through `get` and `cells`.
    """

    name: str
    first_row: int
    first_col: int
    rows: list[list[Any]]

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def get(self, row: int, col: int, default: Any = None) -> Any:
        """The value at a real (row, col), zero-based; `default` when empty or outside."""
        r, c = row - self.first_row, col - self.first_col
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            value = self.rows[r][c]
            return default if value == "" or value is None else value
        return default

    def __getitem__(self, ref: str) -> Any:
        """sheet['B3'] -> the value of B3 (None when empty)."""
        from xlsxwriter.utility import xl_cell_to_rowcol

        row, col = xl_cell_to_rowcol(ref.replace("$", ""))
        return self.get(row, col)

    def cells(self) -> Iterator[tuple[int, int, Any]]:
        """(row, col, value) of every non-empty cell, row by row."""
        for r, values in enumerate(self.rows):
            for c, value in enumerate(values):
                if value != "" and value is not None:
                    yield self.first_row + r, self.first_col + c, value


class SafeWorkbook:
    """A returned workbook, inspected and then read with python-calamine from the same bytes.

        with SafeWorkbook(path) as wb:
            wb.info.sheet_names, wb.template_id()
            org = wb.sheet("Organization"); org["B5"]

    Refuses (UnsafeFile) anything `inspect_package` refuses, .xlsb files (`unsupported`),
    and a sheet that is not there (`sheet_missing`).
    """

    def __init__(self, path: str | os.PathLike[str], limits: Limits | None = None):
        self.path = Path(path)
        self.limits = limits or Limits()
        self._data = read_bounded(self.path, self.limits)
        try:
            self.info = inspect_package(self._data, self.limits)
        except UnsafeFile as exc:
            raise exc.with_path(self.path) from None
        self.info.path = str(self.path)
        if self.info.kind == "xlsb":
            raise UnsafeFile("unsupported", "an .xlsb binary workbook: open it and save it as an Excel Workbook (.xlsx)", self.path)
        self._wb: Any = None
        self._cache: dict[str, SheetValues] = {}

    def __enter__(self) -> "SafeWorkbook":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._wb is not None:
            try:
                self._wb.close()
            except Exception:  # pragma: no cover - already closed
                pass
            self._wb = None
        self._cache.clear()

    def _calamine(self) -> Any:
        if self._wb is None:
            import python_calamine

            try:
                self._wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self._data))
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # calamine raises its own error types, and a Rust panic is a BaseException
                raise UnsafeFile("corrupt", f"cannot be read as a workbook ({type(exc).__name__}: {exc})", self.path) from None
        return self._wb

    def sheet(self, name: str) -> SheetValues:
        """A sheet's values with real coordinates (checked against the cell limit first)."""
        if name in self._cache:
            return self._cache[name]
        meta = self.info.sheet(name)
        if meta.kind != "worksheet":
            raise UnsafeFile("sheet_missing", f"{name!r} is a {meta.kind}, not a worksheet", self.path)
        if meta.cells > self.limits.max_sheet_cells or meta.grid > self.limits.max_sheet_cells:  # pragma: no cover - inspect refuses first
            raise UnsafeFile("sheet_too_large", f"the sheet {name!r} is larger than the {self.limits.max_sheet_cells:,}-cell limit", self.path)
        try:
            sh = self._calamine().get_sheet_by_name(name)
            start = sh.start
            rows = sh.to_python() if sh.height and start is not None else []
        except UnsafeFile:
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a Rust panic (pyo3 PanicException) is a BaseException
            raise UnsafeFile("corrupt", f"the sheet {name!r} cannot be read ({type(exc).__name__}: {exc})", self.path) from None
        first_row, first_col = (start or (0, 0))
        values = SheetValues(name, first_row, first_col, rows)
        self._cache[name] = values
        return values

    def template_id(self) -> str | None:
        """Which toolkit template made this workbook: the `pbp_template_id` custom property,
        else the hidden Metadata sheet's `template_id` (custom properties can be dropped by
        some programs); None when neither says."""
        tid = self.info.custom_properties.get("pbp_template_id", "").strip()
        if tid:
            return tid
        if "Metadata" in self.info.sheet_names:
            meta = self.sheet("Metadata")
            for r, c, value in meta.cells():
                if c == meta.first_col and str(value).strip() == "template_id":
                    found = meta.get(r, c + 1)
                    return str(found).strip() if found is not None else None
        return None

    def require_ours(self, prefix: str = "pbp-") -> str:
        """The template id, or UnsafeFile('not_ours') for a workbook this toolkit did not make."""
        tid = self.template_id()
        if not tid or not tid.startswith(prefix):
            raise UnsafeFile("not_ours", "a workbook, but not one made by the Place-Based Partnerships Toolkit "
                             "(no template id in its properties or a Metadata sheet): send back the workbook you were given", self.path)
        return tid


def read_sheet_values(path: str | os.PathLike[str], sheet: str, limits: Limits | None = None) -> SheetValues:
    """One sheet's values with real coordinates, after every safety check (see SafeWorkbook)."""
    with SafeWorkbook(path, limits) as wb:
        return wb.sheet(sheet)


def archive_members(source: BinaryIO, size: int, limits: Limits) -> Iterator[tuple[str, bytes | UnsafeFile]]:
    """The entries of an uploaded zip of workbooks (a folder sent as one file), each inflated
    under the same running caps as a workbook's parts: (entry name, its bytes or why it was
    refused). Folders are skipped; names are returned as written and must never be used as
    paths. Raises UnsafeFile when the archive as a whole is refused (a zip bomb, too many
    entries, unsafe names, damage)."""
    pkg = _Package(source, size, limits)
    for info in pkg.infos:
        if info.is_dir():
            continue
        try:
            yield info.filename, b"".join(pkg.stream(info.filename))
        except UnsafeFile as exc:
            if exc.reason in ("zip_bomb", "truncated") and pkg.total >= limits.max_total_inflated:
                raise
            yield info.filename, exc


__all__ = [
    "Limits", "UnsafeFile", "PackageInfo", "SheetInfo", "SheetValues", "SafeWorkbook", "REASONS",
    "inspect_package", "inspect_file", "archive_members", "strip_macros", "read_sheet_values", "read_bounded", "col_index",
]
