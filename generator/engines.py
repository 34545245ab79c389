"""Recalculation engines besides LibreOffice: Gnumeric (`ssconvert --recalc`) and the Python
`formulas` package.

The workbooks must give the same numbers in every spreadsheet program (SPEC section 5,
portable dialect). LibreOffice alone would let constructs that only it and Excel read the
same way slip through, so the tests and `pbp-toolkit verify --engine` recalculate with
engines nobody on the project wrote. Every function returns
:class:`generator.libreoffice.Recalculated`, so callers compare the engines the same way.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .libreoffice import Recalculated, _parse_ref, _workbook_names, read_recalculated, recalc_and_read

ENGINES = ("libreoffice", "gnumeric", "formulas")

__all__ = ["ENGINES", "EngineError", "find_ssconvert", "gnumeric_recalculate", "gnumeric_recalc_and_read",
           "formulas_recalc", "FormulasResult", "recalc_with", "formula_cells", "cell_values"]


class EngineError(RuntimeError):
    """An engine is missing, failed or timed out."""


def find_ssconvert() -> str | None:
    """Path of Gnumeric's ssconvert ($PBP_SSCONVERT first), or None."""
    env = os.environ.get("PBP_SSCONVERT")
    if env:
        found = shutil.which(env) or (env if os.path.isfile(env) and os.access(env, os.X_OK) else None)
        if found:
            return found
    return shutil.which("ssconvert")


def _ssconvert_one(exe: str, src: Path, out: Path, timeout: float) -> None:
    env = os.environ.copy()
    env.setdefault("HOME", tempfile.gettempdir())
    try:
        proc = subprocess.run([exe, "--recalc", "-T", "Gnumeric_Excel:xlsx2", str(src), str(out)],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise EngineError(f"ssconvert timed out after {timeout:g}s on {src}") from None
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise EngineError(f"ssconvert (exit {proc.returncode}) did not write {out}: "
                          f"{proc.stderr.decode(errors='replace').strip()[:2000]}")


def gnumeric_recalculate(files: Sequence[Path], outdir: Path | None = None, timeout: float = 300,
                         workers: int | None = None) -> list[Path]:
    """Recalculated .xlsx copies of ``files`` written by Gnumeric (input order).

    ssconvert converts one file per run; runs go in parallel (``workers``, default 2), which is
    where the time goes for a batch."""
    exe = find_ssconvert()
    if exe is None:
        raise EngineError("Gnumeric (ssconvert) not found; install it (Debian: apt-get install gnumeric) or set PBP_SSCONVERT")
    outdir = Path(outdir or tempfile.mkdtemp(prefix="pbp-gnumeric-"))
    outdir.mkdir(parents=True, exist_ok=True)
    inputs = [Path(f).resolve() for f in files]
    outputs = [outdir / f"{n:04d}-{f.name}" for n, f in enumerate(inputs)]
    for out in outputs:
        if out.exists():
            out.unlink()
    with ThreadPoolExecutor(max_workers=workers or 2) as pool:
        list(pool.map(lambda pair: _ssconvert_one(exe, pair[0], pair[1], timeout), zip(inputs, outputs)))
    return outputs


def gnumeric_recalc_and_read(files: Sequence[Path], outdir: Path | None = None) -> list[Recalculated]:
    """Gnumeric's recalculation of every file, read back like LibreOffice's."""
    import warnings

    with warnings.catch_warnings():  # Gnumeric writes no default cell style; openpyxl says so, harmlessly
        warnings.filterwarnings("ignore", message="Workbook contains no default style")
        return [read_recalculated(p) for p in gnumeric_recalculate(files, outdir)]


# ----------------------------------------------------------------------------- the formulas package


class ErrorText(str):
    """An error `formulas` computed, as its text ("#DIV/0!"); a text cell that merely reads like
    one (a partnership named "#NUM!") stays a plain str and is not counted as an error."""


def _scalar(value: Any) -> Any:
    """A plain Python value from what `formulas` gives for one cell (errors as their text)."""
    import numpy as np

    while isinstance(value, np.ndarray):
        if value.size == 0:
            return None
        value = value.ravel()[0]
    if value is None:
        return None
    name = type(value).__name__
    if name == "XlError":
        return ErrorText(str(value))
    import schedula  # formulas' own dependency: its EMPTY marks a cell with nothing in it

    if value is schedula.EMPTY:
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


@dataclass
class FormulasResult(Recalculated):
    """Recalculated, plus the value `formulas` computed for every cell it evaluated."""

    cells: dict[tuple[str, str], Any] = field(default_factory=dict)
    """(SHEET NAME upper-cased, A1 coordinate) -> value."""


def formulas_recalc(path: Path) -> FormulasResult:
    """Recalculate ``path`` with the `formulas` package and read names and errors as for LibreOffice.

    `formulas` names cells ``'[book.xlsx]SHEET'!A1`` (sheet upper-cased); every cell it
    computed is in the solution, ranges as well as single cells."""
    os.environ.setdefault("TQDM_DISABLE", "1")  # formulas draws progress bars on stderr
    import formulas  # optional dependency (test extra)
    from openpyxl import load_workbook
    from openpyxl.utils.cell import range_boundaries, get_column_letter

    path = Path(path)
    model = formulas.ExcelModel().loads(str(path)).finish()
    solution = model.calculate()
    values: dict[tuple[str, str], Any] = {}
    for key, ranges in solution.items():
        if "!" not in key or ":" in key.split("!", 1)[1]:
            continue
        sheet_part, coord = key.rsplit("!", 1)
        sheet = sheet_part.strip("'")
        if not sheet:  # a defined name's own entry
            continue
        if sheet.startswith("["):
            sheet = sheet.split("]", 1)[1]
        values[(sheet.upper().replace("''", "'"), coord.upper())] = _scalar(getattr(ranges, "value", ranges))

    wb = load_workbook(path, data_only=False, read_only=False)
    try:
        names: dict[str, object] = {}
        unresolved: dict[str, str] = {}
        for name, text in _workbook_names(wb):
            ref = _parse_ref(text)
            if ref is None:
                unresolved[name] = text
                continue
            sheet, cells = ref
            ws = next((w for w in wb.worksheets if w.title.casefold() == sheet.casefold()), None)
            if ws is None:
                unresolved[name] = text
                continue
            min_col, min_row, max_col, max_row = range_boundaries(cells)
            # a whole row or column (A:A, 1:1) runs to the sheet's used edge, as in libreoffice._range_values
            c1, r1, c2, r2 = min_col or 1, min_row or 1, max_col or ws.max_column, max_row or ws.max_row
            got = []
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    coord = f"{get_column_letter(c)}{r}"
                    if (sheet.upper(), coord) in values:
                        got.append(values[(sheet.upper(), coord)])
                    else:  # an input cell formulas did not need: its own value
                        v = ws[coord].value
                        got.append(None if isinstance(v, str) and v.startswith("=") else v)
            names[name] = got[0] if len(got) == 1 else got
        errors = [(s, c, str(v)) for (s, c), v in values.items() if isinstance(v, ErrorText)]
    finally:
        wb.close()
    return FormulasResult(path=path, names=names, errors=sorted(errors), unresolved=unresolved, cells=values)


# ----------------------------------------------------------------------------- common


def recalc_with(engine: str, files: Sequence[Path], outdir: Path | None = None) -> list[Recalculated]:
    """Recalculate ``files`` with one engine ('libreoffice', 'gnumeric' or 'formulas')."""
    if engine == "libreoffice":
        return recalc_and_read(files, outdir)
    if engine == "gnumeric":
        return gnumeric_recalc_and_read(files, outdir)
    if engine == "formulas":
        try:
            import formulas  # noqa: F401
        except ImportError:
            raise EngineError("the Python package `formulas` is not installed (pip install formulas)") from None
        return [formulas_recalc(f) for f in files]
    raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")


def formula_cells(path: Path) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> formula text of every formula cell of a workbook."""
    from .fingerprint import read_formulas

    return {key: "=" + text for key, text in read_formulas(path).items()}


def cell_values(path: Path, cells: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The values (cached or recalculated) of the given cells, as openpyxl reads them
    (one streaming pass per sheet)."""
    from openpyxl import load_workbook

    wanted: dict[str, set[str]] = {}
    for sheet_name, coordinate in cells:
        wanted.setdefault(sheet_name.casefold(), set()).add(coordinate)
    out: dict[tuple[str, str], Any] = {}
    wb = load_workbook(path, data_only=True, read_only=True)
    try:
        for ws in wb.worksheets:
            want = wanted.get(ws.title.casefold())
            if not want:
                continue
            for row in ws.iter_rows():
                for c in row:
                    coord = getattr(c, "coordinate", None)
                    if coord in want:
                        value = c.value
                        if value is None and getattr(c, "data_type", None) == "str":
                            value = ""
                        out[(ws.title, coord)] = value
    finally:
        wb.close()
    by_fold = {(s.casefold(), c): v for (s, c), v in out.items()}
    return {(s, c): by_fold.get((s.casefold(), c)) for s, c in cells}
