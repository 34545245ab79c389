"""SPEC section 6: the year-1 cash flow by month, in pure Python.

`compute_cash_flow(p)` returns the `FC_CF_` outputs keyed by their defined names (the
1 x 12 rows as lists, month 1 first). Only cash counts: in-kind staff and expenses and
depreciation are left out; revenue counts at its expected (confidence-weighted) amount.
Nothing here knows about Excel.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..content import Content, load_content
from ..schema import Expense, Partnership, Revenue

MONTHS = 12
#: Two positions closer than this count as equal when finding the lowest month: half a cent,
#: so that an engine's summation order never moves the answer between two tied months.
TIE = 0.005


@dataclass(frozen=True)
class SourceTiming:
    """A revenue source's timing in force: its own, or its stream's default."""

    schedule: str
    lag: int
    months: tuple[int, ...] = ()


def timing_of(r: Revenue, content: Content) -> SourceTiming:
    """The timing in force for a source (SPEC: timing omitted = the stream's default)."""
    if r.timing is None:
        schedule, lag = content.default_timing(r.stream)
        return SourceTiming(schedule, lag)
    if r.timing.schedule is None:  # the stream's usual schedule; its lag unless one is given
        schedule, lag = content.default_timing(r.stream)
        return SourceTiming(schedule, lag if r.timing.lag_months is None else r.timing.lag_months)
    return SourceTiming(r.timing.schedule, r.timing.lag_months or 0, tuple(r.timing.months or ()))


def due_shares(t: SourceTiming) -> list[float]:
    """Share of a source's year-1 money falling due in each month 1..12."""
    if t.schedule == "even":
        return [1 / MONTHS] * MONTHS
    if t.schedule == "upfront":
        return [1.0] + [0.0] * (MONTHS - 1)
    if t.schedule == "quarterly":
        return [0.25 if m in (1, 4, 7, 10) else 0.0 for m in range(1, MONTHS + 1)]
    if t.schedule == "semiannual":
        return [0.5 if m in (1, 7) else 0.0 for m in range(1, MONTHS + 1)]
    if t.schedule == "custom":
        listed = set(t.months)
        return [1 / len(listed) if m in listed else 0.0 for m in range(1, MONTHS + 1)]
    raise ValueError(f"unknown schedule {t.schedule!r}")


def source_inflows(expected: float, t: SourceTiming) -> tuple[list[float], float]:
    """(cash arriving in months 1..12, the part due in year 1 that arrives after month 12)."""
    arrive = [0.0] * MONTHS
    later = 0.0
    for j, share in enumerate(due_shares(t), start=1):
        part = expected * share
        if j + t.lag <= MONTHS:
            arrive[j + t.lag - 1] += part
        else:
            later += part
    return arrive, later


def expense_outflows(e: Expense) -> list[float]:
    """An expense's payments in months 1..12: evenly, or in equal parts in its payment months."""
    if e.payment_months is None:
        return [e.amount / MONTHS] * MONTHS
    listed = set(e.payment_months)
    return [e.amount / len(listed) if m in listed else 0.0 for m in range(1, MONTHS + 1)]


def running(values: list[float]) -> list[float]:
    """Running total from month 1 (the year starts at 0)."""
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


def lowest_month(position: list[float]) -> int:
    """The first month (1..12) whose position equals the lowest one."""
    low = min(position)
    return next(m for m, v in enumerate(position, start=1) if v <= low + TIE)


def compute_cash_flow(p: Partnership, content: Content | None = None, cash_opex: float | None = None,
                      expected_revenue: float | None = None) -> dict[str, float | list[float]]:
    """Every SPEC section 6 output, keyed by its defined name.

    `cash_opex` and `expected_revenue` are FC_CashOpex and FC_ExpectedRevenue (computed by the
    full-cost model when not given), so the scaling uses exactly the numbers the workbook shows.
    """
    from .full_cost import compute_full_cost, staff_cost, year1_expenses, year1_staff

    content = content or load_content()
    if cash_opex is None or expected_revenue is None:
        fc = compute_full_cost(p, content)
        cash_opex, expected_revenue = float(fc["FC_CashOpex"]), float(fc["FC_ExpectedRevenue"])
    b = p.assumptions.benefits_rate
    cash_personnel = sum(staff_cost(s, b) for s in year1_staff(p) if not s.in_kind)
    unfunded = sum(u.amount for u in p.full_cost.unfunded)
    out = [(cash_personnel + unfunded) / MONTHS] * MONTHS
    for e in year1_expenses(p):
        if not e.in_kind:
            out = [a + x for a, x in zip(out, expense_outflows(e))]
    prob = p.probability()
    inflow = [0.0] * MONTHS
    receivable = 0.0
    for r in p.revenue:
        expected = r.amount(1) * prob[r.confidence]
        arrive, later = source_inflows(expected, timing_of(r, content))
        inflow = [a + x for a, x in zip(inflow, arrive)]
        receivable += later
    net = [i - o for i, o in zip(inflow, out)]
    position = running(net)
    need = timing_need(inflow, out, expected_revenue, cash_opex)
    return {
        "FC_CF_Out": out,
        "FC_CF_In": inflow,
        "FC_CF_Receivable": receivable,
        "FC_CF_Net": net,
        "FC_CF_Position": position,
        "FC_CF_Lowest": min(position),
        "FC_CF_LowestMonth": lowest_month(position),
        "FC_CF_TimingNeed": need,
        "FC_CF_MonthsEquivalent": need / (cash_opex / MONTHS) if cash_opex != 0 else 0.0,
    }


def timing_need(inflow: list[float], out: list[float], expected: float, cash_opex: float) -> float:
    """Cash needed for timing alone on a balanced year: inflows scaled to the cash spending."""
    if expected == 0:
        scaled = [cash_opex / MONTHS] * MONTHS
    else:
        scaled = [i * cash_opex / expected for i in inflow]
    return max(0.0, -min(running([s - o for s, o in zip(scaled, out)])))
