"""A fingerprint of a workbook's formulas, to tell whether a returned file's formulas are intact.

At build time the workbook layer records every formula it writes; the SHA-256 of the
normalised (sheet, cell, formula) lines goes into the hidden Metadata sheet and the
document's custom properties. Reading back, the same lines are taken from the file's
sheet XML (shared formulas expanded), so a formula a user overwrote or deleted changes
the fingerprint, while Excel's and LibreOffice's harmless rewrites (case, spaces,
_xlfn. prefixes, XML escaping) do not.
"""
from __future__ import annotations

import hashlib
import posixpath
import re
import zipfile
from pathlib import Path
from typing import Iterable

from defusedxml import ElementTree as SafeET

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_STRING = re.compile(r'("(?:[^"]|"")*")')


_SPACE = str.maketrans("", "", " \t\r\n")


def _plain(part: str) -> str:
    out = part.translate(_SPACE).upper()
    return out.replace("_XLFN.", "").replace("_XLWS.", "") if "_XL" in out else out


#: normalise's results by formula text: a batch writes, and collect reads, the same formulas in
#: file after file (only the cached values differ), so each text is normalised once per process
_NORMALISED: dict[str, str] = {}
_NORMALISED_MAX = 200_000


def normalise(formula: str) -> str:
    """Formula text without '=', spaces and _xlfn. prefixes, upper-cased outside strings."""
    done = _NORMALISED.get(formula)
    if done is None:
        if len(_NORMALISED) >= _NORMALISED_MAX:
            _NORMALISED.clear()
        done = _NORMALISED[formula] = _normalise(formula)
    return done


def _normalise(formula: str) -> str:
    f = formula.lstrip("=")
    if '"' not in f:
        return _plain(f)
    return "".join(part if n % 2 else _plain(part) for n, part in enumerate(_STRING.split(f)))


def fingerprint(entries: Iterable[tuple[str, str, str]]) -> str:
    """SHA-256 over sorted normalised (sheet, cell, formula) lines."""
    lines = sorted(f"{sheet}!{cell}={normalise(f)}" for sheet, cell, f in entries)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _sheet_paths(z: zipfile.ZipFile) -> dict[str, str]:
    """sheet name -> part name of its XML."""
    wb = SafeET.fromstring(z.read("xl/workbook.xml"), forbid_dtd=True)
    rels = SafeET.fromstring(z.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True)
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PR}Relationship")}
    out = {}
    for sh in wb.iter(f"{M}sheet"):
        target = targets.get(sh.get(f"{R}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out[sh.get("name", "")] = path
    return out


_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*?>\s*<f(?:\s([^>]*?))?(?:/>|>([^<]*)</f>)')
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s>]")


_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _entity(m: "re.Match[str]") -> str:
    ref = m.group(1)
    if ref.startswith("#x"):
        return chr(int(ref[2:], 16))
    if ref.startswith("#"):
        return chr(int(ref[1:]))
    return _NAMED[ref]


def _unescape(raw: bytes) -> str:
    """XML text to str in one pass: the five named entities and numeric character references
    (writers such as openpyxl save non-ASCII formula text as `&#183;`)."""
    return _ENTITY.sub(_entity, raw.decode("utf-8"))


def _attrs(raw: bytes | None) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in re.findall(rb'([\w:]+)="([^"]*)"', raw or b"")}


#: (raw <f> attributes, raw formula text) -> (attributes, formula): collect reads the same formulas
#: in file after file, so each is decoded once per process (the dict handed out is never changed)
_DECODED: dict[tuple[bytes | None, bytes | None], tuple[dict[str, str], str]] = {}
_DECODED_MAX = 200_000


def _scan_fast(data: bytes) -> list[tuple[str, dict[str, str], str]] | None:
    """(cell, f attributes, formula) by a byte scan; None when the part uses namespace prefixes."""
    if _PREFIXED.search(data):
        return None
    out = []
    decoded = _DECODED
    for m in _FAST_CELL.finditer(data):
        ref, raw_attrs, raw_text = m.groups()
        key = (raw_attrs, raw_text)
        found = decoded.get(key)
        if found is None:
            if len(decoded) >= _DECODED_MAX:
                decoded.clear()
            found = decoded[key] = (_attrs(raw_attrs), _unescape(raw_text or b""))
        out.append((ref.decode(), found[0], found[1]))
    return out


def _scan_xml(data: bytes) -> list[tuple[str, dict[str, str], str]]:
    """The same by a full (safe) XML parse, for parts the byte scan does not handle."""
    out = []
    for _, el in SafeET.iterparse(__import__("io").BytesIO(data), events=("end",), forbid_dtd=True):
        if el.tag == f"{M}c":
            f = el.find(f"{M}f")
            if f is not None:
                out.append((el.get("r", ""), dict(f.attrib), f.text or ""))
        elif el.tag == f"{M}row":
            el.clear()
    return out


def read_formulas(path: str | Path | bytes, max_part_bytes: int = 200 * 2**20) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> formula text for every formula cell in an .xlsx (shared formulas expanded).

    `path` may be the file's bytes (a returned workbook is read from the bytes that were inspected).
    """
    import io

    from openpyxl.formula.translate import Translator

    formulas: dict[tuple[str, str], str] = {}
    with zipfile.ZipFile(io.BytesIO(path) if isinstance(path, (bytes, bytearray)) else path) as z:
        for sheet, part in _sheet_paths(z).items():
            try:
                info = z.getinfo(part)
            except KeyError:
                continue
            if info.file_size > max_part_bytes:
                raise ValueError(f"sheet {sheet!r} is larger than {max_part_bytes} bytes")
            data = z.read(part)
            cells = _scan_fast(data)
            if cells is None:
                cells = _scan_xml(data)
            shared: dict[str, tuple[str, str]] = {}
            for ref, attrs, text in cells:
                if attrs.get("t") == "shared":
                    si = attrs.get("si", "")
                    if text:
                        shared[si] = (ref, text)
                    elif si in shared:
                        origin, base = shared[si]
                        text = Translator("=" + base, origin=origin).translate_formula(ref).lstrip("=")
                if text:
                    formulas[(sheet, ref)] = text
    return formulas


def file_fingerprint(path: str | Path) -> str:
    """The fingerprint of the formulas in a file (compare with the one stored in it)."""
    return fingerprint((s, c, f) for (s, c), f in read_formulas(path).items())


def changed_cells(expected: dict[tuple[str, str], str], actual: dict[tuple[str, str], str]) -> list[tuple[str, str, str, str]]:
    """(sheet, cell, expected formula, what is there now) for every formula that differs."""
    out = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key), actual.get(key)
        if want is None:
            out.append((key[0], key[1], "(no formula)", "=" + got if got else ""))
        elif got is None or normalise(want) != normalise(got):
            out.append((key[0], key[1], "=" + want.lstrip("="), "=" + got if got else "(formula gone)"))
    return out
