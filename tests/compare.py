"""Compare model outputs with values read from a workbook (cached or recalculated)."""
from __future__ import annotations

import math
from typing import Any

REL, ABS = 1e-9, 1e-6


def same(expected: Any, got: Any) -> bool:
    """Equal within relative 1e-9 or absolute 1e-6 for numbers; exact for text and booleans."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return isinstance(got, bool) and isinstance(expected, bool) and expected == got
    if isinstance(expected, (int, float)):
        if got is None or isinstance(got, str):
            return False
        return math.isclose(float(got), float(expected), rel_tol=REL, abs_tol=ABS)
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
