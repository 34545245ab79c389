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


def test_builds_in_threads_at_once_write_the_ordinary_build(tmp_path: Path) -> None:
    """The web page builds in several threads at once: fill mode stays on until the last build
    inside it has finished, so every file is still the one a plain build writes."""
    import threading

    names = list(example_names())
    want: dict[str, list[bytes]] = {}
    for name in names:
        paths = plain_build(load_partnership(example_path(name)), tmp_path / f"plain-{name}", BuildOptions(build_time=WHEN))
        want[name] = [p.read_bytes() for p in sorted(paths)]
    got: dict[str, list[bytes]] = {}
    errors: list[BaseException] = []

    def build(name: str, round_: int) -> None:
        try:
            out = tmp_path / f"thread-{name}-{round_}"
            paths = build_workbooks(load_partnership(example_path(name)), out, BuildOptions(build_time=WHEN))
            got[f"{name}-{round_}"] = [p.read_bytes() for p in sorted(paths)]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(name, r)) for r in range(2) for name in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert not fill.STATE["on"], "fill mode left on after the last build"
    for key, files in got.items():
        assert files == want[key.rsplit("-", 1)[0]], key


def test_fill_mode_stays_on_while_any_build_is_inside() -> None:
    """Two builds overlap (threads of the web page): the first to finish must not switch fill
    mode off under the second, whose cells were written for fill mode's writer."""
    first, second = fill.filling(), fill.filling()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    try:
        assert fill.STATE["on"], "fill mode was switched off while a build was still inside it"
    finally:
        second.__exit__(None, None, None)
    assert not fill.STATE["on"]


def test_start_keeps_fill_mode_on_for_the_life_of_a_worker(tmp_path: Path) -> None:
    """A batch worker calls fill.start() once: fill mode must then stay on through garbage
    collections and builds (each build's own filling() nests inside it, and leaving it must not
    switch fill mode off). Run in a fresh interpreter, as start() lasts for its process."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import gc
        from generator.build import BuildOptions, build_workbooks, example_path
        from generator.schema import load_partnership
        from generator.workbook import fill
        fill.start()
        gc.collect()
        states = [fill.STATE["on"]]
        build_workbooks(load_partnership(example_path("riverside-housing")), {str(tmp_path)!r}, BuildOptions())
        gc.collect()
        states.append(fill.STATE["on"])
        fill.start()
        print(states, fill._USERS[0])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[True,", "True]", "1"], done.stdout
    assert not done.stderr.strip(), done.stderr


def _cells_both_ways(tmp_path: Path) -> tuple[Path, Path]:
    """The same cells, odd ones included, written by xlsxwriter's own methods and by fill mode's
    put_* functions and sheet writer (layout.Sheet in both, so only the writing differs)."""
    from fractions import Fraction

    import xlsxwriter

    from generator.batch import fast_formulas
    from generator.workbook.layout import Sheet, TypedEmpty

    numbers: list[Any] = [0, -0.0, 1.5, 1e-320, 2**62, -(2**63), 2**63, 10**20, Fraction(1, 3), 123456789.123456789]
    texts = ["", "a", " spaced ", "<&>\"'", "x" * 20_000, "\U0001F600" * 17_000, "_x0041_", "line\nbreak"]
    formulas: list[tuple[str, Any]] = [("=SUM(A1:A2)", 3), ("=A1", 1.25), ("=A1>0", True), ("=A1<0", False),
                                       ('=IF(A1,"yes","")', "yes"), ('=""', ""), ('=""', TypedEmpty("")),
                                       ("=1/0", "#DIV/0!"), ("=NA()", "#N/A"), ("=_xlfn.XLOOKUP(1,A1:A3,B1:B3)", 2),
                                       ("=FILTER(A1:A3,A1:A3>0)", 1), ("{=SUM(A1:A2*B1:B2)}", 4), ("=A1&\"<b>\"", "1<b>")]

    def write(path: Path, filled: bool) -> None:
        wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                             "strings_to_urls": False, "in_memory": True})
        fmt, other = wb.add_format({"bold": True}), wb.add_format({"num_format": "0.00"})
        ws = wb.add_worksheet("Cells", worksheet_class=Sheet)
        codes = []
        cells = [(r, c) for r in (0, 1, 15, 16, 17, 40, 1_048_575, 1_048_576, -1) for c in (3, 0, 1, 16_383, 16_384)]
        for n, (r, c) in enumerate(cells):
            f = (fmt, other, None)[n % 3]
            kind = n % 4
            if kind == 0:
                value = numbers[n % len(numbers)]
                try:
                    codes.append(fill.put_number(ws, r, c, value, f) if filled else ws._write_number(r, c, value, f))
                except TypeError as exc:
                    codes.append(str(exc))
            elif kind == 1:
                text = texts[n % len(texts)]
                codes.append(fill.put_string(ws, r, c, text, f) if filled else ws._write_string(r, c, text, f))
            elif kind == 2:
                codes.append(fill.put_blank(ws, r, c, f) if filled else ws._write_blank(r, c, None, f))
            else:
                text, cached = formulas[n % len(formulas)]
                codes.append(fill.put_formula(ws, r, c, text.lstrip("="), f, cached) if filled
                             else ws._write_formula(r, c, "=" + text.lstrip("="), f, cached))
        for value in (float("nan"), float("inf"), -float("inf")):
            try:
                codes.append(fill.put_number(ws, 2, 2, value, fmt) if filled else ws._write_number(2, 2, value, fmt))
            except TypeError as exc:
                codes.append(str(exc))
        ws.set_row(3, 30)               # a row with a height and no cells, one with both, a hidden one
        ws.set_row(15, 22, other)
        ws.set_row(41, None, None, {"hidden": True})
        ws.write_comment(40, 0, "a comment")   # a sheet with comments goes to xlsxwriter's own writer
        quiet = wb.add_worksheet("Quiet", worksheet_class=Sheet)
        for r in (5, 2, 33):
            for c in (7, 1, 4):
                if filled:
                    fill.put_number(quiet, r, c, r * c + 0.5, fmt)
                else:
                    quiet._write_number(r, c, r * c + 0.5, fmt)
        quiet.set_row(20, 18)
        ws.write_string(60, 0, f"codes {codes}")
        wb.set_properties({"created": WHEN})
        wb.close()

    plain, filled = tmp_path / "plain.xlsx", tmp_path / "filled.xlsx"
    write(plain, False)
    with fast_formulas(), fill.filling():
        write(filled, True)
    return plain, filled


def test_fill_mode_cell_writes_are_xlsxwriters_own(tmp_path: Path) -> None:
    """Numbers (ints past 64 bits, a Fraction, NaN and infinities), text (a string past Excel's
    length, escapes), blanks with and without a format, formulas with every kind of cached value
    (dynamic-array and {array} ones too), cells off the sheet, rows with heights and out-of-order
    cells: fill mode's writes give the sheet xlsxwriter's own writes give, return codes and
    refusals included."""
    plain, filled = _cells_both_ways(tmp_path)
    want, got = parts(plain), parts(filled)
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], f"part {name} differs"
    assert b"codes [" in want["xl/sharedStrings.xml"]


def test_fingerprint_is_made_once_per_set_and_right_for_each(tmp_path: Path) -> None:
    """fill.fingerprint gives generator.fingerprint's answer for a set seen before, a set one formula
    apart and sets whose records hold the separators its cache joins them with."""
    from generator.fingerprint import fingerprint

    base = [("Staffing", f"B{n}", f"SUM(C{n}:D{n})") for n in range(5, 60)]
    changed = base[:-1] + [("Staffing", "B59", "SUM(C59:D58)")]
    tricky = [[("a\x1fb", "c", "d")], [("a", "b\x1fc", "d")], [("a", "b", "c\x1ed")], [("a", "b", "c"), ("d", "e", "f")], []]
    for records in [base, list(base), changed, *tricky, base]:
        assert fill.fingerprint(records) == fingerprint(records)
    assert fill.fingerprint(base) != fill.fingerprint(changed)


def test_books_compress_at_the_toolkits_level_and_other_workbooks_at_zipfiles(tmp_path: Path) -> None:
    """A Book's parts are deflated at fill.COMPRESS_LEVEL, in an ordinary build and fill mode alike;
    any other xlsxwriter workbook written in the same process keeps zipfile's default level."""
    import zlib

    import xlsxwriter

    def level_of(path: Path) -> set[int]:
        found = set()
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                data = z.read(info)
                for lvl in (1, 6):
                    deflate = zlib.compressobj(lvl, zlib.DEFLATED, -15)
                    if len(data) > 2000 and len(deflate.compress(data) + deflate.flush()) == info.compress_size:
                        found.add(lvl)
        return found

    p = load_partnership(example_path("riverside-housing"))
    plain = plain_build(p, tmp_path / "plain", BuildOptions(build_time=WHEN))
    built = build_workbooks(p, tmp_path / "built", BuildOptions(build_time=WHEN), content=CONTENT)
    other = tmp_path / "other.xlsx"
    wb = xlsxwriter.Workbook(str(other), {"in_memory": True})
    wb.set_properties({"created": WHEN})
    ws = wb.add_worksheet()
    for r in range(3000):
        ws.write_string(r, 0, f"row {r} of a workbook that is no Book, {r * 7 % 13} and {r % 97}")
        ws.write_number(r, 1, r * 1.25)
    wb.close()
    assert fill.COMPRESS_LEVEL != 6
    for path in [*plain, *built]:
        assert level_of(path) == {fill.COMPRESS_LEVEL}, path.name
    assert level_of(other) == {6}


def test_a_written_workbook_is_freed_without_the_garbage_collector(tmp_path: Path) -> None:
    """A build leaves (almost) nothing for the cycle collector: a workbook's cells go when its Book
    goes, so a batch need not collect garbage during a build (batch._collect_between_builds)."""
    import gc

    p = load_partnership(example_path("riverside-housing"))
    build_workbooks(p, tmp_path / "warm", content=CONTENT)
    gc.collect()
    gc.disable()
    try:
        build_workbooks(p, tmp_path / "again", content=CONTENT)
        left = gc.collect()
    finally:
        gc.enable()
    assert left < 500, f"{left} objects of a finished build were left for the garbage collector"


def test_a_batch_leaves_garbage_collection_on(tmp_path: Path) -> None:
    """The batch turns the collector off only inside each build."""
    import gc

    (tmp_path / "roster.csv").write_text("name,backbone_structure,fiscal_year_start\n"
                                         "North Partnership,hosted_nonprofit,2026-07-01\n"
                                         "South Partnership,hosted_nonprofit,2027-01-01\n", encoding="utf-8")
    assert gc.isenabled()
    batch = run_batch(tmp_path / "roster.csv", tmp_path / "out", workers=1, progress=False, content=CONTENT)
    assert len(batch.built) == 2, batch.problems
    assert gc.isenabled()
