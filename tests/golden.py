"""Golden files: a reviewed, human-readable dump of every example workbook.

A dump lists, per sheet, each cell (value or formula, with a short style id), the data
validations, conditional formats, print settings and charts, and for the workbook its
defined names and style table. Volatile metadata (build time, generator version,
formula fingerprint) is left out, so a dump changes only when what a user meets changes.

    python -m tests.golden            # compare fresh builds with tests/golden/, print diffs
    python -m tests.golden --update   # rewrite tests/golden/ (commit with the reason)
"""
from __future__ import annotations

import difflib
import io
import posixpath
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator

from defusedxml import ElementTree as ET
from openpyxl import load_workbook

from generator.recorded import is_part

GOLDEN_DIR = Path(__file__).parent / "golden"
VOLATILE_METADATA = {"build_time", "generator_version", "formula_fingerprint"}
NS = {
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
}


def _style_key(cell: Any) -> str:
    """The parts of a cell's format a reader sees, as one line."""
    f, fill, al, pr = cell.font, cell.fill, cell.alignment, cell.protection
    parts = [f"fmt={cell.number_format}"]
    if f.b:
        parts.append("bold")
    if f.i:
        parts.append("italic")
    if f.sz and float(f.sz) != 11:
        parts.append(f"size={float(f.sz):g}")
    if f.color is not None and f.color.rgb not in (None, "FF000000") and isinstance(f.color.rgb, str):
        parts.append(f"color={f.color.rgb}")
    if fill is not None and fill.fill_type:
        parts.append(f"fill={fill.fgColor.rgb}")
    if al.wrap_text:
        parts.append("wrap")
    if al.horizontal:
        parts.append(f"h={al.horizontal}")
    if al.vertical:
        parts.append(f"v={al.vertical}")
    if al.indent:
        parts.append(f"indent={al.indent:g}")
    for side in ("top", "bottom", "left", "right"):
        b = getattr(cell.border, side)
        if b is not None and b.style:
            parts.append(f"border-{side}={b.style}")
    if not pr.locked:
        parts.append("unlocked")
    return " ".join(parts)


def _value(cell: Any, cached: Any) -> str:
    v = cell.value
    if isinstance(v, str) and v.startswith("="):
        return f"{v}  -> {cached!r}"
    if hasattr(v, "text"):  # ArrayFormula
        return f"{{{v.text}}} {v.ref}  -> {cached!r}"
    return repr(v)


def _charts(data: bytes) -> dict[str, list[str]]:
    """Sheet name -> a few lines per chart (type, title, alt text, series references)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())

    def rels(part: str) -> dict[str, str]:
        rp = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        if rp not in names:
            return {}
        root = ET.fromstring(zf.read(rp))
        return {r.get("Id"): posixpath.normpath(posixpath.join(posixpath.dirname(part), r.get("Target")))
                for r in root.findall("rel:Relationship", NS)}

    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    wb_rels = rels("xl/workbook.xml")
    out: dict[str, list[str]] = {}
    for sh in wb.findall("m:sheets/m:sheet", NS):
        part = wb_rels[sh.get(f"{{{NS['r']}}}id")]
        for target in rels(part).values():
            if "/drawings/" not in target:
                continue
            drawing = ET.fromstring(zf.read(target))
            d_rels = rels(target)
            for anchor in drawing:
                frame = anchor.find("xdr:graphicFrame", NS)
                if frame is None:
                    continue
                pr = frame.find("xdr:nvGraphicFramePr/xdr:cNvPr", NS)
                frm = anchor.find("xdr:from", NS)
                where = "?" if frm is None else f"col {frm.findtext('xdr:col', namespaces=NS)} row {frm.findtext('xdr:row', namespaces=NS)}"
                chart_ref = frame.find(".//c:chart", NS)
                chart = ET.fromstring(zf.read(d_rels[chart_ref.get(f"{{{NS['r']}}}id")]))
                plot = chart.find(".//c:plotArea", NS)
                kinds = [el.tag.split("}")[1] for el in plot if el.tag.endswith("Chart")]
                title = "".join(t.text or "" for t in chart.findall("c:chart/c:title//a:t", NS))
                lines = [f"chart at {where}: {'+'.join(kinds)} title={title!r} alt={pr.get('descr')!r}"]
                for ser in plot.iter(f"{{{NS['c']}}}ser"):
                    refs = [f"{k}={ser.findtext(f'c:{k}//c:f', namespaces=NS)}" for k in ("tx", "cat", "val")
                            if ser.findtext(f"c:{k}//c:f", namespaces=NS)]
                    lines.append("  series " + " ".join(refs))
                out.setdefault(sh.get("name"), []).extend(lines)
    return out


def dump(path: Path) -> str:
    """The golden text of one workbook."""
    data = path.read_bytes()
    wb = load_workbook(io.BytesIO(data))
    cached = load_workbook(io.BytesIO(data), data_only=True)
    styles: dict[str, str] = {}
    lines: list[str] = [f"# {path.name}", "", "## defined names"]
    for name, dn in sorted(wb.defined_names.items()):
        lines.append(f"{name} = {dn.attr_text}")
    charts = _charts(data)
    for ws in wb.worksheets:
        cws = cached[ws.title]
        lines += ["", f"## sheet {ws.title!r} state={ws.sheet_state}"]
        lines.append(f"freeze={ws.freeze_panes} protected={ws.protection.sheet} zoom={ws.sheet_view.zoomScale}")
        ps, pm = ws.page_setup, ws.print_options
        lines.append(f"print: orientation={ps.orientation} fitToWidth={ps.fitToWidth} fitToHeight={ps.fitToHeight} "
                     f"scale={ps.scale} area={ws.print_area} titles={ws.print_title_rows}/{ws.print_title_cols} "
                     f"gridlines={pm.gridLines} footer={ws.oddFooter.center.text!r}")
        breaks = [b.id for b in ws.row_breaks.brk]
        if breaks:
            lines.append(f"row breaks: {breaks}")
        widths = {k: round(d.width, 2) for k, d in sorted(ws.column_dimensions.items()) if d.width}
        lines.append(f"widths: {widths}")
        heights = {k: d.height for k, d in sorted(ws.row_dimensions.items()) if d.height}
        if heights:
            lines.append(f"heights: {heights}")
        if ws.merged_cells.ranges:
            lines.append(f"merged: {sorted(str(r) for r in ws.merged_cells.ranges)}")
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None and cell.style_id == 0:
                    continue
                if ws.title == "Metadata" and cell.column == 2:
                    key = ws.cell(cell.row, 1).value
                    if key in VOLATILE_METADATA:
                        continue
                    if is_part(str(key)):   # the recorded inputs, compressed: inputs_sha256 stands for them
                        lines.append(f"{cell.coordinate} (recorded inputs, {len(str(cell.value))} characters)")
                        continue
                sid = styles.setdefault(_style_key(cell), f"s{len(styles) + 1}")
                text = "" if cell.value is None else _value(cell, cws[cell.coordinate].value)
                lines.append(f"{cell.coordinate} [{sid}] {text}".rstrip())
        for dv in ws.data_validations.dataValidation:
            lines.append(f"validation {dv.sqref}: type={dv.type} op={dv.operator} f1={dv.formula1} f2={dv.formula2} "
                         f"blank={dv.allow_blank} prompt={dv.prompt!r} error={dv.error!r}")
        for rng, rules in ws.conditional_formatting._cf_rules.items():
            for rule in rules:
                lines.append(f"conditional {rng.sqref}: type={rule.type} op={rule.operator} formula={rule.formula}")
        lines += charts.get(ws.title, [])
    lines += ["", "## styles"] + [f"{sid}: {key}" for key, sid in styles.items()]
    return "\n".join(lines) + "\n"


def golden_builds(outdir: Path) -> Iterator[Path]:
    """Build every example workbook, both kinds, plus the blanks, with no build time recorded."""
    from generator.build import blank_partnership, build_workbooks, example_names, example_path
    from generator.schema import load_partnership

    for name in example_names():
        yield from build_workbooks(load_partnership(example_path(name)), outdir)
    yield from build_workbooks(blank_partnership(), outdir, blank=True)


def diffs(update: bool = False) -> list[str]:
    """Readable diffs between fresh builds and tests/golden/ (rewriting it when update is True)."""
    found = []
    with tempfile.TemporaryDirectory(prefix="pbp-golden-") as tmp:
        built = list(golden_builds(Path(tmp)))
        expected_files = {p.name for p in GOLDEN_DIR.glob("*.txt")}
        for path in built:
            text = dump(path)
            golden = GOLDEN_DIR / f"{path.stem}.txt"
            expected_files.discard(golden.name)
            if update:
                GOLDEN_DIR.mkdir(exist_ok=True)
                golden.write_text(text, encoding="utf-8")
                continue
            old = golden.read_text(encoding="utf-8") if golden.exists() else ""
            if old != text:
                found.append("".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                          f"golden/{golden.name}", f"fresh build of {path.name}", n=1)))
        for stale in sorted(expected_files):
            if update:
                (GOLDEN_DIR / stale).unlink()
            else:
                found.append(f"golden/{stale}: no workbook of that name is built any more\n")
    return found


if __name__ == "__main__":
    result = diffs(update="--update" in sys.argv)
    sys.stdout.write("".join(result) or ("golden files rewritten\n" if "--update" in sys.argv else "golden files match\n"))
    sys.exit(1 if result else 0)
