"""How fast the machine is running just now, printed beside a benchmark's figures.

A shared 2-core machine's speed drifts: the same commit measured 65 and 102 ms of CPU per
partnership in two chunks of one batch, minutes apart. `speed_probe` times a fixed piece of
pure-Python work of the kind a build does (formatting cell references and formula text, dict
lookups, joining), so that a figure can be read against the speed the machine had when it
was taken. It only samples: it lasts a tenth of a second before and after, so a probe above the
quiet value says the machine was slow, but one at the quiet value does not prove the run between
was quiet (it read 7.1 to 7.7 ms around batches that took 28.9 s and 35.9 s). Instruction counts
(`valgrind --tool=callgrind`) are what to compare two commits by.
"""
from __future__ import annotations

import time

#: the probe's time (ms, best of five) on a quiet run of the 2-core machine the targets were set on
#: (2026-12-08: 7.0 to 7.4 ms while bench_batch.py took 28.9 to 30.4 s for 1,000 partnerships)
QUIET_MS = 7.2


def _work() -> int:
    heads: dict[tuple[int, int, str], str] = {}
    out = []
    for r in range(400):
        for c in range(25):
            key = (r, c, "calc")
            head = heads.get(key)
            if head is None:
                head = heads[key] = f'<c r="{chr(65 + c)}{r + 1}" s="{c % 7}"><f>SUM({chr(65 + c)}1:{chr(65 + c)}{r + 1})</f><v>'
            out.append(f"{head}{r * 1.5 + c}</v></c>")
    return len("".join(out))


def speed_probe() -> float:
    """CPU milliseconds of the fixed work, best of five (about 0.1 s in all)."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        _work()
        best = min(best, time.process_time() - started)
    return best * 1000


def speed_line(before: float, after: float) -> str:
    """The probe before and after a run, against a quiet run's: a figure taken while the machine ran
    slower than that is that much slower than the code."""
    slow = max(before, after) / QUIET_MS
    note = (" (at that moment the machine ran about {:.0%} slower than on a quiet run)".format(slow - 1)
            if slow > 1.1 else "")
    return (f"speed probe       {before:.1f} ms before, {after:.1f} ms after (a quiet run: {QUIET_MS:.1f} ms; lower is faster; "
            f"a sample, not a proof of a quiet run){note}")
