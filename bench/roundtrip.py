"""The program officer's round trip, end to end, with figures.

python bench/roundtrip.py [--rows 200] [--keep DIR]

1. a roster of ROWS partnerships (the examples' data files under new names, and rows with
   no data file) -> `batch` builds both workbooks for each;
2. every workbook comes back "filled": a user types a new salary and a new year-1 revenue
   amount (openpyxl, by defined name), then the file is saved by LibreOffice with
   recalculation, as Excel would on save;
3. `collect` reads them all back.
Checks: every file is in the portfolio, nothing is in Problems, and each partnership's
numbers equal the model run on the data as the user changed it. Prints the timings.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.batch import run_batch  # noqa: E402
from generator.build import example_names, example_path  # noqa: E402
from generator.libreoffice import recalculate  # noqa: E402
from generator.model.full_cost import compute_full_cost  # noqa: E402
from generator.model.projections import compute_projections  # noqa: E402
from generator.readback.collect import collect  # noqa: E402
from generator.schema import Partnership, load_partnership, validate_data  # noqa: E402

STRUCTURES = ["standalone_nonprofit", "hosted_nonprofit", "fiscally_sponsored", "government_housed", "shared_backbone"]


def write_roster(path: Path, rows: int) -> list[dict[str, str]]:
    """A roster: most rows start from an example data file, every fifth from nothing."""
    examples = example_names()
    out = []
    for n in range(rows):
        row = {"name": f"Partnership {n + 1:04d}", "region": f"Region {n % 17}", "focus": "", "backbone_structure": "",
               "fiscal_year_start": "", "data_file": ""}
        if n % 5 == 4:
            row.update({"backbone_structure": STRUCTURES[n % len(STRUCTURES)], "fiscal_year_start": "2026-07-01", "focus": "New partnership"})
        else:
            row["data_file"] = str(example_path(examples[n % len(examples)]))
        out.append(row)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(out[0]))
        w.writeheader()
        w.writerows(out)
    return out


def expected_data(row: dict[str, str]) -> dict[str, Any]:
    """The data file a roster row stands for (before the user's edits)."""
    if row["data_file"]:
        data = load_partnership(row["data_file"]).to_data()
    else:
        data = {"organization": {"backbone_structure": row["backbone_structure"], "fiscal_year_start": row["fiscal_year_start"]}}
    for key in ("name", "region", "focus", "backbone_structure", "fiscal_year_start"):
        if row[key]:
            data["organization"][key] = row[key]
    return data


def fill(path: Path, n: int) -> tuple[float | None, float, bool]:
    """Type a new salary (adding a position when there is none: a workbook without staff or
    expenses is "not filled in") and a new first revenue amount; returns them and whether a
    position was added."""
    import openpyxl

    sys.path.insert(0, str(ROOT))
    from tests.edit import cell, set_value

    wb = openpyxl.load_workbook(path)
    salary = 90_000 + n
    added = not cell(wb, "Staff_title", 0).value
    if added:
        set_value(wb, "Staff_title", "Coordinator", 0)
        set_value(wb, "Staff_fte", 1, 0)
        set_value(wb, "Staff_share_operations", 1, 0)
        set_value(wb, "Staff_in_kind", "No", 0)
    set_value(wb, "Staff_salary", salary, 0)
    amount = 50_000 + n
    if "Rev_amount" in wb.defined_names:
        set_value(wb, "Rev_amount", amount, 0)
    else:
        set_value(wb, "Rev_y1", amount, 0)
    if cell(wb, "Rev_name", 0).value is None:  # a partnership with no revenue yet: the user adds a source
        set_value(wb, "Rev_name", "Community foundation", 0)
        set_value(wb, "Rev_stream", "Philanthropy", 0)
        set_value(wb, "Rev_confidence", "Committed", 0)
    wb.save(path)
    return salary, amount, added


def apply_edits(data: dict[str, Any], salary: float | None, amount: float, added: bool = False) -> Partnership:
    if added:
        data["staff"] = [{"title": "Coordinator", "fte": 1, "salary": salary, "functions": "operations"}]
    elif salary is not None:
        data["staff"][0]["salary"] = salary
    if data.get("revenue"):
        amounts = data["revenue"][0]["amounts"] or [0]
        data["revenue"][0]["amounts"] = [amount] + list(amounts[1:])
    else:
        data["revenue"] = [{"name": "Community foundation", "stream": "philanthropy", "confidence": "committed", "amounts": [amount]}]
    return validate_data(data, "edited")


def roundtrip(rows: int, work: Path, workers: int | None = None) -> dict[str, Any]:
    """Run the whole round trip; returns figures and a list of failures (empty when all is well)."""
    figures: dict[str, Any] = {"rows": rows}
    failures: list[str] = []
    roster = work / "roster.csv"
    roster_rows = write_roster(roster, rows)
    t = time.perf_counter()
    result = run_batch(roster, work / "sent", workers=workers, progress=False)
    figures["batch_s"] = time.perf_counter() - t
    if len(result.built) != rows:
        failures.append(f"batch built {len(result.built)} of {rows} rows")
    filled = work / "filled"
    filled.mkdir()
    edits: dict[str, tuple[float | None, float]] = {}
    t = time.perf_counter()
    for n, r in enumerate(result.rows):
        for f in r.files:
            dst = filled / Path(f.file).name
            shutil.copy(work / "sent" / f.file, dst)
            edits[f"{r.slug}|{f.kind}"] = fill(dst, n)
    figures["fill_s"] = time.perf_counter() - t
    t = time.perf_counter()
    files = sorted(filled.iterdir())
    back = work / "returned"
    for i in range(0, len(files), 100):  # LibreOffice in chunks: one soffice start per 100 files
        recalculate(files[i:i + 100], back)
    figures["libreoffice_s"] = time.perf_counter() - t
    t = time.perf_counter()
    port = collect(back, workers=workers)
    figures["collect_s"] = time.perf_counter() - t
    figures["files"] = port.files_seen
    if port.problems:
        failures += [f"problem: {p['file']}: {p['reason']}" for p in port.problems[:10]]
    rows_by_id = {r["partnership_id"]: r for r in port.rows}
    for n, row in enumerate(roster_rows):
        rr = result.rows[n]
        got = rows_by_id.get(rr.slug)
        if got is None:
            failures.append(f"row {n + 2}: {rr.slug} missing from the portfolio")
            continue
        fc_p = apply_edits(expected_data(row), *edits[f"{rr.slug}|full-cost"])
        sp_p = apply_edits(expected_data(row), *edits[f"{rr.slug}|scenario-projections"])
        fc, sp = compute_full_cost(fc_p), compute_projections(sp_p)
        first = sp_p.scenario_list()[0].id
        pairs = [("full_cost", fc["FC_Total"]), ("gap", fc["FC_Gap"]), ("indirect_rate", fc["FC_IndirectRate"]),
                 (f"{first}_EndCash", sp[f"SP_{first}_EndCash"][-1])]
        for key, want in pairs:
            if abs(got[key] - want) > 1e-6 * max(1.0, abs(want)):
                failures.append(f"{rr.slug}: {key} is {got[key]!r}, the model says {want!r}")
    figures["partnerships"] = len(port.rows)
    figures["failures"] = failures
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="pbp-roundtrip-"))
    work.mkdir(parents=True, exist_ok=True)
    f = roundtrip(args.rows, work)
    print(f"roster of {f['rows']} partnerships -> {f['files']} workbooks back -> {f['partnerships']} portfolio rows")
    print(f"batch {f['batch_s']:.1f} s; fill with openpyxl {f['fill_s']:.1f} s; LibreOffice save with recalculation "
          f"{f['libreoffice_s']:.1f} s; collect {f['collect_s']:.1f} s")
    print("all numbers equal the model on the edited data; nothing in Problems" if not f["failures"] else
          "FAILURES:\n  " + "\n  ".join(f["failures"][:20]))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if f["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
