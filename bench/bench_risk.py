"""Benchmark of the risk Monte Carlo: 10,000 runs x 50 revenue sources x 10 years (target < 1 s).

Usage: python bench/bench_risk.py [--runs 10000] [--sources 50] [--years 10] [--repeat 5]

Prints the time of `generator.model.risk.simulate` on a generated partnership (the full
call: projecting the scenario's expenses, drawing arrivals, the matrix product,
probabilities and percentiles), best and median of --repeat runs, and exits 1 when the
best time is over the 1 s target.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.content import load_content  # noqa: E402
from generator.model.risk import simulate  # noqa: E402
from generator.schema import Partnership, validate_data  # noqa: E402

TARGET_S = 1.0


def partnership(sources: int, years: int) -> Partnership:
    """A partnership with `sources` revenue sources over `years` years, every confidence level used."""
    levels = ["committed", "likely", "possible", "prospect"]
    streams = ["philanthropy", "public", "partner_contributions", "earned_revenue", "individual_corporate"]
    revenue = [
        {"name": f"Source {j + 1}", "stream": streams[j % len(streams)], "confidence": levels[j % len(levels)],
         "amounts": [24_000.0 + 1_000.0 * ((j * 7 + t) % 13) for t in range(years)]}
        for j in range(sources)
    ]
    staff = [{"title": f"Post {i + 1}", "fte": 1.0, "salary": 55_000.0 + 3_000 * i, "functions": "operations"} for i in range(8)]
    expenses = [{"name": f"Cost {i + 1}", "category": "other", "amount": 15_000.0} for i in range(10)]
    return validate_data({
        "organization": {"name": "Benchmark", "backbone_structure": "standalone_nonprofit", "fiscal_year_start": "2026-07-01"},
        "staff": staff, "expenses": expenses, "revenue": revenue,
        "projections": {"years": years, "starting_cash": 250_000.0},
    }, "<benchmark>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    content = load_content()
    p = partnership(args.sources, args.years)
    simulate(p, runs=100, seed=0, content=content)  # warm up imports and numpy
    times = []
    for r in range(args.repeat):
        started = time.perf_counter()
        result = simulate(p, runs=args.runs, seed=r, content=content)
        times.append(time.perf_counter() - started)
    best, median = min(times), statistics.median(times)
    print(f"risk.simulate: {args.runs:,} runs x {args.sources} sources x {args.years} years: "
          f"best {best * 1000:.1f} ms, median {median * 1000:.1f} ms over {args.repeat} "
          f"(target < {TARGET_S:g} s: {'ok' if best < TARGET_S else 'TOO SLOW'})")
    print(f"  last run: P(cash < 0) in {result.labels[-1]} = {result.p_below_zero[-1]:.3f}, "
          f"P50 ending cash {result.p50[-1]:,.0f}")
    return 0 if best < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
