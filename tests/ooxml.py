"""A small validator of .xlsx packages against the ECMA-376 schemas in tests/fixtures/ecma376.

Every XML part of the package is parsed and validated against the schema of its root
element; a part whose root we have no schema for is reported too, so nothing goes unchecked.
"""
from __future__ import annotations

import zipfile
from functools import lru_cache
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).parent / "fixtures" / "ecma376"
XML_NS = "http://www.w3.org/XML/1998/namespace"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROOTS = {
    f"{{{_MAIN}}}workbook": "transitional/sml.xsd",
    f"{{{_MAIN}}}worksheet": "transitional/sml.xsd",
    f"{{{_MAIN}}}styleSheet": "transitional/sml.xsd",
    f"{{{_MAIN}}}sst": "transitional/sml.xsd",
    f"{{{_MAIN}}}calcChain": "transitional/sml.xsd",
    "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}wsDr": "transitional/dml-spreadsheetDrawing.xsd",
    "{http://schemas.openxmlformats.org/drawingml/2006/chart}chartSpace": "transitional/dml-chart.xsd",
    "{http://schemas.openxmlformats.org/drawingml/2006/main}theme": "transitional/dml-main.xsd",
    "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}Properties":
        "transitional/shared-documentPropertiesExtended.xsd",
    "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}Properties":
        "transitional/shared-documentPropertiesCustom.xsd",
    "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}coreProperties": "opc/opc-coreProperties.xsd",
    "{http://schemas.openxmlformats.org/package/2006/relationships}Relationships": "opc/opc-relationships.xsd",
    "{http://schemas.openxmlformats.org/package/2006/content-types}Types": "opc/opc-contentTypes.xsd",
}
#: Namespaces whose schemas the OPC core-properties schema imports from the web: ours, local.
_LOCAL = {"http://purl.org/dc/elements/1.1/": "local/dc.xsd", "http://purl.org/dc/terms/": "local/dcterms.xsd",
          XML_NS: "local/xml.xsd"}


@lru_cache(maxsize=None)
def schema(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    doc = etree.parse(str(SCHEMAS / path), parser)
    for imp in doc.getroot().iter("{http://www.w3.org/2001/XMLSchema}import"):
        if imp.get("namespace") in _LOCAL:  # imported from the web (or from nowhere): use ours
            imp.set("schemaLocation", (SCHEMAS / _LOCAL[imp.get("namespace")]).as_uri())
    return etree.XMLSchema(doc)


def _strip_text_space(root: etree._Element) -> None:
    """sml.xsd gives a string item's <t> no xml:space attribute, though Excel writes and needs it
    (a known gap of the published schema): drop it from <t> before validating."""
    attr = f"{{{XML_NS}}}space"
    for t in root.iter(f"{{{_MAIN}}}t"):
        t.attrib.pop(attr, None)


def validate_package(path: Path) -> list[str]:
    """Every schema problem of every XML part of an .xlsx ('' list when valid)."""
    problems: list[str] = []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not (name.endswith(".xml") or name.endswith(".rels")):
                continue
            try:
                root = etree.fromstring(z.read(name), parser)
            except etree.XMLSyntaxError as exc:
                problems.append(f"{name}: not well-formed: {exc}")
                continue
            xsd = _ROOTS.get(root.tag)
            if xsd is None:
                problems.append(f"{name}: no schema for root element {root.tag}")
                continue
            _strip_text_space(root)
            s = schema(xsd)
            if not s.validate(root):
                problems += [f"{name}:{e.line}: {e.message}" for e in list(s.error_log)[:5]]
    return problems
