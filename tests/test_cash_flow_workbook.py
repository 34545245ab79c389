"""The Cash Flow sheet (SPEC section 6) in the Full Cost Workbook: live formulas under the SPEC
names, LibreOffice and Gnumeric against the model, live edits of the timing inputs, and the
readers (extract, upgrade, validate, merge, collect) carrying the new inputs.

The examples and 50 generated files are also held to the model on every FC_CF_ output by
tests/test_full_cost_workbook.py (the model's outputs include them; the strategies generate
timing, payment months and the method)."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from generator.build import BuildOptions, blank_partnership, build_workbooks, example_names, example_path
from generator.content import load_content
from generator.libreoffice import read_recalculated, recalc_and_read
from generator.model.full_cost import compute_full_cost
from generator.readback.collect import collect
from generator.readback.extract import extract
from generator.readback.merge import merge_extracted
from generator.readback.portfolio import benchmarks_frame
from generator.readback.upgrade import upgrade_file
from generator.readback.validate import validate_file
from generator.schema import Partnership, load_partnership, validate_data
from generator.model.cash_flow import month_label
from generator.workbook.cash_flow import CashWords, plain_words
from generator.workbook.full_cost import build_full_cost

from .compare import mismatches
from .edit import cell, set_value, target

C = load_content()
CF_NAMES = ["FC_CF_Out", "FC_CF_In", "FC_CF_Receivable", "FC_CF_Net", "FC_CF_Position", "FC_CF_Lowest",
            "FC_CF_LowestMonth", "FC_CF_TimingNeed", "FC_CF_MonthsEquivalent",
            "FC_CF_Opening", "FC_CF_Cash", "FC_CF_ShortMonths", "FC_CF_FirstShortMonth"]   # SPEC 6.1
ROWS = {"FC_CF_Out", "FC_CF_In", "FC_CF_Net", "FC_CF_Position", "FC_CF_Cash"}


def label(items: tuple, id_: str) -> str:
    return C.label(items, id_)


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Partnership, Path]]:
    out = tmp_path_factory.mktemp("cf")
    items = {}
    for name in example_names():
        p = load_partnership(example_path(name))
        build_full_cost(p, out / f"{name}.xlsx")
        items[name] = (p, out / f"{name}.xlsx")
    return items


def test_cash_flow_outputs_are_live_formulas_with_cached_model_values(examples: dict) -> None:
    for name, (p, path) in examples.items():
        wb = openpyxl.load_workbook(path)
        for cf in CF_NAMES:
            ws, c1, r1, c2, r2 = target(wb, cf)
            assert ws.title == "Cash Flow"
            assert (c2 - c1 + 1, r2 - r1 + 1) == ((12, 1) if cf in ROWS else (1, 1)), cf
            for k in range(c2 - c1 + 1):
                value = cell(wb, cf, k).value
                assert isinstance(value, str) and value.startswith("="), (cf, value)
        cached = read_recalculated(path).names
        model = compute_full_cost(p)
        assert mismatches({k: model[k] for k in CF_NAMES}, cached) == [], name
        assert sum(cached["FC_CF_Out"]) == pytest.approx(model["FC_CashOpex"])


def test_months_are_labelled_from_the_fiscal_year_start(examples: dict) -> None:
    _, path = examples["riverside-housing"]
    assert read_recalculated(path).names["CF_Months"] == [
        "Jul 2026", "Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026", "Dec 2026",
        "Jan 2027", "Feb 2027", "Mar 2027", "Apr 2027", "May 2027", "Jun 2027"]


def test_timing_inputs_cover_every_row_and_are_unlocked(examples: dict) -> None:
    _, path = examples["riverside-housing"]
    wb = openpyxl.load_workbook(path)
    for inputs, table in (("Rev_schedule", "Rev_name"), ("Rev_lag", "Rev_name"), ("Rev_months", "Rev_name"),
                          ("Exp_payment_months", "Exp_name")):
        _, _, r1, _, r2 = target(wb, inputs)
        _, _, t1, _, t2 = target(wb, table)
        assert r2 - r1 == t2 - t1, inputs
        for i in (0, r2 - r1):
            assert cell(wb, inputs, i).protection.locked is False, inputs
    for name in ("Rev_schedule", "In_WCMethod"):
        c = cell(wb, name)
        rules = [dv for dv in c.parent.data_validations.dataValidation if c.coordinate in dv.sqref]
        assert rules and rules[0].type == "list" and rules[0].prompt, name
    # the county contract's timing is written out; sources without timing leave the inputs empty
    county = next(i for i, r in enumerate(load_partnership(example_path("riverside-housing")).revenue) if r.name.startswith("Continuum"))
    assert cell(wb, "Rev_schedule", county).value == label(C.schedules, "even")
    assert cell(wb, "Rev_lag", county).value == 2
    assert cell(wb, "Rev_schedule", 0).value is None and cell(wb, "Rev_lag", 0).value is None


def test_plain_words_line(examples: dict) -> None:
    p, path = examples["riverside-housing"]
    cached = read_recalculated(path).names
    m = compute_full_cost(p)
    text = cached["CF_PlainWords"]
    assert text == plain_words(m, 2, load_content().words("full_cost").sheet("cash_flow"))
    need = round(m["FC_CF_TimingNeed"], -2)
    assert text.startswith(f"Timing: money arriving later than it is spent needs about ${need:,.0f} of working capital (")
    assert text.endswith(f"{m['FC_CF_MonthsEquivalent']:.1f} months), against the 2 months assumed.")


# ----------------------------------------------------------------------------- LibreOffice: live edits


def _year1_data(p: Partnership) -> dict:
    data = p.to_data()
    data["staff"] = [s for s in data["staff"] if s["start_year"] == 1]
    data["expenses"] = [e for e in data["expenses"] if e["start_year"] == 1]
    return data


@pytest.fixture(scope="module")
def edited(examples: dict, soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Riverside edited as a user would on the Cash Flow and Full Cost sheets, recalculated by
    LibreOffice in one run, with the data file each edit corresponds to."""
    p, src = examples["riverside-housing"]
    out = tmp_path_factory.mktemp("cf-edits")
    cases: dict[str, tuple[Path, dict]] = {}
    county = next(i for i, r in enumerate(p.revenue) if r.name.startswith("Continuum"))

    # 1. a lag, a schedule, custom months, payment months, the method and the fiscal year start
    wb = openpyxl.load_workbook(src)
    data = _year1_data(p)
    set_value(wb, "Rev_lag", 4, county)
    data["revenue"][county]["timing"]["lag_months"] = 4
    set_value(wb, "Rev_schedule", label(C.schedules, "upfront"), 0)  # lag left empty: 0
    data["revenue"][0]["timing"] = {"schedule": "upfront"}
    set_value(wb, "Rev_schedule", label(C.schedules, "custom"), 4)
    set_value(wb, "Rev_months", "2, 11", 4)
    data["revenue"][4]["timing"] = {"schedule": "custom", "months": [2, 11]}
    set_value(wb, "Exp_payment_months", "6", 1)
    data["expenses"][1]["payment_months"] = [6]
    set_value(wb, "Exp_payment_months", None, 5)  # the summit back to evenly
    data["expenses"][5]["payment_months"] = None
    set_value(wb, "In_WCMethod", label(C.methods, "cash_flow"))
    data["full_cost"]["working_capital"]["method"] = "cash_flow"
    set_value(wb, "In_FYStart", dt.datetime(2027, 1, 1))
    data["organization"]["fiscal_year_start"] = "2027-01-01"
    wb.save(out / "timing.xlsx")
    cases["timing"] = (out / "timing.xlsx", data)

    # 2. the county contract back to its stream's default, a schedule with only a lag, and a new
    #    public source typed into a spare row (no timing: public's default, even with lag 2)
    wb = openpyxl.load_workbook(src)
    data = _year1_data(p)
    set_value(wb, "Rev_schedule", None, county)
    set_value(wb, "Rev_lag", None, county)
    data["revenue"][county].pop("timing")
    set_value(wb, "Rev_lag", 3, 0)  # schedule empty: the stream's schedule (semiannual), lag 3
    data["revenue"][0]["timing"] = {"schedule": "semiannual", "lag_months": 3}
    n = len(p.revenue)
    for key, value in (("name", "State reimbursement"), ("stream", label(C.streams, "public")),
                       ("confidence", label(C.levels, "committed")), ("restricted", "No"), ("amount", 60000)):
        set_value(wb, f"Rev_{key}", value, n)
    data["revenue"].append({"name": "State reimbursement", "stream": "public", "confidence": "committed", "amounts": [60000]})
    wb.save(out / "defaults.xlsx")
    cases["defaults"] = (out / "defaults.xlsx", data)

    # 3. SPEC 6.1: enough working capital held today that cash covers every month
    wb = openpyxl.load_workbook(src)
    data = _year1_data(p)
    set_value(wb, "In_WCCurrent", 200000)
    data["full_cost"]["working_capital"]["current"] = 200000
    wb.save(out / "held.xlsx")
    cases["held"] = (out / "held.xlsx", data)

    files = [path for path, _ in cases.values()] + [src]
    results = recalc_and_read(files, out / "recalc")
    return {"cases": cases, "results": dict(zip(list(cases) + ["original"], results)), "p": p}


@pytest.mark.libreoffice
def test_libreoffice_follows_timing_edits(edited: dict) -> None:
    for case, (_, data) in edited["cases"].items():
        expected = compute_full_cost(validate_data(data, case))
        r = edited["results"][case]
        assert r.errors == [], case
        assert mismatches(expected, r.names) == [], case
        assert r.names["FC_Checks_OK"] is True, case
    timing = edited["results"]["timing"].names
    original = compute_full_cost(edited["p"])
    assert timing["FC_WorkingCapital"] != pytest.approx(original["FC_WorkingCapital"])  # the method changed area 2
    assert timing["CF_Months"][0] == "Jan 2027" and timing["CF_Months"][-1] == "Dec 2027"


@pytest.mark.libreoffice
def test_libreoffice_plain_words_match_the_cached_text(edited: dict, examples: dict) -> None:
    p, path = examples["riverside-housing"]
    r = edited["results"]["original"]
    assert r.names["CF_PlainWords"] == read_recalculated(path).names["CF_PlainWords"]
    assert mismatches({k: v for k, v in compute_full_cost(p).items() if k in CF_NAMES}, r.names) == []


def expected_words(p: Partnership) -> dict[str, str]:
    """The year in words (SPEC 6.1) as the model's numbers give them, by defined name."""
    m = compute_full_cost(p)
    sw = C.words("full_cost").sheet("cash_flow")
    words = CashWords(sw, p.organization.fiscal_year_start)
    wc = p.full_cost.working_capital
    return {"CF_YearWords": words.year(m), "CF_PlainWords": plain_words(m, wc.months, sw, wc.method), "CF_CashWords": words.cash(m)}


@pytest.mark.libreoffice
def test_libreoffice_says_the_year_in_words_after_every_edit(edited: dict) -> None:
    """The words follow the inputs: LibreOffice's text after each edit is the text the model's numbers give."""
    cases = {**{k: validate_data(d, k) for k, (_, d) in edited["cases"].items()}, "original": edited["p"]}
    for case, p in cases.items():
        got = edited["results"][case].names
        for name, text in expected_words(p).items():
            assert got[name] == text, (case, name)
    # Riverside as shipped: short in Dec 2026 with the 40,000 held, the structural result named, checks still pass
    riverside = edited["results"]["original"].names
    assert "Dec 2026" in riverside["CF_CashWords"] and "$40,000" in riverside["CF_CashWords"]
    assert "$67,462 more cash than its expected revenue" in riverside["CF_YearWords"]
    assert riverside["FC_CF_FirstShortMonth"] == 6 and riverside["FC_Checks_OK"] is True
    held = edited["results"]["held"].names
    assert held["FC_CF_ShortMonths"] == 0 and "every month" in held["CF_CashWords"]
    assert "area 2 is sized by it" in edited["results"]["timing"].names["CF_PlainWords"]


# ----------------------------------------------------------------------------- Gnumeric


@pytest.mark.skipif(shutil.which("ssconvert") is None, reason="Gnumeric's ssconvert is not installed")
def test_gnumeric_equals_the_model_on_every_cash_flow_output(examples: dict, tmp_path: Path) -> None:
    for name, (p, path) in examples.items():
        out = tmp_path / f"{name}.xlsx"
        subprocess.run(["ssconvert", "--recalc", str(path), str(out)], check=True, capture_output=True, timeout=300)
        got = read_recalculated(out).names
        model = compute_full_cost(p)
        assert mismatches({k: model[k] for k in CF_NAMES}, got) == [], name
        assert got["CF_Months"][0] == read_recalculated(path).names["CF_Months"][0]
        for key, text in expected_words(p).items():  # the year in words, as Gnumeric recalculates it
            assert got[key] == text == read_recalculated(path).names[key], (name, key)


@pytest.mark.gnumeric
@pytest.mark.filterwarnings("ignore:Workbook contains no default style")  # Gnumeric writes none; harmless
def test_gnumeric_reads_no_cash_spending_as_zero_months(ssconvert: str, tmp_path: Path) -> None:
    """Issue 19: with only in-kind staff and depreciation in year 1, cash operating expenses are 0 by hand,
    so the timing need is 0 months and the words say no cash spending is entered (Gnumeric read 0 months
    where the cached value, from a difference's rounding residue, was -11.99)."""
    from generator.engines import gnumeric_recalculate

    from .test_model_cash_flow import in_kind_only_year1

    p = validate_data(in_kind_only_year1(), "issue-19")
    build_full_cost(p, tmp_path / "in-kind-only.xlsx")
    (out,) = gnumeric_recalculate([tmp_path / "in-kind-only.xlsx"], tmp_path / "g")
    got, cached = read_recalculated(out).names, read_recalculated(tmp_path / "in-kind-only.xlsx").names
    hand = {"FC_TotalExpenses": 1475.2375, "FC_InKind": 0.2375, "FC_CashOpex": 0, "FC_CF_TimingNeed": 0,
            "FC_CF_MonthsEquivalent": 0, "FC_WorkingCapital": 0, "FC_Reserves": 0, "FC_CF_Out": [0] * 12}
    assert mismatches(hand, cached) == [] and mismatches(hand, got) == []
    assert got["FC_CashOpex"] == 0 and got["FC_CF_MonthsEquivalent"] == 0  # exactly: each tests "=0"
    none = C.words("full_cost").sheet("cash_flow").word("plain_none")
    assert got["CF_PlainWords"] == cached["CF_PlainWords"] == none
    model = compute_full_cost(p)
    assert mismatches({k: model[k] for k in CF_NAMES}, got) == []


@pytest.mark.gnumeric
@pytest.mark.filterwarnings("ignore:Workbook contains no default style")  # Gnumeric writes none; harmless
def test_engines_read_a_rate_of_zero_when_every_cost_is_operations(ssconvert: str, soffice: str, tmp_path: Path) -> None:
    """With every cost in operations the true indirect rate has no direct base: 0 by SPEC 3, in the cached
    values and after Gnumeric's and LibreOffice's recalculation (the old divisor, total expenses less
    operations, was a rounding residue and the rate about 10^16)."""
    from generator.engines import gnumeric_recalculate
    from generator.libreoffice import recalculate

    from .test_model_full_cost import ALL_OPERATIONS

    p = load_partnership(ALL_OPERATIONS)
    build_full_cost(p, tmp_path / "all-ops.xlsx")
    (gnumeric,) = gnumeric_recalculate([tmp_path / "all-ops.xlsx"], tmp_path / "g")
    (lo,) = recalculate([tmp_path / "all-ops.xlsx"], tmp_path / "lo")
    model = compute_full_cost(p)
    for path in (tmp_path / "all-ops.xlsx", gnumeric, lo):
        got = read_recalculated(path).names
        assert got["FC_IndirectRate"] == 0, path.name
        assert mismatches({k: model[k] for k in ("FC_TotalExpenses", "FC_Function_operations", "FC_IndirectRate")}, got) == []


# ----------------------------------------------------------------------------- readers


def test_extract_and_upgrade_carry_the_timing(examples: dict, tmp_path: Path) -> None:
    for name, (p, path) in examples.items():
        for source in (path, upgrade_file(path, tmp_path / f"{name}-upgraded.xlsx")):
            back = validate_data(extract(source).data, str(source))
            assert [r.timing for r in back.revenue] == [r.timing for r in p.revenue], name
            assert [e.payment_months for e in back.expenses] == [e.payment_months for e in p.expenses if e.start_year == 1], name
            assert back.full_cost.working_capital.method == p.full_cost.working_capital.method, name


def test_merge_gives_the_full_cost_timing_to_the_projections_lists(tmp_path: Path) -> None:
    p = load_partnership(example_path("riverside-housing"))
    made = build_workbooks(p, tmp_path, BuildOptions())
    data, _ = merge_extracted([extract(f) for f in made])
    back = validate_data(data, "merged")
    assert [r.timing for r in back.revenue] == [r.timing for r in p.revenue]
    assert [e.payment_months for e in back.expenses] == [e.payment_months for e in p.expenses]


def test_validate_reports_bad_timing_at_its_cell(examples: dict, tmp_path: Path) -> None:
    _, src = examples["riverside-housing"]
    wb = openpyxl.load_workbook(src)
    set_value(wb, "Rev_lag", 12, 0)
    set_value(wb, "Rev_months", "1, 7", 1)          # months without the custom schedule
    set_value(wb, "Exp_payment_months", "3, 3", 2)  # a month twice
    bad = cell(wb, "Rev_lag", 0).coordinate, cell(wb, "Exp_payment_months", 2).coordinate
    wb.save(tmp_path / "bad.xlsx")
    r = validate_file(tmp_path / "bad.xlsx")
    found = {(f.sheet, f.cell): f.message for f in r.findings if f.code == "invalid_input"}
    assert ("Cash Flow", bad[0]) in found and "from 0 to 11" in found[("Cash Flow", bad[0])]
    assert ("Cash Flow", bad[1]) in found and "more than once" in found[("Cash Flow", bad[1])]
    assert any("only for the custom schedule" in m for m in found.values())
    assert r.inputs_valid is False


def test_collect_shows_the_timing_need(examples: dict, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, (_, path) in examples.items():
        shutil.copy(path, inbox / path.name)
    port = collect(inbox, workers=1)
    rows = {row["partnership"]: row for row in port.rows}
    for p, _ in examples.values():
        m = compute_full_cost(p)
        row = rows[p.organization.name]
        assert row["timing_need"] == pytest.approx(m["FC_CF_TimingNeed"])
        assert row["timing_months"] == pytest.approx(m["FC_CF_MonthsEquivalent"])
        assert row["short_months"] == m["FC_CF_ShortMonths"]
        first = int(m["FC_CF_FirstShortMonth"])
        assert row["first_short_month"] == ("" if not first else month_label(p.organization.fiscal_year_start, first))
    assert rows["Riverside Housing Partnership"]["first_short_month"] == "Dec 2026"
    bench = benchmarks_frame(port)
    allp = bench[(bench.group == "All partnerships") & (bench.measure == "Working capital timing needs (cash flow)")]
    needs = sorted(compute_full_cost(p)["FC_CF_TimingNeed"] for p, _ in examples.values())
    assert len(allp) == 1 and allp.iloc[0]["median"] == pytest.approx(needs[1])


# ----------------------------------------------------------------------------- print, the blank workbook, alt text


@pytest.fixture(scope="module")
def blank_and_riverside(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("blank")
    made = build_workbooks(load_partnership(example_path("riverside-housing")), out / "riverside", BuildOptions())
    blank = build_workbooks(blank_partnership(), out / "blank", BuildOptions(), blank=True)
    return {f"{kind}-{'projections' if 'projections' in p.stem else 'cost'}": p
            for kind, files in (("riverside", made), ("blank", blank)) for p in files}


def _alt_texts(path: Path) -> list[str]:
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        return sorted(d for n in z.namelist() if n.startswith("xl/drawings/drawing")
                      for d in re.findall(r'descr="([^"]*)"', z.read(n).decode()))


def test_cash_flow_chart_inside_its_print_area_with_print_titles(blank_and_riverside: dict[str, Path]) -> None:
    """The chart ends in the last printed column (After year end), and every page repeats the sheet's title
    (not the month labels: the key figures and the timing tables below the monthly table have heads of their own)."""
    for key in ("riverside-cost", "blank-cost"):
        wb = openpyxl.load_workbook(blank_and_riverside[key])
        ws = wb["Cash Flow"]
        last_col = openpyxl.utils.column_index_from_string(ws.print_area.split(":")[-1].lstrip("$").split("$")[0]) - 1
        (chart,) = ws._charts
        assert chart.anchor._from.col >= 6 and chart.anchor.to.col <= last_col, key
        assert ws["A1"].value == C.words("full_cost").sheet("cash_flow").title, key
        assert ws.print_title_rows == "$1:$1", key


def test_blank_workbook_starts_clean(blank_and_riverside: dict[str, Path]) -> None:
    """Every default a check needs is set (the method check reads OK); the outputs' words say not applicable
    and every chart's title says that it waits for data."""
    cached = read_recalculated(blank_and_riverside["blank-cost"]).names
    assert cached["In_WCMethod"] == label(C.methods, "months")
    wb = openpyxl.load_workbook(blank_and_riverside["blank-cost"], data_only=True)
    checks = {r[0].value: r[1].value for r in wb["Checks"].iter_rows() if r[0].value and r[1].value in ("OK", "Check this")}
    failing = [text for text, v in checks.items() if v != "OK"]
    # what a blank cannot know: the partnership's name, structure and fiscal year start
    assert len(failing) == 3 and not any("method" in t for t in failing), failing
    # the year and the cash held today each say what they wait for, in two different sentences
    sw = C.words("full_cost").sheet("cash_flow")
    assert (cached["CF_YearWords"], cached["CF_CashWords"]) == (sw.word("year_waiting"), sw.word("cash_waiting"))
    assert cached["CF_YearWords"] != cached["CF_CashWords"]
    assert "waiting for data" in cached["CF_ChartTitle"]
    summary = openpyxl.load_workbook(blank_and_riverside["blank-cost"], data_only=True)["Summary"]
    said = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str) and "waiting for data" in c.value]
    # the four Summary charts' titles, and the year and the cash held today in words
    assert len(said) == 6 and set(said) >= {sw.word("year_waiting"), sw.word("cash_waiting")}, said


def test_alt_text_does_not_state_build_time_figures(blank_and_riverside: dict[str, Path]) -> None:
    """Alt text says what each chart shows: the same for Riverside and for the blank workbook, so no figure
    of build time that an edit would make false."""
    for kind in ("cost", "projections"):
        filled, blank = _alt_texts(blank_and_riverside[f"riverside-{kind}"]), _alt_texts(blank_and_riverside[f"blank-{kind}"])
        assert filled and all(filled), kind
        assert filled == blank, kind


def test_key_figures_name_months_in_words(examples: dict, blank_and_riverside: dict[str, Path]) -> None:
    """SPEC 6.1's month numbers stay numbers in their named cells, in hidden rows; the printed row above each
    names the month as the month labels do ("None" when no month runs short, "Every month alike" when the
    year never moves), never "0 = none"."""
    none, alike = (C.words("full_cost").sheet("cash_flow").word(k) for k in ("no_month", "every_month"))
    books = [(p, path) for p, path in examples.values()] + [(None, blank_and_riverside["blank-cost"])]
    seen_none = seen_month = seen_alike = False
    for p, path in books:
        model = compute_full_cost(p if p is not None else blank_partnership())
        wb = openpyxl.load_workbook(path, data_only=True)
        ws = wb["Cash Flow"]
        months = [cell(wb, "CF_Months", k).value for k in range(12)]
        for name in ("FC_CF_FirstShortMonth", "FC_CF_LowestMonth"):
            at = cell(wb, name)
            number = model[name]
            assert at.value == number and isinstance(at.value, (int, float)), (path.name, name)
            assert ws.row_dimensions[at.row].hidden, (path.name, name)
            shown = ws.cell(row=at.row - 1, column=at.column).value
            assert not ws.row_dimensions[at.row - 1].hidden
            # a year whose running position never moves has no lowest month to name: it reads "Every month alike"
            flat = name == "FC_CF_LowestMonth" and max(model["FC_CF_Position"]) - min(model["FC_CF_Position"]) <= 0.005
            expected = alike if flat else months[int(number) - 1] if number else none
            assert shown == expected, (path.name, name, shown)
            seen_none |= shown == none
            seen_alike |= shown == alike
            seen_month |= bool(number) and name == "FC_CF_FirstShortMonth"
        labels = " ".join(str(c.value) for row in ws.iter_rows() for c in row
                          if isinstance(c.value, str) and not ws.row_dimensions[c.row].hidden)
        assert "0 = none" not in labels and "1 = first month" not in labels, path.name
    # every case met: Riverside runs short in Dec 2026, the blank never does and its year never moves
    assert seen_none and seen_month and seen_alike
