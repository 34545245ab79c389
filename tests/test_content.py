"""Typed content: a misspelt key, a missing text or a wrong type in any content YAML is refused,
and the message names the file and the key path (issue 9, deliverable 2)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.content import FILE_MODELS, ContentError, load_content

CONTENT = Path(__file__).resolve().parent.parent / "templates" / "content"


def _copy(tmp_path: Path) -> Path:
    where = tmp_path / "content"
    shutil.copytree(CONTENT, where)
    return where


def _edit(where: Path, fname: str, old: str, new: str) -> None:
    path = where / fname
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {fname}: the test no longer matches the shipped content"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_content_file_has_a_model() -> None:
    assert sorted(FILE_MODELS) == sorted(p.name for p in CONTENT.glob("*.yaml"))
    assert load_content(CONTENT).models.keys() == FILE_MODELS.keys()


@pytest.mark.parametrize(("fname", "old", "new", "expected"), [
    # a misspelt key: refused as unknown, and the real key reported missing
    ("full_cost_areas.yaml", "    what:", "    wht:", ["areas[0] (total_expenses).wht: unknown key", "areas[0] (total_expenses).what: missing"]),
    ("functions.yaml", "    covers:", "    cover:", ["functions[0] (strategy_leadership).cover: unknown key"]),
    ("start_here.yaml", "  - heading: How to read", "  - headng: How to read", ["pages[2] (projections).sections[0].headng: unknown key"]),
    ("streams.yaml", "timing: {schedule: semiannual, lag_months: 0}", "timing: {schedule: semiannual, lag: 0}",
     ["streams[0] (philanthropy).timing.lag: unknown key"]),
    # a missing text
    ("categories.yaml", '    help: "Rent, utilities', '    helps: "Rent, utilities', ["categories[0] (occupancy).help: missing"]),
    ("guidance.yaml", '    title: "Key functions of a backbone"\n', "", ["sections[0] (backbone_functions).title: missing"]),
    # a wrong type: text where a number is needed, a number where a list is needed, an unknown workbook
    ("confidence.yaml", "default_probability: 0.75", 'default_probability: "three quarters"',
     ["levels[1] (likely).default_probability:"]),
    ("structures.yaml", "    benefits:\n      - \"Seen as neutral", "    benefits: 3\n    old_benefits:\n      - \"Seen as neutral",
     ["structures[0] (standalone_nonprofit).benefits:", "structures[0] (standalone_nonprofit).old_benefits: unknown key"]),
    ("guidance.yaml", "workbooks: [full_cost]", "workbooks: [full_costs]", ["sections[1] (full_cost_basics).workbooks[0]:"]),
    ("scenarios.yaml", "realization: {committed: 1.0, likely: 0.5", "realization: {committed: yes, likely: 0.5",
     ["scenarios[1] (conservative).realization.committed:"]),
])
def test_a_bad_key_is_refused_with_file_and_key(tmp_path: Path, fname: str, old: str, new: str, expected: list[str]) -> None:
    where = _copy(tmp_path)
    _edit(where, fname, old, new)
    with pytest.raises(ContentError) as err:
        load_content(where)
    message = str(err.value)
    for part in expected:
        assert f"{where / fname}: {part}" in message, message


def test_an_empty_text_is_refused(tmp_path: Path) -> None:
    where = _copy(tmp_path)
    _edit(where, "full_cost_areas.yaml", "label: Reserves", 'label: ""')
    with pytest.raises(ContentError, match=r"full_cost_areas\.yaml: areas\[2\] \(reserves\)\.label:"):
        load_content(where)


def test_the_shipped_content_still_reads_through_the_accessors() -> None:
    c = load_content(CONTENT)
    assert c.by_id(c.areas, "working_capital").text("what").startswith("Cash on hand")
    assert c.default_probability()["likely"] == 0.75
    assert c.default_timing("public") == ("even", 2)
    assert [g.id for g in c.guidance_for("projections")][0] == "backbone_functions"
    assert c.models["functions.yaml"].functions[0].typical_roles[0] == "Executive director"


# ----------------------------------------------------------------------------- content checked like data


def _build_with(where: Path, tmp_path: Path) -> tuple[int, str]:
    """`build --example riverside-housing --content WHERE`: (exit status, stderr)."""
    from click.testing import CliRunner

    from generator.cli import main

    r = CliRunner().invoke(main, ["build", "--example", "riverside-housing", "--content", str(where), "-o", str(tmp_path / "out")])
    return r.exit_code, r.stderr


@pytest.mark.parametrize("fname, old, new, expected", [
    # two confidence levels labelled alike: the dropdown could not tell them apart and extract turned
    # `committed` into `likely`; Excel's lookups ignore letter case, so neither may we
    ("confidence.yaml", "    label: Likely\n", "    label: committed \n",
     ["confidence.yaml: levels[1] (likely).label 'committed' is also the label of levels[0] (committed)"]),
    ("functions.yaml", "    label: Data and impact measurement\n", "    label: Strategy and leadership\n",
     ["functions.yaml: functions[", "(data_impact).label 'Strategy and leadership' is also the label of functions["]),
    ("confidence.yaml", "  - id: likely\n", "  - id: committed\n", ["confidence.yaml: levels[1].id 'committed' appears twice"]),
])
def test_duplicate_labels_and_ids_in_a_list_are_refused(tmp_path: Path, fname: str, old: str, new: str, expected: list[str]) -> None:
    where = _copy(tmp_path)
    _edit(where, fname, old, new)
    with pytest.raises(ContentError) as err:
        load_content(where)
    assert all(e in str(err.value) for e in expected), str(err.value)
    status, stderr = _build_with(where, tmp_path)
    assert status == 2 and len(stderr.strip().splitlines()) == 1 and expected[0] in stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fname, old, new, expected", [
    ("functions.yaml", "    label: Data and impact measurement\n", "    label: " + "x" * 40_000 + "\n",
     "functions.yaml: functions[2] (data_impact).label: 40,000 characters, more than the 255 Excel allows in an entry of a dropdown list"),
    ("functions.yaml", "    label: Data and impact measurement\n", "    label: Data and impact measurement\n    covers: " + "y" * 40_000 + "\n",
     None),  # placeholder, replaced below: covers is a cell text
    ("sheets_shared.yaml", "        help: The name of the partnership (any text).\n", "        help: " + "z" * 300 + "\n",
     ".help: 300 characters, more than the 255 Excel allows in an input message"),
])
def test_texts_over_excels_limits_are_refused_naming_file_and_key(tmp_path: Path, fname: str, old: str, new: str,
                                                                  expected: str | None) -> None:
    where = _copy(tmp_path)
    if expected is None:  # a 40,000-character description of what a function covers: over a cell's 32,767
        text = (where / fname).read_text(encoding="utf-8")
        start = text.index("  - id: data_impact")
        covers = text.index("    covers:", start)
        end = text.index("\n", covers)
        (where / fname).write_text(text[:covers] + "    covers: " + "y" * 40_000 + text[end:], encoding="utf-8")
        expected = "functions.yaml: functions[2] (data_impact).covers: 40,000 characters, more than the 32,767 Excel allows in a cell"
    else:
        _edit(where, fname, old, new)
    with pytest.raises(ContentError) as err:
        load_content(where)
    assert expected in str(err.value)
    status, stderr = _build_with(where, tmp_path)
    assert status == 2 and "unexpected error" not in stderr and expected in stderr and len(stderr.strip().splitlines()) == 1


def test_a_file_that_is_not_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    where = _copy(tmp_path)
    path = where / "streams.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").replace("streams:", "# Förderung\nstreams:", 1).encode("latin-1"))
    with pytest.raises(ContentError) as err:
        load_content(where)
    assert f"{path}: not UTF-8 text" in str(err.value)
    status, stderr = _build_with(where, tmp_path)
    assert status == 2 and f"{path}: not UTF-8 text" in stderr and "unexpected error" not in stderr
