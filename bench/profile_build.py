"""Where the time goes: a cProfile of one build of a workbook pair and of one collected file.

python bench/profile_build.py [--example riverside-housing] [--top 25]

Prints the top functions by cumulative and by total (own) time, for a build of both workbooks
of an example (once warm: content loaded and modules imported) and for reading one returned
file back as collect does (validate, extract, recompute).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.build import build_workbooks, example_path  # noqa: E402
from generator.content import load_content  # noqa: E402
from generator.readback.collect import _summarise  # noqa: E402
from generator.schema import load_partnership  # noqa: E402


def show(prof: cProfile.Profile, title: str, top: int) -> None:
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key).print_stats(top)
        body = out.getvalue()
        body = body[body.find("   ncalls"):] if "   ncalls" in body else body
        total = out.getvalue().split("function calls", 1)[0].strip().splitlines()[-1:]  # "N function calls ... in T seconds"
        print(f"== {title}: top {top} by {key} ({' '.join(total)} function calls ...)")
        print(body.rstrip())
        print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--example", default="riverside-housing")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    print(f"machine load {os.getloadavg()[0]:.2f} (1-minute average)")
    content = load_content()
    p = load_partnership(example_path(args.example))
    with tempfile.TemporaryDirectory() as tmp:
        build_workbooks(p, Path(tmp) / "warm", content=content)  # imports and caches
        prof = cProfile.Profile()
        prof.enable()
        paths = build_workbooks(p, Path(tmp) / "out", content=content)
        prof.disable()
        show(prof, f"build of the {args.example} pair", args.top)
        for path in paths:
            _summarise(str(path))  # warm
            prof = cProfile.Profile()
            prof.enable()
            _summarise(str(path))
            prof.disable()
            show(prof, f"collect of one file ({path.name})", args.top)


if __name__ == "__main__":
    main()
