"""The toolkit's workbook actions, for any front end: the add-in's buttons and the command line.

Each action only uses the `Book` interface (generator/report/book.py). The command line
(`pbp-toolkit validate --annotate`, `recalc`, `risk`, `upgrade`) runs them over a `FileBook`;
the Excel add-in's entry points (macros/actions.py, one per ribbon button) run them over an
`XlwingsBook` of the open workbook. Nothing here imports the add-in package.

The actions:
- validate (`validate_action`): the checks of `pbp-toolkit validate` (generator.readback.validate)
  over the open workbook, written to a "Toolkit Check" sheet with a link to each problem
  cell; problem cells are filled red (and restored by the next run).
- recalculate (`recalculate_action`): the Python model run on the workbook's inputs, its
  numbers beside Excel's for every output, on a "Python Recalculation" sheet.
- risk (`risk_report`): Monte Carlo over revenue, on a "Risk" sheet.
- upgrade (`upgrade_action`): the inputs carried into the current template version, written
  as a new workbook next to the open one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from dataclasses import dataclass, field

from ..model.risk import DEFAULT_RUNS, RiskError, RiskResult, simulate
from ..schema import Partnership

from .book import (FAIL_FILL, HIDDEN_COL, MONEY, PASS_FILL, PCT, WARN_FILL, Book, FanChart, FileBook, Report, Row,
                   SheetProtected, location)

RISK_SHEET = "Risk"
CHECK_SHEET = "Toolkit Check"
RECALC_SHEET = "Python Recalculation"
UPGRADE_SHEET = "Toolkit Upgrade"
#: Sheets the actions write: never part of the template, so left out of the formula check.
REPORT_SHEETS = (CHECK_SHEET, RECALC_SHEET, UPGRADE_SHEET, RISK_SHEET)
SETTING_RUNS = "Runs"
SETTING_SEED = "Seed (blank = a new random seed)"
SETTING_SCENARIO = "Scenario id (blank = the first, normally base)"


class ActionError(RuntimeError):
    """An action cannot run on this workbook; the message is meant for the user.

    `exit_code` follows the command line's rule: 2 the workbook cannot be used (unreadable,
    not a toolkit workbook, the wrong kind), 1 problems found in it (invalid inputs).
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def _open_file(path: Path) -> FileBook:
    """A returned workbook file through the safety checks; ActionError (exit 2) when it cannot be used."""
    from .book import BookError

    try:
        return FileBook(path)
    except BookError as exc:
        raise ActionError(str(exc)) from None


def _copy_name(path: Path, tag: str, out: Path | None) -> Path:
    """Where an action writes its copy: OUT, or FILE-<tag>.xlsx beside the input (always .xlsx: macros never travel)."""
    if out is not None:
        if Path(out).suffix.lower() != ".xlsx":
            raise ActionError(f"{Path(out).name}: the copy is a plain workbook without macros; name it .xlsx")
        return Path(out)
    return path.with_name(f"{path.stem}-{tag}.xlsx")


def _save(book: FileBook, target: Path) -> Path:
    from .book import BookError

    try:
        return book.save(target)
    except BookError as exc:
        raise ActionError(str(exc)) from None


# ----------------------------------------------------------------------------- inputs read back


def partnership_from_book(book: Book) -> Partnership:
    """The partnership whose inputs the workbook holds (read by defined name, then validated)."""
    from ..readback.extract import extract
    from ..readback.merge import merge_extracted
    from ..readback.source import BookSource, SourceError
    from ..schema import DataFileError, validate_data

    try:
        data, _ = merge_extracted([extract(BookSource(book))])
        return validate_data(data, "this workbook")
    except SourceError as exc:
        raise ActionError(f"this is not a toolkit workbook, or a part of it was deleted: {exc}") from None
    except DataFileError as exc:
        raise ActionError("the inputs have problems; run Validate first:\n" + "\n".join(str(p) for p in exc.problems[:10]), 1) from None
    except (KeyError, IndexError, TypeError, ValueError) as exc:  # a name pointing at a sheet that is gone, ...
        raise ActionError(f"this workbook cannot be read as a toolkit workbook ({type(exc).__name__}: {str(exc)[:200]})") from None


def require_projections(book: Book) -> None:
    """Risk needs a Scenario Projections Tool: refuse any other workbook, naming the one it needs."""
    from ..kinds import FULL_COST, PROJECTIONS
    from ..readback.source import BookSource, SourceError

    try:
        kind = BookSource(book).metadata().get("template_id", "")
    except (SourceError, KeyError, IndexError, TypeError, ValueError):
        kind = ""
    if kind == PROJECTIONS.template_id:
        return
    if kind == FULL_COST.template_id:
        raise ActionError(f"this is a {FULL_COST.name}; risk analysis runs on the partnership's {PROJECTIONS.name} "
                          f"(the ...-{PROJECTIONS.slug}.xlsx built with it)")
    raise ActionError(f"this is not a toolkit {PROJECTIONS.name}; risk analysis runs on the "
                      f"...-{PROJECTIONS.slug}.xlsx that pbp-toolkit build writes")


# ----------------------------------------------------------------------------- risk


def risk_settings(book: Book) -> dict[str, Any]:
    """Runs, seed and scenario typed into the settings cells of an earlier Risk sheet (defaults otherwise)."""
    out: dict[str, Any] = {"runs": DEFAULT_RUNS, "seed": None, "scenario_id": None}
    if RISK_SHEET not in book.sheet_names():
        return out
    values: dict[str, Any] = {}
    for r in range(1, 30):
        label, value = book.read_range(RISK_SHEET, f"A{r}:B{r}")[0]
        if isinstance(label, str):
            values[label] = value

    def whole(v: Any, what: str) -> int | None:
        if v is None or v == "":
            return None
        try:
            number = float(v)
        except (TypeError, ValueError):
            raise ActionError(f"{RISK_SHEET} sheet: {what} must be a whole number, got {v!r}") from None
        if number != int(number):
            raise ActionError(f"{RISK_SHEET} sheet: {what} must be a whole number, got {v!r}")
        return int(number)

    runs = whole(values.get(SETTING_RUNS), "Runs")
    if runs is not None:
        out["runs"] = runs
    out["seed"] = whole(values.get(SETTING_SEED), "Seed")
    scenario = values.get(SETTING_SCENARIO)
    out["scenario_id"] = str(scenario).strip() or None if scenario is not None else None
    return out


def risk_sheet(p: Partnership, result: RiskResult, seed_setting: int | None = None) -> Report:
    """The Risk sheet of a result: settings, per-year probabilities and percentiles, fan chart."""
    band = [hi - lo for lo, hi in zip(result.p10, result.p90)]
    chart_rows = [
        Row("P10", result.p10), Row("P50 (median)", result.p50), Row("P90", result.p90),
        Row("Reserve target", result.reserve_target), Row("P90 - P10 (band height)", band),
    ]
    return Report(
        sheet=RISK_SHEET,
        title=f"Risk analysis: {p.organization.name}, {result.scenario_name} scenario",
        notes=[
            "Monte Carlo over revenue: each source arrives or not with the probability of its confidence level,",
            "the same draw for all of its years (a funder renews or does not). Expenses, one-time items and the",
            f"reserve target are those of the {result.scenario_name} scenario. {result.runs:,} runs, seed {result.seed}.",
            "Written by the PBP Toolkit add-in; these are values, not formulas: run Risk analysis again after changing inputs.",
        ],
        settings=[
            (SETTING_RUNS, result.runs),
            (SETTING_SEED, seed_setting),
            (SETTING_SCENARIO, result.scenario_id),
            ("Seed used (type it above to repeat this run)", result.seed),
        ],
        header=list(result.labels),
        rows=[
            Row("P(ending cash < 0)", result.p_below_zero, PCT),
            Row("P(ending cash < reserve target)", result.p_below_reserve, PCT),
            Row("P(cash < 0 in any year so far)", result.p_ever_below_zero, PCT),
            Row("P10 ending cash", result.p10, MONEY),
            Row("P50 ending cash (median)", result.p50, MONEY),
            Row("P90 ending cash", result.p90, MONEY),
            Row("Mean ending cash", result.mean, MONEY),
            Row("Reserve target", result.reserve_target, MONEY),
            Row("Expenses", result.expenses, MONEY),
        ],
        chart=FanChart(title="Ending cash: P10 to P90 band, median and reserve target", low="P10",
                       mid="P50 (median)", high="P90", band="P90 - P10 (band height)", reference="Reserve target"),
        chart_rows=chart_rows,
    )


def risk_report(book: Book, p: Partnership, runs: int | None = None, seed: int | None = None,
                scenario_id: str | None = None) -> RiskResult:
    """Simulate and write the Risk sheet into `book`."""
    try:
        result = simulate(p, runs=DEFAULT_RUNS if runs is None else runs, seed=seed, scenario_id=scenario_id)
    except RiskError as exc:
        raise ActionError(str(exc)) from None
    book.write_report(risk_sheet(p, result, seed_setting=seed))
    return result


def run_risk_file(path: Path, out: Path | None = None, runs: int | None = None, seed: int | None = None,
                  scenario_id: str | None = None, partnership: Partnership | None = None) -> tuple[Path, RiskResult]:
    """The command line's `pbp-toolkit risk FILE.xlsx`: a copy of the workbook with a Risk sheet.

    `out` defaults to FILE-risk.xlsx beside the input (the input is never overwritten
    unless `out` names it). `partnership` skips reading the inputs back from the file.
    """
    path = Path(path)
    target = _copy_name(path, "risk", out)
    book = _open_file(path)
    require_projections(book)
    p = partnership if partnership is not None else partnership_from_book(book)
    result = risk_report(book, p, runs, seed, scenario_id)
    return _save(book, target), result


# ----------------------------------------------------------------------------- validate

HIGHLIGHT_MARK = "PBP Toolkit: cells filled by Validate (sheet, cell, fill before)"
_HIDDEN = "AD"   # column letter of HIDDEN_COL
assert HIDDEN_COL == 30
LEVEL_FILL = {"error": FAIL_FILL, "warning": WARN_FILL}


def _kind_name(template_id: str) -> str:
    """The display name of a template id (the id itself when it is not one of ours)."""
    from ..kinds import by_template_id

    kind = by_template_id(template_id)
    return kind.name if kind else template_id


@dataclass
class CheckResult:
    """What `validate_action` found and did."""

    report: Any                                   # generator.readback.validate.Report
    highlighted: list[tuple[str, str]] = field(default_factory=list)   # (sheet, cell) filled this run
    restored: list[tuple[str, str]] = field(default_factory=list)      # cells whose fill from the last run was taken off
    not_filled: list[tuple[str, str]] = field(default_factory=list)    # on a sheet that could not be unprotected
    stuck: list[tuple[str, str, str | None]] = field(default_factory=list)  # last run's fills that could not be taken off

    @property
    def clean(self) -> bool:
        return self.report.status == "clean"


def _previous_highlights(book: Book) -> list[tuple[str, str, str | None]]:
    """(sheet, cell, fill before) of the cells the last Validate filled, kept on the Check sheet."""
    if CHECK_SHEET not in book.sheet_names():
        return []
    head = book.read_range(CHECK_SHEET, f"{_HIDDEN}1:AE1")[0]
    if head[0] != HIGHLIGHT_MARK or not isinstance(head[1], (int, float)) or head[1] < 1:
        return []
    rows = book.read_range(CHECK_SHEET, f"{_HIDDEN}2:AF{1 + int(head[1])}")
    return [(str(s), str(c), str(f) if f else None) for s, c, f in rows if s and c]


def _restore(book: Book, previous: list[tuple[str, str, str | None]], result: CheckResult) -> None:
    """Take last run's fills off; a cell whose colour the user has changed since is left alone."""
    sheets = set(book.sheet_names())
    for sheet, cell, before in previous:
        if sheet not in sheets:
            continue
        try:
            if book.fill(sheet, cell) in LEVEL_FILL.values():
                book.colour(sheet, cell, before)
                result.restored.append((sheet, cell))
        except SheetProtected:
            result.stuck.append((sheet, cell, before))


def _where(sheet: str, cell: str) -> str:
    if sheet and cell:
        return f"{sheet}!{cell}"
    return sheet or "(whole workbook)"


def check_sheet(book_name: str, result: CheckResult, sheets: set[str],
                stored: list[tuple[str, str, str | None]]) -> Report:
    """The Toolkit Check sheet: a headline, the three verdicts, one linked row per finding."""
    r = result.report
    errors = [f for f in r.findings if f.level == "error"]
    warnings = [f for f in r.findings if f.level != "error"]
    if r.status == "clean":
        text = ("All good: this workbook's formulas are intact, every input is valid and every result agrees "
                "with the Python model.")
        if warnings:
            text += f" {len(warnings)} note(s) below."
        status = (text, PASS_FILL)
    elif r.status == "unreadable":
        status = ("This workbook could not be read as a toolkit workbook: see below.", FAIL_FILL)
    elif r.status == "unfilled":
        status = ("Not filled in yet: enter the staff (Staffing) and the expenses (Expenses) first. "
                  "The results read \"not applicable\" until then.", FAIL_FILL)
    elif any(f.sheet and f.cell for f in errors):
        status = (f"{len(errors)} problem(s) found. Click a cell address to go to it; the cells are filled red "
                  f"until you run Validate again.", FAIL_FILL)
    else:
        status = (f"{len(errors)} problem(s) found: see below.", FAIL_FILL)
    marks = {True: "yes", False: "NO", None: "not checked"}
    notes = []
    if r.template_id:
        kind = _kind_name(r.template_id)
        notes.append(f"{kind}, template version {r.template_version or '?'}"
                     + (f", partnership {r.partnership_id}" if r.partnership_id else "") + ".")
    notes.append(f"Formulas intact: {marks[r.formulas_intact]}. Inputs valid: {marks[r.inputs_valid]}. "
                 f"Results agree with the Python model: {marks[r.cached_values_agree]}.")
    if result.not_filled or result.stuck:
        cells = ", ".join(_where(s, c) for s, c, *_ in (result.not_filled + result.stuck)[:10])
        notes.append(f"{len(result.not_filled) + len(result.stuck)} cell(s) could not be coloured because their sheet is "
                     f"protected with a password ({cells}): use the links below, or Review > Unprotect Sheet and "
                     f"press Validate again.")
    notes.append("Fix the cells listed, then press Validate again: the list is made afresh and the fills are taken off.")
    rows = []
    for f in r.findings:
        link = location(f.sheet, f.cell or "A1") if f.sheet in sheets else None
        rows.append(Row(_where(f.sheet, f.cell), [f.level, f.message], "General", link=link,
                        fill=None))
    if not rows:
        rows.append(Row("", ["", "Nothing to report."], "General"))
    hidden: list[list[Any]] = [[HIGHLIGHT_MARK, len(stored), ""]] + [[s, c, b or ""] for s, c, b in stored]
    return Report(sheet=CHECK_SHEET, title=f"Toolkit Check: {book_name}", notes=notes, settings=[],
                  header=["Level", "What to look at"], rows=rows, status=status, label_header="Cell",
                  widths={1: 26, 2: 10, 3: 120}, hidden=hidden)


def validate_action(book: Book) -> CheckResult:
    """Validate the workbook as `pbp-toolkit validate` does, write the Toolkit Check sheet and fill
    the problem cells (errors red, warnings amber); the fills of the previous run are taken off first."""
    from ..readback.source import BookSource
    from ..readback.validate import validate_source

    previous = _previous_highlights(book)
    result = CheckResult(report=None)
    _restore(book, previous, result)

    def formulas() -> dict[tuple[str, str], str]:
        return {k: f for k, f in book.read_formulas().items() if k[0] not in REPORT_SHEETS}

    book.calculate()
    result.report = validate_source(BookSource(book), formulas, book.name())
    sheets = set(book.sheet_names())
    stored: list[tuple[str, str, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for f in sorted(result.report.findings, key=lambda f: f.level != "error"):   # errors first: red wins
        key = (f.sheet, f.cell)
        if not (f.sheet and f.cell) or f.sheet not in sheets or f.sheet in REPORT_SHEETS or key in seen:
            continue
        seen.add(key)
        try:
            before = book.fill(f.sheet, f.cell)
            book.colour(f.sheet, f.cell, LEVEL_FILL.get(f.level, WARN_FILL))
        except SheetProtected:
            result.not_filled.append(key)
            continue
        stored.append((f.sheet, f.cell, before))
        result.highlighted.append(key)
    kept = {(s, c) for s, c, _ in stored}
    stored += [x for x in result.stuck if (x[0], x[1]) not in kept]   # tried again on the next run
    book.write_report(check_sheet(book.name(), result, sheets, stored))
    return result


# ----------------------------------------------------------------------------- recalculate


@dataclass
class RecalcLine:
    """One value of one output: Excel's and the model's."""

    label: str                 # FC_Total, or SP_base_EndCash[FY2028] for a year of a row output
    output: str                # the defined name
    excel: Any
    python: Any
    ok: bool
    where: tuple[str, str] | None = None   # (sheet, cell) of Excel's value

    @property
    def difference(self) -> float | None:
        if _number(self.excel) and _number(self.python):
            return float(self.excel) - float(self.python)
        return None

    @property
    def flag(self) -> str:
        if self.ok:
            return "ok"
        return "MISSING" if self.where is None else "DIFFERS"


@dataclass
class RecalcResult:
    kind: str                  # full-cost | scenario-projections
    outputs: list[str]         # every output of the model, in order
    lines: list[RecalcLine]

    @property
    def differing(self) -> list[RecalcLine]:
        return [line for line in self.lines if not line.ok]

    def summary(self) -> str:
        bad = self.differing
        if not bad:
            return (f"All {len(self.lines)} values of the {len(self.outputs)} outputs agree: Excel's results equal "
                    f"the Python model's on this workbook's inputs.")
        names = ", ".join(line.label for line in bad[:5]) + (", ..." if len(bad) > 5 else "")
        return (f"{len(bad)} of {len(self.lines)} values differ from the Python model ({names}): a formula was "
                f"overwritten or broken, or the workbook was saved without recalculating.")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _format_for(name: str) -> str:
    if name.endswith(("Pct", "Rate", "Cap", "Share")):
        return "0.00%"
    if name.endswith(("MonthsCash", "FTE")):
        return "0.00"
    if name.endswith(("Checks_OK", "Complete", "RunwayCash", "RunwayReserve")):
        return "General"
    return "#,##0.00;[Red]-#,##0.00"


def _inputs(book: Book) -> tuple[Any, Any, Partnership]:
    """(source, extracted, partnership) of a workbook; ActionError when it is not ours or its inputs are invalid."""
    from ..readback.extract import extract
    from ..readback.source import BookSource, SourceError
    from ..schema import DataFileError, validate_data

    try:
        src = BookSource(book)
        ex = extract(src)
    except SourceError as exc:
        raise ActionError(f"this is not a toolkit workbook, or a part of it was deleted: {exc}") from None
    except (KeyError, IndexError, TypeError, ValueError) as exc:  # a name pointing at a sheet that is gone, ...
        raise ActionError(f"this workbook cannot be read as a toolkit workbook ({type(exc).__name__}: {str(exc)[:200]})") from None
    try:
        p = validate_data(ex.data, book.name())
    except DataFileError as exc:
        lines = []
        for prob in exc.problems[:10]:
            c = ex.cell_for(prob.path)
            lines.append(f"{c.address if c else '?'}: {prob}")
        more = f"\n... and {len(exc.problems) - 10} more" if len(exc.problems) > 10 else ""
        raise ActionError("the inputs have problems; run Validate to see them all:\n" + "\n".join(lines) + more, 1) from None
    return src, ex, p


def compare_outputs(book: Book) -> RecalcResult:
    """The model run on the workbook's inputs, compared value by value with Excel's current results."""
    from ..content import load_content
    from ..model.projections import fy_labels
    from ..kinds import of_template_id
    from ..verify import same

    book.calculate()
    src, ex, p = _inputs(book)
    kind = of_template_id(ex.kind).slug
    model = of_template_id(ex.kind).model()(p, load_content())
    names = src.names()
    lines: list[RecalcLine] = []
    for name, expected in model.items():
        cells = src.cells(name) if name in names else []
        if isinstance(expected, list):
            labels = fy_labels(p) if len(expected) == p.years else [f"{t + 1}" for t in range(len(expected))]
            for t, (label, want) in enumerate(zip(labels, expected)):
                c = cells[t] if t < len(cells) else None
                got = _lenient(c.value, want) if c else None
                where = (c.sheet, c.address.split("!")[-1]) if c else None
                lines.append(RecalcLine(f"{name}[{label}]", name, got, want, c is not None and same(want, got), where))
        else:
            c = cells[0] if cells else None
            got = _lenient(c.value, expected) if c else None
            where = (c.sheet, c.address.split("!")[-1]) if c else None
            lines.append(RecalcLine(name, name, got, expected, c is not None and same(expected, got), where))
    return RecalcResult(kind, list(model), lines)


def _lenient(value: Any, expected: Any) -> Any:
    """Readers give an empty text result as empty (None): the model's "" is that."""
    return "" if value is None and expected == "" else value


def recalc_sheet(book_name: str, result: RecalcResult) -> Report:
    rows = []
    for line in result.lines:
        diff = line.difference
        rows.append(Row(line.label, [line.excel, line.python, "" if diff is None else diff, line.flag],
                        _format_for(line.output),
                        link=location(*line.where) if line.where and not line.ok else None,
                        fill=None if line.ok else FAIL_FILL))
    return Report(
        sheet=RECALC_SHEET,
        title=f"Python Recalculation: {book_name}",
        status=(result.summary(), PASS_FILL if not result.differing else FAIL_FILL),
        notes=[
            "Excel: the value the workbook holds now. Python: the toolkit's model run on this workbook's inputs.",
            "Values agree within a relative 1e-9 or an absolute 1e-6. A row output has one line per year.",
            "Lines that differ are red; click the output's name to go to its cell.",
            "Written by the PBP Toolkit; these are values, not formulas: run Recalculate with Python again after changes.",
        ],
        settings=[], header=["Excel", "Python", "Difference", "Check"], rows=rows, label_header="Output",
        widths={1: 44, 2: 18, 3: 18, 4: 14, 5: 10},
    )


def recalculate_action(book: Book) -> RecalcResult:
    """Recalculate with Python: compare every output and write the Python Recalculation sheet."""
    result = compare_outputs(book)
    book.write_report(recalc_sheet(book.name(), result))
    return result


def run_recalc_file(path: Path, out: Path | None = None) -> tuple[Path, RecalcResult]:
    """The command line's `pbp-toolkit recalc FILE.xlsx`: a copy with the Python Recalculation sheet
    (default FILE-recalc.xlsx beside the input)."""
    path = Path(path)
    target = _copy_name(path, "recalc", out)
    book = _open_file(path)
    result = recalculate_action(book)
    return _save(book, target), result


def run_validate_file(path: Path, out: Path) -> tuple[Path, CheckResult]:
    """`pbp-toolkit validate --annotate OUT`: a copy with the Toolkit Check sheet and the problem cells filled."""
    target = _copy_name(Path(path), "checked", out)
    book = _open_file(Path(path))
    result = validate_action(book)
    return _save(book, target), result


# ----------------------------------------------------------------------------- upgrade


def upgraded_name(path: Path) -> Path:
    """Where the upgraded copy of a workbook goes: "<name> (upgraded).xlsx" beside it."""
    return path.with_name(f"{path.stem} (upgraded).xlsx")


def upgrade_action(target: Book | str | Path, out: str | Path | None = None) -> Path:
    """Carry the inputs into the current template version; returns the new workbook.

    A path: the same as `pbp-toolkit upgrade` (validate the file, rebuild from its inputs).
    An open workbook: its current inputs (saved or not) are read through the Book interface,
    the new workbook is written next to it ("<name> (upgraded).xlsx", or `out`) and a
    Toolkit Upgrade sheet in the open workbook says where.
    """
    from ..readback.upgrade import UpgradeError, upgrade_file, upgrade_validated

    if isinstance(target, (str, Path)):
        old = Path(target)
        new = Path(out) if out is not None else upgraded_name(old)
        try:
            return upgrade_file(old, new)
        except UpgradeError as exc:
            raise ActionError(str(exc), exc.exit_code) from None
    from ..readback.source import BookSource
    from ..readback.validate import validate_source

    book = target
    saved = book.saved_path()
    if out is None and saved is None:
        raise ActionError("save this workbook first: the upgraded copy is written into the same folder")
    new = Path(out) if out is not None else upgraded_name(saved)  # type: ignore[arg-type]
    if saved is not None and new.resolve() == saved.resolve():
        raise ActionError(f"the upgraded copy would replace the open workbook ({new}); choose another name")
    report = validate_source(BookSource(book), None, book.name())
    try:
        path = upgrade_validated(report, new)
    except UpgradeError as exc:
        raise ActionError(str(exc)) from None
    kind = _kind_name(report.template_id)
    book.write_report(Report(
        sheet=UPGRADE_SHEET, title=f"Toolkit Upgrade: {book.name()}",
        status=(f"Upgraded copy written: {path}", PASS_FILL),
        notes=[f"Your inputs were carried from this {kind} (template version {report.template_version}) into the "
               "current template, with the same table sizes.",
               f"Open {path.name}, check it, and use it from now on. This workbook was not changed, apart from this sheet."],
        settings=[], header=[], rows=[], widths={1: 120}))
    return path
