"""Build every distributable into dist/: the blank templates and both workbooks for every example,
the xlwings add-in (PBP Toolkit.xlam) and macro-enabled (.xlsm) copies of every workbook (17 files
with the three shipped examples; the names are those `pbp-toolkit build` writes).

Usage: python build.py [--out dist]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from generator.build import BuildOptions, blank_partnership, build_workbooks, example_names, example_path, stamp_time
from generator.content import load_content
from generator.schema import load_partnership


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="dist", type=Path, help="output folder (default: dist)")
    parser.add_argument("--no-addin", action="store_true", help="skip the xlwings add-in and the .xlsm copies")
    args = parser.parse_args(argv)
    content = load_content()
    jobs = [("blank", blank_partnership(content=content), True)]
    jobs += [(name, load_partnership(example_path(name), content), False) for name in example_names()]
    all_made: list[Path] = []
    for name, p, blank in jobs:
        started = time.perf_counter()
        # the file names `pbp-toolkit build --example NAME` (or --blank) writes: the slug of the partnership's name
        made = build_workbooks(p, args.out, BuildOptions(build_time=stamp_time()), blank=blank, content=content)
        for path in made:
            print(f"{path}  {path.stat().st_size / 1024:6.0f} KiB")
        print(f"  {name}: {time.perf_counter() - started:.2f} s")
        all_made += made
    if args.no_addin:
        return 0
    from macros.build_addin import build_addin, make_xlsm

    addin = build_addin(args.out)
    print(f"{addin}  {addin.stat().st_size / 1024:6.0f} KiB")
    for path in all_made:
        xlsm = make_xlsm(path, path.with_suffix(".xlsm"))
        print(f"{xlsm}  {xlsm.stat().st_size / 1024:6.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
