"""Recalculate and convert workbooks with headless LibreOffice.

LibreOffice does not recalculate .xlsx files on load by default, so every call here
uses a throwaway user profile whose ``registrymodifications.xcu`` forces a full
recalculation on load. The converted copy is then read back with openpyxl
(``data_only=True``) to compare the recalculated values with the model and the cached
values, and to find error values. A LibreOffice-saved file is a test artefact only:
never ship it.

Startup of soffice is slow (seconds), so :func:`convert` and :func:`recalculate` take
many files and run ONE soffice process for all of them.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .fileio import atomic_write

__all__ = [
    "LibreOfficeError",
    "Recalculated",
    "ERROR_LITERALS",
    "find_soffice",
    "make_profile",
    "convert",
    "recalculate",
    "read_recalculated",
    "recalc_and_read",
    "to_pdf",
    "is_error_value",
]


class LibreOfficeError(RuntimeError):
    """soffice is missing, failed, timed out or did not write an expected output."""


# Error literals as Excel/openpyxl spell them (plus LibreOffice's own spellings).
ERROR_LITERALS: frozenset[str] = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#ERR",
        "#ERR!",
        "#NUM",
        "#NA",
    }
)
_LO_ERR_RE = re.compile(r"^Err:\d{3}$")

# Output filter per target format (``--convert-to ext:Filter``).
_FILTERS: dict[str, str] = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "pdf": "pdf:calc_pdf_Export",
    "ods": "ods:calc8",
    "csv": "csv:Text - txt - csv (StarCalc)",
}

_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def find_soffice() -> str | None:
    """Path of the soffice executable, or None.

    Looks at env var ``PBP_SOFFICE``, then ``soffice``/``libreoffice`` on PATH, then
    ``/usr/bin/soffice`` and ``/opt/libreoffice*/program/soffice``.
    """
    env = os.environ.get("PBP_SOFFICE")
    if env:
        found = shutil.which(env) or (env if os.path.isfile(env) else None)
        if found and os.access(found, os.X_OK):
            return found
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    candidates = ["/usr/bin/soffice", *sorted(glob.glob("/opt/libreoffice*/program/soffice"), reverse=True)]
    for cand in candidates:
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def make_profile(dirpath: Path) -> str:
    """Create a throwaway LibreOffice profile in ``dirpath`` that always recalculates on load.

    Writes ``user/registrymodifications.xcu`` setting ``OOXMLRecalcMode`` and
    ``ODFRecalcMode`` to 0 (always). Returns the ``file://`` URL for
    ``-env:UserInstallation``.
    """
    dirpath = Path(dirpath).resolve()
    user = dirpath / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_RECALC_XCU, encoding="utf-8")
    return dirpath.as_uri()


def _filter_for(fmt: str) -> tuple[str, str]:
    """(``--convert-to`` argument, output extension) for a format name or ``ext:Filter``."""
    if ":" in fmt:
        return fmt, fmt.split(":", 1)[0].lower()
    return _FILTERS.get(fmt.lower(), fmt), fmt.lower()


def _home_for(tmp: Path) -> str:
    """A writable HOME: the current one if usable, else a fresh dir under ``tmp``."""
    home = os.environ.get("HOME")
    if home and os.path.isdir(home) and os.access(home, os.W_OK):
        return home
    fake = tmp / "home"
    fake.mkdir(exist_ok=True)
    return str(fake)


def convert(
    files: Sequence[Path],
    outdir: Path,
    fmt: str = "xlsx",
    timeout: float = 600,
    *,
    recalc: bool = True,
) -> list[Path]:
    """Convert ``files`` into ``outdir`` with ONE headless soffice call.

    ``fmt`` is ``"xlsx"``, ``"pdf"`` (mapped to the Calc filters), another extension,
    or a full ``"ext:Filter name"``. With ``recalc`` (default) the fresh profile forces
    recalculation on load. Returns output paths in input order. Raises
    :class:`LibreOfficeError` if soffice is missing, times out (the process group is
    killed) or any output is missing, and :class:`ValueError` if an output would
    overwrite an input or two inputs would give the same output name.
    """
    inputs = [Path(f).resolve() for f in files]
    if not inputs:
        return []
    for f in inputs:
        if not f.is_file():
            raise FileNotFoundError(f"input workbook not found: {f}")
    convert_to, ext = _filter_for(fmt)
    outdir = Path(outdir).resolve()
    outputs = [outdir / f"{f.stem}.{ext}" for f in inputs]
    input_set = set(inputs)
    for src, out in zip(inputs, outputs):
        if out in input_set:
            raise ValueError(
                f"output {out} would overwrite input {src}: use an outdir other than the input directory"
            )
    if len(set(outputs)) != len(outputs):
        dupes = sorted({str(o) for o in outputs if outputs.count(o) > 1})
        raise ValueError(f"several inputs would be converted to the same output name: {dupes}")

    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError("LibreOffice (soffice) not found; install libreoffice-calc-nogui or set PBP_SOFFICE")

    outdir.mkdir(parents=True, exist_ok=True)
    for out in outputs:  # stale outputs would hide a failed conversion
        if out.exists():
            out.unlink()

    with tempfile.TemporaryDirectory(prefix="pbp-lo-") as tmp_str:
        tmp = Path(tmp_str)
        profile_dir = tmp / "profile"
        if recalc:
            profile_url = make_profile(profile_dir)
        else:
            profile_dir.mkdir()
            profile_url = profile_dir.as_uri()
        env = os.environ.copy()
        env["HOME"] = _home_for(tmp)
        cmd = [
            soffice,
            f"-env:UserInstallation={profile_url}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--norestore",
            "--convert-to",
            convert_to,
            "--outdir",
            str(outdir),
            *[str(f) for f in inputs],
        ]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp,
            start_new_session=True,  # own process group: a timeout kills soffice.bin too
        )
        try:
            stdout_b, stderr_b = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            stdout_b, stderr_b = proc.communicate()
            raise LibreOfficeError(
                f"soffice timed out after {timeout:g}s converting {len(inputs)} file(s); killed.\n"
                f"stderr: {stderr_b.decode(errors='replace').strip()}"
            ) from None
        finally:
            if proc.poll() is None:
                _kill_group(proc)
                proc.wait()

    missing = [(src, out) for src, out in zip(inputs, outputs) if not out.is_file() or out.stat().st_size == 0]
    if missing:
        lines = "\n".join(f"  {src} -> {out}" for src, out in missing)
        raise LibreOfficeError(
            f"soffice (exit {proc.returncode}) did not write {len(missing)} of {len(inputs)} output(s):\n{lines}\n"
            f"stderr: {stderr_b.decode(errors='replace').strip()}\n"
            f"stdout: {stdout_b.decode(errors='replace').strip()}"
        )
    return outputs


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group started for ``proc`` (soffice and its soffice.bin child)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def recalculate(files: Sequence[Path], outdir: Path | None = None, timeout: float = 600) -> list[Path]:
    """Recalculated .xlsx copies of ``files`` (one soffice call); ``outdir`` defaults to a new temp dir."""
    if outdir is None:
        outdir = Path(tempfile.mkdtemp(prefix="pbp-recalc-"))
    return convert(files, outdir, fmt="xlsx", timeout=timeout, recalc=True)


@dataclass
class Recalculated:
    """Values read back from a LibreOffice-recalculated workbook."""

    path: Path
    """The LibreOffice-saved copy (a test artefact)."""
    names: dict[str, object]
    """Workbook-scoped defined name -> value: scalar for one cell, row-major list for a range."""
    errors: list[tuple[str, str, str]]
    """(sheet, cell, error text) for every cell of every sheet holding an error value."""
    unresolved: dict[str, str] = field(default_factory=dict)
    """Workbook-scoped names that are not a plain cell/range reference or constant -> their text."""


def is_error_value(value: object) -> bool:
    """True if ``value`` is an Excel/LibreOffice error literal (not any string starting with '#')."""
    return isinstance(value, str) and (value in ERROR_LITERALS or bool(_LO_ERR_RE.match(value)))


# 'Sheet ''x'''!$A$1:$B$2  or  Sheet1!$A$1  (optionally a bare $A:$A / $1:$1)
_REF_RE = re.compile(
    r"""^\s*=?\s*(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!\s(),]+))!
         (?P<cells>\$?[A-Za-z]{0,3}\$?\d*(?::\$?[A-Za-z]{0,3}\$?\d*)?)\s*$""",
    re.VERBOSE,
)
_NUMBER_RE = re.compile(r"^\s*=?\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_STRING_RE = re.compile(r'^\s*=?\s*"((?:[^"]|"")*)"\s*$')


def _parse_ref(text: str) -> tuple[str, str] | None:
    """(sheet name, cell range) for a simple single-area reference, else None."""
    m = _REF_RE.match(text)
    if not m or not m.group("cells").strip(":$"):
        return None
    sheet = m.group("quoted").replace("''", "'") if m.group("quoted") is not None else m.group("plain")
    return sheet, m.group("cells").replace("$", "")


def _range_values(ws, cells: str) -> object:
    """Value of one cell, or row-major flattened values of a range."""
    from openpyxl.utils.cell import range_boundaries

    min_col, min_row, max_col, max_row = range_boundaries(cells)
    min_col = min_col or 1
    min_row = min_row or 1
    max_col = max_col or ws.max_column
    max_row = max_row or ws.max_row
    if (min_col, min_row) == (max_col, max_row):
        return _value(ws.cell(row=min_row, column=min_col))
    return [_value(ws.cell(row=r, column=c)) for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def _value(cell) -> object:
    """A cell's value; "" for a formula whose cached result is typed text but empty (openpyxl gives None)."""
    value = cell.value
    return "" if value is None and cell.data_type == "str" else value


def _workbook_names(wb) -> list[tuple[str, str]]:
    """(name, formula text) of workbook-scoped defined names (openpyxl 3.0 and 3.1)."""
    dn = wb.defined_names
    if hasattr(dn, "definedName"):  # openpyxl < 3.1: one list incl. sheet-scoped names
        items = [d for d in dn.definedName if d.localSheetId is None]
    else:
        items = list(dn.values())
    return [(d.name, d.attr_text or "") for d in items]


def read_recalculated(path: Path) -> Recalculated:
    """Read a recalculated workbook: defined-name values and every error cell."""
    from openpyxl import load_workbook

    path = Path(path)
    wb = load_workbook(path, data_only=True)
    try:
        sheets = {ws.title.casefold(): ws for ws in wb.worksheets}  # sheet names ignore case
        names: dict[str, object] = {}
        unresolved: dict[str, str] = {}
        for name, text in _workbook_names(wb):
            ref = _parse_ref(text)
            if ref is not None and ref[0].casefold() in sheets:
                names[name] = _range_values(sheets[ref[0].casefold()], ref[1])
            elif _NUMBER_RE.match(text):
                literal = text.strip().lstrip("=").strip()
                names[name] = int(literal) if re.fullmatch(r"[-+]?\d+", literal) else float(literal)
            elif (sm := _STRING_RE.match(text)) is not None:
                names[name] = sm.group(1).replace('""', '"')
            elif text.strip().upper() in ("TRUE", "FALSE", "=TRUE", "=FALSE"):
                names[name] = text.strip().lstrip("=").upper() == "TRUE"
            else:
                unresolved[name] = text
        errors: list[tuple[str, str, str]] = []
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    value = cell.value
                    if value is None:
                        continue
                    # an error is a cell typed as one: a text that reads "#NUM!" (a name typed in) is text
                    if cell.data_type == "e":
                        errors.append((ws.title, cell.coordinate, str(value)))
    finally:
        wb.close()
    return Recalculated(path=path, names=names, errors=errors, unresolved=unresolved)


def recalc_and_read(files: Sequence[Path], outdir: Path | None = None) -> list[Recalculated]:
    """Recalculate ``files`` in one soffice call, then read each copy back (input order).

    Without ``outdir`` the copies go to a temporary folder that is removed once they are read."""
    if outdir is None:
        with tempfile.TemporaryDirectory(prefix="pbp-recalc-") as tmp:
            return [read_recalculated(p) for p in recalculate(files, Path(tmp))]
    return [read_recalculated(p) for p in recalculate(files, outdir)]


def to_pdf(file: Path, out_pdf: Path, timeout: float = 600) -> Path:
    """Board-ready PDF of ``file`` via LibreOffice (recalculated on load), saved as ``out_pdf``."""
    out_pdf = Path(out_pdf)
    with tempfile.TemporaryDirectory(prefix="pbp-pdf-") as tmp:
        [pdf] = convert([file], Path(tmp), fmt="pdf", timeout=timeout, recalc=True)
        atomic_write(out_pdf, lambda target: shutil.copyfile(pdf, target))
    return out_pdf
