"""Python entry points of the add-in: one function per ribbon button, plus the same actions for files.

The ribbon (macros/ribbon/customUI.xml) calls VBA Subs in macros/vba/, which run, through
xlwings' RunPython:

    import macros.actions as pbp; pbp.risk()

Each entry point wraps the active workbook in an `XlwingsBook` and calls the action,
which only uses the `Book` interface (macros/book.py); the command line calls the same
actions over a `FileBook`.

Status:
- risk: done over a Partnership (`risk_report`); reading the Partnership back from a
  workbook needs generator.readback, see `partnership_from_book`.
- validate, recalculate, upgrade: need generator.readback; they raise
  NotImplementedError until it exists (marked READBACK below).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.model.risk import DEFAULT_RUNS, RiskError, RiskResult, simulate
from generator.schema import Partnership

from .book import MONEY, PCT, Book, FanChart, FileBook, Report, Row

RISK_SHEET = "Risk"
SETTING_RUNS = "Runs"
SETTING_SEED = "Seed (blank = a new random seed)"
SETTING_SCENARIO = "Scenario id (blank = the first, normally base)"


class ActionError(RuntimeError):
    """An action cannot run on this workbook; the message is meant for the user."""


# ----------------------------------------------------------------------------- READBACK hooks


def partnership_from_book(book: Book) -> Partnership:
    """The partnership whose inputs the workbook holds (read by defined name, then validated)."""
    from generator.readback.extract import extract
    from generator.readback.merge import merge_extracted
    from generator.readback.source import BookSource, SourceError
    from generator.schema import DataFileError, validate_data

    try:
        data, _ = merge_extracted([extract(BookSource(book))])
        return validate_data(data, "this workbook")
    except SourceError as exc:
        raise ActionError(f"this is not a toolkit workbook, or a part of it was deleted: {exc}") from None
    except DataFileError as exc:
        raise ActionError("the inputs have problems; run Validate first:\n" + "\n".join(str(p) for p in exc.problems[:10])) from None


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
    book = FileBook(path)
    p = partnership if partnership is not None else partnership_from_book(book)
    result = risk_report(book, p, runs, seed, scenario_id)
    target = Path(out) if out is not None else path.with_name(f"{path.stem}-risk{path.suffix}")
    return book.save(target), result


# ----------------------------------------------------------------------------- entry points for Excel


def _caller() -> Book:
    from .book import XlwingsBook

    return XlwingsBook.caller()


def risk() -> None:
    """Ribbon: Risk analysis. Settings come from the Risk sheet of an earlier run, if any."""
    book = _caller()
    settings = risk_settings(book)
    risk_report(book, partnership_from_book(book), **settings)


def validate() -> None:
    """Ribbon: Validate. READBACK: check the inputs as generator.schema does and colour the problem cells."""
    raise NotImplementedError("Validate needs generator.readback, which is not written yet")


def recalculate() -> None:
    """Ribbon: Recalculate with Python. READBACK: run the Python model on the inputs and compare with Excel's results."""
    raise NotImplementedError("Recalculate with Python needs generator.readback, which is not written yet")


def upgrade() -> None:
    """Ribbon: Upgrade. READBACK: rebuild this workbook with the current toolkit, carrying the inputs over."""
    raise NotImplementedError("Upgrade needs generator.readback, which is not written yet")


ACTIONS = {"validate": validate, "recalculate": recalculate, "risk": risk, "upgrade": upgrade}
