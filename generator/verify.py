"""Three numbers that must agree: the model, the values cached in a file, a recalculation by
LibreOffice (or Gnumeric, or the Python `formulas` package).

Used by `pbp-toolkit verify`, by the tests and by the benchmarks.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .content import Content, load_content
from .schema import Partnership

REL_TOL, ABS_TOL = 1e-9, 1e-6


def same(expected: Any, got: Any) -> bool:
    """Equal within relative 1e-9 or absolute 1e-6 for numbers; exact for text and booleans."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return isinstance(got, bool) and isinstance(expected, bool) and expected == got
    if isinstance(expected, (int, float)):
        if got is None or isinstance(got, str):
            return False
        return math.isclose(float(got), float(expected), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(expected, str):
        return (got if got is not None else "") == expected
    return expected == got


def mismatches(model: dict[str, Any], names: dict[str, Any]) -> list[str]:
    """Every model output whose workbook value differs (missing names included)."""
    out = []
    for key, expected in model.items():
        if key not in names:
            out.append(f"{key}: missing from the workbook")
            continue
        got = names[key]
        if isinstance(expected, list):
            got_list = got if isinstance(got, list) else [got]
            if len(got_list) != len(expected) or not all(same(e, g) for e, g in zip(expected, got_list)):
                out.append(f"{key}: expected {expected!r}, got {got!r}")
        elif not same(expected, got):
            out.append(f"{key}: expected {expected!r}, got {got!r}")
    return out


def model_for(kind: str) -> Callable[[Partnership, Content], dict[str, Any]]:
    """The model function whose outputs a workbook kind must show."""
    from .kinds import by_slug

    return by_slug(kind).model()


@dataclass
class Verdict:
    """What verification found for one workbook."""

    kind: str
    path: Path
    outputs: int
    cached_mismatches: list[str] = field(default_factory=list)
    recalc_mismatches: list[str] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.cached_mismatches or self.recalc_mismatches or self.errors)


def verify(p: Partnership, outdir: Path | None = None, kinds: tuple[str, ...] | None = None,
           content: Content | None = None, engine: str = "libreoffice") -> list[Verdict]:
    """Build the workbooks, recalculate them with `engine` (LibreOffice, Gnumeric or the
    Python `formulas` package), compare all three numbers."""
    content = content or load_content()
    if outdir is None:  # nothing kept: the scratch folder goes when the verdicts are in
        with tempfile.TemporaryDirectory(prefix="pbp-verify-") as tmp:
            return _verify_in(p, Path(tmp), kinds, content, engine)
    return _verify_in(p, Path(outdir), kinds, content, engine)


def _verify_in(p: Partnership, work: Path, kinds: tuple[str, ...] | None, content: Content, engine: str) -> list[Verdict]:
    from .build import BuildOptions, build_workbooks
    from .kinds import KINDS
    from .engines import recalc_with
    from .libreoffice import read_recalculated

    made = build_workbooks(p, work, BuildOptions(kinds=kinds), content=content)
    recalculated = recalc_with(engine, made, work / f"recalculated-{engine}")
    verdicts = []
    for path, recalc in zip(made, recalculated):
        kind_name = next(k.slug for k in KINDS if path.stem.endswith(k.slug))
        expected = model_for(kind_name)(p, content)
        cached = read_recalculated(path)
        verdicts.append(Verdict(kind_name, path, len(expected), mismatches(expected, cached.names),
                                mismatches(expected, recalc.names), recalc.errors))
    return verdicts
