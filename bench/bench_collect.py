"""Benchmark: collect 1,000 returned workbooks; calamine against plain openpyxl; Python against LibreOffice.

python bench/bench_collect.py [--files 1000] [--workers N] [--keep DIR]

Prints:
- collect of N returned workbooks (half Full Cost, half Scenario Projections): wall time,
  files per second, peak memory (this process and its workers);
- the same read-and-recompute done with plain openpyxl instead of python-calamine, as a ratio
  (a sample of the files, single process, both readers on the same files);
- the Python recalculation of one filled workbook (read safely, extract, validate the inputs,
  run the model) against LibreOffice's headless recalculation of the same file, as a ratio, two
  ways: one file in one LibreOffice run (its start-up counted, as a user recalculating one
  workbook meets it: the way the target was set), and --lo-files files in one LibreOffice run, per
  file (start-up shared, so LibreOffice looks faster: the stricter comparison), each against
  Python on the same files.
Targets on the 2-core machine: collect 1,000 in at most 10 s and 500 MB; Python recalculation at
least 200 times faster than LibreOffice's. Each figure is printed beside its target, with the machine's
load (and CPU time beside wall time, which other work on a shared machine disturbs more) and, for
collect, a speed probe taken before and after (bench/machine.py: how fast the machine ran, against a
quiet run).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import speed_line, speed_probe  # noqa: E402
from generator.build import build_workbooks, example_names, example_path  # noqa: E402
from generator.readback.collect import collect  # noqa: E402
from generator.readback.extract import extract  # noqa: E402
from generator.readback.source import Cell, Ref, parse_ref  # noqa: E402
from generator.schema import load_partnership, validate_data  # noqa: E402
from generator.verify import model_for  # noqa: E402


def _build_one(args: tuple[int, str, str]) -> int:
    n, example, outdir = args
    p = load_partnership(example_path(example))
    data = p.to_data()
    data["organization"]["name"] = f"{data['organization']['name']} {n:04d}"
    data["staff"][0]["salary"] = data["staff"][0]["salary"] + n
    build_workbooks(validate_data(data, f"bench-{n}"), Path(outdir))
    return n


def make_returns(outdir: Path, files: int, workers: int) -> None:
    names = example_names()
    jobs = [(n, names[n % len(names)], str(outdir / f"batch-{n // 100:02d}")) for n in range(files // 2)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_build_one, jobs, chunksize=16))


class OpenpyxlSource:
    """The same WorkbookSource read with plain openpyxl (for the comparison only)."""

    def __init__(self, path: Path):
        import openpyxl

        self.wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
        self._names = {n: r for n, dn in self.wb.defined_names.items() if (r := parse_ref(dn.attr_text or "")) is not None}
        self._grids: dict[str, list[tuple[Any, ...]]] = {}

    def names(self) -> dict[str, Ref]:
        return self._names

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def cells(self, name: str) -> list[Cell]:
        from generator.readback.source import _clean

        ref = self._names[name]
        if ref.sheet not in self._grids:
            self._grids[ref.sheet] = list(self.wb[ref.sheet].iter_rows(values_only=True))
        grid = self._grids[ref.sheet]
        out = []
        for r in range(ref.r1, ref.r2 + 1):
            row = grid[r] if r < len(grid) else ()
            for c in range(ref.c1, ref.c2 + 1):
                out.append(Cell(_clean(row[c] if c < len(row) else None), ref.sheet, r, c))
        return out

    def metadata(self) -> dict[str, str]:
        from generator.readback.source import read_metadata

        return read_metadata(self)


def recompute(path: Path, reader: str) -> None:
    """Read a workbook's inputs and run the model on them."""
    from generator.readback.source import FileSource

    src = FileSource(path) if reader == "calamine" else OpenpyxlSource(path)
    ex = extract(src)
    p = validate_data(ex.data, str(path))
    model_for("full-cost" if ex.kind == "pbp-full-cost" else "scenario-projections")(p, None)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def peak_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--sample", type=int, default=60, help="files for the openpyxl comparison")
    ap.add_argument("--keep", type=Path, help="keep the generated files here")
    ap.add_argument("--lo-files", type=int, default=10, help="files in the LibreOffice run that shares its start-up")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="pbp-bench-collect-"))
    inbox = work / "inbox"
    print(f"machine: {os.cpu_count()} cores; workers {args.workers}; load {_load()}")
    t = time.perf_counter()
    if not inbox.exists() or sum(1 for _ in inbox.rglob("*.xlsx")) < args.files:
        shutil.rmtree(inbox, ignore_errors=True)
        make_returns(inbox, args.files, args.workers)
    files = sorted(inbox.rglob("*.xlsx"))
    print(f"prepared {len(files)} returned workbooks in {time.perf_counter() - t:.1f} s")

    probe_before = speed_probe()
    t = time.perf_counter()
    cpu0 = _cpu()
    port = collect(inbox, workers=args.workers)
    wall = time.perf_counter() - t
    cpu = _cpu() - cpu0
    probe_after = speed_probe()
    me, kids = peak_mb()
    print(f"collect: {len(files)} files -> {len(port.rows)} partnerships, {len(port.problems)} problems; "
          f"wall {wall:.1f} s, {len(files) / wall:.0f} files/s; peak memory: main {me:.0f} MB, largest worker {kids:.0f} MB "
          f"(target 10 s, 500 MB); CPU {cpu:.1f} s ({cpu / max(len(files), 1) * 1000:.1f} ms a file)  load {_load()}")
    print(speed_line(probe_before, probe_after))

    sample = files[: args.sample]
    timings = {}
    for reader in ("calamine", "openpyxl"):
        t = time.perf_counter()
        for f in sample:
            recompute(f, reader)
        timings[reader] = (time.perf_counter() - t) / len(sample)
    print(f"read inputs + recompute, per file ({len(sample)} files): our reader (safety + python-calamine) {timings['calamine'] * 1000:.1f} ms, "
          f"plain openpyxl {timings['openpyxl'] * 1000:.0f} ms -> openpyxl/ours = {timings['openpyxl'] / timings['calamine']:.1f}x  load {_load()}")

    from generator.libreoffice import find_soffice, recalculate

    one = next(f for f in files if f.name.endswith("scenario-projections.xlsx"))
    recompute(one, "calamine")
    t, c = time.perf_counter(), time.process_time()
    for _ in range(20):
        recompute(one, "calamine")
    py, py_cpu = (time.perf_counter() - t) / 20, (time.process_time() - c) / 20
    if find_soffice():
        t, c = time.perf_counter(), _cpu()
        recalculate([one], work / "lo")
        lo, lo_cpu = time.perf_counter() - t, _cpu() - c
        print(f"one filled workbook: Python recalculation (read safely + extract + model) {py * 1000:.1f} ms (CPU {py_cpu * 1000:.1f} ms), "
              f"LibreOffice headless recalculation {lo * 1000:.0f} ms (CPU {lo_cpu * 1000:.0f} ms) -> LibreOffice/Python = "
              f"{lo / py:.0f}x (target >= 200x)  load {_load()}")
        some = [f for f in files if f.name.endswith("scenario-projections.xlsx")][: args.lo_files]
        t = time.perf_counter()
        for f in some:
            recompute(f, "calamine")
        py_n = (time.perf_counter() - t) / len(some)
        t, c = time.perf_counter(), _cpu()
        recalculate(some, work / "lo-many")
        lo_n, lo_n_cpu = (time.perf_counter() - t) / len(some), (_cpu() - c) / len(some)
        print(f"{len(some)} filled workbooks in one LibreOffice run (start-up shared; stricter): Python {py_n * 1000:.1f} ms a file, "
              f"LibreOffice {lo_n * 1000:.0f} ms a file (CPU {lo_n_cpu * 1000:.0f} ms) -> LibreOffice/Python = {lo_n / py_n:.0f}x "
              f"(target >= 200x, set on the one-file way)  load {_load()}")
    else:
        print(f"one filled workbook: Python recalculation {py * 1000:.0f} ms (LibreOffice not installed: no comparison)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
