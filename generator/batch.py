"""Build both workbooks for every partnership in a roster: `pbp-toolkit batch ROSTER -o DIR`.

A program officer lists the partnerships in a CSV or .xlsx roster, one per row:

    name, region, focus, backbone_structure, fiscal_year_start, data_file (optional), id (optional)

`id` is the partnership's stable id, written into both workbooks' identity: collect rounds
(`collect --round`) match a partnership's returns across rounds by it, so keep it the same
every round even when the name changes. Without one, the id is the name's slug.

`data_file` is a partnership data file (a path relative to the roster); the row's non-empty
cells override its organization fields. Without one, the row alone makes a minimal
partnership (the organization only; every table empty, ready to fill in).

Every row ends up in the manifest (built, failed, or not built under --fail-fast); every
failed row is also in problems.csv with the column at fault and the reason. A bad row never
stops the others. Two rows whose names give the same file name are not both built: the later
one is reported as a duplicate (the name is also the workbook's partnership id, so a suffix
would make two partnerships indistinguishable when their files come back).

Validation runs in the main process (fast); the builds run in parallel worker processes, a
chunk of rows per task.
"""
from __future__ import annotations

import copy
import csv
import datetime as dt
import gc
import hashlib
import io
import math
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import click

from .build import BuildOptions, build_workbooks, builders, stamp_time
from .content import Content, content_dir, load_content, use_content_dir

from .schema import DataFileError, Partnership, validate_data
from .kinds import slugify

ORG_COLUMNS = ("name", "region", "focus", "backbone_structure", "fiscal_year_start")
COLUMNS = ORG_COLUMNS + ("data_file", "id")
#: A roster `id`: the partnership's stable id in its workbooks, so its returns match across rounds.
ROSTER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
REQUIRED_COLUMNS = ("name",)
MAX_DATA_FILE_BYTES = 5 * 1024 * 1024
MAX_ROSTER_BYTES = 50 * 1024 * 1024   # a CSV roster (an .xlsx roster has the returned-workbook limits)
MANIFEST = "manifest.csv"
PROBLEMS = "problems.csv"
MANIFEST_COLUMNS = ("row", "partnership", "slug", "status", "workbook", "file", "bytes", "sha256", "problem")
PROBLEM_COLUMNS = ("row", "partnership", "column", "reason", "message")
EXIT_OK, EXIT_ROW_FAILED, EXIT_ROSTER = 0, 1, 2


class RosterError(ValueError):
    """The roster as a whole cannot be used (unreadable, unknown or missing columns)."""


@dataclass
class RosterRow:
    """One partnership row: its spreadsheet row number (the header is row 1) and its cells."""

    row: int
    cells: dict[str, Any]

    @property
    def label(self) -> str:
        name = self.cells.get("name")
        return str(name).strip() if name not in (None, "") else ""


@dataclass
class Problem:
    """Why a roster row was not built."""

    row: int
    partnership: str
    column: str         # roster column at fault ('' when not one column)
    reason: str         # invalid, data_file, duplicate, extra_cells, build_failed, not_built
    message: str

    def __str__(self) -> str:
        who = f" ({self.partnership})" if self.partnership else ""
        col = f", column {self.column}" if self.column else ""
        return f"row {self.row}{who}{col}: {self.message}"


@dataclass
class Built:
    """One workbook written for a row."""

    kind: str
    file: str           # relative to the output folder
    bytes: int
    sha256: str


@dataclass
class RowResult:
    row: int
    partnership: str
    slug: str = ""
    status: str = "failed"                  # built, failed, not_built
    files: list[Built] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class BatchResult:
    """Everything a batch did, row by row (every roster row is here exactly once)."""

    rows: list[RowResult]
    outdir: Path
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def built(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == "built"]

    @property
    def failed(self) -> list[RowResult]:
        return [r for r in self.rows if r.status != "built"]

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]

    @property
    def files(self) -> int:
        return sum(len(r.files) for r in self.rows)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if not self.failed else EXIT_ROW_FAILED


# ----------------------------------------------------------------------------- reading the roster


def _header_key(text: Any) -> str:
    """'Backbone structure ' -> 'backbone_structure' (case, spaces and hyphens forgiven)."""
    return re.sub(r"[\s\-]+", "_", str(text if text is not None else "").strip().lower())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _columns(header: Sequence[Any], body: Sequence[Sequence[Any]]) -> list[str | None]:
    """Roster column per position (None = an unnamed, empty column to ignore); RosterError otherwise."""
    keys: list[str | None] = []
    unknown, seen, dupes = [], set(), []
    for i, raw in enumerate(header):
        key = _header_key(raw)
        if not key:
            if any(i < len(cells) and not _blank(cells[i]) for cells in body):
                raise RosterError(f"column {i + 1} has values but no header; name it one of: {', '.join(COLUMNS)}")
            keys.append(None)
            continue
        if key not in COLUMNS:
            unknown.append(str(raw).strip())
        elif key in seen:
            dupes.append(key)
        seen.add(key)
        keys.append(key)
    if unknown:
        raise RosterError(f"unknown column(s) {', '.join(repr(u) for u in unknown)}; the roster's columns are: "
                          f"{', '.join(COLUMNS)} (data_file and id optional)")
    if dupes:
        raise RosterError(f"column(s) {', '.join(dupes)} appear more than once")
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        raise RosterError(f"no {', '.join(missing)} column; the header row must name the columns: {', '.join(COLUMNS)}")
    return keys


def _rows_from_grid(grid: list[tuple[int, list[Any]]]) -> tuple[list[str | None], list[RosterRow], int]:
    """(row number, cells) records, the header first -> columns, rows, blank rows skipped."""
    while grid and all(_blank(v) for v in grid[0][1]):
        grid = grid[1:]
    if not grid:
        raise RosterError("the roster is empty (no header row)")
    header = grid[0][1]
    body = grid[1:]
    widths = [max((i + 1 for i, v in enumerate(cells) if not _blank(v)), default=0) for _, cells in body]
    keys = _columns(header, [cells for _, cells in body])
    rows, blank = [], 0
    for (number, cells), width in zip(body, widths):
        if width == 0:
            blank += 1
            continue
        values: dict[str, Any] = {}
        extra = []
        for i, value in enumerate(cells):
            if i >= len(keys):
                if not _blank(value):
                    extra.append(i + 1)
                continue
            key = keys[i]
            if key is not None:
                values[key] = value.strip() if isinstance(value, str) else value
        if extra:
            values["__extra__"] = extra
        rows.append(RosterRow(number, values))
    if not rows:
        raise RosterError("the roster has a header but no partnership rows")
    return keys, rows, blank


def _read_csv(path: Path) -> tuple[list[tuple[int, list[Any]]], list[str]]:
    notes = []
    with open(path, "rb") as fh:
        raw = fh.read(MAX_ROSTER_BYTES + 1)
    if len(raw) > MAX_ROSTER_BYTES:
        raise RosterError(f"larger than {MAX_ROSTER_BYTES // (1024 * 1024)} MB, more than a roster can be")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        notes.append(f"{path.name} is not UTF-8; read it as Windows-1252 (save as 'CSV UTF-8' to be sure of accents)")
    first = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        delimiter = ";" if ";" in first else ("\t" if "\t" in first else ",")
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [(n + 1, rec) for n, rec in enumerate(records)], notes


def _xlsx_value(value: Any) -> Any:
    if value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_xlsx(path: Path) -> list[tuple[int, list[Any]]]:
    """The first visible worksheet's rows, with their real row numbers.

    Read through readback.safety (size, zip and XML checks first; python-calamine reads
    the actual cells, so a wrong <dimension> cannot hide rows the way it can from
    openpyxl's read-only mode).
    """
    from .readback.safety import SafeWorkbook, UnsafeFile

    try:
        with SafeWorkbook(path) as wb:
            if wb.info.had_macros:
                raise RosterError("the roster carries macros; save it as a plain Excel Workbook (.xlsx)")
            sheets = [s for s in wb.info.sheets if s.kind == "worksheet"]
            if not sheets:
                raise RosterError("the workbook has no worksheet")
            sheet = next((s for s in sheets if s.state == "visible"), sheets[0])
            values = wb.sheet(sheet.name)
    except UnsafeFile as exc:
        raise RosterError(exc.message) from None
    pad = [None] * values.first_col
    return [(values.first_row + n + 1, pad + [_xlsx_value(v) for v in row]) for n, row in enumerate(values.rows)]


def read_roster(path: str | Path) -> tuple[list[RosterRow], list[str]]:
    """The roster's partnership rows and notes (skipped blank rows, encoding guesses).

    Raises RosterError when the roster as a whole cannot be used.
    """
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"{path}: roster not found")
    suffix = path.suffix.lower()
    notes: list[str] = []
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            grid, notes = _read_csv(path)
        elif suffix == ".xlsx":
            grid = _read_xlsx(path)
        else:
            raise RosterError(f"{path.name}: a roster is a .csv or .xlsx file, not {suffix or 'a file without extension'}")
        _, rows, blank = _rows_from_grid(grid)
    except RosterError as exc:
        msg = str(exc)
        raise RosterError(msg if msg.startswith(path.name) else f"{path.name}: {msg}") from None
    except (OSError, csv.Error, ValueError, KeyError) as exc:
        raise RosterError(f"{path.name}: cannot be read as a roster ({exc})") from None
    if blank:
        notes.append(f"{blank} blank row(s) ignored")
    return rows, notes


# ----------------------------------------------------------------------------- one row -> a partnership

_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")


def _cell_value(column: str, value: Any) -> Any:
    if column == "fiscal_year_start":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            m = _ISO_DAY.match(value.strip())
            return m.group(1) if m else value.strip()
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # a number typed as a name or region
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


class DataFiles:
    """Parsed data files, each read once however many rows use it."""

    def __init__(self, base: Path):
        self.base = base
        self._cache: dict[Path, Any] = {}

    def load(self, cell: str) -> tuple[Path, Any]:
        """(path, parsed data) or raise ValueError with a readable reason."""
        path = Path(cell)
        if not path.is_absolute():
            path = self.base / path
        path = Path(os.path.abspath(path))
        if path not in self._cache:
            self._cache[path] = self._read(path)
        found = self._cache[path]
        if isinstance(found, Exception):
            raise found
        return path, copy.deepcopy(found)

    @staticmethod
    def _read(path: Path) -> Any:
        try:
            size = path.stat().st_size
            if not path.is_file():
                return ValueError(f"data_file {path} is not a file")
            if size > MAX_DATA_FILE_BYTES:
                return ValueError(f"data_file {path.name} is {size / 1e6:.1f} MB, more than a partnership data file can be")
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ValueError(f"data_file {path.name} not found (looked for {path})")
        except UnicodeDecodeError:
            return ValueError(f"data_file {path.name} is not a UTF-8 text file")
        except OSError as exc:
            return ValueError(f"data_file {path.name} cannot be read ({exc.strerror})")
        from .schema import parse_yaml

        try:  # no aliases, bounded nesting: a 600-byte alias bomb must not hold up the good rows
            data = parse_yaml(text, path.name)
        except DataFileError as exc:
            prob = exc.problems[0]
            where = f" at {prob.path}" if prob.path else ""
            return ValueError(f"data_file {path.name}{where}: {prob.message}")
        if not isinstance(data, dict):
            return ValueError(f"data_file {path.name} does not hold a partnership (expected key: value pairs at the top level)")
        return data


class NoDataFiles(DataFiles):
    """A roster sent through the web page: a data_file cell names a file on the server, so it is refused."""

    def load(self, cell: str) -> tuple[Path, Any]:
        raise ValueError("a roster sent through the web page cannot name a data file; leave data_file empty "
                         "or build this roster with pbp-toolkit batch")


def prepare_row(row: RosterRow, files: DataFiles, content: Content, roster_name: str = "roster") -> tuple[Partnership | None, list[Problem]]:
    """The validated partnership for one roster row, or the problems that stop it."""
    label = row.label
    problems: list[Problem] = []
    if row.cells.get("__extra__"):
        cols = ", ".join(str(c) for c in row.cells["__extra__"])
        problems.append(Problem(row.row, label, "", "extra_cells", f"values in column(s) {cols}, beyond the header; "
                                "give them a header or remove them"))
        return None, problems
    data: dict[str, Any] = {}
    data_file = row.cells.get("data_file")
    source_name = ""
    if not _blank(data_file):
        try:
            path, data = files.load(str(data_file).strip())
            source_name = path.name
        except ValueError as exc:
            return None, [Problem(row.row, label, "data_file", "data_file", str(exc))]
    org = data.get("organization")
    if org is None or not isinstance(org, dict):
        org = {} if org is None else org
    from_cells: set[str] = set()
    if isinstance(org, dict):
        for column in ORG_COLUMNS:
            value = row.cells.get(column)
            if not _blank(value):
                org[column] = _cell_value(column, value)
                from_cells.add(column)
    data["organization"] = org
    label = label or (str(org.get("name")) if isinstance(org, dict) and org.get("name") else "")
    try:
        p = validate_data(data, f"{roster_name} row {row.row}", content)
    except DataFileError as exc:
        for prob in exc.problems:
            parts = prob.path.split(".")
            field_ = parts[1] if len(parts) >= 2 and parts[0] == "organization" else ""
            if prob.path == "organization":
                field_ = ""
            if field_ in from_cells:
                msg = prob.message
                if field_ == "fiscal_year_start":
                    got = row.cells.get(field_)
                    msg = (f"{got!r} is not a real date ({prob.message})" if isinstance(got, str) and _ISO_DAY.match(got)
                           else f"expected a date written YYYY-MM-DD, for example 2026-07-01 (got {got!r})")
                problems.append(Problem(row.row, label, field_, "invalid", msg))
            elif field_ in ORG_COLUMNS and not source_name:
                what = "required: fill in this column" if "missing" in prob.message else prob.message
                problems.append(Problem(row.row, label, field_, "invalid", what))
            elif source_name:
                problems.append(Problem(row.row, label, "data_file", "invalid", f"{source_name}: {prob}"))
            else:
                problems.append(Problem(row.row, label, "", "invalid", str(prob)))
        return None, problems
    return p, []


# ----------------------------------------------------------------------------- building (worker side)

_WORKER: dict[str, Any] = {}

#: Functions xlsxwriter never rewrites (its _xlfn lists hold only Excel 2010+ functions).
_CLASSIC_FUNCTIONS = frozenset("""
ABS AND AVERAGE AVERAGEIF AVERAGEIFS CHOOSE COLUMN COLUMNS COUNT COUNTA COUNTBLANK COUNTIF COUNTIFS DATE DAY EDATE
EOMONTH FALSE HLOOKUP IF IFERROR INDEX INDIRECT INT ISBLANK ISERROR ISNUMBER ISTEXT LARGE LEFT LEN LOOKUP LOWER MATCH
MAX MID MIN MOD MONTH NOT OFFSET OR POWER PRODUCT RIGHT ROUND ROUNDDOWN ROUNDUP ROW ROWS SMALL SUBSTITUTE SUM SUMIF
SUMIFS SUMPRODUCT TEXT TRIM TRUE UPPER VALUE VLOOKUP YEAR N NA ISNA ISERR EXACT FIND SEARCH REPT CONCATENATE
""".split())
_FUNCTION_NAME = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_.]*)\(")  # linear: no backtracking inside long names


@contextmanager
def fast_formulas() -> Iterator[None]:
    """Skip xlsxwriter's 30 to 150 regular-expression rewrites per formula (it prefixes
    Excel 2010+ functions with _xlfn.) when the formula calls only classic functions, which
    no rewrite touches. The file written is byte-identical; any other formula goes through
    xlsxwriter's own code. About a third of the build time."""
    from xlsxwriter.worksheet import Worksheet

    original = Worksheet.__dict__.get("_prepare_formula")
    if original is None or getattr(original, "_pbp_fast", False):  # another xlsxwriter, or already on
        yield
        return

    def prepare(self: Any, formula: str, expand_future_functions: bool = False) -> str:
        if not all(name.upper() in _CLASSIC_FUNCTIONS for name in _FUNCTION_NAME.findall(formula)):
            return original(self, formula, expand_future_functions)
        if formula.startswith("{"):
            formula = formula[1:]
        if formula.startswith("="):
            formula = formula[1:]
        if formula.endswith("}"):
            formula = formula[:-1]
        return formula

    prepare._pbp_fast = True  # type: ignore[attr-defined]
    Worksheet._prepare_formula = prepare
    try:
        yield
    finally:
        Worksheet._prepare_formula = original


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive the batch: on Linux the kernel sends it SIGKILL when its parent
    dies (prctl PR_SET_PDEATHSIG); elsewhere a watchdog thread notices the parent is gone."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl: the watchdog below still runs
            pass
    if os.getppid() != parent:   # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    import threading

    threading.Thread(target=watch, name="pbp-parent-watchdog", daemon=True).start()


def _init_worker(content_folder: str, parent: int | None = None) -> None:
    """Once per worker process: dies with its parent, content loaded (from the parent's content
    folder, which a spawned worker would not otherwise know) and fast formulas on (xlsxwriter
    writes in memory in every build, see layout.Book, so no scratch files are involved), and
    fill mode on (workbook.fill: the work every workbook of a shape shares is done once)."""
    if parent is not None:
        _die_with_parent(parent)
    use_content_dir(content_folder)
    _WORKER["content"] = load_content()
    fast = fast_formulas()
    fast.__enter__()          # for the life of the worker
    _WORKER["fast"] = fast
    from .workbook import fill

    fill.start()              # compile once, fill many: each shape's xlsxwriter work is done once per worker
    # the forked worker inherits the parent's heap (the whole roster); freezing it keeps
    # every garbage collection from walking those objects again
    gc.freeze()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: builds since the last full garbage collection (this process)
_BUILDS = [0]
FULL_COLLECTION_EVERY = 200


@contextmanager
def _collect_between_builds() -> Iterator[None]:
    """No garbage collection inside a build, a young-generation one after it (a full one every
    FULL_COLLECTION_EVERY builds). A build's cells are freed as its Book goes, but while it runs
    its tens of thousands of live cells made the collector run twenty-odd times a partnership and
    promote them for full collections: about a fifth of a batch's CPU time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _BUILDS[0] += 1
        gc.collect(2 if _BUILDS[0] % FULL_COLLECTION_EVERY == 0 else 0)
        if was:
            gc.enable()


def _build_one(item: tuple[int, str, str, Partnership, str], outdir: Path, kinds: tuple[str, ...], content: Content) -> RowResult:
    row, label, slug, p, pid = item
    result = RowResult(row, label, slug)
    try:
        with _collect_between_builds():
            paths = build_workbooks(p, outdir, BuildOptions(kinds=kinds, build_time=stamp_time(), partnership_id=pid or None),
                                    slug=slug, content=content)
        for kind, path in zip(kinds, paths):
            result.files.append(Built(kind, path.name, path.stat().st_size, _sha256(path)))
        result.status = "built"
    except Exception as exc:  # a row never takes the batch down with it
        result.problems.append(Problem(row, label, "", "build_failed", f"the workbook could not be built: {type(exc).__name__}: {exc}"))
    return result


def _build_chunk(items: list[tuple[int, str, str, Partnership, str]], outdir: str, kinds: tuple[str, ...]) -> list[RowResult]:
    content = _WORKER.get("content") or load_content()
    return [_build_one(item, Path(outdir), kinds, content) for item in items]


# ----------------------------------------------------------------------------- the batch


def _cores() -> int:
    """CPU cores this process may use (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _pool_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform.startswith("linux") else None)


def plan_rows(rows: list[RosterRow], files: DataFiles, content: Content, roster_name: str
              ) -> tuple[dict[int, RowResult], list[tuple[int, str, str, Partnership, str]]]:
    """Every row checked, nothing built: (the rows that cannot be built, with their problems;
    the rows to build). The web page shows the first before a build is started."""
    results: dict[int, RowResult] = {}
    todo: list[tuple[int, str, str, Partnership, str]] = []
    slugs: dict[str, RosterRow] = {}
    ids: dict[str, RosterRow] = {}
    for row in rows:
        p, problems = prepare_row(row, files, content, roster_name)
        label = row.label or (p.organization.name if p else "")
        raw_id = row.cells.get("id")
        pid = "" if _blank(raw_id) else str(_cell_value("name", raw_id)).strip()
        if p is not None and pid and not ROSTER_ID.fullmatch(pid):
            problems = [Problem(row.row, label, "id", "invalid", f"{pid[:60]!r} is not an id: use letters, digits, '-', '_' or '.' "
                                "(up to 100, starting with a letter or digit), the same every round")]
            p = None
        elif p is not None and pid and pid in ids:
            first = ids[pid]
            problems = [Problem(row.row, label, "id", "duplicate", f"the id {pid!r} is also row {first.row}'s"
                                f"{' (' + first.label + ')' if first.label else ''}; each partnership needs its own id")]
            p = None
        if p is not None:
            slug = slugify(p.organization.name)
            if slug in slugs:
                first = slugs[slug]
                problems = [Problem(row.row, label, "name", "duplicate",
                                    f"gives the same file name ({slug}-*.xlsx) as row {first.row}"
                                    f"{' (' + first.label + ')' if first.label else ''}; give each partnership a distinct "
                                    "name (for example add the region), or remove the repeated row")]
            else:
                slugs[slug] = row
                if pid:
                    ids[pid] = row
                todo.append((row.row, label, slug, p, pid))
        if problems:
            slug = slugify(label) if label and problems[0].reason != "duplicate" else ""
            results[row.row] = RowResult(row.row, label, slug, status="failed", problems=problems)
    return results, todo


def run_batch(roster: str | Path, outdir: str | Path, workers: int | None = None, fail_fast: bool = False,
              progress: bool = True, content: Content | None = None,
              on_progress: Callable[[int, int], None] | None = None, data_files: bool = True) -> BatchResult:
    """Validate every roster row, build both workbooks for the good ones in parallel, write
    OUT/manifest.csv and OUT/problems.csv. Raises RosterError when the roster is unusable.

    on_progress(rows built, rows to build) follows the builds (the web page's progress bar);
    data_files=False refuses a row's data_file (a roster uploaded to the web page must not
    name files on the server)."""
    started = time.perf_counter()
    roster = Path(roster)
    outdir = Path(outdir)
    content = content or load_content()
    rows, notes = read_roster(roster)
    kinds = tuple(builders())
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RosterError(f"{outdir}: cannot create the output folder ({exc.strerror})") from None
    left = clear_unfinished(outdir)
    if left:
        notes.append(f"removed {left} unfinished file(s) that an earlier, interrupted run left in {outdir}")

    files = DataFiles(roster.parent) if data_files else NoDataFiles(roster.parent)
    results, todo = plan_rows(rows, files, content, roster.name)

    if fail_fast and results:
        for row_no, label, slug, *_ in todo:
            results[row_no] = RowResult(row_no, label, slug, "not_built", problems=[
                Problem(row_no, label, "", "not_built", "not built: --fail-fast stopped the batch at the first bad row")])
        todo = []

    _build_all(todo, outdir, kinds, workers, fail_fast, progress, results, on_progress)
    ordered = [results[r.row] for r in rows]
    batch = BatchResult(ordered, outdir, notes=notes)
    _note_stale(batch, kinds)
    write_manifest(batch)
    batch.seconds = time.perf_counter() - started
    return batch


#: The hidden temporary names the toolkit writes before renaming into place (tempfile.mkstemp's
#: eight random characters): ".<slug>-full-cost-a1b2c3d4.xlsx", ".manifest-a1b2c3d4.csv.tmp".
_UNFINISHED = re.compile(r"^\..+-[a-z0-9_]{8}\.(?:xlsx|xlsm|csv|csv\.tmp|xlsx\.tmp)$")


def clear_unfinished(outdir: Path) -> int:
    """Remove the hidden temporary files a killed run left in outdir (never anything else); returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(outdir))
    except OSError:
        return 0
    for entry in entries:
        if _UNFINISHED.match(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def _chunks(todo: list[Any], workers: int, most: int = 25) -> list[list[Any]]:
    """The rows in chunks for the workers, each a quarter of what is left per worker (at most `most`),
    so they shrink towards the end: the last ones are a row or two, and no worker sits idle while
    another builds a long last chunk (25 rows were a second and a half of one core's work)."""
    chunks, i = [], 0
    while i < len(todo):
        size = max(1, min(most, math.ceil((len(todo) - i) / (workers * 4))))
        chunks.append(todo[i:i + size])
        i += size
    return chunks


def _build_all(todo: list[tuple[int, str, str, Partnership, str]], outdir: Path, kinds: tuple[str, ...], workers: int | None,
               fail_fast: bool, progress: bool, results: dict[int, RowResult],
               on_progress: Callable[[int, int], None] | None = None) -> None:
    if not todo:
        return
    built = 0
    workers = max(1, min(workers or _cores(), len(todo)))
    chunks = _chunks(todo, workers)
    bar = click.progressbar(length=len(todo), label="Building workbooks", file=sys.stderr, show_pos=True,
                            show_eta=True) if progress else None
    stop = False

    def take(chunk_results: list[RowResult]) -> None:
        nonlocal stop, built
        for r in chunk_results:
            results[r.row] = r
            if r.status != "built" and fail_fast:
                stop = True
        if bar is not None:
            bar.update(len(chunk_results))
        built += len(chunk_results)
        if on_progress is not None:
            on_progress(built, len(todo))

    try:
        if workers == 1:
            from .workbook.fill import filling

            content = load_content()
            with fast_formulas(), filling():
                for items in chunks:
                    if stop:
                        break
                    take([_build_one(item, outdir, kinds, content) for item in items])
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=_init_worker,
                                     initargs=(str(content_dir()), os.getpid())) as pool:
                chunk_of: dict[Future[list[RowResult]], list[tuple[int, str, str, Partnership, str]]] = {
                    pool.submit(_build_chunk, c, str(outdir), kinds): c for c in chunks}
                pending = set(chunk_of)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        if fut.cancelled():
                            continue
                        try:
                            take(fut.result())
                        except Exception as exc:  # a worker died (out of memory, killed): those rows failed
                            _worker_lost(exc, chunk_of[fut], results)
                    if stop:
                        for fut in pending:
                            fut.cancel()
                        pool.shutdown(wait=True, cancel_futures=True)
                        pending = set()
    finally:
        if bar is not None:
            bar.render_finish()
    for items in chunks:  # rows never reached (fail-fast) or lost with a worker
        for row_no, label, slug, *_ in items:
            if row_no not in results:
                why = ("not built: --fail-fast stopped the batch at the first bad row" if stop
                       else "not built: its worker process stopped unexpectedly")
                results[row_no] = RowResult(row_no, label, slug, "not_built", problems=[Problem(row_no, label, "", "not_built", why)])


def _worker_lost(exc: Exception, items: list[tuple[int, str, str, Partnership, str]], results: dict[int, RowResult]) -> None:
    """A chunk whose worker crashed (killed, out of memory): its rows are marked failed with the reason."""
    for row_no, label, slug, *_ in items:
        if row_no not in results:
            results[row_no] = RowResult(row_no, label, slug, "failed", problems=[
                Problem(row_no, label, "", "build_failed", f"the worker process building it stopped: {type(exc).__name__}: {exc}")])


def _note_stale(batch: BatchResult, kinds: tuple[str, ...]) -> None:
    """A failed row whose workbooks exist from an earlier run: say they are old."""
    for r in batch.failed:
        if not r.slug:
            continue
        old = [k for k in kinds if (batch.outdir / f"{r.slug}-{k}.xlsx").exists()]
        if old and r.problems:
            r.problems[-1].message += f" (an older {r.slug}-*.xlsx from an earlier run is still in the folder; it was not rebuilt)"


def write_manifest(batch: BatchResult) -> tuple[Path, Path]:
    """OUT/manifest.csv (one line per workbook written, one per row not built) and
    OUT/problems.csv (one line per problem). Both always written, so no stale list survives."""
    lines: list[list[Any]] = []
    for r in batch.rows:
        if r.status == "built":
            for f in r.files:
                lines.append([r.row, r.partnership, r.slug, r.status, f.kind, f.file, f.bytes, f.sha256, ""])
        else:
            lines.append([r.row, r.partnership, r.slug, r.status, "", "", "", "", "; ".join(p.message for p in r.problems)])
    manifest = batch.outdir / MANIFEST
    problems = batch.outdir / PROBLEMS
    from .safecsv import write_csv

    write_csv(manifest, MANIFEST_COLUMNS, lines)
    write_csv(problems, PROBLEM_COLUMNS, [[p.row, p.partnership, p.column, p.reason, p.message] for p in batch.problems])
    return manifest, problems


# ----------------------------------------------------------------------------- the command


@click.command("batch")
@click.argument("roster", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the workbooks, manifest.csv and problems.csv (created if missing).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Parallel build processes. Default: one per CPU core.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first bad row: nothing more is built (the manifest still lists every row).")
def batch_command(roster: Path, outdir: Path, workers: int | None, fail_fast: bool) -> None:
    """Build both workbooks for every partnership in ROSTER (a .csv or .xlsx).

    \b
    ROSTER has a header row and one partnership per row:
      name                required (or from data_file)
      region, focus       optional text
      backbone_structure  a structure id, e.g. hosted_nonprofit
      fiscal_year_start   a date, YYYY-MM-DD (e.g. 2026-07-01)
      data_file           optional: a partnership .yaml, path relative to ROSTER;
                          the row's non-empty cells override its organization
      id                  optional: the partnership's stable id (letters, digits, - _ .),
                          written into its workbooks so that collect rounds match it
                          across rounds; default: the name's slug

    \b
    Writes OUT/<slug>-full-cost.xlsx and OUT/<slug>-scenario-projections.xlsx per row,
    OUT/manifest.csv (row, partnership, slug, status, workbook, file, bytes, sha256,
    problem: one line per workbook, one per row not built) and OUT/problems.csv (row,
    partnership, column, reason, message). A bad row is reported and every other row is
    still built. Two rows whose names give the same file name: the later one is reported
    as a duplicate, not built.

    \b
    Exit status: 0 every row built, 1 some row failed, 2 the roster could not be used.
    """
    from .fileio import OutputOverInput, refuse_overwrite
    from .kinds import SLUGS

    written = [outdir / MANIFEST, outdir / PROBLEMS]
    if roster.name.endswith(tuple(f"-{slug}.xlsx" for slug in SLUGS)):  # a roster named like a workbook batch writes
        written.append(outdir / roster.name)
    try:
        refuse_overwrite([outdir, *written], [roster], [content_dir()])
    except OutputOverInput as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ROSTER)
    try:
        batch = run_batch(roster, outdir, workers=workers, fail_fast=fail_fast, progress=True)
    except RosterError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ROSTER)
    for note in batch.notes:
        click.echo(f"note: {note}", err=True)
    shown = batch.problems[:25]
    for p in shown:
        click.echo(f"{roster.name} {p}", err=True)
    if len(batch.problems) > len(shown):
        click.echo(f"... and {len(batch.problems) - len(shown)} more in {outdir / PROBLEMS}", err=True)
    rate = batch.files / batch.seconds if batch.seconds else 0.0
    click.echo(f"built {batch.files} workbook(s) for {len(batch.built)} of {len(batch.rows)} partnership(s) "
               f"in {batch.seconds:.1f} s ({rate:.1f} files/s); manifest: {outdir / MANIFEST}", err=True)
    if batch.failed:
        click.echo(f"{len(batch.failed)} row(s) not built: see {outdir / PROBLEMS}", err=True)
    sys.exit(batch.exit_code)


__all__ = ["batch_command", "run_batch", "read_roster", "prepare_row", "write_manifest", "fast_formulas",
           "plan_rows", "NoDataFiles", "BatchResult", "RowResult", "Problem", "RosterError", "RosterRow", "COLUMNS", "MANIFEST_COLUMNS", "PROBLEM_COLUMNS"]
