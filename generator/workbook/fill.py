"""Compile once, fill many: the xlsxwriter work a batch repeats for every partnership of a shape,
done once per worker process.

Within one batch, every workbook of a shape (kind, capacity, years, scenarios) has the same
formula text in the same cells with the same formats, and most of its package parts (styles,
theme, charts, drawings, relationships, the workbook part with its defined names) are the
same bytes; only the inputs, the cached values and a few words differ. Under `filling()`:

- a formula's text is prepared once (xlsxwriter's 30 to 150 regular-expression rewrites, the
  dynamic-array test), then stored straight into the sheet's cell table;
- a cell's XML up to its value (`<c r="B5" s="3"><f>...</f><v>`) is made once per (cell,
  format, type, formula) and only the value is written per partnership;
- a package part whose bytes were already compressed (for another partnership of the shape)
  is copied into the zip as it was, not compressed again;
- text, numbers, blanks and formulas go into the sheet's cell table with xlsxwriter's checks
  done inline (put_*), and a sheet's rows are written from the cells written, each row tag and
  each cell's XML up to its value made once (write_sheet_data); a shared string's <si>, a
  defined name's, a document property's and a data validation's element are made once per value;
- the fingerprint of a set of formulas is made once per set (fingerprint).

In every build, fill mode or not, a Book's parts are deflated at COMPRESS_LEVEL (1), and a
written workbook's cells are freed as its Book goes (layout.Book.close breaks the one cycle
that left them to the garbage collector), so a batch runs no collection inside a build.

Nothing here knows a sheet, a cell or a name: every cache is keyed by what xlsxwriter itself
writes, so whatever the builders write (new names, words, print settings) is filled the same
way, and a file built here is the file an ordinary build writes (tests/test_fill.py holds every
part equal, and the whole file byte for byte when the build time is fixed). A shape is not
declared: a part or a cell that differs is simply a new cache entry. The caches are bounded
(cleared when full), so a batch of all-different shapes only loses the speed, never memory.
"""
from __future__ import annotations

import contextvars
import datetime
import copy
import functools
import io
import threading
import zipfile
from contextlib import contextmanager
from typing import Any, Iterator

import xlsxwriter.app
import xlsxwriter.sharedstrings
import xlsxwriter.utility
import xlsxwriter.workbook
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import (CellBlankTuple, CellDatetimeTuple, CellFormulaTuple, CellNumberTuple, CellStringTuple,
                                  Worksheet)

try:   # xlsxwriter up to 3.3.1: a regular expression; 3.3.4 a function that skips string literals
    from xlsxwriter.worksheet import re_dynamic_function as _RE_DYNAMIC

    def _dynamic(formula: str) -> bool:
        """Whether xlsxwriter writes the formula as a dynamic array (not our plain path)."""
        return _RE_DYNAMIC.search(formula) is not None
except ImportError:  # pragma: no cover - depends on the installed xlsxwriter
    from xlsxwriter.worksheet import _has_dynamic_function as _dynamic  # type: ignore[no-redef]

#: True while `filling()` is on (Book's writes and Sheet's cell writer look here).
STATE = {"on": False}

#: formula as the builder wrote it ("=..." ) -> prepared text, or None when xlsxwriter must
#: handle it itself (a dynamic-array or {array} formula)
_PREPARED: dict[str, str | None] = {}
#: (row, col, xf index, cell type, formula or None) -> the cell's XML up to its value
_HEADS: dict[tuple[Any, ...], str] = {}
#: (part name, bytes) -> (the zip entry as stored: local header and compressed data, its ZipInfo)
_PARTS: dict[tuple[str, bytes], tuple[bytes, zipfile.ZipInfo]] = {}
#: how much was made afresh and how much reused (the tests check that the reuse really happens)
STATS = {"heads_made": 0, "parts_stored": 0, "parts_reused": 0}
_MAX_ENTRIES = 400_000
#: (part name, size, hash) of the parts written once: a part is kept as stored when it comes again
_SEEN: dict[tuple[str, int, int], None] = {}
_MAX_PART_BYTES = 8 * 2**20
_MAX_STORED = 24 * 2**20   # the parts kept, in all

#: (class, text) of a formula's cached text -> the t="..." xlsxwriter gives it
_STR_TYPES: dict[tuple[type, str], str] = {}
_ERROR_CODES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")


def _bounded(cache: dict[Any, Any], limit: int = _MAX_ENTRIES) -> dict[Any, Any]:
    if len(cache) >= limit:
        cache.clear()
    return cache


def clear() -> None:
    """Forget every cached shape, as a fresh process starts (tests, benchmarks of a single build)."""
    from .. import fingerprint
    from . import common, layout, styles

    for cache in (_PREPARED, _HEADS, _ROW_TAGS, _STR_TYPES, _SI, _FINGERPRINTS, _DEFINED_NAMES,
                  _VT_DATA, _TITLES, _HEADINGS, _VALIDATIONS, _PARTS, _SEEN, layout._CELL_NAMES, fingerprint._NORMALISED,
                  layout._GOOD_NAMES, layout._GOOD_RULES, RULE_OF, styles._PROTOTYPES):
        cache.clear()
    common.text_lines.cache_clear()
    from . import cash_flow

    for cached in (_col_name, _cell_ref, _quote, cash_flow._month_count, cash_flow._revenue_months, cash_flow._expense_months):
        cached.cache_clear()
    _part_bytes[0] = 0


_part_bytes = [0]


_xl_col_to_name = xlsxwriter.utility.xl_col_to_name
_xl_rowcol_to_cell = xlsxwriter.utility.xl_rowcol_to_cell
_quote_sheetname = xlsxwriter.utility.quote_sheetname
#: xlsxwriter.utility's xl_col_to_name, xl_rowcol_to_cell and quote_sheetname, each answer made once:
#: the builders spell a cell reference for nearly every formula they write (about 15,000 a pair), and
#: functools' C cache answers one again without a Python frame. Bounded (least recently used go).
_col_name = functools.lru_cache(maxsize=100_000)(_xl_col_to_name)
_cell_ref = functools.lru_cache(maxsize=1_000_000)(_xl_rowcol_to_cell)
_quote = functools.lru_cache(maxsize=10_000)(_quote_sheetname)


def _swap_in_workbook_modules(old: Any, new: Any) -> list[tuple[Any, str]]:
    """Point every workbook-layer module's own name for `old` (imported by name) at `new`."""
    import sys

    swapped = []
    for name, module in list(sys.modules.items()):
        if module is None or name == __name__ or not (name.startswith(__package__ + ".") or name == __package__):
            continue
        for attr, value in list(vars(module).items()):
            if value is old:
                setattr(module, attr, new)
                swapped.append((module, attr))
    return swapped


_new_tuple = tuple.__new__


def put_formula(ws: Worksheet, row: int, col: int, text: str, fmt: Any, value: Any) -> int:
    """What Worksheet._write_formula does for "=" + text, a plain formula, with its text prepared
    once per batch; xlsxwriter's own path for anything else. Returns xlsxwriter's code (0 = written)."""
    prepared = _PREPARED.get(text, "")
    if prepared == "":
        formula = "=" + text
        if ws.use_future_functions:
            return ws._write_formula(row, col, formula, fmt, value)
        dynamic = _dynamic(formula) or (formula.startswith("{") and formula.endswith("}"))
        prepared = _bounded(_PREPARED)[text] = None if dynamic else ws._prepare_formula(formula)
    if prepared is None or ws.use_future_functions or ws.constant_memory:
        return ws._write_formula(row, col, "=" + text, fmt, value)
    # Worksheet._check_dimensions(row, col), inline (it is called for every cell)
    if row < 0 or col < 0 or row >= ws.xls_rowmax or col >= ws.xls_colmax:
        return -1
    if ws.dim_rowmin is None:
        ws.dim_rowmin = ws.dim_rowmax = row   # (set together, or neither, by _check_dimensions)
    else:
        if row < ws.dim_rowmin:
            ws.dim_rowmin = row
        elif row > ws.dim_rowmax:
            ws.dim_rowmax = row
    if ws.dim_colmin is None or col < ws.dim_colmin:
        ws.dim_colmin = col
    if ws.dim_colmax is None or col > ws.dim_colmax:
        ws.dim_colmax = col
    ws.table[row][col] = _new_tuple(CellFormulaTuple, (prepared, fmt, value))   # CellFormulaTuple(...), without its Python __new__
    return 0


def put_string(ws: Worksheet, row: int, col: int, string: str, fmt: Any) -> int:
    """Worksheet._write_string for a string of a sane length; xlsxwriter's own path otherwise."""
    if ws.constant_memory or len(string) > ws.xls_strmax // 2:
        return ws._write_string(row, col, string, fmt)
    # Worksheet._check_dimensions(row, col), inline (it is called for every cell)
    if row < 0 or col < 0 or row >= ws.xls_rowmax or col >= ws.xls_colmax:
        return -1
    if ws.dim_rowmin is None:
        ws.dim_rowmin = ws.dim_rowmax = row   # (set together, or neither, by _check_dimensions)
    else:
        if row < ws.dim_rowmin:
            ws.dim_rowmin = row
        elif row > ws.dim_rowmax:
            ws.dim_rowmax = row
    if ws.dim_colmin is None or col < ws.dim_colmin:
        ws.dim_colmin = col
    if ws.dim_colmax is None or col > ws.dim_colmax:
        ws.dim_colmax = col
    ws.table[row][col] = _new_tuple(CellStringTuple, (ws.str_table._get_shared_string_index(string), fmt))
    return 0


def put_number(ws: Worksheet, row: int, col: int, number: Any, fmt: Any) -> int:
    """Worksheet._write_number for a finite float or a 64-bit int; xlsxwriter's own path otherwise (NaN,
    infinities, a Fraction, an int too large for its float test)."""
    cls = number.__class__
    if ws.constant_memory or not ((cls is float and number - number == 0.0) or (cls is int and -2**63 <= number < 2**63)):
        return ws._write_number(row, col, number, fmt)
    # Worksheet._check_dimensions(row, col), inline (it is called for every cell)
    if row < 0 or col < 0 or row >= ws.xls_rowmax or col >= ws.xls_colmax:
        return -1
    if ws.dim_rowmin is None:
        ws.dim_rowmin = ws.dim_rowmax = row   # (set together, or neither, by _check_dimensions)
    else:
        if row < ws.dim_rowmin:
            ws.dim_rowmin = row
        elif row > ws.dim_rowmax:
            ws.dim_rowmax = row
    if ws.dim_colmin is None or col < ws.dim_colmin:
        ws.dim_colmin = col
    if ws.dim_colmax is None or col > ws.dim_colmax:
        ws.dim_colmax = col
    ws.table[row][col] = _new_tuple(CellNumberTuple, (number, fmt))
    return 0


def put_blank(ws: Worksheet, row: int, col: int, fmt: Any) -> int:
    """Worksheet._write_blank (nothing is written without a format)."""
    if fmt is None:
        return 0
    if ws.constant_memory:
        return ws._write_blank(row, col, None, fmt)
    # Worksheet._check_dimensions(row, col), inline (it is called for every cell)
    if row < 0 or col < 0 or row >= ws.xls_rowmax or col >= ws.xls_colmax:
        return -1
    if ws.dim_rowmin is None:
        ws.dim_rowmin = ws.dim_rowmax = row   # (set together, or neither, by _check_dimensions)
    else:
        if row < ws.dim_rowmin:
            ws.dim_rowmin = row
        elif row > ws.dim_rowmax:
            ws.dim_rowmax = row
    if ws.dim_colmin is None or col < ws.dim_colmin:
        ws.dim_colmin = col
    if ws.dim_colmax is None or col > ws.dim_colmax:
        ws.dim_colmax = col
    ws.table[row][col] = _new_tuple(CellBlankTuple, (fmt,))
    return 0


_original_write_cell = Worksheet._write_cell
_original_write_sheet_data = Worksheet._write_sheet_data

#: xlsxwriter's cell classes by the name its writer tells them apart by
_KIND_OF = {CellNumberTuple: "Number", CellDatetimeTuple: "Number", CellStringTuple: "String",
            CellFormulaTuple: "Formula", CellBlankTuple: "Blank"}
#: the <row ...> tag: (row, spans, row info, default and original heights, Excel version, empty) -> its XML
_ROW_TAGS: dict[tuple[Any, ...], str] = {}


def _row_tag(ws: Worksheet, row: int, span: str | None, info: Any, empty: bool) -> str:
    """Worksheet._write_row's tag, made once per row, span and row settings (xlsxwriter writes it)."""
    fmt = info.row_format if info else None
    key = (row, span, None if info is None else (info.height, fmt._get_xf_index() if fmt else None, info.hidden, info.level,
                                                  info.collapsed), ws.default_row_height, ws.original_row_height,
           ws.excel_version, empty)
    tag = _ROW_TAGS.get(key)
    if tag is None:
        fh, buf = ws.fh, io.StringIO()
        ws.fh = buf
        try:
            ws._write_row(row, span, info, empty_row=empty)
        finally:
            ws.fh = fh
        tag = _bounded(_ROW_TAGS, 200_000)[key] = buf.getvalue()
    return tag


def _cell_xml(ws: Worksheet, row: int, col: int, cell: Any, kind: str, out: list[str]) -> bool:
    """A cell's XML onto out as Worksheet._write_cell writes it, the part before the value made once
    per cell, format, type and formula; False when xlsxwriter must write the cell itself."""
    fmt = cell.format
    if not fmt:
        return False
    xf = fmt.xf_index
    if xf is None:
        xf = fmt._get_xf_index()
    if kind == "Formula":
        value = cell.value
        t = ""
        if isinstance(value, bool):   # the tests xlsxwriter makes, in its order (a TypedEmpty is not == "")
            t, value = ' t="b"', (1 if value else 0)
        elif isinstance(value, str):
            tkey = (value.__class__, value)   # a str subclass (layout.TypedEmpty) answers == its own way
            found = _STR_TYPES.get(tkey)
            if found is None:
                found = _bounded(_STR_TYPES, 100_000)[tkey] = ("" if value == "" else ' t="e"' if value in _ERROR_CODES
                                                               else ' t="str"')
            t = found
        key: tuple[Any, ...] = (row, col, xf, t, cell.formula)
        head = _HEADS.get(key)
        if head is None:
            STATS["heads_made"] += 1
            head = _bounded(_HEADS)[key] = (f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{xf}"{t}>'
                                            f"<f>{ws._escape_data(cell.formula)}</f><v>")
        if value.__class__ is float or value.__class__ is int:
            out.append(f"{head}{value}</v></c>")
        else:
            out.append(f"{head}{ws._escape_data(value)}</v></c>")
        return True
    key = (row, col, xf, kind)
    head = _HEADS.get(key)
    if head is None:
        STATS["heads_made"] += 1
        ref = xl_rowcol_to_cell_fast(row, col)
        head = _bounded(_HEADS)[key] = (f'<c r="{ref}" s="{xf}"/>' if kind == "Blank" else
                                        f'<c r="{ref}" s="{xf}" t="s"><v>' if kind == "String" else
                                        f'<c r="{ref}" s="{xf}"><v>')
    if kind == "Blank":
        out.append(head)
    elif kind == "String":
        out.append(f"{head}{cell.string}</v></c>")
    else:
        out.append(f"{head}{cell.number:.16G}</v></c>")
    return True


def write_cell(ws: Worksheet, row: int, col: int, cell: Any) -> None:
    """Worksheet._write_cell with the XML before the value made once per cell, format, type and formula."""
    kind = _KIND_OF.get(cell.__class__)
    out: list[str] = []
    if kind is None or not _cell_xml(ws, row, col, cell, kind, out):
        _original_write_cell(ws, row, col, cell)
        return
    ws.fh.write(out[0])


def _formula_head(ws: Worksheet, key: tuple[Any, ...]) -> str:
    """The XML of a formula cell with a number cached, up to the number: key (row, col, xf, "", formula)."""
    r, c, xf, _, formula = key
    STATS["heads_made"] += 1
    head = _bounded(_HEADS)[key] = f'<c r="{xl_rowcol_to_cell_fast(r, c)}" s="{xf}"><f>{ws._escape_data(formula)}</f><v>'
    return head


def _cell_head(key: tuple[Any, ...]) -> str:
    """A blank cell's XML, or a string's or a number's up to its value: key (row, col, xf, cell class)."""
    r, c, xf, cls = key
    STATS["heads_made"] += 1
    ref = xl_rowcol_to_cell_fast(r, c)
    head = _bounded(_HEADS)[key] = (f'<c r="{ref}" s="{xf}"/>' if cls is CellBlankTuple else
                                    f'<c r="{ref}" s="{xf}" t="s"><v>' if cls is CellStringTuple else f'<c r="{ref}" s="{xf}"><v>')
    return head


def _rows_and_spans(ws: Worksheet) -> tuple[list[int], dict[int, str], dict[int, list[int]]]:
    """The rows _write_rows writes (cells or row settings, in the used range), each 16-row block's
    spans and each row's columns in order, found from the cells written rather than by walking the
    whole used range (each row's columns sorted once, for its span and for writing it)."""
    table, lo, hi = ws.table, ws.dim_rowmin, ws.dim_rowmax
    spans: dict[int, list[int]] = {}
    order: dict[int, list[int]] = {}
    for r, cells in table.items():
        if cells and lo <= r <= hi:
            cols = order[r] = sorted(cells) if len(cells) > 1 else list(cells)
            first, last = cols[0], cols[-1]
            got = spans.get(r // 16)
            if got is None:
                spans[r // 16] = [first, last]
            else:
                if first < got[0]:
                    got[0] = first
                if last > got[1]:
                    got[1] = last
    rows = sorted(order.keys() | {r for r in ws.row_info if lo <= r <= hi})
    return rows, {block: f"{a + 1}:{b + 1}" for block, (a, b) in spans.items()}, order


def _xf(fmt: Any, memo: dict[Any, int]) -> int:
    """A format's xf index; a format equal to an earlier one has none of its own, and xlsxwriter
    works its index out from all its properties every time it is asked (memo: per sheet written)."""
    xf = memo.get(fmt)
    if xf is None:
        xf = memo[fmt] = fmt._get_xf_index()
    return xf


def write_sheet_data(ws: Worksheet) -> None:
    """Worksheet._write_sheet_data, the same XML: each row's tag and each cell's XML up to its value
    made once, joined and written at once (comments, constant memory: xlsxwriter's own)."""
    if ws.dim_rowmin is None or ws.comments or ws.constant_memory:
        _original_write_sheet_data(ws)
        return
    table, row_info = ws.table, ws.row_info
    rows, span_text, order = _rows_and_spans(ws)
    out: list[str] = ["<sheetData>"]
    memo: dict[Any, int] = {}
    for r in rows:
        cols = order.get(r)
        if cols is None:
            out.append(_row_tag(ws, r, span_text.get(r // 16), row_info.get(r), True))
            continue
        out.append(_row_tag(ws, r, span_text.get(r // 16), row_info.get(r), False))
        _row_cells(ws, r, table[r], cols, out, memo)
        out.append("</row>")
    out.append("</sheetData>")
    ws.fh.write("".join(out))


def _row_cells(ws: Worksheet, r: int, cells: dict[int, Any], cols: list[int], out: list[str], memo: dict[Any, int]) -> None:
    """One row's cells onto out, as Worksheet._write_cell writes them (the commonest kinds here)."""
    append, heads = out.append, _HEADS
    formula_cls, string_cls, blank_cls = CellFormulaTuple, CellStringTuple, CellBlankTuple
    for c in cols:
        cell = cells[c]
        cls = cell.__class__
        if cls is formula_cls:   # the commonest cells, written here (as _cell_xml would)
            formula, fmt, value = cell
            if fmt:
                vcls = value.__class__
                if vcls is float or vcls is int:
                    xf = fmt.xf_index
                    if xf is None:
                        xf = _xf(fmt, memo)
                    key: tuple[Any, ...] = (r, c, xf, "", formula)
                    head = heads.get(key) or _formula_head(ws, key)
                    append(f"{head}{value}</v></c>")
                    continue
        elif cls is string_cls or cls is blank_cls or cls is CellNumberTuple or cls is CellDatetimeTuple:
            fmt = cell[-1]
            if fmt:
                xf = fmt.xf_index
                if xf is None:
                    xf = _xf(fmt, memo)
                key = (r, c, xf, cls)
                head = heads.get(key) or _cell_head(key)
                if cls is blank_cls:
                    append(head)
                elif cls is string_cls:
                    append(f"{head}{cell[0]}</v></c>")
                else:
                    append(f"{head}{cell[0]:.16G}</v></c>")
                continue
        kind = _KIND_OF.get(cls)
        if kind is None or not _cell_xml(ws, r, c, cell, kind, out):
            ws.fh.write("".join(out))
            out.clear()
            _original_write_cell(ws, r, c, cell)


#: The zlib level of every workbook a Book writes (ordinary build, fill mode and batch alike, so
#: their files stay identical): level 1 compresses the sheet XML about three times faster than
#: zipfile's default 6, for files about a fifth larger (a Riverside pair 236 KB, not 200 KB).
COMPRESS_LEVEL = 1
#: set while a Book writes its file (Book.close): other xlsxwriter workbooks keep zipfile's default
BOOK_ZIP: contextvars.ContextVar[bool] = contextvars.ContextVar("pbp_book_zip", default=False)


class _BookZip(zipfile.ZipFile):
    """The zip xlsxwriter writes a workbook into: a Book's parts at COMPRESS_LEVEL."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None, compresslevel: Any = None) -> None:
        if compresslevel is None and BOOK_ZIP.get():
            compresslevel = COMPRESS_LEVEL
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)


xlsxwriter.workbook.ZipFile = _BookZip   # xlsxwriter looks its ZipFile up here when it closes a workbook


class _PartCachingZip(_BookZip):
    """The zip xlsxwriter writes its parts into: a part whose bytes were stored before (for another
    workbook of the shape) is copied in as stored, header and compressed data, not compressed again."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None, compresslevel: Any = None) -> None:
        me: Any = self  # zipfile's own bookkeeping (_writing, _seekable, _lock, _writecheck), as writestr keeps it
        if (not isinstance(zinfo_or_arcname, zipfile.ZipInfo) or compress_type is not None or compresslevel is not None
                or not BOOK_ZIP.get() or me._writing or not me._seekable or self.fp is None):
            super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)
            return
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        key = (zinfo_or_arcname.filename, raw)
        found = _PARTS.get(key)
        fp = self.fp
        if found is None:
            super().writestr(zinfo_or_arcname, raw)
            info = self.filelist[-1]
            seen = (key[0], len(raw), hash(raw))
            if seen not in _SEEN:  # kept from its second sighting on: a part that is never repeated
                _bounded(_SEEN)[seen] = None   # (a sheet with this partnership's values) costs no memory
                return
            if len(raw) <= _MAX_PART_BYTES and info.compress_type == self.compression:
                fp.seek(info.header_offset)
                stored = fp.read(self.start_dir - info.header_offset)
                fp.seek(self.start_dir)
                if _part_bytes[0] + len(stored) + len(raw) > _MAX_STORED:
                    _PARTS.clear()
                    _part_bytes[0] = 0
                _PARTS[key] = (stored, copy.copy(info))
                STATS["parts_stored"] += 1
                _part_bytes[0] += len(stored) + len(raw)
            return
        stored, template = found
        STATS["parts_reused"] += 1
        with me._lock:
            info = copy.copy(template)
            fp.seek(self.start_dir)
            info.header_offset = fp.tell()
            me._writecheck(info)
            self._didModify = True
            fp.write(stored)
            self.start_dir = fp.tell()
            self.filelist.append(info)
            self.NameToInfo[info.filename] = info


_original_write_sst_strings = xlsxwriter.sharedstrings.SharedStrings._write_sst_strings
_original_write_si = xlsxwriter.sharedstrings.SharedStrings._write_si
#: a shared string -> its <si> element as xlsxwriter writes it
_SI: dict[str, str] = {}


def write_sst_strings(sst: Any) -> None:
    """SharedStrings._write_sst_strings, each string's <si> element made once (most strings, the
    words of the sheets, come again in every workbook)."""
    fh, out = sst.fh, []
    try:
        for string in sst.string_table.string_array:
            si = _SI.get(string)
            if si is None:
                sst.fh = buf = io.StringIO()
                _original_write_si(sst, string)
                si = _bounded(_SI, 100_000)[string] = buf.getvalue()
            out.append(si)
    finally:
        sst.fh = fh
    fh.write("".join(out))


#: a workbook's (sheet, cell, formula) records as written, in order -> their fingerprint
_FINGERPRINTS: dict[tuple[tuple[str, str, str], ...], str] = {}


def fingerprint(formulas: list[tuple[str, str, str]]) -> str:
    """generator.fingerprint.fingerprint of a Book's formulas, made once per distinct set: every
    workbook of a shape writes the same formulas, and normalising and sorting them is the cost.
    The set is known by the records themselves, in order (a tuple of them is hashed and compared in
    C, faster than joining and hashing their text); a few shapes are kept, each about 1 MB."""
    from .. import fingerprint as fp

    key = tuple(formulas)
    found = _FINGERPRINTS.get(key)
    if found is None:
        found = _bounded(_FINGERPRINTS, 32)[key] = fp.fingerprint(formulas)
    return found


_PLAIN = (str, int, float, bool, type(None), datetime.datetime, datetime.date)   # (a date's repr is exact)


def _plain(value: Any) -> bool:
    if value.__class__ in _PLAIN:
        return True
    if value.__class__ in (list, tuple):
        return all(_plain(v) for v in value)
    if value.__class__ is dict:
        return all(k.__class__ is str and _plain(v) for k, v in value.items())
    return False


def plain_key(value: Any) -> str | None:
    """A key that tells a value made of strings, numbers, lists and dicts from any other (its repr,
    with the types spelt out); None for anything else (a repr may hide what an object holds)."""
    return repr(value) if _plain(value) else None


def _fragments(original: Any, key_of: Any, cache: dict[Any, str], limit: int) -> Any:
    """A method writing one XML element to self.fh, by a pure function of its argument (or, for a
    method without one, of the writer's state that key_of reads from the writer), made once per
    key: the element xlsxwriter writes, kept as text."""
    def write(self: Any, *arg: Any) -> None:
        key = key_of(*arg) if arg else key_of(self)
        if key is None:
            original(self, *arg)
            return
        text = cache.get(key)
        if text is None:
            fh = self.fh
            self.fh = buf = io.StringIO()
            try:
                original(self, *arg)
            finally:
                self.fh = fh
            text = _bounded(cache, limit)[key] = buf.getvalue()
        self.fh.write(text)
    return write


def _name_key(d: Any) -> Any:
    """The key of a defined name as Workbook._prepare_defined_names leaves it, [name, sheet index,
    formula, hidden]: the record itself when of those exact types, else plain_key."""
    if (len(d) == 4 and d[0].__class__ is str and d[1].__class__ is int and d[2].__class__ is str
            and d[3].__class__ is bool):
        return (d[0], d[1], d[2], d[3])
    return plain_key(tuple(d))


#: id of the options xlsxwriter made of a validation rule, shared by every sheet given the rule
#: (layout.Book.validate) -> (those options, kept alive so the id stays theirs; the rule's key)
RULE_OF: dict[int, tuple[dict[str, Any], str]] = {}


def _validation_key(options: Any) -> Any:
    """A data validation's key: the rule it was made of (its options are a function of the rule),
    else plain_key of the options."""
    found = RULE_OF.get(id(options))
    if found is not None and found[0] is options:
        return ("rule", found[1])
    return plain_key(options)


def _titles_key(app: Any) -> Any:
    """docProps/app.xml's <TitlesOfParts> lists the sheet and defined names (App.part_names) alone:
    about 250 names, the same for every workbook of a shape. (The rest of the part is small, and
    names the partnership: its company.)"""
    names = tuple(app.part_names)
    return names if all(n.__class__ is str for n in names) else None


def _headings_key(app: Any) -> Any:
    """<HeadingPairs> is made of App.heading_pairs alone."""
    return plain_key(app.heading_pairs)


_TITLES: dict[Any, str] = {}
_HEADINGS: dict[Any, str] = {}
_DEFINED_NAMES: dict[Any, str] = {}
_VT_DATA: dict[Any, str] = {}
_VALIDATIONS: dict[Any, str] = {}
_FRAGMENT_WRITERS = (   # (class, method, key of its argument, cache, most entries kept)
    (xlsxwriter.workbook.Workbook, "_write_defined_name", _name_key, _DEFINED_NAMES, 50_000),
    (xlsxwriter.app.App, "_write_vt_data", plain_key, _VT_DATA, 50_000),
    (Worksheet, "_write_data_validation", _validation_key, _VALIDATIONS, 50_000),
    # methods without an argument, keyed by the writer's state (a few kB an entry: fewer kept)
    (xlsxwriter.app.App, "_write_titles_of_parts", _titles_key, _TITLES, 1_000),
    (xlsxwriter.app.App, "_write_heading_pairs", _headings_key, _HEADINGS, 1_000),
)


_USERS = [0]
_USERS_LOCK = threading.Lock()


@contextmanager
def filling() -> Iterator[None]:
    """Fill mode for the workbooks built inside (a batch worker's whole life): the per-shape work
    is done once and reused. The files written are the ones an ordinary build writes.

    Counted, not nested: the web page builds in several threads at once, and the swapped
    functions go back only when the last build inside has finished (a build half written in
    fill mode cannot be closed by the ordinary writer)."""
    with _USERS_LOCK:
        _USERS[0] += 1
        if _USERS[0] == 1:
            _switch_on()
    try:
        yield
    finally:
        with _USERS_LOCK:
            _USERS[0] -= 1
            if _USERS[0] == 0:
                _switch_off()


_SAVED: dict[str, Any] = {}


def _switch_on() -> None:
    from .layout import Sheet

    STATE["on"] = True
    _SAVED["zip"] = xlsxwriter.workbook.ZipFile
    xlsxwriter.workbook.ZipFile = _PartCachingZip
    Sheet._write_cell = write_cell
    Sheet._write_sheet_data = write_sheet_data
    xlsxwriter.sharedstrings.SharedStrings._write_sst_strings = write_sst_strings
    _SAVED["fragments"] = [(cls, name, cls.__dict__[name]) for cls, name, *_ in _FRAGMENT_WRITERS]
    for cls, name, key_of, cache, most in _FRAGMENT_WRITERS:
        setattr(cls, name, _fragments(cls.__dict__[name], key_of, cache, most))
    _SAVED["col_name"] = xlsxwriter.utility.xl_col_to_name
    xlsxwriter.utility.xl_col_to_name = _col_name  # the builders' cell references, each column spelt once
    from . import cash_flow, full_cost, inputs, projections  # noqa: F401  (imported, so their names are swapped)

    _SAVED["swapped"] = [(module, attr, _xl_rowcol_to_cell) for module, attr in _swap_in_workbook_modules(_xl_rowcol_to_cell, _cell_ref)]
    _SAVED["swapped"] += [(module, attr, _xl_col_to_name) for module, attr in _swap_in_workbook_modules(_xl_col_to_name, _col_name)]
    _SAVED["swapped"] += [(module, attr, _quote_sheetname) for module, attr in _swap_in_workbook_modules(_quote_sheetname, _quote)]


def _switch_off() -> None:
    from .layout import Sheet

    for module, attr, original in _SAVED.pop("swapped"):
        setattr(module, attr, original)
    xlsxwriter.utility.xl_col_to_name = _SAVED.pop("col_name")
    del Sheet._write_cell
    del Sheet._write_sheet_data
    xlsxwriter.sharedstrings.SharedStrings._write_sst_strings = _original_write_sst_strings
    for cls, name, original in _SAVED.pop("fragments"):
        setattr(cls, name, original)
    xlsxwriter.workbook.ZipFile = _SAVED.pop("zip")
    STATE["on"] = False


#: whether start() has run in this process. (It once entered filling() and dropped the context
#: manager, whose generator the garbage collector then closed at once, switching fill mode off
#: again: each build switched it on and off for itself.)
_STARTED: list[bool] = []


def start() -> None:
    """Fill mode on for the rest of this process (a batch worker): one user that never leaves."""
    with _USERS_LOCK:
        if _STARTED:
            return
        _STARTED.append(True)
        _USERS[0] += 1
        if _USERS[0] == 1:
            _switch_on()
