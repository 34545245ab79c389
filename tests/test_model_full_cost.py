"""SPEC section 3: the Full Cost Workbook's numbers, checked against hand arithmetic.

Every expected value below is worked out by hand in the comment beside it, from the SPEC
definitions, never copied from the code under test.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.content import load_content
from generator.model.full_cost import compute_full_cost
from generator.schema import load_partnership, validate_data

C = load_content()
FUNCS = ["strategy_leadership", "community_engagement", "data_impact", "advocacy_policy", "funding_alignment", "operations"]
STREAMS = ["philanthropy", "public", "partner_contributions", "earned_revenue", "individual_corporate"]
EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "templates" / "examples").glob("*.yaml"))

ORG = {"name": "Test Partnership", "backbone_structure": "hosted_nonprofit", "fiscal_year_start": "2026-07-01"}


def make(**sections: Any) -> Any:
    """A validated partnership from inline sections (organization filled in)."""
    data: dict[str, Any] = {"schema": "pbp-toolkit/partnership/1", "organization": dict(ORG)}
    data.update(sections)
    return validate_data(data, "test.yaml")


def fc(**sections: Any) -> dict[str, Any]:
    return compute_full_cost(make(**sections))


def staff(title: str, fte: float, salary: float, functions: Any, **extra: Any) -> dict[str, Any]:
    return {"title": title, "fte": fte, "salary": salary, "functions": functions, **extra}


def expense(name: str, amount: float, category: str = "other", **extra: Any) -> dict[str, Any]:
    return {"name": name, "category": category, "amount": amount, **extra}


def rev(name: str, stream: str, confidence: str, amounts: list[float], **extra: Any) -> dict[str, Any]:
    return {"name": name, "stream": stream, "confidence": confidence, "amounts": amounts, **extra}


# ----------------------------------------------------------------------------- one worked case

MAIN: dict[str, Any] = {
    "assumptions": {"benefits_rate": 0.25, "funder_indirect_cap": 0.12, "confidence_probability": {"likely": 0.5}},
    "staff": [
        # 1.0 * 100000 * 1.25 = 125000 -> strategy 0.6 = 75000, operations 0.4 = 50000
        staff("Director", 1.0, 100000, {"strategy_leadership": 0.6, "operations": 0.4}),
        # bare id = share 1.0: 0.5 * 60000 * 1.25 = 37500 -> data_impact
        staff("Analyst", 0.5, 60000, "data_impact"),
        # in-kind: 0.2 * 80000 * 1.25 = 20000 -> operations
        staff("Host finance support", 0.2, 80000, "operations", in_kind=True),
        # starts in year 2: not in the Full Cost Workbook at all
        staff("Organizer (year 2)", 1.0, 90000, "community_engagement", start_year=2),
        # in-kind and starting in year 2: not in FC_InKind either
        staff("Seconded planner (year 2)", 1.0, 70000, "operations", in_kind=True, start_year=2),
    ],
    "expenses": [
        expense("Data platform", 12000, "technology_data", function="data_impact"),
        expense("Office space (in-kind)", 24000, "occupancy", function="shared", in_kind=True),
        expense("Supplies", 6000),                      # function defaults to shared
        expense("Year-2 audit", 50000, "professional_services", function="operations", start_year=2),
        expense("Year-3 space (in-kind)", 9000, "occupancy", in_kind=True, start_year=3),
    ],
    "revenue": [
        rev("Foundation grant", "philanthropy", "committed", [100000, 50000]),   # 100000 * 1.0 = 100000
        rev("Foundation renewal", "philanthropy", "likely", [40000]),            # 40000 * 0.5 (overridden) = 20000
        rev("County contract", "public", "possible", [50000, 60000]),            # 50000 * 0.4 (default) = 20000
        rev("Partner dues", "partner_contributions", "prospect", [30000]),       # 30000 * 0.1 (default) = 3000
        rev("Fee income", "earned_revenue", "committed", []),                    # empty amounts: year 1 = 0
        rev("State grant from year 2", "public", "committed", [0, 90000]),       # year-1 amount 0
    ],
    "full_cost": {
        "depreciation": 1500,
        "unfunded": [
            {"name": "Community organizer", "amount": 12500, "function": "community_engagement"},
            {"name": "Market pay adjustment", "amount": 5000, "function": "shared"},
        ],
        "working_capital": {"months": 2, "current": 10000, "build_years": 2},
        "reserves": {"months": 6, "current": 20000, "build_years": 4},
        "fixed_asset_additions": [{"name": "Laptops", "amount": 4000}, {"name": "Desks", "amount": 2000}],
        "debt_principal": [{"name": "Line of credit", "amount": 3000}],
        "change_capital": [{"name": "Data system", "amount": 90000, "years": 3}, {"name": "Strategy refresh", "amount": 10000}],
    },
    "projections": {"years": 5},
}

# Personnel = 125000 + 37500 + 20000 = 182500 (the two year-2 positions are left out)
# NonPersonnel = 12000 + 24000 + 6000 = 42000 (the year-2 and year-3 expenses are left out)
# Unfunded = 12500 + 5000 = 17500
# TotalExpenses = 182500 + 42000 + 1500 + 17500 = 243500
# InKind = 20000 (staff) + 24000 (space) = 44000
# CashOpex = 243500 - 1500 - 44000 = 198000; one month = 198000 / 12 = 16500
# WorkingCapital = max(0, 2 * 16500 - 10000) / 2 = 23000 / 2 = 11500
# Reserves = max(0, 6 * 16500 - 20000) / 4 = 79000 / 4 = 19750
# FixedAssets = 4000 + 2000 = 6000; DebtPrincipal = 3000
# ChangeCapital = 90000 / 3 + 10000 / 1 = 30000 + 10000 = 40000
# Total = 243500 + 11500 + 19750 + 6000 + 3000 + 40000 = 323750
# RequiredSurplus = 323750 - 243500 = 80250; Pct = 80250 / 243500
# CashNeed = 323750 - 44000 = 279750
# ExpectedRevenue = 100000 + 20000 + 20000 + 3000 + 0 + 0 = 143000
# Gap = 279750 - 143000 = 136750
# Functions: P_strategy = 75000, P_data = 37500, P_operations = 50000 + 20000 = 70000, P = 182500
#   Shared = 24000 + 6000 (expenses) + 5000 (unfunded) + 1500 (depreciation) = 36500 = 0.2 * P
#   strategy_leadership  = 75000 + 0     + 0.2 * 75000 = 90000
#   community_engagement = 0     + 12500 + 0           = 12500
#   data_impact          = 37500 + 12000 + 0.2 * 37500 = 57000
#   advocacy_policy      = 0; funding_alignment = 0
#   operations           = 70000 + 0     + 0.2 * 70000 = 84000
#   sum = 90000 + 12500 + 57000 + 84000 = 243500 = TotalExpenses
# IndirectRate = 84000 / (243500 - 84000) = 84000 / 159500
MAIN_EXPECTED: dict[str, Any] = {
    "FC_Personnel": 182500,
    "FC_NonPersonnel": 42000,
    "FC_Depreciation": 1500,
    "FC_Unfunded": 17500,
    "FC_TotalExpenses": 243500,
    "FC_InKind": 44000,
    "FC_CashOpex": 198000,
    "FC_WorkingCapital": 11500,
    "FC_Reserves": 19750,
    "FC_FixedAssets": 6000,
    "FC_DebtPrincipal": 3000,
    "FC_ChangeCapital": 40000,
    "FC_Total": 323750,
    "FC_RequiredSurplus": 80250,
    "FC_RequiredSurplusPct": 80250 / 243500,
    "FC_CashNeed": 279750,
    "FC_ExpectedRevenue": 143000,
    "FC_Revenue_philanthropy": 120000,          # 100000 + 20000
    "FC_Revenue_public": 20000,                 # 20000 + 0
    "FC_Revenue_partner_contributions": 3000,
    "FC_Revenue_earned_revenue": 0,
    "FC_Revenue_individual_corporate": 0,
    "FC_Gap": 136750,
    "FC_Function_strategy_leadership": 90000,
    "FC_Function_community_engagement": 12500,
    "FC_Function_data_impact": 57000,
    "FC_Function_advocacy_policy": 0,
    "FC_Function_funding_alignment": 0,
    "FC_Function_operations": 84000,
    "FC_IndirectRate": 84000 / 159500,
    "FC_IndirectCap": 0.12,
    "FC_Checks_OK": True,
    "FC_Complete": True,
}


def test_every_spec_output_is_present_and_named_once_per_id() -> None:
    out = fc(**MAIN)
    expected_names = {
        "FC_Personnel", "FC_NonPersonnel", "FC_Depreciation", "FC_Unfunded", "FC_TotalExpenses", "FC_InKind",
        "FC_CashOpex", "FC_WorkingCapital", "FC_Reserves", "FC_FixedAssets", "FC_DebtPrincipal", "FC_ChangeCapital",
        "FC_Total", "FC_RequiredSurplus", "FC_RequiredSurplusPct", "FC_CashNeed", "FC_ExpectedRevenue", "FC_Gap",
        "FC_IndirectRate", "FC_IndirectCap", "FC_Checks_OK", "FC_Complete",
        *(f"FC_Revenue_{k}" for k in STREAMS),
        *(f"FC_Function_{f}" for f in FUNCS),
    }
    cash_flow = {"FC_CF_Out", "FC_CF_In", "FC_CF_Receivable", "FC_CF_Net", "FC_CF_Position", "FC_CF_Lowest",
                 "FC_CF_LowestMonth", "FC_CF_TimingNeed", "FC_CF_MonthsEquivalent",
                 "FC_CF_Opening", "FC_CF_Cash", "FC_CF_ShortMonths", "FC_CF_FirstShortMonth"}  # SPEC 6 and 6.1, tested in test_model_cash_flow
    assert set(out) == expected_names | cash_flow
    assert set(MAIN_EXPECTED) == expected_names


@pytest.mark.parametrize("name", sorted(MAIN_EXPECTED))
def test_worked_case(name: str) -> None:
    out = fc(**MAIN)
    want = MAIN_EXPECTED[name]
    if isinstance(want, bool):
        assert out[name] is want
    else:
        assert out[name] == pytest.approx(want, rel=1e-12, abs=1e-9)


def test_function_costs_add_up_to_total_expenses_in_worked_case() -> None:
    out = fc(**MAIN)
    assert sum(out[f"FC_Function_{f}"] for f in FUNCS) == pytest.approx(243500)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_function_costs_add_up_to_total_expenses_in_examples(path: Path) -> None:
    out = compute_full_cost(load_partnership(path))
    assert sum(out[f"FC_Function_{f}"] for f in FUNCS) == pytest.approx(out["FC_TotalExpenses"], rel=1e-12)
    # and the six areas add up to the total
    areas = ["FC_TotalExpenses", "FC_WorkingCapital", "FC_Reserves", "FC_FixedAssets", "FC_DebtPrincipal", "FC_ChangeCapital"]
    assert sum(out[a] for a in areas) == pytest.approx(out["FC_Total"], rel=1e-12)


# ----------------------------------------------------------------------------- focused cases


def test_benefits_rate_default_and_override() -> None:
    # default b = 0.25: 0.5 * 50000 * 1.25 = 31250
    assert fc(staff=[staff("A", 0.5, 50000, "operations")])["FC_Personnel"] == pytest.approx(31250)
    # b = 0.1: 1.5 * 40000 * 1.1 = 66000
    out = fc(assumptions={"benefits_rate": 0.1}, staff=[staff("A", 1.5, 40000, "operations")])
    assert out["FC_Personnel"] == pytest.approx(66000)


def test_in_kind_only_partnership() -> None:
    # staff: 1.0 * 40000 * 1.25 = 50000 in kind; expense 10000 in kind; cash expense 2000
    out = fc(
        staff=[staff("Lent coordinator", 1.0, 40000, "strategy_leadership", in_kind=True)],
        expenses=[expense("Free room", 10000, "occupancy", in_kind=True), expense("Printing", 2000)],
        full_cost={"working_capital": {"months": 3, "current": 0, "build_years": 1},
                   "reserves": {"months": 0, "current": 0, "build_years": 1}},
    )
    assert out["FC_Personnel"] == pytest.approx(50000)
    assert out["FC_NonPersonnel"] == pytest.approx(12000)          # 10000 + 2000
    assert out["FC_TotalExpenses"] == pytest.approx(62000)         # 50000 + 12000
    assert out["FC_InKind"] == pytest.approx(60000)                # 50000 + 10000
    assert out["FC_CashOpex"] == pytest.approx(2000)               # 62000 - 0 - 60000
    assert out["FC_WorkingCapital"] == pytest.approx(500)          # 3 * 2000 / 12 = 500
    assert out["FC_Reserves"] == 0                                 # 0 months
    assert out["FC_Total"] == pytest.approx(62500)                 # 62000 + 500
    assert out["FC_CashNeed"] == pytest.approx(2500)               # 62500 - 60000


def test_later_starts_are_left_out_of_year_one() -> None:
    out = fc(
        staff=[staff("Now", 1.0, 40000, "operations"), staff("Later", 1.0, 999999, "operations", start_year=2),
               staff("Later in kind", 1.0, 500000, "operations", in_kind=True, start_year=3)],
        expenses=[expense("Now", 1000), expense("Later", 77777, start_year=2),
                  expense("Later in kind", 88888, in_kind=True, start_year=4)],
    )
    assert out["FC_Personnel"] == pytest.approx(50000)     # 1.0 * 40000 * 1.25 only
    assert out["FC_NonPersonnel"] == pytest.approx(1000)
    assert out["FC_InKind"] == 0
    assert out["FC_TotalExpenses"] == pytest.approx(51000)


def test_end_year_does_not_remove_a_year_one_position() -> None:
    # end_year 1 still covers year 1
    out = fc(staff=[staff("One year only", 1.0, 40000, "operations", end_year=1)],
             expenses=[expense("One year", 300, end_year=1)])
    assert out["FC_Personnel"] == pytest.approx(50000)
    assert out["FC_NonPersonnel"] == pytest.approx(300)


def test_depreciation_goes_to_the_shared_pool_but_not_cash_opex() -> None:
    # staff: strategy 1.0*40000*1.25 = 50000, data 1.0*24000*1.25 = 30000; P = 80000
    # Shared = depreciation 8000 only: strategy gets 8000 * 50/80 = 5000, data 8000 * 30/80 = 3000
    out = fc(
        staff=[staff("S", 1.0, 40000, "strategy_leadership"), staff("D", 1.0, 24000, "data_impact")],
        full_cost={"depreciation": 8000, "working_capital": {"months": 12, "current": 0, "build_years": 1},
                   "reserves": {"months": 0}},
    )
    assert out["FC_Depreciation"] == pytest.approx(8000)
    assert out["FC_TotalExpenses"] == pytest.approx(88000)                       # 80000 + 8000
    assert out["FC_CashOpex"] == pytest.approx(80000)                            # 88000 - 8000 - 0
    assert out["FC_WorkingCapital"] == pytest.approx(80000)                      # 12 * 80000 / 12
    assert out["FC_Function_strategy_leadership"] == pytest.approx(55000)        # 50000 + 5000
    assert out["FC_Function_data_impact"] == pytest.approx(33000)                # 30000 + 3000
    assert out["FC_Function_operations"] == 0
    assert out["FC_IndirectRate"] == 0                                           # 0 / 88000


def test_unfunded_with_a_function_and_shared_and_default() -> None:
    # P: operations 1.0*40000*1.25 = 50000, advocacy 1.0*40000*1.25 = 50000; P = 100000
    # unfunded: 6000 -> advocacy direct; 4000 shared + 2000 default shared = 6000 shared
    # advocacy = 50000 + 6000 + 6000 * 0.5 = 59000; operations = 50000 + 0 + 3000 = 53000
    out = fc(
        staff=[staff("Ops", 1.0, 40000, "operations"), staff("Policy", 1.0, 40000, "advocacy_policy")],
        full_cost={"unfunded": [{"name": "Policy aide", "amount": 6000, "function": "advocacy_policy"},
                                {"name": "Pay equity", "amount": 4000, "function": "shared"},
                                {"name": "Stipends", "amount": 2000}]},
    )
    assert out["FC_Unfunded"] == pytest.approx(12000)
    assert out["FC_TotalExpenses"] == pytest.approx(112000)     # 100000 + 12000
    assert out["FC_Function_advocacy_policy"] == pytest.approx(59000)
    assert out["FC_Function_operations"] == pytest.approx(53000)
    # IndirectRate = 53000 / (112000 - 53000) = 53000 / 59000
    assert out["FC_IndirectRate"] == pytest.approx(53000 / 59000)
    # unfunded amounts are cash: CashOpex = 112000 - 0 - 0
    assert out["FC_CashOpex"] == pytest.approx(112000)


def test_working_capital_and_reserves_never_negative_when_current_exceeds_target() -> None:
    # CashOpex = 1.0 * 96000 * 1.25 = 120000; one month = 10000
    # WC target 2 * 10000 = 20000 < current 50000 -> max(0, -30000) / 2 = 0
    # reserves target 3 * 10000 = 30000 < current 30001 -> 0
    out = fc(staff=[staff("A", 1.0, 96000, "operations")],
             full_cost={"working_capital": {"months": 2, "current": 50000, "build_years": 2},
                        "reserves": {"months": 3, "current": 30001, "build_years": 3}})
    assert out["FC_WorkingCapital"] == 0
    assert out["FC_Reserves"] == 0
    assert out["FC_Total"] == pytest.approx(120000)
    assert out["FC_RequiredSurplus"] == pytest.approx(0)
    assert out["FC_RequiredSurplusPct"] == pytest.approx(0)


def test_working_capital_and_reserves_built_over_several_years() -> None:
    # CashOpex = 120000 (as above); one month = 10000
    # WC = max(0, 1.5 * 10000 - 3000) / 3 = 12000 / 3 = 4000
    # reserves = max(0, 4 * 10000 - 0) / 5 = 40000 / 5 = 8000
    out = fc(staff=[staff("A", 1.0, 96000, "operations")],
             full_cost={"working_capital": {"months": 1.5, "current": 3000, "build_years": 3},
                        "reserves": {"months": 4, "current": 0, "build_years": 5}})
    assert out["FC_WorkingCapital"] == pytest.approx(4000)
    assert out["FC_Reserves"] == pytest.approx(8000)
    assert out["FC_Total"] == pytest.approx(132000)               # 120000 + 4000 + 8000
    assert out["FC_RequiredSurplus"] == pytest.approx(12000)
    assert out["FC_RequiredSurplusPct"] == pytest.approx(0.1)     # 12000 / 120000


def test_change_capital_amount_over_years() -> None:
    # 100000 / 4 + 30000 / 1 (default years) + 7000 / 7 = 25000 + 30000 + 1000 = 56000
    out = fc(full_cost={"change_capital": [{"name": "A", "amount": 100000, "years": 4},
                                           {"name": "B", "amount": 30000},
                                           {"name": "C", "amount": 7000, "years": 7}]})
    assert out["FC_ChangeCapital"] == pytest.approx(56000)


def test_fixed_assets_and_debt_principal_sums() -> None:
    out = fc(full_cost={"fixed_asset_additions": [{"name": "a", "amount": 1200}, {"name": "b", "amount": 800.5}],
                        "debt_principal": [{"name": "loan", "amount": 5000}, {"name": "loc", "amount": 2500}]})
    assert out["FC_FixedAssets"] == pytest.approx(2000.5)     # 1200 + 800.5
    assert out["FC_DebtPrincipal"] == pytest.approx(7500)     # 5000 + 2500
    assert out["FC_Total"] == pytest.approx(9500.5)           # 0 expenses + 2000.5 + 7500
    assert out["FC_CashNeed"] == pytest.approx(9500.5)


def test_required_surplus_pct_is_zero_when_total_expenses_is_zero() -> None:
    # no staff or expenses: TotalExpenses = 0; Total = 5000 (fixed assets); RequiredSurplus = 5000
    out = fc(full_cost={"fixed_asset_additions": [{"name": "a", "amount": 5000}]})
    assert out["FC_TotalExpenses"] == 0
    assert out["FC_Total"] == pytest.approx(5000)
    assert out["FC_RequiredSurplus"] == pytest.approx(5000)
    assert out["FC_RequiredSurplusPct"] == 0
    assert out["FC_IndirectRate"] == 0                          # divisor 0 - 0 = 0


def test_indirect_rate_is_zero_when_everything_is_operations() -> None:
    # all cost is operations: divisor = TotalExpenses - operations = 0
    out = fc(staff=[staff("Ops", 1.0, 40000, "operations")], expenses=[expense("Fee", 1000, function="operations")])
    assert out["FC_Function_operations"] == pytest.approx(51000)   # 50000 + 1000
    assert out["FC_TotalExpenses"] == pytest.approx(51000)
    assert out["FC_IndirectRate"] == 0


def test_indirect_rate_simple() -> None:
    # operations 1.0*20000*1.25 = 25000; strategy 1.0*80000*1.25 = 100000 -> 25000 / 100000 = 0.25
    out = fc(staff=[staff("Ops", 1.0, 20000, "operations"), staff("ED", 1.0, 80000, "strategy_leadership")])
    assert out["FC_IndirectRate"] == pytest.approx(0.25)
    assert out["FC_IndirectCap"] == pytest.approx(0.15)           # default funder_indirect_cap


def test_no_staff_sends_whole_shared_pool_to_operations() -> None:
    # P = 0: Shared = 10000 (expense) + 2000 (unfunded default shared) + 1000 (depreciation) = 13000 -> operations
    out = fc(expenses=[expense("Room", 10000, "occupancy"), expense("Licence", 5000, "technology_data", function="data_impact")],
             full_cost={"depreciation": 1000, "unfunded": [{"name": "x", "amount": 2000}]})
    assert out["FC_Function_operations"] == pytest.approx(13000)
    assert out["FC_Function_data_impact"] == pytest.approx(5000)
    for f in ("strategy_leadership", "community_engagement", "advocacy_policy", "funding_alignment"):
        assert out[f"FC_Function_{f}"] == 0
    assert out["FC_TotalExpenses"] == pytest.approx(18000)         # 0 + 15000 + 1000 + 2000
    # IndirectRate = 13000 / (18000 - 13000) = 2.6
    assert out["FC_IndirectRate"] == pytest.approx(2.6)


def test_zero_salary_staff_count_as_p_zero() -> None:
    # staff exist but cost 0, so P = 0 and the shared 4000 still goes to operations
    out = fc(staff=[staff("Volunteer", 1.0, 0, "strategy_leadership")], expenses=[expense("Room", 4000)])
    assert out["FC_Function_operations"] == pytest.approx(4000)
    assert out["FC_Function_strategy_leadership"] == 0


def test_only_year_one_staff_drive_the_shared_allocation() -> None:
    # A year-2 hire in data_impact must not attract shared costs in year 1:
    # P = strategy 1.0 * 40000 * 1.25 = 50000 only; Shared 1000 -> all to strategy
    out = fc(staff=[staff("ED", 1.0, 40000, "strategy_leadership"), staff("Analyst", 1.0, 40000, "data_impact", start_year=2)],
             expenses=[expense("Room", 1000)])
    assert out["FC_Function_strategy_leadership"] == pytest.approx(51000)
    assert out["FC_Function_data_impact"] == 0


def test_in_kind_staff_share_in_function_allocation() -> None:
    # "sum over all staff": in-kind positions count in P_f.
    # cash ED strategy 1.0*40000*1.25 = 50000; in-kind analyst data 1.0*40000*1.25 = 50000; P = 100000
    # shared 10000 -> 5000 each
    out = fc(staff=[staff("ED", 1.0, 40000, "strategy_leadership"), staff("Analyst", 1.0, 40000, "data_impact", in_kind=True)],
             expenses=[expense("Room", 10000)])
    assert out["FC_Function_strategy_leadership"] == pytest.approx(55000)
    assert out["FC_Function_data_impact"] == pytest.approx(55000)


def test_bare_function_id_means_share_one() -> None:
    # 0.8 * 50000 * 1.25 = 50000 all to advocacy_policy
    out = fc(staff=[staff("Policy", 0.8, 50000, "advocacy_policy")])
    assert out["FC_Function_advocacy_policy"] == pytest.approx(50000)
    assert sum(out[f"FC_Function_{f}"] for f in FUNCS if f != "advocacy_policy") == 0


def test_split_shares_within_tolerance() -> None:
    # shares 0.5 + 0.4995 = 0.9995 (within +-0.001): P_f = cost * share exactly as given
    # cost = 1.0 * 80000 * 1.25 = 100000 -> strategy 50000, funding 49950; Shared 0
    out = fc(staff=[staff("ED", 1.0, 80000, {"strategy_leadership": 0.5, "funding_alignment": 0.4995})])
    assert out["FC_Function_strategy_leadership"] == pytest.approx(50000)
    assert out["FC_Function_funding_alignment"] == pytest.approx(49950)


def test_expected_revenue_with_default_probabilities() -> None:
    # defaults committed 1.0, likely 0.75, possible 0.4, prospect 0.1
    # 10000 * 1.0 + 10000 * 0.75 + 10000 * 0.4 + 10000 * 0.1 = 10000 + 7500 + 4000 + 1000 = 22500
    out = fc(revenue=[rev("a", "philanthropy", "committed", [10000, 5]), rev("b", "public", "likely", [10000]),
                      rev("c", "earned_revenue", "possible", [10000]), rev("d", "individual_corporate", "prospect", [10000])])
    assert out["FC_ExpectedRevenue"] == pytest.approx(22500)
    assert out["FC_Revenue_philanthropy"] == pytest.approx(10000)
    assert out["FC_Revenue_public"] == pytest.approx(7500)
    assert out["FC_Revenue_earned_revenue"] == pytest.approx(4000)
    assert out["FC_Revenue_individual_corporate"] == pytest.approx(1000)
    assert out["FC_Revenue_partner_contributions"] == 0
    # no costs: Gap = CashNeed - Expected = 0 - 22500
    assert out["FC_Gap"] == pytest.approx(-22500)


def test_expected_revenue_with_overridden_probabilities() -> None:
    # committed 0.9, likely 0.6, possible 0.2, prospect 0
    # 10000 * 0.9 + 20000 * 0.6 + 10000 * 0.2 + 50000 * 0 = 9000 + 12000 + 2000 + 0 = 23000
    out = fc(assumptions={"confidence_probability": {"committed": 0.9, "likely": 0.6, "possible": 0.2, "prospect": 0.0}},
             revenue=[rev("a", "public", "committed", [10000]), rev("b", "public", "likely", [20000]),
                      rev("c", "public", "possible", [10000]), rev("d", "philanthropy", "prospect", [50000])])
    assert out["FC_ExpectedRevenue"] == pytest.approx(23000)
    assert out["FC_Revenue_public"] == pytest.approx(23000)
    assert out["FC_Revenue_philanthropy"] == 0


def test_revenue_with_empty_amounts_counts_zero() -> None:
    out = fc(revenue=[rev("No amounts yet", "philanthropy", "committed", []), {"name": "defaults", "stream": "public", "confidence": "likely"}])
    assert out["FC_ExpectedRevenue"] == 0
    assert out["FC_Revenue_philanthropy"] == 0
    assert out["FC_Revenue_public"] == 0


def test_restricted_revenue_still_counts_in_expected_revenue() -> None:
    out = fc(revenue=[rev("Restricted", "public", "committed", [1000], restricted=True)])
    assert out["FC_ExpectedRevenue"] == pytest.approx(1000)


def test_gap_positive_means_shortfall() -> None:
    # CashNeed = 1.0 * 40000 * 1.25 = 50000 (no other areas); expected = 30000 -> Gap 20000
    out = fc(staff=[staff("A", 1.0, 40000, "operations")], revenue=[rev("g", "philanthropy", "committed", [30000])],
             full_cost={"working_capital": {"months": 0}, "reserves": {"months": 0}})
    assert out["FC_CashNeed"] == pytest.approx(50000)
    assert out["FC_Gap"] == pytest.approx(20000)


def test_empty_partnership_is_all_zero() -> None:
    out = fc()
    for name, value in out.items():
        if name == "FC_IndirectCap":
            assert value == pytest.approx(0.15)
        elif name == "FC_Checks_OK":
            assert value is True
        elif name == "FC_CF_LowestMonth":  # every month ties at 0: the first one
            assert value == 1
        elif isinstance(value, list):
            assert value == [0] * 12, name
        else:
            assert value == 0, name



# ----------------------------------------------------------------------------- every cost in operations

#: Riverside with every cost in operations, amounts drawn once at random: total expenses less operations is 0
#: by hand, but in floating point the two sums, taken in different orders, differ by a residue.
ALL_OPERATIONS = Path(__file__).resolve().parent / "fixtures" / "all-operations.yaml"


def test_every_cost_in_operations_has_no_direct_base_and_a_rate_of_zero() -> None:
    """SPEC 3: the rate is 0 when its divisor (total expenses less operations) is 0. Summed from the direct
    functions that divisor is exactly 0 here; the difference would leave a residue and a rate of about 10^16."""
    out = compute_full_cost(load_partnership(ALL_OPERATIONS), C)
    assert out["FC_TotalExpenses"] - out["FC_Function_operations"] != 0  # the residue the difference leaves
    assert out["FC_TotalExpenses"] == pytest.approx(out["FC_Function_operations"], rel=1e-12)
    assert all(out[f"FC_Function_{f}"] == 0 for f in FUNCS if f != "operations")
    assert out["FC_IndirectRate"] == 0
