"""The `pbp-toolkit` command line."""
from __future__ import annotations

import sys
import zipfile
import time
from pathlib import Path

import click

from . import __version__
from .build import KINDS, BuildOptions, blank_partnership, build_workbooks, example_names, example_path, stamp_time
from .content import ContentError, load_content
from .schema import DataFileError, Partnership, load_partnership, validate_data
from .workbook.full_cost import Capacity


def _fail(message: str, code: int = 2) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="pbp-toolkit")
def main() -> None:
    """Place-Based Partnerships Toolkit.

    Builds formula-driven Excel workbooks for the backbone of a place-based partnership:
    the Full Cost Workbook (what it really costs to run the backbone, across the six areas
    of full cost) and the Scenario Projections Tool (multi-year revenue and staffing
    scenarios). The workbooks work in plain Excel, LibreOffice or Google Sheets.

    \b
    Start with:
      pbp-toolkit examples                         list the example partnerships
      pbp-toolkit build --example riverside-housing -o out/
      pbp-toolkit build my-partnership.yaml -o out/
      pbp-toolkit build --blank -o out/            empty templates to fill in by hand
    """


@main.command()
@click.argument("data_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the workbooks into (created if missing).")
@click.option("--blank", is_flag=True, help="Build the blank templates instead of a data file.")
@click.option("--example", metavar="NAME", help="Build a shipped example (see `pbp-toolkit examples`).")
@click.option("--workbook", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Which workbook to build (repeatable). Default: both.")
@click.option("--years", type=click.IntRange(3, 10), help="Projection horizon for the Scenario Projections Tool (3-10).")
@click.option("--staff-rows", type=click.IntRange(1, 2000), default=40, show_default=True, help="Rows in the staff tables.")
@click.option("--expense-rows", type=click.IntRange(1, 2000), default=40, show_default=True, help="Rows in the expense tables.")
@click.option("--revenue-rows", type=click.IntRange(1, 2000), default=50, show_default=True, help="Rows in the revenue tables.")
@click.option("--password", default=None, help="Protect formula sheets with this password (default: protected, no password).")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "xlsm"]), default="xlsx", show_default=True,
              help="xlsm: macro-enabled workbooks with the PBP Toolkit macros, ribbon tab and xlwings' config sheet (needs xlwings).")
def build(data_file: Path | None, outdir: Path, blank: bool, example: str | None, kinds: tuple[str, ...], years: int | None,
          staff_rows: int, expense_rows: int, revenue_rows: int, password: str | None, fmt: str) -> None:
    """Build the workbooks for DATA_FILE (a partnership .yaml), an --example, or --blank.

    Writes OUT/<slug>-full-cost.xlsx and OUT/<slug>-scenario-projections.xlsx, where the
    slug comes from the partnership's name. Nothing is written when the data file is invalid:
    every problem is listed with its path in the file (for example staff[3].functions).
    """
    chosen = [x for x in (data_file is not None, blank, example is not None) if x]
    if len(chosen) != 1:
        _fail("Give exactly one of: a DATA_FILE, --example NAME or --blank. See `pbp-toolkit build --help`.")
    try:
        content = load_content()
        if blank:
            p = blank_partnership(years or 5, content)
        else:
            path = example_path(example) if example else data_file
            p = load_partnership(path, content)
    except (DataFileError, ContentError, FileNotFoundError) as exc:
        _fail(str(exc), 1)
    options = BuildOptions(kinds=tuple(kinds) or None, password=password, years=years, build_time=stamp_time(),
                           capacity=Capacity(staff=staff_rows, expenses=expense_rows, revenue=revenue_rows))
    started = time.perf_counter()
    try:
        made = build_workbooks(p, outdir, options, blank=blank, content=content)
    except (ValueError, DataFileError) as exc:
        _fail(str(exc), 1)
    if fmt == "xlsm":
        from macros.build_addin import AddinBuildError, make_xlsm
        try:
            converted = []
            for path in made:
                converted.append(make_xlsm(path, path.with_suffix(".xlsm")))
                path.unlink()
            made = converted
        except AddinBuildError as exc:
            _fail(str(exc), 1)
    for path in made:
        click.echo(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    click.echo(f"built {len(made)} workbook(s) in {time.perf_counter() - started:.2f} s", err=True)


@main.command()
def examples() -> None:
    """List the example partnership data files shipped in templates/examples."""
    for name in example_names():
        p = load_partnership(example_path(name))
        o = p.organization
        click.echo(f"{name:32s} {o.name} ({o.backbone_structure}, {len(p.staff)} positions, {p.years} years)")


@main.command()
@click.argument("data_file", type=click.Path(dir_okay=False, path_type=Path))
def check(data_file: Path) -> None:
    """Validate a partnership data file without building anything."""
    try:
        p = load_partnership(data_file)
    except DataFileError as exc:
        _fail(str(exc), 1)
    click.echo(f"{data_file}: valid ({p.organization.name}, {len(p.staff)} positions, {len(p.revenue)} revenue sources)")


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_pdf", type=click.Path(dir_okay=False, path_type=Path),
              help="PDF to write (default: next to the workbook).")
@click.option("--all", "all_sheets", is_flag=True, help="Print every sheet, not only the board pack.")
def pdf(workbook: Path, out_pdf: Path | None, all_sheets: bool) -> None:
    """Print a workbook to a PDF through LibreOffice (recalculated first).

    By default the board pack: the output sheets (Summary and Full Cost, or Scenario View and
    Compare), each page headed by the partnership's name and today's date. --all prints every
    sheet. Empty spare rows of the input tables are left out of print (a few are kept)."""
    import tempfile

    from .boardpack import print_copy
    from .libreoffice import LibreOfficeError, find_soffice, to_pdf

    if find_soffice() is None:
        _fail("LibreOffice (soffice) is needed for PDF export: install it (Debian: apt-get install libreoffice-calc-nogui).")
    target = out_pdf or workbook.with_suffix(".pdf")
    try:
        with tempfile.TemporaryDirectory(prefix="pbp-print-") as tmp:
            copy = print_copy(workbook, Path(tmp) / workbook.name, all_sheets=all_sheets)
            to_pdf(copy, target)
    except LibreOfficeError as exc:
        _fail(f"{workbook}: PDF export failed: {exc}")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        _fail(f"{workbook}: not a workbook this command can print: {exc}")
    click.echo(f"wrote {target}")


@main.command()
@click.argument("data_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), help="Keep the built and recalculated files in this folder.")
def verify(data_file: Path, keep: Path | None) -> None:
    """Build the workbooks for DATA_FILE and prove them: the Python model, the values cached
    in each file and LibreOffice's recalculation must agree on every output, and no cell may
    hold an error value. Exit status 0 when all agree, 1 otherwise."""
    from .libreoffice import LibreOfficeError, find_soffice
    from .verify import verify as run_verify

    if find_soffice() is None:
        _fail("LibreOffice (soffice) is needed to verify: install it (Debian: apt-get install libreoffice-calc-nogui).")
    try:
        p = load_partnership(data_file)
    except DataFileError as exc:
        _fail(str(exc), 1)
    try:
        verdicts = run_verify(p, keep)
    except LibreOfficeError as exc:
        _fail(f"LibreOffice failed: {exc}")
    bad = 0
    for v in verdicts:
        status = "ok" if v.ok else "DIFFERS"
        click.echo(f"{v.kind:22s} {status:8s} {v.outputs} outputs; cached mismatches {len(v.cached_mismatches)}, "
                   f"recalculated mismatches {len(v.recalc_mismatches)}, error cells {len(v.errors)}")
        for line in (v.cached_mismatches + v.recalc_mismatches)[:20]:
            click.echo(f"    {line}")
        for sheet, coord, err in v.errors[:20]:
            click.echo(f"    {sheet}!{coord}: {err}")
        bad += not v.ok
    sys.exit(1 if bad else 0)


def _extract_partnership(files: tuple[Path, ...]) -> "tuple[Partnership, list[str]]":
    """Extract and merge the inputs of one partnership's workbooks; exits with the problems when invalid."""
    from .readback.merge import merge_extracted
    from .readback.extract import extract as run_extract
    from .readback.source import SourceError

    extracted = []
    for f in files:
        try:
            extracted.append(run_extract(f))
        except (SourceError, OSError) as exc:
            _fail(f"{f}: {exc}", 2)
    data, notes = merge_extracted(extracted)
    try:
        return validate_data(data, " + ".join(str(f) for f in files)), notes
    except DataFileError as exc:
        lines = [f"{len(exc.problems)} problem(s) in the workbook inputs:"]
        for prob in exc.problems:
            cell = next((e.cell_for(prob.path) for e in extracted if e.cell_for(prob.path)), None)
            lines.append(f"  {cell.address if cell else '?'}: {prob}")
        _fail("\n".join(lines), 1)
    raise AssertionError("unreachable")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Data file (.yaml) to write.")
def extract(files: tuple[Path, ...], out_file: Path) -> None:
    """Read the inputs of filled workbooks back into a partnership data file.

    Give a partnership's Full Cost Workbook, its Scenario Projections Tool, or both. With
    both, staff, expenses, revenue and projections come from the Scenario Projections Tool
    (it holds every year) and the full-cost section from the Full Cost Workbook. Works on
    files saved by Excel or LibreOffice. Nothing is written when an input is invalid: each
    problem is listed with its sheet and cell.
    """
    from .schema import dump_partnership

    p, notes = _extract_partnership(files)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(dump_partnership(p), encoding="utf-8")
    click.echo(f"wrote {out_file}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--annotate", "annotate", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a copy of the (single) FILE with a Toolkit Check sheet, a link to each problem "
                   "cell and the problem cells filled red, as the add-in's Validate button does.")
def validate(files: tuple[Path, ...], as_json: bool, annotate: Path | None) -> None:
    """Check returned workbooks: is each one of our templates (which, which version); are its
    formulas intact (cells that changed are listed); are its inputs valid (sheet and cell of
    each problem); do its cached values agree with the model run on its inputs (a file saved
    without recalculation, or with a broken formula, shows up here).

    Exit status: 0 all clean, 1 problems found, 2 a file could not be read.
    """
    import json

    from .readback.validate import validate_file

    if annotate is not None and len(files) != 1:
        _fail("--annotate takes exactly one FILE.")
    reports = [validate_file(f) for f in files]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], indent=2, default=str))
    else:
        for r in reports:
            click.echo(r.render())
    if annotate is not None:
        if reports[0].status == "unreadable":
            click.echo(f"{files[0]}: not annotated: the file could not be read", err=True)
        else:
            from macros.actions import run_validate_file

            target, result = run_validate_file(files[0], annotate)
            click.echo(f"wrote {target} (Toolkit Check sheet, {len(result.highlighted)} cell(s) filled)", err=True)
    sys.exit(max(r.exit_code for r in reports))


@main.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", "new", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Workbook to write.")
def upgrade(old: Path, new: Path) -> None:
    """Carry a filled workbook's inputs into the current template version (same table sizes)."""
    from .readback.upgrade import UpgradeError, describe, upgrade_validated
    from .readback.validate import validate_file

    report = validate_file(old)
    try:
        upgrade_validated(report, new)
    except UpgradeError as exc:
        _fail(str(exc), exc.exit_code)
    click.echo(describe(report, new))


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Portfolio workbook to write.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path), help="Also write portfolio.csv, benchmarks.csv and problems.csv here.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Parallel readers (default: one per core).")
def collect(folder: Path, out_file: Path, csv_dir: Path | None, workers: int | None) -> None:
    """Read every returned workbook under FOLDER and write one portfolio.

    Every file is read safely (size, zip and XML limits before parsing; macros never run or
    kept), validated and recomputed by the model. The Portfolio sheet has one row per
    partnership; Benchmarks gives quartiles across the portfolio and by backbone structure;
    Problems lists every file not used, or used with warnings, and why. Every file found
    appears in Portfolio or Problems. Exit status 1 when any file could not be used.
    """
    import time

    from .readback.collect import collect as run_collect
    from .readback.portfolio import write_portfolio

    started = time.perf_counter()

    def progress(results, total):
        with click.progressbar(results, length=total, label="Reading workbooks", file=sys.stderr) as bar:
            yield from bar

    port = run_collect(folder, workers, progress)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_portfolio(port, out_file, csv_dir)
    unused = [p for p in port.problems if p["used"] == "no"]
    click.echo(f"wrote {out_file}: {len(port.rows)} partnerships from {port.files_seen} files; "
               f"{len(unused)} not used, {len(port.problems) - len(unused)} used with warnings "
               f"({time.perf_counter() - started:.1f} s)")
    sys.exit(1 if unused else 0)


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write (default: WORKBOOK-risk.xlsx beside the input).")
@click.option("--runs", type=click.IntRange(1, 2_000_000), default=10_000, show_default=True, help="Monte Carlo runs.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Random seed, to repeat a run exactly (default: a new seed, printed).")
@click.option("--scenario", "scenario_id", default=None, help="Scenario id (default: the first, normally base).")
def risk(workbook: Path, out: Path | None, runs: int, seed: int | None, scenario_id: str | None) -> None:
    """Risk analysis of a Scenario Projections Tool: a Monte Carlo over revenue.

    Each revenue source arrives or not with the probability of its confidence level, the
    same draw for all its years. Writes a copy of WORKBOOK with a Risk sheet: for each year
    the chance that ending cash is below zero and below the reserve target, and the
    P10/P50/P90 ending cash, with a fan chart.
    """
    from macros.actions import ActionError, run_risk_file

    try:
        target, result = run_risk_file(workbook, out, runs=runs, seed=seed, scenario_id=scenario_id)
    except (ActionError, NotImplementedError) as exc:
        _fail(f"{workbook}: {exc}", 1)
    click.echo(f"wrote {target} (Risk sheet: {result.scenario_name} scenario, {result.runs:,} runs, seed {result.seed})")
    for label, below_zero, below_reserve in zip(result.labels, result.p_below_zero, result.p_below_reserve):
        click.echo(f"  {label}: P(cash < 0) {below_zero:6.1%}   P(cash < reserve target) {below_reserve:6.1%}")


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write (default: WORKBOOK-recalc.xlsx beside the input).")
def recalc(workbook: Path, out: Path | None) -> None:
    """Recalculate with Python: run the Python model on WORKBOOK's inputs and set its numbers
    beside the workbook's own (the values it was last saved with) for every output, one line
    per year for row outputs. Writes a copy of WORKBOOK with a Python Recalculation sheet.

    A broken or overwritten formula shows up here, as does a file saved without recalculating
    (openpyxl and some other tools save no results: open and save it in Excel or LibreOffice first).

    Exit status: 0 every value agrees, 1 some differ, 2 the workbook could not be read or its
    inputs are invalid (run `pbp-toolkit validate`).
    """
    from macros.actions import ActionError, run_recalc_file

    from .readback.safety import UnsafeFile, inspect_package

    try:
        inspect_package(workbook)
    except UnsafeFile as exc:
        _fail(f"{workbook}: {exc.message}", 2)
    try:
        target, result = run_recalc_file(workbook, out)
    except ActionError as exc:
        _fail(f"{workbook}: {exc}", 2)
    click.echo(f"wrote {target} (Python Recalculation sheet)")
    click.echo(f"  {result.summary()}")
    for line in result.differing[:20]:
        click.echo(f"  {line.label}: workbook {line.excel!r}, Python {line.python!r}")
    if len(result.differing) > 20:
        click.echo(f"  ... and {len(result.differing) - 20} more")
    sys.exit(1 if result.differing else 0)


from .batch import batch_command  # noqa: E402

main.add_command(batch_command)


if __name__ == "__main__":  # pragma: no cover
    main()
