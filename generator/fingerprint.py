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
from typing import Iterable, Mapping

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


_FINGERPRINTS: dict[tuple[tuple[tuple[str, str], str], ...], str] = {}
#: digests of read_formulas' answers by the identity of their sheets' line lists: those lists are
#: _sheet_formulas' cached ones, the same objects file after file in a batch. Each entry keeps its
#: lists alive (so no other list can take their ids while it stands) and is checked by identity.
_RUN_FINGERPRINTS: dict[tuple[int, ...], tuple[tuple[list[str], ...], str]] = {}


def formulas_fingerprint(formulas: Mapping[tuple[str, str], str]) -> str:
    """fingerprint() of a (sheet, cell) -> formula mapping. Over read_formulas' answer, the
    lines are the sheets' sorted lines merged (the same lines, so the same digest); over any
    other mapping, worked out once per process for the same formulas."""
    runs = getattr(formulas, "sheet_lines", None)
    if isinstance(formulas, Formulas) and runs is not None:
        key_runs = tuple(map(id, runs))
        done = _RUN_FINGERPRINTS.get(key_runs)
        if done is not None and all(a is b for a, b in zip(done[0], runs)):
            return done[1]
        lines = [line for run in runs for line in run]
        lines.sort()   # sorted runs: the sort merges them
        digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
        if len(_RUN_FINGERPRINTS) >= 16:
            _RUN_FINGERPRINTS.clear()
        _RUN_FINGERPRINTS[key_runs] = (tuple(runs), digest)
        return digest
    key = tuple(formulas.items())
    hit = _FINGERPRINTS.get(key)
    if hit is None:
        if len(_FINGERPRINTS) >= 16:
            _FINGERPRINTS.clear()
        hit = _FINGERPRINTS[key] = fingerprint((s, c, f) for (s, c), f in key)
    return hit


def fingerprint(entries: Iterable[tuple[str, str, str]]) -> str:
    """SHA-256 over sorted normalised (sheet, cell, formula) lines."""
    lines = sorted(f"{sheet}!{cell}={normalise(f)}" for sheet, cell, f in entries)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


_SHEET_PATHS: dict[tuple[bytes, bytes], dict[str, str]] = {}


def _sheet_paths(z: "zipfile.ZipFile | _Parts") -> dict[str, str]:
    """sheet name -> part name of its XML (once per process for the same two parts: a batch's
    returned workbooks share them)."""
    wb_xml = z.read("xl/workbook.xml")
    try:
        rels_xml = z.read("xl/_rels/workbook.xml.rels")
    except KeyError:   # the parse of the workbook part speaks first, as it always did
        SafeET.fromstring(wb_xml, forbid_dtd=True)
        raise
    key = (wb_xml, rels_xml)
    hit = _SHEET_PATHS.get(key)
    if hit is None:
        if len(_SHEET_PATHS) >= 64:
            _SHEET_PATHS.clear()
        hit = _SHEET_PATHS[key] = _read_sheet_paths(*key)
    return dict(hit)


def _read_sheet_paths(wb_xml: bytes, rels_xml: bytes) -> dict[str, str]:
    wb = SafeET.fromstring(wb_xml, forbid_dtd=True)
    rels = SafeET.fromstring(rels_xml, forbid_dtd=True)
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PR}Relationship")}
    out = {}
    for sh in wb.iter(f"{M}sheet"):
        target = targets.get(sh.get(f"{R}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out[sh.get("name", "")] = path
    return out


#: possessive where giving back could never help (the next token is a character the run excludes)
_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*+>\s*+<f(?:\s([^>]*?))?(?:/>|>([^<]*+)</f>)')
#: the same expression without its groups: the same matches, each as one bytes object (a cheaper
#: key for _SHEET_FORMULAS; a whole match decides its groups, as the expression never looks past it)
_FAST_CELL_SPAN = re.compile(_FAST_CELL.pattern.replace(b"([", b"(?:["))
assert _FAST_CELL_SPAN.groups == 0 and _FAST_CELL.groups == 3
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s>]")
_COLON_C = re.compile(rb":c")   # in every _PREFIXED match, and rare: searched first, at memchr speed


def _prefixed(data: bytes) -> bool:
    """Whether a sheet's XML writes its cells with a namespace prefix (then it is parsed in full)."""
    return _COLON_C.search(data) is not None and _PREFIXED.search(data) is not None


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
    if _prefixed(data):
        return None
    return _decode_found(_FAST_CELL.findall(data))


def _decode_found(found: list[tuple[bytes, bytes, bytes]]) -> list[tuple[str, dict[str, str], str]]:
    """_FAST_CELL's matches decoded (a group that took no part is b'': the same as no attributes or no text)."""
    out = []
    decoded = _DECODED
    for ref, raw_attrs, raw_text in found:
        key = (raw_attrs, raw_text)
        hit = decoded.get(key)
        if hit is None:
            if len(decoded) >= _DECODED_MAX:
                decoded.clear()
            hit = decoded[key] = (_attrs(raw_attrs), _unescape(raw_text))
        out.append((ref.decode(), hit[0], hit[1]))
    return out


#: one sheet's formulas by (sheet name, every formula cell's raw match): the returned workbooks of
#: a batch hold the same formulas, sheet for sheet, with other values, so the work after the byte
#: scan is done once per process (the dict handed out is copied into the caller's, never changed)
_SHEET_FORMULAS: dict[tuple[str, tuple[bytes, ...]], tuple[dict[tuple[str, str], str], list[str]]] = {}
_SHEET_FORMULAS_MAX = 64


def _sheet_formulas(sheet: str, data: bytes) -> "tuple[dict[tuple[str, str], str], list[str]]":
    """(sheet, cell) -> formula text for one sheet's XML (shared formulas expanded), with the
    sheet's fingerprint lines, sorted."""
    if _prefixed(data):
        formulas = _expand(sheet, _scan_xml(data))
        return formulas, _lines(formulas)
    key = (sheet, tuple(_FAST_CELL_SPAN.findall(data)))
    hit = _SHEET_FORMULAS.get(key)
    if hit is None:
        if len(_SHEET_FORMULAS) >= _SHEET_FORMULAS_MAX:
            _SHEET_FORMULAS.clear()
        formulas = _expand(sheet, _decode_found(_FAST_CELL.findall(data)))
        hit = _SHEET_FORMULAS[key] = (formulas, _lines(formulas))
    return hit


def _lines(formulas: Mapping[tuple[str, str], str]) -> list[str]:
    """The fingerprint's lines for some formulas, sorted."""
    return sorted(f"{sheet}!{cell}={normalise(f)}" for (sheet, cell), f in formulas.items())


class Formulas(dict[tuple[str, str], str]):
    """read_formulas' answer: a plain mapping that also carries each sheet's sorted fingerprint
    lines, so its fingerprint is a merge of sorted runs (see formulas_fingerprint)."""

    sheet_lines: list[list[str]]


def _expand(sheet: str, cells: list[tuple[str, dict[str, str], str]]) -> dict[tuple[str, str], str]:
    from openpyxl.formula.translate import Translator

    formulas: dict[tuple[str, str], str] = {}
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


class _Parts:
    """A zip's parts, taken from `kept` (the inflated parts the safety inspection kept) when
    there, else read from the zip (opened only when a part is not kept)."""

    def __init__(self, path: str | Path | bytes, kept: dict[str, bytes]):
        self.path, self.kept = path, kept
        self._z: zipfile.ZipFile | None = None

    def zip(self) -> zipfile.ZipFile:
        if self._z is None:
            import io

            self._z = zipfile.ZipFile(io.BytesIO(self.path) if isinstance(self.path, (bytes, bytearray)) else self.path)
        return self._z

    def size(self, name: str) -> int:
        """The part's inflated size (KeyError when there is no such part)."""
        body = self.kept.get(name)
        return len(body) if body is not None else self.zip().getinfo(name).file_size

    def read(self, name: str) -> bytes:
        body = self.kept.get(name)
        return body if body is not None else self.zip().read(name)

    def close(self) -> None:
        if self._z is not None:
            self._z.close()


def read_formulas(path: str | Path | bytes, max_part_bytes: int = 200 * 2**20,
                  parts: dict[str, bytes] | None = None) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> formula text for every formula cell in an .xlsx (shared formulas expanded).

    `path` may be the file's bytes (a returned workbook is read from the bytes that were inspected);
    `parts`, the inflated parts the inspection of those bytes kept (safety.inspect_file(keep_parts=True)),
    saves inflating them again.
    """
    formulas = Formulas()
    formulas.sheet_lines = []
    z = _Parts(path, parts or {})
    try:
        for sheet, part in _sheet_paths(z).items():
            try:
                size = z.size(part)
            except KeyError:
                continue
            if size > max_part_bytes:
                raise ValueError(f"sheet {sheet!r} is larger than {max_part_bytes} bytes")
            sheet_formulas, lines = _sheet_formulas(sheet, z.read(part))
            formulas.update(sheet_formulas)
            formulas.sheet_lines.append(lines)
    finally:
        z.close()
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
