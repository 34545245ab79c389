"""SPEC section 6 (year-1 cash flow by month): the model against hand computations, and the
schema's errors for the new keys."""
from __future__ import annotations

from typing import Any

import pytest

from generator.content import load_content
from generator.model.full_cost import compute_full_cost
from generator.schema import DataFileError, validate_data

C = load_content()


def data(**parts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": "pbp-toolkit/partnership/1",
        "organization": {"name": "Test", "backbone_structure": "hosted_nonprofit", "fiscal_year_start": "2026-07-01"},
        "assumptions": {"benefits_rate": 0.25},
        "full_cost": {"working_capital": {"months": 2}, "reserves": {"months": 0}},
    }
    base.update(parts)
    return base


def model(**parts: Any) -> dict[str, Any]:
    return compute_full_cost(validate_data(data(**parts), "test"), C)


def source(amount: float, stream: str = "philanthropy", confidence: str = "committed", timing: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f"{stream} {amount}", "stream": stream, "confidence": confidence, "amounts": [amount]}
    if timing is not None:
        out["timing"] = timing
    return out


def inflow(timing: dict[str, Any], amount: float = 12000) -> tuple[list[float], float]:
    out = model(revenue=[source(amount, timing=timing)])
    return out["FC_CF_In"], out["FC_CF_Receivable"]


def approx_list(values: list[float]) -> Any:
    return pytest.approx(values, abs=1e-9)


# ----------------------------------------------------------------------------- each schedule, by hand


@pytest.mark.parametrize("timing, months, later", [
    ({"schedule": "even"}, [1000] * 12, 0),
    ({"schedule": "upfront"}, [12000] + [0] * 11, 0),
    ({"schedule": "quarterly"}, [3000, 0, 0, 3000, 0, 0, 3000, 0, 0, 3000, 0, 0], 0),
    ({"schedule": "semiannual"}, [6000, 0, 0, 0, 0, 0, 6000, 0, 0, 0, 0, 0], 0),
    ({"schedule": "custom", "months": [12, 2, 5]}, [0, 4000, 0, 0, 4000, 0, 0, 0, 0, 0, 0, 4000], 0),
    # with a lag: the part due in month j arrives in month j + lag
    ({"schedule": "upfront", "lag_months": 3}, [0, 0, 0, 12000] + [0] * 8, 0),
    ({"schedule": "quarterly", "lag_months": 2}, [0, 0, 3000, 0, 0, 3000, 0, 0, 3000, 0, 0, 3000], 0),
    # lag past year end: what falls due in year 1 but arrives after month 12 is receivable
    ({"schedule": "even", "lag_months": 2}, [0, 0] + [1000] * 10, 2000),
    ({"schedule": "semiannual", "lag_months": 7}, [0] * 7 + [6000] + [0] * 4, 6000),
    ({"schedule": "custom", "months": [2, 12], "lag_months": 1}, [0, 0, 6000] + [0] * 9, 6000),
    ({"schedule": "even", "lag_months": 11}, [0] * 11 + [1000], 11000),
    ({"schedule": "quarterly", "lag_months": 11}, [0] * 11 + [3000], 9000),
])
def test_schedule_and_lag(timing: dict[str, Any], months: list[float], later: float) -> None:
    got, receivable = inflow(timing)
    assert got == approx_list(months)
    assert receivable == pytest.approx(later)
    assert sum(got) + receivable == pytest.approx(12000)


def test_timing_without_lag_means_no_lag() -> None:
    assert inflow({"schedule": "upfront"})[0][0] == pytest.approx(12000)


@pytest.mark.parametrize("stream, months, later", [
    ("philanthropy", [6000, 0, 0, 0, 0, 0, 6000, 0, 0, 0, 0, 0], 0),       # semiannual, lag 0
    ("public", [0, 0] + [1000] * 10, 2000),                                 # even, lag 2
    ("partner_contributions", [3000, 0, 0, 3000, 0, 0, 3000, 0, 0, 3000, 0, 0], 0),  # quarterly, lag 0
    ("earned_revenue", [0] + [1000] * 11, 1000),                            # even, lag 1
    ("individual_corporate", [1000] * 12, 0),                               # even, lag 0
])
def test_stream_default_timing_from_the_spec_table(stream: str, months: list[float], later: float) -> None:
    out = model(revenue=[source(12000, stream)])
    assert out["FC_CF_In"] == approx_list(months)
    assert out["FC_CF_Receivable"] == pytest.approx(later)


def test_inflows_are_expected_amounts_weighted_by_confidence() -> None:
    out = model(revenue=[source(16000, confidence="likely", timing={"schedule": "upfront"})])  # 0.75 by default
    assert out["FC_CF_In"][0] == pytest.approx(12000)


# ----------------------------------------------------------------------------- outflows


def test_outflows_leave_out_in_kind_items_and_depreciation() -> None:
    out = model(
        staff=[{"title": "Director", "fte": 1.0, "salary": 48000, "functions": "operations"},
               {"title": "Seconded analyst", "fte": 1.0, "salary": 40000, "functions": "data_impact", "in_kind": True},
               {"title": "Year-3 hire", "fte": 1.0, "salary": 99000, "functions": "operations", "start_year": 3}],
        expenses=[{"name": "Licence", "category": "technology_data", "amount": 12000, "payment_months": [1]},
                  {"name": "Donated office", "category": "occupancy", "amount": 6000, "in_kind": True, "payment_months": [2]},
                  {"name": "Rent", "category": "occupancy", "amount": 2400},
                  {"name": "Later cost", "category": "other", "amount": 50000, "start_year": 2}],
        full_cost={"depreciation": 1200, "unfunded": [{"name": "Stipends", "amount": 1200}], "working_capital": {"months": 2},
                   "reserves": {"months": 0}},
        projections={"years": 3},
    )
    # cash personnel 48000 * 1.25 = 60000 -> 5000 a month; unfunded 100 a month; rent 200 a month; licence 12000 in month 1
    assert out["FC_CF_Out"] == approx_list([17300] + [5300] * 11)
    assert sum(out["FC_CF_Out"]) == pytest.approx(out["FC_CashOpex"])


def test_payment_months_split_equally() -> None:
    out = model(expenses=[{"name": "Audit", "category": "professional_services", "amount": 9000, "payment_months": [3, 6, 9]}])
    assert out["FC_CF_Out"] == approx_list([0, 0, 3000, 0, 0, 3000, 0, 0, 3000, 0, 0, 0])


# ----------------------------------------------------------------------------- a whole worked case


WORKED = dict(
    staff=[{"title": "Director", "fte": 1.0, "salary": 48000, "functions": "operations"},
           {"title": "Host finance", "fte": 0.5, "salary": 48000, "functions": "operations", "in_kind": True}],
    expenses=[{"name": "Annual licence", "category": "technology_data", "amount": 12000, "payment_months": [1]},
              {"name": "Donated space", "category": "occupancy", "amount": 6000, "in_kind": True}],
    revenue=[source(48000, "philanthropy"),                       # semiannual: 24000 in months 1 and 7
             source(32000, "public", confidence="likely")],       # 24000 expected, even, lag 2: 2000 in months 3..12
)


def test_worked_case_by_hand() -> None:
    out = model(**WORKED, full_cost={"depreciation": 1200, "working_capital": {"months": 2}, "reserves": {"months": 0}})
    # out: 5000 a month of cash personnel, the 12000 licence in month 1 (in-kind and depreciation left out)
    assert out["FC_CF_Out"] == approx_list([17000] + [5000] * 11)
    assert out["FC_CF_In"] == approx_list([24000, 0, 2000, 2000, 2000, 2000, 26000, 2000, 2000, 2000, 2000, 2000])
    assert out["FC_CF_Receivable"] == pytest.approx(4000)
    assert out["FC_CF_Net"] == approx_list([7000, -5000, -3000, -3000, -3000, -3000, 21000, -3000, -3000, -3000, -3000, -3000])
    assert out["FC_CF_Position"] == approx_list([7000, 2000, -1000, -4000, -7000, -10000, 11000, 8000, 5000, 2000, -1000, -4000])
    assert out["FC_CF_Lowest"] == pytest.approx(-10000)
    assert out["FC_CF_LowestMonth"] == 6
    # expected revenue 72000 = cash opex 72000: the scaled inflows are the inflows; need = 10000
    assert out["FC_CF_TimingNeed"] == pytest.approx(10000)
    assert out["FC_CF_MonthsEquivalent"] == pytest.approx(10000 / 6000)
    # the months rule still sizes area 2: 2 * 72000 / 12
    assert out["FC_WorkingCapital"] == pytest.approx(12000)


def test_timing_need_is_scaled_to_a_balanced_year() -> None:
    """Twice the revenue, arriving at the same times: the need for timing alone does not change."""
    doubled = dict(WORKED, revenue=[source(96000, "philanthropy"), source(64000, "public", confidence="likely")])
    out = model(**doubled)
    assert out["FC_CF_Lowest"] > 0  # plenty of cash in this year ...
    assert out["FC_CF_TimingNeed"] == pytest.approx(10000)  # ... but the timing is what it is


def test_method_cash_flow_sizes_working_capital_from_the_timing_need() -> None:
    out = model(**WORKED, full_cost={"working_capital": {"months": 2, "current": 4000, "build_years": 2, "method": "cash_flow"},
                                     "reserves": {"months": 0}})
    assert out["FC_WorkingCapital"] == pytest.approx((10000 - 4000) / 2)
    assert out["FC_Total"] == pytest.approx(out["FC_TotalExpenses"] + 3000)
    assert out["FC_Gap"] == pytest.approx(out["FC_CashNeed"] - out["FC_ExpectedRevenue"])
    held = model(**WORKED, full_cost={"working_capital": {"months": 2, "current": 15000, "method": "cash_flow"}, "reserves": {"months": 0}})
    assert held["FC_WorkingCapital"] == 0


def test_no_revenue_spreads_the_cash_spending_evenly() -> None:
    """R = 0: the balanced year has O / 12 coming in every month."""
    out = model(staff=WORKED["staff"], expenses=WORKED["expenses"])
    assert out["FC_CF_In"] == [0.0] * 12 and out["FC_CF_Receivable"] == 0
    assert out["FC_CF_Position"] == approx_list([-17000 - 5000 * k for k in range(12)])
    assert out["FC_CF_LowestMonth"] == 12
    # scaled inflow 6000 a month against 17000, then 5000: running -11000, -10000, ... -> need 11000
    assert out["FC_CF_TimingNeed"] == pytest.approx(11000)
    assert out["FC_CF_MonthsEquivalent"] == pytest.approx(11000 / 6000)


def test_even_spending_with_no_revenue_needs_nothing_for_timing() -> None:
    out = model(staff=WORKED["staff"][:1])
    assert out["FC_CF_TimingNeed"] == pytest.approx(0, abs=1e-9)


def test_lowest_month_is_the_first_of_ties() -> None:
    out = model(revenue=[source(12000, timing={"schedule": "upfront"})])  # position 12000 all year
    assert out["FC_CF_LowestMonth"] == 1 and out["FC_CF_Lowest"] == pytest.approx(12000)


def test_no_cash_spending_gives_zero_months() -> None:
    out = model(revenue=[source(12000)])
    assert out["FC_CashOpex"] == 0 and out["FC_CF_MonthsEquivalent"] == 0


# ----------------------------------------------------------------------------- schema errors


def problems(**parts: Any) -> dict[str, str]:
    with pytest.raises(DataFileError) as exc:
        validate_data(data(**parts), "f.yaml")
    return {p.path: p.message for p in exc.value.problems}


@pytest.mark.parametrize("timing, path, words", [
    ({"schedule": "weekly"}, "revenue[0].timing.schedule", "unknown schedule 'weekly'"),
    ({"schedule": "even", "lag_months": 12}, "revenue[0].timing.lag_months", "from 0 to 11"),
    ({"schedule": "even", "lag_months": -1}, "revenue[0].timing.lag_months", "from 0 to 11"),
    ({"schedule": "even", "lag_months": 1.5}, "revenue[0].timing.lag_months", "integer"),
    ({"schedule": "custom", "months": [3, 3]}, "revenue[0].timing.months", "more than once"),
    ({"schedule": "custom", "months": [0, 13]}, "revenue[0].timing.months", "from 1 to 12"),
    ({"schedule": "custom", "months": []}, "revenue[0].timing.months", "at least one month"),
    ({"schedule": "custom"}, "revenue[0].timing", "needs months"),
    ({"schedule": "quarterly", "months": [1, 4]}, "revenue[0].timing", "only for the custom schedule"),
    ({"schedule": "even", "lag": 2}, "revenue[0].timing.lag", "unknown key"),
])
def test_timing_errors_name_the_path(timing: dict[str, Any], path: str, words: str) -> None:
    found = problems(revenue=[source(1000, timing=timing)])
    assert path in found, found
    assert words in found[path]


@pytest.mark.parametrize("months, words", [([1, 1], "more than once"), ([13], "from 1 to 12"), ([], "at least one month")])
def test_payment_month_errors(months: list[int], words: str) -> None:
    found = problems(expenses=[{"name": "x", "category": "other", "amount": 1, "payment_months": months}])
    assert words in found["expenses[0].payment_months"]


def test_unknown_method_is_an_error() -> None:
    found = problems(full_cost={"working_capital": {"months": 2, "method": "rule"}})
    assert "months, cash_flow" in found["full_cost.working_capital.method"]


def test_files_without_the_new_keys_keep_their_meaning() -> None:
    p = validate_data(data(revenue=[source(1000)]), "old.yaml")
    assert p.revenue[0].timing is None and p.full_cost.working_capital.method == "months"


# ----------------------------------------------------------------------------- SPEC 6.1: cash on hand, by hand

#: One position costing 60,000 in cash (48,000 x 1.25): 5,000 goes out every month.
ONE_POST = [{"title": "Director", "fte": 1.0, "salary": 48000, "functions": "operations"}]


def held(current: float, revenue: list[dict[str, Any]], **wc: Any) -> dict[str, Any]:
    return model(staff=ONE_POST, revenue=revenue,
                 full_cost={"working_capital": {"months": 2, "current": current, **wc}, "reserves": {"months": 0}})


def test_cash_on_hand_starts_from_the_working_capital_held() -> None:
    """Public money 60,000, evenly two months late: -5,000 and -10,000, then -10,000 to the end (10,000
    arrives after year end). With 4,000 held, every month is short; the first is month 1."""
    out = held(4000, [source(60000, "public")])
    assert out["FC_CF_Position"] == approx_list([-5000.0] + [-10000.0] * 11)
    assert out["FC_CF_Opening"] == 4000
    assert out["FC_CF_Cash"] == approx_list([-1000.0] + [-6000.0] * 11)
    assert out["FC_CF_ShortMonths"] == 12 and out["FC_CF_FirstShortMonth"] == 1


def test_a_month_at_exactly_zero_is_not_short() -> None:
    """10,000 held: 5,000 in month 1, then exactly 0 every month: covered, no short month."""
    out = held(10000, [source(60000, "public")])
    assert out["FC_CF_Cash"] == approx_list([5000.0] + [0.0] * 11)
    assert out["FC_CF_ShortMonths"] == 0 and out["FC_CF_FirstShortMonth"] == 0
    # within half a cent of zero still counts as zero; a cent below is short
    assert held(9999.999, [source(60000, "public")])["FC_CF_ShortMonths"] == 0
    nearly = held(9999.99, [source(60000, "public")])
    assert nearly["FC_CF_ShortMonths"] == 11 and nearly["FC_CF_FirstShortMonth"] == 2


def test_short_months_count_only_the_months_below_zero() -> None:
    """A grant of 48,000 twice a year (24,000 in months 1 and 7) against 5,000 out a month: the position
    runs 19,000, 14,000, ... -1,000 in month 5, -6,000 in month 6, then 13,000 ... -12,000 in month 12.
    Nothing held: months 5, 6, 10, 11 and 12 are short, the first is month 5."""
    out = held(0, [source(48000, "philanthropy")])
    pos = [19000, 14000, 9000, 4000, -1000, -6000, 13000, 8000, 3000, -2000, -7000, -12000]
    assert out["FC_CF_Position"] == approx_list([float(v) for v in pos])
    assert out["FC_CF_Cash"] == out["FC_CF_Position"]
    assert out["FC_CF_ShortMonths"] == 5 and out["FC_CF_FirstShortMonth"] == 5
    # 12,000 held lifts every month to 0 or above: the year is still short in cash (-12,000 structurally), not in any month
    covered = held(12000, [source(48000, "philanthropy")])
    assert covered["FC_CF_ShortMonths"] == 0 and covered["FC_CF_Position"][-1] == pytest.approx(-12000)


def test_months_may_be_left_out_with_the_cash_flow_method() -> None:
    p = validate_data(data(full_cost={"working_capital": {"current": 1000, "method": "cash_flow"}}), "f.yaml")
    assert p.full_cost.working_capital.months == 2 and p.full_cost.working_capital.method == "cash_flow"


@pytest.mark.parametrize("wc", [{"current": 1000}, {"current": 1000, "method": "months"}])
def test_months_are_needed_by_the_months_rule(wc: dict[str, Any]) -> None:
    found = problems(full_cost={"working_capital": wc})
    assert "months is required" in found["full_cost.working_capital"]
    assert "method: cash_flow" in found["full_cost.working_capital"]


def in_kind_only_year1() -> dict[str, Any]:
    """Issue 19's edge (generated file 10): in year 1 only an in-kind position and depreciation; the
    cash staff start in year 2. Total expenses less depreciation less in-kind is 0 by hand, but in
    floating point (0.2375 + 1475) - 1475 - 0.2375 leaves a residue each engine computes differently."""
    return data(
        staff=[{"title": "Volunteer lead", "fte": 0.1, "salary": 1.9, "functions": {"operations": 0.56, "advocacy_policy": 0.44},
                "in_kind": True},
               {"title": "Director", "fte": 1.0, "salary": 90000, "functions": "strategy_leadership", "start_year": 2}],
        revenue=[source(12000, timing={"schedule": "semiannual"})],
        full_cost={"depreciation": 1475, "working_capital": {"months": 3}, "reserves": {"months": 6}},
    )


def test_no_cash_spending_beside_in_kind_and_depreciation_is_exactly_zero() -> None:
    assert (0.1 * 1.9 * 1.25 + 1475) - 1475 - 0.1 * 1.9 * 1.25 != 0  # the residue the difference would leave
    out = compute_full_cost(validate_data(in_kind_only_year1(), "test"), C)
    # by hand: 0.1 * 1.9 * 1.25 = 0.2375 in kind, 1475 depreciation, no cash item at all
    assert out["FC_TotalExpenses"] == pytest.approx(1475.2375) and out["FC_InKind"] == pytest.approx(0.2375)
    assert out["FC_CashOpex"] == 0 and out["FC_CF_Out"] == [0] * 12
    assert out["FC_CF_TimingNeed"] == 0 and out["FC_CF_MonthsEquivalent"] == 0
    assert out["FC_WorkingCapital"] == 0 and out["FC_Reserves"] == 0
