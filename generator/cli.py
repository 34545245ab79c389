"""The `pbp-toolkit` command line."""
from __future__ import annotations

import functools
import os
import sys
import zipfile
import time
from pathlib import Path
from typing import Any

import click
from click.decorators import FC

from . import __version__
from .build import (KINDS, BuildOptions, blank_partnership, build_workbooks, example_names, example_path, examples_dir,
                    stamp_time, workbook_path)
from .content import ContentError, load_content, use_content_dir
from .schema import DataFileError, Partnership, load_partnership, validate_data
from .kinds import FULL_COST, PROJECTIONS, Capacity, of_template_id


#: Exit statuses, the same for every command (README, "Exit status").
EXIT_OK = 0          # done; nothing wrong found
EXIT_PROBLEMS = 1    # the files were read and problems were found in them (invalid inputs, changed formulas, ...)
EXIT_UNUSABLE = 2    # an input could not be used at all (missing, unreadable, not a workbook, not ours, the wrong
                     # kind), a command line that makes no sense, or an output that could not be written


def _fail(message: str, code: int = EXIT_UNUSABLE) -> None:
    click.echo(message, err=True)
    sys.exit(code)


CONTENT_HELP = ("Folder with your own content files (labels, ids, guidance: a copy of the toolkit's content "
                "folder, see `pbp-toolkit content`). Default: $PBP_TEMPLATES/content, else the content shipped "
                "with the toolkit.")


def _refuse_overwrite(outputs: "list[Path | None]", inputs: "list[Path | None] | tuple[()]" = (),
                      folders: "list[Path | None] | tuple[()]" = ()) -> None:
    """Exit 2 with one line when an output is an input or lies in a folder the command reads
    (the content folder in force is always one): checked before anything is written."""
    from .content import content_dir
    from .fileio import OutputOverInput, refuse_overwrite

    try:
        refuse_overwrite(outputs, inputs, [*folders, content_dir()])
    except OutputOverInput as exc:
        _fail(str(exc), EXIT_UNUSABLE)


def content_option(command: FC) -> FC:
    """`--content DIR` for a command that builds or reads workbooks: the whole command (and any
    worker process it starts) uses that content, checked before anything else runs."""

    def take(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
        if value is None:
            if os.environ.get("PBP_TEMPLATES"):  # a wrong folder there: say so before the command runs
                try:
                    load_content()
                except ContentError as exc:
                    raise click.UsageError(f"PBP_TEMPLATES={os.environ['PBP_TEMPLATES']}: {exc}", ctx=ctx) from None
            return
        use_content_dir(value)
        ctx.call_on_close(lambda: use_content_dir(None))
        try:
            load_content()
        except ContentError as exc:
            use_content_dir(None)  # the command never runs, so its close callback does not either
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None

    return click.option("--content", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path),
                        expose_value=False, is_eager=True, callback=take, help=CONTENT_HELP)(command)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Toolkit(click.Group):
    """The command group, with one handler for everything a command did not catch itself:
    one line on stderr naming what went wrong and the documented exit status, never a traceback."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("pbp-toolkit: stopped", err=True)
            sys.exit(130)
        except click.exceptions.NoArgsIsHelpError as exc:  # `pbp-toolkit` alone: the help, as click gives it
            click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
            sys.exit(EXIT_UNUSABLE)
        except click.ClickException as exc:  # usage errors: a missing file, a wrong option
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "pbp-toolkit"
            click.echo(f"{where}: {_one_line(exc.format_message())} (see {where} --help)", err=True)
            sys.exit(EXIT_UNUSABLE)
        except KeyboardInterrupt:
            click.echo("pbp-toolkit: stopped", err=True)
            sys.exit(130)
        except SystemExit:
            raise
        except OSError as exc:  # a full disk, a folder we may not write to
            name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            click.echo(f"pbp-toolkit: {name}{_one_line(exc.strerror or str(exc))}; nothing was left half-written", err=True)
            sys.exit(EXIT_UNUSABLE)
        except BaseException as exc:  # anything else, a Rust panic included: one line, never a traceback
            click.echo(f"pbp-toolkit: unexpected error ({type(exc).__name__}: {_one_line(str(exc), 200)}); "
                       "please report it with the command you ran", err=True)
            sys.exit(EXIT_UNUSABLE)
        sys.exit(EXIT_OK)


@click.group(cls=_Toolkit, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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

    \b
    Every command that builds or reads workbooks takes --content DIR (your own content
    folder); the PBP_TEMPLATES environment variable sets a templates folder for all of them.
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
@content_option
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
    if fmt == "xlsm":  # checked before anything is written
        import importlib.util

        missing = [m for m in ("olefile", "xlwings") if importlib.util.find_spec(m) is None]
        if missing:
            _fail(f"--format xlsm needs {' and '.join(missing)}, which come with the add-in extra: "
                  "pip install 'pbp-toolkit[addin]'; nothing was written", EXIT_UNUSABLE)
    try:
        content = load_content()
        if blank:
            p = blank_partnership(years or 5, content)
        else:
            path = example_path(example) if example is not None else data_file
            assert path is not None  # exactly one of DATA_FILE, --example, --blank (checked above)
            p = load_partnership(path, content)
    except DataFileError as exc:
        _fail(str(exc), EXIT_UNUSABLE if _missing(exc) else EXIT_PROBLEMS)
    except (ContentError, FileNotFoundError) as exc:
        _fail(str(exc), EXIT_UNUSABLE)
    options = BuildOptions(kinds=tuple(kinds) or None, password=password, years=years, build_time=stamp_time(),
                           capacity=Capacity(staff=staff_rows, expenses=expense_rows, revenue=revenue_rows))
    _refuse_overwrite([outdir, *(workbook_path(p, outdir, kind, blank, suffix=f".{fmt}") for kind in (kinds or KINDS))],
                      [data_file, example_path(example) if example is not None else None])
    started = time.perf_counter()
    if fmt == "xlsm":
        made = _build_xlsm(p, outdir, options, blank, content)
    else:
        try:
            made = build_workbooks(p, outdir, options, blank=blank, content=content)
        except (ValueError, DataFileError) as exc:
            _fail(f"{data_file or example or 'blank'}: {exc}; nothing was written", EXIT_PROBLEMS)
    for path in made:
        click.echo(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    click.echo(f"built {len(made)} workbook(s) in {time.perf_counter() - started:.2f} s", err=True)


def _missing(exc: DataFileError) -> bool:
    """A data file that is not there (exit 2), as against one with problems in it (exit 1)."""
    return any(p.path == "" and p.message.startswith(("file not found", "not a file", "cannot be read", "not a UTF-8"))
               for p in exc.problems)


def _build_xlsm(p: Partnership, outdir: Path, options: BuildOptions, blank: bool, content: Any) -> list[Path]:
    """The .xlsm workbooks, written as a set: built and converted in a hidden scratch folder,
    then moved into place together; nothing is left on any failure."""
    import shutil
    import tempfile

    try:  # the add-in package holds the VBA and the ribbon: the one place the command line reaches into it
        from macros.build_addin import AddinBuildError, make_xlsm
    except ModuleNotFoundError as exc:
        _fail(f"--format xlsm needs the add-in package and its extra: pip install 'pbp-toolkit[addin]' "
              f"({exc.name} is not importable); nothing was written", EXIT_UNUSABLE)

    from .fileio import write_set

    outdir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".pbp-build-", dir=outdir))
    try:
        try:
            built = build_workbooks(p, scratch, options, blank=blank, content=content)
            return write_set([(outdir / path.with_suffix(".xlsm").name,
                               functools.partial(make_xlsm, path)) for path in built])  # make_xlsm(path, tmp)
        except (ValueError, DataFileError, AddinBuildError) as exc:
            _fail(f"{exc}; nothing was written", EXIT_PROBLEMS)
        raise AssertionError("unreachable")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@main.command()
@content_option
def examples() -> None:
    """List the example partnership data files shipped with the toolkit (build one with
    `pbp-toolkit build --example NAME -o OUT/`)."""
    names = example_names()
    if not names:
        _fail(f"no example data files (*.yaml) in {examples_dir()}", 2)
    bad = 0
    for name in names:
        try:
            p = load_partnership(example_path(name))
        except (DataFileError, ContentError) as exc:
            click.echo(f"{name:32s} cannot be used: {str(exc).splitlines()[0]}", err=True)
            bad += 1
            continue
        o = p.organization
        click.echo(f"{name:32s} {o.name} ({o.backbone_structure}, {len(p.staff)} positions, {p.years} years)")
    click.echo(f"{len(names)} example(s) in {examples_dir()}", err=True)
    sys.exit(1 if bad else 0)


@main.command()
@click.argument("data_file", type=click.Path(dir_okay=False, path_type=Path))
@content_option
def check(data_file: Path) -> None:
    """Validate a partnership data file without building anything."""
    try:
        p = load_partnership(data_file)
    except DataFileError as exc:
        _fail(str(exc), EXIT_UNUSABLE if _missing(exc) else EXIT_PROBLEMS)
    click.echo(f"{data_file}: valid ({p.organization.name}, {len(p.staff)} positions, {len(p.revenue)} revenue sources)")


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_pdf", type=click.Path(dir_okay=False, path_type=Path),
              help="PDF to write (default: next to the workbook).")
@click.option("--all", "all_sheets", is_flag=True, help="Print every sheet, not only the board pack.")
def pdf(workbook: Path, out_pdf: Path | None, all_sheets: bool) -> None:
    """Print a workbook to a PDF through LibreOffice (recalculated first).

    By default the board pack: the output sheets (Summary, or Scenario View and
    Compare), each page headed by the partnership's name and today's date. --all prints every
    sheet. Empty spare rows of the input tables are left out of print (a few are kept)."""
    import tempfile

    from .boardpack import print_copy
    from .libreoffice import LibreOfficeError, find_soffice, to_pdf

    _refuse_overwrite([out_pdf or workbook.with_suffix(".pdf")], [workbook])
    if find_soffice() is None:
        _fail("LibreOffice (soffice) is needed for PDF export: install it (Debian: apt-get install libreoffice-calc-nogui).")
    from .readback.safety import UnsafeFile, inspect_file

    try:  # only a workbook that passes the safety checks goes to LibreOffice, and only the bytes checked
        data, info = inspect_file(workbook)
    except UnsafeFile as exc:
        _fail(f"{workbook}: {exc.message}; no PDF was written", EXIT_UNUSABLE)
    if info.kind == "xlsb":
        _fail(f"{workbook}: an .xlsb binary workbook: save it as an Excel Workbook (.xlsx); no PDF was written", EXIT_UNUSABLE)
    target = out_pdf or workbook.with_suffix(".pdf")

    try:
        with tempfile.TemporaryDirectory(prefix="pbp-print-") as tmp:
            checked = Path(tmp) / "checked.xlsx"
            if info.had_macros:  # macros never travel, not even into LibreOffice
                from .readback.safety import strip_macros

                src = Path(tmp) / ("src" + workbook.suffix)
                src.write_bytes(data)
                strip_macros(src, checked)
            else:
                checked.write_bytes(data)
            copy = print_copy(checked, Path(tmp) / (workbook.stem + ".xlsx"), all_sheets=all_sheets)
            to_pdf(copy, target)
    except UnsafeFile as exc:
        _fail(f"{workbook}: {exc.message}; no PDF was written", EXIT_UNUSABLE)
    except LibreOfficeError as exc:
        _fail(f"{workbook}: PDF export failed: {_one_line(str(exc))}", EXIT_UNUSABLE)
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        _fail(f"{workbook}: not a workbook this command can print: {_one_line(str(exc))}", EXIT_UNUSABLE)
    click.echo(f"wrote {target}")


@main.command()
@click.argument("data_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), help="Keep the built and recalculated files in this folder.")
@content_option
@click.option("--engine", type=click.Choice(["libreoffice", "gnumeric", "formulas"]), default="libreoffice", show_default=True,
              help="Spreadsheet engine that recalculates the workbooks.")
def verify(data_file: Path, keep: Path | None, engine: str) -> None:
    """Build the workbooks for DATA_FILE and prove them: the Python model, the values cached
    in each file and a spreadsheet engine's recalculation (LibreOffice by default, or Gnumeric,
    or the Python `formulas` package) must agree on every output, and no cell may hold an
    error value. Exit status 0 when all agree, 1 otherwise."""
    from .engines import EngineError, find_ssconvert
    from .libreoffice import LibreOfficeError, find_soffice
    from .verify import verify as run_verify

    _refuse_overwrite([keep], [data_file])
    if engine == "libreoffice" and find_soffice() is None:
        _fail("LibreOffice (soffice) is needed to verify: install it (Debian: apt-get install libreoffice-calc-nogui).")
    if engine == "gnumeric" and find_ssconvert() is None:
        _fail("Gnumeric (ssconvert) is needed for --engine gnumeric: install it (Debian: apt-get install gnumeric).")
    if engine == "formulas":
        try:
            import formulas  # noqa: F401
        except ImportError:
            _fail("The Python package `formulas` is needed for --engine formulas: pip install formulas.")
    try:
        p = load_partnership(data_file)
    except DataFileError as exc:
        _fail(str(exc), EXIT_UNUSABLE if _missing(exc) else EXIT_PROBLEMS)
    if keep is not None:
        _refuse_overwrite([keep, *(workbook_path(p, keep, kind) for kind in KINDS)], [data_file])
    try:
        verdicts = run_verify(p, keep, engine=engine)
    except (LibreOfficeError, EngineError) as exc:
        _fail(f"{engine} failed: {exc}")
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


def _extract_partnership(files: tuple[Path, ...], prefer: str | None = None) -> "tuple[Partnership, list[str]]":
    """Extract and merge the inputs of one partnership's workbooks; exits with the problems when
    an input is invalid, or with the conflicts when a field was edited differently in both."""
    from .readback.merge import merge
    from .readback.extract import extract as run_extract
    from .readback.source import SourceError
    from .readback.validate import input_problems

    extracted = []
    for f in files:
        try:
            extracted.append(run_extract(f))
        except (SourceError, OSError) as exc:
            _fail(f"{f}: {_one_line(str(exc))}", EXIT_UNUSABLE)
    kinds = [e.kind for e in extracted]
    for kind in set(kinds):
        if kinds.count(kind) > 1:
            same = [str(f) for f, e in zip(files, extracted) if e.kind == kind]
            what = of_template_id(kind).plural
            _fail(f"{', '.join(same)}: two {what}; give one partnership's {FULL_COST.name}, its "
                  f"{PROJECTIONS.name}, or one of each", EXIT_UNUSABLE)
    # each workbook on its own first: a value it cannot hold is named at its cell, never coerced or dropped
    lines: list[str] = []
    for f, e in zip(files, extracted):
        for address, message in input_problems(f, e):
            lines.append(f"  {f}: {address}: {message}")
    if lines:
        _fail("\n".join([f"{', '.join(str(f) for f in files)}: {len(lines)} problem(s) in the workbook inputs; nothing was written:"]
                        + lines), EXIT_PROBLEMS)
    merged = merge(extracted, prefer)
    if merged.conflicts:
        head = (f"{len(merged.conflicts)} field(s) were edited differently in the two workbooks; nothing was written. "
                "Make them agree in one workbook, or give --prefer full-cost or --prefer projections:")
        _fail("\n".join([head] + [f"  conflict: {c}" for c in merged.conflicts]), EXIT_PROBLEMS)
    try:
        return validate_data(merged.data, " + ".join(str(f) for f in files)), merged.notes
    except DataFileError as exc:
        lines = [f"{', '.join(str(f) for f in files)}: {len(exc.problems)} problem(s) in the merged inputs; nothing was written:"]
        for prob in exc.problems:
            cell = merged.cell_for(prob.path)
            lines.append(f"  {cell.address if cell else '?'}: {prob}")
        _fail("\n".join(lines), EXIT_PROBLEMS)
    raise AssertionError("unreachable")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Data file (.yaml) to write.")
@click.option("--prefer", type=click.Choice(["full-cost", "projections"]), default=None,
              help="Settle every conflict (a field edited differently in the two workbooks) in favour of this workbook.")
@content_option
def extract(files: tuple[Path, ...], out_file: Path, prefer: str | None) -> None:
    """Read the inputs of filled workbooks back into a partnership data file.

    Give a partnership's Full Cost Workbook, its Scenario Projections Tool, or both. With
    both, each field is compared with the inputs the workbooks were built with (they record
    them): a field edited in one workbook is taken from it; a field edited differently in
    both is a conflict, listed with both values and cells, and nothing is written unless
    --prefer names the workbook that wins. Notes ("Source or note") come back too. Works on
    files saved by Excel or LibreOffice. Nothing is written when an input is invalid: each
    problem is listed with its sheet and cell.
    """
    from .fileio import write_text
    from .schema import dump_partnership

    _refuse_overwrite([out_file], list(files))
    p, notes = _extract_partnership(files, prefer)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    write_text(out_file, dump_partnership(p))
    click.echo(f"wrote {out_file}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--annotate", "annotate", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a copy of the (single) FILE with a Toolkit Check sheet, a link to each problem "
                   "cell and the problem cells filled red, as the add-in's Validate button does.")
@content_option
def validate(files: tuple[Path, ...], as_json: bool, annotate: Path | None) -> None:
    """Check returned workbooks: is each one of our templates (which, which version); are its
    formulas intact (cells that changed are listed); are its inputs valid (sheet and cell of
    each problem); do its cached values agree with the model run on its inputs (a file saved
    without recalculation, or with a broken formula, shows up here).

    Exit status: 0 all clean, 1 problems found, 2 a file could not be read or is not a toolkit workbook.
    """
    import json

    from .readback.validate import validate_file

    if annotate is not None and len(files) != 1:
        _fail("--annotate takes exactly one FILE.")
    _refuse_overwrite([annotate], list(files))
    reports = [validate_file(f) for f in files]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], indent=2, default=str))
    else:
        for r in reports:
            click.echo(r.render())
    if annotate is not None:
        if reports[0].exit_code == EXIT_UNUSABLE:
            why = "the file could not be read" if reports[0].status == "unreadable" else "not a toolkit workbook"
            click.echo(f"{files[0]}: not annotated: {why}", err=True)
        else:
            from .report.actions import ActionError, run_validate_file

            try:
                target, result = run_validate_file(files[0], annotate)
            except ActionError as exc:
                _fail(f"{files[0]}: not annotated: {_one_line(str(exc))}", exc.exit_code)
            click.echo(f"wrote {target} (Toolkit Check sheet, {len(result.highlighted)} cell(s) filled)", err=True)
    sys.exit(max(r.exit_code for r in reports))


@main.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", "new", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Workbook to write.")
@content_option
def upgrade(old: Path, new: Path) -> None:
    """Carry a filled workbook's inputs into the current template version (same table sizes)."""
    from .readback.upgrade import UpgradeError, describe, upgrade_validated
    from .readback.validate import validate_file

    _refuse_overwrite([new], [old])
    report = validate_file(old)
    try:
        upgrade_validated(report, new)
    except UpgradeError as exc:
        _fail(str(exc), exc.exit_code)
    click.echo(describe(report, new))


DB_HELP = ("Portfolio database: an SQLite file path or a URL (postgresql+psycopg://user@host/db). "
           "Default: $PBP_DATABASE, else portfolio.db in your data folder "
           "(~/.local/share/pbp-toolkit on Linux, %LOCALAPPDATA%\\pbp-toolkit on Windows, "
           "~/Library/Application Support/pbp-toolkit on macOS).")


def _db_file(db: str | None) -> Path | None:
    """The SQLite file a --db value (or $PBP_DATABASE, or the default) names; None for a server URL.
    Collect and history check their outputs against it before anything is written."""
    from .store.db import ENV, _sqlite_file, default_path

    value = db or os.environ.get(ENV) or None
    if value is None:
        return default_path()
    return _sqlite_file(value) if "://" in value else Path(value).expanduser()


def _open_store(db: str | None) -> Any:
    """The store, or exit 2 with its one-line reason."""
    from .store import StoreError, open_store

    try:
        return open_store(db)
    except StoreError as exc:
        _fail(f"database {exc}", EXIT_UNUSABLE)


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Portfolio workbook to write.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path), help="Also write portfolio.csv, benchmarks.csv and problems.csv here.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Parallel readers (default: one per core).")
@click.option("--round", "round_label", metavar="LABEL", default=None,
              help="Record this collection as round LABEL (e.g. 2026 or 2026-Q3) in the portfolio database; "
                   "the Portfolio then shows the change since the round before. Without it nothing is recorded.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="The date the round's figures stand at (YYYY-MM-DD); with --round.")
@click.option("--notes", default=None, help="A note kept with the round; with --round.")
@click.option("--db", default=None, metavar="DB", help=DB_HELP)
@content_option
def collect(folder: Path, out_file: Path, csv_dir: Path | None, workers: int | None, round_label: str | None,
            as_of: Any, notes: str | None, db: str | None) -> None:
    """Read every returned workbook under FOLDER and write one portfolio.

    Every file is read safely (size, zip and XML limits before parsing; macros never run or
    kept), validated and recomputed by the model. The Portfolio sheet has one row per
    partnership; Benchmarks gives quartiles across the portfolio and by backbone structure;
    Problems lists every file not used, or used with warnings, and why. Two returns of one
    partnership with different inputs: the one saved later (the workbook's own saved time) is
    used and the other listed; copies with the same inputs count once (Portfolio's Copies
    column). Every file found appears in Portfolio or Problems. FOLDER must not hold the
    outputs. Exit status 1 when any file could not be used.

    With --round LABEL the files are also recorded in the portfolio database (one transaction:
    a collect that stops part-way records nothing). Collecting the same files again records
    nothing new; a changed file for a partnership already in the round replaces the earlier
    one, which stays listed. See `pbp-toolkit rounds` and `pbp-toolkit history`.
    """
    import time

    from .readback.collect import collect as run_collect
    from .readback.portfolio import write_portfolio

    db_file = _db_file(db) if round_label is not None else None
    _refuse_overwrite([out_file, csv_dir], [db_file], [folder])
    _refuse_overwrite([db_file], [], [folder])  # the database is read and written: only never inside the folder of returns
    started = time.perf_counter()
    if round_label is None and (as_of is not None or notes is not None or db is not None):
        raise click.UsageError("--as-of, --notes and --db go with --round LABEL")
    if round_label is not None and not round_label.strip():
        raise click.BadParameter("a round needs a label, e.g. 2026", param_hint="--round")
    store = _open_store(db) if round_label is not None else None   # a database we cannot use: say so before reading

    def progress(results, total):
        with click.progressbar(results, length=total, label="Reading workbooks", file=sys.stderr) as bar:
            yield from bar

    port = run_collect(folder, workers, progress)
    if port.skipped:
        click.echo(f"note: skipped {len(port.skipped)} file(s) the toolkit itself wrote (batch or collect lists): "
                   + ", ".join(Path(p).name for p in port.skipped[:5]) + (" ..." if len(port.skipped) > 5 else ""), err=True)
    if port.files_seen == 0 and not port.problems:
        _fail(f"{folder}: no workbook found in this folder or its subfolders; nothing was written", EXIT_PROBLEMS)
    if store is not None:
        from .history import add_changes
        from .store import StoreError

        assert round_label is not None
        try:
            with store:
                rec = store.record_round(round_label.strip(), port, as_of=as_of.date() if as_of else None, notes=notes)
                add_changes(port, store, rec.round)
        except StoreError as exc:
            _fail(f"database {exc}", EXIT_UNUSABLE)
        click.echo(f"round {rec.round} in {store.where}: {rec.added} file(s) recorded, {rec.unchanged} already there"
                   + (f", {rec.superseded} earlier file(s) superseded" if rec.superseded else "")
                   + ("" if not rec.new_round else " (a new round)"), err=True)
        for w in rec.warnings:
            click.echo(f"note: {w}", err=True)
    write_portfolio(port, out_file, csv_dir)
    unused = [p for p in port.problems if p["used"] == "no"]
    click.echo(f"wrote {out_file}: {len(port.rows)} partnerships from {port.files_seen} files; "
               f"{len(unused)} not used, {len(port.problems) - len(unused)} used with warnings"
               + (f", {len(port.copies)} identical copies counted once" if port.copies else "") + " "
               f"({time.perf_counter() - started:.1f} s)")
    sys.exit(1 if unused else 0)


@main.command()
@click.option("--db", default=None, metavar="DB", help=DB_HELP)
def rounds(db: str | None) -> None:
    """List the collection rounds in the portfolio database, oldest first, with their counts:
    partnerships with figures, files recorded, superseded files and files not used."""
    with _open_store(db) as store:
        listed = store.rounds()
        where = store.where
    if not listed:
        click.echo(f"no rounds recorded yet in {where} (record one with `pbp-toolkit collect FOLDER -o portfolio.xlsx --round LABEL`)")
        return
    click.echo(f"{len(listed)} round(s) in {where}")
    click.echo(f"{'round':<16} {'as of':<10} {'partnerships':>12} {'files':>6} {'superseded':>10} {'not used':>8}  notes")
    for r in listed:
        note = "; ".join(x for x in (r.versions_note, r.notes) if x)
        click.echo(f"{r.label:<16} {(r.as_of.isoformat() if r.as_of else '-'):<10} {r.partnerships:>12} {r.files:>6} "
                   f"{r.superseded:>10} {r.not_used:>8}  {note}")


@main.command()
@click.option("-o", "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="History workbook to write.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write history.csv here: one row per figure (round, as_of, partnership_id, partnership, measure, "
                   "scenario, year, value), money rounded to cents.")
@click.option("--db", default=None, metavar="DB", help=DB_HELP)
def history(out_file: Path, csv_dir: Path | None, db: str | None) -> None:
    """Write the portfolio's history across every recorded round.

    Trends: one row per partnership, a group of columns per round (full cost, gap, cash
    need, expected revenue, indirect rate and the funder cap, timing need, short months,
    each scenario's final-year ending cash and months of cash), the change since the round
    before in words, and sparklines. Who needs attention: partnerships ranked by what got worse. Rounds: each
    round's counts."""
    from .history import write_history

    db_file = _db_file(db)
    _refuse_overwrite([out_file, csv_dir], [db_file])
    with _open_store(db) as store:
        listed = store.rounds()
        if not listed:
            _fail(f"no rounds recorded yet in {store.where}: record one with `pbp-toolkit collect FOLDER -o portfolio.xlsx --round LABEL`",
                  EXIT_UNUSABLE)
        hist = store.history()
        figs = store.figures()
    names = _scenario_names()
    write_history(hist, listed, figs, out_file, csv_dir, names)
    click.echo(f"wrote {out_file}: {len(hist)} partnership(s) over {len(listed)} round(s)"
               + (f"; {csv_dir / 'history.csv'}: {len(figs)} figure(s)" if csv_dir else ""))


def _scenario_names() -> dict[str, str]:
    """Scenario id -> name from the content's template scenarios (a partnership's own keep their id)."""
    content = load_content()
    return {s.id: s.label for s in content.scenarios}


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write (default: WORKBOOK-risk.xlsx beside the input).")
@click.option("--runs", type=click.IntRange(1, 2_000_000), default=10_000, show_default=True, help="Monte Carlo runs.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Random seed, to repeat a run exactly (default: a new seed, printed).")
@click.option("--scenario", "scenario_id", default=None, help="Scenario id (default: the first, normally base).")
@content_option
def risk(workbook: Path, out: Path | None, runs: int, seed: int | None, scenario_id: str | None) -> None:
    """Risk analysis of a Scenario Projections Tool: a Monte Carlo over revenue.

    Each revenue source arrives or not with the probability of its confidence level, the
    same draw for all its years. Writes a copy of WORKBOOK with a Risk sheet: for each year
    the chance that ending cash is below zero and below the reserve target, and the
    P10/P50/P90 ending cash, with a fan chart.
    """
    from .report.actions import ActionError, run_risk_file

    _refuse_overwrite([out], [workbook])
    try:
        target, result = run_risk_file(workbook, out, runs=runs, seed=seed, scenario_id=scenario_id)
    except ActionError as exc:
        _fail(f"{workbook}: {exc}", exc.exit_code)
    except NotImplementedError as exc:
        _fail(f"{workbook}: {_one_line(str(exc))}", EXIT_UNUSABLE)
    click.echo(f"wrote {target} (Risk sheet: {result.scenario_name} scenario, {result.runs:,} runs, seed {result.seed})")
    for label, below_zero, below_reserve in zip(result.labels, result.p_below_zero, result.p_below_reserve):
        click.echo(f"  {label}: P(cash < 0) {below_zero:6.1%}   P(cash < reserve target) {below_reserve:6.1%}")


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write (default: WORKBOOK-recalc.xlsx beside the input).")
@content_option
def recalc(workbook: Path, out: Path | None) -> None:
    """Recalculate with Python: run the Python model on WORKBOOK's inputs and set its numbers
    beside the workbook's own (the values it was last saved with) for every output, one line
    per year for row outputs. Writes a copy of WORKBOOK with a Python Recalculation sheet.

    A broken or overwritten formula shows up here, as does a file saved without recalculating
    (openpyxl and some other tools save no results: open and save it in Excel or LibreOffice first).

    Exit status: 0 every value agrees, 1 some differ or the inputs are invalid (run
    `pbp-toolkit validate`), 2 the workbook could not be read or is not a toolkit workbook.
    """
    from .report.actions import ActionError, run_recalc_file

    _refuse_overwrite([out], [workbook])
    try:  # FileBook reads the workbook through the safety checks (generator/report/book.py)
        target, result = run_recalc_file(workbook, out)
    except ActionError as exc:
        _fail(f"{workbook}: {exc}", exc.exit_code)
    click.echo(f"wrote {target} (Python Recalculation sheet)")
    click.echo(f"  {result.summary()}")
    for line in result.differing[:20]:
        click.echo(f"  {line.label}: workbook {line.excel!r}, Python {line.python!r}")
    if len(result.differing) > 20:
        click.echo(f"  ... and {len(result.differing) - 20} more")
    sys.exit(1 if result.differing else 0)


@main.command()
@content_option
def schema() -> None:
    """Print the JSON Schema of the partnership data file, for completion and checking in an
    editor: save it (pbp-toolkit schema > partnership.schema.json) and put
    `# yaml-language-server: $schema=partnership.schema.json` on the first line of the data file.
    The ids it offers (structures, functions, streams...) come from the content in force."""
    import json

    from .schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@main.command()
@click.option("-o", "--out", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to copy the content files into (created if missing; existing files are kept).")
def content(outdir: Path) -> None:
    """Copy the toolkit's content files (ids, labels, guidance) into OUT to edit them; then
    build with `--content OUT` or set PBP_TEMPLATES to the folder above OUT/content."""
    from .content import content_dir
    from .fileio import write_bytes

    source = content_dir()
    if not list(source.glob("*.yaml")):
        _fail(f"{source}: no content files (*.yaml) to copy", 2)
    _refuse_overwrite([outdir], [], [source])
    outdir.mkdir(parents=True, exist_ok=True)
    copied = kept = 0
    for path in sorted(source.glob("*.yaml")):
        target = outdir / path.name
        if target.exists():
            kept += 1
            continue
        write_bytes(target, path.read_bytes())
        copied += 1
    click.echo(f"copied {copied} content file(s) from {source} to {outdir}" + (f"; kept {kept} already there" if kept else ""))


@main.command()
@click.option("-o", "--out", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write PBP Toolkit.xlam into (created if missing).")
def addin(outdir: Path) -> None:
    """Build the Excel add-in (PBP Toolkit.xlam) from the installed package and xlwings.

    The add-in calls xlwings by the exact version it is built with: build it in the Python
    environment Excel will use (needs the addin extra: pip install 'pbp-toolkit[addin]').
    """
    try:
        from macros.build_addin import AddinBuildError, build_addin, xlwings_version
    except ModuleNotFoundError as exc:
        _fail(f"the add-in needs the addin extra: pip install 'pbp-toolkit[addin]' ({exc.name} is not installed)", 2)
    from macros.build_addin import ADDIN_NAME, ADDIN_TEMPLATE, VBA_DIR, xlwings_dir

    _refuse_overwrite([outdir, outdir / ADDIN_NAME], [xlwings_dir() / ADDIN_TEMPLATE], [VBA_DIR])
    try:
        path = build_addin(outdir)
    except AddinBuildError as exc:
        _fail(str(exc), 2)
    click.echo(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB), built with xlwings {xlwings_version()}")


from .batch import batch_command  # noqa: E402

main.add_command(content_option(batch_command))

from .web.serve import serve_command  # noqa: E402

main.add_command(content_option(serve_command))


if __name__ == "__main__":  # pragma: no cover
    main()
