"""SPEC section 4 (and the extras in generator/model/projections.py), checked against hand arithmetic.

Every expected row below is worked out by hand in the comment beside it from the SPEC
definitions, never copied from the code under test.
"""
from __future__ import annotations

from typing import Any

import pytest

from generator.model.projections import compute_projections, fy_labels
from generator.schema import validate_data

STREAMS = ["philanthropy", "public", "partner_contributions", "earned_revenue", "individual_corporate"]
ROWS = ["Revenue", "Personnel", "FTE", "NonPersonnel", "OneTime", "Expenses", "Surplus", "EndCash", "MonthsCash",
        "ReserveGap", "ReserveTarget", "TopSourceShare", "TopStreamShare", "RestrictedShare"]


def make(years: int = 3, fiscal_year_start: str = "2026-07-01", starting_cash: float = 0, one_time: list | None = None,
         scenarios: list | None = None, **sections: Any) -> Any:
    data: dict[str, Any] = {
        "schema": "pbp-toolkit/partnership/1",
        "organization": {"name": "Test", "backbone_structure": "standalone_nonprofit", "fiscal_year_start": fiscal_year_start},
        "projections": {"years": years, "starting_cash": starting_cash, "one_time": one_time or [], "scenarios": scenarios},
    }
    data.update(sections)
    return validate_data(data, "test.yaml")


def sp(**kw: Any) -> dict[str, Any]:
    return compute_projections(make(**kw))


def staff(title: str, fte: float, salary: float, **extra: Any) -> dict[str, Any]:
    return {"title": title, "fte": fte, "salary": salary, "functions": "operations", **extra}


def expense(name: str, amount: float, **extra: Any) -> dict[str, Any]:
    return {"name": name, "category": "other", "amount": amount, **extra}


def rev(name: str, stream: str, confidence: str, amounts: list[float], **extra: Any) -> dict[str, Any]:
    return {"name": name, "stream": stream, "confidence": confidence, "amounts": amounts, **extra}


def scen(sid: str, **extra: Any) -> dict[str, Any]:
    return {"id": sid, "name": sid.title(), **extra}


def approx_row(row: list, want: list) -> None:
    assert len(row) == len(want)
    for got, exp in zip(row, want):
        if exp == "":
            assert got == ""
        else:
            assert got == pytest.approx(exp, rel=1e-12, abs=1e-9)


NO_GROWTH = {"benefits_rate": 0.25, "salary_growth": 0.0, "expense_inflation": 0.0}


# ----------------------------------------------------------------------------- personnel


def test_salary_growth_compounds() -> None:
    # g = 0.1, b = 0.25: 100000 * 1.1^(t-1) * 1.25 -> 125000, 137500, 151250
    out = sp(assumptions={"salary_growth": 0.1}, staff=[staff("ED", 1.0, 100000)])
    for s in ("base", "conservative", "growth"):
        approx_row(out[f"SP_{s}_Personnel"], [125000, 137500, 151250])
        approx_row(out[f"SP_{s}_FTE"], [1.0, 1.0, 1.0])


def test_salary_growth_default_three_percent() -> None:
    # default g = 0.03, b = 0.25: 0.5 * 80000 * 1.25 = 50000; 50000 * 1.03 = 51500; 51500 * 1.03 = 53045
    out = sp(staff=[staff("A", 0.5, 80000)])
    approx_row(out["SP_base_Personnel"], [50000, 51500, 53045])


def test_scenario_salary_growth_override_zero_counts_as_given() -> None:
    # assumption g = 0.1; scenario "flat" g = 0 (given), "fast" g = 0.2, "asis" null -> 0.1
    out = sp(assumptions={"salary_growth": 0.1}, staff=[staff("ED", 1.0, 100000)],
             scenarios=[scen("flat", salary_growth=0), scen("fast", salary_growth=0.2), scen("asis", salary_growth=None)])
    approx_row(out["SP_flat_Personnel"], [125000, 125000, 125000])
    approx_row(out["SP_fast_Personnel"], [125000, 150000, 180000])     # 125000 * 1.2, * 1.44
    approx_row(out["SP_asis_Personnel"], [125000, 137500, 151250])


def test_negative_scenario_salary_growth() -> None:
    # g = -0.1: 100000 * 1.25 * 0.9^(t-1) -> 125000, 112500, 101250
    out = sp(staff=[staff("ED", 1.0, 100000)], scenarios=[scen("cut", salary_growth=-0.1)])
    approx_row(out["SP_cut_Personnel"], [125000, 112500, 101250])


def test_staff_start_and_end_years() -> None:
    # years 4, g = 0: cost 1.0 * 40000 * 1.25 = 50000 and 0.5 * 40000 * 1.25 = 25000
    # A active 2..3, B active 3..end (4), C active 1..1
    out = sp(years=4, assumptions=NO_GROWTH,
             staff=[staff("A", 1.0, 40000, start_year=2, end_year=3), staff("B", 0.5, 40000, start_year=3),
                    staff("C", 0.25, 40000, end_year=1)])
    # C: 0.25 * 40000 * 1.25 = 12500 in year 1
    approx_row(out["SP_base_Personnel"], [12500, 50000, 75000, 25000])
    approx_row(out["SP_base_FTE"], [0.25, 1.0, 1.5, 0.5])


def test_later_start_still_grows_from_year_one() -> None:
    # start_year 3, g = 0.1: the (1+g)^(t-1) counts from year 1 -> year 3 = 100000 * 1.21 * 1.25 = 151250
    out = sp(assumptions={"salary_growth": 0.1}, staff=[staff("Later", 1.0, 100000, start_year=3)])
    approx_row(out["SP_base_Personnel"], [0, 0, 151250])


def test_in_kind_staff_left_out_of_personnel_and_fte() -> None:
    out = sp(assumptions=NO_GROWTH, staff=[staff("Cash", 1.0, 40000), staff("Lent", 1.0, 999000, in_kind=True)])
    approx_row(out["SP_base_Personnel"], [50000, 50000, 50000])
    approx_row(out["SP_base_FTE"], [1.0, 1.0, 1.0])


def test_staff_scenario_membership() -> None:
    # "everyone" (null) in both; "only_b" listed in b; "none" listed in no scenario ([] lists nothing)
    # cost each: 1.0 * 40000 * 1.25 = 50000
    out = sp(assumptions=NO_GROWTH,
             staff=[staff("Everyone", 1.0, 40000), staff("Only b", 1.0, 40000, scenarios=["b"]),
                    staff("Nowhere", 1.0, 40000, scenarios=[])],
             scenarios=[scen("a"), scen("b")])
    approx_row(out["SP_a_Personnel"], [50000] * 3)
    approx_row(out["SP_b_Personnel"], [100000] * 3)
    approx_row(out["SP_a_FTE"], [1.0] * 3)
    approx_row(out["SP_b_FTE"], [2.0] * 3)


# ----------------------------------------------------------------------------- non-personnel and one-time


def test_expense_inflation_and_multiplier() -> None:
    # i = 0.1: 10000 * 1.1^(t-1) * e; e = 1.5 -> 15000, 16500, 18150; e default 1 -> 10000, 11000, 12100
    out = sp(assumptions={"expense_inflation": 0.1}, expenses=[expense("Rent", 10000)],
             scenarios=[scen("plain"), scen("costly", expense_multiplier=1.5), scen("free", expense_multiplier=0)])
    approx_row(out["SP_plain_NonPersonnel"], [10000, 11000, 12100])
    approx_row(out["SP_costly_NonPersonnel"], [15000, 16500, 18150])
    approx_row(out["SP_free_NonPersonnel"], [0, 0, 0])


def test_expense_multiplier_does_not_touch_personnel_or_one_time() -> None:
    out = sp(assumptions=NO_GROWTH, staff=[staff("A", 1.0, 40000)], one_time=[{"name": "x", "year": 1, "amount": 1000}],
             scenarios=[scen("double", expense_multiplier=2)])
    approx_row(out["SP_double_Personnel"], [50000] * 3)
    approx_row(out["SP_double_OneTime"], [1000, 0, 0])


def test_expense_activity_and_in_kind() -> None:
    # years 4, i = 0: A 1000 years 1..2; B 500 from year 3; in-kind 7777 never
    out = sp(years=4, assumptions=NO_GROWTH,
             expenses=[expense("A", 1000, end_year=2), expense("B", 500, start_year=3), expense("Free", 7777, in_kind=True)])
    approx_row(out["SP_base_NonPersonnel"], [1000, 1000, 500, 500])


def test_one_time_items_year_scenario_and_negative_income() -> None:
    # one-time: 40000 in year 2 all scenarios; 5000 in year 2 only in a; -3000 (income) in year 3 all
    out = sp(one_time=[{"name": "Transition", "year": 2, "amount": 40000, "scenarios": None},
                       {"name": "Search", "year": 2, "amount": 5000, "scenarios": ["a"]},
                       {"name": "Asset sale", "year": 3, "amount": -3000}],
             scenarios=[scen("a"), scen("b")], starting_cash=100000)
    approx_row(out["SP_a_OneTime"], [0, 45000, -3000])
    approx_row(out["SP_b_OneTime"], [0, 40000, -3000])
    approx_row(out["SP_a_Expenses"], [0, 45000, -3000])
    # no revenue: Surplus = -Expenses; EndCash = 100000 - 0, - 45000 = 55000, + 3000 = 58000
    approx_row(out["SP_a_Surplus"], [0, -45000, 3000])
    approx_row(out["SP_a_EndCash"], [100000, 55000, 58000])
    approx_row(out["SP_b_EndCash"], [100000, 60000, 63000])


# ----------------------------------------------------------------------------- revenue


FOUR_LEVELS = [rev("c", "philanthropy", "committed", [1000]), rev("l", "public", "likely", [1000]),
               rev("p", "partner_contributions", "possible", [1000]), rev("q", "earned_revenue", "prospect", [1000])]


def test_default_scenarios_realizations() -> None:
    out = sp(revenue=FOUR_LEVELS)
    assert {k.split("_")[1] for k in out if k.startswith("SP_") and k not in ("SP_Checks_OK", "SP_Complete")} == {"base", "conservative", "growth"}
    # base = confidence_probability: 1000 + 750 + 400 + 100 = 2250
    approx_row(out["SP_base_Revenue"], [2250, 0, 0])
    # conservative (1, 0.5, 0, 0): 1000 + 500 = 1500
    approx_row(out["SP_conservative_Revenue"], [1500, 0, 0])
    # growth (1, 1, 0.75, 0.25): 1000 + 1000 + 750 + 250 = 3000
    approx_row(out["SP_growth_Revenue"], [3000, 0, 0])
    approx_row(out["SP_growth_Revenue_partner_contributions"], [750, 0, 0])
    approx_row(out["SP_conservative_Revenue_public"], [500, 0, 0])


def test_default_base_follows_overridden_probabilities() -> None:
    # probability likely 0.6, prospect 0.5: base = 1000 + 600 + 400 + 500 = 2500
    # conservative/growth keep their own realization: 1500 and 3000
    out = sp(revenue=FOUR_LEVELS, assumptions={"confidence_probability": {"likely": 0.6, "prospect": 0.5}})
    approx_row(out["SP_base_Revenue"], [2500, 0, 0])
    approx_row(out["SP_conservative_Revenue"], [1500, 0, 0])
    approx_row(out["SP_growth_Revenue"], [3000, 0, 0])


def test_realization_level_left_out_uses_confidence_probability() -> None:
    # probability possible 0.5 (others default); scenario realization {likely: 0.2} only:
    # 1000 * 1.0 + 1000 * 0.2 + 1000 * 0.5 + 1000 * 0.1 = 1800
    # scenario without realization = probabilities: 1000 + 750 + 500 + 100 = 2350
    out = sp(revenue=FOUR_LEVELS, assumptions={"confidence_probability": {"possible": 0.5}},
             scenarios=[scen("partial", realization={"likely": 0.2}), scen("plain")])
    approx_row(out["SP_partial_Revenue"], [1800, 0, 0])
    approx_row(out["SP_partial_Revenue_public"], [200, 0, 0])
    approx_row(out["SP_plain_Revenue"], [2350, 0, 0])


def test_stream_multipliers() -> None:
    # committed sources: philanthropy 10000, public 20000, public 4000 (y1)
    # public x 0.5 -> 10000 + 2000 = 12000; philanthropy not named -> x 1.0 = 10000; total 22000
    out = sp(revenue=[rev("f", "philanthropy", "committed", [10000, 10000]), rev("c", "public", "committed", [20000, 20000]),
                      rev("s", "public", "committed", [4000])],
             scenarios=[scen("cut", stream_multipliers={"public": 0.5}), scen("boost", stream_multipliers={"philanthropy": 2})])
    approx_row(out["SP_cut_Revenue_public"], [12000, 10000, 0])
    approx_row(out["SP_cut_Revenue_philanthropy"], [10000, 10000, 0])
    approx_row(out["SP_cut_Revenue"], [22000, 20000, 0])
    approx_row(out["SP_boost_Revenue"], [44000, 40000, 0])      # 20000 + 24000, 20000 + 20000


def test_multiplier_and_realization_multiply() -> None:
    # likely 10000 * r 0.5 * m 0.8 = 4000
    out = sp(revenue=[rev("l", "public", "likely", [10000, 10000, 10000])],
             scenarios=[scen("s", realization={"likely": 0.5}, stream_multipliers={"public": 0.8})])
    approx_row(out["SP_s_Revenue_public"], [4000, 4000, 4000])


def test_amounts_past_horizon_ignored_and_missing_years_zero() -> None:
    # years 3: [1000..5000] -> 1000, 2000, 3000; [700] -> 700, 0, 0; [] -> 0
    out = sp(revenue=[rev("long", "philanthropy", "committed", [1000, 2000, 3000, 4000, 5000]),
                      rev("short", "public", "committed", [700]), rev("none", "earned_revenue", "committed", [])])
    approx_row(out["SP_base_Revenue_philanthropy"], [1000, 2000, 3000])
    approx_row(out["SP_base_Revenue_public"], [700, 0, 0])
    approx_row(out["SP_base_Revenue_earned_revenue"], [0, 0, 0])
    approx_row(out["SP_base_Revenue"], [1700, 2000, 3000])


def test_every_stream_has_a_row_in_every_scenario() -> None:
    out = sp(scenarios=[scen("one")])
    for k in STREAMS:
        approx_row(out[f"SP_one_Revenue_{k}"], [0, 0, 0])


# ----------------------------------------------------------------------------- cash, months, reserves, runway


def worked() -> Any:
    # years 3, g = i = 0, b = 0.25, starting cash 20000, reserves 4 months
    # Personnel 1.0 * 80000 * 1.25 = 100000 each year; NonPersonnel 20000; one-time 24000 in year 2
    # Expenses = 120000, 144000, 120000
    # Revenue (committed) = 132000, 108000, 96000
    # Surplus = 12000, -36000, -24000
    # EndCash = 20000 + 12000 = 32000; 32000 - 36000 = -4000; -4000 - 24000 = -28000
    # MonthsCash = 32000 / 10000 = 3.2; -4000 / 12000 = -1/3; -28000 / 10000 = -2.8
    # ReserveTarget = 4 * Expenses / 12 = 40000, 48000, 40000
    # ReserveGap = max(0, 40000 - 32000) = 8000; 48000 + 4000 = 52000; 40000 + 28000 = 68000
    return dict(
        assumptions=NO_GROWTH, starting_cash=20000,
        staff=[staff("ED", 1.0, 80000)], expenses=[expense("Rent", 20000)],
        one_time=[{"name": "Move", "year": 2, "amount": 24000}],
        revenue=[rev("Grant", "philanthropy", "committed", [132000, 108000, 96000])],
        full_cost={"reserves": {"months": 4, "current": 0, "build_years": 1}},
    )


def test_worked_cash_rows() -> None:
    out = sp(**worked())
    for s in ("base", "conservative", "growth"):   # committed money and no overrides: all equal
        approx_row(out[f"SP_{s}_Revenue"], [132000, 108000, 96000])
        approx_row(out[f"SP_{s}_Personnel"], [100000, 100000, 100000])
        approx_row(out[f"SP_{s}_NonPersonnel"], [20000, 20000, 20000])
        approx_row(out[f"SP_{s}_OneTime"], [0, 24000, 0])
        approx_row(out[f"SP_{s}_Expenses"], [120000, 144000, 120000])
        approx_row(out[f"SP_{s}_Surplus"], [12000, -36000, -24000])
        approx_row(out[f"SP_{s}_EndCash"], [32000, -4000, -28000])
        approx_row(out[f"SP_{s}_MonthsCash"], [3.2, -1 / 3, -2.8])
        approx_row(out[f"SP_{s}_ReserveTarget"], [40000, 48000, 40000])
        approx_row(out[f"SP_{s}_ReserveGap"], [8000, 52000, 68000])
    assert out["SP_Checks_OK"] is True


def test_runway_labels() -> None:
    # fiscal year starting 2026-07-01 ends in 2027: FY2027, FY2028, FY2029
    # cash first below 0 in year 2 -> FY2028; first below reserve target in year 1 -> FY2027
    out = sp(**worked())
    assert out["SP_base_RunwayCash"] == "FY2028"
    assert out["SP_base_RunwayReserve"] == "FY2027"


def test_runway_labels_calendar_fiscal_year() -> None:
    # fiscal year starting 2027-01-01 ends in 2027: FY2027 is year 1 too
    out = sp(fiscal_year_start="2027-01-01", **worked())
    assert out["SP_base_RunwayCash"] == "FY2028"
    assert out["SP_base_RunwayReserve"] == "FY2027"


def test_runway_none_when_never() -> None:
    # 1000000 starting cash, expenses 120000/144000/120000: cash never < 0 or < target (max 48000)
    kw = worked()
    kw["starting_cash"] = 1000000
    out = sp(**kw)
    assert out["SP_base_RunwayCash"] == "none"
    assert out["SP_base_RunwayReserve"] == "none"
    approx_row(out["SP_base_ReserveGap"], [0, 0, 0])


def test_runway_reserve_only() -> None:
    # starting cash 30000: EndCash = 42000, 6000, -18000 -> cash < 0 in year 3 (FY2029);
    # 42000 >= 40000 in year 1, 6000 < 48000 in year 2 -> reserve runway FY2028
    kw = worked()
    kw["starting_cash"] = 30000
    out = sp(**kw)
    approx_row(out["SP_base_EndCash"], [42000, 6000, -18000])
    assert out["SP_base_RunwayCash"] == "FY2029"
    assert out["SP_base_RunwayReserve"] == "FY2028"


def test_exactly_zero_cash_is_not_below_zero() -> None:
    # starting cash 0, revenue = expenses in year 1 -> EndCash 0: "below zero" needs < 0
    out = sp(assumptions=NO_GROWTH, staff=[staff("A", 1.0, 40000)],
             revenue=[rev("g", "public", "committed", [50000, 50000, 50000])],
             full_cost={"reserves": {"months": 0}})
    approx_row(out["SP_base_EndCash"], [0, 0, 0])
    assert out["SP_base_RunwayCash"] == "none"
    assert out["SP_base_RunwayReserve"] == "none"        # 0 < target 0 is false


def test_fy_labels() -> None:
    assert fy_labels(make(fiscal_year_start="2026-07-01")) == ["FY2027", "FY2028", "FY2029"]
    assert fy_labels(make(fiscal_year_start="2027-01-01")) == ["FY2027", "FY2028", "FY2029"]
    # a year starting 2026-01-02 ends 2027-01-01: FY2027
    assert fy_labels(make(fiscal_year_start="2026-01-02")) == ["FY2027", "FY2028", "FY2029"]
    # 2026-10-01 -> ends 2027-09-30
    assert fy_labels(make(years=4, fiscal_year_start="2026-10-01")) == ["FY2027", "FY2028", "FY2029", "FY2030"]


def test_months_cash_empty_text_when_no_expenses() -> None:
    # no expenses at all: MonthsCash is "" every year; ReserveGap max(0, 0 - 5000) = 0
    out = sp(starting_cash=5000)
    approx_row(out["SP_base_MonthsCash"], ["", "", ""])
    approx_row(out["SP_base_EndCash"], [5000, 5000, 5000])
    approx_row(out["SP_base_ReserveGap"], [0, 0, 0])


def test_months_cash_empty_only_in_the_zero_year() -> None:
    # one-time 1200 in year 2 only: Expenses 0, 1200, 0 -> MonthsCash "", (6000 - 1200) / 100 = 48, ""
    out = sp(starting_cash=6000, one_time=[{"name": "x", "year": 2, "amount": 1200}])
    approx_row(out["SP_base_MonthsCash"], ["", 48, ""])


def test_reserve_gap_uses_reserves_months() -> None:
    # reserves 6 months, expenses 50000/yr (1.0 * 40000 * 1.25), starting cash 10000, no revenue
    # EndCash = -40000, -90000, -140000; target 6 * 50000 / 12 = 25000
    # gap = 65000, 115000, 165000
    out = sp(assumptions=NO_GROWTH, staff=[staff("A", 1.0, 40000)], starting_cash=10000,
             full_cost={"reserves": {"months": 6, "current": 99999, "build_years": 3}})
    approx_row(out["SP_base_EndCash"], [-40000, -90000, -140000])
    approx_row(out["SP_base_ReserveGap"], [65000, 115000, 165000])


# ----------------------------------------------------------------------------- concentration


def test_top_source_stream_and_restricted_shares() -> None:
    # year 1 (committed): phil A 50000, phil B 30000 (restricted), public C 60000 -> total 140000
    #   top source 60000 / 140000; top stream philanthropy 80000 / 140000; restricted 30000 / 140000
    # year 2: A 10000 only -> 1, 1, 0; year 3: no revenue -> 0, 0, 0
    out = sp(revenue=[rev("A", "philanthropy", "committed", [50000, 10000]),
                      rev("B", "philanthropy", "committed", [30000], restricted=True),
                      rev("C", "public", "committed", [60000])])
    approx_row(out["SP_base_TopSourceShare"], [60000 / 140000, 1, 0])
    approx_row(out["SP_base_TopStreamShare"], [80000 / 140000, 1, 0])
    approx_row(out["SP_base_RestrictedShare"], [30000 / 140000, 0, 0])


def test_shares_follow_scenario_realization() -> None:
    # conservative: committed 10000 (restricted), likely 30000 * 0.5 = 15000 -> total 25000
    #   top source 15000 / 25000 = 0.6; restricted 10000 / 25000 = 0.4
    out = sp(revenue=[rev("A", "public", "committed", [10000], restricted=True), rev("B", "philanthropy", "likely", [30000])])
    approx_row(out["SP_conservative_TopSourceShare"], [0.6, 0, 0])
    approx_row(out["SP_conservative_TopStreamShare"], [0.6, 0, 0])
    approx_row(out["SP_conservative_RestrictedShare"], [0.4, 0, 0])


def test_shares_zero_without_revenue() -> None:
    out = sp(staff=[staff("A", 1.0, 40000)])
    for row in ("TopSourceShare", "TopStreamShare", "RestrictedShare"):
        approx_row(out[f"SP_base_{row}"], [0, 0, 0])


# ----------------------------------------------------------------------------- shape


def test_one_scenario() -> None:
    out = sp(scenarios=[scen("only")])
    names = {k for k in out if k not in ("SP_Checks_OK", "SP_Complete")}
    assert all(k.startswith("SP_only_") for k in names)
    for r in ROWS:
        assert len(out[f"SP_only_{r}"]) == 3


def test_six_scenarios() -> None:
    ids = [f"s{n}" for n in range(1, 7)]
    # expense 1200 with multiplier n -> 1200 * n every year (i = 0)
    out = sp(assumptions=NO_GROWTH, expenses=[expense("x", 1200)],
             scenarios=[scen(sid, expense_multiplier=float(n)) for n, sid in enumerate(ids, start=1)])
    for n, sid in enumerate(ids, start=1):
        approx_row(out[f"SP_{sid}_NonPersonnel"], [1200 * n] * 3)
        # no revenue: EndCash = -1200n * t; MonthsCash = -1200n * t / (1200n / 12) = -12t
        approx_row(out[f"SP_{sid}_MonthsCash"], [-12, -24, -36])
    prefixes = {k.rsplit("_", 1)[0] for k in out if k.endswith("_Revenue")}
    assert prefixes == {f"SP_{sid}" for sid in ids}


def test_three_year_horizon_row_lengths() -> None:
    out = sp(years=3, revenue=[rev("g", "public", "committed", [1] * 10)])
    for r in ROWS:
        assert len(out[f"SP_base_{r}"]) == 3
    approx_row(out["SP_base_Revenue"], [1, 1, 1])


def test_ten_year_horizon() -> None:
    # g = 0.05: year 10 = 100000 * 1.05^9 * 1.25; 1.05^9 = 1.5513282159785162 -> 193916.02699731453
    # i = 0: expense 1000 active 8..10; revenue amounts 1..12 thousand, only 10 used
    out = sp(years=10, assumptions={"salary_growth": 0.05, "expense_inflation": 0.0},
             staff=[staff("ED", 1.0, 100000)], expenses=[expense("late", 1000, start_year=8)],
             revenue=[rev("g", "public", "committed", [1000 * n for n in range(1, 13)])])
    for r in ROWS:
        assert len(out[f"SP_base_{r}"]) == 10
    pers = out["SP_base_Personnel"]
    assert pers[0] == pytest.approx(125000)
    assert pers[1] == pytest.approx(131250)                  # 125000 * 1.05
    assert pers[9] == pytest.approx(193916.02699731453)
    approx_row(out["SP_base_NonPersonnel"], [0] * 7 + [1000] * 3)
    approx_row(out["SP_base_Revenue"], [1000 * n for n in range(1, 11)])
    assert fy_labels(make(years=10)) == [f"FY{y}" for y in range(2027, 2037)]
