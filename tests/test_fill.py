"""Fill mode (generator/workbook/fill.py, on in every build and batch) writes the file the
builders write with xlsxwriter alone.

Every part of every workbook built in fill mode (after other partnerships of the same shape
filled its caches) is held equal to the part the builders write for the same data with plain
xlsxwriter (no fill mode, no fast formulas),
and, with the build time fixed, the whole file byte for byte: over the examples, the blank
templates, a wider capacity and data files generated for every shape (years 3 to 10, the
template's scenarios and 1 to 6 of their own). `pbp-toolkit batch` itself is held to the same.
"""
from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from generator.batch import fast_formulas, run_batch
from generator.build import BuildOptions, blank_partnership, build_workbooks, builders, example_names, example_path
from generator.content import load_content
from generator.kinds import Capacity, slugify
from generator.schema import Partnership, load_partnership, validate_data
from generator.workbook import fill

from .strategies import partnership_data

CONTENT = load_content()
WHEN = dt.datetime(2026, 3, 4, 5, 6, 7)


def generated() -> list[dict[str, Any]]:
    """Two data files per scenario count (the template's, then 1 to 6 of their own), years drawn 3 to 10."""
    found: list[dict[str, Any]] = []
    for n in range(7):
        @settings(max_examples=2, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
        @given(partnership_data(n_scenarios=n))
        def take(data: dict[str, Any]) -> None:
            found.append(data)

        take()
    return found


def cases() -> list[tuple[str, Partnership, BuildOptions, bool]]:
    out = [(name, load_partnership(example_path(name)), BuildOptions(build_time=WHEN), False) for name in example_names()]
    for years in (3, 5, 10):
        out.append((f"blank-{years}", blank_partnership(years, CONTENT), BuildOptions(build_time=WHEN), True))
    wide = Capacity(staff=55, expenses=45, revenue=60, unfunded=25, one_time=30)
    out.append(("riverside-wide", load_partnership(example_path("riverside-housing")), BuildOptions(capacity=wide, build_time=WHEN), False))
    for n, data in enumerate(generated()):
        out.append((f"generated-{n}", validate_data(data, f"generated-{n}", CONTENT), BuildOptions(build_time=WHEN), False))
    return out


def plain_build(p: Partnership, outdir: Path, options: BuildOptions, blank: bool = False, slug: str | None = None) -> list[Path]:
    """Both workbooks as the builders write them with xlsxwriter alone (no fill mode, no fast
    formulas): what `build_workbooks` writes, by the path that shares none of fill mode's code."""
    outdir.mkdir(parents=True, exist_ok=True)
    slug = slug or ("blank" if blank else slugify(p.organization.name))
    assert not fill.STATE["on"]
    out = []
    for kind, builder in builders().items():
        path = outdir / f"{slug}-{kind}.xlsx"
        builder(p, path, content=CONTENT, capacity=options.capacity, blank=blank, build_time=options.build_time)
        out.append(path)
    return out


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def assert_same_file(plain: Path, filled: Path) -> None:
    want, got = parts(plain), parts(filled)
    assert list(got) == list(want), f"{filled.name}: parts differ"
    for name in want:
        assert got[name] == want[name], f"{filled.name}: part {name} differs from the ordinary build's"
    assert filled.read_bytes() == plain.read_bytes(), f"{filled.name}: the zip differs though every part is equal"


def test_fill_mode_writes_the_ordinary_build(tmp_path: Path) -> None:
    all_cases = cases()
    assert len({(p.years, len(p.scenario_list(CONTENT))) for _, p, _, _ in all_cases}) >= 8  # many shapes
    plain = {label: plain_build(p, tmp_path / "plain" / label, o, blank=b) for label, p, o, b in all_cases}
    fill.clear()
    with fast_formulas(), fill.filling():
        for _ in range(2):  # the second round fills every shape from caches made for other partnerships
            before = dict(fill.STATS)
            for label, p, o, b in all_cases:
                for want, got in zip(plain[label], build_workbooks(p, tmp_path / "fill" / label, o, blank=b, content=CONTENT)):
                    assert_same_file(want, got)
    assert fill.STATS["heads_made"] == before["heads_made"], "the second round made cell XML afresh"
    assert fill.STATS["parts_reused"] - before["parts_reused"] >= 10 * len(all_cases), "unchanged parts were not reused"
    assert not fill.STATE["on"]


def test_batch_writes_the_ordinary_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch (two workers) over rows of several shapes, some partnerships sharing a data file,
    gives the files `build_workbooks` writes for each row's partnership."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    (tmp_path / "data").mkdir()
    names = example_names()
    for name in names:
        (tmp_path / "data" / f"{name}.yaml").write_bytes(example_path(name).read_bytes())
    rows = [[f"Partnership {n:02d}", "North", "", "hosted_nonprofit", f"{2026 + n % 2}-07-01",
             f"data/{names[n % len(names)]}.yaml" if n % 4 else ""] for n in range(12)]
    with open(tmp_path / "roster.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["name", "region", "focus", "backbone_structure", "fiscal_year_start", "data_file"], *rows])
    batch = run_batch(tmp_path / "roster.csv", tmp_path / "out", workers=2, progress=False, content=CONTENT)
    assert not batch.failed and len(batch.built) == len(rows)
    from generator.batch import DataFiles, read_roster, prepare_row
    from generator.build import stamp_time

    roster_rows, _ = read_roster(tmp_path / "roster.csv")
    files = DataFiles(tmp_path)
    for row, result in zip(roster_rows, batch.rows):
        p, problems = prepare_row(row, files, CONTENT)
        assert p is not None and not problems
        plain = plain_build(p, tmp_path / "plain", BuildOptions(build_time=stamp_time()), slug=result.slug)
        for want, built in zip(plain, result.files):
            assert_same_file(want, tmp_path / "out" / built.file)
