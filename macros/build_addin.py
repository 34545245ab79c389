"""Build the Excel add-in `PBP Toolkit.xlam` and macro-enabled copies (.xlsm) of the workbooks, on Linux.

Both start from xlwings' BSD-licensed templates inside the INSTALLED xlwings package
(nothing binary is kept in this repository):

- the add-in from `quickstart_addin_ribbon.xlam`: its VBA project keeps xlwings' own
  modules (`xlwings`, `Dictionary`, with their licence notices) and the document modules,
  drops the template's example callback (`RibbonMyAddin`), and gains macros/vba/*.bas;
  its ribbon becomes the tab made from macros/buttons.py;
- an .xlsm from a built .xlsx plus the VBA of `quickstart_standalone.xlsm` (xlwings'
  stand-alone module, which needs no add-in), document modules for the workbook and
  every sheet, macros/vba/*.bas, the same ribbon tab, and xlwings' configuration sheet
  (`_xlwings.conf`: inactive until renamed `xlwings.conf`, as in xlwings' own template).

The VBA modules are compiled into a new vbaProject.bin by macros/ovba.py (source-only
modules, p-code cache invalidated: Office compiles the project on first open).

One change is made to xlwings' add-in module: `PROJECT_NAME` "myaddin" becomes
"xlwings", so the add-in reads the same settings as xlwings itself (the active
workbook's `xlwings.conf` sheet, `xlwings.conf` beside it, `~/.xlwings/xlwings.conf`).

Usage: python -m macros.build_addin [--out dist] [WORKBOOK.xlsx ...]
"""
from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from generator.fileio import atomic_write

from .ovba import WORKBOOK_BASE, WORKSHEET_BASE, Module, VbaProject, document_module

HERE = Path(__file__).resolve().parent
VBA_DIR = HERE / "vba"
ADDIN_NAME = "PBP Toolkit.xlam"
PROJECT_NAME = "PBPToolkit"
ADDIN_TEMPLATE = "quickstart_addin_ribbon.xlam"
STANDALONE_TEMPLATE = "quickstart_standalone.xlsm"
TEMPLATE_EXAMPLE_MODULES = ("RibbonMyAddin",)   # the template's sample callback, replaced by PBPRibbon
STANDALONE_EXAMPLE_MODULES = ("Module1",)        # the stand-alone template's sample macro
CONF_SHEET = "_xlwings.conf"
XLWINGS_PROJECT_NAME_LINE = 'Public Const PROJECT_NAME As String = "{}"'

CT_ADDIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
CT_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_VBA = "application/vnd.ms-office.vbaProject"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_UI = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"  # for a 2006/01 customUI part
#: Every ribbon relationship type: Office 2007's, which our customUI part needs, and Office 2010's,
#: which xlwings' template uses; a package must keep only one, or Excel may load two ribbons.
REL_UI_ANY = re.compile(r"http://schemas\.microsoft\.com/office/\d{4}/relationships/ui/extensibility")
REL_SHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


class AddinBuildError(RuntimeError):
    """The add-in or an .xlsm cannot be built (xlwings missing, a template changed shape, a bad .bas)."""


# ----------------------------------------------------------------------------- sources


def xlwings_dir() -> Path:
    """The installed xlwings package (its templates are taken from here at build time)."""
    try:
        import xlwings
    except ImportError:
        raise AddinBuildError("xlwings is not installed: pip install 'pbp-toolkit[addin]'") from None
    return Path(xlwings.__file__).resolve().parent


def xlwings_version() -> str:
    import xlwings

    return xlwings.__version__


def bas_modules() -> list[Module]:
    """Our standard modules (stored with CRLF line ends): macros/vba/*.bas, the button Subs filled in
    from macros/buttons.py, and the PBPRibbon callbacks made from the same table."""
    from .buttons import SUBS_MARKER, action_subs, ribbon_module

    out = [Module("PBPRibbon", "Module", bas_source(ribbon_module()))]
    for path in sorted(VBA_DIR.glob("*.bas")):
        module = read_bas(path)
        if SUBS_MARKER in module.source:
            module = dataclasses.replace(module, source=bas_source(module.source.replace(SUBS_MARKER, action_subs())))
        out.append(module)
    if len(out) == 1:
        raise AddinBuildError(f"no .bas modules in {VBA_DIR}")
    return sorted(out, key=lambda m: m.name)


def bas_source(text: str) -> str:
    """How a .bas file's text is stored in the project: every line ending CRLF, ending with one."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return "\r\n".join(lines) + "\r\n"


def read_bas(path: Path) -> Module:
    """A .bas file as a module; its first line must be `Attribute VB_Name = "<file stem>"`."""
    raw = path.read_bytes()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise AddinBuildError(f"{path}: VBA sources must be plain ASCII (VBA stores them in the ANSI code page)") from None
    first = text.splitlines()[0] if text else ""
    m = re.fullmatch(r'Attribute VB_Name = "([A-Za-z][A-Za-z0-9_]*)"', first)
    if not m or m.group(1) != path.stem:
        raise AddinBuildError(f'{path}: the first line must be Attribute VB_Name = "{path.stem}"')
    return Module(path.stem, "Module", bas_source(text))


def ribbon_xml() -> bytes:
    """The ribbon tab (customUI part), made from macros/buttons.py."""
    from .buttons import ribbon_xml as made

    return made()


def _read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _write_zip(parts: dict[str, bytes], target: Path) -> Path:
    """Write the package deterministically ([Content_Types].xml first, fixed timestamps)."""
    order = ["[Content_Types].xml"] + sorted(k for k in parts if k != "[Content_Types].xml")

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name in order:
                info = zipfile.ZipInfo(name, FIXED_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, parts[name])

    return atomic_write(target, write)


def _sub_once(pattern: str, repl: str, text: str, what: str, flags: int = 0) -> str:
    new, count = re.subn(pattern, repl, text, count=1, flags=flags)
    if count != 1:
        raise AddinBuildError(f"xlwings template changed shape: cannot find {what}")
    return new


# ----------------------------------------------------------------------------- package parts


def _add_relationship(rels: str, rel_type: str, target: str) -> str:
    """Add a relationship (unless one of this type and target exists); returns the new XML."""
    if f'Type="{rel_type}"' in rels and f'Target="{target}"' in rels:
        return rels
    used = {int(n) for n in re.findall(r'Id="rId(\d+)"', rels)}
    rid = f"rId{max(used, default=0) + 1}"
    return rels.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{rel_type}" Target="{target}"/></Relationships>')


def _set_override(types: str, part: str, content_type: str) -> str:
    pattern = rf'<Override PartName="{re.escape(part)}" ContentType="[^"]*"\s*/>'
    entry = f'<Override PartName="{part}" ContentType="{content_type}"/>'
    if re.search(pattern, types):
        return re.sub(pattern, entry, types)
    return types.replace("</Types>", entry + "</Types>")


def _core_xml(title: str) -> bytes:
    """Document properties; the description records the xlwings version the VBA calls."""
    description = f"Built with xlwings {xlwings_version()}: install that version in the Python environment Excel uses."
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>Place-Based Partnerships Toolkit</dc:creator>"
        f"<dc:description>{escape(description)}</dc:description>"
        '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def _with_customui(parts: dict[str, bytes]) -> None:
    parts["customUI/customUI.xml"] = ribbon_xml()
    rels = parts["_rels/.rels"].decode()
    rels = re.sub(r'<Relationship [^>]*Type="' + REL_UI_ANY.pattern + r'"[^>]*/>', "", rels)
    parts["_rels/.rels"] = _add_relationship(rels, REL_UI, "customUI/customUI.xml").encode()


def _customise_xlwings_module(project: VbaProject) -> None:
    """Point xlwings' add-in module at xlwings' own configuration (see the module docstring)."""
    try:
        module = project.module("xlwings")
    except KeyError:
        raise AddinBuildError("xlwings template changed shape: no module named xlwings") from None
    # (the template stores this module with LF line ends, the others with CRLF: both are kept as they are)
    pattern = r'^Public Const PROJECT_NAME As String = "[^"]*"(?=\r?$)'
    if len(re.findall(pattern, module.source, flags=re.M)) != 1:
        raise AddinBuildError("xlwings template changed shape: PROJECT_NAME constant not found exactly once")
    module.source = re.sub(pattern, XLWINGS_PROJECT_NAME_LINE.format("xlwings"), module.source, flags=re.M)


# ----------------------------------------------------------------------------- the add-in


def addin_project() -> VbaProject:
    """The add-in's VBA project: xlwings' template project, our modules, its example callback removed."""
    template = _read_zip(xlwings_dir() / ADDIN_TEMPLATE)
    project = VbaProject.parse(template["xl/vbaProject.bin"])
    project.name = PROJECT_NAME
    for name in TEMPLATE_EXAMPLE_MODULES:
        project.remove(name)
    _customise_xlwings_module(project)
    for module in bas_modules():
        project.add(module)
    return project


def build_addin(dist: Path) -> Path:
    """Write dist/PBP Toolkit.xlam from xlwings' add-in template; returns its path."""
    src = xlwings_dir() / ADDIN_TEMPLATE
    if not src.is_file():
        raise AddinBuildError(f"xlwings {xlwings_version()} has no {ADDIN_TEMPLATE} in {src.parent}")
    parts = _read_zip(src)
    parts["xl/vbaProject.bin"] = addin_project().to_bytes()
    _with_customui(parts)
    workbook = parts["xl/workbook.xml"].decode()
    workbook = re.sub(r"<mc:AlternateContent .*?</mc:AlternateContent>", "", workbook, flags=re.S)  # template author's path
    workbook = _sub_once(r'<sheet name="_[^"]*\.conf"', f'<sheet name="{CONF_SHEET}"', workbook, "the add-in's .conf sheet")
    parts["xl/workbook.xml"] = workbook.encode()
    types = parts["[Content_Types].xml"].decode()
    if CT_ADDIN not in types:
        raise AddinBuildError(f"{ADDIN_TEMPLATE} is not an add-in (no {CT_ADDIN})")
    parts["docProps/core.xml"] = _core_xml("PBP Toolkit add-in")
    return _write_zip(parts, Path(dist) / ADDIN_NAME)


# ----------------------------------------------------------------------------- .xlsm


@dataclass
class _Sheet:
    name: str
    rid: str
    part: str          # xl/worksheets/sheet1.xml


def _attr(pattern: str, tag: str) -> str:
    """The first group of `pattern` in an XML tag; an AddinBuildError naming the tag when it is missing."""
    m = re.search(pattern, tag)
    if m is None:
        raise AddinBuildError(f"unexpected workbook XML: {tag[:120]!r} does not match {pattern!r}")
    return m.group(1)


def _sheets(parts: dict[str, bytes]) -> list[_Sheet]:
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    targets = {}
    for rel in re.findall(r"<Relationship [^>]*/>", rels):
        rid = _attr(r'Id="([^"]+)"', rel)
        target = _attr(r'Target="([^"]+)"', rel)
        targets[rid] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    out = []
    for tag in re.findall(r"<sheet [^>]*/>", workbook):
        name = _attr(r'name="([^"]*)"', tag)
        rid = _attr(r'r:id="([^"]+)"', tag)
        out.append(_Sheet(name, rid, targets[rid]))
    return out


def _set_code_name(xml: str, code_name: str) -> str:
    """Give a worksheet (or the workbook, with tag workbookPr) its VBA code name."""
    m = re.search(r"<sheetPr\b([^>]*?)(/?)>", xml)
    if m:
        attrs = re.sub(r'\s*codeName="[^"]*"', "", m.group(1))
        return xml[:m.start()] + f'<sheetPr{attrs} codeName="{code_name}"{m.group(2)}>' + xml[m.end():]
    m = re.search(r"<worksheet\b[^>]*>", xml)
    if not m:
        raise AddinBuildError("a worksheet part has no <worksheet> element")
    return xml[:m.end()] + f'<sheetPr codeName="{code_name}"/>' + xml[m.end():]


def _conf_sheet_xml() -> bytes:
    """xlwings' configuration sheet, with the keys and instructions of the installed xlwings' template."""
    parts = _read_zip(xlwings_dir() / STANDALONE_TEMPLATE)
    strings = [
        "".join(re.findall(r"<t[^>]*>(.*?)</t>", si, flags=re.S))
        for si in re.findall(r"<si>(.*?)</si>", parts["xl/sharedStrings.xml"].decode(), flags=re.S)
    ]
    conf = next((s for s in _sheets(parts) if s.name.endswith("xlwings.conf")), None)
    if conf is None:
        raise AddinBuildError(f"{STANDALONE_TEMPLATE} has no xlwings.conf sheet")
    sheet = parts[conf.part].decode()
    cells: list[tuple[str, str | None, str]] = []  # (reference, t attribute or None, cell body)
    for ref, attrs, value in re.findall(r'<c r="([A-Z]+\d+)"([^>]*?)>\s*<v>(.*?)</v>\s*</c>', sheet):
        t_attr = re.search(r't="(\w+)"', attrs)
        kind = t_attr.group(1) if t_attr else "n"
        if kind == "s":
            cells.append((ref, "inlineStr", f"<is><t>{strings[int(value)]}</t></is>"))
        elif kind == "b":
            cells.append((ref, "b", f"<v>{value}</v>"))
        else:
            cells.append((ref, None, f"<v>{value}</v>"))
    rows: dict[int, list[str]] = {}
    for ref, kind, body in cells:
        row = int(re.sub(r"[A-Z]+", "", ref))
        t = f' t="{kind}"' if kind else ""
        rows.setdefault(row, []).append(f'<c r="{ref}"{t}>{body}</c>')
    data = "".join(f'<row r="{r}">{"".join(rows[r])}</row>' for r in sorted(rows))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheetPr codeName="PLACEHOLDER"/><cols><col min="1" max="1" width="18" customWidth="1"/>'
        '<col min="2" max="2" width="30" customWidth="1"/></cols>'
        f"<sheetData>{data}</sheetData></worksheet>"
    ).encode()


def xlsm_project(code_names: list[str]) -> VbaProject:
    """The .xlsm's VBA project: xlwings' stand-alone module, document modules for `code_names`, our modules."""
    template = _read_zip(xlwings_dir() / STANDALONE_TEMPLATE)
    project = VbaProject.parse(template["xl/vbaProject.bin"])
    project.name = PROJECT_NAME
    kept = [m for m in project.modules if m.kind != "Document" and m.name not in STANDALONE_EXAMPLE_MODULES]
    project.modules = [document_module("ThisWorkbook", WORKBOOK_BASE)]
    project.modules += [document_module(name, WORKSHEET_BASE) for name in code_names]
    for module in bas_modules():
        project.add(module)
    for module in kept:
        project.add(module)
    return project


def make_xlsm(xlsx: Path, out: Path) -> Path:
    """The same workbook, macro-enabled: VBA project, ribbon tab and xlwings' configuration sheet."""
    xlsx, out = Path(xlsx), Path(out)
    if out.suffix.lower() != ".xlsm":
        raise AddinBuildError(f"{out}: a macro-enabled workbook must end in .xlsm")
    if out.resolve() == xlsx.resolve():
        raise AddinBuildError(f"{out}: would overwrite its source")
    parts = _read_zip(xlsx)
    if "xl/vbaProject.bin" in parts:
        raise AddinBuildError(f"{xlsx} already holds a VBA project")
    types = parts["[Content_Types].xml"].decode()
    if CT_XLSX not in types:
        raise AddinBuildError(f"{xlsx} is not an .xlsx workbook")
    sheets = _sheets(parts)

    # xlwings' configuration sheet, last
    numbers = [int(n) for p in parts for n in re.findall(r"^xl/worksheets/sheet(\d+)\.xml$", p)]
    conf_part = f"xl/worksheets/sheet{max(numbers, default=0) + 1}.xml"
    parts[conf_part] = _conf_sheet_xml()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rels = _add_relationship(rels, REL_SHEET, conf_part[len("xl/"):])
    conf_rid = re.findall(r'Id="(rId\d+)"[^>]*Target="' + re.escape(conf_part[len("xl/"):]) + '"', rels)[0]
    rels = _add_relationship(rels, REL_VBA, "vbaProject.bin")
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    workbook = parts["xl/workbook.xml"].decode()
    sheet_id = max((int(n) for n in re.findall(r'<sheet [^>]*sheetId="(\d+)"', workbook)), default=0) + 1
    workbook = _sub_once(r"</sheets>", f'<sheet name="{CONF_SHEET}" sheetId="{sheet_id}" r:id="{conf_rid}"/></sheets>',
                         workbook, "</sheets>")
    sheets.append(_Sheet(CONF_SHEET, conf_rid, conf_part))

    # code names: ThisWorkbook and Sheet1..SheetN in tab order
    code_names = [f"Sheet{i}" for i in range(1, len(sheets) + 1)]
    for sheet, code_name in zip(sheets, code_names):
        parts[sheet.part] = _set_code_name(parts[sheet.part].decode(), code_name).encode()
    if re.search(r"<workbookPr\b", workbook):
        workbook = re.sub(r'(<workbookPr\b[^>]*?)\s*codeName="[^"]*"', r"\1", workbook)
        workbook = re.sub(r"<workbookPr\b", '<workbookPr codeName="ThisWorkbook"', workbook, count=1)
    else:
        workbook = _sub_once(r"(<bookViews>|<sheets>)", r'<workbookPr codeName="ThisWorkbook"/>\1', workbook, "<sheets>")
    parts["xl/workbook.xml"] = workbook.encode()

    parts["xl/vbaProject.bin"] = xlsm_project(code_names).to_bytes()
    types = types.replace(CT_XLSX, CT_XLSM)
    types = _set_override(types, "/xl/vbaProject.bin", CT_VBA)
    types = _set_override(types, "/" + conf_part, CT_SHEET)
    parts["[Content_Types].xml"] = types.encode()
    _with_customui(parts)
    return _write_zip(parts, out)


# ----------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the PBP Toolkit add-in and .xlsm copies of workbooks.")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    parser.add_argument("workbooks", nargs="*", type=Path, help=".xlsx workbooks to copy as .xlsm into --out")
    args = parser.parse_args(argv)
    try:
        made = [build_addin(args.out)]
        made += [make_xlsm(x, args.out / f"{x.stem}.xlsm") for x in args.workbooks]
    except AddinBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in made:
        print(f"{path}  {path.stat().st_size / 1024:6.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
