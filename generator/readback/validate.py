"""Validate a returned workbook: is it ours, are its formulas intact, are its inputs valid,
do its cached values agree with the model run on its inputs?

`validate_file(path)` returns a `Report`; `Report.status` is 'clean', 'problems' or
'unreadable' (exit codes 0, 1, 2 of `pbp-toolkit validate`).
"""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..content import load_content
from ..fingerprint import changed_cells, fingerprint, read_formulas
from ..schema import DataFileError, Partnership, validate_data
from .extract import FULL_COST_ID, PROJECTIONS_ID, Extracted, extract
from .safety import UnsafeFile, inspect_package
from .source import FileSource, SourceError

#: Template versions this generator can read (and upgrade from).
KNOWN_VERSIONS: dict[str, set[str]] = {FULL_COST_ID: {"1"}, PROJECTIONS_ID: {"1"}}
CURRENT_VERSION: dict[str, str] = {FULL_COST_ID: "1", PROJECTIONS_ID: "1"}
KIND_OF: dict[str, str] = {FULL_COST_ID: "full-cost", PROJECTIONS_ID: "scenario-projections"}
MAX_LISTED = 50


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
    status: str = "clean"                  # clean | problems | unreadable
    template_id: str = ""
    template_version: str = ""
    partnership_id: str = ""
    formulas_intact: bool | None = None
    inputs_valid: bool | None = None
    cached_values_agree: bool | None = None
    findings: list[Finding] = field(default_factory=list)
    partnership: Partnership | None = field(default=None, repr=False)
    extracted: Extracted | None = field(default=None, repr=False)

    def add(self, level: str, code: str, message: str, sheet: str = "", cell: str = "") -> None:
        self.findings.append(Finding(level, code, message, sheet, cell))
        if level == "error" and self.status == "clean":
            self.status = "problems"

    @property
    def exit_code(self) -> int:
        return {"clean": 0, "problems": 1, "unreadable": 2}[self.status]

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k not in ("partnership", "extracted")}
        d["findings"] = [asdict(f) for f in self.findings]
        return d

    def render(self) -> str:
        """A readable report."""
        head = f"{self.path}: {self.status.upper()}"
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


def _shape_partnership(ex: Extracted, p: Partnership | None) -> Partnership:
    """A partnership with the same shape (years, scenarios) as the file, for rebuilding its formulas."""
    from ..build import blank_partnership

    if p is not None:
        return p
    content = load_content()
    years = ex.data.get("projections", {}).get("years")
    base = blank_partnership(years if isinstance(years, int) and 3 <= years <= 10 else 5, content)
    scen = ex.data.get("projections", {}).get("scenarios")
    if scen:
        data = base.to_data()
        data["projections"]["scenarios"] = [{"id": s.get("id"), "name": f"s{n}"} for n, s in enumerate(scen)]
        try:
            return validate_data(data, "<shape>", content)
        except DataFileError:
            return base
    return base


def _expected_formulas(ex: Extracted, p: Partnership | None) -> dict[tuple[str, str], str]:
    """The formulas the file should hold: those of a fresh build of the same shape and capacity."""
    from ..workbook.full_cost import build_full_cost, capacity_from_meta

    shape = _shape_partnership(ex, p)
    cap = capacity_from_meta(ex.meta)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "expected.xlsx"
        if ex.kind == FULL_COST_ID:
            build_full_cost(shape, out, capacity=cap, blank=p is None)
        else:
            from ..workbook.projections import build_projections
            build_projections(shape, out, capacity=cap, blank=p is None)
        return read_formulas(out)


def _check_formulas(report: Report, path: Path, ex: Extracted, p: Partnership | None) -> None:
    stored = ex.meta.get("formula_fingerprint", "")
    actual = read_formulas(path)
    now = fingerprint((s, c, f) for (s, c), f in actual.items())
    if stored and now == stored:
        report.formulas_intact = True
        return
    report.formulas_intact = False
    try:
        changes = changed_cells(_expected_formulas(ex, p), actual)
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
    try:
        p = validate_data(ex.data, report.path)
    except DataFileError as exc:
        report.inputs_valid = False
        for prob in exc.problems:
            c = ex.cell_for(prob.path)
            report.add("error", "invalid_input", f"{prob.path}: {prob.message}", c.sheet if c else "", c.address.split("!")[-1] if c else "")
        return None
    report.inputs_valid = True
    return p


def _check_cached(report: Report, src: FileSource, ex: Extracted, p: Partnership) -> None:
    from ..verify import mismatches, model_for

    expected = model_for(KIND_OF[ex.kind])(p, load_content())
    cached = {}
    for name in expected:
        if name in src.names():
            cells = src.cells(name)
            cached[name] = [c.value for c in cells] if len(cells) > 1 or isinstance(expected[name], list) else cells[0].value
    # readers give "" as None and whole floats as int; compare leniently on those only
    diffs = [m for m in mismatches(expected, {k: _fix(v, expected[k]) for k, v in cached.items()})]
    report.cached_values_agree = not diffs
    if diffs:
        report.add("error", "stale_values",
                   f"{len(diffs)} output(s) differ from the model run on the file's inputs: the file was saved without "
                   f"recalculation, or a formula was changed. First: {diffs[0]}")
    checks = "FC_Checks_OK" if ex.kind == FULL_COST_ID else "SP_Checks_OK"
    if checks in cached and cached[checks] is False:
        report.add("warning", "checks_fail", "the workbook's own Checks sheet shows a failing check", "Checks")


def _fix(value: Any, expected: Any) -> Any:
    if isinstance(expected, list) and isinstance(value, list):
        return [_fix(v, e) for v, e in zip(value, expected)] + value[len(expected):]
    if value is None and expected == "":
        return ""
    return value


def validate_file(path: str | Path) -> Report:
    """Validate one returned workbook."""
    path = Path(path)
    report = Report(str(path))
    try:
        info = inspect_package(path)
    except UnsafeFile as exc:
        report.add("error", exc.reason, exc.message)
        report.status = "unreadable"
        return report
    if info.had_macros:
        report.add("warning", "macros", f"the file carries macros ({', '.join(info.macro_parts) or info.kind}); "
                   "they were not run, and nothing of them is kept")
    for w in info.warnings:
        report.add("warning", "package", w)
    try:
        src = FileSource(path)
        meta = src.metadata()
    except (SourceError, OSError, ValueError) as exc:
        report.add("error", "unreadable", str(exc))
        report.status = "unreadable"
        return report
    report.template_id = meta.get("template_id", "")
    report.template_version = meta.get("template_version", "")
    report.partnership_id = meta.get("partnership_id", "")
    if report.template_id not in KNOWN_VERSIONS:
        report.add("error", "not_ours", "not a Place-Based Partnerships Toolkit workbook (no known template id in its metadata)")
        return report
    if report.template_version not in KNOWN_VERSIONS[report.template_id]:
        report.add("error", "unknown_version", f"template version {report.template_version!r} is not one this generator knows "
                   f"({', '.join(sorted(KNOWN_VERSIONS[report.template_id]))})")
        return report
    if report.template_version != CURRENT_VERSION[report.template_id]:
        report.add("warning", "old_version", f"an older template version: `pbp-toolkit upgrade` carries it to version {CURRENT_VERSION[report.template_id]}")
    try:
        ex = extract(src)
    except SourceError as exc:
        report.add("error", "missing_part", f"{exc} (a sheet or named range was deleted?)")
        return report
    report.extracted = ex
    p = _check_inputs(report, ex)
    report.partnership = p
    _check_formulas(report, path, ex, p)
    if p is not None:
        _check_cached(report, src, ex, p)
    return report
