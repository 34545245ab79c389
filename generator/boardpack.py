"""A print copy of a workbook for `pbp-toolkit pdf`: the board pack (output sheets only) or
every sheet, with a cover line naming the partnership and the date, and the empty spare rows
of input tables left out (a few kept, to show where more would go).

The copy is made by editing the package's XML (sheet states, row flags, page headers), never
by loading and re-saving it with a library that would drop its charts. The workbook itself is
not changed: on screen every spare row stays where the user types.
"""
from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl

from .kinds import KINDS

#: Output sheets of each workbook kind, in print order (the board pack).
BOARD_SHEETS: dict[str, list[str]] = {kind.template_id: list(kind.board_sheets) for kind in KINDS}
#: Input tables whose empty spare rows are left out of print: prefix of their defined names.
TABLES = ("Staff", "Exp", "Rev", "Unf", "FA", "Debt", "CC", "OT")
SPARE_PRINTED = 3

_SHEET = re.compile(r'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"[^>]*/>')


def _meta(wb: openpyxl.Workbook) -> dict[str, str]:
    if "Metadata" not in wb.sheetnames:
        return {}
    ws = wb["Metadata"]
    return {str(r[0].value): str(r[1].value or "") for r in ws.iter_rows(min_row=2, max_col=2) if r[0].value}


def _name_value(wb: openpyxl.Workbook, name: str) -> str:
    if name not in wb.defined_names:
        return ""
    dest = next(iter(wb.defined_names[name].destinations), None)
    if not dest:
        return ""
    value = wb[dest[0]][dest[1].replace("$", "").split(":")[0]].value
    return "" if value is None else str(value)


def _spare_rows(wb: openpyxl.Workbook, spare: int) -> dict[str, set[int]]:
    """Sheet -> 1-based rows of input tables that are empty, beyond the first `spare` empty ones.

    A table's names may span sheets (the Cash Flow sheet's timing columns sit beside a mirror of
    the Revenue and Expenses rows): an entry counts as filled when any of its cells, on any
    sheet, is a filled input, and the same entries are left out on every sheet."""
    out: dict[str, set[int]] = {}
    by_table: dict[str, list[tuple[str, str]]] = {}
    for name in wb.defined_names:
        prefix = name.split("_", 1)[0]
        if prefix in TABLES and "_" in name:
            dest = next(iter(wb.defined_names[name].destinations), None)
            if dest and ":" in dest[1]:
                by_table.setdefault(prefix, []).append(dest)
    for dests in by_table.values():
        filled: dict[int, bool] = {}          # entry index -> filled anywhere
        rows: dict[str, set[tuple[int, int]]] = {}   # sheet -> (entry index, sheet row)
        for sheet, ref in dests:
            ws = wb[sheet]
            for i, row in enumerate(ws[ref.replace("$", "")]):
                for c in row:
                    rows.setdefault(sheet, set()).add((i, c.row))
                    done = c.value not in (None, "") and c.protection.locked is False
                    filled[i] = filled.get(i, False) or done
        last = max((i for i, f in filled.items() if f), default=-1)
        for sheet, entries in rows.items():
            out.setdefault(sheet, set()).update(r for i, r in entries if i > last + spare)
    return out


def _hide_rows(xml: str, rows: set[int]) -> str:
    def flag(m: re.Match[str]) -> str:
        tag = m.group(0)
        r = int(m.group(1))
        if r not in rows or 'hidden="1"' in tag:
            return tag
        return tag[:-1] + ' hidden="1">' if not tag.endswith("/>") else tag[:-2] + ' hidden="1"/>'
    return re.sub(r'<row r="(\d+)"[^>]*?/?>', flag, xml)


def _add_header(xml: str, text: str) -> str:
    header = f"<oddHeader>{escape('&L' + text.replace('&', '&&'))}</oddHeader>"
    if "<headerFooter" not in xml:
        return xml
    xml = re.sub(r"<oddHeader>.*?</oddHeader>", "", xml)
    return re.sub(r"(<headerFooter[^>]*>)", r"\1" + header.replace("\\", r"\\"), xml, count=1)


def _sheet_tag(book: str, name: str) -> str:
    """The <sheet .../> element of a sheet in workbook.xml."""
    found = re.search(rf'<sheet [^>]*?name="{re.escape(name)}"[^>]*/>', book)
    if found is None:
        raise ValueError(f"workbook.xml has no sheet {name!r}")
    return found.group(0)


def _reorder(book: str, names: list[str], first: list[str]) -> str:
    """Put the board sheets first, in board order (LibreOffice prints in tab order); sheet-local
    names (print titles, print areas) follow their sheets."""
    order = [n for n in first if n in names] + [n for n in names if n not in first]
    new_index = {names.index(n): i for i, n in enumerate(order)}
    elements = {name: _sheet_tag(book, name) for name in names}
    found = re.search(r"<sheets>.*?</sheets>", book, re.S)
    if found is None:
        raise ValueError("workbook.xml has no sheets")
    block = found.group(0)
    book = book.replace(block, "<sheets>" + "".join(elements[n] for n in order) + "</sheets>")
    book = re.sub(r'localSheetId="(\d+)"', lambda m: f'localSheetId="{new_index[int(m.group(1))]}"', book)
    return re.sub(r'activeTab="\d+"', 'activeTab="0"', book)


def print_copy(src: Path, dst: Path, all_sheets: bool = False, when: dt.date | None = None,
               spare: int = SPARE_PRINTED) -> Path:
    """Write the print copy of `src` to `dst`: the board pack, or every sheet with `all_sheets`."""
    src, dst = Path(src), Path(dst)
    with warnings.catch_warnings():   # openpyxl drops sparklines it reads; the copy is made from the zip parts, which keep them
        warnings.filterwarnings("ignore", message="Sparkline Group extension", category=UserWarning)
        wb = openpyxl.load_workbook(src)
    meta = _meta(wb)
    template = meta.get("template_id", "")
    org = _name_value(wb, "In_OrgName") or ("Partnership portfolio" if {"Portfolio", "Trends"} & set(wb.sheetnames) else "")
    when = when or dt.date.today()
    cover = f"{'Board pack' if not all_sheets else 'Printed'}: {org or 'not named yet'} - {when.day} {when:%B %Y}"
    keep = None if all_sheets or template not in BOARD_SHEETS else BOARD_SHEETS[template]
    hidden_rows = _spare_rows(wb, spare)
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    book = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    targets = dict(re.findall(r'<Relationship [^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'<Relationship [^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    sheets = _SHEET.findall(book)
    first_kept = None
    for index, (name, rid) in enumerate(sheets):
        name_text = name.replace("&amp;", "&")
        part = "xl/" + targets[rid].lstrip("/").removeprefix("xl/")
        xml = parts[part].decode()
        shown = keep is None or name_text in keep
        tag = _sheet_tag(book, name)
        if not shown:
            if 'state="' not in tag:
                book = book.replace(tag, tag.replace("<sheet ", '<sheet state="hidden" ', 1), 1)
        elif 'state="hidden"' not in tag:
            first_kept = index if first_kept is None else first_kept
            xml = _add_header(xml, cover)
            xml = _hide_rows(xml, hidden_rows.get(name_text, set()))
        xml = xml.replace('tabSelected="1"', 'tabSelected="0"')
        parts[part] = xml.encode()
    if first_kept is not None:
        book = re.sub(r'activeTab="\d+"', f'activeTab="{first_kept}"', book)
        if "activeTab=" not in book:
            book = book.replace("<workbookView ", f'<workbookView activeTab="{first_kept}" ', 1)
    if keep:
        # a hidden sheet with a print area would still print in LibreOffice: drop those print areas
        left_out = {i for i, (n, _) in enumerate(sheets) if n.replace("&amp;", "&") not in keep}
        book = re.sub(r'<definedName name="_xlnm\.Print_Area" localSheetId="(\d+)"[^>]*>[^<]*</definedName>',
                      lambda m: "" if int(m.group(1)) in left_out else m.group(0), book)
        book = _reorder(book, [n for n, _ in sheets], keep)
    parts["xl/workbook.xml"] = book.encode()
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for n, data in parts.items():
            out.writestr(n, data)
    return dst
