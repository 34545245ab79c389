"""Risk analysis for the Scenario Projections Tool: a Monte Carlo over revenue.

Each revenue source either arrives or does not, with the probability of its confidence
level (`assumptions.confidence_probability`), and the SAME draw holds for all of the
source's years: a funder renews or does not. When it arrives, its year-t amount is
``amounts[t-1] * m_s,k`` (the scenario's stream multiplier); the scenario's
*realization* shares are not used, because the draw replaces them (for the base
scenario, whose realization is the confidence probability, the mean simulated revenue
equals the projected revenue).

Expenses (personnel, non-personnel, one-time items) and the reserve target
(``reserves.months * Expenses_t / 12``) come from the chosen scenario exactly as
:func:`generator.model.projections.project_scenario` computes them; they do not vary
between runs. Ending cash of a run in year t is
``starting_cash + sum over years 1..t of (revenue of the run - expenses)``.

For every year the result gives P(ending cash < 0), P(ending cash < reserve target),
P(ending cash has been < 0 in any year up to t), the mean and the P10/P50/P90 ending
cash. Percentiles use the inverted empirical CDF (the smallest value v with
``share of runs <= v >= q``, numpy's ``method="inverted_cdf"``), which is also how
:func:`exact` defines them, so the two agree in the limit.

`simulate` is vectorised: a runs x sources Bernoulli matrix times a sources x years
amount matrix (10,000 x 50 x 10 takes a few milliseconds). `exact` enumerates all
2^k arrival combinations of the k uncertain sources (0 < probability < 1 and some
amount in the horizon), for small k; the tests hold `simulate` to it.

No Excel code here: writing a Risk sheet belongs to generator/report/actions.py, which the command line and the add-in share.
"""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field

import numpy as np

from ..content import Content, load_content
from ..schema import Partnership, Scenario
from .projections import fy_labels, multiplier, project_scenario

DEFAULT_RUNS = 10_000
MAX_RUNS = 2_000_000
MAX_EXACT_SOURCES = 16
QUANTILES = (0.10, 0.50, 0.90)
_CHUNK = 100_000  # runs drawn per block: bounds memory for large run counts


class RiskError(ValueError):
    """Bad arguments to the risk analysis (unknown scenario, runs out of range, too many sources for exact)."""


@dataclass(frozen=True)
class RiskInputs:
    """What the Monte Carlo needs, per source and per year, for one scenario."""

    scenario: Scenario
    labels: list[str]
    probability: np.ndarray      # (k,) arrival probability of each source
    amounts: np.ndarray          # (k, n) amount of each source in each year when it arrives
    expenses: np.ndarray         # (n,) Expenses_t of the scenario
    reserve_target: np.ndarray   # (n,) reserves.months * Expenses_t / 12
    starting_cash: float
    source_names: list[str] = field(default_factory=list)

    @property
    def years(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class RiskResult:
    """Per-year risk of one scenario (lists are year 1 first, labelled by `labels`)."""

    scenario_id: str
    scenario_name: str
    labels: list[str]                 # FY2027, FY2028, ...
    runs: int                         # 0 for an exact result
    seed: int | None                  # the seed actually used (None for an exact result)
    p_below_zero: list[float]         # P(ending cash < 0)
    p_below_reserve: list[float]      # P(ending cash < reserve target)
    p_ever_below_zero: list[float]    # P(ending cash < 0 in some year 1..t)
    p10: list[float]
    p50: list[float]
    p90: list[float]
    mean: list[float]
    expenses: list[float]
    reserve_target: list[float]
    starting_cash: float
    method: str = "monte-carlo"       # or "exact"

    def rows(self) -> list[tuple[str, list[float]]]:
        """(label, row) pairs in the order a report shows them."""
        return [
            ("P(ending cash < 0)", self.p_below_zero),
            ("P(ending cash < reserve target)", self.p_below_reserve),
            ("P(cash < 0 in any year so far)", self.p_ever_below_zero),
            ("P10 ending cash", self.p10),
            ("P50 ending cash (median)", self.p50),
            ("P90 ending cash", self.p90),
            ("Mean ending cash", self.mean),
            ("Reserve target", self.reserve_target),
            ("Expenses", self.expenses),
        ]


def choose_scenario(p: Partnership, scenario_id: str | None, content: Content) -> Scenario:
    """The scenario with this id, or the first scenario in force (normally `base`)."""
    scenarios = p.scenario_list(content)
    if scenario_id is None:
        return scenarios[0]
    for s in scenarios:
        if s.id == scenario_id:
            return s
    raise RiskError(f"unknown scenario {scenario_id!r}; choose one of: {', '.join(s.id for s in scenarios)}")


def risk_inputs(p: Partnership, scenario_id: str | None = None, content: Content | None = None) -> RiskInputs:
    """Per-source probabilities and amounts and per-year expenses of the chosen scenario."""
    content = content or load_content()
    s = choose_scenario(p, scenario_id, content)
    res = project_scenario(p, s, content)
    n = p.years
    prob = p.probability()
    probability = np.array([prob[src.confidence] for src in p.revenue], dtype=float)
    amounts = np.array(
        [[src.amount(t) * multiplier(s, src.stream) for t in range(1, n + 1)] for src in p.revenue], dtype=float
    ).reshape(len(p.revenue), n)
    return RiskInputs(
        scenario=s,
        labels=fy_labels(p),
        probability=probability,
        amounts=amounts,
        expenses=np.array(res.rows["Expenses"], dtype=float),
        reserve_target=np.array(res.rows["ReserveTarget"], dtype=float),
        starting_cash=float(p.projections.starting_cash),
        source_names=[src.name for src in p.revenue],
    )


def _end_cash(revenue: np.ndarray, inputs: RiskInputs) -> np.ndarray:
    """Ending cash per run and year from revenue per run and year (runs x n)."""
    return inputs.starting_cash + np.cumsum(revenue - inputs.expenses, axis=1)


def draw_arrivals(rng: np.random.Generator, runs: int, probability: np.ndarray) -> np.ndarray:
    """runs x k matrix of 0.0/1.0: does source j arrive in run i (one uniform per source per run)."""
    return (rng.random((runs, probability.shape[0])) < probability).astype(float)


def simulate_inputs(inputs: RiskInputs, runs: int = DEFAULT_RUNS, seed: int | None = None) -> RiskResult:
    """The Monte Carlo over prepared inputs (see `simulate`)."""
    if not isinstance(runs, int) or isinstance(runs, bool) or not 1 <= runs <= MAX_RUNS:
        raise RiskError(f"runs must be a whole number from 1 to {MAX_RUNS:,}, got {runs!r}")
    if seed is None:
        seed = secrets.randbits(32)
    elif not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise RiskError(f"seed must be a whole number >= 0, got {seed!r}")
    rng = np.random.default_rng(seed)
    n = inputs.years
    end = np.empty((runs, n))
    for start in range(0, runs, _CHUNK):
        size = min(_CHUNK, runs - start)
        arrivals = draw_arrivals(rng, size, inputs.probability)          # size x k
        end[start:start + size] = _end_cash(arrivals @ inputs.amounts, inputs)  # (size x k) @ (k x n)
    below_zero = end < 0
    p10, p50, p90 = np.quantile(end, QUANTILES, axis=0, method="inverted_cdf")
    return RiskResult(
        scenario_id=inputs.scenario.id,
        scenario_name=inputs.scenario.name,
        labels=list(inputs.labels),
        runs=runs,
        seed=seed,
        p_below_zero=below_zero.mean(axis=0).tolist(),
        p_below_reserve=(end < inputs.reserve_target).mean(axis=0).tolist(),
        p_ever_below_zero=np.logical_or.accumulate(below_zero, axis=1).mean(axis=0).tolist(),
        p10=p10.tolist(),
        p50=p50.tolist(),
        p90=p90.tolist(),
        mean=end.mean(axis=0).tolist(),
        expenses=inputs.expenses.tolist(),
        reserve_target=inputs.reserve_target.tolist(),
        starting_cash=inputs.starting_cash,
    )


def simulate(p: Partnership, runs: int = DEFAULT_RUNS, seed: int | None = None, scenario_id: str | None = None,
             content: Content | None = None) -> RiskResult:
    """Monte Carlo risk of one scenario (default: the first, normally `base`).

    `seed` makes the run reproducible; without one a random seed is drawn and reported
    in the result, so any run can be repeated.
    """
    return simulate_inputs(risk_inputs(p, scenario_id, content), runs, seed)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Smallest value v with total weight of values <= v at least q (inverted CDF)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    idx = int(np.searchsorted(cum, q - 1e-12, side="left"))
    return float(values[order][min(idx, len(values) - 1)])


def exact_inputs(inputs: RiskInputs) -> RiskResult:
    """Exact probabilities and percentiles by enumerating every arrival combination."""
    prob = inputs.probability
    uncertain = [j for j in range(prob.shape[0]) if 0 < prob[j] < 1 and np.any(inputs.amounts[j] != 0)]
    certain = [j for j in range(prob.shape[0]) if prob[j] >= 1]
    k = len(uncertain)
    if k > MAX_EXACT_SOURCES:
        raise RiskError(f"exact enumeration is for at most {MAX_EXACT_SOURCES} uncertain sources, got {k}")
    # combos[c, i] = 1 when uncertain source i arrives in combination c (bit i of c)
    combos = ((np.arange(2 ** k)[:, None] >> np.arange(k)[None, :]) & 1).astype(float)
    p_u = prob[uncertain]
    weights = np.prod(np.where(combos == 1, p_u, 1 - p_u), axis=1) if k else np.ones(1)
    revenue = combos @ inputs.amounts[uncertain] if k else np.zeros((1, inputs.years))
    if certain:
        revenue = revenue + inputs.amounts[certain].sum(axis=0)
    end = _end_cash(revenue, inputs)  # (2^k) x n
    below_zero = end < 0

    def prob_of(mask: np.ndarray) -> list[float]:
        return (weights @ mask.astype(float)).tolist()

    quant = {q: [_weighted_quantile(end[:, t], weights, q) for t in range(inputs.years)] for q in QUANTILES}
    return RiskResult(
        scenario_id=inputs.scenario.id,
        scenario_name=inputs.scenario.name,
        labels=list(inputs.labels),
        runs=0,
        seed=None,
        p_below_zero=prob_of(below_zero),
        p_below_reserve=prob_of(end < inputs.reserve_target),
        p_ever_below_zero=prob_of(np.logical_or.accumulate(below_zero, axis=1)),
        p10=quant[0.10],
        p50=quant[0.50],
        p90=quant[0.90],
        mean=(weights @ end).tolist(),
        expenses=inputs.expenses.tolist(),
        reserve_target=inputs.reserve_target.tolist(),
        starting_cash=inputs.starting_cash,
        method="exact",
    )


def exact(p: Partnership, scenario_id: str | None = None, content: Content | None = None) -> RiskResult:
    """The exact answer `simulate` estimates, for partnerships with few uncertain sources (<= 16)."""
    return exact_inputs(risk_inputs(p, scenario_id, content))


def binomial_tolerance(prob: float, runs: int, sigmas: float = 4.0) -> float:
    """`sigmas` standard errors of a simulated probability (at least half a run's worth)."""
    return sigmas * math.sqrt(max(prob * (1 - prob), 0.0) / runs) + 0.5 / runs


__all__ = [
    "DEFAULT_RUNS", "MAX_RUNS", "RiskError", "RiskInputs", "RiskResult", "risk_inputs", "simulate",
    "simulate_inputs", "exact", "exact_inputs", "choose_scenario", "draw_arrivals", "binomial_tolerance",
]
