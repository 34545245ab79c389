"""How many named outputs each recalculation engine reproduces, and how long it takes.

python bench/engines.py [--engines libreoffice,gnumeric,formulas] [--keep DIR]

Builds both workbooks for every example and the blank templates, recalculates them with
LibreOffice, Gnumeric (ssconvert --recalc) and the Python `formulas` package, and counts
per file the model outputs (the SPEC's defined names) whose recalculated value equals the
value cached in the file (the model's), plus the error cells each engine leaves.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import BuildOptions, blank_partnership, build_workbooks, example_names, example_path  # noqa: E402
from generator.content import load_content  # noqa: E402
from generator.engines import recalc_with  # noqa: E402
from generator.libreoffice import read_recalculated  # noqa: E402
from generator.schema import load_partnership  # noqa: E402
from generator.verify import model_for, same  # noqa: E402


def build_all(out: Path) -> list[tuple[str, Path, list[str]]]:
    """(label, file, output names) for both workbooks of every example and the blanks."""
    content = load_content()
    items = []
    cases = [(name, load_partnership(example_path(name)), False) for name in example_names()]
    cases.append(("blank", blank_partnership(content=content), True))
    for label, p, blank in cases:
        for path in build_workbooks(p, out / label, BuildOptions(), blank=blank, content=content):
            kind = "scenario-projections" if path.stem.endswith("scenario-projections") else "full-cost"
            items.append((f"{label}/{kind}", path, list(model_for(kind)(p, content))))
    return items


def reproduced(expected: object, got: object) -> bool:
    if isinstance(expected, list):
        got_list = got if isinstance(got, list) else [got]
        return len(got_list) == len(expected) and all(same(e if e is not None else "", g) for e, g in zip(expected, got_list))
    return same(expected if expected is not None else "", got)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="libreoffice,gnumeric,formulas")
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    out = args.keep or Path(tempfile.mkdtemp(prefix="pbp-bench-engines-"))
    items = build_all(out)
    cached = {label: read_recalculated(path).names for label, path, _ in items}
    for engine in args.engines.split(","):
        t0 = time.perf_counter()
        if engine == "formulas":
            recs, times = [], []
            for _, path, _ in items:
                t1 = time.perf_counter()
                recs += recalc_with(engine, [path], out / engine)
                times.append(time.perf_counter() - t1)
        else:
            recs = recalc_with(engine, [path for _, path, _ in items], out / engine)
        total = time.perf_counter() - t0
        print(f"== {engine}: {len(items)} files in {total:.1f} s ({total / len(items):.2f} s a file)")
        for (label, _, outputs), rec in zip(items, recs):
            ok = sum(reproduced(cached[label].get(k), rec.names.get(k)) for k in outputs)
            extra = f" {times[items.index((label, _, outputs))]:.1f} s" if engine == "formulas" else ""
            print(f"   {label:55s} {ok:3d} of {len(outputs):3d} outputs, {len(rec.errors):4d} error cells{extra}")


if __name__ == "__main__":
    main()
