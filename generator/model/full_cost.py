"""SPEC section 3: the Full Cost Workbook's numbers, in pure Python.

`compute_full_cost(p)` returns a dict keyed by the SPEC's defined names
(`FC_Total`, `FC_Function_operations`, ...). Nothing here knows about Excel.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..content import INDIRECT_FUNCTION, SHARED, Content, load_content
from ..schema import Expense, Partnership, Staff, Unfunded
from .cash_flow import compute_cash_flow


def year1_staff(p: Partnership) -> list[Staff]:
    """Positions in the Full Cost Workbook: those that start in year 1."""
    return [s for s in p.staff if s.start_year == 1]


def year1_expenses(p: Partnership) -> list[Expense]:
    """Expenses in the Full Cost Workbook: those that start in year 1."""
    return [e for e in p.expenses if e.start_year == 1]


def staff_cost(s: Staff, benefits_rate: float) -> float:
    """cost_i = fte * salary * (1 + b)."""
    return s.fte * s.salary * (1 + benefits_rate)


@dataclass(frozen=True)
class FunctionCosts:
    """The pieces of the function allocation, kept for display and tests."""

    personnel: dict[str, float]   # P_f
    direct: dict[str, float]      # Direct_f
    shared: float                 # Shared
    total: dict[str, float]       # FC_Function_f


def function_costs(p: Partnership, content: Content) -> FunctionCosts:
    """Allocate year-1 costs to functions (SPEC section 3, 'Function costs')."""
    b = p.assumptions.benefits_rate
    fids = content.function_ids
    personnel = {f: 0.0 for f in fids}
    for s in year1_staff(p):
        cost = staff_cost(s, b)
        for f, share in s.functions.items():
            personnel[f] += cost * share
    direct = {f: 0.0 for f in fids}
    shared = p.full_cost.depreciation
    items: list[Expense | Unfunded] = [*year1_expenses(p), *p.full_cost.unfunded]
    for item in items:
        if item.function == SHARED:
            shared += item.amount
        else:
            direct[item.function] += item.amount
    total_p = sum(personnel.values())
    total: dict[str, float] = {}
    for f in fids:
        if total_p == 0:
            alloc = shared if f == INDIRECT_FUNCTION else 0.0
        else:
            alloc = shared * personnel[f] / total_p
        total[f] = personnel[f] + direct[f] + alloc
    return FunctionCosts(personnel, direct, shared, total)


def _target(months: float, current: float, build_years: int, cash_opex: float) -> float:
    return max(0.0, months * cash_opex / 12 - current) / build_years


def compute_full_cost(p: Partnership, content: Content | None = None) -> dict[str, Any]:
    """Every SPEC section 3 output, keyed by its defined name."""
    content = content or load_content()
    b = p.assumptions.benefits_rate
    fc = p.full_cost
    staff = year1_staff(p)
    expenses = year1_expenses(p)

    personnel = sum(staff_cost(s, b) for s in staff)
    non_personnel = sum(e.amount for e in expenses)
    depreciation = fc.depreciation
    unfunded = sum(u.amount for u in fc.unfunded)
    total_expenses = personnel + non_personnel + depreciation + unfunded
    in_kind = sum(staff_cost(s, b) for s in staff if s.in_kind) + sum(e.amount for e in expenses if e.in_kind)
    # SPEC 3 defines it as total expenses less depreciation and in-kind; summed from the cash items
    # instead, so a year with no cash spending gives exactly 0 (the difference leaves a rounding residue,
    # such as -4.5e-14, which each engine computes differently and which FC_CF_MonthsEquivalent divides by)
    cash_opex = float(sum(staff_cost(s, b) for s in staff if not s.in_kind) + sum(e.amount for e in expenses if not e.in_kind)
                      + unfunded)
    prob = p.probability()
    expected = sum(r.amount(1) * prob[r.confidence] for r in p.revenue)
    cash_flow = compute_cash_flow(p, content, cash_opex, expected)
    if fc.working_capital.method == "cash_flow":  # SPEC section 6: sized by the timing need
        wc = max(0.0, float(cash_flow["FC_CF_TimingNeed"]) - fc.working_capital.current) / fc.working_capital.build_years  # type: ignore[arg-type]
    else:
        wc = _target(fc.working_capital.months, fc.working_capital.current, fc.working_capital.build_years, cash_opex)
    reserves = _target(fc.reserves.months, fc.reserves.current, fc.reserves.build_years, cash_opex)
    fixed = sum(a.amount for a in fc.fixed_asset_additions)
    debt = sum(d.amount for d in fc.debt_principal)
    change = sum(c.amount / c.years for c in fc.change_capital)
    total = total_expenses + wc + reserves + fixed + debt + change
    required = total - total_expenses

    by_stream = {k: 0.0 for k in content.stream_ids}
    for r in p.revenue:
        by_stream[r.stream] += r.amount(1) * prob[r.confidence]

    funcs = function_costs(p, content).total
    ops = funcs[INDIRECT_FUNCTION]
    # SPEC 3: total expenses less operations, summed here from the other functions (the same amount, as
    # the functions add up to the total): where every cost is operations the difference leaves a rounding
    # residue (such as 1.2e-10) that the rate would divide by, each engine differently
    direct_total = float(sum(v for f, v in funcs.items() if f != INDIRECT_FUNCTION))

    out: dict[str, float | bool] = {
        "FC_Personnel": personnel,
        "FC_NonPersonnel": non_personnel,
        "FC_Depreciation": depreciation,
        "FC_Unfunded": unfunded,
        "FC_TotalExpenses": total_expenses,
        "FC_InKind": in_kind,
        "FC_CashOpex": cash_opex,
        "FC_WorkingCapital": wc,
        "FC_Reserves": reserves,
        "FC_FixedAssets": fixed,
        "FC_DebtPrincipal": debt,
        "FC_ChangeCapital": change,
        "FC_Total": total,
        "FC_RequiredSurplus": required,
        "FC_RequiredSurplusPct": required / total_expenses if total_expenses != 0 else 0.0,
        "FC_CashNeed": total - in_kind,
        "FC_ExpectedRevenue": expected,
    }
    for k, v in by_stream.items():
        out[f"FC_Revenue_{k}"] = v
    out["FC_Gap"] = out["FC_CashNeed"] - expected
    for f, v in funcs.items():
        out[f"FC_Function_{f}"] = v
    out["FC_IndirectRate"] = ops / direct_total if direct_total != 0 else 0.0
    out["FC_IndirectCap"] = p.assumptions.funder_indirect_cap
    out.update(cash_flow)  # type: ignore[arg-type]
    out["FC_Checks_OK"] = True
    out["FC_Complete"] = full_cost_complete(p)
    return out


def full_cost_complete(p: Partnership) -> bool:
    """SPEC 5 completeness: a year-1 position with FTE > 0 or a year-1 expense above 0 is entered.

    Until then every status the workbook shows says "not filled in yet", never "all checks pass"."""
    return any(s.fte > 0 for s in year1_staff(p)) or any(e.amount > 0 for e in year1_expenses(p))


#: The six areas in order: (area id, defined name).
AREAS: list[tuple[str, str]] = [
    ("total_expenses", "FC_TotalExpenses"),
    ("working_capital", "FC_WorkingCapital"),
    ("reserves", "FC_Reserves"),
    ("fixed_assets", "FC_FixedAssets"),
    ("debt_principal", "FC_DebtPrincipal"),
    ("change_capital", "FC_ChangeCapital"),
]
