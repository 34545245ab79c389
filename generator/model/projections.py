"""SPEC section 4: the Scenario Projections Tool's numbers, in pure Python.

`compute_projections(p)` returns a dict keyed by defined name; every row output is a
list of N numbers (year 1 first). Beyond the SPEC it also gives, per scenario:
runway (first fiscal year with ending cash below zero / below the reserve target),
revenue concentration (largest source, largest stream) and the restricted share.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..content import Content, load_content
from ..schema import Partnership, Scenario

NONE_LABEL = "none"
#: What a runway reads while the workbook is not filled in (SPEC 5: never a reassuring "none").
NOT_APPLICABLE = "not applicable"


def fy_labels(p: Partnership) -> list[str]:
    """Column labels FY2027, FY2028, ... for the projection years."""
    first = p.organization.first_fy
    return [f"FY{first + t}" for t in range(p.years)]


def realization(p: Partnership, s: Scenario) -> dict[str, float]:
    """Share of each confidence level received in scenario s (levels left out = probability)."""
    out = p.probability()
    out.update(s.realization or {})
    return out


def salary_growth(p: Partnership, s: Scenario) -> float:
    """g_s: the scenario's own salary growth when given (0 counts), else the assumption."""
    return p.assumptions.salary_growth if s.salary_growth is None else s.salary_growth


def multiplier(s: Scenario, stream: str) -> float:
    """m_s,k: the scenario's multiplier for a stream (1.0 when not named)."""
    return (s.stream_multipliers or {}).get(stream, 1.0)


def active(start: int, end: int | None, t: int, years: int) -> bool:
    """Is an item with this start and end year active in year t?"""
    return start <= t <= (years if end is None else end)


def scenario_names_ok(scenarios: list[Scenario]) -> bool:
    """Every scenario has a name, and no two names are the same ignoring case.

    The workbook's Scenario View picks a scenario by name (MATCH ignores case), so the
    Checks sheet fails on repeated names; SP_Checks_OK mirrors that check.
    """
    names = [s.name.lower() for s in scenarios]
    return all(names) and len(set(names)) == len(names)


def in_scenario(scenarios: list[str] | None, sid: str) -> bool:
    """Is an item with this `scenarios` list in scenario sid?"""
    return scenarios is None or sid in scenarios


@dataclass(frozen=True)
class ScenarioResult:
    """All rows of one scenario, each a list of N values."""

    scenario: Scenario
    revenue_by_stream: dict[str, list[float]]
    revenue_by_source: list[list[float]]
    rows: dict[str, list]  # suffix -> row (Revenue, Personnel, ...)
    runway_cash: str
    runway_reserve: str


def project_scenario(p: Partnership, s: Scenario, content: Content) -> ScenarioResult:
    """Every row of one scenario."""
    n = p.years
    years = range(1, n + 1)
    b = p.assumptions.benefits_rate
    i = p.assumptions.expense_inflation
    g = salary_growth(p, s)
    r = realization(p, s)
    e = s.expense_multiplier
    reserve_months = p.full_cost.reserves.months

    by_source = [[src.amount(t) * r[src.confidence] * multiplier(s, src.stream) for t in years] for src in p.revenue]
    by_stream = {k: [0.0] * n for k in content.stream_ids}
    restricted = [0.0] * n
    for src, row in zip(p.revenue, by_source):
        for t in range(n):
            by_stream[src.stream][t] += row[t]
            if src.restricted:
                restricted[t] += row[t]
    revenue = [sum(by_stream[k][t] for k in by_stream) for t in range(n)]

    cash_staff = [st for st in p.staff if not st.in_kind and in_scenario(st.scenarios, s.id)]
    personnel = [
        sum(st.fte * st.salary * (1 + g) ** (t - 1) * (1 + b) for st in cash_staff if active(st.start_year, st.end_year, t, n))
        for t in years
    ]
    fte = [sum(st.fte for st in cash_staff if active(st.start_year, st.end_year, t, n)) for t in years]
    non_personnel = [
        sum(ex.amount * (1 + i) ** (t - 1) * e for ex in p.expenses if not ex.in_kind and active(ex.start_year, ex.end_year, t, n))
        for t in years
    ]
    one_time = [sum(o.amount for o in p.projections.one_time if o.year == t and in_scenario(o.scenarios, s.id)) for t in years]
    expenses = [personnel[t] + non_personnel[t] + one_time[t] for t in range(n)]
    surplus = [revenue[t] - expenses[t] for t in range(n)]
    end_cash: list[float] = []
    cash = p.projections.starting_cash
    for t in range(n):
        cash += surplus[t]
        end_cash.append(cash)
    months = [end_cash[t] / (expenses[t] / 12) if expenses[t] != 0 else "" for t in range(n)]
    target = [reserve_months * expenses[t] / 12 for t in range(n)]
    reserve_gap = [max(0.0, target[t] - end_cash[t]) for t in range(n)]

    def share(part: list[float]) -> list[float]:
        return [part[t] / revenue[t] if revenue[t] != 0 else 0.0 for t in range(n)]

    top_source = [max((row[t] for row in by_source), default=0.0) for t in range(n)]
    top_stream = [max(by_stream[k][t] for k in by_stream) if by_stream else 0.0 for t in range(n)]
    labels = fy_labels(p)
    runway_cash = next((labels[t] for t in range(n) if end_cash[t] < 0), NONE_LABEL)
    runway_reserve = next((labels[t] for t in range(n) if end_cash[t] < target[t]), NONE_LABEL)
    if not projections_complete(p):
        runway_cash = runway_reserve = NOT_APPLICABLE

    rows: dict[str, list] = {
        "Revenue": revenue,
        "Personnel": personnel,
        "FTE": fte,
        "NonPersonnel": non_personnel,
        "OneTime": one_time,
        "Expenses": expenses,
        "Surplus": surplus,
        "EndCash": end_cash,
        "MonthsCash": months,
        "ReserveTarget": target,
        "ReserveGap": reserve_gap,
        "TopSourceShare": share(top_source),
        "TopStreamShare": share(top_stream),
        "RestrictedShare": share(restricted),
    }
    return ScenarioResult(s, by_stream, by_source, rows, runway_cash, runway_reserve)


def compute_projections(p: Partnership, content: Content | None = None) -> dict[str, Any]:
    """Every SPEC section 4 output (and the extras), keyed by defined name."""
    content = content or load_content()
    out: dict[str, object] = {}
    scenarios = p.scenario_list(content)
    for s in scenarios:
        res = project_scenario(p, s, content)
        for k, row in res.revenue_by_stream.items():
            out[f"SP_{s.id}_Revenue_{k}"] = row
        for suffix, row in res.rows.items():
            out[f"SP_{s.id}_{suffix}"] = row
        out[f"SP_{s.id}_RunwayCash"] = res.runway_cash
        out[f"SP_{s.id}_RunwayReserve"] = res.runway_reserve
    out["SP_Checks_OK"] = scenario_names_ok(scenarios)
    out["SP_Complete"] = projections_complete(p)
    return out


def projections_complete(p: Partnership) -> bool:
    """SPEC 5 completeness: a position with FTE > 0 or an expense above 0 that is active in some
    projection year (in-kind ones count: they are entered, even if not cash)."""
    n = p.years
    return (any(s.fte > 0 and any(active(s.start_year, s.end_year, t, n) for t in range(1, n + 1)) for s in p.staff)
            or any(e.amount > 0 and any(active(e.start_year, e.end_year, t, n) for t in range(1, n + 1)) for e in p.expenses))
