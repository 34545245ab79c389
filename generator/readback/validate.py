"""Validate a returned workbook: is it ours, are its formulas intact, are its inputs valid,
do its cached values agree with the model run on its inputs?

`validate_file(path)` returns a `Report`; `Report.status` is 'clean', 'unfilled' (valid but
no staff or expenses entered yet, SPEC 5), 'problems' or 'unreadable' (exit codes 0, 1, 1, 2
of `pbp-toolkit validate`).

The checks themselves run over any `WorkbookSource` plus a mapping of the workbook's
formulas (`validate_source`), so the add-in runs exactly the same checks over an open
workbook in Excel (`BookSource`, formulas read through xlwings) as the command line runs
over a file (`FileSource`, formulas read from the sheet XML).
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Union

from ..content import load_content
from ..fingerprint import changed_cells, formulas_fingerprint, read_formulas
from ..schema import DataFileError, Partnership, validate_data
from ..kinds import by_template_id, of_template_id
from .extract import Extracted, extract
from .safety import PackageInfo, UnsafeFile, inspect_file
from .source import FileSource, SourceError, WorkbookSource

#: A workbook's formulas, (sheet, cell) -> formula text ("=" optional), or a function giving them
#: (called only when the formula check runs).
Formulas = Union[Mapping[tuple[str, str], str], Callable[[], Mapping[tuple[str, str], str]]]

MAX_LISTED = 50
#: Findings that make a file unusable for every command (exit status 2, like an unreadable file).
UNUSABLE = frozenset({"not_ours", "unknown_version"})


#: How each status reads in a report.
STATUS_WORDS = {"clean": "CLEAN", "unfilled": "NOT FILLED IN", "problems": "PROBLEMS", "unreadable": "UNREADABLE"}
UNFILLED_MESSAGE = "not filled in yet: no position with an FTE above 0 and no expense above 0 is entered"


@dataclass
class Finding:
    """One problem or warning, with where it is."""

    level: str            # 'error' or 'warning'
    code: str             # not_ours, unknown_version, formula_changed, invalid_input, stale_values, checks_fail, ...
    message: str
    sheet: str = ""
    cell: str = ""

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}: " if self.sheet and self.cell else (f"{self.sheet}: " if self.sheet else "")
        return f"{self.level}: {where}{self.message}"


@dataclass
class Report:
    """What validation found in one file."""

    path: str
    status: str = "clean"                  # clean | unfilled | problems | unreadable
    filled_in: bool | None = None          # SPEC 5 completeness of the inputs (None: not known)
    template_id: str = ""
    template_version: str = ""
    partnership_id: str = ""
    saved_time: str = ""                   # docProps/core.xml modified: when the workbook was last saved
    formulas_intact: bool | None = None
    inputs_valid: bool | None = None
    cached_values_agree: bool | None = None
    findings: list[Finding] = field(default_factory=list)
    partnership: Partnership | None = field(default=None, repr=False)
    extracted: Extracted | None = field(default=None, repr=False)
    #: the model's outputs for `partnership` (the cached-values check ran it): collect reuses them
    model_outputs: dict[str, Any] | None = field(default=None, repr=False)
    #: SHA-256 of the very bytes inspected and read (validate_file), "" when none were read: collect's
    #: store knows a file by it, so it must be these bytes, not the file read again a moment later
    sha256: str = field(default="", repr=False)

    def add(self, level: str, code: str, message: str, sheet: str = "", cell: str = "") -> None:
        self.findings.append(Finding(level, code, message, sheet, cell))
        if level == "error" and self.status in ("clean", "unfilled"):
            self.status = "problems"

    @property
    def exit_code(self) -> int:
        """0 clean, 1 problems found in the file (or not filled in yet), 2 the file cannot be used
        at all (unreadable, not a toolkit workbook, a template version this generator does not know)."""
        if self.status == "unreadable" or any(f.code in UNUSABLE for f in self.findings):
            return 2
        return {"clean": 0, "unfilled": 1, "problems": 1}[self.status]

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k not in ("partnership", "extracted", "model_outputs", "sha256")}
        d["findings"] = [asdict(f) for f in self.findings]
        return d

    def render(self) -> str:
        """A readable report."""
        head = f"{self.path}: {STATUS_WORDS.get(self.status, self.status.upper())}"
        if self.template_id:
            head += f" ({self.template_id} version {self.template_version or '?'}"
            head += f", partnership {self.partnership_id})" if self.partnership_id else ")"
        lines = [head]
        marks = {True: "yes", False: "NO", None: "not checked"}
        lines.append(f"  formulas intact: {marks[self.formulas_intact]}; inputs valid: {marks[self.inputs_valid]}; "
                     f"cached values agree with the model: {marks[self.cached_values_agree]}")
        for f in self.findings:
            lines.append(f"  {f}")
        return "\n".join(lines)


def _shape_partnership(ex: Extracted) -> Partnership:
    """An empty partnership with the file's shape (years, scenario ids), for rebuilding its formulas.

    Empty, so that no table grows past the capacity recorded in the file (a user who filled
    the spare rows must not make the rebuild differ).
    """
    from ..build import blank_partnership

    content = load_content()
    years = ex.meta.get("years", "")
    years_n = int(years) if years.isdigit() else ex.data.get("projections", {}).get("years")
    base = blank_partnership(years_n if isinstance(years_n, int) and 3 <= years_n <= 10 else 5, content)
    ids: list[str | None] = [i for i in ex.meta.get("scenario_ids", "").split(",") if i]  # None: a scenario without an id
    if not ids:
        ids = [s.get("id") for s in ex.data.get("projections", {}).get("scenarios") or [] if isinstance(s, dict)]
    if ids:
        data = base.to_data()
        data["projections"]["scenarios"] = [{"id": sid, "name": f"Scenario {n + 1}"} for n, sid in enumerate(ids)]
        try:
            return validate_data(data, "<shape>", content)
        except DataFileError:
            return base
    return base


def _expected_formulas(ex: Extracted) -> dict[tuple[str, str], str]:
    """The formulas the file should hold: those of a fresh build of the same shape and capacity."""
    return _expected(ex)[0]


def _shape_key(ex: Extracted) -> tuple[str, ...]:
    keys = ("years", "scenario_ids", "staff_rows", "expense_rows", "revenue_rows", "capacity")
    return (ex.kind,) + tuple(ex.meta.get(k, "") for k in keys) + tuple(sorted(f"{k}={v}" for k, v in ex.meta.items() if k.startswith("cap")))


_EXPECTED: dict[tuple[str, ...], tuple[dict[tuple[str, str], str], dict[str, Any]]] = {}

#: A folder the processes of one collect run share (set by collect in each worker): a shape's
#: fresh build is made once in the run, by the first worker that meets it, and the others read it
#: from there, instead of each worker spending a quarter to three quarters of a second on it.
SHARED_BUILDS: Path | None = None


def _expected(ex: Extracted) -> tuple[dict[tuple[str, str], str], dict[str, Any]]:
    """(formulas, defined names) of a fresh build of the file's shape and capacity; built once per
    shape in a process (collect reads many files of the same shape), and once per collect run
    when its workers share a folder (SHARED_BUILDS)."""
    key = _shape_key(ex)
    if key not in _EXPECTED:
        if len(_EXPECTED) > 8:   # a handful of shapes at most in one run: keep memory bounded
            _EXPECTED.clear()
        _EXPECTED[key] = _shared_build(key, ex) if SHARED_BUILDS is not None else _build_expected(ex)
    return _EXPECTED[key]


def _build_expected(ex: Extracted) -> tuple[dict[tuple[str, str], str], dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "expected.xlsx"
        of_template_id(ex.kind).rebuild(_shape_partnership(ex), out, ex.meta, blank=True)
        data = out.read_bytes()
    return read_formulas(data), FileSource(out, data).names()


def _shared_build(key: tuple[str, ...], ex: Extracted) -> tuple[dict[tuple[str, str], str], dict[str, Any]]:
    """The shape's build from the run's shared folder, made there under a lock by the first worker
    that asks (the folder is the run's own, made private by collect: only this run's processes write it)."""
    import hashlib
    import os
    import pickle

    assert SHARED_BUILDS is not None
    stem = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    done, lock = SHARED_BUILDS / f"{stem}.pickle", SHARED_BUILDS / f"{stem}.lock"
    try:
        import fcntl
    except ImportError:   # no advisory locks (Windows): each worker builds its own
        return _build_expected(ex)
    with open(lock, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            if done.exists():
                with open(done, "rb") as got:
                    built = pickle.load(got)
                if built[0] == key:
                    return built[1], built[2]
            formulas, names = _build_expected(ex)
            tmp = done.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as out:
                pickle.dump((key, formulas, names), out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, done)
            return formulas, names
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_names(report: Report, src: WorkbookSource, ex: Extracted) -> None:
    """Every defined name of the template still points where the template has it: a name
    re-pointed at other cells would make every check read the wrong cells."""
    try:
        expected = _expected(ex)[1]
    except Exception as exc:  # a rebuild that fails leaves the other checks standing
        report.add("warning", "names_unchecked", f"the defined names could not be compared with the template ({exc})")
        return
    have = src.names()
    moved = [n for n, ref in expected.items() if n in have and have[n] != ref]
    for n in moved[:MAX_LISTED]:
        r = have[n]
        want = expected[n]
        from xlsxwriter.utility import xl_rowcol_to_cell as cell

        report.add("error", "name_changed", f"the defined name {n} points at {r.sheet}!{cell(r.r1, r.c1)}:{cell(r.r2, r.c2)}, "
                   f"not {want.sheet}!{cell(want.r1, want.c1)}:{cell(want.r2, want.c2)} as the template has it")
    if len(moved) > MAX_LISTED:
        report.add("error", "name_changed", f"... and {len(moved) - MAX_LISTED} more re-pointed defined names")


def _check_formulas(report: Report, formulas: Formulas, ex: Extracted, p: Partnership | None) -> None:
    stored = ex.meta.get("formula_fingerprint", "")
    given = formulas() if callable(formulas) else formulas
    now = formulas_fingerprint(given)   # read_formulas' own answer carries its sorted lines
    if stored and now == stored:
        report.formulas_intact = True
        return
    report.formulas_intact = False
    actual = dict(given)   # copied only when the cells are compared
    try:
        changes = changed_cells(_expected_formulas(ex), actual)
    except Exception as exc:  # a rebuild that fails still leaves the fingerprint verdict
        report.add("error", "formula_changed", f"formulas differ from the template (cells could not be listed: {exc})")
        return
    if not stored:
        report.add("warning", "no_fingerprint", "the file carries no formula fingerprint; formulas compared with a fresh build")
    if not changes and stored:
        report.add("warning", "fingerprint", "formula fingerprint differs, yet every formula matches a fresh build")
        report.formulas_intact = True
        return
    if not changes:
        report.formulas_intact = True
        return
    for sheet, cell, want, got in changes[:MAX_LISTED]:
        report.add("error", "formula_changed", f"formula changed: expected {want}, found {got or '(empty)'}", sheet, cell)
    if len(changes) > MAX_LISTED:
        report.add("error", "formula_changed", f"... and {len(changes) - MAX_LISTED} more changed formula cells")


def _check_inputs(report: Report, ex: Extracted) -> Partnership | None:
    for message, at in ex.problems:   # cells the data file has no place for: they would be lost
        report.add("error", "invalid_input", message, at.sheet, at.address.split("!")[-1])
    try:
        p = validate_data(ex.data, report.path)
    except DataFileError as exc:
        report.inputs_valid = False
        for prob in exc.problems:
            c = ex.cell_for(prob.path)
            report.add("error", "invalid_input", f"{prob.path}: {prob.message}", c.sheet if c else "", c.address.split("!")[-1] if c else "")
        return None
    report.inputs_valid = not ex.problems
    return p


def input_problems(path: str | Path, ex: Extracted) -> list[tuple[str, str]]:
    """(cell address, message) for every input `validate` rejects in one workbook: a value of the
    wrong kind or out of range, a cell the data file has no place for, a formula typed into an
    input cell (its result would be taken as if typed). `extract` refuses the file on any."""
    out: list[tuple[str, str]] = []
    try:
        validate_data(ex.data, str(path))
    except DataFileError as exc:
        for prob in exc.problems:
            c = ex.cell_for(prob.path)
            out.append((c.address if c else "?", str(prob)))
    out += [(c.address, message) for message, c in ex.problems]
    try:
        actual = read_formulas(path)
    except (OSError, ValueError, KeyError):
        return out
    inputs = {(c.sheet, c.address.split("!")[-1]): path_ for path_, c in ex.cells.items()}
    typed = [(k, v) for k, v in actual.items() if k in inputs]
    if typed:
        expected = _expected_formulas(ex)
        from ..fingerprint import normalise

        for (sheet, cell), formula in sorted(typed):
            want = expected.get((sheet, cell))
            if want is None or normalise(want) != normalise(formula):
                out.append((f"{sheet}!{cell}", f"{inputs[(sheet, cell)]}: a formula (={formula.lstrip('=')}) typed into an "
                            "input cell; type the value itself"))
    return out


def _check_cached(report: Report, src: WorkbookSource, ex: Extracted, p: Partnership) -> None:
    from ..verify import mismatches

    kind = of_template_id(ex.kind)
    expected = kind.model()(p, load_content())
    report.model_outputs = expected
    cached = {}
    range_values = getattr(src, "range_values", None)   # FileSource: the values without a Cell each
    for name in expected:
        if name in src.names():
            values = range_values(name) if range_values is not None else [c.value for c in src.cells(name)]
            cached[name] = values if len(values) > 1 or isinstance(expected[name], list) else values[0]
    # readers give "" as None and whole floats as int; compare leniently on those only
    diffs = [m for m in mismatches(expected, {k: _fix(v, expected[k]) for k, v in cached.items()})]
    checks = kind.name_of("Checks_OK")
    failing = _failing_checks(src) if cached.get(checks) is False else []
    if failing:  # the master check is false because a check on the Checks sheet fails: that is the cause, not staleness
        diffs = [d for d in diffs if not d.startswith(f"{checks}:")]
    report.cached_values_agree = not diffs
    if diffs:
        report.add("error", "stale_values",
                   f"{len(diffs)} output(s) differ from the model run on the file's inputs: the file was saved without "
                   f"recalculation, or a formula was changed. First: {diffs[0]}")
    complete = kind.name_of("Complete")
    report.filled_in = bool(expected[complete])
    if not report.filled_in:
        report.add("warning", "not_filled_in", UNFILLED_MESSAGE)
        if report.status == "clean":
            report.status = "unfilled"
    if failing:
        listed = "; ".join(f"{text!r} ({where})" for text, where in failing[:MAX_LISTED])
        more = f"; ... and {len(failing) - MAX_LISTED} more" if len(failing) > MAX_LISTED else ""
        sheet, _, cell = failing[0][1].partition("!")
        report.add("warning", "checks_fail", f"the workbook's own Checks sheet shows {len(failing)} failing check(s): {listed}{more}",
                   sheet, cell)
    elif checks in cached and cached[checks] is False:
        report.add("warning", "checks_fail", "the workbook's own Checks sheet shows a failing check", "Checks")


def _failing_checks(src: WorkbookSource) -> list[tuple[str, str]]:
    """(words, cell) of each check the Checks sheet shows as failing (its result is not the
    'OK' word), read through the names Chk_Texts and Chk_Results; empty when they are missing."""
    if "Chk_Texts" not in src.names() or "Chk_Results" not in src.names():
        return []
    ok = load_content().words("full_cost").sheet("checks").word("ok")
    texts, results = src.cells("Chk_Texts"), src.cells("Chk_Results")
    return [(str(t.value or ""), t.address) for t, r in zip(texts, results) if r.value != ok]


def _fix(value: Any, expected: Any) -> Any:
    if isinstance(expected, list) and isinstance(value, list):
        return [_fix(v, e) for v, e in zip(value, expected)] + value[len(expected):]
    if value is None and expected == "":
        return ""
    return value


def _package_findings(report: Report, info: PackageInfo) -> None:
    for w in info.warnings:  # safety's own words, macros included ("never run or kept")
        report.add("warning", "macros" if w.startswith("macros") else "package", w)
    if info.had_macros and not info.macro_parts:  # macro-enabled kind without a macro part
        report.add("warning", "macros", f"a macro-enabled file ({info.kind}); macros are never run or kept")


def _run_checks(report: Report, src: WorkbookSource, formulas: Formulas | None) -> Report:
    """Template identity, inputs, formulas, cached values: every check after the source is open."""
    try:
        meta = src.metadata()  # type: ignore[attr-defined]
    except (SourceError, OSError, ValueError) as exc:
        report.add("error", "unreadable", str(exc))
        report.status = "unreadable"
        return report
    report.template_id = meta.get("template_id", "")
    report.template_version = meta.get("template_version", "")
    report.partnership_id = meta.get("partnership_id", "")
    kind = by_template_id(report.template_id)
    if kind is None:
        report.add("error", "not_ours", "not a Place-Based Partnerships Toolkit workbook (no known template id in its metadata)")
        return report
    if report.template_version not in kind.known_versions:
        report.add("error", "unknown_version", f"template version {report.template_version!r} is not one this generator knows "
                   f"({', '.join(sorted(kind.known_versions))})")
        return report
    if report.template_version != kind.version:
        report.add("warning", "old_version", f"an older template version: `pbp-toolkit upgrade` carries it to version {kind.version}")
    try:
        ex = extract(src)
    except SourceError as exc:
        report.add("error", "missing_part", f"{exc} (a sheet or named range was deleted?)")
        return report
    report.extracted = ex
    _check_names(report, src, ex)
    p = _check_inputs(report, ex)
    report.partnership = p
    if formulas is not None:
        _check_formulas(report, formulas, ex, p)
    if p is not None:
        _check_cached(report, src, ex, p)
    return report


def validate_source(src: WorkbookSource, formulas: Formulas | None, label: str,
                    package_info: PackageInfo | None = None) -> Report:
    """Validate a workbook opened as a `WorkbookSource` (a file, or an open workbook in Excel).

    `formulas` is (sheet, cell) -> formula text for every formula cell of the workbook (or a
    function returning it); None skips the formula check (`formulas_intact` stays None).
    `label` names the workbook in the report; `package_info` (from `safety.inspect_package`)
    adds its macro and package warnings.
    """
    report = Report(label)
    if package_info is not None:
        _package_findings(report, package_info)
    return _run_checks(report, src, formulas)


def validate_file(path: str | Path) -> Report:
    """Validate one returned workbook: package safety first, then `validate_source` over the
    very bytes that were inspected. Never raises for a bad file: whatever a reader throws
    (a Rust panic included) becomes an 'unreadable' report for this one file."""
    path = Path(path)
    report = Report(str(path))
    try:
        data, info = inspect_file(path, keep_parts=True)
    except UnsafeFile as exc:
        report.add("error", exc.reason, exc.message)
        report.status = "unreadable"
        return report
    report.sha256 = hashlib.sha256(data).hexdigest()
    _package_findings(report, info)
    report.saved_time = info.core_properties.get("modified", "")
    try:
        src = FileSource(path, data, info.parts)
        return _run_checks(report, src, lambda: read_formulas(data, parts=info.parts))
    except (KeyboardInterrupt, SystemExit):
        raise
    except (SourceError, OSError, ValueError) as exc:
        report.add("error", "unreadable", str(exc))
    except BaseException as exc:  # a reader's own error or a Rust panic: this file only
        report.add("error", "unreadable", f"cannot be read ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})")
    report.status = "unreadable"
    return report
