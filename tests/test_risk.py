"""Risk analysis (generator/model/risk.py): the Monte Carlo against hand arithmetic and exact enumeration."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from generator.build import example_names, example_path
from generator.model import risk
from generator.model.projections import compute_projections
from generator.model.risk import RiskError, binomial_tolerance, exact, simulate
from generator.schema import load_partnership, validate_data

PROBS = {"committed": 1.0, "likely": 0.8, "possible": 0.4, "prospect": 0.2}


def make(revenue: list[dict[str, Any]], starting_cash: float = 10_000, years: int = 3, salary: float = 100_000,
         probability: dict[str, float] | None = None, scenarios: list | None = None) -> Any:
    """One 1.0 FTE post at `salary`, no benefits, no growth, 3 months of reserves: Expenses_t = salary."""
    return validate_data({
        "organization": {"name": "Risk test", "backbone_structure": "standalone_nonprofit", "fiscal_year_start": "2026-07-01"},
        "assumptions": {"benefits_rate": 0.0, "salary_growth": 0.0, "expense_inflation": 0.0,
                        "confidence_probability": probability or PROBS},
        "staff": [{"title": "Director", "fte": 1.0, "salary": salary, "functions": "operations"}],
        "revenue": revenue,
        "full_cost": {"reserves": {"months": 3}},
        "projections": {"years": years, "starting_cash": starting_cash, "scenarios": scenarios},
    }, "risk-test.yaml")


def src(name: str, confidence: str, amount: float, years: int = 3, stream: str = "philanthropy") -> dict[str, Any]:
    return {"name": name, "stream": stream, "confidence": confidence, "amounts": [amount] * years}


THREE = [src("A", "likely", 60_000), src("B", "possible", 40_000), src("C", "prospect", 30_000)]

# The three-source case by hand. Expenses 100,000 a year; reserve target 3 * 100,000 / 12 = 25,000;
# starting cash 10,000. A arrives with p = 0.8 (60,000 a year), B with 0.4 (40,000), C with 0.2 (30,000).
# Arrival (A,B,C), probability, yearly revenue R, ending cash 10,000 + t * (R - 100,000) for t = 1, 2, 3:
#   000  .2*.6*.8 = .096   R =       0   -90,000  -190,000  -290,000
#   001  .2*.6*.2 = .024   R =  30,000   -60,000  -130,000  -200,000
#   010  .2*.4*.8 = .064   R =  40,000   -50,000  -110,000  -170,000
#   100  .8*.6*.8 = .384   R =  60,000   -30,000   -70,000  -110,000
#   011  .2*.4*.2 = .016   R =  70,000   -20,000   -50,000   -80,000
#   101  .8*.6*.2 = .096   R =  90,000         0   -10,000   -20,000
#   110  .8*.4*.8 = .256   R = 100,000    10,000    10,000    10,000
#   111  .8*.4*.2 = .064   R = 130,000    40,000    70,000   100,000
# (the probabilities add up to 1.000). The rows are in the same order every year, so the CDF
# over them is .096, .120, .184, .568, .584, .680, .936, 1.000 in every year.
# P(cash < 0): year 1 the first five rows (101 ends at exactly 0, not below) = .584;
#   years 2 and 3 the first six = .680.  P(cash < 0 in any year so far) is the same: .584, .680, .680.
# P(cash < 25,000): every row but 111 in every year = 1 - .064 = .936.
# P10 = first value whose CDF >= .10 = row 001; P50: CDF >= .50 first at row 100; P90: first at row 110.
# Mean: E[R] = .8*60,000 + .4*40,000 + .2*30,000 = 70,000, so 10,000 + t * (70,000 - 100,000).
HAND = {
    "p_below_zero": [0.584, 0.680, 0.680],
    "p_below_reserve": [0.936, 0.936, 0.936],
    "p_ever_below_zero": [0.584, 0.680, 0.680],
    "p10": [-60_000, -130_000, -200_000],
    "p50": [-30_000, -70_000, -110_000],
    "p90": [10_000, 10_000, 10_000],
    "mean": [-20_000, -50_000, -80_000],
    "expenses": [100_000, 100_000, 100_000],
    "reserve_target": [25_000, 25_000, 25_000],
}
PROBABILITY_FIELDS = ("p_below_zero", "p_below_reserve", "p_ever_below_zero")


def test_exact_matches_hand_arithmetic() -> None:
    result = exact(make(THREE))
    assert result.method == "exact" and result.labels == ["FY2027", "FY2028", "FY2029"]
    for name, want in HAND.items():
        assert getattr(result, name) == pytest.approx(want, abs=1e-9), name


def test_simulation_matches_exact_within_binomial_tolerance() -> None:
    runs = 200_000
    p = make(THREE)
    want, got = exact(p), simulate(p, runs=runs, seed=20240611)
    assert got.runs == runs and got.seed == 20240611 and got.method == "monte-carlo"
    for name in PROBABILITY_FIELDS:
        for t, (g, w) in enumerate(zip(getattr(got, name), getattr(want, name))):
            assert abs(g - w) <= binomial_tolerance(w, runs), (name, t, g, w)
    # the CDF never sits within 4 sigma of .10, .50 or .90 here, so the percentiles are the exact atoms
    for name in ("p10", "p50", "p90"):
        assert getattr(got, name) == getattr(want, name) == pytest.approx(HAND[name]), name
    # mean ending cash: sd of yearly revenue is sqrt(sum a^2 p (1 - p)) ~ 33,900, times t
    sd = np.sqrt(60_000**2 * .16 + 40_000**2 * .24 + 30_000**2 * .16)
    for t, (g, w) in enumerate(zip(got.mean, want.mean), start=1):
        assert abs(g - w) <= 4 * t * sd / np.sqrt(runs)


def test_exact_mean_is_the_base_projection_on_every_example() -> None:
    """Base realization = confidence probability, so E[ending cash] is the base scenario's EndCash."""
    for name in example_names():
        p = load_partnership(example_path(name))
        sp = compute_projections(p)
        result = exact(p)
        assert result.scenario_id == "base"
        assert result.mean == pytest.approx(sp["SP_base_EndCash"], rel=1e-9, abs=1e-6), name
        assert result.expenses == pytest.approx(sp["SP_base_Expenses"], rel=1e-12), name
        assert result.reserve_target == pytest.approx(sp["SP_base_ReserveTarget"], rel=1e-12), name


@pytest.mark.parametrize("name", example_names())
def test_percentiles_ordered_and_probabilities_in_range(name: str) -> None:
    p = load_partnership(example_path(name))
    for result in (simulate(p, runs=5_000, seed=1), exact(p)):
        for lo, mid, hi in zip(result.p10, result.p50, result.p90):
            assert lo <= mid <= hi
        for field in PROBABILITY_FIELDS:
            assert all(0.0 <= x <= 1.0 for x in getattr(result, field))
        # once below zero, always "ever below zero" after; and never less likely than being below zero now
        ever = result.p_ever_below_zero
        assert all(a <= b + 1e-12 for a, b in zip(ever, ever[1:]))
        assert all(e >= z - 1e-12 for e, z in zip(ever, result.p_below_zero))


def test_seeded_runs_are_reproducible_and_seeds_differ() -> None:
    p = make(THREE)
    a, b = simulate(p, runs=2_000, seed=7), simulate(p, runs=2_000, seed=7)
    assert a == b
    c = simulate(p, runs=2_000, seed=8)
    assert c.p_below_zero != a.p_below_zero or c.mean != a.mean


def test_unseeded_run_reports_a_seed_that_repeats_it() -> None:
    p = make(THREE)
    first = simulate(p, runs=1_000)
    assert isinstance(first.seed, int)
    assert simulate(p, runs=1_000, seed=first.seed) == first


def test_result_does_not_depend_on_chunk_size(monkeypatch: pytest.MonkeyPatch) -> None:
    p = make(THREE)
    whole = simulate(p, runs=1_000, seed=3)
    monkeypatch.setattr(risk, "_CHUNK", 64)
    assert simulate(p, runs=1_000, seed=3) == whole


def test_no_revenue_is_deterministic() -> None:
    # 150,000 - 100,000 per year: 50,000, -50,000, -150,000; the reserve target is 25,000
    result = simulate(make([], starting_cash=150_000), runs=500, seed=1)
    assert result.p_below_zero == [0.0, 1.0, 1.0]
    assert result.p_below_reserve == [0.0, 1.0, 1.0]
    assert result.p10 == result.p50 == result.p90 == result.mean == pytest.approx([50_000, -50_000, -150_000])
    assert exact(make([], starting_cash=150_000)).p_below_zero == [0.0, 1.0, 1.0]


def test_probability_zero_and_one_are_certain() -> None:
    # committed (p = 1) 80,000 always arrives; prospect (p = 0) 500,000 never does:
    # cash 10,000 + t * (80,000 - 100,000) = -10,000, -30,000, -50,000
    p = make([src("Sure", "committed", 80_000), src("Never", "prospect", 500_000)],
             probability={"committed": 1.0, "likely": 0.5, "possible": 0.5, "prospect": 0.0})
    for result in (simulate(p, runs=1_000, seed=5), exact(p)):
        assert result.p_below_zero == [1.0, 1.0, 1.0]
        assert result.p_below_reserve == [1.0, 1.0, 1.0]
        assert result.p10 == result.p90 == pytest.approx([-10_000, -30_000, -50_000])


def test_stream_multiplier_of_the_chosen_scenario_applies() -> None:
    # scenario "half": public money at 0.5; A (public, committed) 200,000 -> 100,000 a year, so cash stays 10,000
    scenarios = [{"id": "base", "name": "Base"}, {"id": "half", "name": "Half", "stream_multipliers": {"public": 0.5}}]
    p = make([src("A", "committed", 200_000, stream="public")], scenarios=scenarios)
    assert exact(p).p50 == pytest.approx([110_000, 210_000, 310_000])
    half = exact(p, scenario_id="half")
    assert (half.scenario_id, half.scenario_name) == ("half", "Half")
    assert half.p50 == pytest.approx([10_000, 10_000, 10_000])
    assert simulate(p, runs=10, seed=1, scenario_id="half").p50 == pytest.approx([10_000, 10_000, 10_000])


def test_default_run_count_and_bad_arguments() -> None:
    p = make(THREE)
    assert simulate(p, seed=1).runs == risk.DEFAULT_RUNS == 10_000
    with pytest.raises(RiskError, match="unknown scenario 'nope'"):
        simulate(p, runs=10, scenario_id="nope")
    for runs in (0, -5, 2.5, True):
        with pytest.raises(RiskError, match="runs"):
            simulate(p, runs=runs)  # type: ignore[arg-type]
    with pytest.raises(RiskError, match="seed"):
        simulate(p, runs=10, seed=-1)
    many = make([src(f"S{j}", "possible", 1_000) for j in range(risk.MAX_EXACT_SOURCES + 1)])
    with pytest.raises(RiskError, match="exact enumeration"):
        exact(many)


def test_rows_for_reports() -> None:
    result = exact(make(THREE))
    labels = [label for label, _ in result.rows()]
    assert labels[0] == "P(ending cash < 0)" and "P50 ending cash (median)" in labels
    assert all(len(row) == 3 for _, row in result.rows())
