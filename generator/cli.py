"""The `pbp-toolkit` command line."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import __version__
from .build import KINDS, BuildOptions, blank_partnership, build_workbooks, example_names, example_path
from .content import ContentError, load_content
from .schema import DataFileError, load_partnership
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
def build(data_file: Path | None, outdir: Path, blank: bool, example: str | None, kinds: tuple[str, ...], years: int | None,
          staff_rows: int, expense_rows: int, revenue_rows: int, password: str | None) -> None:
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
    options = BuildOptions(kinds=tuple(kinds) or None, password=password, years=years,
                           capacity=Capacity(staff=staff_rows, expenses=expense_rows, revenue=revenue_rows))
    started = time.perf_counter()
    try:
        made = build_workbooks(p, outdir, options, blank=blank, content=content)
    except (ValueError, DataFileError) as exc:
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
def pdf(workbook: Path, out_pdf: Path | None) -> None:
    """Print a workbook to a board-ready PDF through LibreOffice (recalculated first)."""
    from .libreoffice import LibreOfficeError, find_soffice, to_pdf

    if find_soffice() is None:
        _fail("LibreOffice (soffice) is needed for PDF export: install it (Debian: apt-get install libreoffice-calc-nogui).")
    target = out_pdf or workbook.with_suffix(".pdf")
    try:
        to_pdf(workbook, target)
    except LibreOfficeError as exc:
        _fail(f"{workbook}: PDF export failed: {exc}")
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


if __name__ == "__main__":  # pragma: no cover
    main()
