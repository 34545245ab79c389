"""Edit a built workbook with openpyxl as a user would: by defined name, then save."""
from __future__ import annotations

import re
from typing import Any

from openpyxl.utils.cell import range_boundaries

_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^!]+))!(\$?[A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)$")


def target(wb: Any, name: str) -> tuple[Any, int, int, int, int]:
    """(worksheet, min_col, min_row, max_col, max_row) of a workbook-scoped defined name."""
    text = wb.defined_names[name].attr_text
    m = _REF.match(text)
    if not m:
        raise ValueError(f"{name} -> {text} is not a plain range")
    sheet = (m.group(1) or m.group(2)).replace("''", "'")
    c1, r1, c2, r2 = range_boundaries(m.group(3).replace("$", ""))
    return wb[sheet], c1, r1, c2, r2


def cell(wb: Any, name: str, index: int = 0) -> Any:
    """The index-th cell (row-major) of a named range: a row's entry in a column, or a year's value."""
    ws, c1, r1, c2, r2 = target(wb, name)
    width = c2 - c1 + 1
    return ws.cell(row=r1 + index // width, column=c1 + index % width)


def set_value(wb: Any, name: str, value: Any, index: int = 0) -> None:
    """Type a value into a named input cell (or the index-th cell of a named column)."""
    cell(wb, name, index).value = value


def foreign_workbook(path: Any) -> Any:
    """A plain spreadsheet that is not one of the toolkit's workbooks."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "Budget"
    wb.save(path)
    return path


def set_saved_time(path: Any, when: str) -> None:
    """Rewrite a workbook's saved time (docProps/core.xml dcterms:modified, W3CDTF such as
    2026-03-01T09:00:00Z) in place, as though it had been saved then."""
    import zipfile
    from pathlib import Path

    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data, n = re.subn(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + when.encode() + rb"\g<2>", data)
                assert n == 1, "no dcterms:modified in docProps/core.xml"
            zf.writestr(info, data)


def set_values(path: Any, edits: Any) -> Any:
    """Type each (defined name, value, row index) into the workbook at path, as a user would, and save it."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for name, value, index in edits:
        set_value(wb, name, value, index)
    wb.save(path)
    return path
