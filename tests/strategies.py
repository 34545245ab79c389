"""Hypothesis strategies that generate valid partnership data files (SPEC section 2)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import strategies as st

from generator.content import load_content

C = load_content()
FUNCS = C.function_ids
STRUCTS = C.structure_ids
STREAMS = C.stream_ids
CATS = C.category_ids
LEVELS = C.level_ids

money = st.one_of(st.just(0), st.integers(0, 400_000), st.floats(0, 250_000, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2)))
small_money = st.one_of(st.just(0), st.integers(0, 60_000))
share = st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 3))
names = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(lambda s: s.strip() != ""),
    st.sampled_from(['=HYPERLINK("http://x","y")', "=1+1", "+SUM(A1)", "@risk", "O'Brien & Co", "Ünïcode ✓ partnership", "-5"]),
)


@st.composite
def function_shares(draw: Any) -> Any:
    """A bare id or a mapping of shares adding up to exactly 1."""
    if draw(st.booleans()):
        return draw(st.sampled_from(FUNCS))
    chosen = draw(st.lists(st.sampled_from(FUNCS), min_size=1, max_size=4, unique=True))
    weights = [draw(st.integers(1, 20)) for _ in chosen]
    total = sum(weights)
    shares = [round(w / total, 4) for w in weights]
    shares[-1] = round(1 - sum(shares[:-1]), 4)
    if shares[-1] < 0:
        return chosen[0]
    return dict(zip(chosen, shares))


month_lists = st.lists(st.integers(1, 12), min_size=1, max_size=5, unique=True)


@st.composite
def timing(draw: Any) -> Any:
    """SPEC section 6: a revenue source's timing, or None for the stream's default."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return None
    schedule = draw(st.sampled_from(["even", "upfront", "quarterly", "semiannual", "custom"]))
    out: dict[str, Any] = {"schedule": schedule}
    if kind >= 2:  # kind 1: no lag given (lag 0)
        out["lag_months"] = draw(st.integers(0, 11))
    if schedule == "custom":
        out["months"] = draw(month_lists)
    return out


@st.composite
def scenario(draw: Any, sid: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": sid, "name": draw(st.sampled_from(["Base", "Lean year", "Grant lost", "Growth", "Cuts", "ED leaves"])) + f" {sid}"}
    if draw(st.booleans()):
        out["description"] = draw(st.text(max_size=40))
    if draw(st.booleans()):
        out["realization"] = {lv: draw(share) for lv in draw(st.lists(st.sampled_from(LEVELS), unique=True, max_size=4))}
    if draw(st.booleans()):
        out["stream_multipliers"] = {k: draw(st.floats(0, 2).map(lambda x: round(x, 2))) for k in draw(st.lists(st.sampled_from(STREAMS), unique=True, max_size=3))}
    if draw(st.booleans()):
        out["salary_growth"] = draw(st.one_of(st.just(0), st.floats(-0.1, 0.15).map(lambda x: round(x, 3))))
    if draw(st.booleans()):
        out["expense_multiplier"] = draw(st.floats(0, 2).map(lambda x: round(x, 2)))
    return out


def _no_prefix_clash(ids: list[str]) -> list[str]:
    """The ids with none the prefix of another plus "_" (the schema refuses those: their names in the
    workbook could collide). A map, not a filter, so that it draws nothing and the data stay the same."""
    out: list[str] = []
    for i in ids:
        if any(o != i and i.startswith(o + "_") for o in ids):
            i = i.replace("_", "z")
        while i in out or i in ids and i not in (ids[len(out)],):
            i += "z"
        out.append(i)
    return out


@st.composite
def partnership_data(draw: Any, min_years: int = 3, max_years: int = 10, max_items: int = 7,
                     n_scenarios: int | None = None) -> dict[str, Any]:
    """A valid partnership data file as a dict (`n_scenarios`: that many scenarios of its own;
    0: the template's scenarios; None: either, drawn)."""
    years = draw(st.integers(min_years, max_years))
    custom = draw(st.booleans()) if n_scenarios is None else n_scenarios > 0
    if custom:
        n_scen = draw(st.integers(1, 6)) if n_scenarios is None else n_scenarios
        sids = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=n_scen, max_size=n_scen, unique=True)
                    .map(_no_prefix_clash))
        scenarios = [draw(scenario(sid)) for sid in sids]
    else:
        scenarios = None
        sids = [s.id for s in C.scenarios]

    def span() -> dict[str, Any]:
        start = draw(st.integers(1, years))
        out: dict[str, Any] = {}
        if start != 1 or draw(st.booleans()):
            out["start_year"] = start
        if draw(st.booleans()):
            out["end_year"] = draw(st.integers(start, years))
        return out

    def scen_list() -> Any:
        if draw(st.integers(0, 2)) == 0:
            return {"scenarios": draw(st.lists(st.sampled_from(sids), unique=True, max_size=len(sids)))}
        return {}

    staff = []
    for _ in range(draw(st.integers(0, max_items))):
        s = {"title": draw(names), "fte": draw(st.sampled_from([0.1, 0.25, 0.5, 0.8, 1.0, 1.2, 1.5])),
             "salary": draw(money), "functions": draw(function_shares())}
        if draw(st.booleans()):
            s["in_kind"] = draw(st.booleans())
        s.update(span())
        s.update(scen_list())
        staff.append(s)
    expenses = []
    for _ in range(draw(st.integers(0, max_items))):
        e = {"name": draw(names), "category": draw(st.sampled_from(CATS)), "amount": draw(money)}
        if draw(st.booleans()):
            e["function"] = draw(st.sampled_from(FUNCS + ["shared"]))
        if draw(st.booleans()):
            e["in_kind"] = draw(st.booleans())
        if draw(st.integers(0, 2)) == 0:
            e["payment_months"] = draw(month_lists)
        e.update(span())
        expenses.append(e)
    revenue = []
    for _ in range(draw(st.integers(0, max_items))):
        revenue.append({"name": draw(names), "stream": draw(st.sampled_from(STREAMS)), "confidence": draw(st.sampled_from(LEVELS)),
                        "restricted": draw(st.booleans()),
                        "amounts": draw(st.lists(money, min_size=0, max_size=years + 2))})
        t = draw(timing())
        if t is not None:
            revenue[-1]["timing"] = t
    assumptions: dict[str, Any] = {}
    if draw(st.booleans()):
        assumptions = {"benefits_rate": draw(st.floats(0, 0.5).map(lambda x: round(x, 3))),
                       "salary_growth": draw(st.floats(0, 0.08).map(lambda x: round(x, 3))),
                       "expense_inflation": draw(st.floats(0, 0.08).map(lambda x: round(x, 3))),
                       "funder_indirect_cap": draw(st.floats(0, 0.3).map(lambda x: round(x, 3))),
                       "confidence_probability": {lv: draw(share) for lv in draw(st.lists(st.sampled_from(LEVELS), unique=True, max_size=4))}}
    full_cost = {
        "depreciation": draw(small_money),
        "unfunded": [{"name": draw(names), "amount": draw(small_money), **({"function": draw(st.sampled_from(FUNCS + ["shared"]))} if draw(st.booleans()) else {})}
                     for _ in range(draw(st.integers(0, 3)))],
        "working_capital": {"months": draw(st.sampled_from([0, 1, 2, 1.5, 3])), "current": draw(small_money), "build_years": draw(st.integers(1, 4)),
                            **({"method": draw(st.sampled_from(["months", "cash_flow"]))} if draw(st.booleans()) else {})},
        "reserves": {"months": draw(st.sampled_from([0, 3, 6, 2.5])), "current": draw(small_money), "build_years": draw(st.integers(1, 5))},
        "fixed_asset_additions": [{"name": draw(names), "amount": draw(small_money)} for _ in range(draw(st.integers(0, 3)))],
        "debt_principal": [{"name": draw(names), "amount": draw(small_money)} for _ in range(draw(st.integers(0, 2)))],
        "change_capital": [{"name": draw(names), "amount": draw(money), "years": draw(st.integers(1, 5))} for _ in range(draw(st.integers(0, 3)))],
    }
    wc = full_cost["working_capital"]
    if wc.get("method") == "cash_flow" and wc["months"] == 0:  # SPEC 6.1: months may be left out (no extra draw)
        del wc["months"]
    one_time = []
    for _ in range(draw(st.integers(0, 3))):
        o = {"name": draw(names), "year": draw(st.integers(1, years)), "amount": draw(st.integers(-50_000, 80_000))}
        o.update(scen_list())
        one_time.append(o)
    org: dict[str, Any] = {"name": draw(names), "backbone_structure": draw(st.sampled_from(STRUCTS)),
                           "fiscal_year_start": draw(st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)))}
    if draw(st.booleans()):
        org["region"] = draw(names)
    if draw(st.booleans()):
        org["focus"] = draw(names)
    data: dict[str, Any] = {
        "schema": "pbp-toolkit/partnership/1",
        "organization": org,
        "staff": staff,
        "expenses": expenses,
        "revenue": revenue,
        "full_cost": full_cost,
        "projections": {"years": years, "starting_cash": draw(st.integers(-20_000, 400_000)), "one_time": one_time, "scenarios": scenarios},
    }
    if assumptions:
        data["assumptions"] = assumptions
    return data


@contextmanager
def _no_local_constants() -> Iterator[None]:
    """Hypothesis mixes the literals of every local module loaded so far (generator/'s strings and numbers)
    into about one draw in twenty, so a derandomized batch still changed with what a run had imported (the
    print audit's generated files were not those of the same call in a bare process) and with every edit of
    generator/. Off while a fixed batch is drawn; its private hook is left alone if a later Hypothesis has
    none (test_strategies holds the batch to one drawn in a bare process)."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
        hook = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE
    except (ImportError, AttributeError):
        yield
        return
    cache.cache.clear()
    providers._get_local_constants = Constants  # type: ignore[assignment]
    try:
        yield
    finally:
        providers._get_local_constants = hook
        cache.cache.clear()


def drawn(n: int, min_years: int = 3, max_years: int = 10) -> list[dict[str, Any]]:
    """n generated data files, the same ones every run (derandomized, without the local constants): for
    tests that build a fixed batch up front (the engines' proof, the print audit) rather than run under @given."""
    from hypothesis import HealthCheck, given, settings

    found: list[dict[str, Any]] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(partnership_data(min_years=min_years, max_years=max_years))
    def collect(data: dict[str, Any]) -> None:
        found.append(data)

    with _no_local_constants():
        collect()
    return found[:n]
