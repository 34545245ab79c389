"""Build every distributable into dist/: the blank templates and both workbooks for every example.

Usage: python build.py [--out dist]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from generator.build import blank_partnership, build_workbooks, example_names, example_path
from generator.content import load_content
from generator.schema import load_partnership


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="dist", type=Path, help="output folder (default: dist)")
    args = parser.parse_args(argv)
    content = load_content()
    jobs = [("blank", blank_partnership(content=content), True)]
    jobs += [(name, load_partnership(example_path(name), content), False) for name in example_names()]
    for name, p, blank in jobs:
        started = time.perf_counter()
        made = build_workbooks(p, args.out, blank=blank, slug=name, content=content)
        for path in made:
            print(f"{path}  {path.stat().st_size / 1024:6.0f} KiB")
        print(f"  {name}: {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
