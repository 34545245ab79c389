"""The schema refuses what cannot be built, and whatever `check` accepts, `build` builds
(issue 10, "Data files that check accepts but build cannot build" and "Bounds")."""
from __future__ import annotations

import copy
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import BuildOptions, build_workbooks
from generator.cli import main
from generator.schema import MAX_TEXT, DataFileError, load_partnership, validate_data


def base() -> dict[str, Any]:
    return {"organization": {"name": "Edge Partnership", "backbone_structure": "hosted_nonprofit", "fiscal_year_start": "2026-07-01"},
            "staff": [{"title": "Director", "fte": 1, "salary": 90000, "functions": "strategy_leadership"}],
            "expenses": [{"name": "Rent", "category": "occupancy", "amount": 12000}],
            "revenue": [{"name": "Grant", "stream": "philanthropy", "confidence": "committed", "amounts": [100000] * 5}]}


def refused(data: dict[str, Any]) -> list[str]:
    try:
        validate_data(data)
    except DataFileError as exc:
        return [str(p) for p in exc.problems]
    return []


@pytest.mark.parametrize("where,value", [
    (("staff", 0, "title"), "T" * (MAX_TEXT + 1)),
    (("organization", "name"), "N" * (MAX_TEXT + 1)),
    (("expenses", 0, "amount"), 5.0e-324),
    (("expenses", 0, "amount"), 0.004),
    (("staff", 0, "salary"), 1.7e308),
    (("staff", 0, "salary"), 1.0e308),
    (("staff", 0, "salary"), 1e12 + 1),
    (("staff", 0, "salary"), float("inf")),
    (("staff", 0, "salary"), float("nan")),
    (("organization", "fiscal_year_start"), "0001-01-01"),
    (("organization", "fiscal_year_start"), "1989-12-31"),
    (("organization", "fiscal_year_start"), "2101-01-01"),
])
def test_refused(where: tuple[Any, ...], value: Any) -> None:
    data = base()
    node: Any = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    problems = refused(data)
    assert problems, f"{where} = {value!r:.40} accepted"
    assert max(len(p) for p in problems) < 400   # a bounded excerpt of the bad value, never the whole of it


def test_scenario_ids_that_would_collide_in_defined_names() -> None:
    data = base()
    data["projections"] = {"scenarios": [{"id": "a", "name": "A"}, {"id": "a_revenue_earned", "name": "B"}]}
    assert any("a_revenue_earned" in p and "collide" in p for p in refused(data))
    data["projections"]["scenarios"][1]["id"] = "ab"   # a prefix without the underscore cannot collide
    assert refused(data) == []


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join(['*a' + str(i - 1)] * 9)}]" for i in range(1, 9)]
    path = _write(tmp_path, "\n".join(lines) + "\norganization: *a8\n")
    assert path.stat().st_size < 1000
    started = time.perf_counter()
    res = CliRunner().invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert time.perf_counter() - started < 5
    assert res.exit_code == 1 and "aliases" in res.output and not (tmp_path / "out").exists()


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "organization: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(DataFileError, match="nested more than"):
        load_partnership(path)
    path = _write(tmp_path, "".join("  " * i + f"k{i}:\n" for i in range(500)) + "  " * 500 + "v: 1\n")
    with pytest.raises(DataFileError, match="nested more than"):
        load_partnership(path)


def test_large_data_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "# padding\n" * 600_000)   # 6 MB
    started = time.perf_counter()
    with pytest.raises(DataFileError, match="larger than 5 MB"):
        load_partnership(path)
    assert time.perf_counter() - started < 2


# ----------------------------------------------------------------------------- check passing => build succeeds

ok_text = st.one_of(st.integers(1, 40).map(lambda n: "x" * n), st.sampled_from([MAX_TEXT - 1, MAX_TEXT]).map(lambda n: "é" * n),
                    st.sampled_from(["=cmd|' /c calc'!A0", "A&G &[Picture] &&", "'quoted", "\t\r\n", " "]))
long_text = st.one_of(ok_text, ok_text, ok_text, st.just("x" * (MAX_TEXT + 1)))
ok_money = st.sampled_from([0, 0.0, 0.01, 0.015, 1.0, 90_000, 999_999_999_999.99, 1e12])
bad_money = st.one_of(st.sampled_from([5e-324, 1e-9, 0.004, 1e12 + 1, 1e15, 1e308, 1.7e308, float("inf"), float("nan"), 2**63]),
                      st.floats(allow_nan=True, allow_infinity=True))
extreme_money = st.one_of(ok_money, ok_money, ok_money, ok_money, bad_money)
extreme_date = st.one_of(st.sampled_from(["1990-01-01", "2100-12-31", "2026-07-01"]),
                         st.sampled_from(["0001-01-01", "1989-12-31", "2101-01-01", "9999-12-31"]), st.dates().map(str))
scenario_ids = st.lists(st.sampled_from(["a", "a_revenue_earned", "a_endcash", "base", "base_b", "b", "ab", "z9_x"]),
                        min_size=1, max_size=4, unique=True)


@st.composite
def extreme_data(draw: Any) -> dict[str, Any]:
    """Every field at an extreme that should be accepted; sometimes one field at one that should not."""
    data = copy.deepcopy(base())
    data["organization"]["name"] = draw(ok_text)
    data["organization"]["fiscal_year_start"] = draw(st.sampled_from(["1990-01-01", "2100-12-31", "2026-07-01"]))
    data["staff"][0]["title"] = draw(ok_text)
    data["staff"][0]["salary"] = draw(ok_money)
    data["expenses"][0]["amount"] = draw(ok_money)
    data["expenses"][0]["name"] = draw(ok_text)
    data["revenue"][0]["amounts"] = [draw(ok_money) for _ in range(draw(st.integers(0, 6)))]
    data["full_cost"] = {"depreciation": draw(ok_money), "reserves": {"months": draw(st.sampled_from([0, 3, 120])), "current": draw(ok_money)}}
    data["projections"] = {"starting_cash": -draw(ok_money),
                           "one_time": [{"name": draw(ok_text), "year": 1, "amount": draw(ok_money)}],
                           "scenarios": [{"id": sid, "name": draw(ok_text), "expense_multiplier": draw(st.sampled_from([0, 1, 1e6]))}
                                         for sid in draw(st.lists(st.sampled_from(["a", "base", "b", "ab", "z9_x"]), min_size=1, max_size=4, unique=True))]}
    bad = draw(st.sampled_from([None] * 8 + ["salary", "amount", "revenue", "date", "text", "ids", "months", "multiplier"]))
    if bad == "salary":
        data["staff"][0]["salary"] = draw(bad_money)
    elif bad == "amount":
        data["expenses"][0]["amount"] = draw(bad_money)
    elif bad == "revenue":
        data["revenue"][0]["amounts"] = [draw(bad_money)]
    elif bad == "date":
        data["organization"]["fiscal_year_start"] = draw(extreme_date)
    elif bad == "text":
        data["staff"][0]["title"] = "x" * (MAX_TEXT + 1)
    elif bad == "ids":
        data["projections"]["scenarios"] = [{"id": sid, "name": sid} for sid in draw(scenario_ids)]
    elif bad == "months":
        data["full_cost"]["reserves"]["months"] = draw(st.sampled_from([121, 1e9, 5e-324]))
    elif bad == "multiplier":
        data["projections"]["scenarios"][0]["expense_multiplier"] = draw(st.sampled_from([5e-324, 1e7, float("inf")]))
    return data


BUILT: list[int] = []


def test_the_largest_valid_values_build(tmp_path: Path) -> None:
    """Every bound at its limit at once builds, with finite values only."""
    data = base()
    data["organization"].update(name="é" * MAX_TEXT, fiscal_year_start="2100-12-31")
    data["staff"][0].update(title="T" * MAX_TEXT, salary=1e12)
    data["expenses"][0]["amount"] = 1e12
    data["revenue"][0]["amounts"] = [1e12] * 10
    data["projections"] = {"years": 10, "starting_cash": -1e12, "one_time": [{"name": "x", "year": 10, "amount": 1e12}]}
    made = build_workbooks(validate_data(data), tmp_path, BuildOptions())
    for path in made:
        with zipfile.ZipFile(path) as z:
            assert not any(re.search(rb"<v>(?:-?inf|nan)</v>", z.read(n), re.I) for n in z.namelist() if n.startswith("xl/worksheets/"))


# derandomized (the same 25 files every run) and about half of them valid: drawn at random with one
# valid file in five, a run now and then built fewer than three and failed the check below by chance
@settings(max_examples=25, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=extreme_data())
def test_check_passing_means_build_succeeds(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> None:
    try:
        p = validate_data(data)
    except DataFileError:
        return
    out = tmp_path_factory.mktemp("extreme")
    made = build_workbooks(p, out, BuildOptions())
    BUILT.append(1)
    assert len(made) == 2
    for path in made:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert not re.search(rb"<v>(?:-?inf|nan)</v>", z.read(name), re.I), f"{path.name} {name}: a non-finite value"


def test_the_property_test_built_some() -> None:
    """The property above is not vacuous: some extreme data files passed the check and were built."""
    if not BUILT:
        pytest.skip("run together with test_check_passing_means_build_succeeds")
    assert len(BUILT) >= 3


def test_an_alias_bomb_in_a_batch_row_costs_only_that_row(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join(['*a' + str(i - 1)] * 9)}]" for i in range(1, 9)]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\norganization: *a8\n", encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("name,backbone_structure,fiscal_year_start,data_file\nGood,hosted_nonprofit,2026-07-01,\n"
                      "Bomb,hosted_nonprofit,2026-07-01,bomb.yaml\n", encoding="utf-8")
    started = time.perf_counter()
    res = CliRunner().invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert time.perf_counter() - started < 30
    assert res.exit_code == 1 and "aliases" in res.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.xlsx")) == ["good-full-cost.xlsx", "good-scenario-projections.xlsx"]
