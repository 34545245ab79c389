"""Benchmark `pbp-toolkit batch`: a roster of 1,000 partnerships (the examples' data files
under varied names, and some rows with no data file), built with both workbooks each.

    python bench/bench_batch.py [--rows 1000] [--workers N] [--keep DIR]

Prints wall time, CPU time per partnership, workbooks per second and peak memory (this
process, and the largest worker process), each beside its target, with the machine's load
(the CPU time is what other work on a shared machine disturbs least) and a speed probe taken
before and after (bench/machine.py: how fast the machine ran, against a quiet run). Targets on a 2-core
machine: 1,000 partnerships in at most 30 s, at most 60 ms of CPU per partnership, at most
150 MB per worker.
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import speed_line, speed_probe  # noqa: E402
from generator.batch import run_batch  # noqa: E402
from generator.build import example_names, example_path  # noqa: E402

STRUCTURES = ["standalone_nonprofit", "hosted_nonprofit", "fiscally_sponsored", "government_housed", "shared_backbone"]
REGIONS = ["North", "South", "East", "West", "Central", "Coastal", "Valley", "Upstate"]
FOCUS = ["Ending homelessness", "Cradle to career", "Community health", "Early childhood", "Economic mobility"]


def make_roster(folder: Path, rows: int) -> Path:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = []
    for name in example_names():
        shutil.copy(example_path(name), data / f"{name}.yaml")
        files.append(f"data/{name}.yaml")
    roster = folder / "roster.csv"
    with open(roster, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "region", "focus", "backbone_structure", "fiscal_year_start", "data_file"])
        for n in range(rows):
            region = REGIONS[n % len(REGIONS)]
            data_file = files[n % len(files)] if n % 5 else ""  # one row in five has no data file
            w.writerow([f"{region} Partnership {n + 1:04d}", region, FOCUS[n % len(FOCUS)],
                        STRUCTURES[n % len(STRUCTURES)], f"{2026 + n % 2}-{1 + 6 * (n % 2):02d}-01", data_file])
    return roster


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _main_cpu() -> float:
    """User + system CPU seconds of this process alone (the roster, the checks, the manifest)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--keep", type=Path, default=None, help="keep the roster and workbooks in this folder")
    ap.add_argument("--progress", action="store_true", help="show the progress bar")
    args = ap.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="pbp-bench-"))
    try:
        roster = make_roster(folder, args.rows)
        load_before = os.getloadavg()[0]
        probe_before = speed_probe()
        cpu0, main0 = _cpu(), _main_cpu()
        started = time.perf_counter()
        batch = run_batch(roster, folder / "out", workers=args.workers, progress=args.progress)
        wall = time.perf_counter() - started
        cpu, main_cpu = _cpu() - cpu0, _main_cpu() - main0
        probe_after = speed_probe()
        cores = min(args.workers or os.cpu_count() or 1, os.cpu_count() or 1)
        self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size = sum(f.bytes for r in batch.rows for f in r.files)
        print(f"partnerships      {len(batch.rows)} ({len(batch.built)} built, {len(batch.failed)} failed)")
        print(f"workbooks         {batch.files} ({size / 1e6:.0f} MB)")
        print(f"workers           {args.workers or os.cpu_count()} on {os.cpu_count()} core(s)")
        print(f"wall time         {wall:.1f} s  (target <= 30 s for 1,000 on 2 cores)  load {_load()}")
        print(f"throughput        {batch.files / wall:.1f} workbooks/s, {len(batch.rows) / wall:.1f} partnerships/s")
        print(f"peak memory       main {self_mb:.0f} MB, largest worker {child_mb:.0f} MB (target <= 150 MB per worker)")
        print(f"CPU time          {cpu:.1f} s in all ({cpu / max(len(batch.rows), 1) * 1000:.0f} ms per partnership, "
              f"target <= 60 ms); on {cores} idle core(s) that is about {cpu / cores:.1f} s of wall time  load {_load()}")
        print(f"  of which main  {main_cpu:.1f} s ({main_cpu / max(len(batch.rows), 1) * 1000:.1f} ms per partnership: the roster "
              "read and checked, the rows sent to the workers, the manifest)")
        print(f"machine load      {load_before:.2f} when the batch started, {_load()} at the end (1, 5, 15-minute "
              "averages; other work slows the wall time)")
        print(speed_line(probe_before, probe_after))
        if batch.failed:
            print("first problem:", batch.problems[0])
            sys.exit(1)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
