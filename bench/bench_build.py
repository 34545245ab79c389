"""Benchmark one build of a workbook pair against the xlsxwriter floor, as a ratio.

    python bench/bench_build.py [--example riverside-housing] [--rounds 15]

The floor is bare xlsxwriter writing the same cells the pair holds (every formula with its
cached value, every string and number, on sheets of the same names) with no formats,
validations, charts, names or properties: what writing these cells costs at the least. The
build and the floor run in one process, interleaved round by round, so both meet the same
machine; the ratio is taken on CPU time (process time, which other engineers' work on a
shared machine disturbs far less than wall time) and shown on wall time too, with the load.
Target: a build at most 1.2 times the floor.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402
import xlsxwriter  # noqa: E402

from generator.build import build_workbooks, example_path  # noqa: E402
from generator.content import load_content  # noqa: E402
from generator.schema import load_partnership  # noqa: E402
from generator.workbook import fill  # noqa: E402

TARGET = 1.2
Cells = list[tuple[str, list[tuple[int, int, str, Any, Any]]]]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cells_of(path: Path) -> Cells:
    """(sheet, [(row, col, kind, value or formula, cached value)]) for every cell holding something."""
    formulas = openpyxl.load_workbook(path, read_only=True)
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out: Cells = []
    for name in formulas.sheetnames:
        cells = []
        for frow, vrow in zip(formulas[name].iter_rows(), values[name].iter_rows()):
            for f, v in zip(frow, vrow):
                if f.value is None:
                    continue
                r, c = f.row - 1, f.column - 1
                if isinstance(f.value, str) and f.value.startswith("="):
                    cells.append((r, c, "formula", f.value, v.value if v.value is not None else ""))
                elif isinstance(f.value, (int, float)) and not isinstance(f.value, bool):
                    cells.append((r, c, "number", f.value, None))
                elif isinstance(f.value, bool):
                    cells.append((r, c, "bool", f.value, None))
                else:
                    cells.append((r, c, "string", str(f.value), None))
        out.append((name, cells))
    return out


def floor(book: Cells, path: Path) -> None:
    """Bare xlsxwriter: the same cells, formulas with cached values, no formats."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False, "in_memory": True})
    for name, cells in book:
        ws = wb.add_worksheet(name)
        for r, c, kind, value, cached in cells:
            if kind == "formula":
                ws.write_formula(r, c, value, None, cached)
            elif kind == "number":
                ws.write_number(r, c, value)
            elif kind == "bool":
                ws.write_boolean(r, c, value)
            else:
                ws.write_string(r, c, value)
    wb.close()


def timed(fn: Any) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--example", default="riverside-housing")
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    content = load_content()
    p = load_partnership(example_path(args.example))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        paths = build_workbooks(p, out / "pair", content=content)
        books = [cells_of(path) for path in paths]
        n_cells = sum(len(c) for b in books for _, c in b)
        for b in books:  # warm both
            floor(b, out / "floor.xlsx")
        print(f"machine load {load()} (1, 5, 15-minute averages) at the start")
        build_t: list[tuple[float, float]] = []
        floor_t: list[tuple[float, float]] = []
        warm_t: list[tuple[float, float]] = []
        for _ in range(args.rounds):
            fill.clear()  # a single build starts with nothing cached, as in a fresh `pbp-toolkit build`
            build_t.append(timed(lambda: build_workbooks(p, out / "pair", content=content)))
            floor_t.append(timed(lambda: [floor(b, out / f"floor-{i}.xlsx") for i, b in enumerate(books)]))
            warm_t.append(timed(lambda: build_workbooks(p, out / "pair", content=content)))
        cpu_ratio = statistics.median(b[0] / f[0] for b, f in zip(build_t, floor_t))
        wall_ratio = statistics.median(b[1] / f[1] for b, f in zip(build_t, floor_t))
        med = lambda xs, i: statistics.median(x[i] for x in xs) * 1000  # noqa: E731
        print(f"pair of {args.example}: {n_cells} cells; {args.rounds} interleaved rounds")
        print(f"build  CPU {med(build_t, 0):6.0f} ms  wall {med(build_t, 1):6.0f} ms (median; a single build, nothing cached)")
        print(f"build  CPU {med(warm_t, 0):6.0f} ms  wall {med(warm_t, 1):6.0f} ms (again, its shape cached: as in a batch)")
        print(f"floor  CPU {med(floor_t, 0):6.0f} ms  wall {med(floor_t, 1):6.0f} ms (bare xlsxwriter, same cells)")
        print(f"single build / floor: {cpu_ratio:.2f}x on CPU time, {wall_ratio:.2f}x on wall time  (target <= {TARGET}x)  "
              f"machine load {load()}")


if __name__ == "__main__":
    main()
